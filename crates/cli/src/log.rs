//! Messages in kmod's format: `<prog>: <PRIO>: <message>` on stderr.

use std::io::Write;

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
    fn strerror_texts() {
        assert_eq!(strerror(8), "Exec format error");
        assert_eq!(strerror(17), "File exists");
        assert_eq!(strerror(129), "Key was rejected by service");
    }
}
