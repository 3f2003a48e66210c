//! The walker: runs every operation as soon as all it waits for has finished, many
//! at once, and records each result in the state file before anything else happens.
//! When an operation fails, everything that waits on it is skipped and reported as
//! skipped; only root failures are errors.

use super::cloud::Cloud;
use super::event::{Event, Observer};
use super::ops::{self, Op};
use super::step_error::StepError;
use crate::address::{Address, CloudId};
use crate::aws::call_log::{CURRENT_ADDRESS, WAITING};
use crate::aws::propagation::{self, StepErrors};
use crate::aws::wait;
use crate::plan::{Action, Applying, Change, Plan};
use crate::resources::{Ctx, Lookup, Outputs, Ref, Wanted, registry};
use crate::state::error::StateError;
use crate::state::store::Store;
use crate::state::{Intent, Record, State};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::task::JoinSet;

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("{}", failures.iter().map(|(a, e)| format!("{a}: {e}")).collect::<Vec<_>>().join("\n"))]
    Failed {
        failures: Vec<(Address, StepError)>,
        skipped: usize,
    },
    #[error("the plan's operations wait on each other in a cycle: {0}")]
    Cycle(String),
}

struct Shared {
    cloud: Arc<dyn Cloud>,
    stack: String,
    store: Arc<Store>,
    state: Mutex<State>,
    /// Edits made to `state` so far, and (under its lock, held across the write) the
    /// number already written: see `save`.
    edits: AtomicU64,
    written: tokio::sync::Mutex<u64>,
    observer: Observer,
    changes: BTreeMap<Address, Change>,
    /// When each apply started, for the elapsed time its ready step reports.
    started: Mutex<BTreeMap<Address, Instant>>,
    /// For each apply, the operation that completes it and reports it finished: its
    /// finish step, else its ready step, else the apply itself.
    completed_by: BTreeMap<Address, Op>,
    /// Operations whose dependents may start before they end (see `release`).
    released: tokio::sync::mpsc::UnboundedSender<Op>,
    /// Set once the state cannot be written (another run wrote it, or this run's lock
    /// is gone): no further operation starts, as none could be recorded.
    halted: std::sync::atomic::AtomicBool,
}

impl Shared {
    fn emit(&self, e: Event) {
        (self.observer)(&e);
    }

    /// Applies `f` to the state and returns once a write that includes it has
    /// finished.
    async fn save(&self, f: impl FnOnce(&mut State)) -> Result<(), StepError> {
        let mine = self.edit(f);
        self.flush(mine).await
    }

    /// Applies `f` to the state in memory; `flush` with the number returned makes it
    /// durable.
    fn edit(&self, f: impl FnOnce(&mut State)) -> u64 {
        let mut state = self.state.lock().expect("state lock");
        f(&mut state);
        self.edits.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Returns once edit `mine` is written. Writes are one at a time (each S3 write
    /// names the ETag of the one before); edits made while one is under way share
    /// the next, so a remote state costs one round trip per wave of finished steps,
    /// not per step.
    async fn flush(&self, mine: u64) -> Result<(), StepError> {
        // Steps started together (the roots of the graph, the dependents of one
        // object) make their edits before the first of them writes, so that one
        // write carries them all instead of the first alone.
        let linger = self.store.linger();
        if !linger.is_zero() {
            tokio::time::sleep(linger).await;
        }
        let mut written = self.written.lock().await;
        if *written >= mine {
            return Ok(());
        }
        let (snapshot, upto) = {
            let state = self.state.lock().expect("state lock");
            (state.clone(), self.edits.load(Ordering::SeqCst))
        };
        let serial = self.store.save(&snapshot).await.map_err(|e| self.halt(e))?;
        self.state.lock().expect("state lock").serial = serial;
        *written = upto;
        Ok(())
    }

    /// Lets the operations that wait on `op` start while `op` still writes its
    /// result: they need only its outputs, which are in memory now. Safe because
    /// nothing is created before its intent is written, and that write carries every
    /// edit made before it, this one included. So the dependents of a step share the
    /// write of its record with their intents instead of waiting for one write after
    /// the other.
    fn release(&self, op: Op) {
        let _ = self.released.send(op);
    }

    fn halt(&self, e: StateError) -> StepError {
        self.halted.store(true, Ordering::SeqCst);
        e.into()
    }

    fn is_halted(&self) -> bool {
        self.halted.load(Ordering::SeqCst)
    }

    fn outputs_of(&self, deps: &[Address]) -> BTreeMap<Address, Outputs> {
        let state = self.state.lock().expect("state lock");
        deps.iter()
            .filter_map(|d| {
                state
                    .resources
                    .get(d)
                    .map(|r| (d.clone(), r.outputs.clone()))
            })
            .collect()
    }
}

/// Reference lookup over the outputs of dependencies that exist.
pub(super) struct Resolved<'a>(pub &'a BTreeMap<Address, Outputs>);

impl Lookup for Resolved<'_> {
    fn output(&self, r: &Ref) -> Option<String> {
        self.0.get(&r.to).and_then(|o| o.get(&r.output)).cloned()
    }
}

pub async fn apply(
    cloud: Arc<dyn Cloud>,
    state: State,
    store: Arc<Store>,
    plan: &Plan,
    observer: Observer,
) -> (State, Result<(), ApplyError>) {
    let mut waits = ops::build(plan, &state);
    let (released, mut releases) = tokio::sync::mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        released,
        halted: std::sync::atomic::AtomicBool::new(false),
        cloud,
        stack: state.stack.clone(),
        store,
        state: Mutex::new(state),
        edits: AtomicU64::new(0),
        written: tokio::sync::Mutex::new(0),
        observer,
        changes: plan
            .pending()
            .map(|c| (c.address.clone(), c.clone()))
            .collect(),
        started: Mutex::new(BTreeMap::new()),
        completed_by: completing_ops(&waits),
    });
    let mut running: JoinSet<(Op, Result<(), StepError>)> = JoinSet::new();
    let mut in_flight: BTreeSet<Op> = BTreeSet::new();
    // `done`: ended, or released early (see `release`); `ended`: ended. A step of the
    // same object (its ready or finish step) waits for the end, so that the object is
    // reported recorded before it is reported finished.
    let mut done: BTreeSet<Op> = BTreeSet::new();
    let mut ended: BTreeSet<Op> = BTreeSet::new();
    let mut failures = Vec::new();
    let mut skipped = 0;
    loop {
        // Once the state cannot be written nothing more starts; the operation that
        // found out fails, and everything not started is skipped then.
        let halted = shared.is_halted();
        let startable = match halted {
            true => Vec::new(),
            false => startable(&waits, &in_flight, &done, &ended),
        };
        for op in startable {
            in_flight.insert(op.clone());
            spawn(&mut running, &shared, op);
        }
        let joined = tokio::select! {
            biased;
            Some(op) = releases.recv() => {
                done.insert(op);
                continue;
            }
            joined = running.join_next() => joined,
        };
        let Some(joined) = joined else {
            break;
        };
        let (op, result) = joined.expect("operations do not panic");
        in_flight.remove(&op);
        waits.remove(&op);
        match result {
            Ok(()) => {
                done.insert(op.clone());
                ended.insert(op);
            }
            Err(error) => {
                done.remove(&op);
                let action = action_of(&shared, &op);
                shared.emit(Event::Failed {
                    address: op.address().clone(),
                    action,
                    error: error.to_string(),
                });
                failures.push((op.address().clone(), error));
                if shared.is_halted() {
                    skipped += skip_all_not_started(&shared, &mut waits, &in_flight, op.address());
                }
                skipped += skip_dependents(&shared, &mut waits, &in_flight, op);
            }
        }
    }
    let result = if !failures.is_empty() {
        Err(ApplyError::Failed { failures, skipped })
    } else if !waits.is_empty() {
        let stuck: Vec<String> = waits.keys().map(|o| o.address().to_string()).collect();
        Err(ApplyError::Cycle(stuck.join(", ")))
    } else {
        record_dependencies_of_unchanged(&shared, plan).await
    };
    let shared = Arc::try_unwrap(shared)
        .ok()
        .expect("all operations finished");
    (shared.state.into_inner().expect("state lock"), result)
}

/// Runs `op`, its AWS calls logged with its address and retried on the propagation
/// errors of its kind.
fn spawn(running: &mut JoinSet<(Op, Result<(), StepError>)>, shared: &Arc<Shared>, op: Op) {
    let shared = shared.clone();
    let address = op.address().clone();
    let step = step_errors(&shared, &address);
    running.spawn(CURRENT_ADDRESS.scope(
        address,
        propagation::STEP.scope(step, async move {
            let result = run(&shared, &op).await;
            (op, result)
        }),
    ));
}

/// Skips everything that (transitively) waits on the failed `op`, reporting each;
/// returns how many were skipped. Those already started (released early) run on:
/// their own state writes refuse them if the state cannot be written.
fn skip_dependents(
    shared: &Shared,
    waits: &mut BTreeMap<Op, BTreeSet<Op>>,
    in_flight: &BTreeSet<Op>,
    op: Op,
) -> usize {
    let mut skipped = 0;
    let mut blocked = vec![op];
    while let Some(b) = blocked.pop() {
        let dependents: Vec<Op> = waits
            .iter()
            .filter(|(o, before)| before.contains(&b) && !in_flight.contains(*o))
            .map(|(o, _)| o.clone())
            .collect();
        for d in dependents {
            waits.remove(&d);
            skipped += report_skipped(shared, &d, b.address());
            blocked.push(d);
        }
    }
    skipped
}

/// The operations not started whose every wait is over: those of other objects
/// ended or released early, those of the same object ended.
fn startable(
    waits: &BTreeMap<Op, BTreeSet<Op>>,
    in_flight: &BTreeSet<Op>,
    done: &BTreeSet<Op>,
    ended: &BTreeSet<Op>,
) -> Vec<Op> {
    let over = |op: &Op, b: &Op| match b.address() == op.address() {
        true => ended.contains(b),
        false => done.contains(b),
    };
    waits
        .iter()
        .filter(|(op, before)| !in_flight.contains(*op) && before.iter().all(|b| over(op, b)))
        .map(|(op, _)| op.clone())
        .collect()
}

/// An edit can add or remove what an unchanged resource waits for (a service waits for
/// the listeners that exist). Its record is brought up to date once the apply has
/// succeeded, so a later destroy orders it by the stack as it now is.
async fn record_dependencies_of_unchanged(shared: &Shared, plan: &Plan) -> Result<(), ApplyError> {
    let stale: Vec<&Change> = {
        let state = shared.state.lock().expect("state lock");
        plan.changes
            .iter()
            .filter(|c| c.action == Action::NoOp)
            .filter(|c| {
                state
                    .resources
                    .get(&c.address)
                    .is_some_and(|r| r.depends_on != c.depends_on)
            })
            .collect()
    };
    if stale.is_empty() {
        return Ok(());
    }
    shared
        .save(|state| {
            for c in &stale {
                if let Some(r) = state.resources.get_mut(&c.address) {
                    r.depends_on = c.depends_on.clone();
                }
            }
        })
        .await
        .map_err(|e| ApplyError::Failed {
            failures: vec![(stale[0].address.clone(), e)],
            skipped: 0,
        })
}

/// Once the state cannot be written, every operation not started yet is skipped.
fn skip_all_not_started(
    shared: &Shared,
    waits: &mut BTreeMap<Op, BTreeSet<Op>>,
    in_flight: &BTreeSet<Op>,
    because: &Address,
) -> usize {
    let not_started: Vec<Op> = waits
        .keys()
        .filter(|o| !in_flight.contains(*o))
        .cloned()
        .collect();
    let mut skipped = 0;
    for op in not_started {
        waits.remove(&op);
        skipped += report_skipped(shared, &op, because);
    }
    skipped
}

/// Says that `op` will not run because `because` failed; returns 1 for a step of its
/// own (the count of skipped steps). A ready or finish step is reported too when its
/// apply has started, so that every started address ends with an event.
fn report_skipped(shared: &Shared, op: &Op, because: &Address) -> usize {
    let started = shared
        .started
        .lock()
        .expect("started lock")
        .contains_key(op.address());
    // The address's own failure has ended it already.
    let completes = shared.completed_by.get(op.address()) == Some(op) && op.address() != because;
    if op.is_step() || (completes && started) {
        shared.emit(Event::Skipped {
            address: op.address().clone(),
            action: action_of(shared, op),
            because: because.clone(),
        });
    }
    usize::from(op.is_step())
}

/// The errors AWS gives while what a step's kind depends on is still propagating,
/// which `aws::propagation` retries, reported as `Event::Retrying`.
fn step_errors(shared: &Shared, address: &Address) -> StepErrors {
    let observer = shared.observer.clone();
    let address = address.clone();
    StepErrors {
        transient: registry::transient(address.kind()),
        bound: propagation::BOUND,
        report: std::sync::Arc::new(move |r: &propagation::Retrying| {
            observer(&Event::Retrying {
                address: address.clone(),
                operation: r.operation.clone(),
                error: format!("{}: {}", r.code, r.message),
                elapsed: r.elapsed,
                bound: r.bound,
            })
        }),
    }
}

/// The operation that completes each apply: finish, else ready, else the apply.
fn completing_ops(ops: &BTreeMap<Op, BTreeSet<Op>>) -> BTreeMap<Address, Op> {
    let mut by_address = BTreeMap::new();
    for op in ops.keys() {
        let rank = match op {
            Op::Apply(_) => 0,
            Op::Ready(_) => 1,
            Op::Finish(_) => 2,
            Op::Destroy(_) | Op::DestroyDeposed(_) => continue,
        };
        let entry = by_address
            .entry(op.address().clone())
            .or_insert((rank, op.clone()));
        if rank > entry.0 {
            *entry = (rank, op.clone());
        }
    }
    by_address.into_iter().map(|(a, (_, op))| (a, op)).collect()
}

fn action_of(shared: &Shared, op: &Op) -> Action {
    match op {
        Op::Destroy(_) | Op::DestroyDeposed(_) => Action::Delete,
        Op::Apply(a) | Op::Ready(a) | Op::Finish(a) => shared
            .changes
            .get(a)
            .map(|c| c.action)
            .unwrap_or(Action::Create),
    }
}

async fn run(shared: &Shared, op: &Op) -> Result<(), StepError> {
    shared.store.check_lock().map_err(|e| shared.halt(e))?;
    let address = op.address().clone();
    let action = action_of(shared, op);
    if let Op::Ready(a) | Op::Finish(a) = op {
        match op {
            Op::Finish(_) => finish(shared, a).await?,
            _ if matches!(action, Action::Create | Action::Replace) => {
                let wait = WAITING.scope((), ready(shared, a));
                wait::JUST_CREATED.scope((), wait).await?
            }
            _ => WAITING.scope((), ready(shared, a)).await?,
        }
        if shared.completed_by.get(a) == Some(op) {
            let started = shared.started.lock().expect("started lock").get(a).copied();
            shared.emit(Event::Finished {
                address,
                action,
                elapsed: started.map(|s| s.elapsed()).unwrap_or_default(),
            });
        }
        return Ok(());
    }
    let started = Instant::now();
    shared
        .started
        .lock()
        .expect("started lock")
        .insert(address.clone(), started);
    shared.emit(Event::Started {
        address: address.clone(),
        action,
    });
    match op {
        Op::Destroy(a) => destroy(shared, a).await?,
        Op::DestroyDeposed(a) => destroy_deposed(shared, a).await?,
        Op::Apply(a) => {
            let applying = applying(shared, a)?;
            match applying.change.action {
                Action::Update => update(shared, applying).await?,
                _ => create(shared, applying).await?,
            }
            if shared.completed_by.get(a) != Some(op) {
                return Ok(());
            }
        }
        Op::Ready(_) | Op::Finish(_) => unreachable!("handled above"),
    }
    shared.emit(Event::Finished {
        address,
        action,
        elapsed: started.elapsed(),
    });
    Ok(())
}

/// The change at `a` with the spec it applies.
fn applying<'a>(shared: &'a Shared, a: &Address) -> Result<Applying<'a>, StepError> {
    shared.changes[a]
        .applying()
        .ok_or_else(|| StepError::NoSpec(a.clone()))
}

/// The ready step of an apply: waits until the object can serve (NAT available, ALB
/// active, service stable, distribution deployed).
async fn ready(shared: &Shared, a: &Address) -> Result<(), StepError> {
    let id = recorded_id(shared, a)?;
    let Applying { change, spec } = applying(shared, a)?;
    let deps = shared.outputs_of(&change.depends_on);
    let ctx = Ctx::new(shared.cloud.aws(), &shared.stack, a, &deps);
    Ok(shared.cloud.wait_ready(&ctx, &id, spec).await?)
}

/// The second stage of a staged update (see `resources::forward`): the object uses
/// only what its spec names now; then, for a kind that waits, ready again.
async fn finish(shared: &Shared, a: &Address) -> Result<(), StepError> {
    let id = recorded_id(shared, a)?;
    let applying = applying(shared, a)?;
    let deps = shared.outputs_of(&applying.change.depends_on);
    let ctx = Ctx::new(shared.cloud.aws(), &shared.stack, a, &deps);
    shared.cloud.finish(&ctx, &id, applying.spec).await?;
    if registry::waits(a.kind()) {
        WAITING.scope((), ready(shared, a)).await?;
    }
    let attrs = applied_attrs(shared, applying, &deps)?;
    shared
        .save(|state| {
            if let Some(r) = state.resources.get_mut(a) {
                r.attrs = attrs;
            }
        })
        .await
}

/// The attributes as applied: every reference resolves now.
fn applied_attrs(
    shared: &Shared,
    Applying { change, spec }: Applying,
    deps: &BTreeMap<Address, Outputs>,
) -> Result<crate::resources::Attrs, StepError> {
    let wanted = shared
        .cloud
        .wanted(change.address.kind(), spec, &Resolved(deps))?;
    Ok(wanted
        .into_iter()
        .filter_map(|(k, w)| match w {
            Wanted::Known(v) => Some((k, v)),
            Wanted::Unknown => None,
        })
        .collect())
}

async fn create(shared: &Shared, applying: Applying<'_>) -> Result<(), StepError> {
    let Applying { change, spec } = applying;
    let a = &change.address;
    let deps = shared.outputs_of(&change.depends_on);
    let attrs = applied_attrs(shared, applying, &deps)?;
    let token = begin_create(shared, applying).await?;
    let mut ctx = Ctx::new(shared.cloud.aws(), &shared.stack, a, &deps);
    ctx.token = Some(&token);
    let created = shared.cloud.create(&ctx, spec).await?;
    let id = created.id.clone();
    let mut outputs = created.outputs;
    outputs.insert("id".into(), id.to_string());
    let recorded = shared.edit(|state| {
        state.intents.remove(a);
        let deposed = state
            .resources
            .remove(a)
            .map(|old| {
                let mut d = old.deposed;
                // A create-first replacement leaves the old object to retire; a
                // create of an object deleted outside stackctl has nothing to retire.
                if change.action == Action::Replace {
                    d.push(old.id);
                }
                d.retain(|x| *x != id);
                d
            })
            .unwrap_or_default();
        state.resources.insert(
            a.clone(),
            Record {
                id: id.clone(),
                spec: spec.clone(),
                attrs,
                outputs,
                depends_on: change.depends_on.clone(),
                deposed,
            },
        );
    });
    shared.release(Op::Apply(a.clone()));
    shared.flush(recorded).await?;
    shared.emit(Event::Recorded {
        address: a.clone(),
        id: id.clone(),
    });
    Ok(())
}

/// Records the intent to create `change.address` before the create call and returns
/// its idempotency token: the token of an intent an interrupted run left (the lookup
/// by tags before this plan found nothing, so the create is sent again with the same
/// token), or a new one. The intent is replaced by the record once the call answers.
async fn begin_create(shared: &Shared, applying: Applying<'_>) -> Result<String, StepError> {
    let Applying { change, spec } = applying;
    let spec = spec.clone();
    let mut token = String::new();
    shared
        .save(|state| {
            let intent = state
                .intents
                .entry(change.address.clone())
                .or_insert_with(|| Intent::new(spec.clone(), change.depends_on.clone()));
            intent.spec = spec;
            intent.depends_on = change.depends_on.clone();
            token = intent.token.clone();
        })
        .await?;
    Ok(token)
}

async fn update(shared: &Shared, applying: Applying<'_>) -> Result<(), StepError> {
    let Applying { change, spec } = applying;
    let a = &change.address;
    let deps = shared.outputs_of(&change.depends_on);
    let mut attrs = applied_attrs(shared, applying, &deps)?;
    let id = recorded_id(shared, a)?;
    let ctx = Ctx::new(shared.cloud.aws(), &shared.stack, a, &deps);
    let changed: Vec<String> = change.diffs.iter().map(|d| d.name.clone()).collect();
    shared.cloud.update(&ctx, &id, spec, &changed).await?;
    // A staged attribute is only half applied until the finish step: until then it
    // is recorded as unknown, so a plan in between (the finish held back or cut
    // short) shows the rest of the move as a change of stack.toml, not as drift.
    for staged in registry::staged(a.kind()) {
        if changed.iter().any(|c| c == staged) {
            attrs.remove(*staged);
        }
    }
    let recorded = shared.edit(|state| {
        if let Some(r) = state.resources.get_mut(a) {
            r.spec = spec.clone();
            r.attrs = attrs;
            r.depends_on = change.depends_on.clone();
        }
    });
    shared.release(Op::Apply(a.clone()));
    shared.flush(recorded).await
}

fn recorded_id(shared: &Shared, a: &Address) -> Result<CloudId, StepError> {
    let state = shared.state.lock().expect("state lock");
    state
        .resources
        .get(a)
        .map(|r| r.id.clone())
        .ok_or_else(|| StepError::NotRecorded(a.clone()))
}

async fn destroy(shared: &Shared, a: &Address) -> Result<(), StepError> {
    let id = recorded_id(shared, a)?;
    shared.cloud.delete(a.kind(), &id).await?;
    let recorded = shared.edit(|state| {
        state.resources.remove(a);
    });
    shared.release(Op::Destroy(a.clone()));
    shared.flush(recorded).await
}

async fn destroy_deposed(shared: &Shared, a: &Address) -> Result<(), StepError> {
    let deposed = {
        let state = shared.state.lock().expect("state lock");
        state
            .resources
            .get(a)
            .map(|r| r.deposed.clone())
            .unwrap_or_default()
    };
    for id in deposed {
        shared.cloud.retire(a.kind(), &id).await?;
        shared
            .save(|state| {
                if let Some(r) = state.resources.get_mut(a) {
                    r.deposed.retain(|d| *d != id);
                }
            })
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
