//! modprobe.d configuration: the directives of config.md §2, the kernel command line (§3), the
//! queries modprobe makes and the `modprobe -c` dump.
//!
//! Every word and value is kept as the bytes written, as kmod keeps them: configuration need not be
//! valid UTF-8, and `modprobe -c`, install commands and module options pass the bytes on unchanged.

mod parse;
mod query;
mod show;
mod softdep;

pub use softdep::{Softdep, Weakdep};

/// `alias <pattern> <module>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// fnmatch pattern, normalised with `underscores()`.
    pub pattern: Vec<u8>,
    /// Target module name, normalised with `underscores()`.
    pub module: Vec<u8>,
}

/// `options <module> <options...>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModOptions {
    /// Module name or alias, normalised with `underscores()`, matched exactly.
    pub module: Vec<u8>,
    /// The rest of the line verbatim, tabs turned into spaces.
    pub options: Vec<u8>,
}

/// `install <module> <command>` or `remove <module> <command>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Module name pattern (fnmatch), normalised with `underscores()`.
    pub module: Vec<u8>,
    /// Shell command, the rest of the line verbatim.
    pub command: Vec<u8>,
}

/// Everything read from modprobe.d files, `modules.softdep`/`modules.weakdep` and the kernel
/// command line, each directive in parse order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModprobeConfig {
    /// `alias` lines.
    pub aliases: Vec<Alias>,
    /// `blacklist` lines (normalised) and `modprobe.blacklist=` entries (as written).
    pub blacklist: Vec<Vec<u8>>,
    /// `options` lines, then `module.param` words of the kernel command line.
    pub options: Vec<ModOptions>,
    /// `install` lines.
    pub install: Vec<Command>,
    /// `remove` lines.
    pub remove: Vec<Command>,
    /// `softdep` lines.
    pub softdeps: Vec<Softdep>,
    /// `weakdep` lines.
    pub weakdeps: Vec<Weakdep>,
}
