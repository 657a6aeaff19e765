//! depmod's command line (tools.md §6), processed in getopt order like kmod: `-h`, `-V` and a
//! bad `-P` act as soon as they are met, so `depmod -V -x` prints the version.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::getopt::{self, OptSpec, Parsed};

/// The options of kmod 34's depmod, in kmod's table order (which decides the order of
/// "possibilities" in ambiguity messages).
pub const OPTIONS: &[OptSpec] = &[
    OptSpec::flag("all", 'a', "all"),
    OptSpec::flag("quick", 'A', "quick"),
    OptSpec::with_arg("basedir", 'b', "basedir"),
    OptSpec::with_arg("moduledir", 'm', "moduledir"),
    OptSpec::with_arg("outdir", 'o', "outdir"),
    OptSpec::with_arg("config", 'C', "config"),
    OptSpec::with_arg("symvers", 'E', "symvers"),
    OptSpec::with_arg("filesyms", 'F', "filesyms"),
    OptSpec::flag("errsyms", 'e', "errsyms"),
    OptSpec::flag("verbose", 'v', "verbose"),
    OptSpec::flag("show", 'n', "show"),
    OptSpec::long_only("show", "dry-run", getopt::HasArg::No),
    OptSpec::with_arg("symbol-prefix", 'P', "symbol-prefix"),
    OptSpec::flag("warn", 'w', "warn"),
    OptSpec::long_only("json", "json", getopt::HasArg::No),
    OptSpec::flag("version", 'V', "version"),
    OptSpec::flag("help", 'h', "help"),
];

/// What the command line asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// `-a`.
    pub all: bool,
    /// `-A`.
    pub quick: bool,
    /// `-b`, as given.
    pub basedir: Option<OsString>,
    /// `-m`, as given.
    pub moduledir: Option<OsString>,
    /// `-o`, as given.
    pub outdir: Option<OsString>,
    /// `-C`, in order.
    pub config: Vec<PathBuf>,
    /// `-E`.
    pub symvers: Option<PathBuf>,
    /// `-F`.
    pub system_map: Option<PathBuf>,
    /// `-e`.
    pub errsyms: bool,
    /// Number of `-v`.
    pub verbose: u32,
    /// `-n`.
    pub dry_run: bool,
    /// `-P`.
    pub prefix: Option<u8>,
    /// `-w`.
    pub warn: bool,
    /// `--json`: stdout and messages as JSON.
    pub json: bool,
    /// Operands: the version, then module files.
    pub operands: Vec<OsString>,
}

/// What to do after reading the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Run with these settings.
    Run(Box<Settings>),
    /// Print the help text and succeed.
    Help,
    /// Print the version and succeed.
    Version,
    /// Fail with this FATAL message (`-P` with more than one character).
    Fatal(String),
    /// Fail with this getopt message (already worded, printed as is).
    Usage(String),
}

/// Parses like getopt_long would as it walks argv: the first argument that makes parsing fail
/// (an unknown option, a missing argument at the very end, ...) only counts if no earlier
/// option ended the run.
pub fn parse(argv0: &str, args: &[OsString]) -> Action {
    match getopt::parse(argv0, OPTIONS, args, false) {
        Ok(parsed) => interpret(parsed),
        Err(usage) => {
            // The longest prefix that parses is what getopt had processed before the error.
            let processed = (0..args.len())
                .rev()
                .filter_map(|n| getopt::parse(argv0, OPTIONS, args.get(..n)?, false).ok())
                .next();
            match processed.map(interpret) {
                Some(action @ (Action::Help | Action::Version | Action::Fatal(_))) => action,
                _ => Action::Usage(usage.0),
            }
        }
    }
}

/// Applies the options in order.
fn interpret(parsed: Parsed) -> Action {
    let mut s = Settings::default();
    for opt in parsed.opts {
        let value = opt.value.unwrap_or_default();
        match opt.id {
            "all" => s.all = true,
            "quick" => s.quick = true,
            "basedir" => s.basedir = Some(value),
            "moduledir" => s.moduledir = Some(value),
            "outdir" => s.outdir = Some(value),
            "config" => s.config.push(PathBuf::from(value)),
            "symvers" => s.symvers = Some(PathBuf::from(value)),
            "filesyms" => s.system_map = Some(PathBuf::from(value)),
            "errsyms" => s.errsyms = true,
            "verbose" => s.verbose += 1,
            "show" => s.dry_run = true,
            "symbol-prefix" => match value.as_encoded_bytes() {
                [c] => s.prefix = Some(*c),
                _ => return Action::Fatal("-P only takes a single char".into()),
            },
            "warn" => s.warn = true,
            "json" => s.json = true,
            "version" => return Action::Version,
            "help" => return Action::Help,
            _ => {}
        }
    }
    s.operands = parsed.operands;
    Action::Run(Box::new(s))
}

/// kmod's version check, `sscanf(s, "%u.%u") == 2`: an unsigned number (after optional
/// whitespace and sign), a `.`, another one; anything may follow.
pub fn looks_like_version(s: &str) -> bool {
    fn number(s: &str) -> Option<&str> {
        let s = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
        let s = s.strip_prefix(['+', '-']).unwrap_or(s);
        let digits = s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        (digits > 0).then(|| s.get(digits..)).flatten()
    }
    number(s)
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(number)
        .is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    fn settings(v: &[&str]) -> Settings {
        match parse("depmod", &os(v)) {
            Action::Run(s) => *s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_option() {
        let s = settings(&[
            "-a",
            "-A",
            "-b",
            "/r",
            "-m",
            "/usr/lib/modules",
            "-o",
            "out",
            "-C",
            "c1",
            "-Cc2",
            "-E",
            "Module.symvers",
            "-F",
            "System.map",
            "-e",
            "-vv",
            "-n",
            "-P",
            "_",
            "-w",
            "1.2.3",
            "/x.ko",
        ]);
        assert!(s.all && s.quick && s.errsyms && s.dry_run && s.warn);
        assert!(!s.json);
        assert_eq!(s.basedir, Some("/r".into()));
        assert_eq!(s.moduledir, Some("/usr/lib/modules".into()));
        assert_eq!(s.outdir, Some("out".into()));
        assert_eq!(s.config, [PathBuf::from("c1"), PathBuf::from("c2")]);
        assert_eq!(s.symvers, Some(PathBuf::from("Module.symvers")));
        assert_eq!(s.system_map, Some(PathBuf::from("System.map")));
        assert_eq!(s.verbose, 2);
        assert_eq!(s.prefix, Some(b'_'));
        assert_eq!(s.operands, os(&["1.2.3", "/x.ko"]));
        let s = settings(&[
            "--dry-run",
            "--show",
            "--qu",
            "--basedir=/r",
            "--symb",
            ".",
            "--json",
        ]);
        assert!(s.dry_run && s.quick && s.json);
        assert_eq!(s.basedir, Some("/r".into()));
        assert_eq!(s.prefix, Some(b'.'));
    }

    #[test]
    fn order_decides_like_getopt() {
        assert_eq!(parse("depmod", &os(&["-V", "-x"])), Action::Version);
        assert_eq!(
            parse("depmod", &os(&["-x", "-V"])),
            Action::Usage("depmod: invalid option -- 'x'".into())
        );
        assert_eq!(parse("depmod", &os(&["-h", "-P", "ab"])), Action::Help);
        assert_eq!(
            parse("depmod", &os(&["-P", "ab", "-h"])),
            Action::Fatal("-P only takes a single char".into())
        );
        assert_eq!(
            parse("depmod", &os(&["-b"])),
            Action::Usage("depmod: option requires an argument -- 'b'".into())
        );
        assert_eq!(
            parse("/sbin/depmod", &os(&["--bogus"])),
            Action::Usage("/sbin/depmod: unrecognized option '--bogus'".into())
        );
        match parse("depmod", &os(&["--sym=_"])) {
            Action::Usage(text) => assert!(
                text.starts_with("depmod: option '--sym")
                    && text.ends_with("is ambiguous; possibilities: '--symvers' '--symbol-prefix'"),
                "{text}"
            ),
            other => panic!("{other:?}"),
        }
        // kmod 34 dropped the old no-op options.
        assert!(matches!(parse("depmod", &os(&["-u"])), Action::Usage(_)));
    }

    #[test]
    fn versions() {
        for yes in ["6.1.0-56-amd64", "1.2", " 1.2", "-1.2", "1.+2x", "0.0"] {
            assert!(looks_like_version(yes), "{yes}");
        }
        for no in ["abc", "1", "1.", ".1", "/x.ko", "", "1.x"] {
            assert!(!looks_like_version(no), "{no}");
        }
    }
}
