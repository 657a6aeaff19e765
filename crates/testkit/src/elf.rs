//! Low-level writer of relocatable ELF files (`ET_REL`) of either class and byte order: a header,
//! section contents, a section header table and the section-name string table.

/// ELF section type: program data.
pub const SHT_PROGBITS: u32 = 1;
/// ELF section type: symbol table.
pub const SHT_SYMTAB: u32 = 2;
/// ELF section type: string table.
pub const SHT_STRTAB: u32 = 3;
/// ELF section type: note.
pub const SHT_NOTE: u32 = 7;
/// Section flag: writable.
pub const SHF_WRITE: u64 = 1;
/// Section flag: occupies memory at run time.
pub const SHF_ALLOC: u64 = 2;
/// Section flag: executable.
pub const SHF_EXECINSTR: u64 = 4;
/// Section index of absolute symbols.
pub const SHN_ABS: u16 = 0xfff1;
/// Section index of undefined symbols.
pub const SHN_UNDEF: u16 = 0;
/// Symbol binding: global.
pub const STB_GLOBAL: u8 = 1;
/// Symbol binding: weak.
pub const STB_WEAK: u8 = 2;
/// Symbol type: none.
pub const STT_NOTYPE: u8 = 0;
/// Symbol type: data object.
pub const STT_OBJECT: u8 = 1;
/// Symbol type: function.
pub const STT_FUNC: u8 = 2;
/// `e_machine` of x86-64 (the default of [`crate::ModuleBuilder`]).
pub const EM_X86_64: u16 = 62;

/// Class and byte order of the file being written; encodes integers accordingly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// ELFCLASS64 (true) or ELFCLASS32.
    pub class64: bool,
    /// ELFDATA2MSB (true) or ELFDATA2LSB.
    pub big_endian: bool,
}

impl Layout {
    /// Appends a 16-bit integer.
    pub fn u16(&self, out: &mut Vec<u8>, v: u16) {
        out.extend_from_slice(&if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        });
    }

    /// Appends a 32-bit integer.
    pub fn u32(&self, out: &mut Vec<u8>, v: u32) {
        out.extend_from_slice(&if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        });
    }

    /// Appends a 64-bit integer.
    pub fn u64(&self, out: &mut Vec<u8>, v: u64) {
        out.extend_from_slice(&if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        });
    }

    /// Appends an address-sized integer (`Elf32_Addr`/`Elf64_Addr`, C `unsigned long`); on 32-bit
    /// files the value is truncated to its low 32 bits.
    pub fn word(&self, out: &mut Vec<u8>, v: u64) {
        if self.class64 {
            self.u64(out, v);
        } else {
            self.u32(out, v as u32);
        }
    }

    /// Size of an address-sized integer.
    pub fn word_len(&self) -> usize {
        if self.class64 {
            8
        } else {
            4
        }
    }

    /// Size of the ELF header.
    pub fn ehsize(&self) -> u16 {
        if self.class64 {
            64
        } else {
            52
        }
    }

    /// Size of one section header.
    pub fn shentsize(&self) -> u16 {
        if self.class64 {
            64
        } else {
            40
        }
    }

    /// Size of one symbol table entry.
    pub fn symentsize(&self) -> u64 {
        if self.class64 {
            24
        } else {
            16
        }
    }

    /// Appends one symbol table entry.
    pub fn symbol(&self, out: &mut Vec<u8>, sym: &Symbol) {
        let info = (sym.binding << 4) | (sym.kind & 0xf);
        self.u32(out, sym.name_offset);
        if self.class64 {
            out.push(info);
            out.push(0);
            self.u16(out, sym.shndx);
            self.u64(out, sym.value);
            self.u64(out, sym.size);
        } else {
            self.u32(out, sym.value as u32);
            self.u32(out, sym.size as u32);
            out.push(info);
            out.push(0);
            self.u16(out, sym.shndx);
        }
    }
}

/// One symbol table entry before encoding.
#[derive(Debug, Clone, Default)]
pub struct Symbol {
    /// Offset of the name in `.strtab`.
    pub name_offset: u32,
    /// `STB_*` binding.
    pub binding: u8,
    /// `STT_*` type.
    pub kind: u8,
    /// Section index (`SHN_UNDEF`, `SHN_ABS` or a real section).
    pub shndx: u16,
    /// `st_value`.
    pub value: u64,
    /// `st_size`.
    pub size: u64,
}

/// One section to write (index 0, the null section, and `.shstrtab` are added by [`write_elf`]).
#[derive(Debug, Clone)]
pub struct Section {
    /// Section name.
    pub name: String,
    /// `SHT_*` type.
    pub sh_type: u32,
    /// `SHF_*` flags.
    pub flags: u64,
    /// Contents.
    pub data: Vec<u8>,
    /// `sh_link`.
    pub link: u32,
    /// `sh_info`.
    pub info: u32,
    /// Alignment of the contents in the file (power of two, at least 1).
    pub align: u64,
    /// `sh_entsize`.
    pub entsize: u64,
}

impl Section {
    /// A section with the given name, type, flags and contents, byte-aligned, no link/info/entsize.
    pub fn new(name: &str, sh_type: u32, flags: u64, data: Vec<u8>) -> Section {
        Section {
            name: name.to_string(),
            sh_type,
            flags,
            data,
            link: 0,
            info: 0,
            align: 1,
            entsize: 0,
        }
    }
}

fn pad_to(out: &mut Vec<u8>, align: u64) {
    let align = usize::try_from(align.max(1)).unwrap_or(1);
    let padded = out.len().div_ceil(align) * align;
    out.resize(padded, 0);
}

/// Writes an `ET_REL` file: header, the contents of `sections` (numbered from 1 in the given order),
/// `.shstrtab` (last section), then the section header table.
pub fn write_elf(layout: Layout, machine: u16, sections: &[Section]) -> Vec<u8> {
    let mut shstrtab = vec![0u8];
    let mut name_offsets = Vec::new();
    for name in sections
        .iter()
        .map(|s| s.name.as_str())
        .chain([".shstrtab"])
    {
        name_offsets.push(shstrtab.len() as u32);
        shstrtab.extend_from_slice(name.as_bytes());
        shstrtab.push(0);
    }
    let shstrtab_section = Section::new(".shstrtab", SHT_STRTAB, 0, shstrtab);
    let all: Vec<&Section> = sections.iter().chain([&shstrtab_section]).collect();

    let mut out = vec![0u8; usize::from(layout.ehsize())];
    let mut offsets = Vec::new();
    for s in &all {
        pad_to(&mut out, s.align);
        offsets.push(out.len() as u64);
        out.extend_from_slice(&s.data);
    }
    pad_to(&mut out, 8);
    let shoff = out.len() as u64;

    // Section header table: null entry, then one per section.
    out.resize(out.len() + usize::from(layout.shentsize()), 0);
    for ((s, &offset), &name) in all.iter().zip(&offsets).zip(&name_offsets) {
        layout.u32(&mut out, name);
        layout.u32(&mut out, s.sh_type);
        layout.word(&mut out, s.flags);
        layout.word(&mut out, 0);
        layout.word(&mut out, offset);
        layout.word(&mut out, s.data.len() as u64);
        layout.u32(&mut out, s.link);
        layout.u32(&mut out, s.info);
        layout.word(&mut out, s.align);
        layout.word(&mut out, s.entsize);
    }

    let shnum = all.len() as u16 + 1;
    let mut header = vec![0x7f, b'E', b'L', b'F'];
    header.push(if layout.class64 { 2 } else { 1 });
    header.push(if layout.big_endian { 2 } else { 1 });
    header.push(1); // EI_VERSION
    header.resize(16, 0);
    layout.u16(&mut header, 1); // ET_REL
    layout.u16(&mut header, machine);
    layout.u32(&mut header, 1); // EV_CURRENT
    layout.word(&mut header, 0); // e_entry
    layout.word(&mut header, 0); // e_phoff
    layout.word(&mut header, shoff);
    layout.u32(&mut header, 0); // e_flags
    layout.u16(&mut header, layout.ehsize());
    layout.u16(&mut header, 0); // e_phentsize
    layout.u16(&mut header, 0); // e_phnum
    layout.u16(&mut header, layout.shentsize());
    layout.u16(&mut header, shnum);
    layout.u16(&mut header, shnum - 1); // e_shstrndx: .shstrtab is last
    out[..header.len()].copy_from_slice(&header);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_for_each_class_and_order() {
        for (class64, big_endian) in [(false, false), (false, true), (true, false), (true, true)] {
            let layout = Layout {
                class64,
                big_endian,
            };
            let data = write_elf(
                layout,
                42,
                &[Section::new(".x", SHT_PROGBITS, 0, b"abc".to_vec())],
            );
            assert_eq!(&data[..4], b"\x7fELF");
            assert_eq!(data[4], if class64 { 2 } else { 1 });
            assert_eq!(data[5], if big_endian { 2 } else { 1 });
            let u16_at = |at: usize| {
                let b = [data[at], data[at + 1]];
                if big_endian {
                    u16::from_be_bytes(b)
                } else {
                    u16::from_le_bytes(b)
                }
            };
            assert_eq!(u16_at(16), 1);
            assert_eq!(u16_at(18), 42);
            let (shentsize_at, ehsize) = if class64 { (58, 64) } else { (46, 52) };
            assert_eq!(u16_at(shentsize_at - 6), ehsize);
            assert_eq!(u16_at(shentsize_at), layout.shentsize());
            assert_eq!(u16_at(shentsize_at + 2), 3); // null, .x, .shstrtab
            assert_eq!(u16_at(shentsize_at + 4), 2);
            assert_eq!(&data[usize::from(ehsize)..usize::from(ehsize) + 3], b"abc");
        }
    }

    #[test]
    fn symbol_sizes() {
        for class64 in [false, true] {
            let layout = Layout {
                class64,
                big_endian: false,
            };
            let mut out = Vec::new();
            layout.symbol(&mut out, &Symbol::default());
            assert_eq!(out.len() as u64, layout.symentsize());
        }
    }
}
