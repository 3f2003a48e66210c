//! Errors in stack.toml, decided before any AWS call. A syntax or type error stops
//! parsing at once; semantic problems are all collected so a person fixes them in
//! one pass instead of one per run.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {}{message}", path.display(), key.as_ref().map(|k| format!("{k}: ")).unwrap_or_default())]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        /// The key the error is in, when the text around it parses.
        key: Option<String>,
        message: String,
    },
    #[error("{} has {} problem{}:\n{}", path.display(), problems.len(), if problems.len() == 1 { "" } else { "s" }, Problems { path, problems })]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

/// One semantic problem: the key it is about (`services.web.cpu`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub message: String,
    /// Line and column of the key in the file; None when neither it nor any table
    /// above it is written (the problem is with a default).
    pub at: Option<(usize, usize)>,
}

struct Problems<'a> {
    path: &'a std::path::Path,
    problems: &'a [Problem],
}

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match p.at {
                Some((line, column)) => write!(
                    f,
                    "  - {}:{line}:{column}: {}: {}",
                    self.path.display(),
                    p.key,
                    p.message
                )?,
                None => write!(f, "  - {}: {}: {}", self.path.display(), p.key, p.message)?,
            }
        }
        Ok(())
    }
}
