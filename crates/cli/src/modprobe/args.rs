//! modprobe's command line: `MODPROBE_OPTIONS` prepended, options read in order with kmod's
//! immediate effects (`-V`, `-h`, a bad `-w` end the program), and the `MODPROBE_OPTIONS` value
//! handed down to install/remove commands (`-C`, `-q`, `-v`, `-s` appended to it).

use std::ffi::OsString;
use std::path::PathBuf;

use super::output::{LOG_EMERG, LOG_WARNING};
use super::OPTIONS;
use crate::getopt;

/// kmod copies `-S` into `struct utsname`'s 65-byte release field.
const RELEASE_MAX_BYTES: usize = 64;

/// Everything the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `-a`: every operand is a module.
    pub all: bool,
    /// `-r`: remove.
    pub remove: bool,
    /// `--remove-holders` (`--remove-dependencies`).
    pub remove_holders: bool,
    /// `-w MSEC` (0: do not wait).
    pub wait_msec: u64,
    /// `--first-time`.
    pub first_time: bool,
    /// `-i`.
    pub ignore_commands: bool,
    /// `-b`.
    pub use_blacklist: bool,
    /// `-f`.
    pub force: bool,
    /// `--force-modversion`.
    pub force_modversion: bool,
    /// `--force-vermagic`.
    pub force_vermagic: bool,
    /// `-D`.
    pub show_depends: bool,
    /// `-R`.
    pub resolve_alias: bool,
    /// `-c`.
    pub show_config: bool,
    /// `--show-modversions`.
    pub show_modversions: bool,
    /// `--show-exports`.
    pub show_exports: bool,
    /// `-n` (also set by `-D`).
    pub dry_run: bool,
    /// `-C`, in order.
    pub config_paths: Vec<PathBuf>,
    /// `-d`.
    pub root: Option<String>,
    /// `-S`.
    pub kversion: Option<String>,
    /// `-s`.
    pub syslog: bool,
    /// `--json`: the actions or `-c`'s configuration as JSON, messages as JSON lines.
    pub json: bool,
    /// Verbosity: a syslog priority, `LOG_WARNING` by default.
    pub verbose: i32,
    /// The `MODPROBE_OPTIONS` install/remove commands get.
    pub modprobe_options: String,
    /// The operands: module names (and module parameters).
    pub operands: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            all: false,
            remove: false,
            remove_holders: false,
            wait_msec: 0,
            first_time: false,
            ignore_commands: false,
            use_blacklist: false,
            force: false,
            force_modversion: false,
            force_vermagic: false,
            show_depends: false,
            resolve_alias: false,
            show_config: false,
            show_modversions: false,
            show_exports: false,
            dry_run: false,
            config_paths: Vec::new(),
            root: None,
            kversion: None,
            syslog: false,
            json: false,
            verbose: LOG_WARNING,
            modprobe_options: String::new(),
            operands: Vec::new(),
        }
    }
}

/// What the command line says to do before any module work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Go on with these settings.
    Run(Box<Settings>),
    /// Print the help text and exit successfully.
    Help,
    /// Print the version and exit successfully.
    Version,
    /// A usage error (already worded; printed as is) or a bad `-w` value (printed as an ERROR
    /// message); exit with failure.
    Usage(String),
    /// `unexpected wait value '<v>'.`
    BadWait(String),
}

/// Parses `args` (argv without `argv[0]`), `MODPROBE_OPTIONS` (`env_options`) prepended; `argv0`
/// is used in usage errors as given.
pub fn parse(argv0: &str, args: &[OsString], env_options: Option<&str>) -> Parsed {
    let mut all_args: Vec<OsString> = env_options
        .map(modconf::split_modprobe_options)
        .unwrap_or_default()
        .into_iter()
        .map(OsString::from)
        .collect();
    all_args.extend(args.iter().cloned());
    let parsed = match getopt::parse(argv0, OPTIONS, &all_args, false) {
        Ok(p) => p,
        Err(e) => return Parsed::Usage(e.0),
    };
    let mut s = Settings {
        modprobe_options: env_options.unwrap_or_default().to_string(),
        ..Settings::default()
    };
    for opt in &parsed.opts {
        let value = opt
            .value
            .as_ref()
            .map(|v| v.to_string_lossy().into_owned())
            .unwrap_or_default();
        match opt.id {
            "all" => s.all = true,
            "remove" => s.remove = true,
            "remove-holders" => s.remove_holders = true,
            "wait" => match parse_c_ulong(&value) {
                Some(ms) => s.wait_msec = ms,
                None => return Parsed::BadWait(value),
            },
            "first-time" => s.first_time = true,
            "ignore-install" => s.ignore_commands = true,
            "use-blacklist" => s.use_blacklist = true,
            "force" => s.force = true,
            "force-modversion" => s.force_modversion = true,
            "force-vermagic" => s.force_vermagic = true,
            "show-depends" => {
                s.show_depends = true;
                s.dry_run = true;
            }
            "resolve-alias" => s.resolve_alias = true,
            "show-config" => s.show_config = true,
            "show-modversions" => s.show_modversions = true,
            "show-exports" => s.show_exports = true,
            "dry-run" => s.dry_run = true,
            "config" => {
                append_env(&mut s.modprobe_options, "-C");
                append_env(&mut s.modprobe_options, &value);
                s.config_paths.push(PathBuf::from(&value));
            }
            "dirname" => s.root = Some(value),
            "set-version" => s.kversion = Some(truncate(&value, RELEASE_MAX_BYTES)),
            "syslog" => {
                append_env(&mut s.modprobe_options, "-s");
                s.syslog = true;
            }
            "quiet" => {
                append_env(&mut s.modprobe_options, "-q");
                s.verbose = LOG_EMERG;
            }
            "verbose" => {
                append_env(&mut s.modprobe_options, "-v");
                s.verbose = s.verbose.saturating_add(1);
            }
            "json" => s.json = true,
            "version" => return Parsed::Version,
            "help" => return Parsed::Help,
            _ => {}
        }
    }
    s.operands = parsed
        .operands
        .iter()
        .map(|o| o.to_string_lossy().into_owned())
        .collect();
    Parsed::Run(Box::new(s))
}

/// kmod's `env_modprobe_options_append`: `value` added with a space separator.
fn append_env(options: &mut String, value: &str) {
    if !options.is_empty() {
        options.push(' ');
    }
    options.push_str(value);
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn truncate(s: &str, max: usize) -> String {
    let mut cut = s.len().min(max);
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.get(..cut).unwrap_or(s).to_string()
}

/// C's `strtoul(text, &end, 0)` requiring the whole text to be consumed and non-empty: leading
/// whitespace, an optional sign (a minus wraps around), `0x` hexadecimal, `0` octal or decimal.
/// Out-of-range values saturate, as strtoul does.
fn parse_c_ulong(text: &str) -> Option<u64> {
    let body = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, body) = match body.as_bytes().first() {
        Some(b'-') => (true, body.get(1..)?),
        Some(b'+') => (false, body.get(1..)?),
        _ => (false, body),
    };
    let (radix, digits) = if let Some(hex) = body
        .strip_prefix("0x")
        .or_else(|| body.strip_prefix("0X"))
        .filter(|h| h.starts_with(|c: char| c.is_ascii_hexdigit()))
    {
        (16, hex)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, body.get(1..)?)
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let value = u64::from_str_radix(digits, radix).unwrap_or(u64::MAX);
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str], env: Option<&str>) -> Settings {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        match parse("modprobe", &args, env) {
            Parsed::Run(s) => *s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn options_and_operands() {
        let s = run(
            &["-a", "ext4", "-vq", "--show-depends", "vfat", "-C", "c1"],
            None,
        );
        assert!(s.all && s.show_depends && s.dry_run);
        assert_eq!(s.verbose, LOG_EMERG);
        assert_eq!(s.operands, ["ext4", "vfat"]);
        assert_eq!(s.config_paths, [PathBuf::from("c1")]);
        assert_eq!(s.modprobe_options, "-v -q -C c1");
        assert!(!s.json);
        let s = run(
            &["--remove-dep", "--ignore", "-S", &"x".repeat(80), "--json"],
            None,
        );
        assert!(s.remove_holders && s.ignore_commands && s.json);
        // --json is not handed down to install/remove commands.
        assert_eq!(s.modprobe_options, "");
        assert_eq!(s.kversion.unwrap().len(), 64);
    }

    #[test]
    fn environment_options_come_first_and_are_passed_on() {
        // Observed with kmod 30: MODPROBE_OPTIONS="-v" modprobe -C c2 -s x → "-v -v -C c2 -s".
        let s = run(&["-C", "c2", "-s", "x"], Some("-v"));
        assert_eq!(s.modprobe_options, "-v -v -C c2 -s");
        assert_eq!(s.verbose, LOG_WARNING + 1);
        assert!(s.syslog);
    }

    #[test]
    fn immediate_exits() {
        let p = |v: &[&str]| {
            let args: Vec<OsString> = v.iter().map(OsString::from).collect();
            parse("modprobe", &args, None)
        };
        assert_eq!(p(&["-h", "x"]), Parsed::Help);
        assert_eq!(p(&["--version"]), Parsed::Version);
        assert_eq!(p(&["-w", "10x"]), Parsed::BadWait("10x".into()));
        assert_eq!(p(&["-w", ""]), Parsed::BadWait("".into()));
        assert_eq!(
            p(&["--zz"]),
            Parsed::Usage("modprobe: unrecognized option '--zz'".into())
        );
        assert_eq!(
            p(&["--s"]),
            Parsed::Usage("modprobe: option '--s' is ambiguous; possibilities: '--show-depends' '--showconfig' '--show-config' '--show-modversions' '--show-exports' '--show' '--set-version' '--syslog'".into())
        );
    }

    #[test]
    fn c_numbers() {
        assert_eq!(parse_c_ulong("100"), Some(100));
        assert_eq!(parse_c_ulong(" 0x1f"), Some(31));
        assert_eq!(parse_c_ulong("010"), Some(8));
        assert_eq!(parse_c_ulong("0"), Some(0));
        assert_eq!(parse_c_ulong("-1"), Some(u64::MAX));
        assert_eq!(parse_c_ulong("99999999999999999999999"), Some(u64::MAX));
        assert_eq!(parse_c_ulong(""), None);
        assert_eq!(parse_c_ulong("abc"), None);
        assert_eq!(parse_c_ulong("10x"), None);
        assert_eq!(parse_c_ulong("08"), None);
        assert_eq!(parse_c_ulong("-"), None);
    }
}
