//! The reference architectures `stackctl init` starts a project from: the examples
//! of this repository, compiled into the binary so that it alone can start one.

/// One reference architecture: a commented stack.toml.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template {
    pub name: &'static str,
    pub text: &'static str,
}

/// Every template, the default first.
pub const ALL: &[Template] = &[
    Template {
        name: "hello-fargate",
        text: include_str!("../examples/hello-fargate/stack.toml"),
    },
    Template {
        name: "flask-api",
        text: include_str!("../examples/flask-api/stack.toml"),
    },
    Template {
        name: "weather",
        text: include_str!("../examples/weather/stack.toml"),
    },
    Template {
        name: "frontend-backend",
        text: include_str!("../examples/frontend-backend/stack.toml"),
    },
    Template {
        name: "blog-cdn",
        text: include_str!("../examples/blog-cdn/stack.toml"),
    },
];

pub const DEFAULT: &str = "hello-fargate";

pub fn find(name: &str) -> Option<&'static Template> {
    ALL.iter().find(|t| t.name == name)
}

impl Template {
    /// What it is, for a listing: the first sentence of its opening comment.
    pub fn summary(&self) -> String {
        let opening: Vec<&str> = self
            .text
            .lines()
            .map_while(|l| l.strip_prefix('#'))
            .map(str::trim)
            .collect();
        let opening = opening.join(" ");
        match opening.find(". ") {
            Some(end) => opening[..=end].to_string(),
            None => opening,
        }
    }

    /// The text with the stack named `name`: the `name = "..."` line of `[stack]` is
    /// rewritten and everything else, comments included, is kept as it is. `name` is
    /// not checked here; the caller validates the result like any stack.toml.
    pub fn named(&self, name: &str) -> String {
        let mut in_stack = false;
        let mut out = String::with_capacity(self.text.len() + name.len());
        for line in self.text.lines() {
            let trimmed = line.trim_start();
            if trimmed.starts_with('[') {
                in_stack = trimmed.starts_with("[stack]");
            }
            match trimmed.strip_prefix("name") {
                Some(rest) if in_stack && rest.trim_start().starts_with('=') => {
                    let value = format!("name = {}", toml_string(name));
                    // A comment after the value stays in its column.
                    match line.find('#') {
                        Some(at) => {
                            let width = at.max(value.len() + 1);
                            out.push_str(&format!("{value:<width$}{}", &line[at..]));
                        }
                        None => out.push_str(&value),
                    }
                }
                _ => out.push_str(line),
            }
            out.push('\n');
        }
        out
    }
}

/// A TOML basic string: quotes and backslashes escaped.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn every_template_is_a_valid_stack_with_a_summary() {
        for t in ALL {
            let parsed = crate::config::parse(Path::new("stack.toml"), t.text, None);
            assert!(parsed.is_ok(), "{}: {:?}", t.name, parsed.err());
            assert!(!t.summary().is_empty(), "{}", t.name);
        }
        assert!(find(DEFAULT).is_some());
    }

    /// A stack's own repositories take immutable tags (`docs/security.md`), so a
    /// template that named `:latest` could never be pushed twice: every service of a
    /// template names a version.
    #[test]
    fn no_template_runs_latest() {
        for t in ALL {
            let v = crate::config::parse(Path::new("stack.toml"), t.text, None).unwrap();
            for (name, service) in &v.config.services {
                let tag = service.image.rsplit_once(':').map(|(_, tag)| tag);
                assert!(
                    tag.is_some_and(|tag| tag != "latest" && !tag.contains('/')),
                    "{}: services.{name}.image = {}",
                    t.name,
                    service.image
                );
            }
        }
    }

    #[test]
    fn naming_rewrites_only_the_stack_name_and_keeps_the_comments() {
        let weather = find("weather").unwrap();
        let text = weather.named("forecast");
        let parsed = crate::config::parse(Path::new("stack.toml"), &text, None).unwrap();
        assert_eq!(parsed.config.stack.name, "forecast");
        assert!(text.contains("# prefixes AWS names; tags every resource"));
        let changed: Vec<(&str, &str)> = weather
            .text
            .lines()
            .zip(text.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(changed.len(), 1, "{changed:?}");
        assert_eq!(weather.text.lines().count(), text.lines().count());
    }

    #[test]
    fn a_name_is_written_as_a_toml_string() {
        assert_eq!(toml_string(r#"a"b\c"#), r#""a\"b\\c""#);
    }
}
