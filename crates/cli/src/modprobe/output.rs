//! modprobe's output: stdout buffered like C stdio (fully on pipes and files, by line on a
//! terminal), messages in kmod's format filtered by modprobe's verbosity, optionally to syslog
//! (through the tools' shared [`ToolLog`]).
//!
//! kmod's rules, which this reproduces: before the library is set up only ERROR and worse are
//! printed; afterwards everything up to the verbosity (WARNING by default, nothing with `-q`,
//! one level more per `-v`). A FATAL message that is printed ends the program (exit status 1);
//! a suppressed one does not.

use std::io::{BufWriter, IsTerminal, Stdout, Write};
use std::os::fd::AsFd;

use kmod::probe::{Action, Refusal, Report};
use modconf::{Diagnostic, Level};

use crate::json::modprobe::{print_tool_message, JsonOutput};
use crate::log::Priority;
pub use crate::log::{LOG_EMERG, LOG_ERR, LOG_WARNING};
use crate::tool_log::ToolLog;
use crate::EXIT_FAILURE;

/// Where modprobe's stdout and messages go.
pub struct Output {
    stdout: BufWriter<Stdout>,
    line_buffered: bool,
    log: ToolLog,
    log_priority: Priority,
    show_actions: bool,
    /// With `--json`: the document being built; messages are JSON lines.
    json: Option<JsonOutput>,
}

impl Output {
    /// Output for program `prog` (the basename of `argv[0]`), before option parsing.
    pub fn new(prog: &str) -> Output {
        let stdout = std::io::stdout();
        Output {
            line_buffered: stdout.is_terminal(),
            stdout: BufWriter::with_capacity(64 * 1024, stdout),
            log: ToolLog::with_threshold(prog, LOG_ERR, false),
            log_priority: Priority::Fatal,
            show_actions: false,
            json: None,
        }
    }

    /// Switches to `--json` output (see [`crate::json::modprobe`]): actions are kept for the
    /// document instead of being printed, messages on stderr become JSON lines.
    pub fn use_json(&mut self) {
        self.json = Some(JsonOutput::default());
    }

    /// The `--json` document being built, if `--json` is on.
    pub fn json_mut(&mut self) -> Option<&mut JsonOutput> {
        self.json.as_mut()
    }

    /// Writes the `--json` document, once (also done by [`Output::exit`]).
    pub fn finish_json(&mut self) {
        if let Some(json) = self.json.take() {
            let _ = json.write(&mut self.stdout);
        }
    }

    /// Sends messages to syslog (`-s`, or when stderr is unusable), as kmod's `log_open`.
    pub fn open(&mut self, syslog: bool) {
        if syslog || !stderr_usable() {
            self.log.use_syslog();
        }
    }

    /// Applies the options once the library is set up: verbosity (`-q`, `-v`), the priority of
    /// modprobe's own "log" messages (FATAL, or WARNING with `-a`) and whether actions are printed
    /// (`-v`, `--show-depends`).
    pub fn setup(&mut self, verbose: i32, all: bool, show_actions: bool) {
        self.log.set_threshold(verbose);
        self.log_priority = if all {
            Priority::Warning
        } else {
            Priority::Fatal
        };
        self.show_actions = show_actions;
    }

    /// Writes to stdout.
    pub fn print(&mut self, text: &str) {
        self.print_bytes(text.as_bytes());
    }

    /// Writes bytes to stdout.
    pub fn print_bytes(&mut self, bytes: &[u8]) {
        // Like kmod, output errors (a closed pipe) do not change the outcome.
        let _ = self.stdout.write_all(bytes);
        if self.line_buffered && bytes.contains(&b'\n') {
            let _ = self.stdout.flush();
        }
    }

    /// Prints a message at `prio` unless the verbosity hides it; a printed FATAL message ends
    /// the program.
    pub fn log(&mut self, prio: Priority, msg: &str) {
        self.log_bytes(prio, msg);
    }

    /// [`Output::log`] for a message of any bytes (configuration words are not always UTF-8).
    pub fn log_bytes(&mut self, prio: Priority, msg: impl AsRef<[u8]>) {
        if self.json.is_some() && !self.log.is_syslog() {
            if self.log.enabled(prio) {
                print_tool_message(self.log.prog(), prio, msg.as_ref());
                if prio == Priority::Fatal {
                    self.exit(EXIT_FAILURE);
                }
            }
            return;
        }
        if self.log.log_bytes(prio, msg) && prio == Priority::Fatal {
            self.exit(EXIT_FAILURE);
        }
    }

    /// modprobe's own "log" messages (`Module X not found ...`): FATAL, or WARNING with `-a`.
    pub fn tool_log(&mut self, msg: &str) {
        self.log(self.log_priority, msg);
    }

    /// [`Output::tool_log`] for a message that quotes bytes (module names from configuration).
    pub fn tool_log_bytes(&mut self, msg: impl AsRef<[u8]>) {
        self.log_bytes(self.log_priority, msg);
    }

    /// Flushes stdout.
    pub fn flush(&mut self) {
        let _ = self.stdout.flush();
    }

    /// Flushes stdout and exits.
    pub fn exit(&mut self, status: i32) -> ! {
        self.finish_json();
        self.flush();
        std::process::exit(status)
    }
}

/// Is file descriptor 2 open? (kmod logs to syslog when it is not.)
fn stderr_usable() -> bool {
    std::io::stderr().as_fd().try_clone_to_owned().is_ok()
}

/// The tool priority of a library message.
fn priority(level: Level) -> Priority {
    match level {
        Level::Error => Priority::Error,
        Level::Warning => Priority::Warning,
        Level::Info => Priority::Info,
        Level::Debug => Priority::Debug,
    }
}

impl Report for Output {
    fn action(&mut self, action: &Action<'_>) {
        if let Some(json) = self.json.as_mut().filter(|_| self.show_actions) {
            json.action(action);
            return;
        }
        if self.show_actions {
            let mut line = action.to_bytes();
            line.push(b'\n');
            self.print_bytes(&line);
            // kmod's `remove <command>` line reaches stdout before the command's own output
            // (measured in the VM, tests/vm/scenarios/20-modprobe.sh); `install` lines do not.
            if matches!(action, Action::RemoveCommand { .. }) {
                self.flush();
            }
        }
    }

    fn message(&mut self, message: &Diagnostic) {
        self.log_bytes(priority(message.level), &message.message);
    }

    fn refusal(&mut self, refusal: &Refusal) {
        self.tool_log_bytes(refusal.to_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_levels_map_to_tool_priorities() {
        assert_eq!(priority(Level::Error), Priority::Error);
        assert_eq!(priority(Level::Debug), Priority::Debug);
    }

    #[test]
    fn suppressed_fatal_messages_do_not_exit() {
        let mut out = Output::new("modprobe");
        out.setup(LOG_EMERG, false, false);
        // Would exit the test process if it were printed.
        out.tool_log("Module x not found.");
        out.log(Priority::Error, "hidden");
        assert!(stderr_usable());
    }

    #[test]
    fn verbosity_applies_after_setup() {
        let mut out = Output::new("modprobe");
        // Before setup: ERROR and worse only.
        assert!(out.log.enabled(Priority::Error));
        assert!(!out.log.enabled(Priority::Warning));
        out.setup(LOG_WARNING + 2, true, false);
        assert!(out.log.enabled(Priority::Info));
        assert!(!out.log.enabled(Priority::Debug));
        assert_eq!(out.log_priority, Priority::Warning);
        assert!(!out.log.is_syslog());
        out.open(true);
        assert!(out.log.is_syslog());
    }
}
