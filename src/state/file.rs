//! Reading and writing the state file crash-safe: the new state goes to a temporary
//! file that is fsynced and renamed over the old one (rename is atomic), and the
//! previous version is kept as `<file>.backup`. A file that cannot be read is never
//! overwritten.

use super::error::StateError;
use super::location::Location;
use super::{FORMAT_VERSION, State};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Loads the state, or `None` when there is no file yet.
pub fn load(path: &Path, stack: &str) -> Result<Option<State>, StateError> {
    let at = || Location::Local(path.to_path_buf());
    match fs::read_to_string(path) {
        Ok(text) => parse(&text, at(), stack).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(StateError::Read {
            at: at(),
            cause: source,
        }),
    }
}

/// Parses a state document from any backend: migrates an older format, refuses a
/// newer one and the state of another stack.
pub fn parse(text: &str, at: Location, stack: &str) -> Result<State, StateError> {
    let state = parse_any(text, at.clone())?;
    if state.stack != stack {
        return Err(StateError::OtherStack {
            at,
            found: state.stack,
            expected: stack.to_string(),
        });
    }
    Ok(state)
}

/// Parses a state document of whichever stack (`state push` compares it itself).
pub fn parse_any(text: &str, at: Location) -> Result<State, StateError> {
    let mut doc: serde_json::Value =
        serde_json::from_str(text).map_err(|source| StateError::Corrupt {
            at: at.clone(),
            cause: source,
        })?;
    if let Some(found) = doc.get("version").and_then(|v| v.as_u64()) {
        if found > u64::from(FORMAT_VERSION) {
            return Err(StateError::TooNew {
                at,
                found: found as u32,
            });
        }
        super::migrate::migrate(&mut doc, found as u32);
    }
    serde_json::from_value(doc).map_err(|source| StateError::Corrupt { at, cause: source })
}

/// The document as written: pretty JSON, one trailing newline.
pub fn render(state: &State) -> String {
    let mut text = serde_json::to_string_pretty(state).expect("state serializes");
    text.push('\n');
    text
}

/// Writes `state` as it is (the caller has set its serial).
pub fn save(path: &Path, state: &State) -> Result<(), StateError> {
    let err = |source| StateError::Write {
        at: Location::Local(path.to_path_buf()),
        cause: source,
    };
    let text = render(state);
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
        s.serial = 1;
        save(&path, &s).unwrap();
        s.serial = 2;
        save(&path, &s).unwrap();
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
        state.serial += 1;
        save(&path, &state).unwrap();
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
