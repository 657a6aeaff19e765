//! What the runners tell their caller while carrying out a plan: the actions (modprobe prints them
//! with `-v`, `-n -v` and `--show-depends`), library messages, and modprobe's refusals.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use modconf::Diagnostic;

/// An action about to be carried out. [`Action::to_bytes`] gives kmod's line for it (without the
/// newline): `insmod <path> <options>` (always a space after the path), `install <command>
/// <options>` (the command as configured, `$CMDLINE_OPTS` not substituted), `builtin <name>`,
/// `rmmod <name>`, `remove <command>` (substituted). Names, options and commands are bytes, printed
/// as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    /// Load a module file.
    Insert {
        /// The module file.
        path: &'a Path,
        /// Its options.
        options: &'a [u8],
    },
    /// Run an install command instead of loading.
    Install {
        /// The command as configured.
        command: &'a [u8],
        /// The options it gets as `$CMDLINE_OPTS`.
        options: &'a [u8],
    },
    /// A built-in module (only reached when loaded modules are not skipped).
    Builtin {
        /// Its name.
        name: &'a [u8],
    },
    /// Unload a module.
    Remove {
        /// Its name.
        name: &'a [u8],
    },
    /// Run a remove command instead of unloading.
    RemoveCommand {
        /// The command, `$CMDLINE_OPTS` replaced by nothing.
        command: &'a [u8],
    },
}

impl Action<'_> {
    /// kmod's line for the action, without the newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Action::Insert { path, options } => {
                [b"insmod ", path.as_os_str().as_bytes(), b" ", options].concat()
            }
            Action::Install { command, options } => {
                [&b"install "[..], command, b" ", options].concat()
            }
            Action::Builtin { name } => [&b"builtin "[..], name].concat(),
            Action::Remove { name } => [&b"rmmod "[..], name].concat(),
            Action::RemoveCommand { command } => [&b"remove "[..], command].concat(),
        }
    }
}

/// modprobe's own refusals during removal. kmod logs them at modprobe's "log" priority: FATAL
/// (the tool exits at once), or WARNING with `-a`. [`Refusal::to_bytes`] gives kmod's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `--first-time` and the module is not loaded.
    NotInKernel(Vec<u8>),
    /// The module is built into the kernel.
    Builtin(Vec<u8>),
    /// The module has users.
    InUse(Vec<u8>),
    /// Its remove command failed.
    RemoveCommandFailed(Vec<u8>),
}

impl Refusal {
    /// kmod's message (the module name as its bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Refusal::NotInKernel(m) => [&b"Module "[..], m, b" is not in kernel."].concat(),
            Refusal::Builtin(m) => [&b"Module "[..], m, b" is builtin."].concat(),
            Refusal::InUse(m) => [&b"Module "[..], m, b" is in use."].concat(),
            Refusal::RemoveCommandFailed(m) => {
                [&b"Error running remove command for "[..], m].concat()
            }
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

    /// Records everything as text lines (invalid UTF-8 replaced): actions as kmod prints them,
    /// messages prefixed by their level, refusals prefixed by `LOG:`.
    #[derive(Default, Debug)]
    pub(crate) struct Recorder {
        pub(crate) lines: Vec<String>,
    }

    impl Report for Recorder {
        fn action(&mut self, action: &Action<'_>) {
            self.lines
                .push(String::from_utf8_lossy(&action.to_bytes()).into_owned());
        }

        fn message(&mut self, message: &Diagnostic) {
            self.lines.push(message.to_string());
        }

        fn refusal(&mut self, refusal: &Refusal) {
            let text = String::from_utf8_lossy(&refusal.to_bytes()).into_owned();
            self.lines.push(format!("LOG: {text}"));
        }
    }

    #[test]
    fn kmod_action_lines() {
        let p = Path::new("/l/m/a.ko");
        assert_eq!(
            Action::Insert {
                path: p,
                options: b""
            }
            .to_bytes(),
            b"insmod /l/m/a.ko "
        );
        assert_eq!(
            Action::Install {
                command: b"/bin/true $CMDLINE_OPTS",
                options: b"x=1 "
            }
            .to_bytes(),
            b"install /bin/true $CMDLINE_OPTS x=1 "
        );
        assert_eq!(
            Action::Builtin { name: b"unix" }.to_bytes(),
            b"builtin unix"
        );
        assert_eq!(Action::Remove { name: b"ext4" }.to_bytes(), b"rmmod ext4");
        assert_eq!(
            Action::RemoveCommand { command: b"echo x" }.to_bytes(),
            b"remove echo x"
        );
        assert_eq!(
            Refusal::InUse(b"ext4".to_vec()).to_bytes(),
            b"Module ext4 is in use."
        );
        assert_eq!(
            Refusal::RemoveCommandFailed(b"d".to_vec()).to_bytes(),
            b"Error running remove command for d"
        );
        assert_eq!(
            Refusal::NotInKernel(b"n".to_vec()).to_bytes(),
            b"Module n is not in kernel."
        );
        assert_eq!(
            Refusal::Builtin(b"u".to_vec()).to_bytes(),
            b"Module u is builtin."
        );
    }

    #[test]
    fn bytes_are_printed_as_they_are() {
        let p = Path::new(std::ffi::OsStr::from_bytes(b"/l/\xff.ko"));
        assert_eq!(
            Action::Insert {
                path: p,
                options: b"x=\xe9"
            }
            .to_bytes(),
            b"insmod /l/\xff.ko x=\xe9"
        );
        assert_eq!(
            Action::Install {
                command: b"echo \xfe",
                options: b"\x01"
            }
            .to_bytes(),
            b"install echo \xfe \x01"
        );
        assert_eq!(
            Refusal::InUse(b"m\xe9".to_vec()).to_bytes(),
            b"Module m\xe9 is in use."
        );
    }
}
