//! Forced loads through `init_module`: blank the checks the kernel would otherwise make
//! (formats.md §5, "Forced loads without finit").
//!
//! * `--force-modversion`: clear `SHF_ALLOC` in the `__versions` section header, so the kernel
//!   does not see the symbol versions (a module without `__versions` has nothing to clear);
//! * `--force-vermagic`: zero-fill the whole `vermagic=...` string in `.modinfo` (a module
//!   without one cannot be forced this way: `ENODATA`).
//!
//! Only the ELF header and section header table are read here, each field bounds-checked; the
//! image is copied and the copy edited in place.

use std::path::Path;

use super::load::InsertFlags;
use super::KernelError;
use crate::libc_errno;

/// `SHF_ALLOC`: the section occupies memory at run time.
const SHF_ALLOC: u64 = 0x2;

/// Offsets of the fields used, for one ELF class.
struct Layout {
    shoff: usize,
    shentsize: usize,
    shnum: usize,
    shstrndx: usize,
    word: usize,
    sh_flags: usize,
    sh_offset: usize,
    sh_size: usize,
}

const ELF32: Layout = Layout {
    shoff: 0x20,
    shentsize: 0x2E,
    shnum: 0x30,
    shstrndx: 0x32,
    word: 4,
    sh_flags: 8,
    sh_offset: 16,
    sh_size: 20,
};

const ELF64: Layout = Layout {
    shoff: 0x28,
    shentsize: 0x3A,
    shnum: 0x3C,
    shstrndx: 0x3E,
    word: 8,
    sh_flags: 8,
    sh_offset: 24,
    sh_size: 32,
};

/// One section header: where it is in the image, and its name offset, data offset and size.
struct Section {
    header_at: usize,
    name: usize,
    offset: usize,
    size: usize,
}

/// A bounds-checked reader of the section header table.
struct Sections<'a> {
    image: &'a [u8],
    layout: &'static Layout,
    little: bool,
    table: usize,
    entsize: usize,
    count: usize,
    names: Option<(usize, usize)>,
}

impl<'a> Sections<'a> {
    fn parse(image: &'a [u8]) -> Option<Sections<'a>> {
        if !image.starts_with(b"\x7fELF") {
            return None;
        }
        let layout = match image.get(4)? {
            1 => &ELF32,
            2 => &ELF64,
            _ => return None,
        };
        let little = match image.get(5)? {
            1 => true,
            2 => false,
            _ => return None,
        };
        let mut s = Sections {
            image,
            layout,
            little,
            table: 0,
            entsize: 0,
            count: 0,
            names: None,
        };
        s.table = s.uint(layout.shoff, layout.word)?;
        s.entsize = s.uint(layout.shentsize, 2)?;
        s.count = s.uint(layout.shnum, 2)?;
        if s.entsize < layout.sh_size + layout.word {
            return None;
        }
        let table_len = s.entsize.checked_mul(s.count)?;
        if s.table.checked_add(table_len)? > image.len() {
            return None;
        }
        let names = s.section(s.uint(layout.shstrndx, 2)?)?;
        s.names = Some((names.offset, names.size));
        Some(s)
    }

    /// An unsigned integer of `len` bytes at `at`, in the image's byte order.
    fn uint(&self, at: usize, len: usize) -> Option<usize> {
        let bytes = self.image.get(at..at.checked_add(len)?)?;
        let mut value: u64 = 0;
        for i in 0..len {
            let b = if self.little {
                bytes.get(len - 1 - i)?
            } else {
                bytes.get(i)?
            };
            value = (value << 8) | u64::from(*b);
        }
        usize::try_from(value).ok()
    }

    fn section(&self, index: usize) -> Option<Section> {
        if index >= self.count {
            return None;
        }
        let header_at = self.table.checked_add(index.checked_mul(self.entsize)?)?;
        let l = self.layout;
        let section = Section {
            header_at,
            name: self.uint(header_at, 4)?,
            offset: self.uint(header_at + l.sh_offset, l.word)?,
            size: self.uint(header_at + l.sh_size, l.word)?,
        };
        section.offset.checked_add(section.size)?;
        Some(section)
    }

    /// The first section called `name`.
    fn find(&self, name: &str) -> Option<Section> {
        let (names_at, names_len) = self.names?;
        let names = self.image.get(names_at..names_at.checked_add(names_len)?)?;
        (1..self.count).filter_map(|i| self.section(i)).find(|s| {
            names
                .get(s.name..)
                .and_then(|rest| rest.split(|&b| b == 0).next())
                == Some(name.as_bytes())
        })
    }
}

/// A copy of `image` (the uncompressed module at `path`) with the checks `flags` forces blanked
/// out; an unchanged copy when nothing is forced.
pub fn strip_for_force(
    path: &Path,
    image: &[u8],
    flags: InsertFlags,
) -> Result<Vec<u8>, KernelError> {
    let mut out = image.to_vec();
    if !flags.is_forced() {
        return Ok(out);
    }
    let invalid = |problem: &str| KernelError::Strip {
        path: path.to_path_buf(),
        problem: problem.to_string(),
        errno: libc_errno::EINVAL,
    };
    let sections = Sections::parse(image).ok_or_else(|| invalid("malformed ELF headers"))?;
    if flags.force_modversion {
        if let Some(versions) = sections.find("__versions") {
            let l = sections.layout;
            let at = versions.header_at + l.sh_flags;
            // SHF_ALLOC is in the lowest byte of sh_flags, whichever the word size.
            let low = if sections.little { at } else { at + l.word - 1 };
            let byte = out
                .get_mut(low)
                .ok_or_else(|| invalid("truncated section header"))?;
            *byte &= !(SHF_ALLOC as u8);
        }
    }
    if flags.force_vermagic {
        let modinfo = sections
            .find(".modinfo")
            .ok_or_else(|| KernelError::no_vermagic(path))?;
        let data = out
            .get_mut(modinfo.offset..modinfo.offset + modinfo.size)
            .ok_or_else(|| invalid(".modinfo lies outside the file"))?;
        blank_vermagic(data).ok_or_else(|| KernelError::no_vermagic(path))?;
    }
    Ok(out)
}

/// Zero-fills the `vermagic=...` string of a `.modinfo` section; `None` if there is none.
fn blank_vermagic(modinfo: &mut [u8]) -> Option<()> {
    let mut start = 0;
    while start < modinfo.len() {
        let rest = modinfo.get(start..)?;
        let len = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        if rest.starts_with(b"vermagic=") {
            modinfo.get_mut(start..start + len)?.fill(0);
            return Some(());
        }
        start += len + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use testkit::ModuleBuilder;

    fn flags(modversion: bool, vermagic: bool) -> InsertFlags {
        InsertFlags {
            force_modversion: modversion,
            force_vermagic: vermagic,
        }
    }

    fn has_vermagic(image: &[u8]) -> bool {
        image.windows(9).any(|w| w == b"vermagic=")
    }

    #[test]
    fn blanks_vermagic_and_versions_alloc_in_both_classes_and_orders() {
        for (class64, little) in [(true, true), (false, true), (true, false), (false, false)] {
            let image = ModuleBuilder::new("m")
                .class64(class64)
                .big_endian(!little)
                .modinfo("vermagic", "6.1.0 SMP mod_unload")
                .modinfo("license", "GPL")
                .version("module_layout", 0x1234)
                .build();
            let p = Path::new("m.ko");
            let out = strip_for_force(p, &image, flags(false, true)).unwrap();
            assert!(has_vermagic(&image));
            assert!(!has_vermagic(&out));
            assert!(out.windows(11).any(|w| w == b"license=GPL"));
            assert_eq!(out.len(), image.len());

            let out = strip_for_force(p, &image, flags(true, false)).unwrap();
            let changed: Vec<usize> = (0..out.len()).filter(|&i| out[i] != image[i]).collect();
            assert_eq!(changed.len(), 1, "class64={class64} little={little}");
            let i = changed[0];
            assert_eq!(image[i] & 2, 2);
            assert_eq!(out[i], image[i] & !2);
        }
    }

    #[test]
    fn nothing_forced_is_an_identical_copy() {
        let image = ModuleBuilder::new("m").modinfo("vermagic", "x").build();
        let out = strip_for_force(Path::new("m.ko"), &image, flags(false, false)).unwrap();
        assert_eq!(out, image);
    }

    #[test]
    fn missing_vermagic_is_enodata_and_garbage_is_einval() {
        let image = ModuleBuilder::new("m").modinfo("license", "GPL").build();
        let e = strip_for_force(Path::new("m.ko"), &image, flags(false, true)).unwrap_err();
        assert_eq!(e.errno(), 61);
        assert!(e.to_string().contains("m.ko"), "{e}");
        // No __versions: nothing to clear, not an error.
        assert!(strip_for_force(Path::new("m.ko"), &image, flags(true, false)).is_ok());
        let e = strip_for_force(Path::new("x"), b"not an elf", flags(true, true)).unwrap_err();
        assert_eq!(e.errno(), 22);
        // Every truncation of a real-looking image fails cleanly or succeeds, never panics.
        let image = ModuleBuilder::new("m")
            .modinfo("vermagic", "v")
            .version("a", 1)
            .build();
        for len in 0..image.len() {
            let _ = strip_for_force(Path::new("t"), &image[..len], flags(true, true));
        }
    }

    #[test]
    fn blank_vermagic_only_touches_that_string() {
        let mut data = b"\0\0license=GPL\0vermagic=6.1 SMP\0name=m\0".to_vec();
        blank_vermagic(&mut data).unwrap();
        let mut expected = b"\0\0license=GPL\0".to_vec();
        expected.extend([0; 17]);
        expected.extend(b"name=m\0");
        assert_eq!(data, expected);
        let mut data = b"license=GPL\0xvermagic=1\0".to_vec();
        assert!(blank_vermagic(&mut data).is_none());
    }
}
