//! The library's error type.

use std::path::PathBuf;

/// What can go wrong while resolving modules or reading the module directory.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An index file exists but cannot be read (corrupt, truncated, unreadable).
    #[error(transparent)]
    Index(#[from] modindex::Error),
    /// A module file cannot be read or parsed.
    #[error(transparent)]
    Module(#[from] modfile::Error),
    /// A file of the module directory (or the system) cannot be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The system error.
        source: std::io::Error,
    },
    /// The running kernel's release could not be determined (`uname(2)` failed).
    #[error("could not determine the kernel release: {0}")]
    Uname(String),
}

impl Error {
    /// The errno kmod would report for this failure (used to print kmod's `strerror` texts).
    pub fn errno(&self) -> i32 {
        match self {
            Error::Index(_) => libc_errno::EINVAL,
            Error::Module(e) => e.errno_like(),
            Error::Io { source, .. } => source.raw_os_error().unwrap_or(libc_errno::EIO),
            Error::Uname(_) => libc_errno::EINVAL,
        }
    }
}

/// The few errno values the library names (Linux numbering).
pub mod libc_errno {
    /// No such file or directory.
    pub const ENOENT: i32 = 2;
    /// Input/output error.
    pub const EIO: i32 = 5;
    /// Exec format error.
    pub const ENOEXEC: i32 = 8;
    /// Invalid argument.
    pub const EINVAL: i32 = 22;
}
