//! ELF header and section header table: validation and section lookup by name.
//!
//! Only the ELF header and the section header table are parsed up front; section contents are
//! looked at only when asked for. A section whose data lies outside the file is treated as absent
//! (kmod 30 reports such a `.modinfo` as missing, `ENOENT`).

use std::path::Path;

use goblin::elf::header::{
    EI_CLASS, EI_DATA, ELFCLASS32, ELFCLASS64, ELFDATA2LSB, ELFDATA2MSB, ELFMAG,
};

use crate::bytes::{c_str, EndianBytes};
use crate::error::Error;

/// The ELF class (word size) of a module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ElfClass {
    /// 32-bit (`ELFCLASS32`).
    Elf32,
    /// 64-bit (`ELFCLASS64`).
    Elf64,
}

/// One entry of the section header table (the fields this crate uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SectionHeader {
    /// Offset of the name in the section name string table.
    pub(crate) name: u32,
    /// File offset of the contents.
    pub(crate) offset: u64,
    /// Size of the contents in bytes.
    pub(crate) size: u64,
}

/// Layout of the ELF header and section headers for one class.
struct Layout {
    ehdr_size: u64,
    shentsize: u16,
    shoff: u64,
    shentsize_at: u64,
    shnum_at: u64,
    shstrndx_at: u64,
    sh_offset_at: u64,
    sh_size_at: u64,
}

const LAYOUT32: Layout = Layout {
    ehdr_size: goblin::elf32::header::SIZEOF_EHDR as u64,
    shentsize: goblin::elf32::section_header::SIZEOF_SHDR as u16,
    shoff: 32,
    shentsize_at: 46,
    shnum_at: 48,
    shstrndx_at: 50,
    sh_offset_at: 16,
    sh_size_at: 20,
};

const LAYOUT64: Layout = Layout {
    ehdr_size: goblin::elf64::header::SIZEOF_EHDR as u64,
    shentsize: goblin::elf64::section_header::SIZEOF_SHDR as u16,
    shoff: 40,
    shentsize_at: 58,
    shnum_at: 60,
    shstrndx_at: 62,
    sh_offset_at: 24,
    sh_size_at: 32,
};

/// The header layout of `class` and whether its words are 64-bit.
fn layout_of(class: ElfClass) -> (&'static Layout, bool) {
    match class {
        ElfClass::Elf32 => (&LAYOUT32, false),
        ElfClass::Elf64 => (&LAYOUT64, true),
    }
}

/// Offset of `e_type` and `e_machine` (same for both classes).
const E_TYPE_AT: u64 = 16;
const E_MACHINE_AT: u64 = 18;

/// A validated view of a module's ELF image, borrowing the image bytes.
///
/// Created by [`crate::ModuleFile::elf`] or [`ModuleElf::parse`]; holds the section header table
/// so that every later request only looks at the sections it needs.
#[derive(Debug, Clone)]
pub struct ModuleElf<'a> {
    path: &'a Path,
    bytes: EndianBytes<'a>,
    class: ElfClass,
    little: bool,
    e_type: u16,
    machine: u16,
    sections: Vec<SectionHeader>,
    shstrtab: &'a [u8],
    table_end: u64,
}

impl<'a> ModuleElf<'a> {
    /// Validates the ELF header and section header table of `data` (`path` is used in errors).
    ///
    /// Checks: ELF magic (else [`Error::NotElf`]); class 32/64 and byte order; the section
    /// header entry size; that the table and the section name string table lie inside the data;
    /// that the name table is NUL-terminated (else [`Error::InvalidElf`]).
    pub fn parse(path: &'a Path, data: &'a [u8]) -> Result<ModuleElf<'a>, Error> {
        let invalid = |problem: String| Error::InvalidElf {
            path: path.to_path_buf(),
            problem,
        };
        let (class, little) = identify(path, data)?;
        let (layout, wide) = layout_of(class);
        let bytes = EndianBytes::new(data, little);
        if (data.len() as u64) < layout.ehdr_size {
            return Err(invalid(format!(
                "truncated ELF header ({} bytes, need {})",
                data.len(),
                layout.ehdr_size
            )));
        }
        let truncated = || invalid("truncated ELF header".into());
        let e_type = bytes.u16(E_TYPE_AT).ok_or_else(truncated)?;
        let machine = bytes.u16(E_MACHINE_AT).ok_or_else(truncated)?;
        let shstrndx = bytes.u16(layout.shstrndx_at).ok_or_else(truncated)?;
        let sections = section_table(&bytes, layout, wide).map_err(invalid)?;
        let table_end = section_table_end(&bytes, layout, wide).unwrap_or(0);
        let shstrtab = name_table(&bytes, &sections, shstrndx).map_err(invalid)?;
        Ok(ModuleElf {
            path,
            bytes,
            class,
            little,
            e_type,
            machine,
            sections,
            shstrtab,
            table_end,
        })
    }

    /// Where the section header table ends: the end of the ELF image proper for modules linked by
    /// the kernel build (`ld -r` puts the table last); a signature, if any, follows it.
    pub fn section_table_end(&self) -> u64 {
        self.table_end
    }

    /// The file name used in errors.
    pub fn path(&self) -> &'a Path {
        self.path
    }

    /// 32- or 64-bit.
    pub fn class(&self) -> ElfClass {
        self.class
    }

    /// Whether the image is little-endian (`ELFDATA2LSB`).
    pub fn is_little_endian(&self) -> bool {
        self.little
    }

    /// `e_machine` (e.g. 62 for x86-64).
    pub fn machine(&self) -> u16 {
        self.machine
    }

    /// `e_type` (1 = `ET_REL` for kernel modules).
    pub fn elf_type(&self) -> u16 {
        self.e_type
    }

    /// Number of entries in the section header table (including the null section 0).
    pub fn section_count(&self) -> usize {
        self.sections.len()
    }

    /// The contents of the first section called `name` whose data lies inside the file.
    pub fn section(&self, name: &str) -> Option<&'a [u8]> {
        self.find_section(name).map(|(_, data)| data)
    }

    /// Whether a section called `name` exists with its data inside the file.
    ///
    /// kmod's tools fail with `ENOENT` when a section they list is absent: `modinfo` for
    /// `.modinfo`, `modprobe --show-modversions` for `__versions`, `--show-exports` when there are
    /// no `__crc_` symbols and no `__ksymtab_strings`. The list methods of this type return an
    /// empty list instead; use this (or [`ModuleElf::require_section`]) to tell the cases apart.
    pub fn has_section(&self, name: &str) -> bool {
        self.find_section(name).is_some()
    }

    /// The contents of section `name`, or an error with errno `ENOENT` (as kmod):
    /// [`Error::MissingSection`] if there is no such section, [`Error::SectionOutsideFile`] if
    /// its data does not lie inside the file.
    pub fn require_section(&self, name: &str) -> Result<&'a [u8], Error> {
        if let Some(data) = self.section(name) {
            return Ok(data);
        }
        let path = self.path.to_path_buf();
        let section = name.to_string();
        Err(match self.named(name).next() {
            Some((_, sh)) => Error::SectionOutsideFile {
                path,
                section,
                offset: sh.offset,
                size: sh.size,
            },
            None => Error::MissingSection { path, section },
        })
    }

    /// The section headers (with their index) whose name is `name`.
    fn named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = (usize, SectionHeader)> + 's {
        self.sections
            .iter()
            .enumerate()
            .skip(1)
            .filter(move |(_, sh)| {
                usize::try_from(sh.name)
                    .ok()
                    .and_then(|off| self.shstrtab.get(off..))
                    .and_then(c_str)
                    == Some(name.as_bytes())
            })
            .map(|(i, sh)| (i, *sh))
    }

    /// Index and contents of the first section called `name` with data inside the file.
    pub(crate) fn find_section(&self, name: &str) -> Option<(usize, &'a [u8])> {
        self.named(name)
            .find_map(|(i, sh)| Some((i, self.bytes.slice(sh.offset, sh.size)?)))
    }

    /// File ranges `(offset, size)` of the sections called `name` that lie inside the image.
    pub(crate) fn section_spans<'s>(
        &'s self,
        name: &'s str,
    ) -> impl Iterator<Item = (u64, u64)> + 's {
        self.named(name)
            .filter(|(_, sh)| self.bytes.slice(sh.offset, sh.size).is_some())
            .map(|(_, sh)| (sh.offset, sh.size))
    }

    /// The file range `(offset, size)` of section `index`, if it exists and lies inside the image.
    pub(crate) fn section_span(&self, index: usize) -> Option<(u64, u64)> {
        let sh = self.sections.get(index)?;
        self.bytes.slice(sh.offset, sh.size)?;
        Some((sh.offset, sh.size))
    }

    /// The file offset and contents of section `index`, if it exists and lies inside the file.
    pub(crate) fn section_by_index(&self, index: usize) -> Option<(u64, &'a [u8])> {
        let sh = self.sections.get(index)?;
        Some((sh.offset, self.bytes.slice(sh.offset, sh.size)?))
    }

    /// An endian-aware reader over `data` in this image's byte order.
    pub(crate) fn reader(&self, data: &'a [u8]) -> EndianBytes<'a> {
        EndianBytes::new(data, self.little)
    }

    /// Builds an [`Error::InvalidSection`] for this file.
    pub(crate) fn section_error(&self, section: &str, problem: String) -> Error {
        Error::InvalidSection {
            path: self.path.to_path_buf(),
            section: section.to_string(),
            problem,
        }
    }
}

/// Where the section header table lies, `(e_shoff, e_shoff + e_shnum * e_shentsize)`, read from
/// the ELF header at the start of `head` alone; `None` if `head` is not a usable ELF header.
/// For readers that fetch only parts of a file (the table is then validated by [`ModuleElf::parse`]).
pub(crate) fn section_table_span(head: &[u8]) -> Option<(u64, u64)> {
    let (bytes, layout, wide) = header_view(head)?;
    let start = bytes.word(layout.shoff, wide)?;
    Some((start, section_table_end(&bytes, layout, wide)?))
}

/// The file range `(offset, size)` of the section name string table, read from an image whose
/// ELF header and section header table are in place (other bytes may still be missing).
pub(crate) fn name_table_span(image: &[u8]) -> Option<(u64, u64)> {
    let (bytes, layout, wide) = header_view(image)?;
    let shstrndx = bytes.u16(layout.shstrndx_at)?;
    let sections = section_table(&bytes, layout, wide).ok()?;
    let header = sections.get(usize::from(shstrndx))?;
    Some((header.offset, header.size))
}

/// A reader over `data` in its byte order, with its class's header layout and word size; `None`
/// if `data` does not start with a usable ELF identification.
fn header_view(data: &[u8]) -> Option<(EndianBytes<'_>, &'static Layout, bool)> {
    let (class, little) = identify(Path::new(""), data).ok()?;
    let (layout, wide) = layout_of(class);
    Some((EndianBytes::new(data, little), layout, wide))
}

/// Class and byte order from `e_ident`, or [`Error::NotElf`] / [`Error::InvalidElf`].
fn identify(path: &Path, data: &[u8]) -> Result<(ElfClass, bool), Error> {
    if !data.starts_with(ELFMAG) {
        return Err(Error::NotElf {
            path: path.to_path_buf(),
        });
    }
    let invalid = |problem: String| Error::InvalidElf {
        path: path.to_path_buf(),
        problem,
    };
    let class = match data.get(EI_CLASS).copied() {
        Some(ELFCLASS32) => ElfClass::Elf32,
        Some(ELFCLASS64) => ElfClass::Elf64,
        other => return Err(invalid(format!("invalid ELF class {}", show(other)))),
    };
    let little = match data.get(EI_DATA).copied() {
        Some(ELFDATA2LSB) => true,
        Some(ELFDATA2MSB) => false,
        other => {
            return Err(invalid(format!(
                "invalid ELF data encoding {}",
                show(other)
            )))
        }
    };
    Ok((class, little))
}

/// Reads the section header table after checking its entry size and bounds.
fn section_table(
    bytes: &EndianBytes<'_>,
    layout: &Layout,
    wide: bool,
) -> Result<Vec<SectionHeader>, String> {
    let truncated = || "truncated ELF header".to_string();
    let shentsize = bytes.u16(layout.shentsize_at).ok_or_else(truncated)?;
    let shnum = bytes.u16(layout.shnum_at).ok_or_else(truncated)?;
    let shoff = bytes.word(layout.shoff, wide).ok_or_else(truncated)?;
    if shentsize != layout.shentsize {
        return Err(format!(
            "unexpected section header size {shentsize} (expected {})",
            layout.shentsize
        ));
    }
    let entry = u64::from(shentsize);
    let table = bytes
        .slice(shoff, u64::from(shnum) * entry)
        .ok_or_else(|| {
            format!(
                "truncated section header table ({shnum} entries at offset {shoff}, file size {})",
                bytes.len()
            )
        })?;
    let table = EndianBytes::new(table, bytes.is_little());
    Ok((0..u64::from(shnum))
        .filter_map(|i| read_section_header(&table, layout, wide, i * entry))
        .collect())
}

/// End offset of the section header table (`e_shoff + e_shnum * e_shentsize`).
fn section_table_end(bytes: &EndianBytes<'_>, layout: &Layout, wide: bool) -> Option<u64> {
    let shentsize = bytes.u16(layout.shentsize_at)?;
    let shnum = bytes.u16(layout.shnum_at)?;
    let shoff = bytes.word(layout.shoff, wide)?;
    shoff.checked_add(u64::from(shnum) * u64::from(shentsize))
}

/// The section name string table: index in range, data inside the file, NUL-terminated.
fn name_table<'a>(
    bytes: &EndianBytes<'a>,
    sections: &[SectionHeader],
    shstrndx: u16,
) -> Result<&'a [u8], String> {
    let header = match sections.get(usize::from(shstrndx)) {
        Some(header) if shstrndx != 0 => header,
        _ => {
            return Err(format!(
                "section name table index {shstrndx} out of range ({} sections)",
                sections.len()
            ))
        }
    };
    let names = bytes
        .slice(header.offset, header.size)
        .ok_or_else(|| "section name table lies outside the file".to_string())?;
    if names.last() != Some(&0) {
        return Err("section name table is not NUL-terminated".into());
    }
    Ok(names)
}

/// Decodes the section header at `at` in the table (`None` cannot happen for an in-range table).
fn read_section_header(
    table: &EndianBytes<'_>,
    layout: &Layout,
    wide: bool,
    at: u64,
) -> Option<SectionHeader> {
    Some(SectionHeader {
        name: table.u32(at)?,
        offset: table.word(at + layout.sh_offset_at, wide)?,
        size: table.word(at + layout.sh_size_at, wide)?,
    })
}

/// Formats an optional identification byte for an error message.
fn show(b: Option<u8>) -> String {
    b.map_or_else(|| "(missing)".to_string(), |b| b.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_elf::ElfBuilder;

    fn p() -> &'static Path {
        Path::new("/m/t.ko")
    }

    #[test]
    fn finds_sections_in_all_four_flavours() {
        for wide in [false, true] {
            for little in [false, true] {
                let img = ElfBuilder::new(wide, little)
                    .section(".text", b"code")
                    .section(".modinfo", b"license=GPL\0")
                    .build();
                let elf = ModuleElf::parse(p(), &img).unwrap();
                let class = if wide {
                    ElfClass::Elf64
                } else {
                    ElfClass::Elf32
                };
                assert_eq!(elf.class(), class);
                assert_eq!(elf.is_little_endian(), little);
                assert_eq!(elf.elf_type(), 1);
                assert_eq!(elf.machine(), 62);
                assert_eq!(elf.section(".modinfo"), Some(&b"license=GPL\0"[..]));
                assert_eq!(elf.section(".text"), Some(&b"code"[..]));
                assert_eq!(elf.section(".tex"), None);
                assert!(elf.has_section(".text"));
                assert_eq!(elf.section_count(), 4);
                assert_eq!(elf.path(), p());
            }
        }
    }

    #[test]
    fn rejects_non_elf() {
        let err = ModuleElf::parse(p(), b"MZ\x90\x00 not an elf").unwrap_err();
        assert!(matches!(err, Error::NotElf { .. }));
        assert_eq!(err.errno_like(), 8);
        assert!(matches!(
            ModuleElf::parse(p(), b"\x7fEL"),
            Err(Error::NotElf { .. })
        ));
    }

    fn patched(offset: usize, bytes: &[u8]) -> Vec<u8> {
        let mut img = ElfBuilder::new(true, true)
            .section(".modinfo", b"a=b\0")
            .build();
        img[offset..offset + bytes.len()].copy_from_slice(bytes);
        img
    }

    fn invalid_problem(img: &[u8]) -> String {
        match ModuleElf::parse(p(), img) {
            Err(e @ Error::InvalidElf { .. }) => {
                assert_eq!(e.errno_like(), 22);
                e.to_string()
            }
            other => panic!("expected InvalidElf, got {other:?}"),
        }
    }

    #[test]
    fn rejects_bad_identification() {
        assert!(invalid_problem(&patched(4, &[3])).contains("invalid ELF class 3"));
        assert!(invalid_problem(&patched(5, &[0])).contains("invalid ELF data encoding 0"));
        assert!(invalid_problem(b"\x7fELF").contains("invalid ELF class (missing)"));
        assert!(invalid_problem(b"\x7fELF\x02\x01\x01").contains("truncated ELF header"));
    }

    #[test]
    fn rejects_bad_section_table() {
        assert!(
            invalid_problem(&patched(58, &[63, 0])).contains("unexpected section header size 63")
        );
        let far = 0x10_0000u64.to_le_bytes();
        assert!(invalid_problem(&patched(40, &far)).contains("truncated section header table"));
        assert!(
            invalid_problem(&patched(40, &[0xff; 8])).contains("truncated section header table")
        );
        assert!(invalid_problem(&patched(62, &[200, 0])).contains("section name table index 200"));
        assert!(invalid_problem(&patched(62, &[0, 0])).contains("section name table index 0"));
        assert!(invalid_problem(&patched(60, &[0, 0])).contains("out of range (0 sections)"));
    }

    #[test]
    fn rejects_bad_name_table() {
        let b = ElfBuilder::new(true, true).section(".modinfo", b"a=b\0");
        let img = b.build();
        let shstr = b.shstrtab_header_offset(&img);
        let mut cut = img.clone();
        // Shrink the name table by one byte: its last byte is then not a NUL.
        let size_at = shstr + 32;
        let size = u64::from_le_bytes(cut[size_at..size_at + 8].try_into().unwrap());
        cut[size_at..size_at + 8].copy_from_slice(&(size - 1).to_le_bytes());
        assert!(invalid_problem(&cut).contains("not NUL-terminated"));
        let mut outside = img.clone();
        outside[shstr + 24..shstr + 32].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(invalid_problem(&outside).contains("outside the file"));
    }

    #[test]
    fn section_outside_file_is_absent() {
        let b = ElfBuilder::new(false, false)
            .section(".modinfo", b"a=b\0")
            .section(".modinfo", b"c=d\0");
        let mut img = b.build();
        // Point the first .modinfo (section 1) past the end: lookup skips it.
        let sh1 = b.section_header_offset(&img, 1);
        img[sh1 + 16..sh1 + 20].copy_from_slice(&0x7fff_0000u32.to_be_bytes());
        let elf = ModuleElf::parse(p(), &img).unwrap();
        assert_eq!(elf.section(".modinfo"), Some(&b"c=d\0"[..]));
        assert!(elf.section_by_index(1).is_none());
        assert!(elf.section_by_index(2).is_some());
        assert!(elf.section_by_index(99).is_none());
        let err = elf.require_section("__versions").unwrap_err();
        assert_eq!(err.to_string(), "/m/t.ko: no __versions section");
        assert_eq!(err.errno_like(), 2);
        // With only the out-of-bounds copy left, the error says where it points.
        let sh2 = b.section_header_offset(&img, 2);
        img[sh2 + 16..sh2 + 20].copy_from_slice(&0x7fff_0000u32.to_be_bytes());
        let elf = ModuleElf::parse(p(), &img).unwrap();
        let err = elf.require_section(".modinfo").unwrap_err();
        assert_eq!(
            err.to_string(),
            "/m/t.ko: section .modinfo (offset 2147418112, size 4) lies outside the file"
        );
        assert_eq!(err.errno_like(), 2);
    }

    #[test]
    fn bad_name_offset_is_ignored() {
        let b = ElfBuilder::new(true, true)
            .section(".a", b"1")
            .section(".modinfo", b"x");
        let mut img = b.build();
        let sh1 = b.section_header_offset(&img, 1);
        img[sh1..sh1 + 4].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
        let elf = ModuleElf::parse(p(), &img).unwrap();
        assert_eq!(elf.section(".a"), None);
        assert_eq!(elf.section(".modinfo"), Some(&b"x"[..]));
    }
}
