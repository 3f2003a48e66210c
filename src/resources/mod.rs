//! Resource kinds: one AWS kind per file, all behind the one `Resource` trait.
//!
//! A kind describes itself to the planner through *attributes*: a flat map of field
//! name to JSON value. `wanted` maps the desired spec to attributes (pure, references
//! resolved where already known), `read` maps the live object to the same attribute
//! names, normalized (sorted, AWS defaults filled in), so the planner can diff the two
//! without knowing any kind. An attribute that `read` cannot see (write-only values,
//! emulator gaps) is compared against what the last apply recorded instead.

pub mod batch;
pub mod facts;
pub mod input;
pub mod ownership;
pub mod registry;
pub mod tags;

pub mod alarm;
pub mod certificate;
pub mod cloudfront_distribution;
pub mod dns_record;
pub mod ecr_repository;
pub mod ecs_cluster;
pub mod ecs_rollout;
pub mod ecs_service;
pub mod elastic_ip;
pub mod flow_log;
pub mod forward;
pub mod iam_role;
pub mod internet_gateway;
pub mod listener;
pub mod listener_rule;
pub mod load_balancer;
pub mod log_group;
pub mod nat_gateway;
pub mod route_table;
pub mod scalable_target;
pub mod scaling_policy;
pub mod security_group;
pub mod sns_subscription;
pub mod sns_topic;
pub mod subnet;
pub mod target_group;
pub mod task_definition;
pub mod vpc;

use crate::address::{Address, CloudId, Kind};
use crate::aws::propagation::Transient;
use crate::aws::{Aws, AwsError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::future::Future;

/// Named values a resource exposes to the resources that reference it and to
/// `stackctl output` (`id`, `arn`, `dns_name`, ...). `id` is always present.
pub type Outputs = BTreeMap<String, String>;

/// Normalized live settings, by attribute name.
pub type Attrs = BTreeMap<String, Value>;

/// A desired attribute: a value, or one that depends on an object not created yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wanted {
    Known(Value),
    /// Known only after apply (e.g. the id of a VPC that is still to be created).
    Unknown,
}

pub type WantedAttrs = BTreeMap<String, Wanted>;

/// A reference from one resource's spec to an output of another. References are
/// what the dependency graph is made of: the engine finds them in every spec.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Ref {
    #[serde(rename = "ref")]
    pub to: Address,
    pub output: String,
}

impl Ref {
    pub fn new(to: Address, output: &str) -> Self {
        Ref {
            to,
            output: output.to_string(),
        }
    }

    pub fn id(to: Address) -> Self {
        Ref::new(to, "id")
    }
}

/// Where references are resolved while planning: `None` when the value will only
/// exist after apply.
pub trait Lookup {
    fn output(&self, r: &Ref) -> Option<String>;
}

/// Resolves a reference into a desired attribute.
pub fn wanted_ref(lookup: &dyn Lookup, r: &Ref) -> Wanted {
    match lookup.output(r) {
        Some(v) => Wanted::Known(Value::String(v)),
        None => Wanted::Unknown,
    }
}

/// Resolves a list of references into one desired attribute, sorted like the live side.
pub fn wanted_sorted_refs(lookup: &dyn Lookup, refs: &[Ref]) -> Wanted {
    let mut out = Vec::with_capacity(refs.len());
    for r in refs {
        match lookup.output(r) {
            Some(v) => out.push(v),
            None => return Wanted::Unknown,
        }
    }
    out.sort();
    Wanted::Known(Value::from(out))
}

pub fn known(v: impl Into<Value>) -> Wanted {
    Wanted::Known(v.into())
}

/// The live state of an object as `read` sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Live {
    pub attrs: Attrs,
    pub outputs: Outputs,
}

/// What `create` returns; saved to state before anything else happens.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    pub id: CloudId,
    pub outputs: Outputs,
}

/// Everything a create or update needs besides its spec.
pub struct Ctx<'a> {
    pub aws: &'a Aws,
    pub stack: &'a str,
    pub address: &'a Address,
    /// Outputs of the resources this one references: all of them for create and
    /// update (they exist by now), those known so far for `find`.
    pub deps: &'a BTreeMap<Address, Outputs>,
    /// The objects the state already records for this address (current and deposed):
    /// `find` looks past them for the one an interrupted replacement created.
    pub recorded: &'a [CloudId],
    /// The idempotency token of this create (see `state::Intent`): kinds whose create
    /// call takes one send it, so a create retried by a later run cannot make a second
    /// object. None outside creates.
    pub token: Option<&'a str>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        aws: &'a Aws,
        stack: &'a str,
        address: &'a Address,
        deps: &'a BTreeMap<Address, Outputs>,
    ) -> Self {
        Ctx {
            aws,
            stack,
            address,
            deps,
            recorded: &[],
            token: None,
        }
    }

    /// The create's idempotency token; a fresh one where the engine gave none (kinds
    /// driven directly, outside an apply).
    pub fn token(&self) -> String {
        self.token
            .map(str::to_string)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
    }

    /// True when `id` is already recorded for this address, so `find` must not return it.
    pub fn is_recorded(&self, id: &str) -> bool {
        self.recorded.iter().any(|r| r.as_str() == id)
    }

    /// The value of a reference; every reference of a spec is resolvable here,
    /// because the engine runs a step only after all it references exist.
    pub fn resolve(&self, r: &Ref) -> Result<String, AwsError> {
        self.deps
            .get(&r.to)
            .and_then(|o| o.get(&r.output))
            .cloned()
            .ok_or_else(|| {
                AwsError::invalid(
                    "resolve",
                    format!("{} has no output `{}` (yet)", r.to, r.output),
                )
            })
    }

    pub fn resolve_all(&self, refs: &[Ref]) -> Result<Vec<String>, AwsError> {
        refs.iter().map(|r| self.resolve(r)).collect()
    }

    /// The value of a reference when it is known, for `find`: while looking for
    /// existing objects, a dependency that was not found is simply absent.
    pub fn known(&self, r: &Ref) -> Option<String> {
        self.deps.get(&r.to).and_then(|o| o.get(&r.output)).cloned()
    }

    /// The full tag list of a create call: the standard tags every taggable object
    /// of the stack carries, then the user's (`spec.tags`). The one place it is built.
    /// A user tag can never shadow a standard one (validation refuses such keys; they
    /// are dropped here as well).
    pub fn tags(&self, user: &tags::Tags) -> Vec<(String, String)> {
        let mut all = tags::standard(self.stack, self.address);
        all.extend(
            user.iter()
                .filter(|(k, _)| tags::is_user_key(k))
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        all
    }

    /// `{stack}-{resource name}`: the AWS name and the `Name` tag.
    pub fn name(&self) -> String {
        tags::name(self.stack, self.address)
    }
}

/// One AWS resource kind. Implementations do I/O only in `read`, `create`,
/// `update`, `wait_ready` and `delete`; everything the planner uses is pure.
pub trait Resource {
    const KIND: Kind;
    /// Attributes whose change cannot be made in place.
    const REPLACE_ON: &'static [&'static str];
    /// True where a replacement may create the new object before deleting the old
    /// one (names are not reused, nothing refuses two at once).
    const CREATE_BEFORE_DESTROY: bool = false;
    /// Attributes whose change is a deploy (a new image rolling out), not a change to
    /// the infrastructure; `plan` labels changes limited to them "deploy-only".
    const DEPLOY_ATTRS: &'static [&'static str] = &[];
    /// What users of the app notice when this kind is replaced; `plan` prints it as a
    /// warning. None where a replacement is invisible (created before the old goes).
    const REPLACE_WARNING: Option<&'static str> = None;
    /// What an update of an attribute does beyond the attribute, when a person must
    /// know it before approving (attribute, warning): shown on the planned change.
    const UPDATE_WARNINGS: &'static [(&'static str, &'static str)] = &[];
    /// True where `wait_ready` waits for something (NAT, ALB, service, CDN). The
    /// engine runs that wait as a step of its own, so that dependents which need only
    /// the object's outputs start while it runs.
    const WAITS: bool = false;
    /// The dependent kinds that may start only once this one is ready, not merely
    /// created; every other dependent starts as soon as the create call answers. Each
    /// kind's file says why for each entry.
    const READY_BEFORE: &'static [Kind] = &[];
    /// Attributes whose change is made in two stages, so that no request reaches a
    /// target group before tasks are healthy in it (see `forward`): `update` puts the
    /// new one beside the old, and `finish` takes the old away once everything that
    /// depends on this object is ready on the new one.
    const STAGED: &'static [&'static str] = &[];
    /// The dependency kinds whose outputs `find` needs (a listener is looked for on
    /// its load balancer). Every other lookup runs at once with the rest, so looking
    /// for what a lost state forgot costs one round trip, not one per graph level.
    const FIND_NEEDS: &'static [Kind] = &[];
    /// How `find` tells this kind's objects from others', for the lines that say an
    /// object was adopted.
    const FOUND_BY: &'static str = "its stackctl tags";

    /// The errors AWS answers this kind's calls with while what they name was made a
    /// moment ago and is not visible everywhere yet (an id a create just returned, a
    /// new IAM role, a listener rule for a new target group). `aws::propagation`
    /// sends such a call again for a bounded time; each entry says which AWS page or
    /// terraform-provider-aws retry it comes from.
    const TRANSIENT: &'static [Transient] = &[];

    type Spec: Serialize + DeserializeOwned + Clone + PartialEq + Debug + Send + Sync + 'static;

    fn wanted(spec: &Self::Spec, lookup: &dyn Lookup) -> WantedAttrs;

    /// Settings a deploy (`apply --image`) made outside stack.toml are kept while
    /// stack.toml still names what that deploy replaced: returns the spec with the
    /// deployed values pinned, so an infrastructure apply never rolls an image back.
    fn keep_deployed(_spec: &Self::Spec, _lookup: &dyn Lookup, _live: &Live) -> Option<Self::Spec> {
        None
    }

    /// `Ok(None)` when the object no longer exists (deleted outside stackctl).
    fn read(aws: &Aws, id: &CloudId)
    -> impl Future<Output = Result<Option<Live>, AwsError>> + Send;

    /// Reads many objects of this kind for a refresh, in the order of `ids`. A kind
    /// whose describe call takes many ids overrides it, so that a refresh costs a call
    /// per kind rather than one per object; the default reads each, all at once.
    fn read_many(
        aws: &Aws,
        ids: &[CloudId],
    ) -> impl Future<Output = Result<Vec<Option<Live>>, AwsError>> + Send {
        async move { futures::future::try_join_all(ids.iter().map(|id| Self::read(aws, id))).await }
    }

    /// Finds the object an earlier run created for `ctx.address`: the state was lost, or a
    /// run was interrupted between the create call and the state write. `Ok(None)` when none.
    ///
    /// `ctx.deps` holds the outputs of the dependencies known so far: all that are
    /// recorded, and those of `FIND_NEEDS` kinds found just before; when one this
    /// lookup needs is missing, nothing of this object can exist either. An object
    /// that has this one's name but is tagged for another stack or address, or not by
    /// stackctl at all, is an error, never adopted (see `ownership`); so is more than
    /// one match.
    fn find(
        ctx: &Ctx<'_>,
        spec: &Self::Spec,
    ) -> impl Future<Output = Result<Option<CloudId>, AwsError>> + Send;

    fn create(
        ctx: &Ctx<'_>,
        spec: &Self::Spec,
    ) -> impl Future<Output = Result<Created, AwsError>> + Send;

    /// Waits until the object can be used by its dependents (NAT available, ALB active,
    /// service stable, ...). Called after create and after update, with the outputs of
    /// every dependency in `ctx.deps`.
    fn wait_ready(
        _ctx: &Ctx<'_>,
        _id: &CloudId,
        _spec: &Self::Spec,
    ) -> impl Future<Output = Result<(), AwsError>> + Send {
        async { Ok(()) }
    }

    /// Brings the object in line with `spec`; `changed` names the attributes that
    /// differ (never one of `REPLACE_ON`).
    fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &Self::Spec,
        changed: &[String],
    ) -> impl Future<Output = Result<(), AwsError>> + Send;

    /// The second stage of an update of a `STAGED` attribute: the object uses only
    /// what `spec` names. Nothing to do when it already does.
    fn finish(
        _ctx: &Ctx<'_>,
        _id: &CloudId,
        _spec: &Self::Spec,
    ) -> impl Future<Output = Result<(), AwsError>> + Send {
        async { Ok(()) }
    }

    /// Retires an object a create-before-destroy replacement left behind, once nothing
    /// uses it. Most kinds delete it; a kind that keeps a few for rollback overrides this.
    fn retire(aws: &Aws, id: &CloudId) -> impl Future<Output = Result<(), AwsError>> + Send {
        Self::delete(aws, id)
    }

    /// Deletes the object and waits until it is gone, so that what it depended on can
    /// be deleted next. An object that is already gone is success.
    fn delete(aws: &Aws, id: &CloudId) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// Every address a spec references, found by walking its JSON form: a kind cannot
/// forget to declare a dependency it uses.
pub fn references(spec: &Value) -> Vec<Address> {
    fn walk(v: &Value, out: &mut Vec<Address>) {
        match v {
            Value::Object(map) => {
                if let (Some(Value::String(to)), Some(Value::String(_)), 2) =
                    (map.get("ref"), map.get("output"), map.len())
                    && let Ok(a) = to.parse()
                {
                    out.push(a);
                    return;
                }
                map.values().for_each(|v| walk(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(spec, &mut out);
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_found_anywhere_in_a_spec() {
        #[derive(Serialize)]
        struct S {
            vpc: Ref,
            nested: Vec<Option<Ref>>,
            other: String,
        }
        let vpc = Address::new(Kind::Vpc, "main");
        let nat = Address::new(Kind::NatGateway, "nat-0");
        let spec = serde_json::to_value(S {
            vpc: Ref::id(vpc.clone()),
            nested: vec![
                None,
                Some(Ref::new(nat.clone(), "id")),
                Some(Ref::id(vpc.clone())),
            ],
            other: "vpc.main".into(),
        })
        .unwrap();
        assert_eq!(references(&spec), vec![vpc, nat]);
    }
}
