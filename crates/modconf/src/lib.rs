//! Configuration of the kmod tools, read the way kmod 34 reads it:
//!
//! * modprobe.d files, `modules.softdep`/`modules.weakdep` and the kernel command line →
//!   [`ModprobeConfig`], with modprobe's queries and the `modprobe -c` dump;
//! * depmod.d files → [`DepmodConfig`], with depmod's rule for duplicate modules;
//! * `MODPROBE_OPTIONS` and `KMOD_LOG` → [`split_modprobe_options`], [`kmod_log_priority`];
//! * which files are read, in which order → [`list_config_files`], [`list_depmod_config_files`],
//!   [`DEFAULT_MODPROBE_DIRS`], [`DEFAULT_DEPMOD_DIRS`].
//!
//! The crate is pure apart from listing and reading the files and directories it is given; problems
//! are reported as [`Diagnostic`]s worded as kmod words them, and parsing carries on.

#![warn(missing_docs)]

pub mod depmod_d;
pub mod diagnostic;
pub mod env;
pub mod files;
pub mod kcmdline;
pub mod line_reader;
pub mod modprobe_d;
pub mod paths;
mod tokens;

pub use depmod_d::{DepmodConfig, External, Override, SearchEntry};
pub use diagnostic::{Diagnostic, Level};
pub use env::{kmod_log_priority, split_modprobe_options};
pub use files::{list_config_files, list_depmod_config_files, ConfigFile};
pub use kcmdline::{parse_kcmdline, KcmdlineEntry};
pub use modprobe_d::{Alias, Command, ModOptions, ModprobeConfig, Softdep, Weakdep};
pub use paths::{dirs_under_root, root_join, DEFAULT_DEPMOD_DIRS, DEFAULT_MODPROBE_DIRS};
