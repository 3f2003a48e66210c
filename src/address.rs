//! Identifiers. `Address` names a resource inside a stack (`ecs_service.web`) and is
//! what stack.toml, plans and state speak of; `CloudId` is what AWS calls the object
//! (an id, ARN or name). Keeping them distinct types means a plan can never hand an
//! address to an SDK call by mistake.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Every AWS resource kind stackctl manages. The order here is the order kinds are
/// listed in when nothing else (the dependency graph) decides; `Kind::ALL` and the
/// names (`ecs_service`) are derived from it, so a new kind is one line here.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::VariantArray,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Kind {
    Vpc,
    Subnet,
    InternetGateway,
    ElasticIp,
    NatGateway,
    RouteTable,
    SecurityGroup,
    EcrRepository,
    LogGroup,
    IamRole,
    FlowLog,
    EcsCluster,
    Certificate,
    LoadBalancer,
    TargetGroup,
    Listener,
    ListenerRule,
    TaskDefinition,
    EcsService,
    ScalableTarget,
    ScalingPolicy,
    SnsTopic,
    SnsSubscription,
    Alarm,
    CloudfrontDistribution,
    DnsRecord,
}

impl Kind {
    pub const ALL: &'static [Kind] = <Kind as strum::VariantArray>::VARIANTS;

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AddressError {
    #[error("`{0}` is not an address: expected KIND.NAME, e.g. ecs_service.web")]
    Malformed(String),
    #[error("`{0}` is not a resource kind; kinds are: {kinds}", kinds = Kind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "))]
    UnknownKind(String),
}

impl FromStr for Kind {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| AddressError::UnknownKind(s.to_string()))
    }
}

/// A resource's name inside its stack: `KIND.NAME`. Names are lowercase letters,
/// digits, `-` and `_`; in particular no brackets, because the address is also a tag
/// value that later runs look resources up by (see emulator-notes: `[` in tag filters).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address {
    kind: Kind,
    name: String,
}

impl Address {
    pub fn new(kind: Kind, name: impl Into<String>) -> Self {
        let name = name.into();
        debug_assert!(valid_name(&name), "invalid resource name {name:?}");
        Address { kind, name }
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.kind, self.name)
    }
}

impl FromStr for Address {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, name) = s
            .split_once('.')
            .ok_or_else(|| AddressError::Malformed(s.to_string()))?;
        let kind = kind.parse()?;
        if !valid_name(name) {
            return Err(AddressError::Malformed(s.to_string()));
        }
        Ok(Address::new(kind, name))
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What AWS calls an object: a VPC id, an ARN, a repository or role name. Which of
/// these a kind uses is that kind's choice; the engine only stores and passes it back.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CloudId(String);

impl CloudId {
    pub fn new(id: impl Into<String>) -> Self {
        CloudId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CloudId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_round_trips_through_text() {
        let a: Address = "ecs_service.web".parse().unwrap();
        assert_eq!(a.kind(), Kind::EcsService);
        assert_eq!(a.name(), "web");
        assert_eq!(a.to_string(), "ecs_service.web");
    }

    #[test]
    fn address_rejects_unknown_kind_and_bad_names() {
        assert_eq!(
            "bucket.x".parse::<Address>(),
            Err(AddressError::UnknownKind("bucket".into()))
        );
        assert!("subnet.public[0]".parse::<Address>().is_err());
        assert!("subnet".parse::<Address>().is_err());
        assert!("subnet.".parse::<Address>().is_err());
    }

    #[test]
    fn every_kind_parses_from_its_own_name() {
        for &k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>(), Ok(k));
        }
    }
}
