//! depmod's symbol table: who provides each symbol, with which CRC (formats.md §4.1 steps 4–6).
//!
//! Kernel symbols (from `System.map` / `Module.symvers`, and the three fake symbols every
//! architecture's linker provides) have no owner; module exports, added afterwards in module
//! array order, replace any earlier provider, so the last module exporting a symbol owns it.

use std::collections::HashMap;

use super::fxhash::FxBuildHasher;

/// Symbols the kernel always resolves although no export lists them.
pub const FAKE_SYMBOLS: [&str; 3] = ["__this_module", "_GLOBAL_OFFSET_TABLE_", "TOC."];

/// Who provides a symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provider {
    /// The providing module's array index; `None` for the kernel itself.
    pub owner: Option<usize>,
    /// The CRC the provider exports.
    pub crc: u64,
}

/// Symbol name → provider, with depmod's handling of the architecture symbol prefix (`-P`).
/// Names are borrowed from the modules and kernel symbol lists they come from.
#[derive(Debug, Clone, Default)]
pub struct SymbolTable<'a> {
    prefix: Option<u8>,
    map: HashMap<&'a str, Provider, FxBuildHasher>,
}

impl<'a> SymbolTable<'a> {
    /// An empty table for symbols carrying `prefix` (depmod `-P`), if any.
    pub fn new(prefix: Option<u8>) -> Self {
        SymbolTable {
            prefix,
            map: HashMap::default(),
        }
    }

    /// `name` without the architecture prefix character, when it starts with it.
    pub fn strip_prefix<'n>(&self, name: &'n str) -> &'n str {
        match self.prefix {
            Some(p) if name.as_bytes().first() == Some(&p) => name.get(1..).unwrap_or(name),
            _ => name,
        }
    }

    /// The name a needed symbol is looked up by: a leading `.` (PPC64 function descriptors) and
    /// then the prefix character removed.
    pub fn lookup_name<'n>(&self, name: &'n str) -> &'n str {
        self.strip_prefix(name.strip_prefix('.').unwrap_or(name))
    }

    /// Adds a kernel symbol exactly as named (`System.map` entries and the fake symbols).
    pub fn add_kernel(&mut self, name: &'a str, crc: u64) {
        self.map.insert(name, Provider { owner: None, crc });
    }

    /// Adds a kernel symbol whose name may carry the prefix (`Module.symvers` entries).
    pub fn add_kernel_prefixed(&mut self, name: &'a str, crc: u64) {
        let name = self.strip_prefix(name);
        self.map.insert(name, Provider { owner: None, crc });
    }

    /// Adds the fake symbols that are not already known.
    pub fn add_fake_symbols(&mut self) {
        for name in FAKE_SYMBOLS {
            self.map.entry(name).or_insert(Provider {
                owner: None,
                crc: 0,
            });
        }
    }

    /// Adds a symbol exported by module `owner`, replacing any earlier provider.
    pub fn add_export(&mut self, name: &'a str, crc: u64, owner: usize) {
        let name = self.strip_prefix(name);
        let provider = Provider {
            owner: Some(owner),
            crc,
        };
        self.map.insert(name, provider);
    }

    /// The provider of a needed symbol (looked up by [`SymbolTable::lookup_name`]).
    pub fn find(&self, needed: &str) -> Option<&Provider> {
        self.map.get(self.lookup_name(needed))
    }

    /// Every symbol provided by a module, with its owner (unordered).
    pub fn module_symbols(&self) -> impl Iterator<Item = (&'a str, usize)> + '_ {
        self.map
            .iter()
            .filter_map(|(&name, p)| p.owner.map(|o| (name, o)))
    }

    /// Number of symbols known.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no symbol is known.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_exporter_wins_and_modules_beat_the_kernel() {
        let mut t = SymbolTable::new(None);
        t.add_kernel("kfoo", 7);
        t.add_export("kfoo", 6, 1);
        t.add_export("dup", 1, 0);
        t.add_export("dup", 2, 3);
        assert_eq!(
            t.find("kfoo"),
            Some(&Provider {
                owner: Some(1),
                crc: 6
            })
        );
        assert_eq!(
            t.find("dup"),
            Some(&Provider {
                owner: Some(3),
                crc: 2
            })
        );
        let mut owned: Vec<_> = t.module_symbols().collect();
        owned.sort();
        assert_eq!(owned, [("dup", 3), ("kfoo", 1)]);
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn dots_and_prefixes_like_depmod() {
        // Observed with depmod 30 -P _: exports and Module.symvers names lose the prefix,
        // System.map names and fake symbols keep it; needed names lose a leading '.' and then
        // the prefix.
        let mut t = SymbolTable::new(Some(b'_'));
        t.add_export("_sa", 0, 0);
        t.add_export("sx", 0, 0);
        t.add_kernel("_k4", 0);
        t.add_kernel_prefixed("_v4", 4);
        t.add_fake_symbols();
        assert!(t.find("sa").is_some() && t.find("_sa").is_some());
        assert!(t.find("sx").is_some());
        assert!(t.find("k4").is_none() && t.find("_k4").is_none());
        assert_eq!(t.find("_v4").map(|p| p.crc), Some(4));
        assert!(t.find("v4").is_some());
        assert!(t.find("__this_module").is_none());
        assert!(t.find("TOC.").is_some());
        assert_eq!(t.lookup_name("._x"), "x");

        let mut t = SymbolTable::new(None);
        t.add_kernel("dotsym", 0);
        t.add_fake_symbols();
        assert!(t.find(".dotsym").is_some());
        assert!(t.find("__this_module").is_some());
        assert_eq!(t.lookup_name("_x"), "_x");
    }

    #[test]
    fn fake_symbols_do_not_replace_known_ones() {
        let mut t = SymbolTable::new(None);
        t.add_kernel("TOC.", 9);
        t.add_fake_symbols();
        assert_eq!(t.find("TOC.").map(|p| p.crc), Some(9));
        assert!(!t.is_empty());
    }
}
