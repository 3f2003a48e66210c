//! The secure defaults stack.toml can turn off, and the warning `plan` prints for
//! each one that is off. Pure: computed from the parsed stack.toml alone, so a stack
//! keeps warning on every plan for as long as it runs with a default turned off, and
//! a stack on the defaults warns about nothing. docs/security.md lists every default.

use super::schema::*;
use serde::{Deserialize, Serialize};

/// One secure default that stack.toml turns off: the key that does it and what that
/// exposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The stack.toml key, e.g. `load_balancer.deletion_protection`.
    pub key: String,
    pub message: String,
}

/// Parts of environment variable names that say the value is a credential.
const SECRET_NAME_PARTS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "ACCESS_KEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
];

/// True for names such as `DB_PASSWORD`, `stripe-api-key` or `GITHUB_TOKEN`.
pub fn looks_like_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase().replace('-', "_");
    SECRET_NAME_PARTS.iter().any(|part| upper.contains(part))
}

/// ALB security policies that accept nothing older than TLS 1.2 are named
/// `...-1-2-...` or `...-1-3-...` (`ELBSecurityPolicy-TLS13-1-2-2021-06`,
/// `ELBSecurityPolicy-TLS-1-2-Ext-2018-06`, `ELBSecurityPolicy-FS-1-2-Res-2020-10`);
/// the others (`ELBSecurityPolicy-2016-08`, `...-TLS13-1-0-2021-06`, ...) accept
/// TLS 1.0 or 1.1.
fn tls_policy_is_current(policy: &str) -> bool {
    policy.contains("-1-2-") || policy.contains("-1-3-")
}

/// The settings of `c` that weaken the stack's security, in the order of stack.toml's
/// tables.
pub fn warnings(c: &Config) -> Vec<Warning> {
    let mut out = Vec::new();
    let mut warn = |key: String, message: String| out.push(Warning { key, message });
    repositories(c, &mut warn);
    if !c.cluster.container_insights {
        warn(
            "cluster.container_insights".into(),
            "is false: no Container Insights, so task CPU, memory, restarts and failures are not recorded for investigation".into(),
        );
    }
    services(c, &mut warn);
    if c.services.values().any(|s| !s.routes.is_empty()) {
        load_balancer(&c.load_balancer, &mut warn);
    }
    if c.cdn.enabled && c.cdn.viewer_protocol == ViewerProtocol::AllowAll {
        warn(
            "cdn.viewer_protocol".into(),
            "is \"allow-all\": CloudFront serves the app over plain HTTP as well as HTTPS".into(),
        );
    }
    out
}

fn repositories(c: &Config, warn: &mut impl FnMut(String, String)) {
    for (name, r) in &c.repositories {
        let key = |k: &str| format!("repositories.{name}.{k}");
        if !r.scan_on_push {
            warn(
                key("scan_on_push"),
                format!(
                    "is false: images pushed to repository `{name}` are not scanned for known vulnerabilities"
                ),
            );
        }
        if r.tag_mutability == TagMutability::Mutable {
            warn(
                key("tag_mutability"),
                format!(
                    "is \"mutable\": a tag in repository `{name}` can be pushed over, so the image a service runs can change without any change to stack.toml"
                ),
            );
        }
        if r.keep_images == 0 {
            warn(
                key("keep_images"),
                format!(
                    "is 0: repository `{name}` has no lifecycle policy, and old images with unpatched vulnerabilities stay in it for good"
                ),
            );
        }
    }
}

fn services(c: &Config, warn: &mut impl FnMut(String, String)) {
    for (name, s) in &c.services {
        let key = |k: &str| format!("services.{name}.{k}");
        if s.placement == Placement::Public {
            warn(
                key("placement"),
                format!(
                    "is \"public\": the tasks of `{name}` run in public subnets with public IP addresses, reachable from the internet as soon as their security group admits more than the load balancer"
                ),
            );
        }
        if s.log_mode == LogMode::Blocking {
            warn(
                key("log_mode"),
                format!(
                    "is \"blocking\": when CloudWatch Logs is slow or unreachable, the app of `{name}` stalls on every write to stdout or stderr"
                ),
            );
        }
        for (var, value) in &s.env {
            if looks_like_secret(var) && !value.starts_with("arn:") {
                warn(
                    key(&format!("env.{var}")),
                    format!(
                        "looks like a secret in a plain environment variable: its value is written into the task definition, the state file and plan output; store it in Secrets Manager or SSM and give `secrets = {{ {var} = \"arn:...\" }}` instead"
                    ),
                );
            }
        }
    }
}

/// Only for a stack that has a load balancer (some service has routes).
fn load_balancer(lb: &LoadBalancer, warn: &mut impl FnMut(String, String)) {
    if !lb.deletion_protection {
        warn(
            "load_balancer.deletion_protection".into(),
            "is false: a single API call or console click deletes the load balancer and takes the app offline (destroy turns protection off by itself)".into(),
        );
    }
    if !lb.drop_invalid_header_fields {
        warn(
            "load_balancer.drop_invalid_header_fields".into(),
            "is false: the load balancer passes header fields that are not valid HTTP on to the app (request smuggling, header injection)".into(),
        );
    }
    if let Some(https) = &lb.https {
        if !https.redirect_http {
            warn(
                "load_balancer.https.redirect_http".into(),
                "is false: the load balancer serves the app over plain HTTP next to HTTPS".into(),
            );
        }
        if let Some(policy) = https
            .ssl_policy
            .as_deref()
            .filter(|p| !tls_policy_is_current(p))
        {
            warn(
                "load_balancer.https.ssl_policy".into(),
                format!(
                    "`{policy}` accepts TLS versions older than 1.2; use ELBSecurityPolicy-TLS13-1-2-2021-06 (the default)"
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;
    use std::path::Path;

    const DEFAULTS: &str = r#"
[stack]
name = "demo"
region = "eu-west-2"

[repositories.app]

[services.web]
image = "app:v1"
port = 5000
env = { CITY = "London", TOKEN_ARN = "arn:aws:secretsmanager:eu-west-2:1:secret:t" }
secrets = { API_KEY = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:key" }

[load_balancer.https]
certificate_arn = "arn:aws:acm:eu-west-2:123456789012:certificate/x"

[cdn]
enabled = true
aliases = ["app.example.com"]
certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/cf"
"#;

    fn warnings_of(text: &str) -> Vec<Warning> {
        let v =
            parse(Path::new("stack.toml"), text, None).unwrap_or_else(|e| panic!("{e}\n{text}"));
        warnings(&v.config)
    }

    /// DEFAULTS with `line` added at the end of `[table]`.
    fn with(table: &str, line: &str) -> String {
        let header = format!("[{table}]\n");
        let at = DEFAULTS
            .find(&header)
            .unwrap_or_else(|| panic!("no [{table}]"));
        let end = at + header.len();
        format!("{}{line}\n{}", &DEFAULTS[..end], &DEFAULTS[end..])
    }

    #[test]
    fn the_defaults_warn_about_nothing() {
        assert_eq!(warnings_of(DEFAULTS), vec![]);
    }

    #[test]
    fn every_default_turned_off_warns_with_its_key_and_what_it_exposes() {
        let cases = [
            (
                "repositories.app",
                "scan_on_push = false",
                "repositories.app.scan_on_push",
                "not scanned",
            ),
            (
                "repositories.app",
                "tag_mutability = \"mutable\"",
                "repositories.app.tag_mutability",
                "pushed over",
            ),
            (
                "repositories.app",
                "keep_images = 0",
                "repositories.app.keep_images",
                "no lifecycle policy",
            ),
            (
                "stack",
                "[cluster]\ncontainer_insights = false",
                "cluster.container_insights",
                "not recorded",
            ),
            (
                "services.web",
                "placement = \"public\"",
                "services.web.placement",
                "public IP",
            ),
            (
                "services.web",
                "log_mode = \"blocking\"",
                "services.web.log_mode",
                "stalls",
            ),
            (
                "stack",
                "[load_balancer]\ndeletion_protection = false",
                "load_balancer.deletion_protection",
                "deletes the load balancer",
            ),
            (
                "stack",
                "[load_balancer]\ndrop_invalid_header_fields = false",
                "load_balancer.drop_invalid_header_fields",
                "not valid HTTP",
            ),
            (
                "load_balancer.https",
                "redirect_http = false",
                "load_balancer.https.redirect_http",
                "plain HTTP",
            ),
            (
                "load_balancer.https",
                "ssl_policy = \"ELBSecurityPolicy-2016-08\"",
                "load_balancer.https.ssl_policy",
                "older than 1.2",
            ),
            (
                "cdn",
                "viewer_protocol = \"allow-all\"",
                "cdn.viewer_protocol",
                "plain HTTP",
            ),
        ];
        for (table, line, key, exposes) in cases {
            // `[stack]` as the table: the line carries its own table after `region`.
            let text = if table == "stack" {
                DEFAULTS.replace(
                    "region = \"eu-west-2\"\n",
                    &format!("region = \"eu-west-2\"\n\n{line}\n"),
                )
            } else {
                with(table, line)
            };
            let got = warnings_of(&text);
            assert_eq!(got.len(), 1, "{line}: {got:#?}");
            assert_eq!(got[0].key, key, "{line}");
            assert!(
                got[0].message.contains(exposes),
                "{line}: {}",
                got[0].message
            );
        }
    }

    #[test]
    fn plain_environment_variables_named_like_secrets_warn_and_point_to_secrets() {
        let text = DEFAULTS.replace(
            "CITY = \"London\"",
            "CITY = \"London\", DB_PASSWORD = \"hunter2\", stripe-api-key = \"sk_live\"",
        );
        let got = warnings_of(&text);
        let keys: Vec<&str> = got.iter().map(|w| w.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "services.web.env.DB_PASSWORD",
                "services.web.env.stripe-api-key"
            ]
        );
        assert!(
            got[0]
                .message
                .contains("secrets = { DB_PASSWORD = \"arn:...\" }")
        );
        assert!(!got[0].message.contains("hunter2"), "{}", got[0].message);
    }

    #[test]
    fn secret_names_are_recognized_by_their_parts() {
        for name in [
            "DB_PASSWORD",
            "github_token",
            "API_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "tls-private-key",
            "GOOGLE_CREDENTIALS",
        ] {
            assert!(looks_like_secret(name), "{name}");
        }
        for name in ["CITY", "DATABASE_POOL", "FLASK_ENV", "PORT", "KEYBOARD"] {
            assert!(!looks_like_secret(name), "{name}");
        }
    }

    #[test]
    fn current_tls_policies_are_told_from_old_ones() {
        for p in [
            "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "ELBSecurityPolicy-TLS13-1-3-2021-06",
            "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
            "ELBSecurityPolicy-FS-1-2-Res-2020-10",
        ] {
            assert!(tls_policy_is_current(p), "{p}");
        }
        for p in [
            "ELBSecurityPolicy-2016-08",
            "ELBSecurityPolicy-TLS13-1-0-2021-06",
            "ELBSecurityPolicy-TLS-1-1-2017-01",
            "ELBSecurityPolicy-FS-2018-06",
        ] {
            assert!(!tls_policy_is_current(p), "{p}");
        }
    }

    #[test]
    fn load_balancer_and_cdn_switches_warn_only_where_they_take_effect() {
        // No routed service: no load balancer (and no CDN), nothing to warn about.
        let text = DEFAULTS
            .replace("port = 5000", "port = 5000\nroutes = []")
            .replace("[cdn]\nenabled = true\n", "[cdn]\n")
            .replace(
                "[load_balancer.https]",
                "[load_balancer]\ndeletion_protection = false\n\n[load_balancer.https]",
            )
            .replace(
                "[load_balancer.https]\ncertificate_arn",
                "[load_balancer.https]\nredirect_http = false\ncertificate_arn",
            );
        assert_eq!(warnings_of(&text), vec![]);
    }
}
