//! The `[domain]` kinds: certificates in the stack's region and in us-east-1, the
//! CNAME that validates them, and alias records to a load balancer's DNS name.

use crate::support::kinds::{Harness, user_tags};
use serde_json::json;
use stackctl::address::{Address, Kind};
use stackctl::resources::Ref;
use stackctl::resources::certificate::{CLOUDFRONT_REGION, Certificate, CertificateSpec};
use stackctl::resources::dns_record::{AliasSpec, DnsRecord, DnsRecordSpec};
use stackctl::resources::input::Input;
use stackctl::resources::{Ctx, Resource};

const ZONE: &str = "kindtest.example.com";

async fn hosted_zone(h: &Harness) -> String {
    let out = h
        .aws
        .route53
        .create_hosted_zone()
        .name(ZONE)
        .caller_reference("kindtest")
        .send()
        .await
        .unwrap();
    out.hosted_zone()
        .unwrap()
        .id()
        .trim_start_matches("/hostedzone/")
        .to_string()
}

fn certificate(region: &str) -> CertificateSpec {
    CertificateSpec {
        domain_name: format!("app.{ZONE}"),
        alternative_names: Vec::new(),
        region: region.into(),
        tags: user_tags(),
    }
}

/// A certificate in each region, both validated by the one record (ready once ACM
/// issued both), tags changed in place, deleted twice; the record is written again
/// when changed, and deleted as it is.
#[tokio::test]
async fn certificates_and_their_validation_record_are_created_updated_and_deleted() {
    let mut h = Harness::start().await;
    let zone_id = hosted_zone(&h).await;
    let regional = certificate(stackctl_region());
    let (regional_address, lb_cert) = h.create::<Certificate>("load_balancer", &regional).await;
    assert!(
        lb_cert
            .id
            .as_str()
            .contains(&format!(":acm:{}:", stackctl_region()))
    );
    assert!(lb_cert.outputs["validation_name"].contains(&format!("app.{ZONE}")));
    h.retag::<Certificate>(&regional_address, &lb_cert.id, &regional, |s| &mut s.tags)
        .await;
    let cdn = certificate(CLOUDFRONT_REGION);
    let (cdn_address, cdn_cert) = h.create::<Certificate>("cdn", &cdn).await;
    assert!(cdn_cert.id.as_str().contains(":acm:us-east-1:"));
    h.assert_in_sync::<Certificate>(&cdn_cert.id, &cdn).await;

    let record = DnsRecordSpec {
        zone: ZONE.into(),
        name: Input::Ref(Ref::new(regional_address.clone(), "validation_name")),
        record_type: "CNAME".into(),
        alias: None,
        value: Some(Input::Ref(Ref::new(
            regional_address.clone(),
            "validation_value",
        ))),
        validates: vec![
            Ref::id(regional_address.clone()),
            Ref::id(cdn_address.clone()),
        ],
    };
    let (record_address, created) = h.create::<DnsRecord>("validation", &record).await;
    assert!(
        created.id.as_str().starts_with(&format!("{zone_id}_")),
        "{}",
        created.id
    );
    assert!(created.id.as_str().ends_with("_CNAME"), "{}", created.id);
    h.assert_in_sync::<DnsRecord>(&created.id, &record).await;
    // Found again by its content (records carry no tags).
    let found = DnsRecord::find(&h.ctx(&record_address), &record)
        .await
        .unwrap();
    assert_eq!(found.as_ref(), Some(&created.id));
    // Written with another value, the record no longer validates the certificates:
    // its ready step says so rather than waiting for an issue that cannot come.
    let changed = DnsRecordSpec {
        value: Some(Input::Given("_other.acm-validations.aws.".into())),
        ..record.clone()
    };
    let ctx = h.ctx(&record_address);
    DnsRecord::update(&ctx, &created.id, &changed, &["value".to_string()])
        .await
        .unwrap();
    let refused = DnsRecord::wait_ready(&ctx, &created.id, &changed)
        .await
        .expect_err("a record that is not the one ACM asks for")
        .to_string();
    assert!(
        refused.contains("asks for the validation record"),
        "{refused}"
    );
    let live = h.assert_in_sync::<DnsRecord>(&created.id, &changed).await;
    assert_eq!(live.attrs["value"], json!("_other.acm-validations.aws"));
    h.delete::<DnsRecord>(&created.id).await;

    h.delete::<Certificate>(&lb_cert.id).await;
    h.delete::<Certificate>(&cdn_cert.id).await;
}

fn stackctl_region() -> &'static str {
    crate::support::emulator::REGION
}

/// An alias A record to a load balancer's name: created, in sync, moved to another
/// target in place, found by content, a second CREATE of the name refused with what
/// to do, deleted twice. The zone's own records stay.
#[tokio::test]
async fn an_alias_record_is_created_moved_and_deleted() {
    let mut h = Harness::start().await;
    hosted_zone(&h).await;
    let alb = Address::new(Kind::LoadBalancer, "main");
    h.outputs.insert(
        alb.clone(),
        [
            (
                "dns_name".to_string(),
                "kindtest-alb-1.eu-west-2.elb.amazonaws.com".to_string(),
            ),
            ("zone_id".to_string(), "ZHURV8PSTC4K8".to_string()),
        ]
        .into(),
    );
    let spec = DnsRecordSpec {
        zone: ZONE.into(),
        name: Input::Given(format!("app.{ZONE}")),
        record_type: "A".into(),
        alias: Some(AliasSpec {
            target: Ref::new(alb.clone(), "dns_name"),
            zone_id: Ref::new(alb.clone(), "zone_id"),
            evaluate_target_health: true,
        }),
        value: None,
        validates: Vec::new(),
    };
    let (address, record) = h.create::<DnsRecord>("a", &spec).await;
    assert!(
        record.id.as_str().ends_with(&format!("_app.{ZONE}_A")),
        "{}",
        record.id
    );
    h.assert_in_sync::<DnsRecord>(&record.id, &spec).await;

    let again = DnsRecord::create(&Ctx::new(&h.aws, "other", &address, &h.outputs), &spec).await;
    let refused = again
        .expect_err("a second CREATE of the same name")
        .to_string();
    assert!(
        refused.contains("already has a A record") && refused.contains("stackctl import"),
        "{refused}"
    );

    h.outputs.get_mut(&alb).unwrap().insert(
        "dns_name".into(),
        "kindtest-alb-2.eu-west-2.elb.amazonaws.com".into(),
    );
    h.update::<DnsRecord>(&address, &record.id, &spec, &["alias_target"])
        .await;
    let live = h.assert_in_sync::<DnsRecord>(&record.id, &spec).await;
    assert_eq!(
        live.attrs["alias_target"],
        json!("kindtest-alb-2.eu-west-2.elb.amazonaws.com")
    );
    let found = DnsRecord::find(&h.ctx(&address), &spec).await.unwrap();
    assert_eq!(found.as_ref(), Some(&record.id));
    h.delete::<DnsRecord>(&record.id).await;
}
