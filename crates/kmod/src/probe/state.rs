//! What the running kernel says about a module, as modprobe asks it: is it loaded, how many users
//! does it have, which modules hold it. Planning never asks; the runners ask right before each
//! step, like kmod.

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
/// never asked about.
pub trait KernelState {
    /// The state of module `name`, `None` if it is not loaded (or its state is unreadable).
    /// Only [`InitState::Live`] counts as "in the kernel" for insertion.
    fn initstate(&self, name: &str) -> Option<InitState>;
    /// Its reference count, `None` if unknown (not loaded).
    fn refcnt(&self, name: &str) -> Option<u64>;
    /// The modules holding it (`/sys/module/<name>/holders`).
    fn holders(&self, name: &str) -> Result<Vec<String>, StateError>;
}

/// A kernel with no modules loaded (for `--show-depends` and tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct NothingLoaded;

impl KernelState for NothingLoaded {
    fn initstate(&self, _name: &str) -> Option<InitState> {
        None
    }

    fn refcnt(&self, _name: &str) -> Option<u64> {
        None
    }

    fn holders(&self, _name: &str) -> Result<Vec<String>, StateError> {
        Ok(Vec::new())
    }
}

/// The real kernel's state, read from sysfs by [`Kernel`].
impl<S: Syscalls> KernelState for Kernel<S> {
    fn initstate(&self, name: &str) -> Option<InitState> {
        Kernel::initstate(self, name).ok().flatten()
    }

    fn refcnt(&self, name: &str) -> Option<u64> {
        Kernel::refcnt(self, name).ok()
    }

    fn holders(&self, name: &str) -> Result<Vec<String>, StateError> {
        let mut holders = Kernel::holders(self, name).map_err(|e| StateError {
            path: self.sys_root().join("module").join(name).join("holders"),
            errno: Errno(e.errno()),
        })?;
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
        assert_eq!(s.initstate("ext4"), Some(InitState::Live));
        assert_eq!(s.initstate("fuse"), Some(InitState::Coming));
        assert_eq!(s.initstate("odd"), None);
        assert_eq!(s.initstate("absent"), None);
        assert_eq!(s.initstate("../etc"), None);
        assert_eq!(s.refcnt("ext4"), Some(2));
        assert_eq!(s.refcnt("fuse"), None);
        assert_eq!(s.holders("jbd2").unwrap(), ["ext4", "ocfs2"]);
        assert!(s.holders("ext4").unwrap().is_empty());
        let err = s.holders("fuse").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "could not open '{}': No such file or directory",
                m.join("fuse/holders").display()
            )
        );
    }

    #[test]
    fn nothing_loaded() {
        assert_eq!(NothingLoaded.initstate("x"), None);
        assert_eq!(NothingLoaded.refcnt("x"), None);
        assert!(NothingLoaded.holders("x").unwrap().is_empty());
    }
}
