//! What can go wrong when reading the kernel's module state or calling into it.

use std::io;
use std::path::PathBuf;

use crate::libc_errno;

/// `ENODATA`: a forced load through `init_module` needs a `vermagic=` entry to blank.
const ENODATA: i32 = 61;

/// A failure of the kernel interface. [`KernelError::errno`] gives the errno kmod reports for it
/// (the tools print kmod's text for that number).
#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    /// A file under `/proc` or `/sys`, or the module file, could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system reported.
        #[source]
        source: io::Error,
    },
    /// A `/proc` or `/sys` file holds something that is not what the kernel writes there.
    #[error("{}: unexpected contents {text:?}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What it holds (truncated).
        text: String,
    },
    /// The module file could not be read or decompressed.
    #[error(transparent)]
    Module(#[from] modfile::Error),
    /// A forced load through `init_module` could not blank the version checks in the image.
    #[error("{}: cannot force the load: {problem}", path.display())]
    Strip {
        /// The module file.
        path: PathBuf,
        /// What is missing or malformed.
        problem: String,
        /// The errno kmod reports (`ENODATA` without vermagic, else `EINVAL`).
        errno: i32,
    },
    /// The module parameters or name contain a NUL byte and cannot be passed to the kernel.
    #[error("{what} contains a NUL byte: {text:?}")]
    Nul {
        /// "module parameters" or "module name".
        what: &'static str,
        /// The offending text.
        text: String,
    },
    /// A module name that cannot name a loaded module (empty, `.`/`..`, or containing `/`).
    #[error("invalid module name {0:?}")]
    InvalidName(String),
    /// The kernel refused a system call.
    #[error("{call} {target}: {}", crate::kernel::error::describe(*errno))]
    Syscall {
        /// `finit_module`, `init_module` or `delete_module`.
        call: &'static str,
        /// The module file or name concerned.
        target: String,
        /// The errno the kernel returned (positive).
        errno: i32,
    },
}

impl KernelError {
    /// The errno kmod reports for this failure (positive).
    pub fn errno(&self) -> i32 {
        match self {
            KernelError::Io { source, .. } => source.raw_os_error().unwrap_or(libc_errno::EIO),
            KernelError::Parse { .. } | KernelError::Nul { .. } => libc_errno::EINVAL,
            KernelError::InvalidName(_) => libc_errno::ENOENT,
            KernelError::Module(e) => e.errno_like(),
            KernelError::Strip { errno, .. } | KernelError::Syscall { errno, .. } => *errno,
        }
    }

    /// Builds an [`KernelError::Io`].
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> KernelError {
        KernelError::Io {
            path: path.into(),
            source,
        }
    }

    /// A [`KernelError::Strip`] for a missing `vermagic=` entry.
    pub(crate) fn no_vermagic(path: impl Into<PathBuf>) -> KernelError {
        KernelError::Strip {
            path: path.into(),
            problem: "no vermagic= entry in .modinfo".into(),
            errno: ENODATA,
        }
    }
}

/// The system's text for `errno` without Rust's "(os error N)" suffix.
pub(crate) fn describe(errno: i32) -> String {
    let text = io::Error::from_raw_os_error(errno).to_string();
    match text.find(" (os error") {
        Some(end) => text.get(..end).unwrap_or(&text).to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errnos_follow_the_cause() {
        let e = KernelError::io("/x", io::Error::from_raw_os_error(13));
        assert_eq!(e.errno(), 13);
        assert_eq!(e.to_string(), "/x: Permission denied (os error 13)");
        let e = KernelError::Syscall {
            call: "finit_module",
            target: "/m.ko".into(),
            errno: 17,
        };
        assert_eq!(e.errno(), 17);
        assert_eq!(e.to_string(), "finit_module /m.ko: File exists");
        assert_eq!(KernelError::no_vermagic("/m.ko").errno(), ENODATA);
        assert_eq!(KernelError::InvalidName("..".into()).errno(), 2);
    }
}
