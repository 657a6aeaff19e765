//! depmod.d configuration (config.md §6): search order, overrides, external directories and
//! excluded directory names, and depmod's rule for choosing between two files of the same module.
//! Words are kept as the bytes written and compared with paths and file names as bytes.

mod parse;
mod priority;

/// One word of a `search` line, in configuration order (first = highest priority).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchEntry {
    /// A directory relative to the module directory (`updates`, `extra`, ...); matches paths that
    /// start with `<dir>/`.
    Subdir(Vec<u8>),
    /// `built-in`: every path that no other entry matches.
    BuiltIn,
    /// `external`: the directories of the `external` lines, earlier lines first.
    External,
}

/// `override <module> <kver> <subdir>` whose kernel-version pattern matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// Module name as spelled in the file name (`mod-simple`, not normalised).
    pub module: Vec<u8>,
    /// Directory relative to the module directory whose copy of the module wins.
    pub subdir: Vec<u8>,
}

/// `external <kver> <dir>` whose kernel-version pattern matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct External {
    /// The directory as written (normally absolute); modules found there are listed in
    /// `modules.dep` with absolute paths.
    pub dir: Vec<u8>,
}

/// Everything read from depmod.d files for one kernel version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepmodConfig {
    /// `search` words of all lines, in order. Empty means the default (see
    /// [`DepmodConfig::effective_search`]); [`DepmodConfig::load`] fills the default in.
    pub search: Vec<SearchEntry>,
    /// `override` lines for this kernel, in parse order (later ones are checked first).
    pub overrides: Vec<Override>,
    /// `external` lines for this kernel, in parse order (earlier ones have higher priority).
    pub externals: Vec<External>,
    /// `exclude` words: directory basenames skipped at any depth.
    pub excludes: Vec<Vec<u8>>,
}

/// Directory names depmod never descends into, whatever the configuration says.
pub const ALWAYS_EXCLUDED: [&[u8]; 4] = [b".", b"..", b"build", b"source"];

impl DepmodConfig {
    /// The search order in force: the configured one, or just `updates` when no `search` line was
    /// seen.
    pub fn effective_search(&self) -> Vec<SearchEntry> {
        if self.search.is_empty() {
            vec![SearchEntry::Subdir(b"updates".to_vec())]
        } else {
            self.search.clone()
        }
    }

    /// Should depmod skip a directory with this basename (compared as bytes)?
    pub fn is_excluded_dir(&self, name: &[u8]) -> bool {
        ALWAYS_EXCLUDED.contains(&name) || self.excludes.iter().any(|e| e == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_search_is_updates() {
        let cfg = DepmodConfig::default();
        assert_eq!(
            cfg.effective_search(),
            [SearchEntry::Subdir(b"updates".to_vec())]
        );
        let cfg = DepmodConfig {
            search: vec![SearchEntry::BuiltIn],
            ..Default::default()
        };
        assert_eq!(cfg.effective_search(), [SearchEntry::BuiltIn]);
    }

    #[test]
    fn excluded_dirs() {
        let cfg = DepmodConfig {
            excludes: vec![b"foo".to_vec(), b"caf\xe9".to_vec()],
            ..Default::default()
        };
        for name in ["foo", "build", "source", ".", ".."] {
            assert!(cfg.is_excluded_dir(name.as_bytes()), "{name}");
        }
        assert!(cfg.is_excluded_dir(b"caf\xe9"));
        assert!(!cfg.is_excluded_dir("café".as_bytes()));
        assert!(!cfg.is_excluded_dir(b"foobar"));
        assert!(!cfg.is_excluded_dir(b"kernel"));
    }
}
