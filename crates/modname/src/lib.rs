//! Module name rules shared by every kmod component (config.md §4, tools.md §0.5).
//!
//! * [`modname_normalize`]: the module name of a file name or path (`snd-hda-intel.ko.zst` →
//!   `snd_hda_intel`).
//! * [`alias_normalize`] and [`underscores`]: `-` and `_` are the same character in names and
//!   aliases, except inside `[...]` bracket expressions; unbalanced brackets are a
//!   [`normalize::NormalizeError`].
//! * [`fnmatch()`]: glibc's `fnmatch(3)` without flags, byte by byte, as kmod matches alias
//!   patterns from configuration files and `modules.alias.bin`.
//!
//! The crate has no dependencies and does no I/O.
//!
//! # Example
//!
//! ```
//! use modname::{alias_normalize, fnmatch, modname_normalize};
//!
//! let path = "/lib/modules/6.1.0/kernel/sound/pci/hda/snd-hda-intel.ko.zst";
//! assert_eq!(modname_normalize(path), "snd_hda_intel");
//!
//! // Dashes become underscores, but not inside a bracket expression.
//! assert_eq!(alias_normalize("usb-storage").unwrap(), "usb_storage");
//! assert_eq!(alias_normalize("snd-card-[0-7]").unwrap(), "snd_card_[0-7]");
//! assert!(alias_normalize("bad]name").is_err());
//!
//! // A device's modalias against a module's alias pattern.
//! let modalias = b"pci:v00008086d000015B8sv00001028sd000007BEbc02sc00i00";
//! assert!(fnmatch(b"pci:v00008086d*sv*sd*bc02sc*i*", modalias));
//! assert!(!fnmatch(b"usb:v046Dp*", b"usb:v05ACp8286d0000"));
//! ```
pub mod fnmatch;
pub mod normalize;
pub use fnmatch::fnmatch;
pub use normalize::{alias_normalize, modname_normalize, underscores};
