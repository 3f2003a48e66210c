//! The problems the checks find, collected in one list so stack.toml reports all of
//! them at once.

use crate::error::Problem;

/// The problems found so far, in the order the checks find them: problems at the
/// same place in the file (or at none) are shown in this order.
#[derive(Debug, Default)]
pub(super) struct Problems(Vec<Problem>);

impl Problems {
    /// Records a problem with `key` (`services.web.cpu`); it is located in the file
    /// later, once every check has run.
    pub(super) fn push(&mut self, key: &str, message: String) {
        self.0.push(Problem {
            key: key.to_string(),
            message,
            at: None,
        });
    }

    pub(super) fn into_vec(self) -> Vec<Problem> {
        self.0
    }
}
