//! Runs the real stackctl binary against an emulator, the way a person or CI would.

use super::emulator::Emulator;
use stackctl::state::State;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "stackctl failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// The stack.toml of one of the examples.
pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
        .join("stack.toml")
}

/// A working directory with one stack file and its state, for one test.
pub struct Workspace {
    pub dir: PathBuf,
    pub stack: PathBuf,
    pub endpoint: String,
}

impl Workspace {
    pub fn new(emulator: &Emulator, stack_toml: &Path) -> Workspace {
        let dir = std::env::temp_dir().join(format!("stackctl-it-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let stack = dir.join("stack.toml");
        std::fs::copy(stack_toml, &stack).unwrap();
        Workspace {
            dir,
            stack,
            endpoint: emulator.endpoint.clone(),
        }
    }

    /// A working directory with no stack file yet (for `stackctl init`).
    pub fn empty(emulator: &Emulator) -> Workspace {
        let dir = std::env::temp_dir().join(format!("stackctl-it-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        Workspace {
            stack: dir.join("stack.toml"),
            dir,
            endpoint: emulator.endpoint.clone(),
        }
    }

    pub fn state_path(&self) -> PathBuf {
        self.dir.join("stack.state.json")
    }

    pub fn state(&self) -> State {
        serde_json::from_str(&std::fs::read_to_string(self.state_path()).unwrap()).unwrap()
    }

    /// Rewrites stack.toml, replacing `from` (which must be there) with `to`.
    #[track_caller]
    pub fn edit(&self, from: &str, to: &str) {
        let text = std::fs::read_to_string(&self.stack).unwrap();
        assert!(text.contains(from), "stack.toml has no `{from}`:\n{text}");
        std::fs::write(&self.stack, text.replacen(from, to, 1)).unwrap();
    }

    /// A second working directory on the same emulator with a copy of this stack.toml
    /// and no state: another machine, or a CI runner with a fresh checkout.
    pub fn elsewhere(&self) -> Workspace {
        let dir = std::env::temp_dir().join(format!("stackctl-it-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let stack = dir.join("stack.toml");
        std::fs::copy(&self.stack, &stack).unwrap();
        Workspace {
            dir,
            stack,
            endpoint: self.endpoint.clone(),
        }
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_env(&[], args)
    }

    /// `run` with extra environment variables (fault injection switches).
    pub fn run_with_env(&self, env: &[(&str, &str)], args: &[&str]) -> Run {
        let out: Output = self
            .command(args)
            .envs(env.iter().copied())
            .output()
            .expect("run stackctl");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Workspace {
    /// stackctl with `args`, set up for this workspace and the emulator.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_stackctl"));
        cmd.arg("--stack")
            .arg(&self.stack)
            .args(args)
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_REGION")
            .env_remove("AWS_DEFAULT_REGION")
            .stdin(Stdio::null());
        cmd
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
