//! Reading and writing the state file crash-safe: the new state goes to a temporary
//! file that is fsynced and renamed over the old one (rename is atomic), and the
//! previous version is kept as `<file>.backup`. A file that cannot be read is never
//! overwritten.

use super::{FORMAT_VERSION, State};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read state file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("state file {} is not valid stackctl state ({source}); it was left untouched — restore it from {}.backup or fix it by hand", path.display(), path.display())]
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("state file {} has format version {found}, newer than this stackctl understands ({FORMAT_VERSION}); upgrade stackctl", path.display())]
    TooNew { path: PathBuf, found: u32 },
    #[error("state file {} belongs to stack `{found}`, not `{expected}`; use --state to point at this stack's state", path.display())]
    OtherStack {
        path: PathBuf,
        found: String,
        expected: String,
    },
    #[error("cannot write state file {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Loads the state, or `None` when there is no file yet.
pub fn load(path: &Path, stack: &str) -> Result<Option<State>, StateError> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StateError::Read {
                path: path.into(),
                source,
            });
        }
    };
    let mut doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|source| StateError::Corrupt {
            path: path.into(),
            source,
        })?;
    if let Some(found) = doc.get("version").and_then(|v| v.as_u64()) {
        if found > u64::from(FORMAT_VERSION) {
            return Err(StateError::TooNew {
                path: path.into(),
                found: found as u32,
            });
        }
        super::migrate::migrate(&mut doc, found as u32);
    }
    let state: State = serde_json::from_value(doc).map_err(|source| StateError::Corrupt {
        path: path.into(),
        source,
    })?;
    if state.stack != stack {
        return Err(StateError::OtherStack {
            path: path.into(),
            found: state.stack,
            expected: stack.to_string(),
        });
    }
    Ok(Some(state))
}

/// Writes `state` with the next serial.
pub fn save(path: &Path, state: &mut State) -> Result<(), StateError> {
    state.serial += 1;
    let err = |source| StateError::Write {
        path: path.into(),
        source,
    };
    let mut text = serde_json::to_string_pretty(state).expect("state serializes");
    text.push('\n');
    let tmp = path.with_extension("tmp");
    {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&tmp).map_err(err)?;
        f.write_all(text.as_bytes()).map_err(err)?;
        f.sync_all().map_err(err)?;
    }
    if path.exists() {
        fs::copy(path, backup_path(path)).map_err(err)?;
    }
    fs::rename(&tmp, path).map_err(err)?;
    // The rename is durable only once the directory entry is.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(())
}

pub fn backup_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".backup");
    PathBuf::from(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_then_load_round_trips_and_keeps_a_backup() {
        let dir = std::env::temp_dir().join(format!("stackctl-state-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.json");
        let mut s = State::new("demo");
        save(&path, &mut s).unwrap();
        save(&path, &mut s).unwrap();
        let loaded = load(&path, "demo").unwrap().unwrap();
        assert_eq!(loaded.serial, 2);
        assert_eq!(loaded.lineage, s.lineage);
        let backup: State =
            serde_json::from_str(&fs::read_to_string(backup_path(&path)).unwrap()).unwrap();
        assert_eq!(backup.serial, 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_corrupt_file_is_an_error_and_stays_untouched() {
        let dir = std::env::temp_dir().join(format!("stackctl-state-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.json");
        fs::write(&path, "{ not json").unwrap();
        assert!(matches!(
            load(&path, "demo"),
            Err(StateError::Corrupt { .. })
        ));
        assert_eq!(fs::read_to_string(&path).unwrap(), "{ not json");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_older_format_is_migrated_on_load_and_kept_as_the_backup_on_save() {
        let dir = std::env::temp_dir().join(format!("stackctl-state-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.json");
        let v1 = r#"{"version":1,"lineage":"l","serial":7,"stack":"demo","resources":{
            "task_definition.web":{"id":"arn:td/web:1","spec":{},"depends_on":[],
              "outputs":{"id":"arn:td/web:1"},
              "attrs":{"cpu":"256","container":{"name":"web","image":"nginx:1"}}}}}"#;
        fs::write(&path, v1).unwrap();
        let mut state = load(&path, "demo").unwrap().unwrap();
        assert_eq!(state.version, FORMAT_VERSION);
        let td = &state.resources[&"task_definition.web".parse().unwrap()];
        assert_eq!(td.attrs["image"], serde_json::json!("nginx:1"));
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            v1,
            "loading never writes"
        );
        save(&path, &mut state).unwrap();
        assert_eq!(fs::read_to_string(backup_path(&path)).unwrap(), v1);
        assert_eq!(load(&path, "demo").unwrap().unwrap().serial, 8);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_newer_format_is_refused_and_stays_untouched() {
        let dir = std::env::temp_dir().join(format!("stackctl-state-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.json");
        let future = r#"{"version":99,"lineage":"l","serial":1,"stack":"demo","resources":{}}"#;
        fs::write(&path, future).unwrap();
        let err = load(&path, "demo").unwrap_err();
        assert!(matches!(err, StateError::TooNew { found: 99, .. }), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), future);
        fs::remove_dir_all(dir).unwrap();
    }
}
