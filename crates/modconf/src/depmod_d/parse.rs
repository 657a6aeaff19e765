//! Reading depmod.d lines (config.md §6.2; messages as tools.md §6 and depmod 30 print them).

use std::io::BufRead;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::{DepmodConfig, External, Override, SearchEntry};
use crate::diagnostic::{join, Diagnostic};
use crate::files::{open_config, strerror, ConfigFile};
use crate::line_reader::{until_nul, LineError, LogicalLines};
use crate::tokens::{fields, next_field};

/// Largest compiled size allowed for a kernel-version regular expression.
const KVER_REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Does the `kver` field of an `override`/`external` line match `kernel_version`? `*` matches
/// everything; anything else is an extended regular expression searched for anywhere in the
/// version (unanchored, so `4.4` matches `14.4.1`). A pattern that does not compile matches nothing.
///
/// The pattern works on bytes with ASCII classes, as `regcomp` does in depmod's C locale. (Unicode
/// classes made `\w{0,30}` exceed the size limit — no match where depmod matches — and cost
/// 30 ms to compile, per line.) Bytes of the pattern that are not ASCII stand for themselves.
pub fn kernel_version_matches(pattern: &[u8], kernel_version: &str) -> bool {
    if pattern == b"*" {
        return true;
    }
    regex::bytes::RegexBuilder::new(&regex_source(pattern))
        .unicode(false)
        .size_limit(KVER_REGEX_SIZE_LIMIT)
        .build()
        .map(|re| re.is_match(kernel_version.as_bytes()))
        .unwrap_or(false)
}

/// The pattern as source text for the `regex` crate, which takes `&str`: ASCII as is, every other
/// byte as a `\xHH` escape, which with Unicode off matches that byte, in classes too. (The
/// `\x{HH}` form would stand for the code point's UTF-8 encoding.)
fn regex_source(pattern: &[u8]) -> String {
    let mut source = String::with_capacity(pattern.len());
    for &b in pattern {
        if b.is_ascii() {
            source.push(char::from(b));
        } else {
            source.push_str(&format!("\\x{b:02x}"));
        }
    }
    source
}

impl DepmodConfig {
    /// Parses one depmod.d file held in memory for `kernel_version`, appending its directives.
    /// `path` is only used in messages.
    pub fn parse_file(
        &mut self,
        path: &Path,
        data: &[u8],
        kernel_version: &str,
        diags: &mut Vec<Diagnostic>,
    ) {
        self.parse_reader(path, data, kernel_version, diags);
    }

    /// Like [`DepmodConfig::parse_file`], reading from `reader` with bounded memory per line.
    pub fn parse_reader<R: BufRead>(
        &mut self,
        path: &Path,
        reader: R,
        kernel_version: &str,
        diags: &mut Vec<Diagnostic>,
    ) {
        let name = path.as_os_str().as_bytes();
        for line in LogicalLines::new(reader) {
            match line {
                Ok(line) => {
                    let text = until_nul(&line.text);
                    let at = Location {
                        file: name,
                        line: line.number,
                    };
                    self.parse_line(at, text, kernel_version, diags)
                }
                Err(LineError::TooLong { line, limit }) => diags.push(Diagnostic::error(join(&[
                    name,
                    format!(":{line}: ignoring line longer than {limit} bytes").as_bytes(),
                ]))),
                Err(e) => diags.push(Diagnostic::error(join(&[
                    name,
                    b": ",
                    e.to_string().as_bytes(),
                ]))),
            }
        }
    }

    /// Reads `files` in order (see [`crate::list_depmod_config_files`]) for `kernel_version`; when
    /// no `search` line was found the default search order (`updates`) is filled in. Files that
    /// cannot be opened are reported as errors (`file parse PATH: ERROR`, as depmod says).
    pub fn load(
        files: &[ConfigFile],
        kernel_version: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> DepmodConfig {
        let mut cfg = DepmodConfig::default();
        for file in files {
            match open_config(&file.path) {
                Ok(reader) => cfg.parse_reader(&file.path, reader, kernel_version, diags),
                Err(e) => diags.push(Diagnostic::error(join(&[
                    b"file parse ",
                    file.path.as_os_str().as_bytes(),
                    b": ",
                    strerror(&e).as_bytes(),
                ]))),
            }
        }
        if cfg.search.is_empty() {
            cfg.search = cfg.effective_search();
        }
        cfg
    }

    fn parse_line(
        &mut self,
        at: Location<'_>,
        text: &[u8],
        kernel_version: &str,
        diags: &mut Vec<Diagnostic>,
    ) {
        if text.is_empty() || text.starts_with(b"#") {
            return;
        }
        let Some((cmd, args)) = next_field(text) else {
            return;
        };
        let ok = match cmd {
            b"search" => {
                self.add_search(args, diags);
                true
            }
            b"override" => self.add_override(args, kernel_version, at, diags),
            b"external" => self.add_external(args, kernel_version, at, diags),
            b"exclude" => {
                for dir in fields(args) {
                    diags.push(Diagnostic::debug(join(&[b"exclude add: ", dir])));
                    self.excludes.push(dir.to_vec());
                }
                true
            }
            b"include" | b"make_map_files" => {
                diags.push(Diagnostic::info(at.message(&[
                    b"command ",
                    cmd,
                    b" not implemented yet",
                ])));
                true
            }
            _ => false,
        };
        if !ok {
            diags.push(Diagnostic::error(at.message(&[
                b"ignoring bad line starting with '",
                cmd,
                b"'",
            ])));
        }
    }

    fn add_search(&mut self, args: &[u8], diags: &mut Vec<Diagnostic>) {
        for word in fields(args) {
            let (entry, kind) = match word {
                b"built-in" => (SearchEntry::BuiltIn, b"1"),
                b"external" => (SearchEntry::External, b"2"),
                dir => (SearchEntry::Subdir(dir.to_vec()), b"0"),
            };
            diags.push(Diagnostic::debug(join(&[
                b"search add: ",
                word,
                b", search type=",
                kind,
            ])));
            self.search.push(entry);
        }
    }

    /// `override <module> <kver> <subdir>`; false when a field is missing.
    fn add_override(
        &mut self,
        args: &[u8],
        kernel_version: &str,
        at: Location<'_>,
        diags: &mut Vec<Diagnostic>,
    ) -> bool {
        let mut words = fields(args);
        let (Some(module), Some(kver), Some(subdir)) = (words.next(), words.next(), words.next())
        else {
            return false;
        };
        if !kernel_version_matches(kver, kernel_version) {
            diags.push(Diagnostic::info(
                at.message(&[b"override kernel did not match ", kver]),
            ));
            return true;
        }
        diags.push(Diagnostic::debug(join(&[
            b"override add: ",
            subdir,
            b"/",
            module,
        ])));
        self.overrides.push(Override {
            module: module.to_vec(),
            subdir: subdir.to_vec(),
        });
        true
    }

    /// `external <kver> <dir>`; false when a field is missing.
    fn add_external(
        &mut self,
        args: &[u8],
        kernel_version: &str,
        at: Location<'_>,
        diags: &mut Vec<Diagnostic>,
    ) -> bool {
        let mut words = fields(args);
        let (Some(kver), Some(dir)) = (words.next(), words.next()) else {
            return false;
        };
        if !kernel_version_matches(kver, kernel_version) {
            diags.push(Diagnostic::info(
                at.message(&[b"external directory did not match ", kver]),
            ));
            return true;
        }
        diags.push(Diagnostic::debug(join(&[b"external add: ", dir])));
        self.externals.push(External { dir: dir.to_vec() });
        true
    }
}

/// Where a line is, for depmod's `FILE:LINE: ` message prefix.
#[derive(Clone, Copy)]
struct Location<'a> {
    file: &'a [u8],
    line: u32,
}

impl Location<'_> {
    /// `FILE:LINE: ` followed by `parts`.
    fn message(self, parts: &[&[u8]]) -> Vec<u8> {
        let mut out = join(&[self.file, format!(":{}: ", self.line).as_bytes()]);
        out.extend(parts.iter().flat_map(|p| p.iter()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Level;

    fn parse(text: &str, kver: &str) -> (DepmodConfig, Vec<Diagnostic>) {
        let mut cfg = DepmodConfig::default();
        let mut diags = Vec::new();
        cfg.parse_file(
            Path::new("D/conf/a.conf"),
            text.as_bytes(),
            kver,
            &mut diags,
        );
        (cfg, diags)
    }

    fn not_debug(diags: &[Diagnostic]) -> Vec<String> {
        diags
            .iter()
            .filter(|d| d.level != Level::Debug)
            .map(|d| d.to_string())
            .collect()
    }

    // Same input as the depmod 30 run recorded in the project notes; messages as depmod printed them.
    #[test]
    fn every_directive_and_message() {
        let (cfg, diags) = parse(
            "search updates built-in\nsearch extra\noverride foo 1.2.* extra\noverride bar 9.9 extra\n\
override baz\nexternal 1.2.3 /nonexistent\nexternal 9 /x\nexclude foo bar\ninclude x\nmake_map_files\n\
bogus line\n  # indented\nsearch\nexclude\n",
            "1.2.3",
        );
        assert_eq!(
            not_debug(&diags),
            [
                "INFO: D/conf/a.conf:4: override kernel did not match 9.9",
                "ERROR: D/conf/a.conf:5: ignoring bad line starting with 'override'",
                "INFO: D/conf/a.conf:7: external directory did not match 9",
                "INFO: D/conf/a.conf:9: command include not implemented yet",
                "INFO: D/conf/a.conf:10: command make_map_files not implemented yet",
                "ERROR: D/conf/a.conf:11: ignoring bad line starting with 'bogus'",
                "ERROR: D/conf/a.conf:12: ignoring bad line starting with '#'",
            ]
        );
        assert_eq!(
            cfg.search,
            [
                SearchEntry::Subdir(b"updates".to_vec()),
                SearchEntry::BuiltIn,
                SearchEntry::Subdir(b"extra".to_vec())
            ]
        );
        assert_eq!(
            cfg.overrides,
            [Override {
                module: b"foo".to_vec(),
                subdir: b"extra".to_vec()
            }]
        );
        assert_eq!(
            cfg.externals,
            [External {
                dir: b"/nonexistent".to_vec()
            }]
        );
        assert_eq!(cfg.excludes, [b"foo".to_vec(), b"bar".to_vec()]);
        let debug: Vec<_> = diags
            .iter()
            .filter(|d| d.level == Level::Debug)
            .map(|d| d.text())
            .collect();
        assert_eq!(
            debug,
            [
                "search add: updates, search type=0",
                "search add: built-in, search type=1",
                "search add: extra, search type=0",
                "override add: extra/foo",
                "external add: /nonexistent",
                "exclude add: foo",
                "exclude add: bar",
            ]
        );
    }

    #[test]
    fn external_needs_two_fields() {
        let (cfg, diags) = parse("external *\nexternal\n", "1");
        assert!(cfg.externals.is_empty());
        assert_eq!(diags.len(), 2);
        assert!(diags.iter().all(|d| d
            .text()
            .contains("ignoring bad line starting with 'external'")));
    }

    #[test]
    fn words_keep_their_bytes() {
        let mut cfg = DepmodConfig::default();
        let mut diags = Vec::new();
        cfg.parse_file(
            Path::new("d/\u{e9}.conf"),
            b"search upd\xe9 built-in\noverride m\xe9 * ex\xff\nexternal * /e\xe9\n\
exclude x\xe9\n\xff\xfe bad\noverride m * \xe9\x80\n",
            "6.1.0",
            &mut diags,
        );
        assert_eq!(
            cfg.search,
            [
                SearchEntry::Subdir(b"upd\xe9".to_vec()),
                SearchEntry::BuiltIn
            ]
        );
        assert_eq!(
            cfg.overrides[0],
            Override {
                module: b"m\xe9".to_vec(),
                subdir: b"ex\xff".to_vec()
            }
        );
        assert_eq!(cfg.overrides[1].subdir, b"\xe9\x80");
        assert_eq!(cfg.externals[0].dir, b"/e\xe9");
        assert_eq!(cfg.excludes, [b"x\xe9".to_vec()]);
        let errors: Vec<_> = diags.iter().filter(|d| d.level == Level::Error).collect();
        assert_eq!(
            errors,
            [&Diagnostic::error(
                &b"d/\xc3\xa9.conf:5: ignoring bad line starting with '\xff\xfe'"[..]
            )]
        );
    }

    #[test]
    fn kernel_version_patterns() {
        let kernel_version_matches =
            |p: &str, kver: &str| super::kernel_version_matches(p.as_bytes(), kver);
        assert!(kernel_version_matches("*", "anything"));
        assert!(kernel_version_matches("1.2", "1.2.3"));
        assert!(kernel_version_matches("4.4", "14.4.1"), "unanchored");
        assert!(!kernel_version_matches("^2", "1.2.3"));
        assert!(kernel_version_matches("^6\\.1\\.", "6.1.0-56-amd64"));
        assert!(kernel_version_matches("(5|6)\\.[0-9]+", "6.1.0"));
        assert!(
            !kernel_version_matches("[", "1.2.3"),
            "invalid pattern matches nothing"
        );
        // depmod 30 (-vvv: "override add") matches these; Unicode classes exceeded the size limit.
        assert!(kernel_version_matches("^6\\w{0,30}", "6.1.0-56-amd64"));
        assert!(kernel_version_matches(
            "^[[:digit:].]{5}-\\w+-.{5}$",
            "6.1.0-56-amd64"
        ));
        assert!(!kernel_version_matches("^\\w{6}", "6.1.0-56-amd64"));
        // Bytes that are not ASCII match themselves, in classes too.
        assert!(!super::kernel_version_matches(
            b"^6\\.1-caf\xe9$",
            "6.1-caf\u{e9}"
        ));
        assert!(super::kernel_version_matches(
            b"^6\\.1-caf\xc3\xa9$",
            "6.1-caf\u{e9}"
        ));
        assert!(super::kernel_version_matches(b"[\xc3][\xa9]", "\u{e9}"));
        assert!(!super::kernel_version_matches(b"\xff", "6.1.0"));
        let (_, diags) = parse("override rapl [ kernel/drivers\n", "1.2.3");
        assert_eq!(
            not_debug(&diags),
            ["INFO: D/conf/a.conf:1: override kernel did not match ["]
        );
    }

    #[test]
    fn continuation_and_whitespace_in_search() {
        let (cfg, _) = parse("search  extra\\\n   updates\tfoo\n", "1");
        assert_eq!(
            cfg.search,
            ["extra", "updates", "foo"].map(|s| SearchEntry::Subdir(s.into()))
        );
    }

    #[test]
    fn load_fills_default_search_and_reports_unreadable_files() {
        let t = tempfile::tempdir().unwrap();
        let a = t.path().join("a.conf");
        std::fs::write(&a, "exclude x\n").unwrap();
        let files = [
            ConfigFile {
                path: a,
                name: "a.conf".into(),
            },
            ConfigFile {
                path: t.path().to_path_buf(),
                name: "dir.conf".into(),
            },
        ];
        let mut diags = Vec::new();
        let cfg = DepmodConfig::load(&files, "1.2.3", &mut diags);
        assert_eq!(cfg.search, [SearchEntry::Subdir(b"updates".to_vec())]);
        assert_eq!(cfg.excludes, [b"x".to_vec()]);
        let errors: Vec<_> = diags.iter().filter(|d| d.level == Level::Error).collect();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.starts_with(b"file parse "), "{errors:?}");
    }

    #[test]
    fn junk_never_panics() {
        let junk: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
        let mut cfg = DepmodConfig::default();
        cfg.parse_file(Path::new("j"), &junk, "1", &mut Vec::new());
        cfg.parse_file(
            Path::new("j"),
            b"override a (((((((((( b\n",
            "1",
            &mut Vec::new(),
        );
    }
}
