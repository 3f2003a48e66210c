//! Colors for a person at a terminal: never in a file, a pipe or CI's log, never
//! under NO_COLOR (https://no-color.org) or `--no-color`. Text is made plain and
//! colored afterwards, so what scripts and golden tests see is the same text.

use std::io::IsTerminal;

/// Whether to color what goes to stdout (`stderr == false`) or stderr.
pub fn wanted(no_color: bool, stderr: bool) -> bool {
    let terminal = if stderr {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    };
    terminal && !no_color && std::env::var_os("NO_COLOR").is_none()
}

const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";
const MAGENTA: &str = "\x1b[35m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// A plan's text with each resource's line in the color of its action (create green,
/// update yellow, delete red, replace magenta), and warnings and the summary stressed.
pub fn plan(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let style = if body.starts_with("  -/+ ") || body.starts_with("  +/- ") {
            Some(MAGENTA)
        } else if body.starts_with("  + ") {
            Some(GREEN)
        } else if body.starts_with("  ~ ") {
            Some(YELLOW)
        } else if body.starts_with("  - ") {
            Some(RED)
        } else if body.starts_with("Warning:") {
            Some(YELLOW)
        } else if body.starts_with("Plan:") || body.starts_with("No changes.") {
            Some(BOLD)
        } else {
            None
        };
        match style {
            Some(s) => {
                out.push_str(s);
                out.push_str(body);
                out.push_str(RESET);
            }
            None => out.push_str(body),
        }
        out.push_str(newline);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_action_has_its_color_and_the_rest_stays_plain() {
        let text = "  + vpc.main\n      cidr = \"10.0.0.0/16\"\n  ~ listener.http  (in place)\n  -/+ target_group.web\n  - subnet.old\n\nPlan: 1 to add, 1 to change, 2 to destroy.\n";
        let colored = plan(text);
        assert!(colored.contains("\x1b[32m  + vpc.main\x1b[0m\n"));
        assert!(colored.contains("      cidr = \"10.0.0.0/16\"\n"));
        assert!(colored.contains("\x1b[33m  ~ listener.http  (in place)\x1b[0m"));
        assert!(colored.contains("\x1b[35m  -/+ target_group.web\x1b[0m"));
        assert!(colored.contains("\x1b[31m  - subnet.old\x1b[0m"));
        assert!(colored.contains("\x1b[1mPlan: 1 to add"));
        // Without the codes, the same text.
        let plain = colored
            .replace(GREEN, "")
            .replace(YELLOW, "")
            .replace(RED, "")
            .replace(MAGENTA, "")
            .replace(BOLD, "")
            .replace(RESET, "");
        assert_eq!(plain, text);
    }
}
