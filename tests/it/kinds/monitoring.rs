//! The alarm kinds: an SNS topic, an email subscription to it, and a CloudWatch alarm
//! on an ALB metric that notifies the topic.

use crate::support::kinds::{Harness, user_tags};
use serde_json::json;
use stackctl::address::{Address, Kind};
use stackctl::resources::Ref;
use stackctl::resources::alarm::{Alarm, AlarmDimension, AlarmSpec, DimensionValue};
use stackctl::resources::sns_subscription::{SnsSubscription, SnsSubscriptionSpec};
use stackctl::resources::sns_topic::{SnsTopic, SnsTopicSpec};
use stackctl::resources::tags::Tags;

fn addr(kind: Kind, name: &str) -> Address {
    Address::new(kind, name)
}

/// The load balancer and target group an alarm's dimensions name, as ARNs of AWS's
/// shape: PutMetricAlarm does not check that they exist.
fn fake_load_balancer(h: &mut Harness) {
    let elb = "arn:aws:elasticloadbalancing:eu-west-2:123456789012";
    for (address, arn) in [
        (
            addr(Kind::LoadBalancer, "main"),
            format!("{elb}:loadbalancer/app/kindtest-alb/50dc6c49"),
        ),
        (
            addr(Kind::TargetGroup, "web"),
            format!("{elb}:targetgroup/kindtest-web/73e2d6bc"),
        ),
    ] {
        h.outputs.insert(address, [("arn".to_string(), arn)].into());
    }
}

fn alarm_spec() -> AlarmSpec {
    let suffix = |name: &str, to: Address| AlarmDimension {
        name: name.into(),
        value: DimensionValue::ArnSuffix(Ref::new(to, "arn")),
    };
    AlarmSpec {
        name: "kindtest-web-5xx".into(),
        description: "5xx".into(),
        namespace: "AWS/ApplicationELB".into(),
        metric: "HTTPCode_Target_5XX_Count".into(),
        statistic: "Sum".into(),
        dimensions: vec![
            suffix("TargetGroup", addr(Kind::TargetGroup, "web")),
            suffix("LoadBalancer", addr(Kind::LoadBalancer, "main")),
        ],
        period: 60,
        evaluation_periods: 3,
        datapoints: 3,
        threshold: 10.0,
        comparison: "GreaterThanThreshold".into(),
        treat_missing_data: "notBreaching".into(),
        actions: vec![Ref::new(addr(Kind::SnsTopic, "alarms"), "arn")],
        tags: Tags::new(),
    }
}

#[tokio::test]
async fn a_topic_its_subscription_and_an_alarm_are_created_updated_and_deleted() {
    let mut h = Harness::start().await;
    fake_load_balancer(&mut h);
    let topic_spec = SnsTopicSpec {
        name: "kindtest-alarms".into(),
        tags: user_tags(),
    };
    let (topic_address, topic) = h.create::<SnsTopic>("alarms", &topic_spec).await;
    assert!(
        topic.id.as_str().ends_with(":kindtest-alarms"),
        "{}",
        topic.id
    );
    h.retag::<SnsTopic>(&topic_address, &topic.id, &topic_spec, |s| &mut s.tags)
        .await;

    let subscription_spec = SnsSubscriptionSpec {
        topic: Ref::new(topic_address.clone(), "arn"),
        protocol: "email".into(),
        endpoint: "ops@example.com".into(),
    };
    let (_, subscription) = h
        .create::<SnsSubscription>("ops-example-com", &subscription_spec)
        .await;
    assert!(subscription.outputs.contains_key("pending"));
    h.assert_in_sync::<SnsSubscription>(&subscription.id, &subscription_spec)
        .await;

    let mut spec = alarm_spec();
    spec.tags = user_tags();
    let (address, alarm) = h.create::<Alarm>("web-5xx", &spec).await;
    assert_eq!(alarm.id.as_str(), "kindtest-web-5xx");
    let live = h.assert_in_sync::<Alarm>(&alarm.id, &spec).await;
    assert_eq!(
        live.attrs["dimensions"],
        json!([
            ["LoadBalancer", "app/kindtest-alb/50dc6c49"],
            ["TargetGroup", "targetgroup/kindtest-web/73e2d6bc"]
        ])
    );
    let mut spec = h
        .retag::<Alarm>(&address, &alarm.id, &spec, |s| &mut s.tags)
        .await;
    spec.threshold = 25.0;
    spec.evaluation_periods = 5;
    spec.datapoints = 4;
    spec.description = "more 5xx".into();
    let changed = [
        "threshold",
        "evaluation_periods",
        "datapoints",
        "description",
    ];
    h.update::<Alarm>(&address, &alarm.id, &spec, &changed)
        .await;
    let live = h.assert_in_sync::<Alarm>(&alarm.id, &spec).await;
    assert_eq!(live.attrs["threshold"], json!(25.0));
    spec.actions.clear();
    h.update::<Alarm>(&address, &alarm.id, &spec, &["actions"])
        .await;
    h.assert_in_sync::<Alarm>(&alarm.id, &spec).await;

    h.delete::<Alarm>(&alarm.id).await;
    h.delete::<SnsSubscription>(&subscription.id).await;
    h.delete::<SnsTopic>(&topic.id).await;
}
