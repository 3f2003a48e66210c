//! The routes of the services (`services.NAME.routes` and `priority`), turned into the
//! load balancer listener's default action and rules.

use super::problems::Problems;
use crate::schema::Service;
use std::collections::BTreeMap;

/// The listener's routing, built service by service: a path or a priority can be
/// taken by one service only, so each service is checked against those before it.
pub(super) struct Routes {
    /// How many services have path routes other than `/*`: when only one has, its
    /// rule needs no priority.
    with_rules: usize,
    /// Path -> the service routed to it.
    seen_paths: BTreeMap<String, String>,
    /// Priority -> the service whose rule has it.
    seen_priorities: BTreeMap<u32, String>,
    /// The service the listener forwards to when no rule matches (it routes `/*`).
    pub(super) default_service: Option<String>,
    /// Listener rules: service -> (priority, path patterns other than `/*`).
    pub(super) rules: BTreeMap<String, (u32, Vec<String>)>,
}

impl Routes {
    pub(super) fn new(services: &BTreeMap<String, Service>) -> Routes {
        Routes {
            with_rules: services
                .values()
                .filter(|s| s.routes.iter().any(|r| r != "/*"))
                .count(),
            seen_paths: BTreeMap::new(),
            seen_priorities: BTreeMap::new(),
            default_service: None,
            rules: BTreeMap::new(),
        }
    }

    pub(super) fn add(&mut self, name: &str, s: &Service, problems: &mut Problems) {
        let key = |k: &str| format!("services.{name}.{k}");
        for path in &s.routes {
            if !path.starts_with('/') {
                problems.push(&key("routes"), format!("`{path}` must start with /"));
            }
            if let Some(other) = self.seen_paths.insert(path.clone(), name.to_string()) {
                problems.push(
                    &key("routes"),
                    format!("`{path}` is already routed to service `{other}`"),
                );
            }
        }
        if s.routes.iter().any(|r| r == "/*") {
            self.default_service = Some(name.to_string());
        }
        let paths: Vec<String> = s.routes.iter().filter(|r| *r != "/*").cloned().collect();
        if paths.is_empty() {
            return;
        }
        let priority = match s.priority {
            Some(p) => p,
            None if self.with_rules == 1 => 100,
            None => {
                problems.push(
                    &key("priority"),
                    "several services have path routes: give each a listener rule priority (1-50000, lower wins)".into(),
                );
                return;
            }
        };
        if !(1..=50000).contains(&priority) {
            problems.push(
                &key("priority"),
                "listener rule priorities are 1 to 50000".into(),
            );
        }
        if let Some(other) = self.seen_priorities.insert(priority, name.to_string()) {
            problems.push(
                &key("priority"),
                format!("priority {priority} is already taken by service `{other}`"),
            );
        }
        if paths.len() > 5 {
            problems.push(
                &key("routes"),
                "an ALB rule takes at most 5 path patterns".into(),
            );
        }
        self.rules.insert(name.to_string(), (priority, paths));
    }
}
