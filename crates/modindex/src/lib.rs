//! kmod's binary trie indexes (`modules.dep.bin`, `modules.alias.bin`, `modules.symbols.bin`,
//! `modules.builtin.bin`, `modules.builtin.alias.bin`): a bounds-checked lazy reader over a mapped
//! file and a deterministic writer (formats.md §2).
//!
//! * [`Index`] reads an index: [`Index::open`] maps a file, [`Index::from_bytes`] takes bytes.
//!   Nodes are decoded only along the path of a lookup, every offset is checked against the
//!   file, so a damaged index is an [`Error`] naming the file, never a panic.
//!   [`Index::lookup`] is the exact search (module names in `modules.dep.bin`),
//!   [`Index::lookup_wild`] the search that also tries the `*`/`?`/`[` patterns stored in the trie
//!   (aliases); results are [`Value`]s ordered by priority.
//! * [`IndexWriter`] builds an index byte for byte as depmod writes it.
//!
//! What the keys and values mean (module names, aliases, `symbol:` names) is the `kmod` crate's
//! business; this crate only stores strings.
//!
//! # Example
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use modindex::{Index, IndexWriter};
//!
//! let mut w = IndexWriter::new();
//! w.insert("pci:v00008086d*", "e1000e", 3)?;
//! w.insert("snd_hda_intel", "kernel/sound/snd-hda-intel.ko:", 1)?;
//! # let dir = tempfile::tempdir()?;
//! let path = dir.path().join("modules.alias.bin");
//! std::fs::write(&path, w.to_bytes())?;
//!
//! let idx = Index::open(&path)?;
//! let found = idx.lookup_wild("pci:v00008086d1234")?;
//! let modules: Vec<&str> = found.iter().map(|v| v.value.as_str()).collect();
//! assert_eq!(modules, ["e1000e"]);
//! assert_eq!(idx.lookup("snd_hda_intel")?.as_deref(), Some("kernel/sound/snd-hda-intel.ko:"));
//! assert_eq!(idx.lookup("e1000e")?, None);
//!
//! // Damaged data is an error naming the file, never a panic.
//! assert!(Index::from_bytes("broken.bin", b"\xb0\x07\xf4\x57garbage".to_vec()).is_err());
//! # Ok(())
//! # }
//! ```
#![deny(unsafe_code)]
#![deny(missing_docs)]

mod dump;
mod error;
pub mod format;
mod index;
mod node;
mod search;
mod value;
mod walk;
mod writer;

pub use error::Error;
pub use index::Index;
pub use value::Value;
pub use writer::IndexWriter;
