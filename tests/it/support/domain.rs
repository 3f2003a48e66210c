//! The public hosted zone a user's account holds before `[domain]` is used: stackctl
//! finds it by name and never creates it, so a test makes it as the user would.

use stackctl::aws::Aws;
use std::path::Path;

/// Creates the public zone `name`; returns its id without `/hostedzone/`.
pub async fn hosted_zone(aws: &Aws, name: &str) -> String {
    let out = aws
        .route53
        .create_hosted_zone()
        .name(name)
        .caller_reference(uuid::Uuid::new_v4().to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("create the hosted zone {name}: {e:?}"));
    let zone = out.hosted_zone().expect("a hosted zone in the answer");
    zone.id().trim_start_matches("/hostedzone/").to_string()
}

/// The zone the stack file's `[domain]` names, made when it names one.
pub async fn zone_of(aws: &Aws, stack_toml: &Path) -> Option<String> {
    let config = stackctl::config::load(stack_toml, None, None).expect("a valid stack.toml");
    let domain = config.config.domain.as_ref()?;
    Some(hosted_zone(aws, &domain.zone).await)
}

/// Every record of zone `id`, as (name without the final dot, type).
pub async fn records(aws: &Aws, id: &str) -> Vec<(String, String)> {
    let out = aws
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(id)
        .send()
        .await
        .unwrap();
    out.resource_record_sets()
        .iter()
        .map(|r| {
            (
                r.name().trim_end_matches('.').to_string(),
                r.r#type().as_str().to_string(),
            )
        })
        .collect()
}
