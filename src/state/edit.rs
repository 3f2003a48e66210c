//! Edits of the state made by hand (`stackctl state rm | mv | push`): pure, so each
//! refusal is decided here and tested without a backend.

use super::{Record, State};
use crate::address::Address;

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum EditError {
    #[error("{address} is not in the state; it has: {}", list(known))]
    NotInState {
        address: Address,
        known: Vec<Address>,
    },
    #[error("{0} is already in the state: `stackctl state rm {0}` first if that record is stale")]
    AlreadyInState(Address),
    #[error("{from} cannot become {to}: a record keeps its kind (the object is a {})", from.kind())]
    OtherKind { from: Address, to: Address },
}

/// Why `state push` refuses a state (each but the stack can be forced).
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum PushRefusal {
    #[error(
        "it is the state of stack `{incoming}`, not `{current}`; push it with that stack's \
         stack.toml"
    )]
    OtherStack { current: String, incoming: String },
    #[error(
        "its lineage {incoming} is not the stored state's ({current}): it is the state of \
         another deployment of this stack. Pushing it would lose track of everything the \
         stored state records; --force does it anyway"
    )]
    OtherLineage { current: String, incoming: String },
    #[error(
        "its serial {incoming} is older than the stored state's ({current}): the stored \
         state has changes this file lacks. `stackctl state pull` shows them; --force \
         pushes anyway"
    )]
    Older { current: u64, incoming: u64 },
    #[error(
        "it has the stored state's serial ({serial}) but other contents: the two were \
         edited apart. --force pushes it anyway"
    )]
    Forked { serial: u64 },
}

fn list(addresses: &[Address]) -> String {
    if addresses.is_empty() {
        return "nothing".into();
    }
    addresses
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn not_in_state(state: &State, address: &Address) -> EditError {
    EditError::NotInState {
        address: address.clone(),
        known: state.resources.keys().cloned().collect(),
    }
}

/// Forgets `address` (the object stays in AWS) and returns its record; None for a
/// create that was started but never recorded (its intent is forgotten).
pub fn remove(state: &mut State, address: &Address) -> Result<Option<Record>, EditError> {
    let intent = state.intents.remove(address);
    match state.resources.remove(address) {
        Some(record) => Ok(Some(record)),
        None if intent.is_some() => Ok(None),
        None => Err(not_in_state(state, address)),
    }
}

/// The records that name `address` as something they need.
pub fn needed_by(state: &State, address: &Address) -> Vec<Address> {
    state
        .resources
        .iter()
        .filter(|(_, r)| r.depends_on.contains(address))
        .map(|(a, _)| a.clone())
        .collect()
}

/// Records the object of `from` under `to`, and points what needed it at the new
/// address, so destroy still orders it right.
pub fn rename(state: &mut State, from: &Address, to: &Address) -> Result<(), EditError> {
    if from.kind() != to.kind() {
        return Err(EditError::OtherKind {
            from: from.clone(),
            to: to.clone(),
        });
    }
    if state.resources.contains_key(to) || state.intents.contains_key(to) {
        return Err(EditError::AlreadyInState(to.clone()));
    }
    let record = state
        .resources
        .remove(from)
        .ok_or_else(|| not_in_state(state, from))?;
    state.resources.insert(to.clone(), record);
    for r in state.resources.values_mut() {
        for d in r.depends_on.iter_mut().filter(|d| *d == from) {
            *d = to.clone();
        }
    }
    for i in state.intents.values_mut() {
        for d in i.depends_on.iter_mut().filter(|d| *d == from) {
            *d = to.clone();
        }
    }
    Ok(())
}

/// Whether `incoming` may replace `current` (None: no state stored yet).
pub fn check_push(
    current: Option<&State>,
    incoming: &State,
    force: bool,
) -> Result<(), PushRefusal> {
    let Some(current) = current else {
        return Ok(());
    };
    if current.stack != incoming.stack {
        return Err(PushRefusal::OtherStack {
            current: current.stack.clone(),
            incoming: incoming.stack.clone(),
        });
    }
    if force {
        return Ok(());
    }
    if current.lineage != incoming.lineage {
        return Err(PushRefusal::OtherLineage {
            current: current.lineage.clone(),
            incoming: incoming.lineage.clone(),
        });
    }
    if incoming.serial < current.serial {
        return Err(PushRefusal::Older {
            current: current.serial,
            incoming: incoming.serial,
        });
    }
    if incoming.serial == current.serial
        && (incoming.resources != current.resources || incoming.intents != current.intents)
    {
        return Err(PushRefusal::Forked {
            serial: current.serial,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::CloudId;

    fn a(s: &str) -> Address {
        s.parse().unwrap()
    }

    fn record(id: &str, deps: &[&str]) -> Record {
        Record {
            id: CloudId::new(id),
            spec: serde_json::json!({}),
            attrs: Default::default(),
            outputs: Default::default(),
            depends_on: deps.iter().map(|d| a(d)).collect(),
            deposed: vec![],
        }
    }

    fn state() -> State {
        let mut s = State::new("web");
        s.serial = 5;
        s.resources.insert(a("vpc.main"), record("vpc-1", &[]));
        s.resources
            .insert(a("subnet.public-0"), record("subnet-1", &["vpc.main"]));
        s
    }

    #[test]
    fn rm_forgets_one_record_and_names_what_is_there_when_missing() {
        let mut s = state();
        assert_eq!(needed_by(&s, &a("vpc.main")), vec![a("subnet.public-0")]);
        let gone = remove(&mut s, &a("subnet.public-0")).unwrap().unwrap();
        assert_eq!(gone.id, CloudId::new("subnet-1"));
        s.intents.insert(
            a("log_group.web"),
            crate::state::Intent::new(serde_json::json!({}), vec![]),
        );
        assert_eq!(remove(&mut s, &a("log_group.web")), Ok(None));
        assert!(s.intents.is_empty());
        assert_eq!(s.resources.len(), 1);
        let err = remove(&mut s, &a("subnet.public-0")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "subnet.public-0 is not in the state; it has: vpc.main"
        );
    }

    #[test]
    fn mv_keeps_the_object_and_repoints_what_needed_it() {
        let mut s = state();
        rename(&mut s, &a("vpc.main"), &a("vpc.core")).unwrap();
        assert_eq!(s.resources[&a("vpc.core")].id, CloudId::new("vpc-1"));
        assert!(!s.resources.contains_key(&a("vpc.main")));
        assert_eq!(
            s.resources[&a("subnet.public-0")].depends_on,
            vec![a("vpc.core")]
        );
        assert!(matches!(
            rename(&mut s, &a("vpc.core"), &a("subnet.x")),
            Err(EditError::OtherKind { .. })
        ));
        assert_eq!(
            rename(&mut s, &a("subnet.public-0"), &a("subnet.public-0")),
            Err(EditError::AlreadyInState(a("subnet.public-0")))
        );
        assert!(matches!(
            rename(&mut s, &a("vpc.nope"), &a("vpc.other")),
            Err(EditError::NotInState { .. })
        ));
    }

    #[test]
    fn push_refuses_another_lineage_an_older_serial_and_a_fork_unless_forced() {
        let current = state();
        let mut newer = current.clone();
        newer.serial = 6;
        assert_eq!(check_push(Some(&current), &newer, false), Ok(()));
        assert_eq!(check_push(None, &newer, false), Ok(()));
        assert_eq!(check_push(Some(&current), &current.clone(), false), Ok(()));

        let mut older = current.clone();
        older.serial = 4;
        assert_eq!(
            check_push(Some(&current), &older, false),
            Err(PushRefusal::Older {
                current: 5,
                incoming: 4
            })
        );
        assert_eq!(check_push(Some(&current), &older, true), Ok(()));

        let mut other = newer.clone();
        other.lineage = "another".into();
        assert!(matches!(
            check_push(Some(&current), &other, false),
            Err(PushRefusal::OtherLineage { .. })
        ));
        assert_eq!(check_push(Some(&current), &other, true), Ok(()));

        let mut fork = current.clone();
        fork.resources.remove(&a("vpc.main"));
        assert_eq!(
            check_push(Some(&current), &fork, false),
            Err(PushRefusal::Forked { serial: 5 })
        );

        let mut stranger = newer.clone();
        stranger.stack = "api".into();
        assert!(matches!(
            check_push(Some(&current), &stranger, true),
            Err(PushRefusal::OtherStack { .. })
        ));
    }
}
