//! Errors in stack.toml, decided before any AWS call. A syntax or type error stops
//! parsing at once; semantic problems are all collected so a person fixes them in
//! one pass instead of one per run.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug)]
pub enum ConfigError {
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        /// The key the error is in, when the text around it parses.
        key: Option<String>,
        message: String,
        /// How many bytes from `column` on the error spans (1 when the parser does
        /// not say).
        width: usize,
        /// The file's text, to show the line.
        text: String,
    },
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
        /// The file's text, to show the lines.
        text: String,
    },
}

impl ConfigError {
    /// The error as a person reads it: each problem with its file, line and column,
    /// the line itself with the key underlined, and a suggestion where there is one.
    /// `color` adds terminal colors.
    pub fn render(&self, color: bool) -> String {
        match self {
            ConfigError::Read { path, source } => {
                format!("error: cannot read {}: {source}", path.display())
            }
            other => crate::diagnostic::render(other, color),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.render(false);
        // Without the leading "error: ": whoever prints an error adds that.
        f.write_str(text.strip_prefix("error: ").unwrap_or(&text))
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Read { source, .. } => Some(source),
            _ => None,
        }
    }
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
