//! `depmod -A`: is `modules.dep` newer than every module file? (tools.md §6)

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::discover::{is_module_file_name, PATH_MAX};
use super::report::{Level, Message};
use super::strerror;

/// Directory names the check never descends into.
const SKIPPED: [&str; 2] = ["build", "source"];

/// `Ok(true)` when no module file under `dir` has a modification time (in whole seconds) later
/// than `dir/modules.dep`'s. `Err` when `modules.dep` cannot be examined (depmod reports it and
/// does the full run).
pub fn is_up_to_date(dir: &Path) -> Result<bool, Message> {
    let dep = dir.join("modules.dep");
    let dep_mtime = fs::metadata(&dep).map(|m| m.mtime()).map_err(|e| {
        Message::new(
            Level::Error,
            format!(
                "could not fstatat({}, modules.dep): {}",
                dir.display(),
                strerror(&e)
            ),
        )
    })?;
    Ok(!any_newer(dir, dep_mtime))
}

/// Whether a module file below `dir` is newer than `mtime` (unreadable parts are skipped).
fn any_newer(dir: &Path, mtime: i64) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if SKIPPED.contains(&name.as_ref()) {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            // The length check ends walks through symbolic link loops.
            if path.as_os_str().len() < PATH_MAX && any_newer(&path, mtime) {
                return true;
            }
        } else if meta.is_file() && is_module_file_name(&name) && meta.mtime() > mtime {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn set_mtime(path: &Path, secs: u64, nanos: u32) {
        let t = SystemTime::UNIX_EPOCH + Duration::new(secs, nanos);
        let f = fs::File::options().write(true).open(path).unwrap();
        f.set_modified(t).unwrap();
    }

    fn file(path: &Path, secs: u64, nanos: u32) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, b"x").unwrap();
        set_mtime(path, secs, nanos);
    }

    #[test]
    fn compares_whole_seconds_of_module_files_only() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        let err = is_up_to_date(d).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "ERROR: could not fstatat({}, modules.dep): No such file or directory",
                d.display()
            )
        );
        file(&d.join("modules.dep"), 1_000, 100);
        file(&d.join("kernel/a.ko"), 900, 0);
        assert_eq!(is_up_to_date(d), Ok(true));
        // Same second, later nanoseconds: still up to date.
        set_mtime(&d.join("kernel/a.ko"), 1_000, 900);
        assert_eq!(is_up_to_date(d), Ok(true));
        // Newer files that are not modules, or below build/, do not count.
        file(&d.join("kernel/x.txt"), 2_000, 0);
        file(&d.join("kernel/b.ko.bak"), 2_000, 0);
        file(&d.join("build/z.ko"), 2_000, 0);
        file(&d.join("modules.order"), 2_000, 0);
        assert_eq!(is_up_to_date(d), Ok(true));
        std::os::unix::fs::symlink("..", d.join("kernel/up")).unwrap();
        assert_eq!(is_up_to_date(d), Ok(true));
        file(&d.join("kernel/sub/c.ko.gz"), 1_001, 0);
        assert_eq!(is_up_to_date(d), Ok(false));
    }
}
