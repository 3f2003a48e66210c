//! CloudWatch metric alarm. The id is the alarm name (unique in the account and
//! region).
//!
//! PutMetricAlarm creates and replaces an alarm's whole definition, so every change
//! but the name is in place; tags given to it apply only when it creates the alarm,
//! so later tag changes go through TagResource. The alarms stackctl makes are its
//! own: the `TargetTracking-...` alarms AWS makes for scaling policies are never
//! read, changed or deleted here.

use super::facts::{Action, Facts, Item, Prices, Record, Service, Specs};
use super::ownership::ensure_ours;
use super::tags::{self, TagChanges, Tags};
use super::{Created, Ctx, Live, Lookup, Ref, Resource, Wanted, WantedAttrs, batch, known};
use crate::address::{Address, CloudId, Kind};
use crate::aws::{Aws, AwsError, NotFoundExt, SdkResultExt};
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, MetricAlarm, Statistic, Tag};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmSpec {
    pub name: String,
    pub description: String,
    /// `AWS/ECS`, `AWS/ApplicationELB`.
    pub namespace: String,
    pub metric: String,
    /// `Average`, `Sum`, `Minimum`, `Maximum`.
    pub statistic: String,
    pub dimensions: Vec<AlarmDimension>,
    /// Seconds per datapoint.
    pub period: i32,
    pub evaluation_periods: i32,
    /// Datapoints out of `evaluation_periods` that must breach.
    pub datapoints: i32,
    pub threshold: f64,
    /// `GreaterThanThreshold`, `LessThanThreshold`, ...
    pub comparison: String,
    /// `notBreaching`, `breaching`, `ignore`, `missing`.
    pub treat_missing_data: String,
    /// SNS topics notified when the alarm fires and when it is OK again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Ref>,
    /// User tags (stack.toml `[stack] tags`).
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

/// A metric dimension: a value known from stack.toml, or the CloudWatch form of a load
/// balancer's or target group's ARN (`app/NAME/ID`, `targetgroup/NAME/ID`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmDimension {
    pub name: String,
    #[serde(flatten)]
    pub value: DimensionValue,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DimensionValue {
    Value(String),
    ArnSuffix(Ref),
}

pub struct Alarm;

/// `app/NAME/ID` of a load balancer's ARN, `targetgroup/NAME/ID` of a target group's:
/// how CloudWatch names them in the `AWS/ApplicationELB` dimensions.
pub fn arn_suffix(arn: &str) -> Option<String> {
    if let Some((_, lb)) = arn.split_once(":loadbalancer/") {
        return Some(lb.to_string());
    }
    let resource = arn.rsplit_once(':')?.1;
    resource
        .starts_with("targetgroup/")
        .then(|| resource.to_string())
}

/// The dimensions as CloudWatch holds them, sorted by name; None while one is unknown.
fn resolved(
    dimensions: &[AlarmDimension],
    output: impl Fn(&Ref) -> Option<String>,
) -> Option<Vec<(String, String)>> {
    let mut out = dimensions
        .iter()
        .map(|d| {
            let value = match &d.value {
                DimensionValue::Value(v) => Some(v.clone()),
                DimensionValue::ArnSuffix(r) => arn_suffix(&output(r)?),
            }?;
            Some((d.name.clone(), value))
        })
        .collect::<Option<Vec<_>>>()?;
    out.sort();
    Some(out)
}

fn dimensions_value(pairs: &[(String, String)]) -> Value {
    Value::Array(pairs.iter().map(|(n, v)| json!([n, v])).collect())
}

impl Facts for Alarm {
    const SERVICE: Service = Service::CloudWatch;
    const IMPORT_ID: &'static str = "its alarm name";

    fn usual_minutes(_: Action, _: &Self::Spec) -> Option<(u32, u32)> {
        None
    }

    /// A standard-resolution metric alarm: $0.10 a month.
    fn cost(address: &Address, _: &Self::Spec, _: &Specs<'_>, p: &Prices) -> Option<Item> {
        Some(Item {
            what: format!("{address}: metric alarm"),
            monthly: p.alarm_month,
            up_to: None,
        })
    }

    fn stack_outputs(_: &Address, _: &Record) -> Vec<(String, String)> {
        Vec::new()
    }
}

impl Resource for Alarm {
    const KIND: Kind = Kind::Alarm;
    const REPLACE_ON: &'static [&'static str] = &["name"];
    type Spec = AlarmSpec;

    fn wanted(spec: &AlarmSpec, lookup: &dyn Lookup) -> WantedAttrs {
        let dimensions = match resolved(&spec.dimensions, |r| lookup.output(r)) {
            Some(pairs) => known(dimensions_value(&pairs)),
            None => Wanted::Unknown,
        };
        let actions = super::wanted_sorted_refs(lookup, &spec.actions);
        WantedAttrs::from([
            ("name".into(), known(spec.name.clone())),
            ("description".into(), known(spec.description.clone())),
            ("namespace".into(), known(spec.namespace.clone())),
            ("metric".into(), known(spec.metric.clone())),
            ("statistic".into(), known(spec.statistic.clone())),
            ("dimensions".into(), dimensions),
            ("period".into(), known(spec.period)),
            ("evaluation_periods".into(), known(spec.evaluation_periods)),
            ("datapoints".into(), known(spec.datapoints)),
            ("threshold".into(), known(spec.threshold)),
            ("comparison".into(), known(spec.comparison.clone())),
            (
                "treat_missing_data".into(),
                known(spec.treat_missing_data.clone()),
            ),
            ("actions".into(), actions),
            (tags::ATTR.into(), known(tags::value(&spec.tags))),
        ])
    }

    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        batch::one(Self::read_many(aws, std::slice::from_ref(id)).await)
    }

    /// DescribeAlarms takes up to 100 names; tags take a call per alarm.
    async fn read_many(aws: &Aws, ids: &[CloudId]) -> Result<Vec<Option<Live>>, AwsError> {
        let calls = ids.chunks(100).map(|chunk| describe(aws, chunk));
        let found = futures::future::try_join_all(calls).await?;
        let alarms = batch::in_order(ids, found.into_iter().flatten());
        let reads = alarms.into_iter().map(|alarm| async move {
            let Some(alarm) = alarm else {
                return Ok(None);
            };
            let arn = alarm.alarm_arn().unwrap_or_default().to_string();
            Ok(Some(live(&alarm, &live_tags(aws, &arn).await?)))
        });
        futures::future::try_join_all(reads).await
    }

    async fn find(ctx: &Ctx<'_>, spec: &AlarmSpec) -> Result<Option<CloudId>, AwsError> {
        let id = CloudId::new(&spec.name);
        let Some((_, alarm)) = describe(ctx.aws, std::slice::from_ref(&id)).await?.pop() else {
            return Ok(None);
        };
        let tags = live_tags(ctx.aws, alarm.alarm_arn().unwrap_or_default()).await?;
        let pairs = tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        ensure_ours(ctx, "alarm", &spec.name, pairs)?;
        Ok(Some(id))
    }

    async fn create(ctx: &Ctx<'_>, spec: &AlarmSpec) -> Result<Created, AwsError> {
        put(ctx, spec, Some(ctx.tags(&spec.tags))).await?;
        let id = CloudId::new(&spec.name);
        let arn = describe(ctx.aws, std::slice::from_ref(&id))
            .await?
            .pop()
            .and_then(|(_, a)| a.alarm_arn().map(str::to_string))
            .ok_or_else(|| {
                AwsError::invalid("DescribeAlarms", "alarm not found right after it was put")
            })?;
        Ok(Created {
            outputs: [("id".into(), spec.name.clone()), ("arn".into(), arn)].into(),
            id,
        })
    }

    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &AlarmSpec,
        changed: &[String],
    ) -> Result<(), AwsError> {
        if changed.iter().any(|c| c != tags::ATTR) {
            put(ctx, spec, None).await?;
        }
        if changed.iter().any(|c| c == tags::ATTR) {
            sync_tags(ctx.aws, id, &spec.tags).await?;
        }
        Ok(())
    }

    /// DeleteAlarms of a name that is gone succeeds.
    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        aws.cloudwatch
            .delete_alarms()
            .alarm_names(id.as_str())
            .send()
            .await
            .op("DeleteAlarms")
            .found()?;
        Ok(())
    }
}

/// PutMetricAlarm with the whole definition; `tags` only on the create.
async fn put(
    ctx: &Ctx<'_>,
    spec: &AlarmSpec,
    tags: Option<Vec<(String, String)>>,
) -> Result<(), AwsError> {
    const OP: &str = "PutMetricAlarm";
    let dimensions = resolved(&spec.dimensions, |r| ctx.known(r)).ok_or_else(|| {
        AwsError::invalid(OP, "a dimension's load balancer or target group is unknown")
    })?;
    let dimensions = dimensions
        .into_iter()
        .map(|(name, value)| Dimension::builder().name(name).value(value).build());
    let actions = ctx.resolve_all(&spec.actions)?;
    let tags = tags
        .map(|t| {
            t.into_iter()
                .map(|(k, v)| cw_tag(&k, &v))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    ctx.aws
        .cloudwatch
        .put_metric_alarm()
        .alarm_name(&spec.name)
        .alarm_description(&spec.description)
        .namespace(&spec.namespace)
        .metric_name(&spec.metric)
        .statistic(Statistic::from(spec.statistic.as_str()))
        .set_dimensions(Some(dimensions.collect()))
        .period(spec.period)
        .evaluation_periods(spec.evaluation_periods)
        .datapoints_to_alarm(spec.datapoints)
        .threshold(spec.threshold)
        .comparison_operator(ComparisonOperator::from(spec.comparison.as_str()))
        .treat_missing_data(&spec.treat_missing_data)
        .set_alarm_actions(Some(actions.clone()))
        .set_ok_actions(Some(actions))
        .set_tags(tags)
        .send()
        .await
        .op(OP)?;
    Ok(())
}

/// The alarms of `ids` that exist, keyed by name.
async fn describe(aws: &Aws, ids: &[CloudId]) -> Result<Vec<(String, MetricAlarm)>, AwsError> {
    let out = aws
        .cloudwatch
        .describe_alarms()
        .set_alarm_names(Some(ids.iter().map(|i| i.to_string()).collect()))
        // A page holds 50 alarms unless asked for more; 100 names are asked at most.
        .max_records(100)
        .send()
        .await
        .op("DescribeAlarms")?;
    Ok(out
        .metric_alarms()
        .iter()
        .filter_map(|a| Some((a.alarm_name()?.to_string(), a.clone())))
        .collect())
}

fn live(a: &MetricAlarm, tags: &Tags) -> Live {
    let mut dimensions: Vec<(String, String)> = a
        .dimensions()
        .iter()
        .map(|d| {
            (
                d.name().unwrap_or_default().into(),
                d.value().unwrap_or_default().into(),
            )
        })
        .collect();
    dimensions.sort();
    let mut actions: Vec<&str> = a.alarm_actions().iter().map(String::as_str).collect();
    actions.sort();
    let name = a.alarm_name().unwrap_or_default();
    let arn = a.alarm_arn().unwrap_or_default();
    Live {
        attrs: [
            ("name".into(), name.into()),
            (
                "description".into(),
                a.alarm_description().unwrap_or_default().into(),
            ),
            ("namespace".into(), a.namespace().into()),
            ("metric".into(), a.metric_name().into()),
            ("statistic".into(), a.statistic().map(|s| s.as_str()).into()),
            ("dimensions".into(), dimensions_value(&dimensions)),
            ("period".into(), a.period().into()),
            ("evaluation_periods".into(), a.evaluation_periods().into()),
            (
                "datapoints".into(),
                a.datapoints_to_alarm().or(a.evaluation_periods()).into(),
            ),
            ("threshold".into(), a.threshold().into()),
            (
                "comparison".into(),
                a.comparison_operator().map(|c| c.as_str()).into(),
            ),
            (
                "treat_missing_data".into(),
                a.treat_missing_data().unwrap_or("missing").into(),
            ),
            ("actions".into(), json!(actions)),
            (tags::ATTR.into(), tags::live_value(tags)),
        ]
        .into(),
        outputs: [
            ("id".into(), name.to_string()),
            ("arn".into(), arn.to_string()),
        ]
        .into(),
    }
}

fn cw_tag(key: &str, value: &str) -> Result<Tag, AwsError> {
    Ok(Tag::builder().key(key).value(value).build())
}

async fn live_tags(aws: &Aws, arn: &str) -> Result<Tags, AwsError> {
    let out = aws
        .cloudwatch
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .op("ListTagsForResource")?;
    Ok(out
        .tags()
        .iter()
        .map(|t| {
            let (k, v) = (t.key().unwrap_or_default(), t.value().unwrap_or_default());
            (k.to_string(), v.to_string())
        })
        .collect())
}

async fn sync_tags(aws: &Aws, id: &CloudId, wanted: &Tags) -> Result<(), AwsError> {
    let Some((_, alarm)) = describe(aws, std::slice::from_ref(id)).await?.pop() else {
        return Err(AwsError::not_found("DescribeAlarms", id.to_string()));
    };
    let arn = alarm.alarm_arn().unwrap_or_default();
    let changes = TagChanges::between(wanted, live_tags(aws, arn).await?);
    if !changes.remove.is_empty() {
        aws.cloudwatch
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(changes.remove))
            .send()
            .await
            .op("UntagResource")?;
    }
    if !changes.set.is_empty() {
        let tags = changes.set.iter().map(|(k, v)| cw_tag(k, v));
        aws.cloudwatch
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(tags.collect::<Result<_, _>>()?))
            .send()
            .await
            .op("TagResource")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudwatch_names_load_balancers_and_target_groups_by_their_arn_suffix() {
        let lb = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:loadbalancer/app/shop-alb/50dc6c495c0c9188";
        let tg = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/shop-web/73e2d6bc24d8a067";
        assert_eq!(
            arn_suffix(lb).as_deref(),
            Some("app/shop-alb/50dc6c495c0c9188")
        );
        assert_eq!(
            arn_suffix(tg).as_deref(),
            Some("targetgroup/shop-web/73e2d6bc24d8a067")
        );
        assert_eq!(arn_suffix("arn:aws:sns:eu-west-2:1:topic"), None);
    }
}
