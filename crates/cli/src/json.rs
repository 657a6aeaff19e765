//! `--json`: the machine-readable output of `lsmod`, `modinfo`, `modprobe --show-depends`,
//! `modprobe -c` and `depmod -n`, described in `docs/json.md` and the JSON Schemas of
//! `docs/schema/`.
//!
//! Conventions shared by every tool, kept here:
//! * stdout holds exactly one JSON document, written compactly on one line and ended by a newline
//!   ([`write_document`]);
//! * diagnostics go to stderr as one JSON object per line ([`message_line`]) in place of kmod's
//!   `prog: LEVEL: text` lines; exit statuses do not change;
//! * text that is not UTF-8 (module information, configuration, paths) is rendered with U+FFFD
//!   in place of each invalid sequence ([`text`]).
//!
//! Each tool's document is built by its own module.

pub mod depmod;
pub mod lsmod;
pub mod message;
pub mod modinfo;
pub mod modprobe;

use std::borrow::Cow;
use std::ffi::OsString;
use std::io::{self, Write};

use serde::Serialize;

use crate::log::Priority;

pub use message::{message_line, print_message};

/// `bytes` as text: UTF-8 as is, every invalid sequence replaced by U+FFFD.
pub fn text(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// Whether `--json` is among the options of `args` (argv without `argv[0]`; operands after `--`
/// do not count), for errors met before the command line is understood.
pub fn requested(args: &[OsString]) -> bool {
    args.iter()
        .take_while(|a| a.as_encoded_bytes() != b"--")
        .any(|a| a.as_encoded_bytes() == b"--json")
}

/// Prints a command-line error worded by [`crate::getopt`] (`argv0: text`): as is, or as a JSON
/// `error` object (without the `argv0: ` prefix) when `--json` was asked for.
pub fn report_usage_error(program: &str, argv0: &str, args: &[OsString], text: &str) {
    if requested(args) {
        let message = text
            .strip_prefix(argv0)
            .and_then(|t| t.strip_prefix(": "))
            .unwrap_or(text);
        print_message(program, Priority::Error, None, message);
    } else {
        eprintln!("{text}");
    }
}

/// Writes `value` as one compact JSON document followed by a newline.
pub fn write_document(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// Writes a JSON array whose elements are already serialised (`[a,b,...]` and a newline), so
/// that elements can be serialised in parallel and joined in order.
pub fn write_array_of_serialized(out: &mut impl Write, elements: &[Vec<u8>]) -> io::Result<()> {
    out.write_all(b"[")?;
    for (i, element) in elements.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        out.write_all(element)?;
    }
    out.write_all(b"]\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        assert_eq!(text(b"caf\xc3\xa9"), "café");
        assert_eq!(text(b"a\xffb\xc3"), "a\u{fffd}b\u{fffd}");
    }

    #[test]
    fn json_is_seen_before_the_end_of_options() {
        let os = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert!(requested(&os(&["-x", "--json", "a"])));
        assert!(!requested(&os(&["-x", "--", "--json"])));
        assert!(!requested(&os(&["--jsonx", "json"])));
    }

    #[test]
    fn documents_are_one_line() {
        let mut out = Vec::new();
        write_document(&mut out, &serde_json::json!({"a": [1, 2], "b": "x\ny"})).unwrap();
        assert_eq!(out, b"{\"a\":[1,2],\"b\":\"x\\ny\"}\n");
        let mut out = Vec::new();
        write_array_of_serialized(&mut out, &[b"1".to_vec(), b"{}".to_vec()]).unwrap();
        assert_eq!(out, b"[1,{}]\n");
        let mut out = Vec::new();
        write_array_of_serialized(&mut out, &[]).unwrap();
        assert_eq!(out, b"[]\n");
    }
}
