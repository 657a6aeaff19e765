//! Resolving what a user names — a module name, an alias, `symbol:<name>` — into modules, with the
//! index sources and order kmod uses (tools.md §5.2). Configuration aliases and install commands are
//! layered on top by modprobe; `modinfo` uses these index-only lookups.

use modname::alias_normalize;

use crate::context::IndexKind;
use crate::{Context, Error};

/// One line of `modules.dep`: where a module file is and what it needs, deepest dependency last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepEntry {
    /// Path of the module file: relative to the module directory, or absolute (external modules).
    pub path: String,
    /// Paths of its dependencies in `modules.dep` order.
    pub deps: Vec<String>,
}

impl DepEntry {
    /// Parses a `modules.dep` line (`path: dep1 dep2`); `None` without the `:`.
    pub fn parse(line: &str) -> Option<DepEntry> {
        let (path, deps) = line.split_once(':')?;
        Some(DepEntry {
            path: path.trim().to_string(),
            deps: deps.split_whitespace().map(str::to_string).collect(),
        })
    }
}

/// A module found by a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleRef {
    /// The module's name (normalised: `_`, no extension).
    pub name: String,
    /// Its `modules.dep` entry, if it is a loadable module known to depmod.
    pub dep: Option<DepEntry>,
    /// True if the module is built into the kernel.
    pub builtin: bool,
    /// The alias it was found through, if any.
    pub alias: Option<String>,
}

impl Context {
    /// The `modules.dep` entry of the module named `name` (normalised name expected).
    pub fn dep_entry(&self, name: &str) -> Result<Option<DepEntry>, Error> {
        let Some(index) = self.index(IndexKind::Dep)? else {
            return Ok(None);
        };
        Ok(index.lookup(name)?.as_deref().and_then(DepEntry::parse))
    }

    /// Is `name` built into the kernel (listed in `modules.builtin.bin`)?
    pub fn is_builtin(&self, name: &str) -> Result<bool, Error> {
        match self.index(IndexKind::Builtin)? {
            Some(index) => Ok(index.lookup(name)?.is_some()),
            None => Ok(false),
        }
    }

    /// A module by its name: `modules.dep.bin`, then built-in names, then built-in aliases
    /// (`modinfo -m`, kmod's name lookup). The name is normalised first.
    pub fn lookup_name(&self, name: &str) -> Result<Option<ModuleRef>, Error> {
        let Ok(key) = alias_normalize(name) else {
            return Ok(None);
        };
        if let Some(dep) = self.dep_entry(&key)? {
            return Ok(Some(self.loadable(key, dep, None)));
        }
        if self.is_builtin(&key)? {
            return Ok(Some(builtin(key, None)));
        }
        let found = self.lookup_index_alias(IndexKind::BuiltinAlias, &key)?;
        Ok(found.into_iter().next())
    }

    /// Everything `name` resolves to through the indexes alone, first source that yields anything
    /// wins: module name (`modules.dep.bin`, skipped when the name contains `:`), `symbol:` names
    /// (`modules.symbols.bin`), aliases (`modules.alias.bin`, all matches by priority), built-in
    /// names, built-in aliases. `Err(InvalidAlias)` semantics are expressed as `Ok(None)`: an
    /// alias that cannot be normalised (unbalanced `[`/`]`) resolves to nothing, see [`Lookup`].
    pub fn lookup_indexes(&self, name: &str) -> Result<Lookup, Error> {
        let Ok(key) = alias_normalize(name) else {
            return Ok(Lookup::InvalidAlias);
        };
        if !key.contains(':') {
            if let Some(dep) = self.dep_entry(&key)? {
                return Ok(Lookup::Found(vec![self.loadable(key, dep, None)]));
            }
        }
        if key.starts_with("symbol:") {
            let found = self.lookup_index_alias(IndexKind::Symbols, &key)?;
            if !found.is_empty() {
                return Ok(Lookup::Found(found));
            }
        }
        let found = self.lookup_index_alias(IndexKind::Alias, &key)?;
        if !found.is_empty() {
            return Ok(Lookup::Found(found));
        }
        if self.is_builtin(&key)? {
            return Ok(Lookup::Found(vec![builtin(key, None)]));
        }
        let found = self.lookup_index_alias(IndexKind::BuiltinAlias, &key)?;
        if !found.is_empty() {
            return Ok(Lookup::Found(found));
        }
        Ok(Lookup::Found(Vec::new()))
    }

    /// All modules an alias index maps `key` to (wildcard search, priority order), each completed
    /// with its `modules.dep` entry (or marked built-in for the built-in alias index).
    pub fn lookup_index_alias(&self, kind: IndexKind, key: &str) -> Result<Vec<ModuleRef>, Error> {
        let Some(index) = self.index(kind)? else {
            return Ok(Vec::new());
        };
        let mut found = Vec::new();
        for value in index.lookup_wild(key)? {
            let name = value.value;
            let module = if kind == IndexKind::BuiltinAlias {
                builtin(name, Some(key.to_string()))
            } else {
                match self.dep_entry(&name)? {
                    Some(dep) => self.loadable(name, dep, Some(key.to_string())),
                    None => ModuleRef {
                        builtin: self.is_builtin(&name)?,
                        name,
                        dep: None,
                        alias: Some(key.to_string()),
                    },
                }
            };
            found.push(module);
        }
        Ok(found)
    }

    fn loadable(&self, name: String, dep: DepEntry, alias: Option<String>) -> ModuleRef {
        ModuleRef {
            name,
            dep: Some(dep),
            builtin: false,
            alias,
        }
    }
}

fn builtin(name: String, alias: Option<String>) -> ModuleRef {
    ModuleRef {
        name,
        dep: None,
        builtin: true,
        alias,
    }
}

/// The outcome of [`Context::lookup_indexes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The modules found, in kmod's order (empty: nothing matched).
    Found(Vec<ModuleRef>),
    /// The name cannot be an alias (unbalanced brackets); kmod reports "Module alias X not found".
    InvalidAlias,
}

#[cfg(test)]
mod tests {
    use super::*;
    use modindex::IndexWriter;

    fn write_index(dir: &std::path::Path, kind: IndexKind, entries: &[(&str, &str, u32)]) {
        let mut w = IndexWriter::new();
        for (k, v, p) in entries {
            w.insert(k, v, *p).unwrap();
        }
        std::fs::write(dir.join(kind.file_name()), w.to_bytes()).unwrap();
    }

    fn fixture() -> (tempfile::TempDir, Context) {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write_index(
            d,
            IndexKind::Dep,
            &[
                ("crc32c_generic", "kernel/crypto/crc32c_generic.ko:", 0),
                ("crc32c_intel", "kernel/arch/crc32c-intel.ko:", 1),
                (
                    "ext4",
                    "kernel/fs/ext4.ko: kernel/fs/jbd2.ko kernel/fs/mbcache.ko",
                    2,
                ),
            ],
        );
        write_index(
            d,
            IndexKind::Alias,
            &[
                ("crc32c", "crc32c_generic", 0),
                ("crc32c", "crc32c_intel", 1),
                ("fs_ext4", "ext4", 2),
                ("pci:v00008086d*", "e1000e", 3),
            ],
        );
        write_index(d, IndexKind::Symbols, &[("symbol:jbd2_start", "jbd2", 0)]);
        write_index(d, IndexKind::Builtin, &[("unix", "", 0)]);
        write_index(d, IndexKind::BuiltinAlias, &[("net_pf_1", "unix", 0)]);
        let ctx = Context::with_dirname(d.to_path_buf(), "v".into());
        (dir, ctx)
    }

    fn names(l: Lookup) -> Vec<String> {
        match l {
            Lookup::Found(v) => v.into_iter().map(|m| m.name).collect(),
            Lookup::InvalidAlias => vec!["<invalid>".into()],
        }
    }

    #[test]
    fn sources_in_kmod_order() {
        let (_d, ctx) = fixture();
        assert_eq!(names(ctx.lookup_indexes("ext4").unwrap()), ["ext4"]);
        assert_eq!(
            names(ctx.lookup_indexes("crc32c").unwrap()),
            ["crc32c_generic", "crc32c_intel"]
        );
        assert_eq!(names(ctx.lookup_indexes("fs-ext4").unwrap()), ["ext4"]);
        assert_eq!(
            names(ctx.lookup_indexes("symbol:jbd2_start").unwrap()),
            ["jbd2"]
        );
        assert_eq!(names(ctx.lookup_indexes("unix").unwrap()), ["unix"]);
        assert_eq!(names(ctx.lookup_indexes("net-pf-1").unwrap()), ["unix"]);
        assert_eq!(
            names(ctx.lookup_indexes("pci:v00008086d00001234").unwrap()),
            ["e1000e"]
        );
        assert!(names(ctx.lookup_indexes("nothing").unwrap()).is_empty());
        assert_eq!(names(ctx.lookup_indexes("a]").unwrap()), ["<invalid>"]);
    }

    #[test]
    fn name_lookup_skips_aliases_but_not_builtin_aliases() {
        let (_d, ctx) = fixture();
        assert!(ctx.lookup_name("crc32c").unwrap().is_none());
        assert_eq!(
            ctx.lookup_name("crc32c-generic").unwrap().unwrap().name,
            "crc32c_generic"
        );
        let unix = ctx.lookup_name("net-pf-1").unwrap().unwrap();
        assert!(unix.builtin);
        let ext4 = ctx.lookup_name("ext4").unwrap().unwrap();
        assert_eq!(
            ext4.dep.unwrap().deps,
            ["kernel/fs/jbd2.ko", "kernel/fs/mbcache.ko"]
        );
    }
}
