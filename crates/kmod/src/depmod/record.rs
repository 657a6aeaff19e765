//! Plain data describing the modules depmod works on: what the rest of the engine needs from each
//! module file, independent of how it was read.
//!
//! Symbol names of one module live in one string ([`ModuleInfo::names`]) and are referred to by
//! [`SymName`]: a Debian tree has over half a million needed-symbol entries, and one allocation per
//! name would dominate depmod's run time.

use std::path::PathBuf;

/// A symbol name stored in its module's [`ModuleInfo::names`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SymName {
    start: u32,
    len: u32,
}

/// A symbol a module exports, with its CRC (`__crc_<name>`; 0 without modversions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Export {
    /// The symbol name as found in the module.
    pub name: SymName,
    /// Its version CRC.
    pub crc: u64,
}

/// A symbol a module needs (undefined in `.symtab`, or only listed in `__versions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    /// The symbol name as found in the module (a leading `.` is kept, as on PPC64).
    pub name: SymName,
    /// The CRC the module was built against (0 when `__versions` has none).
    pub crc: u64,
    /// Weak undefined symbols are never reported as missing or mismatched.
    pub weak: bool,
}

/// What depmod reads from one module file. Byte strings are kept exactly as in `.modinfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleInfo {
    /// Every symbol name of [`ModuleInfo::exports`] and [`ModuleInfo::needs`], concatenated.
    pub names: String,
    /// Exported symbols, in file order.
    pub exports: Vec<Export>,
    /// Needed symbols, in file order.
    pub needs: Vec<Need>,
    /// `alias=` values, in `.modinfo` order.
    pub aliases: Vec<Vec<u8>>,
    /// `softdep=` values, in `.modinfo` order.
    pub softdeps: Vec<Vec<u8>>,
    /// `weakdep=` values, in `.modinfo` order.
    pub weakdeps: Vec<Vec<u8>>,
}

impl ModuleInfo {
    /// Stores a symbol name (bytes that are not UTF-8 are replaced, as everywhere in kmod-rs).
    pub fn intern(&mut self, name: &[u8]) -> SymName {
        let start = self.names.len();
        self.names.push_str(&String::from_utf8_lossy(name));
        let end = self.names.len();
        match (u32::try_from(start), u32::try_from(end - start)) {
            (Ok(start), Ok(len)) => SymName { start, len },
            // Beyond 4 GiB of names: the name reads as empty.
            _ => SymName::default(),
        }
    }

    /// The text of a name stored by [`ModuleInfo::intern`].
    pub fn name(&self, name: SymName) -> &str {
        let start = name.start as usize;
        self.names
            .get(start..start.saturating_add(name.len as usize))
            .unwrap_or("")
    }

    /// Adds an exported symbol.
    pub fn add_export(&mut self, name: &[u8], crc: u64) {
        let name = self.intern(name);
        self.exports.push(Export { name, crc });
    }

    /// Adds a needed symbol.
    pub fn add_need(&mut self, name: &[u8], crc: u64, weak: bool) {
        let name = self.intern(name);
        self.needs.push(Need { name, crc, weak });
    }

    /// Releases spare capacity (kept for the whole run, it adds up over thousands of modules).
    pub fn shrink_to_fit(&mut self) {
        self.names.shrink_to_fit();
        self.exports.shrink_to_fit();
        self.needs.shrink_to_fit();
        self.aliases.shrink_to_fit();
    }

    /// Collects the `.modinfo` keys depmod uses from `(key, value)` pairs in section order.
    pub fn add_modinfo<'a>(&mut self, entries: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) {
        for (key, value) in entries {
            let list = match key {
                b"alias" => &mut self.aliases,
                b"softdep" => &mut self.softdeps,
                b"weakdep" => &mut self.weakdeps,
                _ => continue,
            };
            list.push(value.to_vec());
        }
    }
}

/// One module of depmod's module array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// Normalised module name (`snd_hda_intel`), the index key.
    pub name: String,
    /// The file as opened (absolute), used in messages and `-v` output.
    pub path: PathBuf,
    /// The path written to the output files: relative to the module directory when inside it,
    /// absolute otherwise.
    pub out_path: String,
    /// What was read from the file (empty when it could not be read).
    pub info: ModuleInfo,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modinfo_keys_are_sorted_into_lists_in_order() {
        let mut info = ModuleInfo::default();
        info.add_modinfo([
            (&b"alias"[..], &b"pci:v1"[..]),
            (b"license", b"GPL"),
            (b"softdep", b"pre: crc32c"),
            (b"alias", b"pci:v2"),
            (b"weakdep", b"x"),
            (b"aliasx", b"nope"),
        ]);
        assert_eq!(info.aliases, [b"pci:v1".to_vec(), b"pci:v2".to_vec()]);
        assert_eq!(info.softdeps, [b"pre: crc32c".to_vec()]);
        assert_eq!(info.weakdeps, [b"x".to_vec()]);
        assert!(info.exports.is_empty() && info.needs.is_empty());
    }

    #[test]
    fn names_are_interned() {
        let mut info = ModuleInfo::default();
        info.add_export(b"sa", 1);
        info.add_need(b"printk", 2, false);
        info.add_need(b"bad\xff", 0, true);
        assert_eq!(info.name(info.exports[0].name), "sa");
        assert_eq!(info.name(info.needs[0].name), "printk");
        assert_eq!(info.name(info.needs[1].name), "bad\u{fffd}");
        assert!(info.needs[1].weak);
        assert_eq!(info.name(SymName::default()), "");
    }
}
