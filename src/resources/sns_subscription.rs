//! An email subscription to the alarms topic. The id is the subscription ARN (asked
//! for with `ReturnSubscriptionArn`, so a pending subscription has one too).
//!
//! AWS sends a confirmation email; until its link is followed the subscription is
//! pending and gets no alarm. Pending is an output (`pending`), which plan and apply
//! show; AWS deletes a subscription left unconfirmed for 48 hours, which the next plan
//! shows as deleted outside stackctl (and apply subscribes again, sending a new email).

use super::facts::{Action, Facts, Item, Prices, Record, Service, Specs};
use super::{Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs, known, wanted_ref};
use crate::address::{Address, CloudId, Kind};
use crate::aws::{Aws, AwsError, NotFoundExt, SdkResultExt};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnsSubscriptionSpec {
    /// The topic (its id is the topic ARN).
    pub topic: Ref,
    /// `email`.
    pub protocol: String,
    /// The address.
    pub endpoint: String,
}

pub struct SnsSubscription;

impl Facts for SnsSubscription {
    const SERVICE: Service = Service::Sns;
    const IMPORT_ID: &'static str = "its subscription ARN";

    fn usual_minutes(_: Action, _: &Self::Spec) -> Option<(u32, u32)> {
        None
    }

    fn cost(_: &Address, _: &Self::Spec, _: &Specs<'_>, _: &Prices) -> Option<Item> {
        None
    }

    fn stack_outputs(_: &Address, _: &Record) -> Vec<(String, String)> {
        Vec::new()
    }
}

impl Resource for SnsSubscription {
    const KIND: Kind = Kind::SnsSubscription;
    /// A subscription has nothing to change: another address is another subscription.
    const REPLACE_ON: &'static [&'static str] = &["topic", "protocol", "endpoint"];
    /// Adopted by its address on its topic.
    const FIND_NEEDS: &'static [Kind] = &[Kind::SnsTopic];
    type Spec = SnsSubscriptionSpec;

    fn wanted(spec: &SnsSubscriptionSpec, lookup: &dyn Lookup) -> WantedAttrs {
        WantedAttrs::from([
            ("topic".into(), wanted_ref(lookup, &spec.topic)),
            ("protocol".into(), known(spec.protocol.clone())),
            ("endpoint".into(), known(spec.endpoint.clone())),
        ])
    }

    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        let out = aws
            .sns
            .get_subscription_attributes()
            .subscription_arn(id.as_str())
            .send()
            .await
            .op("GetSubscriptionAttributes")
            .found()?;
        let Some(attributes) = out.as_ref().and_then(|o| o.attributes()) else {
            return Ok(None);
        };
        let get = |k: &str| attributes.get(k).cloned().unwrap_or_default();
        let pending = get("PendingConfirmation");
        Ok(Some(Live {
            attrs: [
                ("topic".into(), get("TopicArn").into()),
                ("protocol".into(), get("Protocol").into()),
                ("endpoint".into(), get("Endpoint").into()),
            ]
            .into(),
            outputs: outputs(id.as_str(), pending == "true"),
        }))
    }

    /// By protocol and address on the topic. A pending subscription is listed without
    /// an ARN (`PendingConfirmation`): none is found, and the create subscribes again,
    /// which AWS answers with the same subscription.
    async fn find(ctx: &Ctx<'_>, spec: &SnsSubscriptionSpec) -> Result<Option<CloudId>, AwsError> {
        let Some(topic) = ctx.known(&spec.topic) else {
            return Ok(None);
        };
        let mut token = None;
        loop {
            let out = ctx
                .aws
                .sns
                .list_subscriptions_by_topic()
                .topic_arn(&topic)
                .set_next_token(token)
                .send()
                .await
                .op("ListSubscriptionsByTopic")
                .found()?;
            let Some(out) = out else {
                return Ok(None);
            };
            let found = out.subscriptions().iter().find(|s| {
                s.protocol() == Some(spec.protocol.as_str())
                    && s.endpoint() == Some(spec.endpoint.as_str())
                    && s.subscription_arn().is_some_and(|a| a.starts_with("arn:"))
            });
            if let Some(arn) = found.and_then(|s| s.subscription_arn()) {
                return Ok(Some(CloudId::new(arn)));
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(None),
            }
        }
    }

    /// Subscribe is idempotent for the same topic, protocol and address.
    async fn create(ctx: &Ctx<'_>, spec: &SnsSubscriptionSpec) -> Result<Created, AwsError> {
        let out = ctx
            .aws
            .sns
            .subscribe()
            .topic_arn(ctx.resolve(&spec.topic)?)
            .protocol(&spec.protocol)
            .endpoint(&spec.endpoint)
            .return_subscription_arn(true)
            .send()
            .await
            .op("Subscribe")?;
        let arn = out
            .subscription_arn()
            .filter(|a| a.starts_with("arn:"))
            .ok_or_else(|| AwsError::invalid("Subscribe", "no subscription ARN"))?;
        let live = Self::read(ctx.aws, &CloudId::new(arn)).await?;
        let pending = live.is_none_or(|l| l.outputs.get("pending").is_some_and(|p| p == "true"));
        Ok(Created {
            id: CloudId::new(arn),
            outputs: outputs(arn, pending),
        })
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _id: &CloudId,
        _spec: &SnsSubscriptionSpec,
        _changed: &[String],
    ) -> Result<(), AwsError> {
        Ok(())
    }

    /// A pending subscription cannot be unsubscribed (`InvalidParameter`); AWS deletes
    /// it by itself once its 48 hours are up, so it counts as deleted.
    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        let result = aws
            .sns
            .unsubscribe()
            .subscription_arn(id.as_str())
            .send()
            .await
            .op("Unsubscribe")
            .found();
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.code == "InvalidParameter" && e.message.contains("pending") => {
                tracing::info!("{id} is pending confirmation: AWS deletes it within 48 hours");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

fn outputs(arn: &str, pending: bool) -> super::Outputs {
    [
        ("id".into(), arn.to_string()),
        ("arn".into(), arn.to_string()),
        ("pending".into(), pending.to_string()),
    ]
    .into()
}
