//! Diagnostics as JSON: one object per line on stderr, in place of kmod's `prog: LEVEL: text`.
//!
//! ```text
//! {"error":{"program":"modinfo","level":"error","file":"/x.ko","message":"..."}}
//! ```
//!
//! The single key says what kind of message it is: `error` (kmod's FATAL and ERROR), `warning`,
//! `notice`, `info` or `debug`; `level` inside gives kmod's exact priority (`fatal` for FATAL).
//! `file` is the file the message is about when the tool knows it, else `null`.

use std::io::Write;

use serde::Serialize;

use crate::log::Priority;

/// The body of a message object.
#[derive(Debug, Serialize)]
struct Body<'a> {
    program: &'a str,
    level: &'static str,
    file: Option<&'a str>,
    message: &'a str,
}

/// The level's name in JSON (`fatal`, `error`, ...).
pub fn level_name(prio: Priority) -> &'static str {
    match prio {
        Priority::Fatal => "fatal",
        Priority::Error => "error",
        Priority::Warning => "warning",
        Priority::Notice => "notice",
        Priority::Info => "info",
        Priority::Debug => "debug",
    }
}

/// The key that wraps a message at `prio`: `error` for FATAL and ERROR, else the level's name.
pub fn kind(prio: Priority) -> &'static str {
    match prio {
        Priority::Fatal | Priority::Error => "error",
        other => level_name(other),
    }
}

/// One message as a JSON line (without the newline).
pub fn message_line(program: &str, prio: Priority, file: Option<&str>, message: &str) -> String {
    let body = Body {
        program,
        level: level_name(prio),
        file,
        message,
    };
    // `kind` is one of a few fixed identifiers; the body keeps its field order.
    let body = serde_json::to_string(&body).unwrap_or_else(|_| "null".to_string());
    format!("{{\"{}\":{body}}}", kind(prio))
}

/// Prints one message as a JSON line on stderr.
pub fn print_message(program: &str, prio: Priority, file: Option<&str>, message: &str) {
    let line = message_line(program, prio, file, message);
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_wrap_the_body_in_the_kind() {
        assert_eq!(
            message_line(
                "modinfo",
                Priority::Error,
                Some("/x.ko"),
                "could not \"read\""
            ),
            r#"{"error":{"program":"modinfo","level":"error","file":"/x.ko","message":"could not \"read\""}}"#
        );
        assert_eq!(
            message_line("modprobe", Priority::Fatal, None, "Module x not found."),
            r#"{"error":{"program":"modprobe","level":"fatal","file":null,"message":"Module x not found."}}"#
        );
        assert_eq!(
            message_line("depmod", Priority::Warning, None, "w"),
            r#"{"warning":{"program":"depmod","level":"warning","file":null,"message":"w"}}"#
        );
    }

    #[test]
    fn every_priority_has_a_kind() {
        for (prio, kind_name) in [
            (Priority::Notice, "notice"),
            (Priority::Info, "info"),
            (Priority::Debug, "debug"),
        ] {
            assert_eq!(kind(prio), kind_name);
            assert!(message_line("p", prio, None, "m").starts_with(&format!("{{\"{kind_name}\"")));
        }
    }
}
