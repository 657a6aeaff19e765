//! What the runners tell their caller while carrying out a plan: the actions (modprobe prints them
//! with `-v`, `-n -v` and `--show-depends`), library messages, and modprobe's refusals.

use std::fmt;
use std::path::Path;

use modconf::Diagnostic;

/// An action about to be carried out. Its [`fmt::Display`] is kmod's line for it (without the
/// newline): `insmod <path> <options>` (always a space after the path), `install <command>
/// <options>` (the command as configured, `$CMDLINE_OPTS` not substituted), `builtin <name>`,
/// `rmmod <name>`, `remove <command>` (substituted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    /// Load a module file.
    Insert {
        /// The module file.
        path: &'a Path,
        /// Its options.
        options: &'a str,
    },
    /// Run an install command instead of loading.
    Install {
        /// The command as configured.
        command: &'a str,
        /// The options it gets as `$CMDLINE_OPTS`.
        options: &'a str,
    },
    /// A built-in module (only reached when loaded modules are not skipped).
    Builtin {
        /// Its name.
        name: &'a str,
    },
    /// Unload a module.
    Remove {
        /// Its name.
        name: &'a str,
    },
    /// Run a remove command instead of unloading.
    RemoveCommand {
        /// The command, `$CMDLINE_OPTS` replaced by nothing.
        command: &'a str,
    },
}

impl fmt::Display for Action<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Insert { path, options } => write!(f, "insmod {} {options}", path.display()),
            Action::Install { command, options } => write!(f, "install {command} {options}"),
            Action::Builtin { name } => write!(f, "builtin {name}"),
            Action::Remove { name } => write!(f, "rmmod {name}"),
            Action::RemoveCommand { command } => write!(f, "remove {command}"),
        }
    }
}

/// modprobe's own refusals during removal. kmod logs them at modprobe's "log" priority: FATAL
/// (the tool exits at once), or WARNING with `-a`. [`fmt::Display`] gives kmod's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `--first-time` and the module is not loaded.
    NotInKernel(String),
    /// The module is built into the kernel.
    Builtin(String),
    /// The module has users.
    InUse(String),
    /// Its remove command failed.
    RemoveCommandFailed(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotInKernel(m) => write!(f, "Module {m} is not in kernel."),
            Refusal::Builtin(m) => write!(f, "Module {m} is builtin."),
            Refusal::InUse(m) => write!(f, "Module {m} is in use."),
            Refusal::RemoveCommandFailed(m) => write!(f, "Error running remove command for {m}"),
        }
    }
}

/// Receives what a runner does, in order.
pub trait Report {
    /// An action about to be carried out (printed when modprobe shows actions).
    fn action(&mut self, action: &Action<'_>);
    /// A message from the library (kmod prints these through the tool's logger).
    fn message(&mut self, message: &Diagnostic);
    /// A refusal (see [`Refusal`]).
    fn refusal(&mut self, refusal: &Refusal);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Records everything as text lines: actions as kmod prints them, messages prefixed by
    /// their level, refusals prefixed by `LOG:`.
    #[derive(Default, Debug)]
    pub(crate) struct Recorder {
        pub(crate) lines: Vec<String>,
    }

    impl Report for Recorder {
        fn action(&mut self, action: &Action<'_>) {
            self.lines.push(action.to_string());
        }

        fn message(&mut self, message: &Diagnostic) {
            self.lines.push(message.to_string());
        }

        fn refusal(&mut self, refusal: &Refusal) {
            self.lines.push(format!("LOG: {refusal}"));
        }
    }

    #[test]
    fn kmod_action_lines() {
        let p = Path::new("/l/m/a.ko");
        assert_eq!(
            Action::Insert {
                path: p,
                options: ""
            }
            .to_string(),
            "insmod /l/m/a.ko "
        );
        assert_eq!(
            Action::Install {
                command: "/bin/true $CMDLINE_OPTS",
                options: "x=1 "
            }
            .to_string(),
            "install /bin/true $CMDLINE_OPTS x=1 "
        );
        assert_eq!(Action::Builtin { name: "unix" }.to_string(), "builtin unix");
        assert_eq!(Action::Remove { name: "ext4" }.to_string(), "rmmod ext4");
        assert_eq!(
            Action::RemoveCommand { command: "echo x" }.to_string(),
            "remove echo x"
        );
        assert_eq!(
            Refusal::InUse("ext4".into()).to_string(),
            "Module ext4 is in use."
        );
        assert_eq!(
            Refusal::RemoveCommandFailed("d".into()).to_string(),
            "Error running remove command for d"
        );
    }
}
