//! modprobe's real [`Executor`]: loads and unloads through a [`Kernel`], runs install and remove
//! commands with `/bin/sh` ([`run_shell`]).

use std::path::Path;

use super::{InsertFlags, Kernel, RemoveFlags, Syscalls};
use crate::probe::{run_shell, Errno, Executor};

/// Carries out modprobe's plans against the running kernel.
#[derive(Debug)]
pub struct KernelExecutor<'k, S: Syscalls> {
    kernel: &'k Kernel<S>,
}

impl<'k, S: Syscalls> KernelExecutor<'k, S> {
    /// An executor acting on `kernel`.
    pub fn new(kernel: &'k Kernel<S>) -> KernelExecutor<'k, S> {
        KernelExecutor { kernel }
    }
}

impl<S: Syscalls> Executor for KernelExecutor<'_, S> {
    fn insert(&mut self, path: &Path, options: &[u8], flags: InsertFlags) -> Result<(), Errno> {
        self.kernel
            .insert(path, options, flags)
            .map_err(|e| Errno(e.errno()))
    }

    fn remove(&mut self, name: &[u8], flags: RemoveFlags) -> Result<(), Errno> {
        self.kernel
            .remove(name, flags)
            .map_err(|e| Errno(e.errno()))
    }

    fn run_command(&mut self, command: &[u8], env: &[(&str, &[u8])]) -> Result<i32, Errno> {
        run_shell(command, env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::syscalls::tests::{Call, Recorder};
    use testkit::ModuleBuilder;

    #[test]
    fn maps_calls_and_errnos() {
        let dir = tempfile::tempdir().unwrap();
        let ko = dir.path().join("m.ko");
        std::fs::write(&ko, ModuleBuilder::new("m").build()).unwrap();
        let rec = Recorder {
            delete_errno: Some(11),
            ..Recorder::default()
        };
        let kernel = Kernel::with_roots(dir.path(), dir.path(), rec);
        let mut exec = KernelExecutor::new(&kernel);
        exec.insert(&ko, b"a=1", InsertFlags::FORCE).unwrap();
        assert_eq!(
            exec.remove(b"m", RemoveFlags { force: true }),
            Err(Errno::EAGAIN)
        );
        assert_eq!(
            exec.insert(&dir.path().join("gone.ko"), b"", InsertFlags::default()),
            Err(Errno::ENOENT)
        );
        assert_eq!(
            kernel.syscalls().calls(),
            [
                Call::Finit {
                    params: "a=1".into(),
                    flags: 3
                },
                Call::Delete {
                    name: "m".into(),
                    flags: 0o4000 | 0o1000
                }
            ]
        );
        assert_eq!(exec.run_command(b"exit 4", &[]), Ok(4));
    }
}
