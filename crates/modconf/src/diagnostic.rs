//! Messages produced while reading configuration, in the words kmod 34 uses.

use std::borrow::Cow;
use std::fmt;

/// Severity of a [`Diagnostic`], matching kmod's log priorities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// `LOG_ERR`: a line or file was ignored.
    Error,
    /// `LOG_WARNING`.
    Warning,
    /// `LOG_INFO`: noteworthy but harmless (for example an `override` for another kernel).
    Info,
    /// `LOG_DEBUG`: only shown at the highest verbosity.
    Debug,
}

impl Level {
    /// The priority word kmod prints (`ERROR`, `WARNING`, `INFO`, `DEBUG`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Warning => "WARNING",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One message about the configuration.
///
/// `message` is the text exactly as kmod 34 prints it after its `"<prefix>: <LEVEL>: "` part, for
/// example (modprobe.d, printed by libkmod's default logger as `libkmod: ERROR: ...`):
/// `kmod_config_parse: /etc/modprobe.d/z.conf line 10: ignoring bad line starting with 'bogus'`,
/// or (depmod.d, printed as `depmod: ERROR: ...`):
/// `/etc/depmod.d/a.conf:3: ignoring bad line starting with 'bogus'`.
///
/// kmod 30 (Debian 12) inserts the C source location instead of the colon after the level:
/// `libkmod: ERROR ../libkmod/libkmod-config.c:712 kmod_config_parse: ...`; the text after the
/// location is the same.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// How serious the message is.
    pub level: Level,
    /// The message text, without program name or level. Bytes, because kmod quotes configuration
    /// words as they are (`ignoring bad line starting with '<bytes>'`).
    pub message: Vec<u8>,
}

impl Diagnostic {
    /// A message at `level`.
    pub fn new(level: Level, message: impl Into<Vec<u8>>) -> Self {
        Diagnostic {
            level,
            message: message.into(),
        }
    }

    /// An [`Level::Error`] message.
    pub fn error(message: impl Into<Vec<u8>>) -> Self {
        Self::new(Level::Error, message)
    }

    /// A [`Level::Warning`] message.
    pub fn warning(message: impl Into<Vec<u8>>) -> Self {
        Self::new(Level::Warning, message)
    }

    /// An [`Level::Info`] message.
    pub fn info(message: impl Into<Vec<u8>>) -> Self {
        Self::new(Level::Info, message)
    }

    /// A [`Level::Debug`] message.
    pub fn debug(message: impl Into<Vec<u8>>) -> Self {
        Self::new(Level::Debug, message)
    }

    /// The message as text, invalid UTF-8 replaced by U+FFFD (for printers that only take text;
    /// [`Diagnostic::to_bytes`] keeps the bytes).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.message)
    }

    /// `LEVEL: message` as bytes, ready to be prefixed with `libkmod: ` or `depmod: `.
    pub fn to_bytes(&self) -> Vec<u8> {
        let level = self.level.as_str().as_bytes();
        [level, b": ", &self.message].concat()
    }
}

impl fmt::Display for Diagnostic {
    /// `LEVEL: message` (invalid UTF-8 replaced; see [`Diagnostic::to_bytes`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.level, self.text())
    }
}

impl fmt::Debug for Diagnostic {
    /// The message shown as a string, bytes that are not printable ASCII escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Diagnostic")
            .field("level", &self.level)
            .field(
                "message",
                &format_args!("\"{}\"", self.message.escape_ascii()),
            )
            .finish()
    }
}

/// Joins the parts of a message that quotes configuration bytes.
pub(crate) fn join(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_puts_level_first() {
        let d =
            Diagnostic::error("kmod_config_parse: f line 1: ignoring bad line starting with 'x'");
        assert_eq!(
            d.to_string(),
            "ERROR: kmod_config_parse: f line 1: ignoring bad line starting with 'x'"
        );
        assert_eq!(Diagnostic::info("m").to_string(), "INFO: m");
        assert_eq!(Diagnostic::debug("m").level, Level::Debug);
        assert_eq!(Diagnostic::warning("m").level.as_str(), "WARNING");
    }

    #[test]
    fn bytes_are_kept_and_shown_escaped() {
        let d = Diagnostic::error(join(&[b"starting with '", b"\xff\x01", b"'"]));
        assert_eq!(d.to_bytes(), b"ERROR: starting with '\xff\x01'");
        assert_eq!(d.text(), "starting with '\u{fffd}\u{1}'");
        assert_eq!(d.to_string(), "ERROR: starting with '\u{fffd}\u{1}'");
        assert_eq!(
            format!("{d:?}"),
            "Diagnostic { level: Error, message: \"starting with \\'\\xff\\x01\\'\" }"
        );
    }

    #[test]
    fn levels_order_by_severity() {
        assert!(Level::Error < Level::Warning);
        assert!(Level::Info < Level::Debug);
    }
}
