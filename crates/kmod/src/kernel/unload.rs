//! Removing a module from the kernel (`delete_module`, tools.md §0.6).

use std::ffi::CString;

use nix::kmod::DeleteModuleFlags;

use super::{Kernel, KernelError, Syscalls};

/// How to remove a module.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RemoveFlags {
    /// Remove even if in use (`O_TRUNC`; the kernel honours it only with
    /// `CONFIG_MODULE_FORCE_UNLOAD`, and taints itself).
    pub force: bool,
}

impl RemoveFlags {
    /// The `delete_module` flags: always `O_NONBLOCK` (as kmod), plus `O_TRUNC` when forced.
    pub fn kernel_flags(self) -> i32 {
        let mut flags = DeleteModuleFlags::O_NONBLOCK;
        if self.force {
            flags |= DeleteModuleFlags::O_TRUNC;
        }
        flags.bits()
    }
}

impl<S: Syscalls> Kernel<S> {
    /// Removes the loaded module `name`. Errors carry the kernel's errno (`ENOENT` not loaded,
    /// `EWOULDBLOCK` in use, `EBUSY`, `EPERM` ...). The name is passed as its bytes.
    pub fn remove<N: AsRef<[u8]> + ?Sized>(
        &self,
        name: &N,
        flags: RemoveFlags,
    ) -> Result<(), KernelError> {
        let name = name.as_ref();
        let c_name = CString::new(name).map_err(|_| KernelError::Nul {
            what: "module name",
            text: String::from_utf8_lossy(name).into_owned(),
        })?;
        self.syscalls
            .delete_module(&c_name, flags.kernel_flags())
            .map_err(|errno| KernelError::Syscall {
                call: "delete_module",
                target: String::from_utf8_lossy(name).into_owned(),
                errno,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::syscalls::tests::{Call, Recorder};

    const O_NONBLOCK: i32 = 0o4000;
    const O_TRUNC: i32 = 0o1000;

    #[test]
    fn always_nonblocking_and_trunc_when_forced() {
        let k = Kernel::with_roots("/p", "/s", Recorder::default());
        k.remove("dummy", RemoveFlags::default()).unwrap();
        k.remove("fat", RemoveFlags { force: true }).unwrap();
        assert_eq!(
            k.syscalls().calls(),
            [
                Call::Delete {
                    name: "dummy".into(),
                    flags: O_NONBLOCK
                },
                Call::Delete {
                    name: "fat".into(),
                    flags: O_NONBLOCK | O_TRUNC
                }
            ]
        );
    }

    #[test]
    fn kernel_errors_keep_their_errno() {
        let rec = Recorder {
            delete_errno: Some(11),
            ..Recorder::default()
        };
        let k = Kernel::with_roots("/p", "/s", rec);
        let e = k.remove("tun", RemoveFlags::default()).unwrap_err();
        assert_eq!(e.errno(), 11);
        assert_eq!(
            e.to_string(),
            "delete_module tun: Resource temporarily unavailable"
        );
        assert_eq!(
            k.remove("a\0b", RemoveFlags::default())
                .unwrap_err()
                .errno(),
            22
        );
    }
}
