//! The `.note.dlopen` ELF note: tells packaging and initramfs tools which libraries the binaries
//! load with `dlopen` (here liblzma, see [`crate::xz_dlopen`]), since `ldd` and `DT_NEEDED` no
//! longer show them. The format is the "ELF dlopen metadata" convention that kmod 34 and systemd
//! use (<https://systemd.io/ELF_DLOPEN_METADATA/>): an ELF note of owner `FDO` and type
//! `0x407c0c0a` whose descriptor is a NUL-terminated JSON array of
//! `{"feature", "description", "priority", "soname": [...]}` objects.
//!
//! The linker keeps note sections and gathers them into the program's `PT_NOTE` segment, so
//! `readelf --notes` (or `systemd-analyze dlopen-metadata`) shows it in every tool binary.

/// The note's JSON descriptor.
pub(crate) const DLOPEN_JSON: &str = concat!(
    r#"[{"feature":"xz","description":"Support for reading xz-compressed kernel modules","#,
    r#""priority":"recommended","soname":["liblzma.so.5"]}]"#
);

/// `n_type` of an ELF dlopen metadata note.
const NOTE_TYPE: u32 = 0x407c_0c0a;
/// The note's owner, NUL-terminated (4 bytes: no padding needed).
const NOTE_OWNER: &[u8; 4] = b"FDO\0";
/// The descriptor's size: the JSON, its NUL, and NULs up to a multiple of 4.
const DESC_SIZE: usize = (DLOPEN_JSON.len() + 1).next_multiple_of(4);
/// The whole note: the three 32-bit header words, the owner, the descriptor.
const NOTE_SIZE: usize = 12 + NOTE_OWNER.len() + DESC_SIZE;

/// The note's bytes, 4-aligned as ELF notes must be.
#[repr(C, align(4))]
pub(crate) struct ElfNote(pub(crate) [u8; NOTE_SIZE]);

/// Lays the note out in the target's byte order.
const fn build_note() -> ElfNote {
    let mut bytes = [0u8; NOTE_SIZE];
    let header = [NOTE_OWNER.len() as u32, DESC_SIZE as u32, NOTE_TYPE];
    let mut word = 0;
    while word < header.len() {
        let value = header[word].to_ne_bytes();
        let mut i = 0;
        while i < 4 {
            bytes[word * 4 + i] = value[i];
            i += 1;
        }
        word += 1;
    }
    let mut i = 0;
    while i < NOTE_OWNER.len() {
        bytes[12 + i] = NOTE_OWNER[i];
        i += 1;
    }
    let json = DLOPEN_JSON.as_bytes();
    let mut i = 0;
    while i < json.len() {
        bytes[16 + i] = json[i];
        i += 1;
    }
    ElfNote(bytes)
}

/// The note itself: `#[used]` keeps it although no code reads it.
#[used]
#[link_section = ".note.dlopen"]
pub(crate) static DLOPEN_NOTE: ElfNote = build_note();

#[cfg(test)]
mod tests {
    use super::*;

    fn word(bytes: &[u8], at: usize) -> u32 {
        u32::from_ne_bytes(bytes[at..at + 4].try_into().unwrap())
    }

    #[test]
    fn note_is_laid_out_as_an_elf_note() {
        let bytes = &DLOPEN_NOTE.0;
        assert_eq!(std::mem::align_of::<ElfNote>(), 4);
        assert_eq!(word(bytes, 0), 4);
        let desc_size = word(bytes, 4) as usize;
        assert_eq!(desc_size % 4, 0);
        assert_eq!(word(bytes, 8), 0x407c_0c0a);
        assert_eq!(&bytes[12..16], b"FDO\0");
        assert_eq!(bytes.len(), 16 + desc_size);
        let desc = &bytes[16..];
        let json_end = desc.iter().position(|&b| b == 0).unwrap();
        assert!(desc[json_end..].iter().all(|&b| b == 0));
        assert!(desc.len() - json_end <= 4);
        assert_eq!(&desc[..json_end], DLOPEN_JSON.as_bytes());
    }

    #[test]
    fn note_names_the_library_that_is_loaded() {
        let soname = crate::xz_dlopen::LIBLZMA.to_str().unwrap();
        assert!(DLOPEN_JSON.contains(&format!(r#""soname":["{soname}"]"#)));
        assert!(DLOPEN_JSON.starts_with("[{") && DLOPEN_JSON.ends_with("}]"));
    }
}
