//! How a stack.toml error is shown: for each problem its key, file, line and
//! column, the line itself with the offending key or value underlined, what was
//! expected, and for an unknown key the nearest valid one. annotate-snippets lays it
//! out the way rustc shows compile errors, which people already know how to read.

use crate::error::{ConfigError, Problem};
use annotate_snippets::{Level, Message, Renderer, Snippet};
use std::path::Path;

/// `Syntax` and `Invalid` errors (a `Read` error has no text to show).
pub fn render(err: &ConfigError, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    match err {
        ConfigError::Syntax {
            path,
            line,
            column,
            key,
            message,
            width,
            text,
        } => {
            let origin = path.display().to_string();
            let unknown = unknown_key(message);
            let title = match (key, &unknown) {
                (Some(k), Some(u)) => format!("{k}: unknown key `{}`", u.key),
                (Some(k), None) => format!("{k}: {message}"),
                (None, Some(u)) => format!("unknown key `{}`", u.key),
                (None, None) => message.clone(),
            };
            let at = Located::new(text, *line, *column, *width);
            let label = match &unknown {
                Some(_) => "not a key here".to_string(),
                None => message.clone(),
            };
            let help = unknown.as_ref().and_then(|u| u.nearest());
            let expected = unknown.as_ref().map(|u| u.expected_list());
            let mut msg = Level::Error
                .title(&title)
                .snippet(at.snippet(&origin, &label));
            if let Some(h) = &help {
                msg = msg.footer(Level::Help.title(h));
            }
            if let Some(e) = &expected {
                msg = msg.footer(Level::Note.title(e));
            }
            renderer.render(msg).to_string()
        }
        ConfigError::Invalid {
            path,
            problems,
            text,
        } => {
            let origin = path.display().to_string();
            let mut out: Vec<String> = problems
                .iter()
                .map(|p| render_problem(&renderer, &origin, text, p))
                .collect();
            out.push(summary(path, problems.len()));
            out.join("\n\n")
        }
        ConfigError::Read { path, source } => {
            format!("error: cannot read {}: {source}", path.display())
        }
    }
}

fn render_problem(renderer: &Renderer, origin: &str, text: &str, p: &Problem) -> String {
    let title = format!("{}: {}", p.key, p.message);
    let msg: Message<'_> = Level::Error.title(&title);
    match p.at {
        Some((line, column)) => {
            let last = p.key.rsplit('.').next().unwrap_or(&p.key);
            let at = Located::new(text, line, column, last.len());
            let label = if at.underlines(last) {
                "set here"
            } else {
                "in this table"
            };
            renderer
                .render(msg.snippet(at.snippet(origin, label)))
                .to_string()
        }
        // A problem with a default: no line of the file says it.
        None => renderer
            .render(msg.footer(Level::Note.title(&format!(
                "{origin} does not set it: the default is the problem"
            ))))
            .to_string(),
    }
}

fn summary(path: &Path, n: usize) -> String {
    format!(
        "error: {} has {n} problem{}, all shown above",
        path.display(),
        if n == 1 { "" } else { "s" }
    )
}

/// One line of the file with the columns to underline.
struct Located<'a> {
    line_text: &'a str,
    line: usize,
    span: std::ops::Range<usize>,
}

impl<'a> Located<'a> {
    /// `column` is 1-based, in bytes; `width` is clipped to the line.
    fn new(text: &'a str, line: usize, column: usize, width: usize) -> Self {
        let line_text = text.lines().nth(line.saturating_sub(1)).unwrap_or("");
        // Within the line and on character boundaries (a width in bytes may end
        // inside a multi-byte character).
        let boundary = |mut at: usize| {
            at = at.min(line_text.len());
            while !line_text.is_char_boundary(at) {
                at -= 1;
            }
            at
        };
        let start = boundary(column.saturating_sub(1));
        let end = boundary(start + width.max(1)).max(start);
        Located {
            line_text,
            line,
            span: start..end,
        }
    }

    fn underlines(&self, word: &str) -> bool {
        self.line_text.get(self.span.clone()) == Some(word)
    }

    fn snippet(&self, origin: &'a str, label: &'a str) -> Snippet<'a> {
        Snippet::source(self.line_text)
            .line_start(self.line)
            .origin(origin)
            .annotation(Level::Error.span(self.span.clone()).label(label))
    }
}

/// serde's "unknown field `x`, expected one of `a`, `b`" (or "expected `a`").
struct UnknownKey {
    key: String,
    expected: Vec<String>,
}

fn unknown_key(message: &str) -> Option<UnknownKey> {
    let rest = message.strip_prefix("unknown field `")?;
    let (key, rest) = rest.split_once('`')?;
    let expected = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    Some(UnknownKey {
        key: key.to_string(),
        expected,
    })
}

impl UnknownKey {
    /// "did you mean `image`?" when one valid key is a likely typo of this one.
    fn nearest(&self) -> Option<String> {
        crate::suggest::nearest(&self.key, self.expected.iter().map(String::as_str))
            .map(|best| format!("did you mean `{best}`?"))
    }

    fn expected_list(&self) -> String {
        match self.expected.as_slice() {
            [] => "this table takes no keys".into(),
            keys => format!("valid keys here: {}", keys.join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_underline_never_splits_a_character_or_leaves_the_line() {
        let at = Located::new("name = \"é\"\n", 1, 9, 2);
        assert_eq!(at.span, 8..10);
        let inside = Located::new("é\n", 1, 2, 1);
        assert!(inside.line_text.is_char_boundary(inside.span.start));
        let past = Located::new("ab\n", 1, 9, 5);
        assert_eq!(past.span, 2..2);
    }

    #[test]
    fn far_keys_are_not_suggested() {
        let u = unknown_key("unknown field `imgae`, expected one of `image`, `cpu`").unwrap();
        assert_eq!(u.key, "imgae");
        assert_eq!(u.expected, ["image", "cpu"]);
        assert_eq!(u.nearest().as_deref(), Some("did you mean `image`?"));
        let far = unknown_key("unknown field `colour`, expected one of `image`, `cpu`").unwrap();
        assert_eq!(far.nearest(), None);
        let one = unknown_key("unknown field `x`, expected `image`").unwrap();
        assert_eq!(one.expected, ["image"]);
    }
}
