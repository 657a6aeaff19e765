//! Symbols from `.symtab`: exported symbols with CRCs and the undefined symbols a module needs.

use std::collections::HashMap;

use goblin::elf::header::{EM_SPARC, EM_SPARC32PLUS, EM_SPARCV9};
use goblin::elf::section_header::{SHN_ABS, SHN_UNDEF};
use goblin::elf::sym::STB_WEAK;

use crate::bytes::c_str;
use crate::elf::{ElfClass, ModuleElf};
use crate::error::Error;

/// Name of the symbol table section.
pub const SYMTAB_SECTION: &str = ".symtab";
/// Name of the symbol name string table section.
pub const STRTAB_SECTION: &str = ".strtab";
/// Name of the section listing exported symbol names (used when there are no `__crc_` symbols).
pub const KSYMTAB_STRINGS_SECTION: &str = "__ksymtab_strings";

/// Prefix of the symbols that carry an exported symbol's CRC.
const CRC_PREFIX: &[u8] = b"__crc_";
/// `STT_REGISTER` (SPARC): register declarations, not real undefined symbols.
const STT_SPARC_REGISTER: u8 = 13;
/// The CRC kmod reports when an exported symbol's CRC cannot be read.
const UNREADABLE_CRC: u64 = u64::MAX;

/// A symbol exported by a module (what `modprobe --show-exports` lists).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExportedSymbol {
    /// The symbol name (without the `__crc_` prefix).
    pub name: String,
    /// Its CRC; 0 when taken from `__ksymtab_strings`; `u64::MAX` when the CRC lies outside its
    /// section (kmod prints `0xffffffffffffffff` then).
    pub crc: u64,
    /// Whether the `__crc_` symbol has weak binding.
    pub weak: bool,
}

/// A symbol a module needs from the kernel or other modules (what depmod resolves).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DependencySymbol {
    /// The symbol name as in `.symtab` (for appended `__versions` entries: as in `__versions`).
    pub name: String,
    /// The CRC from `__versions`, 0 if it has none.
    pub crc: u64,
    /// Whether the undefined symbol is weak (depmod never warns about those).
    pub weak: bool,
}

/// One decoded `.symtab` entry.
#[derive(Debug, Clone, Copy)]
struct RawSymbol<'a> {
    name: &'a [u8],
    value: u64,
    shndx: u16,
    bind: u8,
    typ: u8,
}

impl<'a> ModuleElf<'a> {
    /// The symbols of `.symtab` named through `.strtab`, or `None` when either section is
    /// missing or `.symtab`'s size is not a whole number of entries. Names that do not fit in
    /// `.strtab` read as empty.
    fn symbol_table(&self) -> Option<impl Iterator<Item = RawSymbol<'a>> + '_> {
        let symtab = self.section(SYMTAB_SECTION)?;
        let strtab = self.section(STRTAB_SECTION)?;
        let wide = self.class() == ElfClass::Elf64;
        let entsize = if wide {
            goblin::elf64::sym::SIZEOF_SYM
        } else {
            goblin::elf32::sym::SIZEOF_SYM
        };
        if symtab.len() % entsize != 0 {
            return None;
        }
        Some(symtab.chunks_exact(entsize).filter_map(move |entry| {
            let r = self.reader(entry);
            let (value, info, shndx) = if wide {
                (r.u64(8)?, r.u8(4)?, r.u16(6)?)
            } else {
                (r.u32(4).map(u64::from)?, r.u8(12)?, r.u16(14)?)
            };
            let name = usize::try_from(r.u32(0)?)
                .ok()
                .and_then(|off| strtab.get(off..))
                .and_then(c_str)
                .unwrap_or_default();
            Some(RawSymbol {
                name,
                value,
                shndx,
                bind: info >> 4,
                typ: info & 0xf,
            })
        }))
    }

    /// The CRC carried by a `__crc_` symbol (formats.md §5).
    fn crc_of(&self, sym: &RawSymbol<'_>) -> u64 {
        let shndx = u32::from(sym.shndx);
        if shndx == SHN_UNDEF || shndx == SHN_ABS {
            return sym.value;
        }
        // st_value is an offset inside section st_shndx (kmod ignores e_type and sh_addr).
        self.section_by_index(usize::from(sym.shndx))
            .and_then(|(_, data)| self.reader(data).u32(sym.value))
            .map_or(UNREADABLE_CRC, u64::from)
    }

    /// The symbols this module exports, in `.symtab` order (formats.md §5).
    ///
    /// Every `.symtab` symbol named `__crc_<name>` gives `<name>` with its CRC. If there is no
    /// usable `.symtab`/`.strtab` or no `__crc_` symbol, the names in `__ksymtab_strings` are
    /// returned with CRC 0 (empty strings skipped; a last name without NUL kept). Empty when
    /// neither exists — kmod's `--show-exports` then fails with `ENOENT`, which callers detect
    /// with `!has_section(`[`KSYMTAB_STRINGS_SECTION`]`)`.
    pub fn exported_symbols(&self) -> Result<Vec<ExportedSymbol>, Error> {
        if let Some(symbols) = self.symbol_table() {
            let with_crc: Vec<ExportedSymbol> = symbols
                .filter_map(|sym| {
                    let name = sym.name.strip_prefix(CRC_PREFIX)?;
                    Some(ExportedSymbol {
                        name: String::from_utf8_lossy(name).into_owned(),
                        crc: self.crc_of(&sym),
                        weak: sym.bind == STB_WEAK,
                    })
                })
                .collect();
            if !with_crc.is_empty() {
                return Ok(with_crc);
            }
        }
        let Some(strings) = self.section(KSYMTAB_STRINGS_SECTION) else {
            return Ok(Vec::new());
        };
        Ok(strings
            .split(|&b| b == 0)
            .filter(|s| !s.is_empty())
            .map(|name| ExportedSymbol {
                name: String::from_utf8_lossy(name).into_owned(),
                crc: 0,
                weak: false,
            })
            .collect())
    }

    /// The undefined symbols this module needs, with CRCs from `__versions` (formats.md §5).
    ///
    /// Every `.symtab` entry with `st_shndx == SHN_UNDEF` and a non-empty name (except SPARC
    /// `STT_REGISTER` entries), in table order, with the CRC of the `__versions` record of the
    /// same name (0 if none; the name's leading `.` is ignored for that match); then every
    /// `__versions` record no undefined symbol matched (e.g. `module_layout`), in section order.
    /// A malformed `__versions` is ignored (all CRCs 0, nothing appended), as kmod's depmod does.
    /// Without a usable `.symtab`/`.strtab` this is [`Error::MissingSection`]; kmod's depmod then
    /// silently gives the module no dependencies.
    pub fn dependency_symbols(&self) -> Result<Vec<DependencySymbol>, Error> {
        let symbols = self.symbol_table().ok_or_else(|| Error::MissingSection {
            path: self.path().to_path_buf(),
            section: SYMTAB_SECTION.to_string(),
        })?;
        let versions = self.versions().unwrap_or_default();
        let mut by_name: HashMap<&str, usize> = HashMap::with_capacity(versions.len());
        for (i, v) in versions.iter().enumerate().rev() {
            by_name.insert(v.name.as_str(), i);
        }
        let mut matched = vec![false; versions.len()];
        let sparc = matches!(self.machine(), EM_SPARC | EM_SPARC32PLUS | EM_SPARCV9);
        let mut out = Vec::new();
        for sym in symbols {
            if u32::from(sym.shndx) != SHN_UNDEF || sym.name.is_empty() {
                continue;
            }
            if sparc && sym.typ == STT_SPARC_REGISTER {
                continue;
            }
            let name = String::from_utf8_lossy(sym.name);
            let key = name.strip_prefix('.').unwrap_or(&name);
            let crc = match by_name.get(key) {
                Some(&i) => {
                    if let Some(m) = matched.get_mut(i) {
                        *m = true;
                    }
                    versions.get(i).map_or(0, |v| v.crc)
                }
                None => 0,
            };
            out.push(DependencySymbol {
                name: name.into_owned(),
                crc,
                weak: sym.bind == STB_WEAK,
            });
        }
        for (v, used) in versions.iter().zip(&matched) {
            if !used {
                out.push(DependencySymbol {
                    name: v.name.clone(),
                    crc: v.crc,
                    weak: false,
                });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_elf::{ElfBuilder, Sym};
    use crate::versions::VERSIONS_SECTION;
    use std::path::Path;

    fn p() -> &'static Path {
        Path::new("/s.ko")
    }

    fn exports(img: &[u8]) -> Vec<(String, u64, bool)> {
        let elf = ModuleElf::parse(p(), img).unwrap();
        elf.exported_symbols()
            .unwrap()
            .into_iter()
            .map(|s| (s.name, s.crc, s.weak))
            .collect()
    }

    #[test]
    fn crc_symbols_in_all_flavours() {
        for wide in [false, true] {
            for little in [false, true] {
                let b = ElfBuilder::new(wide, little);
                let mut kcrctab = b.u32_bytes(0x1111_1111);
                kcrctab.extend(b.u32_bytes(0x2222_2222));
                let img = b
                    .section("__kcrctab", &kcrctab) // section 1
                    .symbols(vec![
                        Sym::new("__crc_second", 4, 1).bind(0),
                        Sym::new("printk", 0, 0),
                        Sym::new("__crc_first", 0, 1).bind(2),
                        Sym::new("__crc_abs", 0xabcd, 0xfff1),
                        Sym::new("__crc_undef", 0x77, 0),
                    ])
                    .build();
                assert_eq!(
                    exports(&img),
                    vec![
                        ("second".to_string(), 0x2222_2222, false),
                        ("first".to_string(), 0x1111_1111, true),
                        ("abs".to_string(), 0xabcd, false),
                        ("undef".to_string(), 0x77, false),
                    ],
                    "wide={wide} little={little}"
                );
            }
        }
    }

    #[test]
    fn unreadable_crc_is_all_ones() {
        let b = ElfBuilder::new(true, true);
        let kcrctab = b.u32_bytes(5);
        let img = b
            .section("__kcrctab", &kcrctab)
            .symbols(vec![
                Sym::new("__crc_ok", 0, 1),
                Sym::new("__crc_past_end", 2, 1),
                Sym::new("__crc_bad_section", 0, 40),
            ])
            .build();
        let got: Vec<u64> = exports(&img).into_iter().map(|s| s.1).collect();
        assert_eq!(got, vec![5, u64::MAX, u64::MAX]);
    }

    #[test]
    fn falls_back_to_ksymtab_strings() {
        let strings = b"\0\0foo\0\0bar\0baz";
        // No symbol table at all.
        let img = ElfBuilder::new(true, true)
            .section(KSYMTAB_STRINGS_SECTION, strings)
            .build();
        let names: Vec<(String, u64, bool)> = exports(&img);
        assert_eq!(
            names,
            vec![
                ("foo".into(), 0, false),
                ("bar".into(), 0, false),
                ("baz".into(), 0, false)
            ]
        );
        // A symbol table without __crc_ symbols.
        let img = ElfBuilder::new(false, false)
            .section(KSYMTAB_STRINGS_SECTION, b"only\0")
            .symbols(vec![Sym::new("printk", 0, 0)])
            .build();
        assert_eq!(exports(&img), vec![("only".into(), 0, false)]);
        // Neither: empty, and the caller can see the section is missing.
        let img = ElfBuilder::new(true, true)
            .symbols(vec![Sym::new("printk", 0, 0)])
            .build();
        assert!(exports(&img).is_empty());
        let elf = ModuleElf::parse(p(), &img).unwrap();
        assert!(!elf.has_section(KSYMTAB_STRINGS_SECTION));
    }

    #[test]
    fn ragged_symtab_is_unusable() {
        let b = ElfBuilder::new(true, true).symbols(vec![Sym::new("__crc_x", 1, 0xfff1)]);
        let mut img = b.build();
        let symtab_hdr = b.section_header_offset(&img, 1);
        let size_at = symtab_hdr + 32;
        img[size_at..size_at + 8].copy_from_slice(&47u64.to_le_bytes());
        assert!(exports(&img).is_empty());
        let elf = ModuleElf::parse(p(), &img).unwrap();
        let err = elf.dependency_symbols().unwrap_err();
        assert!(matches!(err, Error::MissingSection { .. }));
        assert_eq!(err.to_string(), "/s.ko: no .symtab section");
    }

    fn deps(img: &[u8]) -> Vec<(String, u64, bool)> {
        let elf = ModuleElf::parse(p(), img).unwrap();
        elf.dependency_symbols()
            .unwrap()
            .into_iter()
            .map(|s| (s.name, s.crc, s.weak))
            .collect()
    }

    #[test]
    fn dependency_symbols_with_versions() {
        for wide in [false, true] {
            for little in [false, true] {
                let b = ElfBuilder::new(wide, little);
                let mut vers = b.version_record(0xaaaa, b"module_layout");
                vers.extend(b.version_record(0xbbbb, b"printk"));
                vers.extend(b.version_record(0xcccc, b".kfree"));
                let img = b
                    .section(VERSIONS_SECTION, &vers) // 1
                    .section(".text", b"code") // 2
                    .symbols(vec![
                        Sym::new("local_fn", 0, 2).bind(0),
                        Sym::new("printk", 0, 0),
                        Sym::new("maybe", 0, 0).bind(2),
                        Sym::new("kfree", 0, 0),
                        Sym::new("exported", 0, 2),
                    ])
                    .build();
                assert_eq!(
                    deps(&img),
                    vec![
                        ("printk".into(), 0xbbbb, false),
                        ("maybe".into(), 0, true),
                        ("kfree".into(), 0xcccc, false),
                        ("module_layout".into(), 0xaaaa, false),
                    ],
                    "wide={wide} little={little}"
                );
            }
        }
    }

    #[test]
    fn broken_versions_are_ignored_for_dependencies() {
        let img = ElfBuilder::new(true, true)
            .section(VERSIONS_SECTION, &[0u8; 65])
            .symbols(vec![Sym::new("printk", 0, 0)])
            .build();
        assert_eq!(deps(&img), vec![("printk".into(), 0, false)]);
    }

    #[test]
    fn sparc_register_symbols_are_skipped() {
        let syms = vec![Sym::new("%g2", 0, 0).typ(13), Sym::new("printk", 0, 0)];
        let img = ElfBuilder::new(true, false)
            .machine(43)
            .symbols(syms.clone())
            .build();
        assert_eq!(deps(&img), vec![("printk".into(), 0, false)]);
        // On other machines type 13 is nothing special.
        let img = ElfBuilder::new(true, false).symbols(syms).build();
        assert_eq!(deps(&img).len(), 2);
    }

    #[test]
    fn names_outside_strtab_read_as_empty() {
        let b = ElfBuilder::new(true, true)
            .symbols(vec![Sym::new("printk", 0, 0), Sym::new("kfree", 0, 0)]);
        let mut img = b.build();
        let (symtab_at, _) = {
            let elf = ModuleElf::parse(p(), &img).unwrap();
            elf.section_by_index(1).unwrap()
        };
        // Symbol 1's st_name far outside .strtab.
        let at = symtab_at as usize + 24;
        img[at..at + 4].copy_from_slice(&0xffff_0000u32.to_le_bytes());
        assert_eq!(deps(&img), vec![("kfree".into(), 0, false)]);
    }
}
