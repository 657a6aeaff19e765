//! The `.modinfo` section: NUL-separated `key=value` strings.

use crate::elf::ModuleElf;
use crate::error::Error;

/// Name of the section holding `key=value` strings.
pub const MODINFO_SECTION: &str = ".modinfo";

/// One `key=value` string of `.modinfo`, as bytes exactly as in the file (may be non-UTF-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModinfoEntry<'a> {
    /// The text before the first `=` (the whole string if there is no `=`).
    pub key: &'a [u8],
    /// The text after the first `=` (empty if there is no `=`).
    pub value: &'a [u8],
}

/// Splits `.modinfo` contents into entries, in section order.
///
/// Leading NULs are skipped and strings are separated by runs of NULs (empty strings are never
/// produced). A last string without a terminating NUL is kept, cut at the end of the section —
/// kmod 30 prints it that way (checked with a `.modinfo` shrunk by `sh_size` so that it ends
/// inside `vermagic=`: modinfo shows the value up to the section end).
pub fn parse_modinfo(data: &[u8]) -> Vec<ModinfoEntry<'_>> {
    data.split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| match s.iter().position(|&b| b == b'=') {
            Some(eq) => ModinfoEntry {
                key: s.get(..eq).unwrap_or_default(),
                value: s.get(eq + 1..).unwrap_or_default(),
            },
            None => ModinfoEntry { key: s, value: &[] },
        })
        .collect()
}

impl<'a> ModuleElf<'a> {
    /// The `.modinfo` entries in section order (see [`parse_modinfo`]).
    ///
    /// A missing `.modinfo` (or one lying outside the file) is [`Error::MissingSection`], errno
    /// `ENOENT`, as in kmod (`modinfo` fails; `depmod` silently treats the module as having no
    /// aliases).
    pub fn modinfo(&self) -> Result<Vec<ModinfoEntry<'a>>, Error> {
        Ok(parse_modinfo(self.require_section(MODINFO_SECTION)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_elf::ElfBuilder;
    use std::path::Path;

    fn pairs(data: &[u8]) -> Vec<(&[u8], &[u8])> {
        parse_modinfo(data)
            .iter()
            .map(|e| (e.key, e.value))
            .collect()
    }

    #[test]
    fn splits_like_kmod() {
        let data = b"\0\0alias=foo\0\0\0license=GPL\0noeq\0=v\0a=b=c\0name=x\0last=abc";
        assert_eq!(
            pairs(data),
            vec![
                (&b"alias"[..], &b"foo"[..]),
                (b"license", b"GPL"),
                (b"noeq", b""),
                (b"", b"v"),
                (b"a", b"b=c"),
                (b"name", b"x"),
                (b"last", b"abc"),
            ]
        );
    }

    #[test]
    fn empty_and_nul_only_sections() {
        assert!(pairs(b"").is_empty());
        assert!(pairs(b"\0\0\0").is_empty());
        assert_eq!(pairs(b"depends=\0"), vec![(&b"depends"[..], &b""[..])]);
        assert_eq!(pairs(b"x"), vec![(&b"x"[..], &b""[..])]);
    }

    #[test]
    fn keeps_non_utf8_bytes() {
        assert_eq!(
            pairs(b"author=J\xf6rg\0"),
            vec![(&b"author"[..], &b"J\xf6rg"[..])]
        );
    }

    #[test]
    fn reads_from_elf_or_reports_missing() {
        let img = ElfBuilder::new(false, false)
            .section(".modinfo", b"license=GPL\0name=t\0")
            .build();
        let path = Path::new("/t.ko");
        let elf = ModuleElf::parse(path, &img).unwrap();
        let got = elf.modinfo().unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[1],
            ModinfoEntry {
                key: b"name",
                value: b"t"
            }
        );

        let img = ElfBuilder::new(true, true).section(".text", b"").build();
        let elf = ModuleElf::parse(path, &img).unwrap();
        let err = elf.modinfo().unwrap_err();
        assert!(matches!(err, Error::MissingSection { .. }));
        assert_eq!(err.errno_like(), 2);
    }
}
