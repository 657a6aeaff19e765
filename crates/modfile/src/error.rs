//! The error type of this crate: every failure names the file and the problem.

use std::io;
use std::path::PathBuf;

use crate::compression::Compression;

/// `EINVAL` ("Invalid argument"): malformed tables, too-short files, corrupt compressed data.
const EINVAL: i32 = 22;
/// `ENOEXEC` ("Exec format error"): not an ELF file, or a compressed stream that ends early.
const ENOEXEC: i32 = 8;
/// `ENOENT` ("No such file or directory"): a required section is missing.
const ENOENT: i32 = 2;
/// `EIO`: an I/O error without an OS error number.
const EIO: i32 = 5;
/// `EFBIG` ("File too large"): a decompression limit was hit.
const EFBIG: i32 = 27;
/// `ENOSYS` ("Function not implemented"): the decompression library cannot be loaded.
const ENOSYS: i32 = 38;

/// Everything that can go wrong while reading a module file.
///
/// The `Display` form is `<path>: <problem>`; [`Error::errno_like`] gives the errno kmod reports
/// for the same class of failure (its tools print `strerror` of it).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened, inspected, mapped or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// What the operating system reported.
        #[source]
        source: io::Error,
    },

    /// The file is too short to tell its format (kmod reads a 6-byte magic first).
    #[error("{}: file too short ({len} bytes)", path.display())]
    TooShort {
        /// The file concerned.
        path: PathBuf,
        /// Its length in bytes.
        len: usize,
    },

    /// The (decompressed) image does not start with the ELF magic.
    #[error("{}: not an ELF file", path.display())]
    NotElf {
        /// The file concerned.
        path: PathBuf,
    },

    /// The ELF header or section header table is malformed.
    #[error("{}: {problem}", path.display())]
    InvalidElf {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong, e.g. "truncated section header table".
        problem: String,
    },

    /// The contents of one section are malformed.
    #[error("{}: section {section}: {problem}", path.display())]
    InvalidSection {
        /// The file concerned.
        path: PathBuf,
        /// The section name, e.g. `__versions`.
        section: String,
        /// What is wrong, e.g. "size 65 is not a multiple of 64".
        problem: String,
    },

    /// A section needed for the request does not exist (or lies outside the file).
    #[error("{}: no {section} section", path.display())]
    MissingSection {
        /// The file concerned.
        path: PathBuf,
        /// The section name.
        section: String,
    },

    /// A section needed for the request points outside the file (kmod treats it as missing).
    #[error("{}: section {section} (offset {offset}, size {size}) lies outside the file", path.display())]
    SectionOutsideFile {
        /// The file concerned.
        path: PathBuf,
        /// The section name.
        section: String,
        /// `sh_offset` of the section.
        offset: u64,
        /// `sh_size` of the section.
        size: u64,
    },

    /// Compressed data could not be decompressed (corrupt or truncated).
    #[error("{}: {compression}: {problem}", path.display())]
    Decompress {
        /// The file concerned.
        path: PathBuf,
        /// The compression format detected from the magic bytes.
        compression: Compression,
        /// What the decoder reported, e.g. "corrupt data" or "unexpected end of input".
        problem: String,
        /// Whether the input ended before the compressed stream did.
        truncated: bool,
    },

    /// The library that decompresses this format could not be loaded (it is opened on first use,
    /// as kmod 34 does), so the file cannot be read.
    #[error("{}: {compression}: cannot decompress without {library} ({reason})", path.display())]
    DecompressorUnavailable {
        /// The file concerned.
        path: PathBuf,
        /// The compression format detected from the magic bytes.
        compression: Compression,
        /// The library that was looked for, e.g. `liblzma.so.5`.
        library: String,
        /// Why it could not be used, as the dynamic loader put it.
        reason: String,
    },

    /// Decompression stopped because the output grew past a limit (a decompression bomb).
    #[error("{}: {compression}: decompressed size exceeds limit ({limit} bytes)", path.display())]
    LimitExceeded {
        /// The file concerned.
        path: PathBuf,
        /// The compression format.
        compression: Compression,
        /// The limit, in bytes, that applied to this file.
        limit: u64,
    },
}

impl Error {
    /// The errno kmod reports for this class of failure, as a positive number.
    ///
    /// * I/O: the OS error (`ENOENT`, `EACCES`, `EISDIR`, ...), `EIO` if there is none;
    /// * bad ELF magic: `ENOEXEC`; malformed headers, tables or sections, short files: `EINVAL`;
    /// * a missing section, or one pointing outside the file: `ENOENT`;
    /// * xz/gzip/corrupt zstd data: `EINVAL`; a zstd stream cut short: `ENOEXEC` (kmod 30 reports
    ///   "Exec format error" there); a decompression limit: `EFBIG`; a decompression library
    ///   that cannot be loaded: `ENOSYS` (as kmod 34).
    pub fn errno_like(&self) -> i32 {
        match self {
            Error::Io { source, .. } => source.raw_os_error().unwrap_or(EIO),
            Error::TooShort { .. } | Error::InvalidElf { .. } | Error::InvalidSection { .. } => {
                EINVAL
            }
            Error::NotElf { .. } => ENOEXEC,
            Error::MissingSection { .. } | Error::SectionOutsideFile { .. } => ENOENT,
            Error::Decompress {
                compression: Compression::Zstd,
                truncated: true,
                ..
            } => ENOEXEC,
            Error::Decompress { .. } => EINVAL,
            Error::LimitExceeded { .. } => EFBIG,
            Error::DecompressorUnavailable { .. } => ENOSYS,
        }
    }

    /// The file this error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            Error::Io { path, .. }
            | Error::TooShort { path, .. }
            | Error::NotElf { path }
            | Error::InvalidElf { path, .. }
            | Error::InvalidSection { path, .. }
            | Error::MissingSection { path, .. }
            | Error::SectionOutsideFile { path, .. }
            | Error::Decompress { path, .. }
            | Error::LimitExceeded { path, .. }
            | Error::DecompressorUnavailable { path, .. } => path,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> PathBuf {
        PathBuf::from("/m/x.ko")
    }

    #[test]
    fn display_names_file_and_problem() {
        let e = Error::InvalidElf {
            path: p(),
            problem: "truncated section header table".into(),
        };
        assert_eq!(e.to_string(), "/m/x.ko: truncated section header table");
        let e = Error::NotElf { path: p() };
        assert_eq!(e.to_string(), "/m/x.ko: not an ELF file");
        let e = Error::LimitExceeded {
            path: p(),
            compression: Compression::Xz,
            limit: 10,
        };
        assert_eq!(
            e.to_string(),
            "/m/x.ko: xz: decompressed size exceeds limit (10 bytes)"
        );
        assert_eq!(e.path(), std::path::Path::new("/m/x.ko"));
    }

    #[test]
    fn errno_classes() {
        let io = Error::Io {
            path: p(),
            source: io::Error::from_raw_os_error(13),
        };
        assert_eq!(io.errno_like(), 13);
        let io = Error::Io {
            path: p(),
            source: io::Error::other("x"),
        };
        assert_eq!(io.errno_like(), EIO);
        assert_eq!(Error::NotElf { path: p() }.errno_like(), ENOEXEC);
        assert_eq!(Error::TooShort { path: p(), len: 3 }.errno_like(), EINVAL);
        let missing = Error::MissingSection {
            path: p(),
            section: ".modinfo".into(),
        };
        assert_eq!(missing.errno_like(), ENOENT);
        assert_eq!(missing.to_string(), "/m/x.ko: no .modinfo section");
        let dec = |compression, truncated| Error::Decompress {
            path: p(),
            compression,
            problem: "x".into(),
            truncated,
        };
        assert_eq!(dec(Compression::Zstd, true).errno_like(), ENOEXEC);
        assert_eq!(dec(Compression::Zstd, false).errno_like(), EINVAL);
        assert_eq!(dec(Compression::Xz, true).errno_like(), EINVAL);
        let unavailable = Error::DecompressorUnavailable {
            path: p(),
            compression: Compression::Xz,
            library: "liblzma.so.5".into(),
            reason: "not found".into(),
        };
        assert_eq!(unavailable.errno_like(), ENOSYS);
        assert_eq!(
            unavailable.to_string(),
            "/m/x.ko: xz: cannot decompress without liblzma.so.5 (not found)"
        );
        assert_eq!(unavailable.path(), p());
    }
}
