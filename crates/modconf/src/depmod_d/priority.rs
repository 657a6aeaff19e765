//! depmod's choice between two files of the same module (config.md §6.2), verified against
//! depmod 30 with copies of one module in several directories.

use super::{DepmodConfig, SearchEntry};

/// Is `path` inside `dir`: `dir` followed by `/`. A trailing `/` in `dir` itself is not enough
/// (`search updates/` matches nothing, as in depmod); for external directories it is accepted so
/// that paths built with [`std::path::Path::join`] match too.
fn is_under(path: &[u8], dir: &[u8], allow_trailing_slash: bool) -> bool {
    match path.strip_prefix(dir) {
        Some(rest) => rest.starts_with(b"/") || (allow_trailing_slash && dir.ends_with(b"/")),
        None => false,
    }
}

/// The directory part of a relative path (`extra/sub/foo.ko` → `extra/sub`).
fn dirname(path: &[u8]) -> &[u8] {
    path.iter()
        .rposition(|&b| b == b'/')
        .and_then(|i| path.get(..i))
        .unwrap_or_default()
}

impl DepmodConfig {
    /// Position of `path` in the search order: 0 is the highest priority; `None` is below every
    /// position (no entry matches and there is no `built-in`). The `external` keyword stands for
    /// every external directory in the order of the `external` lines. Paths and directories are
    /// compared as bytes.
    pub fn search_rank(&self, path: &[u8]) -> Option<usize> {
        let mut rank = 0usize;
        let mut built_in = None;
        for entry in self.effective_search() {
            match entry {
                SearchEntry::Subdir(dir) => {
                    if is_under(path, &dir, false) {
                        return Some(rank);
                    }
                    rank += 1;
                }
                SearchEntry::BuiltIn => {
                    built_in.get_or_insert(rank);
                    rank += 1;
                }
                SearchEntry::External => {
                    for ext in &self.externals {
                        if is_under(path, &ext.dir, true) {
                            return Some(rank);
                        }
                        rank += 1;
                    }
                }
            }
        }
        built_in
    }

    /// Does an `override` line name this copy? Only paths relative to the module directory can be
    /// overridden (depmod 30 ignores overrides pointing at external directories).
    fn is_override(path: &[u8], subdir: &[u8]) -> bool {
        !path.starts_with(b"/") && dirname(path) == subdir
    }

    /// kmod's duplicate resolution: true if `new_path` should replace `old_path` as the file of the
    /// module `module_name_as_on_disk` (file name without `.ko*`, not normalised). Paths are relative
    /// to the module directory, or absolute for external directories.
    ///
    /// `override` lines are checked first, the most recently parsed first: the copy in the named
    /// directory wins. Otherwise the copy whose search position is strictly better wins; on a tie
    /// the old one stays, so the caller must offer files in depmod's order (module directory first,
    /// then external directories in configuration order).
    pub fn is_higher_priority(
        &self,
        module_name_as_on_disk: &[u8],
        new_path: &[u8],
        old_path: &[u8],
    ) -> bool {
        for ov in self.overrides.iter().rev() {
            if ov.module != module_name_as_on_disk {
                continue;
            }
            if Self::is_override(new_path, &ov.subdir) {
                return true;
            }
            if Self::is_override(old_path, &ov.subdir) {
                return false;
            }
        }
        match (self.search_rank(new_path), self.search_rank(old_path)) {
            (Some(new), Some(old)) => new < old,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Copies of one module as in the depmod 30 experiment.
    const COPIES: [&str; 5] = [
        "kernel/drivers/rapl.ko",
        "extra/rapl.ko",
        "updates/rapl.ko",
        "foo/rapl.ko",
        "foobar/rapl.ko",
    ];

    fn cfg(text: &str) -> DepmodConfig {
        let mut cfg = DepmodConfig::default();
        cfg.parse_file(
            Path::new("t.conf"),
            text.as_bytes(),
            "1.2.3",
            &mut Vec::new(),
        );
        cfg
    }

    /// `DepmodConfig::is_higher_priority` for text arguments.
    trait Higher {
        fn higher(&self, module: &str, new: &str, old: &str) -> bool;
    }

    impl Higher for DepmodConfig {
        fn higher(&self, module: &str, new: &str, old: &str) -> bool {
            self.is_higher_priority(module.as_bytes(), new.as_bytes(), old.as_bytes())
        }
    }

    /// The copy depmod keeps when offered `paths` in order.
    fn winner<'a>(cfg: &DepmodConfig, module: &str, paths: &[&'a str]) -> &'a str {
        let mut best = paths[0];
        for p in &paths[1..] {
            if cfg.higher(module, p, best) {
                best = p;
            }
        }
        best
    }

    /// Same answer whatever order the copies are offered in (no ties involved).
    fn winner_any_order<'a>(cfg: &DepmodConfig, paths: &[&'a str]) -> &'a str {
        let forward = winner(cfg, "rapl", paths);
        let mut rev: Vec<&str> = paths.to_vec();
        rev.reverse();
        assert_eq!(winner(cfg, "rapl", &rev), forward);
        forward
    }

    #[test]
    fn search_order_first_listed_wins() {
        assert_eq!(
            winner_any_order(&cfg("search extra\n"), &COPIES),
            "extra/rapl.ko"
        );
        assert_eq!(winner_any_order(&cfg(""), &COPIES), "updates/rapl.ko");
        assert_eq!(
            winner_any_order(&cfg("search kernel extra kernel/drivers\n"), &COPIES),
            "kernel/drivers/rapl.ko"
        );
        assert_eq!(
            winner_any_order(&cfg("search kernel/drivers extra kernel\n"), &COPIES),
            "kernel/drivers/rapl.ko"
        );
    }

    #[test]
    fn same_prefix_needs_a_slash() {
        assert_eq!(
            winner_any_order(&cfg("search foo\n"), &COPIES),
            "foo/rapl.ko"
        );
        assert_eq!(
            winner_any_order(&cfg("search foobar foo\n"), &COPIES),
            "foobar/rapl.ko"
        );
        assert_eq!(
            winner_any_order(&cfg("search foo foobar\n"), &COPIES),
            "foo/rapl.ko"
        );
        assert_eq!(
            winner_any_order(&cfg("search foobar\nsearch foo\n"), &COPIES),
            "foobar/rapl.ko"
        );
        // `updates/` matches nothing, so every copy ties and the first one offered stays.
        let c = cfg("search updates/\n");
        assert_eq!(winner(&c, "rapl", &COPIES), COPIES[0]);
        assert!(!c.higher("rapl", "updates/rapl.ko", "extra/rapl.ko"));
    }

    #[test]
    fn built_in_is_the_fallback() {
        let c = cfg("search built-in extra\n");
        assert!(c.higher("rapl", "kernel/drivers/rapl.ko", "extra/rapl.ko"));
        assert!(!c.higher("rapl", "updates/rapl.ko", "kernel/drivers/rapl.ko"));
        assert!(!c.higher("rapl", "kernel/drivers/rapl.ko", "updates/rapl.ko"));
        let c = cfg("search extra\n");
        assert_eq!(c.search_rank(b"kernel/x.ko"), None);
        assert_eq!(c.search_rank(b"extra/sub/x.ko"), Some(0));
    }

    #[test]
    fn externals_in_line_order() {
        let ext = ["extra/rapl.ko", "/e1/rapl.ko", "/e2/rapl.ko"];
        let c = cfg("search external extra\nexternal 1.2.3 /e1\nexternal 1.2.3 /e2\n");
        assert_eq!(winner_any_order(&c, &ext), "/e1/rapl.ko");
        let c = cfg("search external extra\nexternal 1.2.3 /e2\nexternal 1.2.3 /e1\n");
        assert_eq!(winner_any_order(&c, &ext), "/e2/rapl.ko");
        let c = cfg("search extra external\nexternal 1.2.3 /e2\n");
        assert_eq!(winner_any_order(&c, &ext), "extra/rapl.ko");
        let c = cfg("search external\nexternal * /e/\n");
        assert_eq!(c.search_rank(b"/e/rapl.ko"), Some(0));
        assert_eq!(c.search_rank(b"/e//rapl.ko"), Some(0));
        assert_eq!(c.search_rank(b"/ex/rapl.ko"), None);
    }

    #[test]
    fn overrides_beat_search_order() {
        let c = cfg("search updates\noverride rapl * foo\n");
        assert_eq!(winner_any_order(&c, &COPIES), "foo/rapl.ko");
        let c = cfg("search updates\noverride rapl * foo\noverride rapl * extra\n");
        assert_eq!(winner_any_order(&c, &COPIES), "extra/rapl.ko");
        let c = cfg("search extra\noverride rapl * foo\noverride rapl * foobar\n");
        assert_eq!(winner_any_order(&c, &COPIES), "foobar/rapl.ko");
        let c = cfg("search updates\noverride rapl * kernel/drivers\n");
        assert_eq!(winner_any_order(&c, &COPIES), "kernel/drivers/rapl.ko");
    }

    #[test]
    fn overrides_must_name_the_exact_directory_and_spelling() {
        for text in [
            "search updates\noverride rapl * kernel\n",
            "search updates\noverride rapl * extra/\n",
            "search updates\noverride rapl * ./extra\n",
            "search updates\noverride rapl.ko * extra\n",
            "search updates\noverride rapl ^2 kernel/drivers\n",
        ] {
            assert_eq!(
                winner_any_order(&cfg(text), &COPIES),
                "updates/rapl.ko",
                "{text}"
            );
        }
        let c = cfg("search updates\noverride ra-pl * extra\n");
        assert!(c.higher("ra-pl", "extra/ra-pl.ko", "updates/ra-pl.ko"));
        let c = cfg("search updates\noverride ra_pl * extra\n");
        assert!(!c.higher("ra-pl", "extra/ra-pl.ko", "updates/ra-pl.ko"));
        // Not for a copy one directory deeper.
        let c = cfg("search updates\noverride rapl * extra\n");
        assert!(!c.higher("rapl", "extra/sub/rapl.ko", "updates/rapl.ko"));
    }

    #[test]
    fn overrides_do_not_apply_to_external_directories() {
        let c = cfg("search extra external\nexternal * /e1\noverride rapl * /e1\n");
        assert!(!c.higher("rapl", "/e1/rapl.ko", "extra/rapl.ko"));
        let c = cfg("search external\nexternal * /e1\noverride rapl * extra\n");
        assert!(c.higher("rapl", "extra/rapl.ko", "/e1/rapl.ko"));
    }

    #[test]
    fn helpers() {
        assert_eq!(dirname(b"a/b/c.ko"), b"a/b");
        assert_eq!(dirname(b"c.ko"), b"");
        assert!(is_under(b"a/b", b"a", false));
        assert!(!is_under(b"ab/c", b"a", false));
        assert!(!is_under(b"a/b", b"a/", false));
    }

    #[test]
    fn directories_and_names_compare_as_bytes() {
        let mut c = DepmodConfig::default();
        c.parse_file(
            Path::new("t.conf"),
            b"search upd\xe9\nexternal * /e\xff\noverride r\xe9 * ex\xe9\n",
            "1.2.3",
            &mut Vec::new(),
        );
        assert_eq!(c.search_rank(b"upd\xe9/x.ko"), Some(0));
        assert_eq!(c.search_rank("upd\u{e9}/x.ko".as_bytes()), None);
        assert!(c.is_higher_priority(b"r\xe9", b"ex\xe9/r\xe9.ko", b"upd\xe9/r\xe9.ko"));
        assert!(!c.is_higher_priority(b"r\xe9", b"upd\xe9/r\xe9.ko", b"ex\xe9/r\xe9.ko"));
        c.search.push(SearchEntry::External);
        assert_eq!(c.search_rank(b"/e\xff/x.ko"), Some(1));
    }
}
