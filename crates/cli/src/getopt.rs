//! Command-line parsing with the behaviour of glibc's `getopt_long`, which every kmod tool uses:
//! options and operands may be mixed (operands are collected in order), short options cluster
//! (`-an`), arguments attach (`-Fname`, `--field=name`) or follow (`-F name`, `--field name`), long
//! options may be abbreviated to any unique prefix, `--` ends the options, and errors are printed in
//! glibc's words with `argv[0]` as given.
//!
//! Each tool describes its options once, as a table of [`OptSpec`]; the same table renders the help
//! text and the man page options, so they cannot drift.

use std::ffi::OsString;

/// Whether an option takes an argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HasArg {
    /// A flag.
    No,
    /// Requires an argument.
    Required,
}

/// One option of a tool.
#[derive(Debug, Clone, Copy)]
pub struct OptSpec {
    /// Identifier the tool matches on (usually the long name).
    pub id: &'static str,
    /// Short letter, if any.
    pub short: Option<char>,
    /// Long name without `--`, if any.
    pub long: Option<&'static str>,
    /// Whether it takes an argument.
    pub arg: HasArg,
}

impl OptSpec {
    /// A flag with a short and a long name.
    pub const fn flag(id: &'static str, short: char, long: &'static str) -> OptSpec {
        OptSpec {
            id,
            short: Some(short),
            long: Some(long),
            arg: HasArg::No,
        }
    }

    /// An option taking an argument, with a short and a long name.
    pub const fn with_arg(id: &'static str, short: char, long: &'static str) -> OptSpec {
        OptSpec {
            id,
            short: Some(short),
            long: Some(long),
            arg: HasArg::Required,
        }
    }

    /// A long-only option.
    pub const fn long_only(id: &'static str, long: &'static str, arg: HasArg) -> OptSpec {
        OptSpec {
            id,
            short: None,
            long: Some(long),
            arg,
        }
    }
}

/// One parsed option occurrence, in command-line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opt {
    /// The [`OptSpec::id`].
    pub id: &'static str,
    /// Its argument, if it takes one.
    pub value: Option<OsString>,
}

/// The result of parsing: options in order and operands in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Options, in the order given.
    pub opts: Vec<Opt>,
    /// Operands (non-options), in the order given.
    pub operands: Vec<OsString>,
}

/// A usage error, already worded as glibc prints it (without the trailing newline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

/// Parses `args` (argv without `argv[0]`); `prog` is `argv[0]` as given, used in error messages.
/// `stop_at_operand` gives the `+` behaviour of an optstring: the first operand ends option
/// parsing (it and the rest are operands).
pub fn parse(
    prog: &str,
    specs: &[OptSpec],
    args: &[OsString],
    stop_at_operand: bool,
) -> Result<Parsed, UsageError> {
    let mut parsed = Parsed::default();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        let bytes = arg.as_encoded_bytes();
        if bytes == b"--" {
            parsed.operands.extend(args[i..].iter().cloned());
            break;
        }
        if bytes.len() < 2 || bytes[0] != b'-' {
            parsed.operands.push(arg.clone());
            if stop_at_operand {
                parsed.operands.extend(args[i..].iter().cloned());
                break;
            }
            continue;
        }
        let text = arg.to_string_lossy();
        if let Some(long) = text.strip_prefix("--") {
            let (name, attached) = match long.split_once('=') {
                Some((n, v)) => (n, Some(OsString::from(v))),
                None => (long, None),
            };
            let spec = find_long(prog, specs, name).map_err(|e| match e {
                LongError::Unrecognized => {
                    UsageError(format!("{prog}: unrecognized option '--{long}'"))
                }
                LongError::Usage(u) => u,
            })?;
            let long_name = spec.long.unwrap_or(name);
            let value = match (spec.arg, attached) {
                (HasArg::No, Some(_)) => {
                    return Err(UsageError(format!(
                        "{prog}: option '--{long_name}' doesn't allow an argument"
                    )))
                }
                (HasArg::No, None) => None,
                (HasArg::Required, Some(v)) => Some(v),
                (HasArg::Required, None) => match args.get(i) {
                    Some(v) => {
                        i += 1;
                        Some(v.clone())
                    }
                    None => {
                        return Err(UsageError(format!(
                            "{prog}: option '--{long_name}' requires an argument"
                        )))
                    }
                },
            };
            parsed.opts.push(Opt { id: spec.id, value });
            continue;
        }
        // A cluster of short options: "-an", "-Ffield", "-F field".
        let chars: Vec<char> = text[1..].chars().collect();
        let mut k = 0;
        while k < chars.len() {
            let c = chars[k];
            k += 1;
            let Some(spec) = specs.iter().find(|s| s.short == Some(c)) else {
                return Err(UsageError(format!("{prog}: invalid option -- '{c}'")));
            };
            let value = match spec.arg {
                HasArg::No => None,
                HasArg::Required if k < chars.len() => {
                    let rest: String = chars[k..].iter().collect();
                    k = chars.len();
                    Some(OsString::from(rest))
                }
                HasArg::Required => match args.get(i) {
                    Some(v) => {
                        i += 1;
                        Some(v.clone())
                    }
                    None => {
                        return Err(UsageError(format!(
                            "{prog}: option requires an argument -- '{c}'"
                        )))
                    }
                },
            };
            parsed.opts.push(Opt { id: spec.id, value });
        }
    }
    Ok(parsed)
}

/// Why a long option did not resolve.
enum LongError {
    /// No option has this name or prefix (reported with the whole argument, as glibc does).
    Unrecognized,
    /// Any other usage error, already worded.
    Usage(UsageError),
}

/// getopt_long's long-name matching: an exact name, or a prefix of exactly one name (prefixes of
/// several names that all mean the same option are fine too).
fn find_long<'s>(prog: &str, specs: &'s [OptSpec], name: &str) -> Result<&'s OptSpec, LongError> {
    if let Some(spec) = specs.iter().find(|s| s.long == Some(name)) {
        return Ok(spec);
    }
    let candidates: Vec<&OptSpec> = specs
        .iter()
        .filter(|s| !name.is_empty() && s.long.is_some_and(|l| l.starts_with(name)))
        .collect();
    match candidates.as_slice() {
        [] => Err(LongError::Unrecognized),
        [one] => Ok(one),
        [first, rest @ ..] if rest.iter().all(|s| s.id == first.id && s.arg == first.arg) => {
            Ok(first)
        }
        many => {
            let list: Vec<String> = many
                .iter()
                .filter_map(|s| s.long.map(|l| format!("'--{l}'")))
                .collect();
            Err(LongError::Usage(UsageError(format!(
                "{prog}: option '--{name}' is ambiguous; possibilities: {}",
                list.join(" ")
            ))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[OptSpec] = &[
        OptSpec::flag("author", 'a', "author"),
        OptSpec::flag("null", '0', "null"),
        OptSpec::with_arg("field", 'F', "field"),
        OptSpec::flag("filename", 'n', "filename"),
        OptSpec::long_only("first-time", "first-time", HasArg::No),
        OptSpec::long_only("field-x", "fieldx", HasArg::No),
    ];

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    fn ids(p: &Parsed) -> Vec<(&str, Option<String>)> {
        p.opts
            .iter()
            .map(|o| {
                (
                    o.id,
                    o.value.as_ref().map(|v| v.to_string_lossy().into_owned()),
                )
            })
            .collect()
    }

    #[test]
    fn mixed_options_and_operands() {
        let p = parse(
            "modinfo",
            SPECS,
            &os(&[
                "ext4",
                "-a0",
                "-Fname",
                "x",
                "-F",
                "y",
                "--field=z",
                "--",
                "-n",
            ]),
            false,
        )
        .unwrap();
        assert_eq!(
            ids(&p),
            [
                ("author", None),
                ("null", None),
                ("field", Some("name".into())),
                ("field", Some("y".into())),
                ("field", Some("z".into()))
            ]
        );
        assert_eq!(p.operands, os(&["ext4", "x", "-n"]));
    }

    #[test]
    fn stop_at_first_operand() {
        let p = parse("kmod", SPECS, &os(&["-a", "list", "-n"]), true).unwrap();
        assert_eq!(p.operands, os(&["list", "-n"]));
        assert_eq!(p.opts.len(), 1);
    }

    #[test]
    fn abbreviations() {
        let p = parse("m", SPECS, &os(&["--auth", "--first", "--fi", "v"]), false);
        assert_eq!(
            p.unwrap_err().0,
            "m: option '--fi' is ambiguous; possibilities: '--field' '--filename' '--first-time' '--fieldx'"
        );
        let p = parse("m", SPECS, &os(&["--auth", "--first"]), false).unwrap();
        assert_eq!(ids(&p), [("author", None), ("first-time", None)]);
    }

    #[test]
    fn glibc_error_texts() {
        let e = |v: &[&str]| parse("/sbin/modinfo", SPECS, &os(v), false).unwrap_err().0;
        assert_eq!(e(&["-z"]), "/sbin/modinfo: invalid option -- 'z'");
        assert_eq!(e(&["--zzz"]), "/sbin/modinfo: unrecognized option '--zzz'");
        assert_eq!(
            e(&["--zzz=1"]),
            "/sbin/modinfo: unrecognized option '--zzz=1'"
        );
        assert_eq!(
            e(&["-F"]),
            "/sbin/modinfo: option requires an argument -- 'F'"
        );
        assert_eq!(
            e(&["--field"]),
            "/sbin/modinfo: option '--field' requires an argument"
        );
        assert_eq!(
            e(&["--null=1"]),
            "/sbin/modinfo: option '--null' doesn't allow an argument"
        );
    }

    #[test]
    fn lone_dash_is_an_operand() {
        let p = parse("insmod", SPECS, &os(&["-"]), false).unwrap();
        assert_eq!(p.operands, os(&["-"]));
    }
}
