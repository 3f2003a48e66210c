//! From a plan to the operations the walker runs and the order between them.
//!
//! Ordering rules (X -> Y: X finishes before Y starts):
//! - apply of a dependency -> apply of its dependent; where the dependency's kind
//!   says the dependent's kind needs it ready (`Resource::READY_BEFORE`), the
//!   dependency's ready step instead. A kind that waits (`Resource::WAITS`) gets a
//!   ready step after its apply, so dependents that need only its outputs (an ALB's
//!   DNS name for CloudFront) start while it becomes ready;
//! - every ordering with respect to deletes uses the ready step where there is one, so
//!   nothing is deleted while what replaces it is still coming up;
//! - destroy of anything that recorded a dependency on Z, or the apply that moves it
//!   off Z -> destroy of Z (reverse order on destroy, derived, never hand-written);
//! - replace, destroy first: destroy of Z -> apply of Z;
//! - replace, create first: apply of Z and of every dependent of Z -> destroy of
//!   the old Z (so nothing points at it when it goes);
//! - an update of a `Resource::STAGED` attribute (a listener, rule or service moving
//!   to a new target group) gets a finish step: X's first stage, and the first stage
//!   (ready where it waits) of everything that depends on X -> finish of X; the
//!   finish of each of X's dependencies -> finish of X. So a listener forwards to the
//!   new group alone only once its service is healthy in it, and the service leaves
//!   the old group only once no listener sends there (see `resources::forward`).

use crate::address::Address;
use crate::plan::{Action, Change, Plan};
use crate::resources::registry;
use crate::state::State;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Op {
    /// Create, update, or create the replacement.
    Apply(Address),
    /// Delete the recorded object (delete, or replace destroy-first).
    Destroy(Address),
    /// Delete the objects a create-first replacement left behind.
    DestroyDeposed(Address),
    /// Wait until the applied object is ready (NAT available, ALB active, service
    /// stable, distribution deployed).
    Ready(Address),
    /// The second stage of a staged update: use only what the spec names (and wait
    /// until ready again, for a kind that waits).
    Finish(Address),
}

impl Op {
    pub fn address(&self) -> &Address {
        match self {
            Op::Apply(a)
            | Op::Destroy(a)
            | Op::DestroyDeposed(a)
            | Op::Ready(a)
            | Op::Finish(a) => a,
        }
    }

    /// A step of its own in the progress count; a ready or finish step completes its
    /// apply's.
    pub fn is_step(&self) -> bool {
        !matches!(self, Op::Ready(_) | Op::Finish(_))
    }
}

/// How many steps the progress count counts.
pub fn steps(ops: &BTreeMap<Op, BTreeSet<Op>>) -> usize {
    ops.keys().filter(|op| op.is_step()).count()
}

/// Operations with the operations each must wait for.
pub fn build(plan: &Plan, state: &State) -> BTreeMap<Op, BTreeSet<Op>> {
    let mut ops: BTreeMap<Op, BTreeSet<Op>> = BTreeMap::new();
    let changes: BTreeMap<&Address, &Change> = plan.pending().map(|c| (&c.address, c)).collect();
    for c in changes.values() {
        let a = &c.address;
        match c.action {
            Action::Create | Action::Update => {
                ops.insert(Op::Apply(a.clone()), BTreeSet::new());
            }
            Action::Delete => {
                ops.insert(Op::Destroy(a.clone()), BTreeSet::new());
            }
            Action::Replace if registry::create_before_destroy(a.kind()) => {
                ops.insert(Op::Apply(a.clone()), BTreeSet::new());
                ops.insert(Op::DestroyDeposed(a.clone()), BTreeSet::new());
            }
            Action::Replace => {
                ops.insert(Op::Apply(a.clone()), BTreeSet::new());
                ops.insert(Op::Destroy(a.clone()), BTreeSet::new());
            }
            Action::NoOp => {}
        }
    }
    let applies: Vec<Address> = ops
        .keys()
        .filter_map(|op| match op {
            Op::Apply(a) if registry::waits(a.kind()) => Some(a.clone()),
            _ => None,
        })
        .collect();
    for a in applies {
        ops.insert(Op::Ready(a), BTreeSet::new());
    }
    // What a held change (waiting for its image) uses keeps its old side: the service
    // is not moved yet, so a listener must not move its traffic, nor the object it
    // still uses be retired. The apply after the push completes both.
    let held_uses: BTreeSet<&Address> = plan
        .held
        .iter()
        .flat_map(|h| &h.change.depends_on)
        .collect();
    for c in changes.values().filter(|c| is_staged(c)) {
        if !held_uses.contains(&c.address) {
            ops.insert(Op::Finish(c.address.clone()), BTreeSet::new());
        }
    }
    // Also pick up deposed objects a crashed run left in state.
    for (a, r) in &state.resources {
        if !r.deposed.is_empty() {
            ops.entry(Op::DestroyDeposed(a.clone())).or_default();
        }
    }
    for a in held_uses {
        ops.remove(&Op::DestroyDeposed(a.clone()));
    }
    // An apply's first stage done: ready, where it waits.
    let ready = |a: &Address| {
        if ops.contains_key(&Op::Ready(a.clone())) {
            Op::Ready(a.clone())
        } else {
            Op::Apply(a.clone())
        }
    };
    // An apply as others see it when they must not start before it is complete.
    let finished = |a: &Address| {
        if ops.contains_key(&Op::Finish(a.clone())) {
            Op::Finish(a.clone())
        } else {
            ready(a)
        }
    };
    let keys: Vec<Op> = ops.keys().cloned().collect();
    let mut edges: BTreeMap<Op, BTreeSet<Op>> = BTreeMap::new();
    for op in keys {
        let mut before = BTreeSet::new();
        match &op {
            Op::Apply(a) => {
                let c = changes[a];
                for d in &c.depends_on {
                    if registry::ready_before(d.kind()).contains(&a.kind()) {
                        before.insert(ready(d));
                    } else {
                        before.insert(Op::Apply(d.clone()));
                    }
                }
                before.insert(Op::Destroy(a.clone()));
            }
            Op::Ready(a) => {
                before.insert(Op::Apply(a.clone()));
            }
            Op::Finish(x) => {
                before.insert(ready(x));
                for c in changes.values() {
                    if c.depends_on.contains(x) {
                        before.insert(ready(&c.address));
                    }
                }
                for d in &changes[x].depends_on {
                    before.insert(Op::Finish(d.clone()));
                }
            }
            Op::Destroy(z) => {
                for (x, r) in &state.resources {
                    if x != z && r.depends_on.contains(z) {
                        before.insert(Op::Destroy(x.clone()));
                        // An update that moves x off z goes first; one that keeps z
                        // (the replacement of z) must follow z's new object instead.
                        let moves_off = changes.get(x).is_some_and(|c| !c.depends_on.contains(z));
                        if moves_off {
                            before.insert(finished(x));
                        }
                    }
                }
            }
            Op::DestroyDeposed(z) => {
                before.insert(finished(z));
                for c in changes.values() {
                    if c.depends_on.contains(z) {
                        before.insert(finished(&c.address));
                    }
                }
            }
        }
        before.retain(|b| *b != op && ops.contains_key(b));
        edges.insert(op, before);
    }
    edges
}

/// An update that moves one of its kind's `STAGED` attributes.
fn is_staged(c: &Change) -> bool {
    let staged = registry::staged(c.address.kind());
    c.action == Action::Update && c.diffs.iter().any(|d| staged.contains(&d.name.as_str()))
}
