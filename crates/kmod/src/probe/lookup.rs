//! modprobe's name lookup (tools.md §5.2, config.md §5): the first source that yields anything
//! wins — configuration aliases, `modules.dep.bin`, `modules.symbols.bin`, install/remove command
//! names, `modules.alias.bin`, `modules.builtin.bin`, `modules.builtin.alias.bin`.
//!
//! Names are bytes and are compared as bytes with the configuration and the index keys, as kmod
//! compares them (a configuration line need not be valid UTF-8).

use modconf::{Diagnostic, ModprobeConfig};
use modindex::Index;

use super::candidate::Candidate;
use crate::context::IndexKind;
use crate::{Context, DepEntry, Error};

/// kmod normalises names into a `PATH_MAX` buffer: longer names are cut to 4095 bytes.
const NAME_MAX_BYTES: usize = 4095;

/// Why a name cannot be looked up at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// The name is not a valid alias (an unmatched `[` or `]`); kmod's `-EINVAL`.
    #[error("invalid module name or alias '{}'", .0.escape_ascii())]
    InvalidName(Vec<u8>),
}

/// modprobe's view of a module directory: the indexes of a [`Context`] and the configuration.
///
/// Indexes that are missing, too short or have a bad header count as empty, as in kmod (which
/// reports bad headers once, at start-up: see [`super::check_indexes`]). A corrupt index met
/// during a lookup is reported as an ERROR diagnostic and that source yields nothing.
#[derive(Debug, Clone, Copy)]
pub struct Prober<'a> {
    ctx: &'a Context,
    config: &'a ModprobeConfig,
}

impl<'a> Prober<'a> {
    /// A prober over `ctx`'s indexes and `config`.
    pub fn new(ctx: &'a Context, config: &'a ModprobeConfig) -> Prober<'a> {
        Prober { ctx, config }
    }

    /// The module directory.
    pub fn context(&self) -> &'a Context {
        self.ctx
    }

    /// The configuration.
    pub fn config(&self) -> &'a ModprobeConfig {
        self.config
    }

    /// Everything `name` resolves to, in kmod's order. An empty list means "not found".
    /// Problems with indexes are appended to `diags`.
    pub fn lookup(
        &self,
        name: &[u8],
        diags: &mut Vec<Diagnostic>,
    ) -> Result<Vec<Candidate>, LookupError> {
        let key = normalize(name)?;
        let from_config: Vec<Candidate> = self
            .config
            .alias_targets(&key)
            .into_iter()
            .map(|a| Candidate::via_alias(a.module.as_slice(), a.pattern.as_slice()))
            .collect();
        if !from_config.is_empty() {
            return Ok(from_config);
        }
        if !key.contains(&b':') && self.dep_entry(&key, diags).is_some() {
            return Ok(vec![Candidate::by_name(key)]);
        }
        if key.starts_with(b"symbol:") {
            let found = self.alias_index(IndexKind::Symbols, &key, diags);
            if !found.is_empty() {
                return Ok(found);
            }
        }
        if let Some(found) = self.command_named(&key) {
            return Ok(vec![found]);
        }
        let found = self.alias_index(IndexKind::Alias, &key, diags);
        if !found.is_empty() {
            return Ok(found);
        }
        if self.is_builtin(&key, diags) {
            return Ok(vec![Candidate::by_name(key).built_in()]);
        }
        Ok(self.alias_index(IndexKind::BuiltinAlias, &key, diags))
    }

    /// Step 4: a name that only an `install` line (else a `remove` line) names exactly resolves
    /// to a module carrying that command; the first such line wins.
    fn command_named(&self, key: &[u8]) -> Option<Candidate> {
        if let Some(c) = self.config.install.iter().find(|c| c.module == key) {
            let mut found = Candidate::by_name(key);
            found.install = Some(c.command.clone());
            return Some(found);
        }
        let c = self.config.remove.iter().find(|c| c.module == key)?;
        let mut found = Candidate::by_name(key);
        found.remove = Some(c.command.clone());
        Some(found)
    }

    /// The index of `kind`, if it can be used (missing, short or bad-header indexes cannot).
    fn index(&self, kind: IndexKind) -> Option<&'a Index> {
        self.ctx.index(kind).ok().flatten()
    }

    /// The `modules.dep` entry of `name`.
    pub(crate) fn dep_entry(&self, name: &[u8], diags: &mut Vec<Diagnostic>) -> Option<DepEntry> {
        let index = self.index(IndexKind::Dep)?;
        match index.lookup(name) {
            Ok(line) => line.as_deref().and_then(DepEntry::parse),
            Err(e) => {
                report(diags, e.into());
                None
            }
        }
    }

    /// Is `name` listed in `modules.builtin.bin`?
    pub(crate) fn is_builtin(&self, name: &[u8], diags: &mut Vec<Diagnostic>) -> bool {
        let Some(index) = self.index(IndexKind::Builtin) else {
            return false;
        };
        match index.lookup(name) {
            Ok(found) => found.is_some(),
            Err(e) => {
                report(diags, e.into());
                false
            }
        }
    }

    /// Wildcard search of an alias-style index: every module `key` matches, by priority.
    fn alias_index(
        &self,
        kind: IndexKind,
        key: &[u8],
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<Candidate> {
        let Some(index) = self.index(kind) else {
            return Vec::new();
        };
        match index.lookup_wild(key) {
            Ok(values) => values
                .into_iter()
                .map(|v| {
                    let found = Candidate::via_alias(v.value, key);
                    if kind == IndexKind::BuiltinAlias {
                        found.built_in()
                    } else {
                        found
                    }
                })
                .collect(),
            Err(e) => {
                report(diags, e.into());
                Vec::new()
            }
        }
    }
}

/// A corrupt index met during a lookup (kmod would read out of bounds).
fn report(diags: &mut Vec<Diagnostic>, e: Error) {
    diags.push(Diagnostic::error(e.to_string()));
}

/// kmod's `alias_normalize` into a `PATH_MAX` buffer (cut after 4095 bytes, wherever that is).
fn normalize(name: &[u8]) -> Result<Vec<u8>, LookupError> {
    let head = name.get(..NAME_MAX_BYTES).unwrap_or(name);
    modname::normalize::underscores_bytes(head).map_err(|_| LookupError::InvalidName(name.to_vec()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use modindex::IndexWriter;
    use std::path::Path;

    pub(crate) fn write_index(dir: &Path, kind: IndexKind, entries: &[(&str, &str, u32)]) {
        let mut w = IndexWriter::new();
        for (k, v, p) in entries {
            w.insert(k, v, *p).unwrap();
        }
        std::fs::write(dir.join(kind.file_name()), w.to_bytes()).unwrap();
    }

    /// A small module directory: ext4 (deps jbd2, mbcache, crc16), crc32c implementations, a
    /// symbol, built-in `unix` with an alias.
    pub(crate) fn tree() -> (tempfile::TempDir, Context) {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write_index(
            d,
            IndexKind::Dep,
            &[
                ("crc32c_generic", "kernel/crypto/crc32c_generic.ko:", 0),
                ("crc32c_intel", "kernel/arch/crc32c-intel.ko:", 1),
                ("crc16", "kernel/lib/crc16.ko:", 2),
                ("mbcache", "kernel/fs/mbcache.ko:", 3),
                ("jbd2", "kernel/fs/jbd2.ko:", 4),
                (
                    "ext4",
                    "kernel/fs/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2.ko",
                    5,
                ),
                ("fat", "kernel/fs/fat.ko: kernel/lib/crc16.ko", 6),
                (
                    "vfat",
                    "kernel/fs/vfat.ko: kernel/fs/fat.ko kernel/lib/crc16.ko",
                    7,
                ),
                ("loop", "kernel/block/loop.ko:", 8),
                ("xfs", "kernel/fs/xfs.ko:", 9),
                ("e1000e", "kernel/net/e1000e.ko:", 10),
            ],
        );
        write_index(
            d,
            IndexKind::Alias,
            &[
                ("crypto_crc32c", "crc32c_intel", 1),
                ("crypto_crc32c", "crc32c_generic", 0),
                ("fs_ext4", "ext4", 5),
                ("pci:v00008086d*", "e1000e", 10),
            ],
        );
        write_index(d, IndexKind::Symbols, &[("symbol:jbd2_start", "jbd2", 4)]);
        write_index(d, IndexKind::Builtin, &[("unix", "", 0)]);
        write_index(d, IndexKind::BuiltinAlias, &[("net_pf_1", "unix", 0)]);
        let ctx = Context::with_dirname(d.to_path_buf(), "v".into());
        (dir, ctx)
    }

    pub(crate) fn config(text: impl AsRef<[u8]>) -> ModprobeConfig {
        let mut cfg = ModprobeConfig::default();
        let mut diags = Vec::new();
        cfg.parse_file(Path::new("t.conf"), text.as_ref(), &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        cfg
    }

    /// Bytes as text: printable ASCII and spaces as they are, other bytes as `\xHH`.
    pub(crate) fn shown(bytes: &[u8]) -> String {
        bytes
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    char::from(b).to_string()
                } else {
                    format!("\\x{b:02x}")
                }
            })
            .collect()
    }

    /// Bytes that a test knows to be UTF-8, as text.
    pub(crate) fn text(bytes: &[u8]) -> String {
        String::from_utf8(bytes.to_vec()).expect("test names are UTF-8")
    }

    fn found(p: &Prober<'_>, name: &str) -> Vec<(String, Option<String>, bool)> {
        let mut diags = Vec::new();
        let out = p.lookup(name.as_bytes(), &mut diags).unwrap();
        assert!(diags.is_empty(), "{diags:?}");
        out.into_iter()
            .map(|c| (text(&c.name), c.alias.as_deref().map(text), c.builtin))
            .collect()
    }

    fn s(v: &str) -> String {
        v.to_string()
    }

    #[test]
    fn sources_in_kmod_order() {
        let (_d, ctx) = tree();
        let cfg = config("alias my-ext ext4\nalias ext4 xfs\ninstall only-cmd /bin/true\nremove only-rm x\ninstall e1000e y\n");
        let p = Prober::new(&ctx, &cfg);
        // A configuration alias shadows even a real module of that name.
        assert_eq!(found(&p, "ext4"), [(s("xfs"), Some(s("ext4")), false)]);
        assert_eq!(found(&p, "my_ext"), [(s("ext4"), Some(s("my_ext")), false)]);
        assert_eq!(found(&p, "jbd2"), [(s("jbd2"), None, false)]);
        assert_eq!(
            found(&p, "crypto-crc32c"),
            [
                (s("crc32c_generic"), Some(s("crypto_crc32c")), false),
                (s("crc32c_intel"), Some(s("crypto_crc32c")), false)
            ]
        );
        assert_eq!(
            found(&p, "symbol:jbd2_start"),
            [(s("jbd2"), Some(s("symbol:jbd2_start")), false)]
        );
        assert_eq!(found(&p, "unix"), [(s("unix"), None, true)]);
        assert_eq!(
            found(&p, "net-pf-1"),
            [(s("unix"), Some(s("net_pf_1")), true)]
        );
        assert_eq!(
            found(&p, "pci:v00008086d00001234"),
            [(s("e1000e"), Some(s("pci:v00008086d00001234")), false)]
        );
        assert!(found(&p, "nothing").is_empty());
        // Names with ':' never match modules.dep.
        assert!(found(&p, "ext4:x").is_empty());
    }

    #[test]
    fn command_names_resolve_to_command_carriers() {
        let (_d, ctx) = tree();
        let cfg = config("install only-cmd /bin/true\nremove only-rm x\ninstall e1000e y\n");
        let p = Prober::new(&ctx, &cfg);
        let mut diags = Vec::new();
        let c = p.lookup(b"only-cmd", &mut diags).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].install.as_deref(), Some(&b"/bin/true"[..]));
        assert_eq!(c[0].remove, None);
        let r = p.lookup(b"only_rm", &mut diags).unwrap();
        assert_eq!(r[0].remove.as_deref(), Some(&b"x"[..]));
        // A real module is found by name before the command step.
        let e = p.lookup(b"e1000e", &mut diags).unwrap();
        assert_eq!(e[0].install, None);
    }

    #[test]
    fn names_from_configuration_are_bytes() {
        let (_d, ctx) = tree();
        let cfg = config(
            b"alias caf\xe9-? ext4\nalias x m\xff-1\ninstall i\xe9 echo \xe9\nalias [\x80-\xff] loop\n",
        );
        let p = Prober::new(&ctx, &cfg);
        let mut diags = Vec::new();
        let c = p.lookup(b"caf\xe9-1", &mut diags).unwrap();
        assert_eq!(c, [Candidate::via_alias(&b"ext4"[..], &b"caf\xe9_?"[..])]);
        let c = p.lookup(b"x", &mut diags).unwrap();
        assert_eq!(c[0].name, b"m\xff_1");
        let c = p.lookup(b"i\xe9", &mut diags).unwrap();
        assert_eq!(c[0].install.as_deref(), Some(&b"echo \xe9"[..]));
        assert_eq!(p.lookup(b"\xfe", &mut diags).unwrap()[0].name, b"loop");
        // A name that is not UTF-8 reaches the wildcard index search as its bytes.
        let c = p.lookup(b"pci:v00008086d\xff", &mut diags).unwrap();
        assert_eq!(c[0].name, b"e1000e");
        assert!(diags.is_empty(), "{diags:?}");
    }

    #[test]
    fn invalid_names_and_long_names() {
        let (_d, ctx) = tree();
        let cfg = ModprobeConfig::default();
        let p = Prober::new(&ctx, &cfg);
        let mut diags = Vec::new();
        assert_eq!(
            p.lookup(b"a]", &mut diags),
            Err(LookupError::InvalidName(b"a]".to_vec()))
        );
        assert!(p.lookup(b"x[", &mut diags).is_err());
        let long = format!("ext4{}", "x".repeat(5000));
        assert!(p.lookup(long.as_bytes(), &mut diags).unwrap().is_empty());
        // Cut after 4095 bytes, even inside a UTF-8 sequence, as kmod's buffer cuts it.
        assert_eq!(normalize("é".repeat(3000).as_bytes()).unwrap().len(), 4095);
    }

    #[test]
    fn missing_or_broken_indexes_are_empty_sources() {
        let (dir, ctx) = tree();
        std::fs::write(dir.path().join("modules.alias.bin"), b"garbage-garbage").unwrap();
        std::fs::remove_file(dir.path().join("modules.builtin.bin")).unwrap();
        let cfg = ModprobeConfig::default();
        let p = Prober::new(&ctx, &cfg);
        assert!(found(&p, "crypto_crc32c").is_empty());
        assert!(found(&p, "unix").is_empty());
        assert_eq!(found(&p, "net_pf_1").len(), 1);
        assert_eq!(found(&p, "ext4").len(), 1);
    }

    #[test]
    fn corrupt_index_is_reported() {
        let (dir, ctx) = tree();
        let path = dir.path().join("modules.dep.bin");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.truncate(40);
        std::fs::write(&path, bytes).unwrap();
        let cfg = ModprobeConfig::default();
        let p = Prober::new(&ctx, &cfg);
        let mut diags = Vec::new();
        assert!(p.lookup(b"ext4", &mut diags).unwrap().is_empty());
        assert!(!diags.is_empty());
        assert!(diags[0].text().contains("modules.dep.bin"), "{diags:?}");
    }
}
