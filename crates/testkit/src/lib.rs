//! Test helper: synthetic kernel module files and module trees.
//!
//! * [`ModuleBuilder`] writes relocatable ELF files (32/64-bit, either byte order) with `.modinfo`,
//!   `__versions`, exported symbols (`__ksymtab_strings` + `__crc_*`), undefined symbols, optional
//!   build-id note, extra sections and a signature trailer ([`SignatureSpec`]: hand-built PKCS#7 or
//!   legacy).
//! * [`compress()`] produces `.ko.gz`/`.ko.xz`/`.ko.zst` contents.
//! * [`broken`] damages images in specific ways.
//! * [`TreeBuilder`] lays out `<root>/lib/modules/<version>/` with modules and the kernel-provided
//!   files, ready for `depmod -b <root> <version>`.
//! * [`fixtures`] builds the example modules committed under `fixtures/`.
//! * [`elf`] is the low-level ELF writer underneath, for tests that need sections of their own.
//!
//! The builder writes what the kernel build writes, not what a particular reader expects, so the
//! same files can be fed to kmod and to this project's tools and the outputs compared. It is a
//! development dependency only: nothing here is meant for production use.
//!
//! # Examples
//!
//! A module file, signed-looking:
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
//!
//! A module tree with two modules (`example` calls into `example_helper`) and one built-in module:
//!
//! ```
//! # fn main() -> std::io::Result<()> {
//! use testkit::{fixtures, TreeBuilder};
//!
//! let dir = tempfile::tempdir()?;
//! let tree = TreeBuilder::new(dir.path(), "6.1.0-example")
//!     .built("kernel/drivers/misc", &fixtures::example_module())
//!     .built("kernel/drivers/misc", &fixtures::example_helper_module())
//!     .builtin("kernel/lib/crc16.ko")
//!     .builtin_modinfo("crc16", "license", "GPL")
//!     .write()?;
//! assert_eq!(tree.module_dir, dir.path().join("lib/modules/6.1.0-example"));
//! assert!(tree.modules.iter().all(|m| m.exists()));
//! let order = std::fs::read_to_string(tree.module_dir.join("modules.order"))?;
//! assert_eq!(
//!     order,
//!     "kernel/drivers/misc/example.ko\nkernel/drivers/misc/example_helper.ko\n"
//! );
//! # Ok(())
//! # }
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
