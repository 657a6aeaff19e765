//! The one logger of the tools that take `-s`/`--syslog` (insmod, rmmod, lsmod, modprobe), with
//! kmod's verbosity and syslog behaviour (tools.md §0.3).
//!
//! A message is emitted when its priority is at or below the tool's threshold (each `-v` raises
//! it by one priority, modprobe's `-q` lowers it to `LOG_EMERG`). It is printed as
//! `<prog>: <PRIO>: <msg>` on stderr, or, with `-s`, sent to syslog (facility daemon) as
//! `<prog>: <PRIO>: <msg>`; when no syslog daemon takes it on `/dev/log`, it goes to
//! `/dev/console`, as `syslog(3)` does for kmod's `openlog(prog, LOG_CONS, LOG_DAEMON)`.
//! Messages are bytes: kmod passes on file and configuration contents unchanged.
//!
//! Messages printed before a tool has parsed its options, and libkmod's own messages printed with
//! `KMOD_LOG`'s priority, are in [`crate::log`].

use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};

use crate::log::Priority;

/// `LOG_DAEMON`: the syslog facility kmod's tools use.
const LOG_DAEMON: i32 = 3 << 3;
/// The syslog socket.
const SYSLOG_SOCKET: &str = "/dev/log";
/// Where messages go when the syslog socket is unavailable (`LOG_CONS`).
const CONSOLE: &str = "/dev/console";

/// Where and how much a tool logs.
#[derive(Debug)]
pub struct ToolLog {
    prog: String,
    threshold: i32,
    sink: Sink,
}

/// Where emitted messages go.
#[derive(Debug)]
enum Sink {
    /// Standard error.
    Stderr,
    /// syslog.
    Syslog(Syslog),
}

/// A connection to syslog, as `openlog(prog, LOG_CONS, LOG_DAEMON)` makes it.
#[derive(Debug)]
struct Syslog {
    /// Our socket (`None`: it could not be created; messages go to the console).
    socket: Option<UnixDatagram>,
    /// The syslog daemon's socket.
    daemon: PathBuf,
    /// Where messages go when the daemon does not take them.
    console: PathBuf,
}

impl Syslog {
    /// A connection to the system's syslog (`/dev/log`, else `/dev/console`).
    fn system() -> Syslog {
        Syslog::to(Path::new(SYSLOG_SOCKET), Path::new(CONSOLE))
    }

    /// A connection to the daemon listening on `daemon`, falling back to `console`.
    fn to(daemon: &Path, console: &Path) -> Syslog {
        Syslog {
            socket: UnixDatagram::unbound().ok(),
            daemon: daemon.to_path_buf(),
            console: console.to_path_buf(),
        }
    }

    /// Sends `line` at `prio`, or writes it to the console when the daemon does not take it.
    fn send(&self, prio: Priority, line: &[u8]) {
        let packet = syslog_packet(prio, line);
        let sent = self
            .socket
            .as_ref()
            .is_some_and(|s| s.send_to(&packet, &self.daemon).is_ok());
        if !sent {
            if let Ok(mut console) = std::fs::OpenOptions::new().write(true).open(&self.console) {
                let _ = console.write_all(&[line, b"\r\n"].concat());
            }
        }
    }
}

impl ToolLog {
    /// A logger for `prog` printing messages up to `base` raised by `verbosity` steps
    /// (insmod/rmmod/lsmod start at [`Priority::Error`], modprobe/depmod at
    /// [`Priority::Warning`]), to syslog if `syslog`.
    pub fn new(prog: &str, base: Priority, verbosity: u32, syslog: bool) -> ToolLog {
        let raised = i64::from(base as i32).saturating_add(i64::from(verbosity));
        let threshold = i32::try_from(raised.min(Priority::Debug as i64)).unwrap_or(i32::MAX);
        ToolLog::with_threshold(prog, threshold, syslog)
    }

    /// A logger for `prog` emitting messages whose syslog priority is at most `threshold`
    /// (modprobe's verbosity: `LOG_WARNING` by default, 0 with `-q`, one more per `-v`).
    pub fn with_threshold(prog: &str, threshold: i32, syslog: bool) -> ToolLog {
        let mut log = ToolLog {
            prog: prog.to_string(),
            threshold,
            sink: Sink::Stderr,
        };
        if syslog {
            log.use_syslog();
        }
        log
    }

    /// Sends messages to syslog from now on.
    pub fn use_syslog(&mut self) {
        if matches!(self.sink, Sink::Stderr) {
            self.sink = Sink::Syslog(Syslog::system());
        }
    }

    /// Whether messages go to syslog.
    pub fn is_syslog(&self) -> bool {
        matches!(self.sink, Sink::Syslog(_))
    }

    /// Changes the threshold (see [`ToolLog::with_threshold`]).
    pub fn set_threshold(&mut self, threshold: i32) {
        self.threshold = threshold;
    }

    /// The program name messages carry.
    pub fn prog(&self) -> &str {
        &self.prog
    }

    /// Whether a message at `prio` would be emitted.
    pub fn enabled(&self, prio: Priority) -> bool {
        prio as i32 <= self.threshold
    }

    /// Emits `msg` at `prio` if enabled; returns whether it was.
    pub fn log(&self, prio: Priority, msg: &str) -> bool {
        self.log_bytes(prio, msg)
    }

    /// Emits `msg` (any bytes) at `prio` if enabled; returns whether it was.
    pub fn log_bytes(&self, prio: Priority, msg: impl AsRef<[u8]>) -> bool {
        if !self.enabled(prio) {
            return false;
        }
        let line = format_line(&self.prog, prio, msg.as_ref());
        match &self.sink {
            Sink::Stderr => {
                let mut err = std::io::stderr().lock();
                let _ = err.write_all(&line).and_then(|()| err.write_all(b"\n"));
            }
            Sink::Syslog(syslog) => syslog.send(prio, &line),
        }
        true
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
fn format_line(prog: &str, prio: Priority, msg: &[u8]) -> Vec<u8> {
    [prog.as_bytes(), b": ", prio.label().as_bytes(), b": ", msg].concat()
}

/// The datagram `syslog(3)` would send, without the timestamp (syslog daemons add it).
fn syslog_packet(prio: Priority, line: &[u8]) -> Vec<u8> {
    let mut packet = format!("<{}>", LOG_DAEMON | prio as i32).into_bytes();
    packet.extend_from_slice(line);
    packet
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
        let log = ToolLog::new("rmmod", Priority::Warning, u32::MAX, false);
        assert!(log.enabled(Priority::Debug));
        assert_eq!(log.prog(), "rmmod");
    }

    #[test]
    fn thresholds_as_modprobe_sets_them() {
        // -q: nothing at all, not even FATAL.
        let mut log = ToolLog::with_threshold("modprobe", 0, false);
        assert!(!log.enabled(Priority::Fatal));
        assert!(!log.log(Priority::Fatal, "hidden"));
        log.set_threshold(4);
        assert!(log.enabled(Priority::Warning));
        assert!(!log.enabled(Priority::Notice));
        log.set_threshold(99);
        assert!(log.enabled(Priority::Debug));
    }

    #[test]
    fn syslog_is_chosen_at_creation_or_later() {
        assert!(ToolLog::new("lsmod", Priority::Error, 0, true).is_syslog());
        let mut log = ToolLog::with_threshold("modprobe", 4, false);
        assert!(!log.is_syslog());
        log.use_syslog();
        assert!(log.is_syslog());
    }

    #[test]
    fn line_and_packet_formats() {
        let line = format_line("insmod", Priority::Error, b"missing filename.");
        assert_eq!(line, b"insmod: ERROR: missing filename.");
        let mut want = b"<27>".to_vec();
        want.extend_from_slice(&line);
        assert_eq!(syslog_packet(Priority::Error, &line), want);
        assert_eq!(syslog_packet(Priority::Info, b"x"), b"<30>x");
        assert_eq!(syslog_packet(Priority::Fatal, b"\xff"), b"<26>\xff");
    }

    /// A logger for `prog` sending to a stand-in syslog daemon at `daemon` and console `console`.
    fn test_logger(prog: &str, threshold: i32, daemon: &Path, console: &Path) -> ToolLog {
        let mut log = ToolLog::with_threshold(prog, threshold, false);
        log.sink = Sink::Syslog(Syslog::to(daemon, console));
        log
    }

    #[test]
    fn messages_reach_the_syslog_daemon() {
        let dir = tempfile::tempdir().unwrap();
        let daemon = dir.path().join("log");
        let console = dir.path().join("console");
        std::fs::write(&console, b"").unwrap();
        let server = UnixDatagram::bind(&daemon).unwrap();
        let log = test_logger("modprobe", 4, &daemon, &console);
        assert!(log.log_bytes(Priority::Warning, b"x \xff"));
        assert!(!log.log(Priority::Info, "not enabled"));
        let mut buf = [0u8; 64];
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(buf.get(..n), Some(&b"<28>modprobe: WARNING: x \xff"[..]));
        server.set_nonblocking(true).unwrap();
        assert!(
            server.recv(&mut buf).is_err(),
            "only the enabled message is sent"
        );
        assert_eq!(std::fs::read(&console).unwrap(), b"");
    }

    #[test]
    fn without_a_daemon_messages_go_to_the_console() {
        let dir = tempfile::tempdir().unwrap();
        let console = dir.path().join("console");
        std::fs::write(&console, b"").unwrap();
        let log = test_logger("insmod", 3, &dir.path().join("no-daemon"), &console);
        log.error("missing filename.");
        log.info("not enabled");
        assert_eq!(
            std::fs::read(&console).unwrap(),
            b"insmod: ERROR: missing filename.\r\n"
        );
    }
}
