//! `[domain]`: a DNS name inside its zone, on a stack with a load balancer to serve it.

use super::problems::Problems;
use crate::schema::{Cdn, Domain};

pub(super) fn check(domain: &Domain, cdn: &Cdn, has_lb: bool, problems: &mut Problems) {
    for (key, name) in [("domain.name", &domain.name), ("domain.zone", &domain.zone)] {
        if let Err(why) = dns_name(name) {
            problems.push(key, format!("`{name}` is not a DNS name: {why}"));
        }
    }
    if !within(&domain.name, &domain.zone) {
        problems.push(
            "domain.name",
            format!(
                "`{}` is not in the zone `{}`: the zone must be the name itself or one of its \
                 parents (for app.example.com, the zone example.com)",
                domain.name, domain.zone
            ),
        );
    }
    if !has_lb {
        problems.push(
            "domain",
            "nothing would answer at the domain: give a service `routes` (the load balancer \
             serves the domain), or remove [domain]"
                .into(),
        );
    }
    if cdn.enabled && !cdn.aliases.is_empty() && cdn.certificate_arn.is_none() {
        problems.push(
            "cdn.aliases",
            format!(
                "with [domain], CloudFront answers at {} with the certificate stackctl requests \
                 for it; further aliases need cdn.certificate_arn, a certificate in us-east-1 \
                 that covers them all",
                domain.name
            ),
        );
    }
}

/// True when `name` is `zone` or inside it.
pub fn within(name: &str, zone: &str) -> bool {
    let (name, zone) = (name.trim_end_matches('.'), zone.trim_end_matches('.'));
    name == zone || name.ends_with(&format!(".{zone}"))
}

/// Lower-case labels of letters, digits and hyphens (not at either end), at most 63
/// characters each and 253 in all, at least two of them; no wildcard, as the record
/// and certificates are for one name.
fn dns_name(name: &str) -> Result<(), String> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.len() > 253 {
        return Err("longer than 253 characters".into());
    }
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        return Err("write it in lower case".into());
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return Err("it needs a dot (example.com)".into());
    }
    for label in labels {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            return Err(format!(
                "`{label}` is not a label (letters, digits and inner hyphens, 1 to 63)"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_in_its_zone_or_is_the_zone() {
        assert!(within("app.example.com", "example.com"));
        assert!(within("example.com", "example.com."));
        assert!(!within("app.otherexample.com", "example.com"));
        assert!(!within("example.com", "app.example.com"));
    }

    #[test]
    fn dns_names_are_lower_case_labels() {
        assert!(dns_name("app.example.com").is_ok());
        assert!(dns_name("App.example.com").is_err());
        assert!(dns_name("*.example.com").is_err());
        assert!(dns_name("-a.example.com").is_err());
        assert!(dns_name("localhost").is_err());
        assert!(dns_name(&format!("{}.com", "a".repeat(64))).is_err());
    }
}
