//! A tool's logger with kmod's verbosity and `--syslog` behaviour (tools.md §0.3).
//!
//! Messages at or above the tool's priority threshold are printed as `<prog>: <PRIO>: <msg>` on
//! stderr, or, with `-s`, sent to syslog (facility daemon) as `<prog>: <PRIO>: <msg>`; when no
//! syslog daemon listens on `/dev/log`, they go to `/dev/console` as `syslog(3)` does with
//! `LOG_CONS`. Each `-v` raises the threshold by one priority.

use std::io::Write;
use std::os::unix::net::UnixDatagram;

use crate::log::Priority;

/// `LOG_DAEMON`: the syslog facility kmod's tools use.
const LOG_DAEMON: u8 = 3 << 3;
/// The syslog socket.
const SYSLOG_SOCKET: &str = "/dev/log";
/// Where messages go when the syslog socket is unavailable.
const CONSOLE: &str = "/dev/console";

/// Where and how much a tool logs.
#[derive(Debug, Clone)]
pub struct ToolLog {
    prog: String,
    threshold: u8,
    syslog: bool,
}

impl ToolLog {
    /// A logger for `prog` printing messages up to `base` raised by `verbosity` steps
    /// (insmod/rmmod/lsmod start at [`Priority::Error`], modprobe/depmod at
    /// [`Priority::Warning`]), to syslog if `syslog`.
    pub fn new(prog: &str, base: Priority, verbosity: u32, syslog: bool) -> ToolLog {
        let raised = u32::from(base as u8).saturating_add(verbosity);
        ToolLog {
            prog: prog.to_string(),
            threshold: u8::try_from(raised.min(Priority::Debug as u32)).unwrap_or(7),
            syslog,
        }
    }

    /// The program name messages carry.
    pub fn prog(&self) -> &str {
        &self.prog
    }

    /// Whether a message at `prio` would be emitted.
    pub fn enabled(&self, prio: Priority) -> bool {
        prio as u8 <= self.threshold
    }

    /// Emits `msg` at `prio` if enabled.
    pub fn log(&self, prio: Priority, msg: &str) {
        if !self.enabled(prio) {
            return;
        }
        let line = format_line(&self.prog, prio, msg);
        if self.syslog {
            send_to_syslog(prio, &line);
        } else {
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        }
    }

    /// Emits an `ERROR` message.
    pub fn error(&self, msg: &str) {
        self.log(Priority::Error, msg);
    }

    /// Emits an `INFO` message.
    pub fn info(&self, msg: &str) {
        self.log(Priority::Info, msg);
    }
}

/// `<prog>: <PRIO>: <msg>`.
fn format_line(prog: &str, prio: Priority, msg: &str) -> String {
    format!("{prog}: {}: {msg}", prio.label())
}

/// The datagram `syslog(3)` would send, without the timestamp (syslog daemons add it).
fn syslog_packet(prio: Priority, line: &str) -> String {
    format!("<{}>{line}", LOG_DAEMON | prio as u8)
}

fn send_to_syslog(prio: Priority, line: &str) {
    let packet = syslog_packet(prio, line);
    let sent = UnixDatagram::unbound()
        .and_then(|sock| sock.send_to(packet.as_bytes(), SYSLOG_SOCKET))
        .is_ok();
    if !sent {
        if let Ok(mut console) = std::fs::OpenOptions::new().write(true).open(CONSOLE) {
            let _ = write!(console, "{line}\r\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbosity_raises_the_threshold() {
        let log = ToolLog::new("rmmod", Priority::Error, 0, false);
        assert!(log.enabled(Priority::Fatal));
        assert!(log.enabled(Priority::Error));
        assert!(!log.enabled(Priority::Warning));
        let log = ToolLog::new("rmmod", Priority::Error, 2, false);
        assert!(log.enabled(Priority::Notice));
        assert!(!log.enabled(Priority::Info));
        let log = ToolLog::new("rmmod", Priority::Warning, 99, false);
        assert!(log.enabled(Priority::Debug));
        assert_eq!(log.prog(), "rmmod");
    }

    #[test]
    fn line_and_packet_formats() {
        let line = format_line("insmod", Priority::Error, "missing filename.");
        assert_eq!(line, "insmod: ERROR: missing filename.");
        assert_eq!(syslog_packet(Priority::Error, &line), format!("<27>{line}"));
        assert_eq!(syslog_packet(Priority::Info, "x"), "<30>x");
    }
}
