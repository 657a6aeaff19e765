//! What the running kernel says about a module, as modprobe asks it: is it loaded, how many users
//! does it have, which modules hold it. Planning never asks; the runners ask right before each
//! step, like kmod.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use super::exec::Errno;
use crate::kernel::{InitState, Kernel, Syscalls};

/// A failure to read the kernel's view of a module, worded as kmod words it.
#[derive(Debug, thiserror::Error)]
#[error("could not open '{}': {errno}", path.display())]
pub struct StateError {
    /// What could not be read.
    pub path: PathBuf,
    /// Why.
    pub errno: Errno,
}

/// The running kernel's module state. Built-in modules are known from `modules.builtin` and
/// never asked about. Names are bytes (they may come from configuration).
pub trait KernelState {
    /// The state of module `name`, `None` if it is not loaded (or its state is unreadable).
    /// Only [`InitState::Live`] counts as "in the kernel" for insertion.
    fn initstate(&self, name: &[u8]) -> Option<InitState>;
    /// Its reference count, `None` if unknown (not loaded).
    fn refcnt(&self, name: &[u8]) -> Option<u64>;
    /// The modules holding it (`/sys/module/<name>/holders`).
    fn holders(&self, name: &[u8]) -> Result<Vec<String>, StateError>;
}

/// A kernel with no modules loaded (for `--show-depends` and tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct NothingLoaded;

impl KernelState for NothingLoaded {
    fn initstate(&self, _name: &[u8]) -> Option<InitState> {
        None
    }

    fn refcnt(&self, _name: &[u8]) -> Option<u64> {
        None
    }

    fn holders(&self, _name: &[u8]) -> Result<Vec<String>, StateError> {
        Ok(Vec::new())
    }
}

/// The real kernel's state, read from sysfs by [`Kernel`]. A name that is not valid UTF-8 (only
/// configuration can make one) names no loaded module: the kernel's module names are those of
/// module files, which depmod indexes as text.
impl<S: Syscalls> KernelState for Kernel<S> {
    fn initstate(&self, name: &[u8]) -> Option<InitState> {
        let name = std::str::from_utf8(name).ok()?;
        Kernel::initstate(self, name).ok().flatten()
    }

    fn refcnt(&self, name: &[u8]) -> Option<u64> {
        let name = std::str::from_utf8(name).ok()?;
        Kernel::refcnt(self, name).ok()
    }

    fn holders(&self, name: &[u8]) -> Result<Vec<String>, StateError> {
        let error = |errno: i32| StateError {
            path: self
                .sys_root()
                .join("module")
                .join(OsStr::from_bytes(name))
                .join("holders"),
            errno: Errno(errno),
        };
        const ENOENT: i32 = 2;
        let text = std::str::from_utf8(name).map_err(|_| error(ENOENT))?;
        let mut holders = Kernel::holders(self, text).map_err(|e| error(e.errno()))?;
        // Directory order is arbitrary; keep plans reproducible.
        holders.sort();
        Ok(holders)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::SystemCalls;
    use std::fs;

    #[test]
    fn sysfs_states() {
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("sys/module");
        fs::create_dir_all(m.join("ext4/holders")).unwrap();
        fs::write(m.join("ext4/initstate"), "live\n").unwrap();
        fs::write(m.join("ext4/refcnt"), "2\n").unwrap();
        fs::create_dir_all(m.join("jbd2/holders/ocfs2")).unwrap();
        fs::create_dir_all(m.join("jbd2/holders/ext4")).unwrap();
        fs::create_dir_all(m.join("fuse")).unwrap();
        fs::create_dir_all(m.join("odd")).unwrap();
        fs::write(m.join("odd/initstate"), "weird\n").unwrap();
        let k = Kernel::with_roots(dir.path().join("proc"), dir.path().join("sys"), SystemCalls);
        let s: &dyn KernelState = &k;
        assert_eq!(s.initstate(b"ext4"), Some(InitState::Live));
        assert_eq!(s.initstate(b"fuse"), Some(InitState::Coming));
        assert_eq!(s.initstate(b"odd"), None);
        assert_eq!(s.initstate(b"absent"), None);
        assert_eq!(s.initstate(b"../etc"), None);
        assert_eq!(s.refcnt(b"ext4"), Some(2));
        assert_eq!(s.refcnt(b"fuse"), None);
        assert_eq!(s.holders(b"jbd2").unwrap(), ["ext4", "ocfs2"]);
        assert!(s.holders(b"ext4").unwrap().is_empty());
        let err = s.holders(b"fuse").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "could not open '{}': No such file or directory",
                m.join("fuse/holders").display()
            )
        );
    }

    #[test]
    fn names_that_are_not_utf8_are_not_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let k = Kernel::with_roots(dir.path().join("proc"), dir.path().join("sys"), SystemCalls);
        let s: &dyn KernelState = &k;
        assert_eq!(s.initstate(b"m\xe9"), None);
        assert_eq!(s.refcnt(b"m\xe9"), None);
        let err = s.holders(b"m\xe9").unwrap_err();
        assert_eq!(err.errno, Errno::ENOENT);
        assert!(err
            .path
            .as_os_str()
            .as_bytes()
            .ends_with(b"/module/m\xe9/holders"));
    }

    #[test]
    fn nothing_loaded() {
        assert_eq!(NothingLoaded.initstate(b"x"), None);
        assert_eq!(NothingLoaded.refcnt(b"x"), None);
        assert!(NothingLoaded.holders(b"x").unwrap().is_empty());
    }
}
