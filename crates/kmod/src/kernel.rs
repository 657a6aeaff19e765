//! The running kernel: module state from `/proc` and `/sys`, and the load/unload system calls
//! (tools.md §0.6, formats.md §7.2 and §8).
//!
//! [`Kernel`] is the one handle on it. Its `/proc` and `/sys` roots are injectable, and the system
//! calls go through the [`Syscalls`] trait, so everything except the calls themselves can be
//! tested against a fake tree and a recording mock:
//!
//! * reading: [`Kernel::loaded_modules`] (`/proc/modules`), [`Kernel::initstate`],
//!   [`Kernel::refcnt`], [`Kernel::holders`], [`Kernel::coresize`], [`Kernel::parameters`],
//!   [`Kernel::compression`];
//! * loading: [`Kernel::insert`] — `finit_module` on the file (with `MODULE_INIT_COMPRESSED_FILE`
//!   when the kernel decompresses this format itself), otherwise userspace decompression and
//!   `init_module`, also the fallback when `finit_module` is missing (`ENOSYS`); forced loads set
//!   the ignore flags, or strip `__versions`/`vermagic` on the `init_module` path;
//! * unloading: [`Kernel::remove`] — `delete_module` with `O_NONBLOCK` (and `O_TRUNC` when forced);
//! * modprobe: [`KernelExecutor`] carries out its plans with the above.

mod error;
mod executor;
mod load;
mod proc_modules;
mod strip;
mod syscalls;
mod sysfs;
mod unload;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use modfile::Compression;

pub use error::KernelError;
pub use executor::KernelExecutor;
pub use load::{load_method, InsertFlags, LoadMethod};
pub use proc_modules::{parse_proc_modules, LoadedModule};
pub use strip::strip_for_force;
pub use syscalls::{Syscalls, SystemCalls};
pub use sysfs::{InitState, Parameter};
pub use unload::RemoveFlags;

/// The default root of the proc file system.
pub const PROC_ROOT: &str = "/proc";
/// The default root of sysfs.
pub const SYS_ROOT: &str = "/sys";

/// The running kernel, seen through a `/proc` and a `/sys` directory and a set of system calls.
#[derive(Debug)]
pub struct Kernel<S: Syscalls = SystemCalls> {
    proc_root: PathBuf,
    sys_root: PathBuf,
    syscalls: S,
    compression: OnceLock<Compression>,
}

impl Kernel<SystemCalls> {
    /// The real kernel: `/proc`, `/sys` and the real system calls.
    pub fn system() -> Kernel<SystemCalls> {
        Kernel::with_roots(PROC_ROOT, SYS_ROOT, SystemCalls)
    }
}

impl<S: Syscalls> Kernel<S> {
    /// A kernel whose state is read below `proc_root` and `sys_root` and whose system calls go
    /// through `syscalls` (tests use a fake tree and a mock).
    pub fn with_roots(
        proc_root: impl Into<PathBuf>,
        sys_root: impl Into<PathBuf>,
        syscalls: S,
    ) -> Kernel<S> {
        Kernel {
            proc_root: proc_root.into(),
            sys_root: sys_root.into(),
            syscalls,
            compression: OnceLock::new(),
        }
    }

    /// The `/proc` directory in use.
    pub fn proc_root(&self) -> &Path {
        &self.proc_root
    }

    /// The `/sys` directory in use.
    pub fn sys_root(&self) -> &Path {
        &self.sys_root
    }

    /// The system calls in use.
    pub fn syscalls(&self) -> &S {
        &self.syscalls
    }
}
