//! The `[repositories]` tables: the ECR repositories of the stack.

use super::problems::Problems;
use super::valid_name;
use crate::schema::Repository;
use std::collections::BTreeMap;

pub(super) fn check(repositories: &BTreeMap<String, Repository>, problems: &mut Problems) {
    for name in repositories.keys() {
        if !valid_name(name, 32) {
            problems.push(
                &format!("repositories.{name}"),
                "repository names are lowercase letters, digits and hyphens, starting with a letter".into(),
            );
        }
    }
}
