//! Test helper: synthetic kernel module files and module trees.
//!
//! * [`ModuleBuilder`] writes relocatable ELF files (32/64-bit, either byte order) with `.modinfo`,
//!   `__versions`, exported symbols (`__ksymtab_strings` + `__crc_*`), undefined symbols, optional
//!   build-id note, extra sections and a signature trailer ([`SignatureSpec`]: hand-built PKCS#7 or
//!   legacy).
//! * [`compress`] produces `.ko.gz`/`.ko.xz`/`.ko.zst` contents.
//! * [`broken`] damages images in specific ways.
//! * [`TreeBuilder`] lays out `<root>/lib/modules/<version>/` with modules and the kernel-provided
//!   files, ready for `depmod -b <root> <version>`.
//!
//! ```
//! use testkit::{ModuleBuilder, SignatureSpec, Digest};
//! let ko = ModuleBuilder::new("foo")
//!     .modinfo("license", "GPL")
//!     .modinfo("alias", "pci:v00008086d*")
//!     .export("foo_fn", 0x1234)
//!     .undefined("printk")
//!     .signature(SignatureSpec::pkcs7("Build key", &[0x42], Digest::Sha256, &[0xab; 64]))
//!     .build();
//! assert_eq!(&ko[..4], b"\x7fELF");
//! assert!(ko.ends_with(b"~Module signature appended~\n"));
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod broken;
mod compress;
mod der;
pub mod elf;
pub mod fixtures;
mod module;
mod signature;
mod tree;

pub use compress::{compress, try_compress, Compression};
pub use module::ModuleBuilder;
pub use signature::{
    pkcs7_der, Digest, LegacyIdType, LegacySignature, Pkcs7Signature, SignatureSpec,
    MAGIC as SIGNATURE_MAGIC,
};
pub use tree::{Tree, TreeBuilder};
