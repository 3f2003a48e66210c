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
    let changes: BTreeMap<&Address, &Change> = plan.pending().map(|c| (&c.address, c)).collect();
    let ops = operations(plan, state, &changes);
    let order = Order {
        ops: &ops,
        changes: &changes,
        state,
    };
    ops.iter()
        .map(|op| {
            let mut before = order.before(op);
            before.retain(|b| b != op && ops.contains(b));
            (op.clone(), before)
        })
        .collect()
}

/// The operations of the plan's changes, and the retirement of deposed objects a
/// crashed run left in the state.
fn operations(plan: &Plan, state: &State, changes: &BTreeMap<&Address, &Change>) -> BTreeSet<Op> {
    let mut ops = BTreeSet::new();
    for c in changes.values() {
        let a = c.address.clone();
        match c.action {
            Action::Create | Action::Update => {
                ops.insert(Op::Apply(a));
            }
            Action::Delete => {
                ops.insert(Op::Destroy(a));
            }
            Action::Replace if registry::create_before_destroy(a.kind()) => {
                ops.insert(Op::Apply(a.clone()));
                ops.insert(Op::DestroyDeposed(a));
            }
            Action::Replace => {
                ops.insert(Op::Apply(a.clone()));
                ops.insert(Op::Destroy(a));
            }
            Action::NoOp => {}
        }
    }
    let waiting: Vec<Address> = ops
        .iter()
        .filter_map(|op| match op {
            Op::Apply(a) if registry::waits(a.kind()) => Some(a.clone()),
            _ => None,
        })
        .collect();
    ops.extend(waiting.into_iter().map(Op::Ready));
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
            ops.insert(Op::Finish(c.address.clone()));
        }
    }
    for (a, r) in &state.resources {
        if !r.deposed.is_empty() {
            ops.insert(Op::DestroyDeposed(a.clone()));
        }
    }
    for a in held_uses {
        ops.remove(&Op::DestroyDeposed(a.clone()));
    }
    ops
}

/// The ordering rules of the module's doc, over one plan's operations.
struct Order<'a> {
    ops: &'a BTreeSet<Op>,
    changes: &'a BTreeMap<&'a Address, &'a Change>,
    state: &'a State,
}

impl Order<'_> {
    /// An apply's first stage done: ready, where it waits.
    fn ready(&self, a: &Address) -> Op {
        match self.ops.contains(&Op::Ready(a.clone())) {
            true => Op::Ready(a.clone()),
            false => Op::Apply(a.clone()),
        }
    }

    /// An apply as others see it when they must not start before it is complete.
    fn finished(&self, a: &Address) -> Op {
        match self.ops.contains(&Op::Finish(a.clone())) {
            true => Op::Finish(a.clone()),
            false => self.ready(a),
        }
    }

    /// What `op` waits for; may name operations the plan does not have.
    fn before(&self, op: &Op) -> BTreeSet<Op> {
        let mut before = BTreeSet::new();
        match op {
            Op::Apply(a) => {
                for d in &self.changes[a].depends_on {
                    if registry::ready_before(d.kind()).contains(&a.kind()) {
                        before.insert(self.ready(d));
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
                before.insert(self.ready(x));
                before.extend(self.dependents(x).map(|d| self.ready(d)));
                for d in &self.changes[x].depends_on {
                    before.insert(Op::Finish(d.clone()));
                }
            }
            Op::Destroy(z) => before.extend(self.before_destroy(z)),
            Op::DestroyDeposed(z) => {
                before.insert(self.finished(z));
                before.extend(self.dependents(z).map(|d| self.finished(d)));
            }
        }
        before
    }

    /// The changes that depend on `z` as stack.toml is now.
    fn dependents<'b>(&'b self, z: &'b Address) -> impl Iterator<Item = &'b Address> + 'b {
        self.changes
            .values()
            .filter(move |c| c.depends_on.contains(z))
            .map(|c| &c.address)
    }

    /// What recorded a dependency on `z` goes first: its destroy, or the update that
    /// moves it off `z`. One that keeps `z` (the replacement of z) must follow z's new
    /// object instead.
    fn before_destroy(&self, z: &Address) -> BTreeSet<Op> {
        let mut before = BTreeSet::new();
        for (x, r) in &self.state.resources {
            if x != z && r.depends_on.contains(z) {
                before.insert(Op::Destroy(x.clone()));
                let moves_off = self
                    .changes
                    .get(x)
                    .is_some_and(|c| !c.depends_on.contains(z));
                if moves_off {
                    before.insert(self.finished(x));
                }
            }
        }
        before
    }
}

/// An update that moves one of its kind's `STAGED` attributes.
fn is_staged(c: &Change) -> bool {
    let staged = registry::staged(c.address.kind());
    c.action == Action::Update && c.diffs.iter().any(|d| staged.contains(&d.name.as_str()))
}
