//! The text files depmod writes (formats.md §3), in module array order.

use super::record::Module;

/// Header of `modules.alias`.
pub const ALIAS_HEADER: &str = "# Aliases extracted from modules themselves.\n";
/// Header of `modules.softdep`.
pub const SOFTDEP_HEADER: &str = "# Soft dependencies extracted from modules themselves.\n";
/// Header of `modules.weakdep`.
pub const WEAKDEP_HEADER: &str = "# Weak dependencies extracted from modules themselves.\n";
/// Header of `modules.symbols`.
pub const SYMBOLS_HEADER: &str = "# Aliases for symbols, used by symbol_request().\n";
/// Header of `modules.devname`, written before the first entry only.
pub const DEVNAME_HEADER: &str = "# Device nodes to trigger on-demand module loading.\n";

/// The `modules.dep` line of each module (without newline): `path:` then ` dep` for each
/// transitive dependency in `closures` order.
pub fn dep_lines(modules: &[Module], closures: &[Vec<usize>]) -> Vec<String> {
    modules
        .iter()
        .zip(closures)
        .map(|(m, deps)| {
            let len = m.out_path.len()
                + 1
                + deps
                    .iter()
                    .filter_map(|&d| modules.get(d))
                    .map(|d| d.out_path.len() + 1)
                    .sum::<usize>();
            let mut line = String::with_capacity(len);
            line.push_str(&m.out_path);
            line.push(':');
            for dep in deps.iter().filter_map(|&d| modules.get(d)) {
                line.push(' ');
                line.push_str(&dep.out_path);
            }
            line
        })
        .collect()
}

/// `modules.dep`: the lines of [`dep_lines`], each ended by a newline.
pub fn dep_file(lines: &[String]) -> Vec<u8> {
    let mut out = Vec::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    for line in lines {
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out
}

/// A file of `<keyword> <value> <module>` or `<keyword> <module> <value>` lines under a header.
fn per_module_file(
    header: &str,
    modules: &[Module],
    values: impl Fn(&Module) -> &[Vec<u8>],
    line: impl Fn(&mut Vec<u8>, &Module, &[u8]),
) -> Vec<u8> {
    let mut out = header.as_bytes().to_vec();
    for m in modules {
        for value in values(m) {
            line(&mut out, m, value);
        }
    }
    out
}

/// `modules.alias`: `alias <alias as in .modinfo> <module>`.
pub fn alias_file(modules: &[Module]) -> Vec<u8> {
    per_module_file(
        ALIAS_HEADER,
        modules,
        |m| &m.info.aliases,
        |out, m, alias| {
            out.extend_from_slice(b"alias ");
            out.extend_from_slice(alias);
            out.push(b' ');
            out.extend_from_slice(m.name.as_bytes());
            out.push(b'\n');
        },
    )
}

/// `<keyword> <module> <value>` lines (softdep, weakdep).
fn module_value_file(
    header: &str,
    keyword: &[u8],
    modules: &[Module],
    values: impl Fn(&Module) -> &[Vec<u8>],
) -> Vec<u8> {
    per_module_file(header, modules, values, |out, m, value| {
        out.extend_from_slice(keyword);
        out.push(b' ');
        out.extend_from_slice(m.name.as_bytes());
        out.push(b' ');
        out.extend_from_slice(value);
        out.push(b'\n');
    })
}

/// `modules.softdep`: `softdep <module> <value>`, one line per `softdep=` string.
pub fn softdep_file(modules: &[Module]) -> Vec<u8> {
    module_value_file(SOFTDEP_HEADER, b"softdep", modules, |m| &m.info.softdeps)
}

/// `modules.weakdep` (kmod 33+): `weakdep <module> <value>`.
pub fn weakdep_file(modules: &[Module]) -> Vec<u8> {
    module_value_file(WEAKDEP_HEADER, b"weakdep", modules, |m| &m.info.weakdeps)
}

/// `modules.symbols`: `alias symbol:<symbol> <owner>` for `symbols` (already in output order).
pub fn symbols_file(modules: &[Module], symbols: &[(&str, usize)]) -> Vec<u8> {
    let mut out = SYMBOLS_HEADER.as_bytes().to_vec();
    for &(name, owner) in symbols {
        let Some(owner) = modules.get(owner) else {
            continue;
        };
        out.extend_from_slice(b"alias symbol:");
        out.extend_from_slice(name.as_bytes());
        out.push(b' ');
        out.extend_from_slice(owner.name.as_bytes());
        out.push(b'\n');
    }
    out
}

/// C's `%u` conversion: optional leading whitespace and sign, then at least one digit; the value
/// wraps like `strtoul` stored into an `unsigned int`. Returns the value and the rest.
fn scan_unsigned(s: &[u8]) -> Option<(u32, &[u8])> {
    let s = s.trim_ascii_start();
    let (negative, s) = match s.first() {
        Some(b'-') => (true, s.get(1..)?),
        Some(b'+') => (false, s.get(1..)?),
        _ => (false, s),
    };
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let mut value: u64 = 0;
    for &b in s.get(..digits)? {
        value = value.saturating_mul(10).saturating_add(u64::from(b - b'0'));
    }
    let value = if value > u64::from(u32::MAX) && !negative {
        u32::MAX
    } else {
        let v = value as u32;
        if negative {
            v.wrapping_neg()
        } else {
            v
        }
    };
    Some((value, s.get(digits..)?))
}

/// `sscanf(s, "%u-%u")` succeeding on both conversions: `(major, minor)`.
fn scan_major_minor(s: &[u8]) -> Option<(u32, u32)> {
    let (major, rest) = scan_unsigned(s)?;
    let rest = rest.strip_prefix(b"-")?;
    let (minor, _) = scan_unsigned(rest)?;
    Some((major, minor))
}

/// A module's static device node: the first `devname:` alias and the first parsable
/// `char-major-M-m` / `block-major-M-m` alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevnameEntry<'a> {
    /// The node name below `/dev`.
    pub devname: &'a [u8],
    /// `c` or `b`, with major and minor number; `None` when no major alias parsed.
    pub node: Option<(u8, u32, u32)>,
}

/// The device node information of a module, if it has a `devname:` alias.
pub fn devname_of(module: &Module) -> Option<DevnameEntry<'_>> {
    let mut devname = None;
    let mut node = None;
    for alias in &module.info.aliases {
        if devname.is_none() {
            if let Some(name) = alias.strip_prefix(b"devname:") {
                devname = Some(name);
                continue;
            }
        }
        if node.is_none() {
            let kind = if let Some(rest) = alias.strip_prefix(b"char-major-") {
                Some((b'c', rest))
            } else {
                alias.strip_prefix(b"block-major-").map(|rest| (b'b', rest))
            };
            if let Some((kind, rest)) = kind {
                node = scan_major_minor(rest).map(|(major, minor)| (kind, major, minor));
            }
        }
    }
    devname.map(|devname| DevnameEntry { devname, node })
}

/// `modules.devname`: `<module> <devname> <c|b><major>:<minor>` for every module with both
/// pieces of information, the header before the first entry; and the messages for modules with a
/// devname but no major/minor.
pub fn devname_file(modules: &[Module]) -> (Vec<u8>, Vec<String>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for m in modules {
        let Some(entry) = devname_of(m) else {
            continue;
        };
        let Some((kind, major, minor)) = entry.node else {
            errors.push(format!(
                "Module '{}' has devname ({}) but lacks major and minor information. Ignoring.",
                m.name,
                String::from_utf8_lossy(entry.devname)
            ));
            continue;
        };
        if out.is_empty() {
            out.extend_from_slice(DEVNAME_HEADER.as_bytes());
        }
        out.extend_from_slice(m.name.as_bytes());
        out.push(b' ');
        out.extend_from_slice(entry.devname);
        out.push(b' ');
        out.push(kind);
        out.extend_from_slice(format!("{major}:{minor}\n").as_bytes());
    }
    (out, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::depmod::record::ModuleInfo;
    use std::path::PathBuf;

    fn module(name: &str, aliases: &[&str]) -> Module {
        Module {
            name: name.into(),
            path: PathBuf::from(format!("/m/kernel/{name}.ko")),
            out_path: format!("kernel/{name}.ko"),
            info: ModuleInfo {
                aliases: aliases.iter().map(|a| a.as_bytes().to_vec()).collect(),
                softdeps: vec![b"pre: x post: y".to_vec()],
                ..ModuleInfo::default()
            },
        }
    }

    #[test]
    fn dep_lines_and_file() {
        let mods = [module("a", &[]), module("b", &[]), module("c", &[])];
        let lines = dep_lines(&mods, &[vec![2, 1], vec![], vec![]]);
        assert_eq!(
            lines,
            [
                "kernel/a.ko: kernel/c.ko kernel/b.ko",
                "kernel/b.ko:",
                "kernel/c.ko:"
            ]
        );
        assert_eq!(
            dep_file(&lines),
            b"kernel/a.ko: kernel/c.ko kernel/b.ko\nkernel/b.ko:\nkernel/c.ko:\n"
        );
    }

    #[test]
    fn alias_softdep_weakdep_symbols() {
        let mods = [module("a", &["foo-bar", "pci:v*"]), module("b", &[])];
        assert_eq!(
            alias_file(&mods),
            b"# Aliases extracted from modules themselves.\nalias foo-bar a\nalias pci:v* a\n"
        );
        assert_eq!(
            softdep_file(&mods),
            b"# Soft dependencies extracted from modules themselves.\n\
softdep a pre: x post: y\nsoftdep b pre: x post: y\n"
        );
        assert_eq!(
            weakdep_file(&mods),
            b"# Weak dependencies extracted from modules themselves.\n"
        );
        assert_eq!(
            symbols_file(&mods, &[("sb", 1), ("sa", 0), ("lost", 9)]),
            b"# Aliases for symbols, used by symbol_request().\n\
alias symbol:sb b\nalias symbol:sa a\n"
        );
    }

    #[test]
    fn devname_like_depmod_30() {
        let mods = [
            module("a", &["devname:foo", "char-major-10-200"]),
            module(
                "b",
                &[
                    "block-major-7-3",
                    "devname:bar/baz",
                    "devname:second",
                    "block-major-8-0",
                ],
            ),
            module("c", &["devname:nomajor"]),
            module("d", &["char-major-10-201"]),
            module("e", &["devname:x", "char-major-10"]),
            module("f", &["devname:y", "char-major-a-b", "char-major-1-2x"]),
        ];
        let (text, errors) = devname_file(&mods);
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "# Device nodes to trigger on-demand module loading.\n\
a foo c10:200\nb bar/baz b7:3\nf y c1:2\n"
        );
        assert_eq!(
            errors,
            [
                "Module 'c' has devname (nomajor) but lacks major and minor information. Ignoring.",
                "Module 'e' has devname (x) but lacks major and minor information. Ignoring.",
            ]
        );
        assert_eq!(devname_file(&mods[3..4]).0, b"");
    }

    #[test]
    fn scanf_unsigned() {
        assert_eq!(scan_major_minor(b"10-200"), Some((10, 200)));
        assert_eq!(scan_major_minor(b" 1- 2x"), Some((1, 2)));
        assert_eq!(scan_major_minor(b"-1-0"), Some((u32::MAX, 0)));
        assert_eq!(scan_major_minor(b"10"), None);
        assert_eq!(scan_major_minor(b"a-b"), None);
        assert_eq!(scan_major_minor(b"99999999999-1"), Some((u32::MAX, 1)));
    }
}
