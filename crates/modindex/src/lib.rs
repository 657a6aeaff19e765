//! kmod's binary trie indexes (`modules.dep.bin`, `modules.alias.bin`, `modules.symbols.bin`,
//! `modules.builtin.bin`, `modules.builtin.alias.bin`): a bounds-checked lazy reader over a mapped
//! file and a deterministic writer (formats.md §2).
//!
//! ```
//! use modindex::{Index, IndexWriter};
//! let mut w = IndexWriter::new();
//! w.insert("pci:v00008086d*", "e1000e", 3).unwrap();
//! w.insert("snd_hda_intel", "kernel/sound/snd-hda-intel.ko:", 1).unwrap();
//! let idx = Index::from_bytes("modules.alias.bin", w.to_bytes()).unwrap();
//! assert_eq!(idx.lookup_wild("pci:v00008086d1234").unwrap()[0].value, "e1000e");
//! assert_eq!(idx.lookup("snd_hda_intel").unwrap().as_deref(), Some("kernel/sound/snd-hda-intel.ko:"));
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
