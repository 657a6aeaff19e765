//! Messages the engine produces for the tool to print, in kmod's priorities.

use std::fmt;

/// Message priority, as kmod's log levels (the tool decides what its verbosity shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// `FATAL` (LOG_CRIT): depmod stops.
    Fatal,
    /// `ERROR` (LOG_ERR).
    Error,
    /// `WARNING` (LOG_WARNING), shown by default.
    Warning,
    /// `NOTICE`, shown with `-v`.
    Notice,
    /// `INFO`, shown with `-vv`.
    Info,
    /// `DEBUG`, shown with `-vvv`.
    Debug,
}

impl Level {
    /// The word kmod prints for this level.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Fatal => "FATAL",
            Level::Error => "ERROR",
            Level::Warning => "WARNING",
            Level::Notice => "NOTICE",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
        }
    }
}

impl From<modconf::Level> for Level {
    fn from(level: modconf::Level) -> Self {
        match level {
            modconf::Level::Error => Level::Error,
            modconf::Level::Warning => Level::Warning,
            modconf::Level::Info => Level::Info,
            modconf::Level::Debug => Level::Debug,
        }
    }
}

/// One message, worded as kmod words it (without the `depmod: LEVEL: ` prefix and without the
/// final newline, which the printer adds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its priority.
    pub level: Level,
    /// The text.
    pub text: String,
}

impl Message {
    /// A message at `level`.
    pub fn new(level: Level, text: impl Into<String>) -> Self {
        Message {
            level,
            text: text.into(),
        }
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.level.as_str(), self.text)
    }
}

/// Where the engine sends what it has to say, as it happens.
pub trait Reporter {
    /// A diagnostic message (stderr in the tool).
    fn message(&mut self, message: Message);
    /// A line of `-v` output (stdout in the tool), without its newline.
    fn verbose_line(&mut self, line: &str);
    /// Bytes of `-n` output (stdout in the tool).
    fn output(&mut self, bytes: &[u8]) -> std::io::Result<()>;
}

/// A [`Reporter`] that keeps everything, for tests and library users.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collected {
    /// Messages, in order.
    pub messages: Vec<Message>,
    /// `-v` lines, in order.
    pub verbose: Vec<String>,
    /// `-n` output.
    pub output: Vec<u8>,
}

impl Reporter for Collected {
    fn message(&mut self, message: Message) {
        self.messages.push(message);
    }

    fn verbose_line(&mut self, line: &str) {
        self.verbose.push(line.to_string());
    }

    fn output(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.output.extend_from_slice(bytes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_display() {
        assert!(Level::Fatal < Level::Warning && Level::Warning < Level::Debug);
        assert_eq!(
            Message::new(Level::Warning, "-e needs -E or -F").to_string(),
            "WARNING: -e needs -E or -F"
        );
        assert_eq!(Level::from(modconf::Level::Info), Level::Info);
        let mut c = Collected::default();
        c.message(Message::new(Level::Error, "x"));
        c.verbose_line("v");
        c.output(b"o").unwrap();
        assert_eq!(c.messages[0].level.as_str(), "ERROR");
        assert_eq!(c.verbose, ["v"]);
        assert_eq!(c.output, b"o");
    }
}
