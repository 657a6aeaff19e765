//! [`ModuleBuilder`]: synthetic kernel-module-like relocatable ELF files.

use crate::elf::{
    write_elf, Layout, Section, Symbol, EM_X86_64, SHF_ALLOC, SHF_EXECINSTR, SHN_ABS, SHN_UNDEF,
    SHT_NOTE, SHT_PROGBITS, SHT_STRTAB, SHT_SYMTAB, STB_GLOBAL, STB_WEAK, STT_FUNC, STT_NOTYPE,
    STT_OBJECT,
};
use crate::signature::SignatureSpec;

/// How an exported symbol's CRC is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CrcStorage {
    /// `__crc_<sym>` is an absolute symbol whose value is the CRC (kernels before 6.x' data CRCs).
    Absolute,
    /// `__crc_<sym>` points at a `u32` in the `__kcrctab` section (newer kernels).
    InSection,
    /// No `__crc_` symbol (CONFIG_MODVERSIONS=n).
    None,
}

#[derive(Debug, Clone)]
struct Export {
    name: String,
    crc: u32,
    weak: bool,
    storage: CrcStorage,
}

#[derive(Debug, Clone)]
enum ModinfoChunk {
    Pair(String, String),
    Raw(Vec<u8>),
}

/// Builds a relocatable ELF file (`ET_REL`) shaped like a kernel module.
///
/// Sections, in order: `.text` (16 zero bytes), `.modinfo` (the `key=value\0` strings in call order),
/// `__versions` (if any [`version`](Self::version)), `__ksymtab_strings` (if any export), `__kcrctab`
/// (if any [`export_crc_in_section`](Self::export_crc_in_section)), `.note.gnu.build-id` (if set),
/// extra [`section`](Self::section)s, `.symtab`, `.strtab`, `.shstrtab`. Symbols: for each export the
/// symbol itself (a function in `.text`) and `__crc_<sym>`; then the undefined symbols. The module
/// name is used only for [`file_name`](Self::file_name); add `name=` with [`modinfo`](Self::modinfo)
/// if the test needs it.
#[derive(Debug, Clone)]
pub struct ModuleBuilder {
    name: String,
    layout: Layout,
    machine: u16,
    modinfo: Vec<ModinfoChunk>,
    versions: Vec<(String, u64)>,
    exports: Vec<Export>,
    undefined: Vec<(String, bool)>,
    build_id: Option<Vec<u8>>,
    sections: Vec<Section>,
    signature: Option<SignatureSpec>,
}

impl ModuleBuilder {
    /// A 64-bit little-endian x86-64 module with nothing in it.
    pub fn new(name: &str) -> Self {
        ModuleBuilder {
            name: name.to_string(),
            layout: Layout {
                class64: true,
                big_endian: false,
            },
            machine: EM_X86_64,
            modinfo: Vec::new(),
            versions: Vec::new(),
            exports: Vec::new(),
            undefined: Vec::new(),
            build_id: None,
            sections: Vec::new(),
            signature: None,
        }
    }

    /// The module name given to [`ModuleBuilder::new`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `<name>.ko`.
    pub fn file_name(&self) -> String {
        format!("{}.ko", self.name)
    }

    /// ELFCLASS64 (default) or ELFCLASS32.
    pub fn class64(mut self, yes: bool) -> Self {
        self.layout.class64 = yes;
        self
    }

    /// Big-endian (ELFDATA2MSB) or little-endian (default).
    pub fn big_endian(mut self, yes: bool) -> Self {
        self.layout.big_endian = yes;
        self
    }

    /// `e_machine` (default 62, x86-64).
    pub fn machine(mut self, machine: u16) -> Self {
        self.machine = machine;
        self
    }

    /// Adds `key=value` to `.modinfo`. Repeated keys are allowed; order is kept.
    pub fn modinfo(mut self, key: &str, value: &str) -> Self {
        self.modinfo
            .push(ModinfoChunk::Pair(key.to_string(), value.to_string()));
        self
    }

    /// Appends raw bytes to `.modinfo` (e.g. NUL padding, a string without `=`, or no final NUL).
    pub fn modinfo_raw(mut self, bytes: &[u8]) -> Self {
        self.modinfo.push(ModinfoChunk::Raw(bytes.to_vec()));
        self
    }

    /// Adds a `__versions` record (CRC of the class's `unsigned long` size, then the NUL-padded
    /// name; names are cut to leave room for the NUL: 55 bytes on 64-bit, 59 on 32-bit).
    pub fn version(mut self, symbol: &str, crc: u64) -> Self {
        self.versions.push((symbol.to_string(), crc));
        self
    }

    fn push_export(mut self, symbol: &str, crc: u32, weak: bool, storage: CrcStorage) -> Self {
        self.exports.push(Export {
            name: symbol.to_string(),
            crc,
            weak,
            storage,
        });
        self
    }

    /// Exports `symbol`: a `__ksymtab_strings` entry, the symbol itself (global function in `.text`)
    /// and an absolute `__crc_<symbol>` whose value is `crc`.
    pub fn export(self, symbol: &str, crc: u32) -> Self {
        self.push_export(symbol, crc, false, CrcStorage::Absolute)
    }

    /// Like [`export`](Self::export) with weak bindings (`__crc_<symbol>` is weak).
    pub fn export_weak(self, symbol: &str, crc: u32) -> Self {
        self.push_export(symbol, crc, true, CrcStorage::Absolute)
    }

    /// Like [`export`](Self::export), but the CRC is a `u32` in section `__kcrctab` and
    /// `__crc_<symbol>` points at it (how newer kernels store CRCs).
    pub fn export_crc_in_section(self, symbol: &str, crc: u32) -> Self {
        self.push_export(symbol, crc, false, CrcStorage::InSection)
    }

    /// Exports `symbol` without any `__crc_` symbol (a CONFIG_MODVERSIONS=n build): only the
    /// `__ksymtab_strings` entry and the symbol.
    pub fn export_without_crc(self, symbol: &str) -> Self {
        self.push_export(symbol, 0, false, CrcStorage::None)
    }

    /// Adds an undefined global symbol (a dependency).
    pub fn undefined(mut self, symbol: &str) -> Self {
        self.undefined.push((symbol.to_string(), false));
        self
    }

    /// Adds an undefined weak symbol.
    pub fn undefined_weak(mut self, symbol: &str) -> Self {
        self.undefined.push((symbol.to_string(), true));
        self
    }

    /// Adds a `.note.gnu.build-id` note (name `GNU`, type 3) with `id` as descriptor.
    pub fn build_id(mut self, id: &[u8]) -> Self {
        self.build_id = Some(id.to_vec());
        self
    }

    /// Adds an extra section with the given name, `SHT_*` type, `SHF_*` flags and contents.
    pub fn section(mut self, name: &str, sh_type: u32, flags: u64, data: &[u8]) -> Self {
        self.sections
            .push(Section::new(name, sh_type, flags, data.to_vec()));
        self
    }

    /// Appends a signature trailer after the ELF image.
    pub fn signature(mut self, spec: SignatureSpec) -> Self {
        self.signature = Some(spec);
        self
    }

    /// The `.modinfo` contents.
    fn modinfo_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for chunk in &self.modinfo {
            match chunk {
                ModinfoChunk::Pair(k, v) => {
                    out.extend_from_slice(k.as_bytes());
                    out.push(b'=');
                    out.extend_from_slice(v.as_bytes());
                    out.push(0);
                }
                ModinfoChunk::Raw(bytes) => out.extend_from_slice(bytes),
            }
        }
        out
    }

    /// The `__versions` contents: 64-byte records.
    fn versions_bytes(&self) -> Vec<u8> {
        let l = self.layout;
        let mut out = Vec::new();
        for (name, crc) in &self.versions {
            l.word(&mut out, *crc);
            let room = 64 - l.word_len();
            let name = &name.as_bytes()[..name.len().min(room - 1)];
            out.extend_from_slice(name);
            out.resize(out.len() + room - name.len(), 0);
        }
        out
    }

    fn build_id_note(&self, id: &[u8]) -> Vec<u8> {
        let l = self.layout;
        let mut out = Vec::new();
        l.u32(&mut out, 4);
        l.u32(&mut out, id.len() as u32);
        l.u32(&mut out, 3);
        out.extend_from_slice(b"GNU\0");
        out.extend_from_slice(id);
        out.resize(out.len().div_ceil(4) * 4, 0);
        out
    }

    /// The plain ELF image followed by the signature trailer, if any.
    pub fn build(&self) -> Vec<u8> {
        let l = self.layout;
        let mut sections = vec![{
            let mut text = Section::new(
                ".text",
                SHT_PROGBITS,
                SHF_ALLOC | SHF_EXECINSTR,
                vec![0; 16],
            );
            text.align = 16;
            text
        }];
        let text_index = 1u16;
        sections.push(Section::new(
            ".modinfo",
            SHT_PROGBITS,
            SHF_ALLOC,
            self.modinfo_bytes(),
        ));
        if !self.versions.is_empty() {
            let mut s = Section::new("__versions", SHT_PROGBITS, SHF_ALLOC, self.versions_bytes());
            s.align = 32;
            sections.push(s);
        }
        if !self.exports.is_empty() {
            let mut strings = Vec::new();
            for e in &self.exports {
                strings.extend_from_slice(e.name.as_bytes());
                strings.push(0);
            }
            sections.push(Section::new(
                "__ksymtab_strings",
                SHT_PROGBITS,
                SHF_ALLOC,
                strings,
            ));
        }
        let mut kcrctab_index = 0u16;
        let mut kcrctab = Vec::new();
        for e in self
            .exports
            .iter()
            .filter(|e| e.storage == CrcStorage::InSection)
        {
            l.u32(&mut kcrctab, e.crc);
        }
        if !kcrctab.is_empty() {
            kcrctab_index = sections.len() as u16 + 1;
            let mut s = Section::new("__kcrctab", SHT_PROGBITS, SHF_ALLOC, kcrctab);
            s.align = 4;
            sections.push(s);
        }
        if let Some(id) = &self.build_id {
            let mut s = Section::new(
                ".note.gnu.build-id",
                SHT_NOTE,
                SHF_ALLOC,
                self.build_id_note(id),
            );
            s.align = 4;
            sections.push(s);
        }
        sections.extend(self.sections.iter().cloned());

        // Symbols and their names.
        let mut strtab = vec![0u8];
        let mut name = |s: &str| {
            let at = strtab.len() as u32;
            strtab.extend_from_slice(s.as_bytes());
            strtab.push(0);
            at
        };
        let mut symbols = vec![Symbol::default()];
        let mut crc_slot = 0u64;
        for e in &self.exports {
            let binding = if e.weak { STB_WEAK } else { STB_GLOBAL };
            symbols.push(Symbol {
                name_offset: name(&e.name),
                binding,
                kind: STT_FUNC,
                shndx: text_index,
                value: 0,
                size: 1,
            });
            let crc_symbol = format!("__crc_{}", e.name);
            match e.storage {
                CrcStorage::Absolute => symbols.push(Symbol {
                    name_offset: name(&crc_symbol),
                    binding,
                    kind: STT_NOTYPE,
                    shndx: SHN_ABS,
                    value: u64::from(e.crc),
                    size: 0,
                }),
                CrcStorage::InSection => {
                    symbols.push(Symbol {
                        name_offset: name(&crc_symbol),
                        binding,
                        kind: STT_OBJECT,
                        shndx: kcrctab_index,
                        value: crc_slot,
                        size: 4,
                    });
                    crc_slot += 4;
                }
                CrcStorage::None => {}
            }
        }
        for (symbol, weak) in &self.undefined {
            symbols.push(Symbol {
                name_offset: name(symbol),
                binding: if *weak { STB_WEAK } else { STB_GLOBAL },
                kind: STT_NOTYPE,
                shndx: SHN_UNDEF,
                value: 0,
                size: 0,
            });
        }
        let mut symtab_data = Vec::new();
        for s in &symbols {
            l.symbol(&mut symtab_data, s);
        }
        let strtab_index = sections.len() as u32 + 2;
        let mut symtab = Section::new(".symtab", SHT_SYMTAB, 0, symtab_data);
        symtab.link = strtab_index;
        symtab.info = 1; // no local symbols besides the null entry
        symtab.align = l.word_len() as u64;
        symtab.entsize = l.symentsize();
        sections.push(symtab);
        sections.push(Section::new(".strtab", SHT_STRTAB, 0, strtab));

        let mut out = write_elf(l, self.machine, &sections);
        if let Some(sig) = &self.signature {
            out.extend_from_slice(&sig.trailer());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).position(|w| w == needle)
    }

    #[test]
    fn modinfo_strings_in_order() {
        let b = ModuleBuilder::new("m")
            .modinfo("license", "GPL")
            .modinfo("alias", "a1")
            .modinfo("alias", "a2")
            .modinfo_raw(b"\0\0noequals\0");
        assert_eq!(
            b.modinfo_bytes(),
            b"license=GPL\0alias=a1\0alias=a2\0\0\0noequals\0"
        );
        let data = b.build();
        assert!(find(&data, b"license=GPL\0alias=a1\0alias=a2\0").is_some());
        assert_eq!(b.file_name(), "m.ko");
        assert_eq!(b.name(), "m");
    }

    #[test]
    fn version_records_per_class() {
        for (class64, be) in [(true, false), (false, true)] {
            let b = ModuleBuilder::new("m")
                .class64(class64)
                .big_endian(be)
                .version("module_layout", 0x1234_5678)
                .version(&"x".repeat(100), 1);
            let v = b.versions_bytes();
            assert_eq!(v.len(), 128);
            let crc_len = if class64 { 8 } else { 4 };
            let crc = &v[..crc_len];
            if be {
                assert_eq!(&crc[crc_len - 4..], [0x12, 0x34, 0x56, 0x78]);
            } else {
                assert_eq!(&crc[..4], [0x78, 0x56, 0x34, 0x12]);
            }
            assert_eq!(&v[crc_len..crc_len + 14], b"module_layout\0");
            // The long name is cut so that its record still ends with a NUL.
            assert_eq!(v[127], 0);
            assert_eq!(v[126], b'x');
        }
    }

    #[test]
    fn exports_and_undefined_symbols_in_symtab() {
        let b = ModuleBuilder::new("m")
            .export("foo", 0xdead_beef)
            .export_crc_in_section("bar", 7)
            .undefined("printk")
            .undefined_weak("maybe");
        let data = b.build();
        assert!(find(&data, b"foo\0__crc_foo\0bar\0__crc_bar\0printk\0maybe\0").is_some());
        // __ksymtab_strings holds the exported names.
        assert!(find(&data, b"foo\0bar\0").is_some());
        // The absolute CRC is the symbol value (little-endian u64 on the default class).
        assert!(find(&data, &0xdead_beef_u64.to_le_bytes()).is_some());
    }

    #[test]
    fn signature_is_appended_last() {
        let spec = SignatureSpec::pkcs7("k", &[1], crate::Digest::Sha256, &[2; 8]);
        let plain = ModuleBuilder::new("m").build();
        let signed = ModuleBuilder::new("m").signature(spec.clone()).build();
        assert_eq!(&signed[..plain.len()], plain.as_slice());
        assert_eq!(&signed[plain.len()..], spec.trailer().as_slice());
    }

    #[test]
    fn build_id_note() {
        let data = ModuleBuilder::new("m").build_id(&[0xab; 20]).build();
        let at = find(&data, b"GNU\0").unwrap();
        assert_eq!(&data[at + 4..at + 24], [0xab; 20]);
        assert_eq!(&data[at - 4..at], 3u32.to_le_bytes());
    }
}
