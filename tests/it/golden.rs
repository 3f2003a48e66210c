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
    if std::env::var_os("STACKCTL_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{} differs from what stackctl prints (STACKCTL_BLESS=1 rewrites it):\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
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
