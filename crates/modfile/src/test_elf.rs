//! Test-only builder of tiny ELF relocatable files (32/64-bit, both byte orders).
//!
//! Sections added with [`ElfBuilder::section`] get indices 1, 2, ... in order; then come
//! `.symtab` and `.strtab` (if symbols were given) and `.shstrtab` last.

/// A symbol for [`ElfBuilder::symbols`].
#[derive(Debug, Clone)]
pub(crate) struct Sym {
    pub(crate) name: &'static str,
    pub(crate) value: u64,
    pub(crate) shndx: u16,
    pub(crate) bind: u8,
    pub(crate) typ: u8,
}

impl Sym {
    /// A global NOTYPE symbol.
    pub(crate) fn new(name: &'static str, value: u64, shndx: u16) -> Sym {
        Sym {
            name,
            value,
            shndx,
            bind: 1,
            typ: 0,
        }
    }

    /// The same symbol with another binding (0 local, 1 global, 2 weak).
    pub(crate) fn bind(mut self, bind: u8) -> Sym {
        self.bind = bind;
        self
    }

    /// The same symbol with another type.
    pub(crate) fn typ(mut self, typ: u8) -> Sym {
        self.typ = typ;
        self
    }
}

/// Builds an ELF image in memory.
#[derive(Debug, Clone)]
pub(crate) struct ElfBuilder {
    wide: bool,
    little: bool,
    machine: u16,
    sections: Vec<(String, Vec<u8>)>,
    symbols: Option<Vec<Sym>>,
}

impl ElfBuilder {
    /// An empty ET_REL x86-64-machine file of the given class (`wide` = 64-bit) and byte order.
    pub(crate) fn new(wide: bool, little: bool) -> Self {
        ElfBuilder {
            wide,
            little,
            machine: 62,
            sections: Vec::new(),
            symbols: None,
        }
    }

    /// Sets `e_machine`.
    pub(crate) fn machine(mut self, machine: u16) -> Self {
        self.machine = machine;
        self
    }

    /// Adds a section with the given contents.
    pub(crate) fn section(mut self, name: &str, data: &[u8]) -> Self {
        self.sections.push((name.to_string(), data.to_vec()));
        self
    }

    /// Adds `.symtab`/`.strtab` with a null symbol followed by `syms`.
    pub(crate) fn symbols(mut self, syms: Vec<Sym>) -> Self {
        self.symbols = Some(syms);
        self
    }

    fn put16(&self, out: &mut Vec<u8>, v: u16) {
        out.extend_from_slice(&if self.little {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        });
    }

    fn put32(&self, out: &mut Vec<u8>, v: u32) {
        out.extend_from_slice(&if self.little {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        });
    }

    fn put64(&self, out: &mut Vec<u8>, v: u64) {
        out.extend_from_slice(&if self.little {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        });
    }

    /// A class-sized word (8 bytes on 64-bit, 4 on 32-bit).
    pub(crate) fn word(&self, out: &mut Vec<u8>, v: u64) {
        if self.wide {
            self.put64(out, v);
        } else {
            self.put32(out, v as u32);
        }
    }

    /// A 32-bit integer in this file's byte order.
    pub(crate) fn u32_bytes(&self, v: u32) -> Vec<u8> {
        let mut out = Vec::new();
        self.put32(&mut out, v);
        out
    }

    /// A `__versions` record: class-sized CRC then the NUL-padded name.
    pub(crate) fn version_record(&self, crc: u64, name: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        self.word(&mut out, crc);
        out.extend_from_slice(name);
        out.resize(64, 0);
        out
    }

    fn symtab_bytes(&self, syms: &[Sym]) -> (Vec<u8>, Vec<u8>) {
        let mut strtab = vec![0u8];
        let mut symtab = Vec::new();
        let null = Sym::new("", 0, 0).bind(0);
        for s in std::iter::once(&null).chain(syms) {
            let name = if s.name.is_empty() {
                0
            } else {
                let at = strtab.len() as u32;
                strtab.extend_from_slice(s.name.as_bytes());
                strtab.push(0);
                at
            };
            let info = (s.bind << 4) | (s.typ & 0xf);
            self.put32(&mut symtab, name);
            if self.wide {
                symtab.push(info);
                symtab.push(0);
                self.put16(&mut symtab, s.shndx);
                self.put64(&mut symtab, s.value);
                self.put64(&mut symtab, 0);
            } else {
                self.put32(&mut symtab, s.value as u32);
                self.put32(&mut symtab, 0);
                symtab.push(info);
                symtab.push(0);
                self.put16(&mut symtab, s.shndx);
            }
        }
        (symtab, strtab)
    }

    /// The image.
    pub(crate) fn build(&self) -> Vec<u8> {
        let mut sections = self.sections.clone();
        if let Some(syms) = &self.symbols {
            let (symtab, strtab) = self.symtab_bytes(syms);
            sections.push((".symtab".into(), symtab));
            sections.push((".strtab".into(), strtab));
        }
        let mut shstrtab = vec![0u8];
        let mut name_offsets = Vec::new();
        for (name, _) in &sections {
            name_offsets.push(shstrtab.len() as u32);
            shstrtab.extend_from_slice(name.as_bytes());
            shstrtab.push(0);
        }
        name_offsets.push(shstrtab.len() as u32);
        shstrtab.extend_from_slice(b".shstrtab\0");
        sections.push((".shstrtab".into(), shstrtab));

        let ehsize: usize = if self.wide { 64 } else { 52 };
        let mut out = vec![0u8; ehsize];
        let mut placed = Vec::new();
        for (_, data) in &sections {
            out.resize(out.len().next_multiple_of(8), 0);
            placed.push((out.len() as u64, data.len() as u64));
            out.extend_from_slice(data);
        }
        out.resize(out.len().next_multiple_of(8), 0);
        let shoff = out.len() as u64;
        let shentsize: u16 = if self.wide { 64 } else { 40 };
        out.resize(out.len() + usize::from(shentsize), 0); // null section
        for (i, (offset, size)) in placed.iter().enumerate() {
            let mut sh = Vec::new();
            self.put32(&mut sh, name_offsets[i]);
            self.put32(&mut sh, 1); // SHT_PROGBITS
            self.word(&mut sh, 0); // flags
            self.word(&mut sh, 0); // addr
            self.word(&mut sh, *offset);
            self.word(&mut sh, *size);
            self.put32(&mut sh, 0); // link
            self.put32(&mut sh, 0); // info
            self.word(&mut sh, 1); // addralign
            self.word(&mut sh, 0); // entsize
            out.extend_from_slice(&sh);
        }
        let shnum = (placed.len() + 1) as u16;

        let mut h = Vec::new();
        h.extend_from_slice(b"\x7fELF");
        h.push(if self.wide { 2 } else { 1 });
        h.push(if self.little { 1 } else { 2 });
        h.push(1);
        h.resize(16, 0);
        self.put16(&mut h, 1); // ET_REL
        self.put16(&mut h, self.machine);
        self.put32(&mut h, 1);
        self.word(&mut h, 0); // entry
        self.word(&mut h, 0); // phoff
        self.word(&mut h, shoff);
        self.put32(&mut h, 0); // flags
        self.put16(&mut h, ehsize as u16);
        self.put16(&mut h, 0); // phentsize
        self.put16(&mut h, 0); // phnum
        self.put16(&mut h, shentsize);
        self.put16(&mut h, shnum);
        self.put16(&mut h, shnum - 1);
        out[..ehsize].copy_from_slice(&h);
        out
    }

    /// Byte offset, in `img` built by this builder, of section header `index`.
    pub(crate) fn section_header_offset(&self, img: &[u8], index: usize) -> usize {
        let (shoff, entsize) = if self.wide {
            let b: [u8; 8] = img[40..48].try_into().unwrap();
            let v = if self.little {
                u64::from_le_bytes(b)
            } else {
                u64::from_be_bytes(b)
            };
            (v as usize, 64)
        } else {
            let b: [u8; 4] = img[32..36].try_into().unwrap();
            let v = if self.little {
                u32::from_le_bytes(b)
            } else {
                u32::from_be_bytes(b)
            };
            (v as usize, 40)
        };
        shoff + index * entsize
    }

    /// Byte offset, in `img`, of the `.shstrtab` section header (the last one).
    pub(crate) fn shstrtab_header_offset(&self, img: &[u8]) -> usize {
        let extra = if self.symbols.is_some() { 2 } else { 0 };
        self.section_header_offset(img, self.sections.len() + extra + 1)
    }
}
