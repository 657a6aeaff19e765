//! Messages in kmod's format (tools.md §0.3): `<prog>: <PRIO>: <message>` on stderr, and
//! libkmod's own messages, `libkmod: <PRIO>: <message>`, filtered by `KMOD_LOG`.
//!
//! Tools that take `-s`/`--syslog` log through [`crate::tool_log::ToolLog`] once their options
//! are parsed; the functions here print on stderr.

use std::io::Write;

use modconf::{kmod_log_priority, Diagnostic, Level};

/// syslog priority `LOG_EMERG` (what modprobe's `-q` sets its verbosity to).
pub const LOG_EMERG: i32 = 0;
/// syslog priority `LOG_ERR`: libkmod's log priority when `KMOD_LOG` is unset.
pub const LOG_ERR: i32 = 3;
/// syslog priority `LOG_WARNING`: modprobe's and depmod's default verbosity.
pub const LOG_WARNING: i32 = 4;
/// The environment variable that sets libkmod's log priority.
pub const KMOD_LOG: &str = "KMOD_LOG";

/// Message priorities, named as kmod prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    /// `FATAL` (LOG_CRIT): the tool exits after printing it.
    Fatal = 2,
    /// `ERROR` (LOG_ERR).
    Error = 3,
    /// `WARNING` (LOG_WARNING).
    Warning = 4,
    /// `NOTICE` (LOG_NOTICE).
    Notice = 5,
    /// `INFO` (LOG_INFO).
    Info = 6,
    /// `DEBUG` (LOG_DEBUG).
    Debug = 7,
}

impl Priority {
    /// The word kmod prints for this priority.
    pub fn label(self) -> &'static str {
        match self {
            Priority::Fatal => "FATAL",
            Priority::Error => "ERROR",
            Priority::Warning => "WARNING",
            Priority::Notice => "NOTICE",
            Priority::Info => "INFO",
            Priority::Debug => "DEBUG",
        }
    }
}

/// Prints one message for `prog` at `prio` on stderr (`modinfo: ERROR: ...`).
pub fn log(prog: &str, prio: Priority, msg: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{prog}: {}: {msg}", prio.label());
}

/// Prints an `ERROR` message.
pub fn error(prog: &str, msg: &str) {
    log(prog, Priority::Error, msg);
}

/// Prints a `WARNING` message.
pub fn warning(prog: &str, msg: &str) {
    log(prog, Priority::Warning, msg);
}

/// libkmod's log priority: the value of `KMOD_LOG` read as kmod reads it
/// ([`modconf::kmod_log_priority`]; invalid UTF-8 replaced first), [`LOG_ERR`] when unset.
pub fn library_log_priority() -> i32 {
    match std::env::var_os(KMOD_LOG) {
        Some(value) => kmod_log_priority(&value.to_string_lossy()),
        None => LOG_ERR,
    }
}

/// The syslog priority of a library message level.
pub fn level_priority(level: Level) -> i32 {
    match level {
        Level::Error => LOG_ERR,
        Level::Warning => LOG_WARNING,
        Level::Info => 6,
        Level::Debug => 7,
    }
}

/// Prints `diags` as libkmod's default logger does before a tool has set up its own
/// (`libkmod: ERROR: <message>` on stderr, whatever `-q` or `-s` say): those whose priority is at
/// most `KMOD_LOG`'s ([`library_log_priority`]).
pub fn print_library_messages(diags: &[Diagnostic]) {
    let limit = library_log_priority();
    let mut err = std::io::stderr().lock();
    let _ = write_library_messages(&mut err, diags, limit);
}

/// Writes the messages of `diags` whose priority is at most `limit`, one per line, as
/// `libkmod: <LEVEL>: <message>`; the message bytes are written unchanged.
pub fn write_library_messages(
    out: &mut impl Write,
    diags: &[Diagnostic],
    limit: i32,
) -> std::io::Result<()> {
    for d in diags.iter().filter(|d| level_priority(d.level) <= limit) {
        let message: &[u8] = d.message.as_ref();
        out.write_all(
            &[
                b"libkmod: ",
                d.level.as_str().as_bytes(),
                b": ",
                message,
                b"\n",
            ]
            .concat(),
        )?;
    }
    Ok(())
}

/// The C library's message for `errno` (`strerror`), e.g. 8 → `Exec format error`.
pub fn strerror(errno: i32) -> String {
    let text = std::io::Error::from_raw_os_error(errno).to_string();
    match text.find(" (os error") {
        Some(end) => text[..end].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_messages_are_filtered_by_priority() {
        let diags = [
            Diagnostic::error("kmod_config_parse: /etc/modprobe.d/x.conf line 1: ignoring bad line starting with 'bogus'"),
            Diagnostic::info("kmod_new: ctx created"),
            Diagnostic::debug("kmod_config_new: parsing file"),
        ];
        let mut out = Vec::new();
        write_library_messages(&mut out, &diags, LOG_ERR).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "libkmod: ERROR: kmod_config_parse: /etc/modprobe.d/x.conf line 1: ignoring bad line starting with 'bogus'\n"
        );
        let mut out = Vec::new();
        write_library_messages(&mut out, &diags, 7).unwrap();
        assert_eq!(String::from_utf8(out).unwrap().lines().count(), 3);
        // KMOD_LOG=warning reads as 0: not even errors.
        let mut out = Vec::new();
        write_library_messages(&mut out, &diags, 0).unwrap();
        assert!(out.is_empty());
    }

    #[test]
    fn level_priorities_are_syslog_priorities() {
        assert_eq!(level_priority(Level::Error), Priority::Error as i32);
        assert_eq!(level_priority(Level::Warning), Priority::Warning as i32);
        assert_eq!(level_priority(Level::Info), Priority::Info as i32);
        assert_eq!(level_priority(Level::Debug), Priority::Debug as i32);
    }

    #[test]
    fn strerror_texts() {
        assert_eq!(strerror(8), "Exec format error");
        assert_eq!(strerror(17), "File exists");
        assert_eq!(strerror(129), "Key was rejected by service");
    }
}
