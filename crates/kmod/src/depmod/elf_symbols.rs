//! depmod's view of a module's symbols, read in one pass over `.symtab`.
//!
//! The rules are those of [`modfile::ModuleElf::exported_symbols`] and
//! [`modfile::ModuleElf::dependency_symbols`] (formats.md §5; a test checks that both give the same
//! lists), but depmod reads every module of a tree, so this reader looks at a symbol's name only
//! when it matters (undefined symbols, and `__crc_` names) and stores names in the module's name
//! arena instead of allocating one string per symbol.

use std::collections::HashMap;

use modfile::{ElfClass, ModuleElf, KSYMTAB_STRINGS_SECTION, STRTAB_SECTION, SYMTAB_SECTION};

use super::fxhash::FxBuildHasher;
use super::record::ModuleInfo;

/// `SHN_UNDEF`.
const SHN_UNDEF: u16 = 0;
/// `SHN_ABS`.
const SHN_ABS: u16 = 0xfff1;
/// `STB_WEAK`.
const STB_WEAK: u8 = 2;
/// `STT_REGISTER` (SPARC register declarations, not real undefined symbols).
const STT_SPARC_REGISTER: u8 = 13;
/// `EM_SPARC`, `EM_SPARC32PLUS`, `EM_SPARCV9`.
const SPARC_MACHINES: [u16; 3] = [2, 18, 43];
/// Prefix of the symbols carrying an export's CRC.
const CRC_PREFIX: &[u8] = b"__crc_";
/// CRC reported when an export's CRC lies outside its section (as modfile and kmod).
const UNREADABLE_CRC: u64 = u64::MAX;
/// Size of a `__versions` record.
const VERSION_RECORD: usize = 64;

/// Reads integers in the image's byte order.
#[derive(Clone, Copy)]
struct Endian {
    little: bool,
}

impl Endian {
    fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let a: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if self.little {
            u16::from_le_bytes(a)
        } else {
            u16::from_be_bytes(a)
        })
    }

    fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let a: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }

    fn u64(self, b: &[u8], at: usize) -> Option<u64> {
        let a: [u8; 8] = b.get(at..at.checked_add(8)?)?.try_into().ok()?;
        Some(if self.little {
            u64::from_le_bytes(a)
        } else {
            u64::from_be_bytes(a)
        })
    }

    fn word(self, b: &[u8], at: usize, wide: bool) -> Option<u64> {
        if wide {
            self.u64(b, at)
        } else {
            self.u32(b, at).map(u64::from)
        }
    }
}

/// The NUL-terminated string at `offset` of a string table (empty when out of range or
/// unterminated, as modfile reads it).
fn c_str(table: &[u8], offset: usize) -> &[u8] {
    let Some(rest) = table.get(offset..) else {
        return &[];
    };
    match rest.iter().position(|&b| b == 0) {
        Some(end) => rest.get(..end).unwrap_or_default(),
        None => &[],
    }
}

/// The data of section `index`, read from the section header table of the (already validated)
/// `image`.
fn section_by_index(image: &[u8], e: Endian, wide: bool, index: usize) -> Option<&[u8]> {
    let (shoff_at, entsize, off_at, size_at) = if wide {
        (0x28, 64, 24, 32)
    } else {
        (0x20, 40, 16, 20)
    };
    let shoff = usize::try_from(e.word(image, shoff_at, wide)?).ok()?;
    let header = shoff.checked_add(index.checked_mul(entsize)?)?;
    let offset = usize::try_from(e.word(image, header.checked_add(off_at)?, wide)?).ok()?;
    let size = usize::try_from(e.word(image, header.checked_add(size_at)?, wide)?).ok()?;
    image.get(offset..offset.checked_add(size)?)
}

/// `__versions` records as `(name without leading '.', crc)`, or `None` when the section is
/// malformed (depmod then ignores it).
fn versions<'a>(elf: &ModuleElf<'a>, e: Endian, wide: bool) -> Option<Vec<(&'a [u8], u64)>> {
    let Some(data) = elf.section(modfile::VERSIONS_SECTION) else {
        return Some(Vec::new());
    };
    if data.len() % VERSION_RECORD != 0 {
        return None;
    }
    let crc_len = if wide { 8 } else { 4 };
    data.chunks_exact(VERSION_RECORD)
        .map(|record| {
            let crc = e.word(record, 0, wide).unwrap_or_default();
            let name = record.get(crc_len..)?;
            let name = name.get(..name.iter().position(|&b| b == 0)?)?;
            Some((name.strip_prefix(b".").unwrap_or(name), crc))
        })
        .collect()
}

/// The fields of one `.symtab` entry that depmod uses.
struct Symbol {
    name_off: usize,
    st_info: u8,
    shndx: u16,
    value: u64,
}

/// The entries of `symtab` (whose length is a multiple of the entry size).
fn symbols(symtab: &[u8], e: Endian, wide: bool) -> impl Iterator<Item = Symbol> + '_ {
    let (entsize, info_at, shndx_at, value_at) = if wide { (24, 4, 6, 8) } else { (16, 12, 14, 4) };
    symtab.chunks_exact(entsize).filter_map(move |entry| {
        Some(Symbol {
            name_off: usize::try_from(e.u32(entry, 0)?).unwrap_or(usize::MAX),
            st_info: entry.get(info_at).copied()?,
            shndx: e.u16(entry, shndx_at)?,
            value: e.word(entry, value_at, wide).unwrap_or_default(),
        })
    })
}

/// The sections depmod reads from a module file: with these (and the sections
/// [`crc_sections`] names) [`read_symbols`] and the `.modinfo` keys see everything they need.
pub const DEPMOD_SECTIONS: &[&str] = &[
    modfile::MODINFO_SECTION,
    modfile::VERSIONS_SECTION,
    SYMTAB_SECTION,
    STRTAB_SECTION,
    KSYMTAB_STRINGS_SECTION,
];

/// Indexes of the sections the `__crc_` symbols of `elf` point into (their CRCs are read from
/// there); needs `.symtab` and `.strtab` in place.
pub fn crc_sections(elf: &ModuleElf<'_>) -> Vec<usize> {
    let wide = elf.class() == ElfClass::Elf64;
    let e = Endian {
        little: elf.is_little_endian(),
    };
    let (Some(symtab), Some(strtab)) = (elf.section(SYMTAB_SECTION), elf.section(STRTAB_SECTION))
    else {
        return Vec::new();
    };
    let mut indexes: Vec<usize> = symbols(symtab, e, wide)
        .filter(|sym| sym.shndx != SHN_UNDEF && sym.shndx != SHN_ABS)
        .filter(|sym| {
            strtab
                .get(sym.name_off..)
                .is_some_and(|n| n.starts_with(CRC_PREFIX))
        })
        .map(|sym| usize::from(sym.shndx))
        .collect();
    indexes.sort_unstable();
    indexes.dedup();
    indexes
}

/// Adds the exported and needed symbols of `elf` (whose whole image is `image`) to `info`.
pub fn read_symbols(elf: &ModuleElf<'_>, image: &[u8], info: &mut ModuleInfo) {
    let wide = elf.class() == ElfClass::Elf64;
    let e = Endian {
        little: elf.is_little_endian(),
    };
    let entsize = if wide { 24 } else { 16 };
    let table = match (elf.section(SYMTAB_SECTION), elf.section(STRTAB_SECTION)) {
        (Some(symtab), Some(strtab)) if symtab.len() % entsize == 0 => Some((symtab, strtab)),
        _ => None,
    };
    let versions = versions(elf, e, wide).unwrap_or_default();
    let mut version_of: HashMap<&[u8], usize, FxBuildHasher> =
        HashMap::with_capacity_and_hasher(versions.len(), FxBuildHasher::default());
    for (i, (name, _)) in versions.iter().enumerate().rev() {
        version_of.insert(name, i);
    }
    let mut matched = vec![false; versions.len()];
    let sparc = SPARC_MACHINES.contains(&elf.machine());
    let mut crc_exports = 0usize;
    if let Some((symtab, strtab)) = table {
        for Symbol {
            name_off,
            st_info,
            shndx,
            value,
        } in symbols(symtab, e, wide)
        {
            let is_crc = strtab
                .get(name_off..)
                .is_some_and(|n| n.starts_with(CRC_PREFIX));
            if shndx != SHN_UNDEF && !is_crc {
                continue;
            }
            let name = c_str(strtab, name_off);
            if let Some(exported) = name.strip_prefix(CRC_PREFIX) {
                let crc = if shndx == SHN_UNDEF || shndx == SHN_ABS {
                    value
                } else {
                    usize::try_from(value)
                        .ok()
                        .and_then(|at| {
                            let data = section_by_index(image, e, wide, usize::from(shndx))?;
                            e.u32(data, at)
                        })
                        .map_or(UNREADABLE_CRC, u64::from)
                };
                info.add_export(exported, crc);
                crc_exports += 1;
            }
            if shndx != SHN_UNDEF || name.is_empty() {
                continue;
            }
            if sparc && st_info & 0xf == STT_SPARC_REGISTER {
                continue;
            }
            let key = name.strip_prefix(b".").unwrap_or(name);
            let crc = match version_of.get(key) {
                Some(&i) => {
                    if let Some(m) = matched.get_mut(i) {
                        *m = true;
                    }
                    versions.get(i).map_or(0, |v| v.1)
                }
                None => 0,
            };
            info.add_need(name, crc, st_info >> 4 == STB_WEAK);
        }
        for ((name, crc), used) in versions.iter().zip(&matched) {
            if !used {
                info.add_need(name, *crc, false);
            }
        }
    }
    if crc_exports == 0 {
        if let Some(strings) = elf.section(KSYMTAB_STRINGS_SECTION) {
            for name in strings.split(|&b| b == 0).filter(|s| !s.is_empty()) {
                info.add_export(name, 0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modfile::ModuleFile;
    use testkit::ModuleBuilder;

    /// This reader's lists next to modfile's, as comparable tuples.
    type Lists = (Vec<(String, u64)>, Vec<(String, u64, bool)>);

    fn both(path: &std::path::Path, image: Vec<u8>) -> (Lists, Lists) {
        let file = ModuleFile::from_bytes(path, image).unwrap();
        let elf = file.elf().unwrap();
        let mut info = ModuleInfo::default();
        read_symbols(&elf, file.image(), &mut info);
        let ours = (
            info.exports
                .iter()
                .map(|x| (info.name(x.name).to_string(), x.crc))
                .collect(),
            info.needs
                .iter()
                .map(|n| (info.name(n.name).to_string(), n.crc, n.weak))
                .collect(),
        );
        let theirs = (
            elf.exported_symbols()
                .unwrap()
                .into_iter()
                .map(|x| (x.name, x.crc))
                .collect(),
            elf.dependency_symbols()
                .unwrap_or_default()
                .into_iter()
                .map(|n| (n.name, n.crc, n.weak))
                .collect(),
        );
        (ours, theirs)
    }

    #[test]
    fn same_lists_as_modfile_in_all_flavours() {
        for wide in [false, true] {
            for big in [false, true] {
                let img = ModuleBuilder::new("m")
                    .class64(wide)
                    .big_endian(big)
                    .export("abs_crc", 0x11)
                    .export_crc_in_section("data_crc", 0x2222)
                    .export_weak("weak_export", 0x33)
                    .undefined("printk")
                    .undefined(".dotted")
                    .undefined_weak("maybe")
                    .version("printk", 0x99)
                    .version("dotted", 0x77)
                    .version("module_layout", 0x55)
                    .build();
                let (ours, theirs) = both(std::path::Path::new("/m.ko"), img);
                assert_eq!(ours, theirs, "wide={wide} big={big}");
                assert!(ours.0.contains(&("data_crc".to_string(), 0x2222)));
                assert!(ours.1.contains(&(".dotted".to_string(), 0x77, false)));
                assert!(ours.1.contains(&("module_layout".to_string(), 0x55, false)));
            }
        }
    }

    #[test]
    fn fallbacks_match_modfile() {
        // No __crc_ symbols: exports come from __ksymtab_strings.
        let img = ModuleBuilder::new("m")
            .export_without_crc("plain")
            .undefined("x")
            .build();
        let (ours, theirs) = both(std::path::Path::new("/m.ko"), img);
        assert_eq!(ours, theirs);
        assert_eq!(ours.0, [("plain".to_string(), 0)]);
        // A malformed __versions is ignored.
        let img = ModuleBuilder::new("m")
            .undefined("x")
            .version("x", 5)
            .build();
        let bad = testkit::broken::versions_bad_size(&img).unwrap();
        let (ours, theirs) = both(std::path::Path::new("/m.ko"), bad);
        assert_eq!(ours, theirs);
        assert_eq!(ours.1, [("x".to_string(), 0, false)]);
    }

    #[test]
    fn damaged_images_never_panic() {
        // Every byte of a small module replaced by a few values; whatever modfile accepts as an
        // ELF image is read without panicking.
        for wide in [false, true] {
            let img = ModuleBuilder::new("m")
                .class64(wide)
                .export_crc_in_section("data_crc", 0x2222)
                .export("abs", 1)
                .undefined("printk")
                .version("printk", 0x99)
                .build();
            for at in 0..img.len() {
                for value in [0x00, 0x7f, 0xff] {
                    let mut bad = img.clone();
                    bad[at] = value;
                    let Ok(file) = ModuleFile::from_bytes("/m.ko", bad) else {
                        continue;
                    };
                    if let Ok(elf) = file.elf() {
                        let mut info = ModuleInfo::default();
                        read_symbols(&elf, file.image(), &mut info);
                    }
                }
            }
        }
    }

    #[test]
    fn same_lists_as_modfile_on_the_real_tree() {
        let dir = std::env::var_os("KMOD_TEST_TREE").map_or_else(
            || std::path::PathBuf::from("/work/cache/plain/lib/modules/6.1.0-56-amd64/kernel"),
            std::path::PathBuf::from,
        );
        if !dir.is_dir() {
            eprintln!("skipped: no module tree at {}", dir.display());
            return;
        }
        let mut checked = 0;
        for entry in walkdir::WalkDir::new(&dir).into_iter().flatten() {
            let path = entry.path();
            if !path.to_string_lossy().ends_with(".ko") || checked >= 400 {
                continue;
            }
            let image = std::fs::read(path).unwrap();
            let (ours, theirs) = both(path, image);
            assert_eq!(ours, theirs, "{}", path.display());
            checked += 1;
        }
        assert!(checked > 0);
    }
}
