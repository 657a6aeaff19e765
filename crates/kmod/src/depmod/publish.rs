//! Crash-safe output: each file is written under a temporary name in its final directory and
//! renamed over the final name, so readers see the old or the new file, never a partial one.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Why a file could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The temporary file could not be created (worded like depmod's failing `openat`, with
    /// the flags `O_WRONLY|O_CREAT|O_EXCL` and mode in octal).
    #[error("openat({}, {}, 301, 644): {}", dir.display(), name, super::strerror(source))]
    Create {
        /// The output directory.
        dir: PathBuf,
        /// The temporary file's name.
        name: String,
        /// The system error.
        source: io::Error,
    },
    /// Writing failed (disk full, I/O error).
    #[error(
        "Could not create index '{name}'. Output is truncated: {}",
        super::strerror(source)
    )]
    Write {
        /// The output file name.
        name: String,
        /// The system error.
        source: io::Error,
    },
    /// The temporary file could not be renamed over the final name.
    #[error("could not rename {} to {}: {}", from.display(), to.display(), super::strerror(source))]
    Rename {
        /// The temporary file.
        from: PathBuf,
        /// The final name.
        to: PathBuf,
        /// The system error.
        source: io::Error,
    },
}

/// A temporary name for `name`, unique to this process and moment.
fn temp_name(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(".{name}.{}.{nanos}.tmp", std::process::id())
}

/// Writes `data` to `dir/name` through a temporary file (mode 0644 before umask) and a rename.
/// On failure the temporary file is removed and the old file, if any, is left untouched.
pub fn publish(dir: &Path, name: &str, data: &[u8]) -> Result<(), PublishError> {
    let tmp_name = temp_name(name);
    let tmp = dir.join(&tmp_name);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(&tmp)
        .map_err(|source| PublishError::Create {
            dir: dir.to_path_buf(),
            name: tmp_name.clone(),
            source,
        })?;
    if let Err(source) = file.write_all(data).and_then(|()| file.flush()) {
        drop(file);
        let _ = fs::remove_file(&tmp);
        return Err(PublishError::Write {
            name: name.to_string(),
            source,
        });
    }
    drop(file);
    let dest = dir.join(name);
    fs::rename(&tmp, &dest).map_err(|source| {
        let _ = fs::remove_file(&tmp);
        PublishError::Rename {
            from: tmp.clone(),
            to: dest.clone(),
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn replaces_atomically_and_leaves_no_temp_file() {
        let t = tempfile::tempdir().unwrap();
        fs::write(t.path().join("modules.dep"), b"old").unwrap();
        publish(t.path(), "modules.dep", b"new\n").unwrap();
        assert_eq!(fs::read(t.path().join("modules.dep")).unwrap(), b"new\n");
        let names: Vec<_> = fs::read_dir(t.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["modules.dep"]);
        publish(t.path(), "fresh.bin", b"").unwrap();
        let mode = fs::metadata(t.path().join("fresh.bin"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o600, 0o600);
        assert_eq!(mode & 0o111, 0);
    }

    #[test]
    fn failure_keeps_the_old_file() {
        let t = tempfile::tempdir().unwrap();
        let missing = t.path().join("nope");
        let err = publish(&missing, "modules.dep", b"x").unwrap_err();
        assert!(matches!(err, PublishError::Create { .. }));
        assert!(
            err.to_string().ends_with("No such file or directory"),
            "{err}"
        );
        // A directory in the way of the final name: rename fails, temp file cleaned up.
        fs::create_dir(t.path().join("modules.alias")).unwrap();
        fs::write(t.path().join("modules.alias/x"), b"").unwrap();
        let err = publish(t.path(), "modules.alias", b"x").unwrap_err();
        assert!(matches!(err, PublishError::Rename { .. }), "{err}");
        assert_eq!(fs::read_dir(t.path()).unwrap().count(), 1);
    }
}
