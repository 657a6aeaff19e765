//! The `__versions` section (CONFIG_MODVERSIONS): CRCs of the symbols a module uses.

use crate::bytes::c_str;
use crate::elf::{ElfClass, ModuleElf};
use crate::error::Error;

/// Name of the section holding the symbol version records.
pub const VERSIONS_SECTION: &str = "__versions";

/// Size of one `__versions` record, for both ELF classes.
const RECORD_SIZE: usize = 64;

/// One `__versions` record: a symbol the module uses and the CRC it was built against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SymbolVersion {
    /// The CRC (a 32-bit value on 32-bit modules, 64-bit field on 64-bit ones).
    pub crc: u64,
    /// The symbol name, a leading `.` (PPC64 function descriptors) removed.
    pub name: String,
}

impl<'a> ModuleElf<'a> {
    /// The `__versions` records in section order; empty if the section is absent.
    ///
    /// Each record is 64 bytes: the CRC (4 bytes on ELF32, 8 on ELF64, in the file's byte
    /// order) followed by a NUL-terminated name. A section size that is not a multiple of 64 or
    /// a name without NUL is [`Error::InvalidSection`] (errno `EINVAL`). kmod's
    /// `--show-modversions` fails with `ENOENT` when the section is missing: check
    /// [`ModuleElf::has_section`]`(`[`VERSIONS_SECTION`]`)`.
    pub fn versions(&self) -> Result<Vec<SymbolVersion>, Error> {
        let Some(data) = self.section(VERSIONS_SECTION) else {
            return Ok(Vec::new());
        };
        if data.len() % RECORD_SIZE != 0 {
            return Err(self.section_error(
                VERSIONS_SECTION,
                format!("size {} is not a multiple of {RECORD_SIZE}", data.len()),
            ));
        }
        let wide = self.class() == ElfClass::Elf64;
        let crc_len = if wide { 8 } else { 4 };
        let mut out = Vec::with_capacity(data.len() / RECORD_SIZE);
        for (i, record) in data.chunks_exact(RECORD_SIZE).enumerate() {
            let crc = self.reader(record).word(0, wide).unwrap_or_default();
            let name = record.get(crc_len..).and_then(c_str).ok_or_else(|| {
                self.section_error(
                    VERSIONS_SECTION,
                    format!(
                        "record {i} (offset {}): name is not NUL-terminated",
                        i * RECORD_SIZE
                    ),
                )
            })?;
            let name = name.strip_prefix(b".").unwrap_or(name);
            out.push(SymbolVersion {
                crc,
                name: String::from_utf8_lossy(name).into_owned(),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_elf::ElfBuilder;
    use std::path::Path;

    fn versions_of(b: ElfBuilder, section: &[u8]) -> Result<Vec<SymbolVersion>, Error> {
        let img = b.section(VERSIONS_SECTION, section).build();
        let elf = ModuleElf::parse(Path::new("/v.ko"), &img)?;
        elf.versions()
    }

    #[test]
    fn reads_records_in_all_flavours() {
        for wide in [false, true] {
            for little in [false, true] {
                let b = ElfBuilder::new(wide, little);
                let mut sec = b.version_record(0xdead_beef, b"module_layout");
                sec.extend(b.version_record(0x1234, b".printk"));
                let got = versions_of(b, &sec).unwrap();
                assert_eq!(
                    got,
                    vec![
                        SymbolVersion {
                            crc: 0xdead_beef,
                            name: "module_layout".into()
                        },
                        SymbolVersion {
                            crc: 0x1234,
                            name: "printk".into()
                        },
                    ],
                    "wide={wide} little={little}"
                );
            }
        }
    }

    #[test]
    fn sixty_four_bit_crc_is_full_width() {
        let b = ElfBuilder::new(true, false);
        let sec = b.version_record(0x1122_3344_5566_7788, b"x");
        assert_eq!(versions_of(b, &sec).unwrap()[0].crc, 0x1122_3344_5566_7788);
    }

    #[test]
    fn absent_or_empty_section_gives_nothing() {
        let img = ElfBuilder::new(true, true).section(".modinfo", b"").build();
        let elf = ModuleElf::parse(Path::new("/v.ko"), &img).unwrap();
        assert!(elf.versions().unwrap().is_empty());
        assert!(!elf.has_section(VERSIONS_SECTION));
        assert!(versions_of(ElfBuilder::new(true, true), b"")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn bad_size_is_einval() {
        let err = versions_of(ElfBuilder::new(true, true), &[0u8; 65]).unwrap_err();
        assert_eq!(err.errno_like(), 22);
        assert_eq!(
            err.to_string(),
            "/v.ko: section __versions: size 65 is not a multiple of 64"
        );
    }

    #[test]
    fn unterminated_name_is_einval() {
        let b = ElfBuilder::new(false, true);
        let mut sec = b.version_record(1, b"ok");
        let mut bad = b.version_record(2, b"");
        bad[4..].fill(b'a');
        sec.extend(bad);
        let err = versions_of(b, &sec).unwrap_err();
        assert!(err
            .to_string()
            .contains("record 1 (offset 64): name is not NUL-terminated"));
        assert_eq!(err.errno_like(), 22);
    }
}
