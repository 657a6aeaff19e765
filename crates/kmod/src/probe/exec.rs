//! Carrying out the actions of a plan: the [`Executor`] trait, [`DryRun`], and [`run_shell`] for
//! install/remove commands. The real executor, which loads and unloads through the running kernel,
//! is [`crate::kernel::KernelExecutor`].

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::kernel::{InsertFlags, RemoveFlags};

/// A system error number (Linux numbering), displayed as the C library's `strerror` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

impl Errno {
    /// Operation not permitted.
    pub const EPERM: Errno = Errno(1);
    /// No such file or directory.
    pub const ENOENT: Errno = Errno(2);
    /// Resource temporarily unavailable.
    pub const EAGAIN: Errno = Errno(11);
    /// Device or resource busy.
    pub const EBUSY: Errno = Errno(16);
    /// File exists (kmod: "Module already in kernel").
    pub const EEXIST: Errno = Errno(17);
    /// Invalid argument.
    pub const EINVAL: Errno = Errno(22);
    /// Function not implemented.
    pub const ENOSYS: Errno = Errno(38);

    /// The errno of an I/O error (`EIO` when it has none).
    pub fn from_io(e: &std::io::Error) -> Errno {
        Errno(e.raw_os_error().unwrap_or(5))
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = std::io::Error::from_raw_os_error(self.0).to_string();
        match text.rfind(" (os error ") {
            Some(cut) => f.write_str(text.get(..cut).unwrap_or(&text)),
            None => f.write_str(&text),
        }
    }
}

/// Does what a plan says. Options, names, commands and environment values are bytes, handed to
/// the kernel and the shell as configured.
pub trait Executor {
    /// Loads the module file at `path` with `options`.
    fn insert(&mut self, path: &Path, options: &[u8], flags: InsertFlags) -> Result<(), Errno>;
    /// Unloads module `name`.
    fn remove(&mut self, name: &[u8], flags: RemoveFlags) -> Result<(), Errno>;
    /// Runs a shell command (`/bin/sh -c`) with extra environment variables; returns its exit
    /// status as kmod sees it (`WEXITSTATUS`: 0 for a command killed by a signal).
    fn run_command(&mut self, command: &[u8], env: &[(&str, &[u8])]) -> Result<i32, Errno>;
}

/// Does nothing and succeeds (`modprobe -n`, `--show-depends`).
#[derive(Debug, Clone, Copy, Default)]
pub struct DryRun;

impl Executor for DryRun {
    fn insert(&mut self, _path: &Path, _options: &[u8], _flags: InsertFlags) -> Result<(), Errno> {
        Ok(())
    }

    fn remove(&mut self, _name: &[u8], _flags: RemoveFlags) -> Result<(), Errno> {
        Ok(())
    }

    fn run_command(&mut self, _command: &[u8], _env: &[(&str, &[u8])]) -> Result<i32, Errno> {
        Ok(0)
    }
}

/// `system(command)` with `env` added: `/bin/sh -c command`, standard streams inherited. The
/// command and the values are passed as bytes.
pub fn run_shell(command: &[u8], env: &[(&str, &[u8])]) -> Result<i32, Errno> {
    let status = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(OsStr::from_bytes(command))
        .envs(env.iter().map(|&(k, v)| (k, OsStr::from_bytes(v))))
        .status()
        .map_err(|e| Errno::from_io(&e))?;
    Ok(status.code().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_texts() {
        assert_eq!(Errno::ENOENT.to_string(), "No such file or directory");
        assert_eq!(Errno::ENOSYS.to_string(), "Function not implemented");
        assert_eq!(Errno(129).to_string(), "Key was rejected by service");
        let io = std::io::Error::from_raw_os_error(21);
        assert_eq!(Errno::from_io(&io), Errno(21));
    }

    #[test]
    fn commands_run_with_their_environment() {
        assert_eq!(
            run_shell(
                b"test \"$MODPROBE_MODULE\" = ext4",
                &[("MODPROBE_MODULE", b"ext4")]
            ),
            Ok(0)
        );
        assert_eq!(run_shell(b"exit 3", &[]), Ok(3));
        let mut dry = DryRun;
        assert_eq!(dry.run_command(b"exit 3", &[]), Ok(0));
        assert_eq!(dry.remove(b"x", RemoveFlags { force: true }), Ok(()));
        assert_eq!(
            dry.insert(Path::new("/x.ko"), b"", InsertFlags::default()),
            Ok(())
        );
    }

    #[test]
    fn commands_and_values_reach_the_shell_as_bytes() {
        // printf's octal escapes make the expected bytes; the shell compares them with `=`.
        assert_eq!(
            run_shell(
                b"test \"$MODPROBE_MODULE\" = \"$(printf 'm\\351')\" && test \"\xff\" = \"$(printf '\\377')\"",
                &[("MODPROBE_MODULE", b"m\xe9")]
            ),
            Ok(0)
        );
    }
}
