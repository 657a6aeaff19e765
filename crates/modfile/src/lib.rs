//! Read one Linux kernel module file, the way kmod does.
//!
//! * [`ModuleFile`] opens a file: plain files are memory-mapped, zstd/xz/gzip files (detected by
//!   magic bytes, [`detect_compression`]) are decompressed into memory within
//!   [`DecompressLimits`].
//! * [`ModuleFile::elf`] validates the ELF header and section header table and gives a
//!   [`ModuleElf`], which reads only the sections asked for: [`ModuleElf::modinfo`],
//!   [`ModuleElf::versions`], [`ModuleElf::exported_symbols`],
//!   [`ModuleElf::dependency_symbols`].
//! * [`ModuleFile::signature`] decodes the appended signature (PKCS#7 or legacy).
//!
//! Every failure is an [`Error`] naming the file and the problem, with
//! [`Error::errno_like`] giving the errno kmod reports. Nothing here panics on malformed input.

mod bytes;
pub mod compression;
pub mod elf;
pub mod error;
pub mod file;
pub mod modinfo;
mod pkcs7;
#[cfg(test)]
mod robustness_tests;
pub mod signature;
pub mod symbols;
#[cfg(test)]
mod test_elf;
pub mod versions;

pub use compression::{decompress, detect_compression, Compression, DecompressLimits};
pub use elf::{ElfClass, ModuleElf};
pub use error::Error;
pub use file::ModuleFile;
pub use modinfo::{parse_modinfo, ModinfoEntry, MODINFO_SECTION};
pub use signature::{parse_signature, Signature, SignatureIdType, SIGNATURE_MAGIC};
pub use symbols::{
    DependencySymbol, ExportedSymbol, KSYMTAB_STRINGS_SECTION, STRTAB_SECTION, SYMTAB_SECTION,
};
pub use versions::{SymbolVersion, VERSIONS_SECTION};
