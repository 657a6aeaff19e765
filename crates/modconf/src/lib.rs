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
//! are reported as [`Diagnostic`]s worded as kmod words them, and parsing carries on. Words and
//! values are kept as the bytes written (configuration need not be UTF-8), so queries take and
//! return byte strings. What a name finally resolves to (configuration plus indexes) is the
//! `kmod` crate's job.
//!
//! # Example
//!
//! Read a modprobe.d directory and a kernel command line, then ask what modprobe asks:
//!
//! ```
//! # fn main() -> std::io::Result<()> {
//! use modconf::{list_config_files, Level, ModprobeConfig};
//!
//! # let dir = tempfile::tempdir()?;
//! let conf_dir = dir.path().join("modprobe.d");
//! # std::fs::create_dir(&conf_dir)?;
//! std::fs::write(
//!     conf_dir.join("50-example.conf"),
//!     "alias example-device example\n\
//!      options example debug=1\n\
//!      softdep example pre: example_helper\n\
//!      blacklist pcspkr\n\
//!      frobnicate example\n",
//! )?;
//!
//! let mut diags = Vec::new();
//! let files = list_config_files(&[conf_dir.clone()], &[], &mut diags);
//! let cmdline = b"quiet example.mode=fast modprobe.blacklist=floppy";
//! let cfg = ModprobeConfig::load(&files, Some(cmdline), &mut diags);
//!
//! // Aliases match by pattern; in names, `-` and `_` are the same.
//! let targets: Vec<&[u8]> = cfg
//!     .alias_targets(b"example_device")
//!     .iter()
//!     .map(|a| a.module.as_slice())
//!     .collect();
//! assert_eq!(targets, [b"example"]);
//! // Options from the files first, then from the kernel command line.
//! assert_eq!(cfg.options_for(b"example"), [&b"debug=1"[..], b"mode=fast"]);
//! let pre = cfg.softdep_for(b"example").map(|d| d.pre.clone());
//! assert_eq!(pre, Some(vec![b"example_helper".to_vec()]));
//! assert!(cfg.is_blacklisted(b"pcspkr") && cfg.is_blacklisted(b"floppy"));
//!
//! // A bad line is reported in kmod's words, and the rest is still read.
//! let errors: Vec<String> = diags
//!     .iter()
//!     .filter(|d| d.level == Level::Error)
//!     .map(|d| d.to_string())
//!     .collect();
//! let file = conf_dir.join("50-example.conf");
//! assert_eq!(
//!     errors,
//!     [format!(
//!         "ERROR: kmod_config_parse: {} line 5: ignoring bad line starting with 'frobnicate'",
//!         file.display()
//!     )]
//! );
//! # Ok(())
//! # }
//! ```

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
