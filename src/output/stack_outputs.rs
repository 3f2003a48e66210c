//! The values people need after an apply (where the app answers, where to push
//! images), derived from the state: each kind says which of its outputs are among
//! them (`Facts::stack_outputs`).

use crate::resources::registry;
use crate::state::State;
use std::collections::BTreeMap;

pub fn from_state(state: &State) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (address, record) in &state.resources {
        out.extend(registry::stack_outputs(address, record));
    }
    // With [domain], the app answers at it over HTTPS, whether CloudFront or the
    // load balancer serves it.
    let url = match (
        out.get("domain"),
        out.get("cdn_domain"),
        out.get("load_balancer_dns"),
    ) {
        (Some(domain), _, _) => Some(format!("https://{domain}")),
        (None, Some(cdn), _) => Some(format!("https://{cdn}")),
        (None, None, Some(alb)) => Some(format!("http://{alb}")),
        _ => None,
    };
    if let Some(url) = url {
        out.insert("url".to_string(), url);
    }
    out
}
