//! ECS Exec (`stackctl exec`): ExecuteCommand opens an SSM session to a container of
//! a running task, and AWS's `session-manager-plugin` carries the terminal over it,
//! as the AWS CLI's `aws ecs execute-command` does (it passes the session, the
//! region, `StartSession`, a profile, the target and the ECS endpoint).
//!
//! What AWS requires (ECS developer guide, "Monitor Amazon ECS containers with ECS
//! Exec"): the service's enableExecuteCommand when the task started (tasks started
//! before keep running without it), the task role allowed to open SSM channels, the
//! task on platform 1.4.0 or later, and the plugin on the caller's machine. The
//! plugin is looked for before anything is asked of AWS: ExecuteCommand opens a
//! session that would otherwise be left dangling.

use serde_json::json;
use std::path::{Path, PathBuf};

/// The plugin's program name.
pub const PLUGIN: &str = "session-manager-plugin";

/// Where to get the plugin.
pub const PLUGIN_URL: &str = "https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html";

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ExecError {
    #[error(
        "`stackctl exec` hands the session to AWS's {PLUGIN}, which is not on PATH: \
         install it ({PLUGIN_URL}), then run this again"
    )]
    NoPlugin,
    #[error(
        "service `{0}` does not have ECS Exec: set `exec = true` in [services.{0}] and \
         apply (its tasks are replaced to get it)"
    )]
    NotEnabled(String),
    #[error("service `{0}` has no running task")]
    NoTask(String),
    #[error(
        "no running task of `{service}` has an id starting with `{prefix}`; running: {running}"
    )]
    NoSuchTask {
        service: String,
        prefix: String,
        running: String,
    },
    #[error(
        "task {0} started before ECS Exec was turned on and cannot take it; tasks started \
         since can (`stackctl status` lists the deployments)"
    )]
    TaskWithoutExec(String),
}

/// The plugin on `path` (a PATH value), if it is there.
pub fn find_plugin(path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path?)
        .map(|dir| dir.join(PLUGIN))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// The session ExecuteCommand opened.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub session_id: String,
    pub stream_url: String,
    pub token_value: String,
}

/// The plugin's arguments, in the order the AWS CLI passes them. Pure.
pub fn plugin_args(
    session: &Session,
    region: &str,
    cluster: &str,
    task_id: &str,
    runtime_id: &str,
    endpoint: &str,
) -> Vec<String> {
    let session = json!({
        "sessionId": session.session_id,
        "streamUrl": session.stream_url,
        "tokenValue": session.token_value,
    });
    let target = json!({ "Target": format!("ecs:{cluster}_{task_id}_{runtime_id}") });
    vec![
        session.to_string(),
        region.to_string(),
        "StartSession".to_string(),
        String::new(),
        target.to_string(),
        endpoint.to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plugin_gets_the_session_region_target_and_endpoint() {
        let session = Session {
            session_id: "ecs-execute-command-0a1b".into(),
            stream_url: "wss://ssmmessages.eu-west-2.amazonaws.com/v1/data-channel/x".into(),
            token_value: "token".into(),
        };
        let args = plugin_args(
            &session,
            "eu-west-2",
            "shop",
            "3f2a9c1d",
            "3f2a9c1d-1234",
            "https://ecs.eu-west-2.amazonaws.com",
        );
        assert_eq!(args[1..4], ["eu-west-2", "StartSession", ""]);
        assert_eq!(args[4], r#"{"Target":"ecs:shop_3f2a9c1d_3f2a9c1d-1234"}"#);
        let sent: serde_json::Value = serde_json::from_str(&args[0]).unwrap();
        assert_eq!(sent["sessionId"], "ecs-execute-command-0a1b");
        assert_eq!(args[5], "https://ecs.eu-west-2.amazonaws.com");
    }

    #[test]
    fn the_plugin_is_found_on_path_only_when_executable() {
        let dir = std::env::temp_dir().join(format!("stackctl-plugin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = std::env::join_paths([dir.clone()]).unwrap();
        assert_eq!(find_plugin(Some(&path)), None);
        let plugin = dir.join(PLUGIN);
        std::fs::write(&plugin, "#!/bin/sh\n").unwrap();
        assert_eq!(find_plugin(Some(&path)), None, "not executable");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(find_plugin(Some(&path)), Some(plugin));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
