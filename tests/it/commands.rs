//! The command-line contract: confirmation rules, exit codes, outputs, validation
//! errors and the state lock, through the real binary.

use crate::support::cli::Workspace;
use crate::support::emulator::Emulator;
use crate::support::images::HELD;
use stackctl::state::lock::{Holder, Lock};
use std::path::Path;
use std::time::Duration;

fn weather(emulator: &Emulator) -> Workspace {
    Workspace::new(
        emulator,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("stack.toml"),
    )
}

#[test]
fn apply_without_a_terminal_refuses_unless_auto_approved() {
    let emulator = Emulator::start();
    let ws = weather(&emulator);
    let run = ws.run(&["apply"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("--auto-approve"), "{}", run.stderr);
    assert!(
        !ws.state_path().exists(),
        "nothing may be created without confirmation"
    );
    let run = ws.run(&["destroy"]);
    assert_eq!(
        run.code, 0,
        "nothing recorded, nothing to confirm: {}",
        run.stderr
    );
    assert!(run.stdout.contains("Nothing to destroy"), "{}", run.stdout);
    // JSON output cannot answer a prompt either, and says so before any AWS call.
    for command in ["apply", "destroy"] {
        let run = ws.run(&[command, "--json"]);
        assert_eq!(run.code, 1, "{command}");
        assert!(
            run.stderr.contains("--json needs --auto-approve"),
            "{}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    }
    assert!(!ws.state_path().exists());
}

#[test]
fn plan_exit_codes_tell_changes_from_no_changes() {
    let emulator = Emulator::start();
    let ws = weather(&emulator);
    let run = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    // The service and its task definition wait for the image, which the new
    // repository cannot hold yet.
    assert!(
        run.stdout.contains(
            "Plan: 24 to add, 0 to change, 0 to destroy; 2 held back until an image is pushed."
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("vpc_id                  = (known after apply)"),
        "{}",
        run.stdout
    );
    assert_eq!(ws.run(&["plan"]).code, 0);
    ws.apply(&[]).ok();
    assert_eq!(ws.run(&["plan", "--detailed-exitcode"]).code, 0);
    // Removing the CDN from stack.toml plans exactly its delete.
    let text = std::fs::read_to_string(&ws.stack)
        .unwrap()
        .replace("enabled = true", "enabled = false");
    std::fs::write(&ws.stack, text).unwrap();
    let run = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stdout
            .contains("  - cloudfront_distribution.main  (no longer in stack.toml)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Plan: 0 to add, 0 to change, 1 to destroy."),
        "{}",
        run.stdout
    );
    ws.run(&["apply", "--auto-approve"]).ok();
    assert_eq!(ws.run(&["plan", "--detailed-exitcode"]).code, 0);
    ws.destroy(&[]).ok();
}

#[test]
fn output_prints_one_value_all_values_or_json() {
    let emulator = Emulator::start();
    let ws = weather(&emulator);
    ws.apply(&[]).ok();
    let url = ws.run(&["output", "url"]).ok().stdout;
    assert!(
        url.starts_with("https://") && url.trim_end().ends_with(".cloudfront.net"),
        "{url}"
    );
    let all: serde_json::Value =
        serde_json::from_str(&ws.run(&["output", "--json"]).ok().stdout).unwrap();
    assert_eq!(all["url"].as_str().unwrap(), url.trim_end());
    assert!(
        all["repository_weather"]
            .as_str()
            .unwrap()
            .ends_with("/weather-weather")
    );
    let missing = ws.run(&["output", "nope"]);
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("load_balancer_dns"),
        "{}",
        missing.stderr
    );
    ws.destroy(&[]).ok();
}

#[test]
fn validate_points_at_the_line_and_calls_no_aws() {
    // No emulator: validate must not need one.
    let dir = std::env::temp_dir().join(format!("stackctl-validate-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let stack = dir.join("stack.toml");
    std::fs::write(
        &stack,
        "[stack]\nname = \"demo\"\nregion = \"eu-west-2\"\n\n[servces.web]\nimage = \"x\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stackctl"))
        .arg("--stack")
        .arg(&stack)
        .arg("validate")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("stack.toml:5:2"), "{stderr}");
    assert!(stderr.contains("servces"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_held_lock_stops_a_second_run_names_its_holder_and_is_taken_over_once_its_run_is_gone() {
    let emulator = Emulator::start();
    let ws = weather(&emulator);
    let lock = ws.dir.join("stack.state.json.lock");
    std::fs::write(
        &lock,
        r#"{"pid":4242,"host":"ci-runner-7","command":"apply","since":0}"#,
    )
    .unwrap();
    let run = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("pid 4242 on ci-runner-7"),
        "{}",
        run.stderr
    );
    assert!(!ws.state_path().exists());
    assert!(lock.exists(), "someone else's lock is never removed");

    // That run is gone: unlock says whose lock it removes.
    let run = ws.run(&["unlock"]).ok();
    assert!(
        run.stdout.contains("pid 4242 on ci-runner-7"),
        "{}",
        run.stdout
    );
    assert!(!lock.exists());
    assert!(ws.run(&["unlock"]).ok().stdout.contains("is not locked"));

    // A run killed on this host: the OS dropped its lock, the next run takes over.
    let dead = Holder {
        pid: 999_999,
        host: stackctl::state::lock::hostname(),
        command: "apply".into(),
        since: 0,
        expires: None,
    };
    std::fs::write(&lock, serde_json::to_string(&dead).unwrap()).unwrap();
    let run = ws.run(&["plan"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // (The first apply holds the service back until its image is pushed: exit 3.)
    let run = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(run.code, HELD, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("took over the lock of `apply` (pid 999999"),
        "{}",
        run.stderr
    );
    assert!(!lock.exists(), "the lock is released when the run ends");
    ws.push_images();

    // A live holder: refused at once, or waited for with --lock-timeout.
    let held = Lock::acquire(&ws.state_path(), "destroy", Duration::ZERO).unwrap();
    let run = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains(&format!("`destroy` (pid {}", std::process::id())),
        "{}",
        run.stderr
    );
    let unlock = ws.run(&["unlock"]);
    assert_eq!(unlock.code, 1, "a live lock is never removed");
    assert!(
        unlock.stderr.contains("still running on this host"),
        "{}",
        unlock.stderr
    );
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(1));
        drop(held);
    });
    let run = ws.run(&["--lock-timeout", "30s", "apply", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    release.join().unwrap();
}

/// Two applies of one stack started together: the one that gets the lock runs, the
/// other refuses at once and names the running one, and the state is the first one's.
#[test]
fn of_two_concurrent_applies_the_second_refuses_and_names_the_first() {
    let emulator = Emulator::start();
    let ws = weather(&emulator);
    let lock = ws.dir.join("stack.state.json.lock");
    let mut first = ws
        .command(&["apply", "--auto-approve"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let holder = format!("\"pid\":{}", first.id());
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&lock).is_ok_and(|t| t.contains(&holder)) {
        assert!(
            std::time::Instant::now() < deadline,
            "the first apply never took the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = ws.run(&["apply", "--auto-approve"]);
    let first_code = first.wait().unwrap().code();
    assert_eq!(second.code, 1, "{}", second.stdout);
    assert!(
        second
            .stderr
            .contains(&format!("`apply` (pid {}", first.id())),
        "{}",
        second.stderr
    );
    // A first apply: everything but the service, which waits for its image.
    assert_eq!(first_code, Some(HELD));
    let plan = ws.run(&["plan"]).ok();
    assert!(
        plan.stdout.trim_end().ends_with(
            "Plan: 0 to add, 0 to change, 0 to destroy; 2 held back until an image is pushed."
        ),
        "{}",
        plan.stdout
    );
}

#[test]
fn quiet_prints_no_progress_and_verbose_shows_every_call_without_colors() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator, &crate::support::cli::example("hello-fargate"));
    // The first apply holds the service back: quiet, it still says what to push, and
    // nothing else.
    let quiet = ws.run(&["-q", "apply", "--auto-approve"]);
    assert_eq!(quiet.code, HELD, "{}\n{}", quiet.stdout, quiet.stderr);
    assert!(
        quiet.stderr.trim_start().starts_with("Held back: ") && !quiet.stderr.contains("creating"),
        "{}",
        quiet.stderr
    );
    assert!(
        quiet.stdout.contains("Apply incomplete"),
        "{}",
        quiet.stdout
    );
    ws.push_images();
    let quiet = ws.run(&["-q", "apply", "--auto-approve"]).ok();
    assert!(quiet.stderr.trim().is_empty(), "{}", quiet.stderr);
    assert!(quiet.stdout.contains("Apply complete"), "{}", quiet.stdout);

    let verbose = ws.run(&["-vv", "plan"]).ok();
    assert!(
        verbose
            .stderr
            .contains("stackctl::aws: EC2 DescribeVpcs vpc.main"),
        "{}",
        verbose.stderr
    );
    assert!(
        verbose.stderr.contains("read 25 recorded resources"),
        "{}",
        verbose.stderr
    );
    assert!(
        !verbose.stderr.contains('\u{1b}'),
        "colors without a terminal"
    );
    let filtered = ws.run_with_env(&[("STACKCTL_LOG", "stackctl::engine=info")], &["plan"]);
    assert!(filtered.stderr.contains("read 25"), "{}", filtered.stderr);
    assert!(
        !filtered.stderr.contains("stackctl::aws"),
        "{}",
        filtered.stderr
    );

    ws.delete_images();
    let normal = ws.run(&["destroy", "--auto-approve"]).ok();
    assert!(normal.stderr.contains("of 25]"), "{}", normal.stderr);
}

/// A step that takes long says so every interval, so a CI log shows the run is alive
/// and what it waits for. The proxy makes the NAT gateway take 2 s and the ALB 3 s.
#[test]
fn a_long_step_reports_that_it_is_still_running() {
    use stackctl_bench::fault_proxy::{FaultProxy, Faults};
    use stackctl_bench::readiness::{Readiness, Timing};
    let emulator = Emulator::start();
    let proxy = FaultProxy::start_with(
        &emulator.endpoint,
        Faults::none(0),
        Some(Readiness::new(Timing::scaled())),
    );
    let mut ws = Workspace::new(&emulator, &crate::support::cli::example("hello-fargate"));
    ws.endpoint = proxy.endpoint.clone();
    // A first apply: the slow steps, and the service held back for its image.
    let run = ws.run_with_env(
        &[("STACKCTL_PROGRESS_INTERVAL", "1s")],
        &["apply", "--auto-approve"],
    );
    assert_eq!(run.code, HELD, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("nat_gateway.nat-0: still creating (1s)")
            || run
                .stderr
                .contains("load_balancer.main: still creating (1s)"),
        "{}",
        run.stderr
    );
    // Reported in order: never after the step's own "created" line.
    let lines: Vec<&str> = run.stderr.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if let Some((address, _)) = line.split_once(": still creating") {
            let done = format!("{address}: created in");
            assert!(
                lines[i..].iter().any(|l| l.starts_with(&done)),
                "{line} after its step finished:\n{}",
                run.stderr
            );
        }
    }
    let bad = ws.run_with_env(
        &[("STACKCTL_PROGRESS_INTERVAL", "soon")],
        &["destroy", "--auto-approve"],
    );
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("STACKCTL_PROGRESS_INTERVAL"),
        "{}",
        bad.stderr
    );
    ws.run(&["destroy", "--auto-approve"]).ok();
}

/// On a terminal, apply shows the live view: the block of steps in flight with "N of
/// M done", redrawn in place, above which finished steps scroll. Run inside a
/// pseudo-terminal (Python's pty module, which the machine has for the emulator).
#[test]
fn the_live_view_redraws_in_a_terminal() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator, &crate::support::cli::example("hello-fargate"));
    const SPAWN: &str = "import os, pty, sys; status = pty.spawn(sys.argv[1:]); \
                         sys.exit(os.waitstatus_to_exitcode(status))";
    let out = std::process::Command::new("python3")
        .args(["-c", SPAWN, env!("CARGO_BIN_EXE_stackctl"), "--stack"])
        .arg(&ws.stack)
        .args(["apply", "--auto-approve"])
        .env("AWS_ENDPOINT_URL", &ws.endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run python3");
    let text = String::from_utf8_lossy(&out.stdout);
    // A first apply: 23 steps, the service and its task definition held back until
    // the image is pushed (exit 3).
    assert_eq!(out.status.code(), Some(HELD), "{text}");
    assert!(text.contains("of 23 done"), "{text}");
    assert!(text.contains("23 of 23 done, 0 in flight"), "{text}");
    // Redrawn in place: the cursor goes back up over the block and erases it.
    assert!(text.contains("F\u{1b}[J"), "{text}");
    assert!(text.contains("vpc.main: created in"), "{text}");
    assert!(
        text.contains("Apply incomplete: 23 added, 0 changed, 0 destroyed; 2 held back."),
        "{text}"
    );
    assert!(
        text.contains("Held back: task_definition.hello, ecs_service.hello."),
        "{text}"
    );
    // Colors on a terminal: the plan's additions are green.
    assert!(text.contains("\u{1b}[32m  + vpc.main"), "{text}");
    ws.run(&["destroy", "--auto-approve"]).ok();
}
