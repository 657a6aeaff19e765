//! The error type of this crate: every failure names the file (when there is one) and the problem.

use std::path::PathBuf;

/// Everything that can go wrong while opening, reading or building an index.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened, inspected or mapped.
    #[error("{}: {source}", path.display())]
    Io {
        /// The index file.
        path: PathBuf,
        /// The underlying system error.
        source: std::io::Error,
    },
    /// The file is shorter than the 12-byte header (depmod writes 0-byte builtin indexes when their
    /// inputs are missing; libkmod treats such files as absent).
    #[error("{}: file too short for an index ({len} bytes, need at least 12)", path.display())]
    TooShort {
        /// The index file.
        path: PathBuf,
        /// Its length in bytes.
        len: u64,
    },
    /// The first word is not the index magic `0xb007f457`.
    #[error("{}: bad magic 0x{magic:08x} (expected 0xb007f457)", path.display())]
    BadMagic {
        /// The index file.
        path: PathBuf,
        /// The word found at offset 0.
        magic: u32,
    },
    /// The major version (high 16 bits of the second word) is not 2.
    #[error("{}: unsupported index version 0x{version:08x} (major version must be 2)", path.display())]
    BadVersion {
        /// The index file.
        path: PathBuf,
        /// The word found at offset 4.
        version: u32,
    },
    /// The trie is inconsistent: an offset out of bounds, an unterminated string, a cycle, ...
    #[error("{}: corrupt index: {problem}", path.display())]
    Corrupt {
        /// The index file.
        path: PathBuf,
        /// What is wrong, with the offset where it was found.
        problem: String,
    },
    /// A key or value given to the writer contains a byte that the format cannot hold (NUL or a
    /// byte >= 0x80; depmod aborts with `FATAL: Module index: bad character`).
    #[error("bad character 0x{byte:02x} in index {what} '{text}'")]
    BadCharacter {
        /// `"key"` or `"value"`.
        what: &'static str,
        /// The offending key or value (with the bad characters escaped).
        text: String,
        /// The first offending byte.
        byte: u8,
    },
    /// The index would exceed the 256 MiB the format's 28-bit node offsets can address.
    #[error("index too large: inserting key '{key}' would exceed the format's 256 MiB limit")]
    TooLarge {
        /// The key whose insertion was refused.
        key: String,
    },
}
