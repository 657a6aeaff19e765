//! Plain data describing the modules depmod works on: what the rest of the engine needs from each
//! module file, independent of how it was read.

use std::path::PathBuf;

/// A symbol a module exports, with its CRC (`__crc_<name>`; 0 without modversions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// The symbol name as found in the module.
    pub name: String,
    /// Its version CRC.
    pub crc: u64,
}

/// A symbol a module needs (undefined in `.symtab`, or only listed in `__versions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// The symbol name as found in the module (a leading `.` is kept, as on PPC64).
    pub name: String,
    /// The CRC the module was built against (0 when `__versions` has none).
    pub crc: u64,
    /// Weak undefined symbols are never reported as missing or mismatched.
    pub weak: bool,
}

/// What depmod reads from one module file. Byte strings are kept exactly as in `.modinfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleInfo {
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
}
