//! What a plan does to one resource. The glyph belongs to the action, so every
//! renderer shows the same symbol.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    NoOp,
    Create,
    Update,
    Replace,
    Delete,
}

impl Action {
    pub fn glyph(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
        }
    }

    /// The verb for progress lines ("creating", "created").
    pub fn verb(self) -> (&'static str, &'static str) {
        match self {
            Action::NoOp => ("reading", "read"),
            Action::Create => ("creating", "created"),
            Action::Update => ("updating", "updated"),
            Action::Replace => ("replacing", "replaced"),
            Action::Delete => ("destroying", "destroyed"),
        }
    }
}
