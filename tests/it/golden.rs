//! Golden tests: the exact text a person reads, kept in tests/golden/*.txt. A change
//! of wording is a diff in review, never an accident. `STACKCTL_BLESS=1` rewrites the
//! files from what stackctl prints now.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compares `actual` with tests/golden/NAME, or writes it there when blessing.
#[track_caller]
fn assert_golden(name: &str, actual: &str) {
    let path = root().join("tests/golden").join(name);
    if blessing(std::env::var("STACKCTL_BLESS").ok().as_deref()) {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{} differs from what stackctl prints (STACKCTL_BLESS=1 rewrites it):\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

/// Only `STACKCTL_BLESS=1` rewrites the golden files: a variable set to anything else
/// (`0`, `false`, empty, left over in a shell) must never turn the comparison off.
fn blessing(value: Option<&str>) -> bool {
    value == Some("1")
}

#[test]
fn only_bless_1_rewrites_golden_files() {
    assert!(blessing(Some("1")));
    for other in [None, Some(""), Some("0"), Some("false"), Some("yes")] {
        assert!(!blessing(other), "{other:?}");
    }
}

/// `stackctl validate` of tests/golden/NAME.toml from the repository root, so the
/// path in the message is the same everywhere; its exit status and stderr.
fn validate(name: &str) -> (Option<i32>, String) {
    let stack = Path::new("tests/golden").join(format!("{name}.toml"));
    let out = Command::new(env!("CARGO_BIN_EXE_stackctl"))
        .current_dir(root())
        .arg("--stack")
        .arg(&stack)
        .arg("validate")
        .env_remove("NO_COLOR")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .output()
        .expect("run stackctl");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn config_error_an_unknown_key_points_at_it_and_suggests_the_nearest() {
    let (code, stderr) = validate("config-unknown-key");
    assert_eq!(code, Some(1));
    assert_golden("config-unknown-key.txt", &stderr);
}

#[test]
fn config_error_a_syntax_error_points_at_the_line_and_column() {
    let (code, stderr) = validate("config-syntax");
    assert_eq!(code, Some(1));
    assert_golden("config-syntax.txt", &stderr);
}

#[test]
fn config_error_every_problem_is_reported_at_once() {
    let (code, stderr) = validate("config-invalid");
    assert_eq!(code, Some(1));
    assert_golden("config-invalid.txt", &stderr);
}

/// The `--json` event streams of the two applies of a new stack, one after the
/// other: the first ends with a `held` summary (the service and its task definition
/// wait for the image, which the new repository cannot hold yet), the one after the
/// push creates them and ends `ok`. Each normalized where runs differ: times and
/// durations become 0, cloud ids `<id>`, output values `<value>`, and the engine's
/// events (whose order across resources depends on AWS's answers) are grouped by
/// address, each resource's own events in the order they came.
#[tokio::test(flavor = "multi_thread")]
async fn the_json_event_streams_of_a_first_apply_and_the_one_after_the_push() {
    use crate::support::cli::{Workspace, example};
    use crate::support::emulator::Emulator;
    use crate::support::images::HELD;
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator, &example("hello-fargate"));
    let args = ["apply", "--auto-approve", "--json"];
    let env = [("STACKCTL_PROGRESS_INTERVAL", "1h")];
    let first = ws.run_with_env(&env, &args);
    assert_eq!(first.code, HELD, "{}\n{}", first.stdout, first.stderr);
    let mut text = normalized_events(&first.stdout, "held");
    assert!(!ws.push_images().is_empty());
    let second = ws.run_with_env(&env, &args).ok();
    text.push_str(&normalized_events(&second.stdout, "ok"));
    assert_golden("apply-events.jsonl", &text);
}

/// One apply's `--json` stream, which must start with its plan and end with a
/// summary whose result is `result`, in time order; normalized (see above).
#[track_caller]
fn normalized_events(stdout: &str, result: &str) -> String {
    use serde_json::Value;
    let events: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let kind = |v: &Value| v["event"].as_str().unwrap_or_default().to_string();
    assert_eq!(events.first().map(kind).as_deref(), Some("plan"));
    assert_eq!(events.last().map(kind).as_deref(), Some("summary"));
    assert_eq!(events.last().unwrap()["result"], result);
    let times: Vec<f64> = events.iter().map(|e| e["time"].as_f64().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");

    let normalize = |mut v: Value| {
        let map = v.as_object_mut().unwrap();
        for key in ["time", "elapsed"] {
            if map.contains_key(key) {
                map.insert(key.into(), 0.into());
            }
        }
        if map.contains_key("id") {
            map.insert("id".into(), "<id>".into());
        }
        if let Some(Value::Object(outputs)) = map.get_mut("outputs") {
            for value in outputs.values_mut() {
                *value = "<value>".into();
            }
        }
        v
    };
    let mut middle: Vec<Value> = events[1..events.len() - 1]
        .iter()
        .cloned()
        .map(normalize)
        .collect();
    middle.sort_by_key(|v| v["address"].as_str().unwrap_or_default().to_string());
    let mut lines = vec![normalize(events[0].clone())];
    lines.extend(middle);
    lines.push(normalize(events.last().unwrap().clone()));
    lines.iter().map(|v| format!("{v}\n")).collect()
}

/// The plan of a new stack: every resource with its settings, as a person reviews it
/// before the first apply (no terminal: no colors).
#[test]
fn a_plan_of_a_new_stack() {
    use crate::support::cli::{Workspace, example};
    use crate::support::emulator::Emulator;
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator, &example("hello-fargate"));
    let run = ws.run(&["plan"]).ok();
    assert!(!run.stdout.contains('\u{1b}'), "colors without a terminal");
    assert_golden("plan-new-stack.txt", &run.stdout);
}

/// What the two applies of a new stack print without a terminal (a CI log): the
/// first, which holds the service back until its image is pushed and says what to
/// push, and the one after the push. Each: the plan, one line as each step starts and
/// ends, the summary and the outputs, and what to do. Normalized where runs differ:
/// durations, the "N of M" counter, ids and output values; the progress lines, whose
/// order across resources depends on AWS's answers, are grouped by address, each
/// resource's own lines in the order they came.
#[test]
fn the_transcripts_of_a_first_apply_and_the_one_after_the_push_without_a_terminal() {
    use crate::support::cli::{Workspace, example};
    use crate::support::emulator::Emulator;
    use crate::support::images::HELD;
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator, &example("hello-fargate"));
    let args = ["apply", "--auto-approve"];
    let env = [("STACKCTL_PROGRESS_INTERVAL", "1h")];
    let first = ws.run_with_env(&env, &args);
    assert_eq!(first.code, HELD, "{}\n{}", first.stdout, first.stderr);
    let mut text = String::from("=== the first apply (exit 3)\n");
    text.push_str(&transcript(&first));
    assert!(!ws.push_images().is_empty());
    let second = ws.run_with_env(&env, &args).ok();
    text.push_str("=== the apply after the push (exit 0)\n");
    text.push_str(&transcript(&second));
    assert_golden("apply-transcript.txt", &text);
}

/// stdout with its outputs normalized, the progress lines on stderr grouped by
/// address, and what stderr says to do after them (the push commands), as it is.
fn transcript(run: &crate::support::cli::Run) -> String {
    let (progress, to_do) = match run.stderr.split_once("\nHeld back: ") {
        Some((progress, rest)) => (progress.to_string(), format!("Held back: {rest}")),
        None => (run.stderr.clone(), String::new()),
    };
    let mut progress: Vec<(String, String)> = progress
        .lines()
        .map(|line| {
            let (address, rest) = line.split_once(": ").unwrap_or((line, ""));
            (address.to_string(), normalize_progress(rest))
        })
        .collect();
    progress.sort_by(|a, b| a.0.cmp(&b.0));
    let mut text = String::from("--- stdout\n");
    text.push_str(&normalize_ids(&normalize_outputs(&run.stdout)));
    text.push_str("--- stderr, grouped by address\n");
    for (address, rest) in progress {
        text.push_str(&format!("{address}: {rest}\n"));
    }
    if !to_do.is_empty() {
        text.push_str("--- stderr, what to do\n");
        text.push_str(&to_do);
    }
    text
}

/// "created in 0.3s [4 of 21]" -> "created in Ns [N of 21]"; "vpc-0a1b recorded in
/// state" -> "<id> recorded in state".
fn normalize_progress(rest: &str) -> String {
    if let Some((_, tail)) = rest.split_once(" recorded in state") {
        return format!("<id> recorded in state{tail}");
    }
    match rest.split_once(" in ") {
        Some((verb, timing)) if timing.ends_with(']') => {
            let total = timing.rsplit_once(" of ").map(|(_, t)| t).unwrap_or("]");
            format!("{verb} in Ns [N of {total}")
        }
        _ => rest.to_string(),
    }
}

/// The emulator's ids are random hex after a prefix (`sg-2fc5c0f8845d745e1`,
/// `subnet-...`, a target group ARN's `.../hello-hello-b5d6/0e720d8f89cb1f3e`): a run
/// of eight or more hex digits after `-` or `/` becomes `<hex>`. A plan shows them
/// once the objects it refers to exist.
fn normalize_ids(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let after_separator = i > 0 && matches!(chars[i - 1], '-' | '/');
        let end = (i..chars.len())
            .find(|&j| !hex(chars[j]))
            .unwrap_or(chars.len());
        let whole = chars.get(end).is_none_or(|c| !c.is_ascii_alphanumeric());
        if after_separator && end - i >= 8 && whole {
            out.push_str("<hex>");
            i = end;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The values under "Outputs:" differ per run (ids, DNS names): `<value>`.
fn normalize_outputs(stdout: &str) -> String {
    let mut out = String::new();
    let mut in_outputs = false;
    for line in stdout.lines() {
        if line == "Outputs:" {
            in_outputs = true;
        }
        match line.split_once(" = ") {
            Some((key, _)) if in_outputs => out.push_str(&format!("{key} = <value>\n")),
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}
