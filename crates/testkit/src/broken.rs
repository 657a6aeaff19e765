//! Deliberately damaged module images, for testing error paths of ELF readers.
//!
//! Header-level damage works on any data at least as long as an ELF header (shorter data is returned
//! unchanged). Section-level damage needs a section header table that can be followed and returns
//! `None` when the data does not have one or lacks the section.

/// Field positions in the ELF header and section headers of one class, with the byte order.
struct Fields {
    big_endian: bool,
    class64: bool,
}

impl Fields {
    fn of(data: &[u8]) -> Option<Fields> {
        let class64 = match data.get(4)? {
            1 => false,
            2 => true,
            _ => return None,
        };
        let big_endian = match data.get(5)? {
            1 => false,
            2 => true,
            _ => return None,
        };
        let f = Fields {
            big_endian,
            class64,
        };
        (data.len() >= f.ehsize()).then_some(f)
    }

    fn ehsize(&self) -> usize {
        if self.class64 {
            64
        } else {
            52
        }
    }

    fn shoff_at(&self) -> usize {
        if self.class64 {
            40
        } else {
            32
        }
    }

    fn shentsize_at(&self) -> usize {
        if self.class64 {
            58
        } else {
            46
        }
    }

    fn read(&self, data: &[u8], at: usize, len: usize) -> Option<u64> {
        let bytes = data.get(at..at.checked_add(len)?)?;
        let mut v = 0u64;
        if self.big_endian {
            for &b in bytes {
                v = (v << 8) | u64::from(b);
            }
        } else {
            for &b in bytes.iter().rev() {
                v = (v << 8) | u64::from(b);
            }
        }
        Some(v)
    }

    fn write(&self, data: &mut [u8], at: usize, len: usize, v: u64) -> Option<()> {
        let bytes = data.get_mut(at..at.checked_add(len)?)?;
        for (i, b) in bytes.iter_mut().enumerate() {
            let shift = if self.big_endian {
                8 * (len - 1 - i)
            } else {
                8 * i
            };
            *b = (v >> shift) as u8;
        }
        Some(())
    }

    fn word_len(&self) -> usize {
        if self.class64 {
            8
        } else {
            4
        }
    }

    /// (offset field position, size field position) within a section header.
    fn sh_offset_size(&self) -> (usize, usize) {
        if self.class64 {
            (24, 32)
        } else {
            (16, 20)
        }
    }

    /// Position of section header `index`.
    fn section_header(&self, data: &[u8], index: u64) -> Option<usize> {
        let shoff = self.read(data, self.shoff_at(), self.word_len())?;
        let entsize = self.read(data, self.shentsize_at(), 2)?;
        let at = usize::try_from(shoff.checked_add(index.checked_mul(entsize)?)?).ok()?;
        data.get(at..at.checked_add(usize::try_from(entsize).ok()?)?)?;
        Some(at)
    }

    /// (header position, content offset, content size) of section `index`.
    fn section(&self, data: &[u8], index: u64) -> Option<(usize, usize, usize)> {
        let hdr = self.section_header(data, index)?;
        let (off_at, size_at) = self.sh_offset_size();
        let offset = usize::try_from(self.read(data, hdr + off_at, self.word_len())?).ok()?;
        let size = usize::try_from(self.read(data, hdr + size_at, self.word_len())?).ok()?;
        data.get(offset..offset.checked_add(size)?)?;
        Some((hdr, offset, size))
    }

    /// Finds a section by name: (header position, content offset, content size).
    fn find(&self, data: &[u8], name: &str) -> Option<(usize, usize, usize)> {
        let shnum = self.read(data, self.shentsize_at() + 2, 2)?;
        let shstrndx = self.read(data, self.shentsize_at() + 4, 2)?;
        let (_, str_off, str_size) = self.section(data, shstrndx)?;
        let names = data.get(str_off..str_off + str_size)?;
        (1..shnum).find_map(|i| {
            let hdr = self.section_header(data, i)?;
            let name_off = usize::try_from(self.read(data, hdr, 4)?).ok()?;
            let rest = names.get(name_off..)?;
            let end = rest.iter().position(|&b| b == 0)?;
            (rest.get(..end)? == name.as_bytes())
                .then(|| self.section(data, i))
                .flatten()
        })
    }
}

/// The first `len` bytes of `data` (all of it if shorter).
pub fn truncate(data: &[u8], len: usize) -> Vec<u8> {
    data[..len.min(data.len())].to_vec()
}

/// `data` with the ELF magic damaged (`\x7fEXF`).
pub fn corrupt_elf_magic(data: &[u8]) -> Vec<u8> {
    let mut d = data.to_vec();
    if let Some(b) = d.get_mut(2) {
        *b = b'X';
    }
    d
}

fn patch_header(data: &[u8], field: impl Fn(&Fields) -> (usize, usize, u64)) -> Vec<u8> {
    let mut d = data.to_vec();
    if let Some(f) = Fields::of(data) {
        let (at, len, value) = field(&f);
        let _ = f.write(&mut d, at, len, value);
    }
    d
}

/// `data` with `e_shoff` pointing past the end of the file.
pub fn corrupt_shoff(data: &[u8]) -> Vec<u8> {
    let len = data.len() as u64;
    patch_header(data, |f| (f.shoff_at(), f.word_len(), len + 64))
}

/// `data` with a wrong `e_shentsize` (1).
pub fn corrupt_shentsize(data: &[u8]) -> Vec<u8> {
    patch_header(data, |f| (f.shentsize_at(), 2, 1))
}

/// `data` with `e_shnum` = 0xffff, so the section table runs past the end of the file.
pub fn corrupt_shnum(data: &[u8]) -> Vec<u8> {
    patch_header(data, |f| (f.shentsize_at() + 2, 2, 0xffff))
}

/// `data` with `e_shstrndx` beyond the last section.
pub fn corrupt_shstrndx(data: &[u8]) -> Vec<u8> {
    let shnum = Fields::of(data)
        .and_then(|f| f.read(data, f.shentsize_at() + 2, 2))
        .unwrap_or(0);
    patch_header(data, |f| (f.shentsize_at() + 4, 2, shnum + 3))
}

fn patch_section_last_byte(data: &[u8], name: &str) -> Option<Vec<u8>> {
    let f = Fields::of(data)?;
    let (_, offset, size) = f.find(data, name)?;
    let mut d = data.to_vec();
    *d.get_mut((offset + size).checked_sub(1)?)? = b'x';
    Some(d)
}

/// `data` whose `.modinfo` section does not end with a NUL (its last byte becomes `x`).
pub fn unterminated_modinfo(data: &[u8]) -> Option<Vec<u8>> {
    patch_section_last_byte(data, ".modinfo")
}

/// `data` whose section-name string table does not end with a NUL.
pub fn unterminated_shstrtab(data: &[u8]) -> Option<Vec<u8>> {
    patch_section_last_byte(data, ".shstrtab")
}

/// `data` whose `__versions` section is one byte shorter than a multiple of 64.
pub fn versions_bad_size(data: &[u8]) -> Option<Vec<u8>> {
    let f = Fields::of(data)?;
    let (hdr, _, size) = f.find(data, "__versions")?;
    let mut d = data.to_vec();
    let (_, size_at) = f.sh_offset_size();
    f.write(
        &mut d,
        hdr + size_at,
        f.word_len(),
        size.checked_sub(1)? as u64,
    )?;
    Some(d)
}

/// `data` whose section `name` has its contents placed past the end of the file.
pub fn section_out_of_bounds(data: &[u8], name: &str) -> Option<Vec<u8>> {
    let f = Fields::of(data)?;
    let (hdr, _, _) = f.find(data, name)?;
    let mut d = data.to_vec();
    let (off_at, _) = f.sh_offset_size();
    f.write(&mut d, hdr + off_at, f.word_len(), data.len() as u64 + 16)?;
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ModuleBuilder;

    fn modules() -> Vec<Vec<u8>> {
        [(false, false), (false, true), (true, false), (true, true)]
            .iter()
            .map(|&(c, b)| {
                ModuleBuilder::new("m")
                    .class64(c)
                    .big_endian(b)
                    .modinfo("license", "GPL")
                    .version("module_layout", 1)
                    .build()
            })
            .collect()
    }

    #[test]
    fn finds_sections_in_every_layout() {
        for data in modules() {
            let f = Fields::of(&data).unwrap();
            let (_, off, size) = f.find(&data, ".modinfo").unwrap();
            assert_eq!(&data[off..off + size], b"license=GPL\0");
            assert_eq!(f.find(&data, "__versions").unwrap().2, 64);
            assert!(f.find(&data, "nope").is_none());
        }
    }

    #[test]
    fn damage_is_where_intended() {
        for data in modules() {
            let f = Fields::of(&data).unwrap();
            assert_eq!(&corrupt_elf_magic(&data)[..4], b"\x7fEXF");
            assert_eq!(truncate(&data, 10), &data[..10]);
            assert_eq!(truncate(&data, usize::MAX), data);

            let d = corrupt_shoff(&data);
            assert_eq!(
                f.read(&d, f.shoff_at(), f.word_len()),
                Some(data.len() as u64 + 64)
            );
            assert_eq!(
                f.read(&corrupt_shentsize(&data), f.shentsize_at(), 2),
                Some(1)
            );
            assert_eq!(
                f.read(&corrupt_shnum(&data), f.shentsize_at() + 2, 2),
                Some(0xffff)
            );
            let shnum = f.read(&data, f.shentsize_at() + 2, 2).unwrap();
            assert_eq!(
                f.read(&corrupt_shstrndx(&data), f.shentsize_at() + 4, 2),
                Some(shnum + 3)
            );

            let d = unterminated_modinfo(&data).unwrap();
            let (_, off, size) = f.find(&d, ".modinfo").unwrap();
            assert_eq!(&d[off..off + size], b"license=GPLx");
            let d = unterminated_shstrtab(&data).unwrap();
            assert!(
                f.find(&d, ".modinfo").is_some(),
                "names before the last still resolve"
            );
            assert_eq!(
                f.find(&versions_bad_size(&data).unwrap(), "__versions")
                    .unwrap()
                    .2,
                63
            );
            let d = section_out_of_bounds(&data, ".modinfo").unwrap();
            assert!(f.find(&d, ".modinfo").is_none());
        }
    }

    #[test]
    fn garbage_in_is_harmless() {
        for data in [&b""[..], b"\x7fELF", &[0xff; 100]] {
            assert_eq!(corrupt_shoff(data), data);
            assert_eq!(corrupt_shstrndx(data), data);
            assert!(unterminated_modinfo(data).is_none());
            assert!(versions_bad_size(data).is_none());
            assert!(section_out_of_bounds(data, ".modinfo").is_none());
        }
        let no_versions = ModuleBuilder::new("m").build();
        assert!(versions_bad_size(&no_versions).is_none());
        // Broken section tables are not followed.
        assert!(unterminated_modinfo(&corrupt_shoff(&no_versions)).is_none());
    }
}
