//! The dependency graph over addresses. Apply order is a topological order of it;
//! destroy order is the same graph with its edges reversed, never written by hand.

use crate::address::Address;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GraphError {
    #[error("dependency cycle: {}", .0.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(" -> "))]
    Cycle(Vec<Address>),
}

/// Nodes with their dependencies. Edges to addresses outside the graph are ignored:
/// those dependencies are satisfied already (unchanged, or not part of this walk).
#[derive(Debug, Clone, Default)]
pub struct Graph {
    deps: BTreeMap<Address, BTreeSet<Address>>,
}

impl Graph {
    pub fn new(nodes: impl IntoIterator<Item = (Address, Vec<Address>)>) -> Self {
        let deps: BTreeMap<Address, BTreeSet<Address>> = nodes
            .into_iter()
            .map(|(a, d)| (a, d.into_iter().collect()))
            .collect();
        let known: BTreeSet<Address> = deps.keys().cloned().collect();
        let deps = deps
            .into_iter()
            .map(|(a, d)| {
                let d = d
                    .into_iter()
                    .filter(|x| known.contains(x) && *x != a)
                    .collect();
                (a, d)
            })
            .collect();
        Graph { deps }
    }

    pub fn dependencies(&self, a: &Address) -> impl Iterator<Item = &Address> {
        self.deps.get(a).into_iter().flatten()
    }

    pub fn nodes(&self) -> impl Iterator<Item = &Address> {
        self.deps.keys()
    }

    /// The same nodes with every edge turned around: what must go before what on destroy.
    pub fn reversed(&self) -> Graph {
        let mut rev: BTreeMap<Address, BTreeSet<Address>> = self
            .deps
            .keys()
            .map(|a| (a.clone(), BTreeSet::new()))
            .collect();
        for (a, ds) in &self.deps {
            for d in ds {
                rev.entry(d.clone()).or_default().insert(a.clone());
            }
        }
        Graph { deps: rev }
    }

    /// Nodes in waves: each wave depends only on earlier waves. Within a wave, address
    /// order, so output is stable.
    pub fn waves(&self) -> Result<Vec<Vec<Address>>, GraphError> {
        let mut remaining: BTreeMap<&Address, usize> =
            self.deps.iter().map(|(a, d)| (a, d.len())).collect();
        let dependents = self.reversed();
        let mut waves = Vec::new();
        while !remaining.is_empty() {
            let wave: Vec<Address> = remaining
                .iter()
                .filter(|(_, n)| **n == 0)
                .map(|(a, _)| (*a).clone())
                .collect();
            if wave.is_empty() {
                return Err(GraphError::Cycle(self.find_cycle(&remaining)));
            }
            for a in &wave {
                remaining.remove(a);
                for d in dependents.dependencies(a) {
                    if let Some(n) = remaining.get_mut(d) {
                        *n -= 1;
                    }
                }
            }
            waves.push(wave);
        }
        Ok(waves)
    }

    pub fn order(&self) -> Result<Vec<Address>, GraphError> {
        Ok(self.waves()?.into_iter().flatten().collect())
    }

    fn find_cycle(&self, remaining: &BTreeMap<&Address, usize>) -> Vec<Address> {
        // Every remaining node has a remaining dependency: follow them until one repeats.
        let mut path: Vec<Address> = Vec::new();
        let mut current = (*remaining.keys().next().expect("non-empty")).clone();
        loop {
            if let Some(pos) = path.iter().position(|a| *a == current) {
                let mut cycle = path[pos..].to_vec();
                cycle.push(current);
                return cycle;
            }
            path.push(current.clone());
            let next = self
                .dependencies(&current)
                .find(|d| remaining.contains_key(d))
                .expect("a node left in a cycle has a dependency left")
                .clone();
            current = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Address {
        s.parse().unwrap()
    }

    #[test]
    fn waves_respect_dependencies_and_reverse_flips_them() {
        let g = Graph::new([
            (a("vpc.main"), vec![]),
            (a("subnet.public-0"), vec![a("vpc.main")]),
            (a("subnet.public-1"), vec![a("vpc.main")]),
            (
                a("load_balancer.main"),
                vec![a("subnet.public-0"), a("subnet.public-1")],
            ),
            (a("ecs_cluster.main"), vec![a("iam_role.outside")]),
        ]);
        assert_eq!(
            g.waves().unwrap(),
            vec![
                vec![a("vpc.main"), a("ecs_cluster.main")],
                vec![a("subnet.public-0"), a("subnet.public-1")],
                vec![a("load_balancer.main")],
            ]
        );
        assert_eq!(
            g.reversed().order().unwrap(),
            vec![
                a("ecs_cluster.main"),
                a("load_balancer.main"),
                a("subnet.public-0"),
                a("subnet.public-1"),
                a("vpc.main"),
            ]
        );
    }

    #[test]
    fn a_cycle_is_reported_with_its_path() {
        let g = Graph::new([
            (a("vpc.x"), vec![a("subnet.y")]),
            (a("subnet.y"), vec![a("vpc.x")]),
        ]);
        let GraphError::Cycle(path) = g.waves().unwrap_err();
        assert_eq!(path.first(), path.last());
        assert_eq!(path.len(), 3);
    }
}
