//! What `[domain]` and the given certificates need from AWS before anything is
//! planned: the hosted zone must exist (stackctl never makes one: its name servers
//! are set at the registrar), and a certificate named in stack.toml must be issued
//! and cover the names it will serve. Either found wrong half-way through an apply
//! would leave a stack with a load balancer that cannot answer HTTPS.
//!
//! The names a certificate must cover: the load balancer's, the domain and, behind
//! CloudFront, every alias (CloudFront checks the origin's certificate against the
//! Host it forwards); CloudFront's, the domain and every alias.

use crate::aws::{Aws, AwsError};
use crate::config::Validated;
use crate::resources::certificate;
use crate::resources::dns_record;

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("domain.zone: {0}")]
    NoZone(String),
    #[error(
        "{key}: the certificate {arn} does not cover {}; it covers {}. Request one that \
         covers them all (or a wildcard), or leave the key out and let [domain] request it",
        missing.join(", "),
        covers.join(", ")
    )]
    NotCovering {
        key: &'static str,
        arn: String,
        missing: Vec<String>,
        covers: Vec<String>,
    },
    #[error(
        "{key}: the certificate {arn} is {status}, not ISSUED; a listener or distribution refuses it"
    )]
    NotIssued {
        key: &'static str,
        arn: String,
        status: String,
    },
    #[error("{key}: there is no certificate {arn} in its region ({region})")]
    NoCertificate {
        key: &'static str,
        arn: String,
        region: String,
    },
    #[error(transparent)]
    Aws(#[from] AwsError),
}

pub async fn check(aws: &Aws, v: &Validated) -> Result<(), DomainError> {
    let c = &v.config;
    if let Some(domain) = &c.domain
        && dns_record::zone_id(aws, &domain.zone).await?.is_none()
    {
        return Err(DomainError::NoZone(
            dns_record::missing_zone(&domain.zone).message,
        ));
    }
    let mut served: Vec<String> = c.domain.iter().map(|d| d.name.clone()).collect();
    if c.cdn.enabled {
        served.extend(c.cdn.aliases.iter().cloned());
    }
    let given = [
        (
            "load_balancer.https.certificate_arn",
            c.load_balancer.https.as_ref().map(|h| &h.certificate_arn),
        ),
        (
            "cdn.certificate_arn",
            c.cdn.certificate_arn.as_ref().filter(|_| c.cdn.enabled),
        ),
    ];
    for (key, arn) in given {
        if let Some(arn) = arn
            && !served.is_empty()
        {
            check_certificate(aws, key, arn, &served).await?;
        }
    }
    Ok(())
}

async fn check_certificate(
    aws: &Aws,
    key: &'static str,
    arn: &str,
    names: &[String],
) -> Result<(), DomainError> {
    let region = certificate::region_of(arn).to_string();
    let acm = certificate::client(aws, &region)?;
    let Some(detail) = certificate::describe(acm, arn).await? else {
        return Err(DomainError::NoCertificate {
            key,
            arn: arn.to_string(),
            region,
        });
    };
    let status = detail.status().map(|s| s.as_str()).unwrap_or("unknown");
    if status != "ISSUED" {
        return Err(DomainError::NotIssued {
            key,
            arn: arn.to_string(),
            status: status.to_string(),
        });
    }
    let mut covers: Vec<String> = detail.subject_alternative_names().to_vec();
    covers.extend(detail.domain_name().map(str::to_string));
    covers.sort();
    covers.dedup();
    let missing: Vec<String> = names
        .iter()
        .filter(|n| !covers.iter().any(|c| covered(n, c)))
        .cloned()
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(DomainError::NotCovering {
        key,
        arn: arn.to_string(),
        missing,
        covers,
    })
}

/// A certificate name covers a host name when equal, or as a wildcard for exactly
/// one label (`*.example.com` covers `app.example.com`, not `example.com` nor
/// `a.b.example.com`).
pub fn covered(name: &str, by: &str) -> bool {
    let (name, by) = (name.to_ascii_lowercase(), by.to_ascii_lowercase());
    match by.strip_prefix("*.") {
        Some(parent) => name
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
        None => name == by,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_covers_one_label() {
        assert!(covered("app.example.com", "*.example.com"));
        assert!(!covered("example.com", "*.example.com"));
        assert!(!covered("a.b.example.com", "*.example.com"));
        assert!(covered("App.Example.com", "app.example.com"));
        assert!(!covered("www.example.com", "app.example.com"));
    }
}
