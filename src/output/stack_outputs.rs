//! The values people need after an apply (where the app answers, where to push
//! images), derived from the state.

use crate::address::Kind;
use crate::state::State;
use std::collections::BTreeMap;

pub fn from_state(state: &State) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (address, record) in &state.resources {
        let get = |k: &str| record.outputs.get(k).cloned();
        match address.kind() {
            Kind::LoadBalancer => {
                if let Some(dns) = get("dns_name") {
                    out.insert("load_balancer_dns".to_string(), dns);
                }
            }
            Kind::CloudfrontDistribution => {
                if let Some(domain) = get("domain_name") {
                    out.insert("cdn_domain".to_string(), domain);
                }
            }
            Kind::EcrRepository => {
                if let Some(uri) = get("uri") {
                    out.insert(format!("repository_{}", address.name()), uri);
                }
            }
            Kind::EcsCluster => {
                if let Some(name) = get("name") {
                    out.insert("cluster".to_string(), name);
                }
            }
            Kind::EcsService => {
                if let Some(name) = get("name") {
                    out.insert(format!("service_{}", address.name()), name);
                }
            }
            Kind::Vpc => {
                out.insert("vpc_id".to_string(), record.id.to_string());
            }
            _ => {}
        }
    }
    let url = match (out.get("cdn_domain"), out.get("load_balancer_dns")) {
        (Some(cdn), _) => Some(format!("https://{cdn}")),
        (None, Some(alb)) => Some(format!("http://{alb}")),
        _ => None,
    };
    if let Some(url) = url {
        out.insert("url".to_string(), url);
    }
    out
}
