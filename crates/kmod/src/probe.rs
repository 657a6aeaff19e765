//! modprobe's resolution: configuration plus indexes → what to load or remove, in which order, with
//! which options (tools.md §5.2, §5.3, §5.6; config.md §2, §5).
//!
//! * [`Prober`] joins a [`Context`](crate::Context) and a [`modconf::ModprobeConfig`] and looks
//!   names up the way modprobe does ([`Prober::lookup`]): configuration aliases first, then the
//!   indexes with the install/remove command step inserted.
//! * [`Prober::plan_insert`] and [`Prober::plan_remove`] turn one module found by a lookup into an
//!   ordered plan. Planning is pure: it reads only the indexes and the configuration.
//! * [`run_insert()`] and [`run_remove()`] carry a plan out. Like kmod, they ask the running kernel
//!   ([`KernelState`]) right before each step whether a module is loaded, and act through an
//!   [`Executor`] (the kernel's `finit_module`/`delete_module` and `/bin/sh` for install and
//!   remove commands — [`crate::kernel::KernelExecutor`] — or [`DryRun`]). What they do and what
//!   goes wrong is told to a [`Report`], which prints (the library itself never prints).

mod candidate;
mod exec;
mod index_check;
mod insert;
mod lookup;
mod options;
mod remove;
mod report;
mod run_insert;
mod run_remove;
mod state;

pub use candidate::Candidate;
pub use exec::{run_shell, DryRun, Errno, Executor};
pub use index_check::{check_indexes, IndexProblem};
pub use insert::{InsertPlan, InsertRequest, LoadAction, LoadStep};
pub use lookup::{LookupError, Prober};
pub use options::{join_cli_params, merge_options, substitute_cmdline_opts};
pub use remove::{RemovePlan, RemoveRequest, RemoveStep};
pub use report::{Action, Refusal, Report};
pub use run_insert::{run_insert, InsertSettings};
pub use run_remove::{run_remove, RemoveSettings};
pub use state::{KernelState, NothingLoaded, StateError};
