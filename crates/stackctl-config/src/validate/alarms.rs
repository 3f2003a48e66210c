//! `[alarms]`: the addresses notified and the thresholds.

use super::problems::Problems;
use crate::schema::Alarms;
use std::collections::BTreeMap;

pub(super) fn check(alarms: &Alarms, problems: &mut Problems) {
    let mut names: BTreeMap<String, &str> = BTreeMap::new();
    for email in &alarms.email {
        if !looks_like_an_address(email) {
            problems.push("alarms.email", format!("`{email}` is not an email address"));
            continue;
        }
        let name = subscription_name(email);
        if let Some(other) = names.insert(name, email) {
            problems.push(
                "alarms.email",
                format!("`{email}` is listed twice (or as `{other}`)"),
            );
        }
    }
    if !(1..=100).contains(&alarms.cpu) {
        problems.push(
            "alarms.cpu",
            format!("{}% is not a utilization: use 1 to 100", alarms.cpu),
        );
    }
    for (key, value) in [
        ("alarms.target_5xx", alarms.target_5xx),
        ("alarms.alb_5xx", alarms.alb_5xx),
    ] {
        if value == 0 {
            problems.push(
                key,
                "0 would fire on the first error: use 1 or more a minute".into(),
            );
        }
    }
}

/// One `@` between a local part and a domain with a dot, no spaces: what SNS takes.
fn looks_like_an_address(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.contains(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}

/// The name of an address's subscription: `ops-example-com` for `ops@example.com`.
/// The expansion names `sns_subscription.NAME` so; two addresses with one name would
/// be one subscription.
pub fn subscription_name(email: &str) -> String {
    email
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}
