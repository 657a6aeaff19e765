//! Front-ends of the kmod tools: option parsing, output formatting, messages and exit codes.
//!
//! Every binary calls [`main`], which picks the tool from the basename of `argv[0]` like kmod's
//! multi-call binary: `insmod`, `rmmod`, `lsmod`, `modprobe`, `modinfo`, `depmod`, or `kmod` with a
//! sub-command (`list`, `static-nodes`, `help`). This crate is the only place that prints.
//!
//! # What it owns
//!
//! * One module per tool, each with its option table (`OPTIONS`, read by the man-page and
//!   completion tests), its help text and a `main` taking the whole argument vector and returning
//!   the exit status: [`insmod`], [`rmmod`], [`lsmod`], [`modprobe`], [`modinfo`], [`depmod`],
//!   [`kmod_cmd`] (the `kmod` command) and [`static_nodes`] (`kmod static-nodes`).
//! * [`getopt`]: command lines parsed with glibc `getopt_long`'s rules and error messages.
//! * [`log`]: messages in kmod's format (`<prog>: <PRIO>: <message>`) on stderr or, with
//!   `-s`/`--syslog`, to syslog; `KMOD_LOG`.
//! * [`version`]: the `--version` text.
//!
//! The work itself is done by the `kmod` crate (and `modfile`, `modindex`, `modconf`); this
//! crate turns its results into kmod's output, byte for byte, and its exit codes: 0 on success,
//! 1 on any failure ([`EXIT_SUCCESS`], [`EXIT_FAILURE`]).
//!
//! # Example
//!
//! Run `modinfo -F license` on the bundled example module, as the `modinfo` binary would:
//!
//! ```
//! use std::ffi::OsString;
//!
//! let module = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/example.ko");
//! let args: Vec<OsString> = ["modinfo", "-F", "license", module].map(OsString::from).into();
//! // Prints "GPL" on stdout.
//! assert_eq!(kmod_cli::run(args), kmod_cli::EXIT_SUCCESS);
//!
//! // A module file that does not exist: kmod's error on stderr, exit status 1.
//! let args = ["modinfo", "/nonexistent/foo.ko"].map(OsString::from).into();
//! assert_eq!(kmod_cli::run(args), kmod_cli::EXIT_FAILURE);
//!
//! // Any other program name: exit status 1, silently, as kmod.
//! assert_eq!(kmod_cli::run(vec![OsString::from("frobnicate")]), kmod_cli::EXIT_FAILURE);
//! ```

pub mod depmod;
pub mod getopt;
pub mod insmod;
pub mod json;
pub mod kmod_cmd;
pub mod log;
pub mod lsmod;
pub mod modinfo;
pub mod modprobe;
pub mod rmmod;
pub mod static_nodes;
pub mod tool_log;
pub mod version;

use std::ffi::OsString;

/// Exit status of a successful run.
pub const EXIT_SUCCESS: i32 = 0;
/// Exit status of every failure (kmod never uses another code).
pub const EXIT_FAILURE: i32 = 1;

/// Defines the C `main` of a tool binary, which declares `#![cfg_attr(not(test), no_main)]` and
/// then calls this macro.
///
/// Going without std's `main` wrapper skips its start-up work, a good share of a short run such
/// as `modprobe -R <alias>` (about 0.1 ms of 1 ms; 24 of 138 system calls): reading
/// `/proc/self/maps` to place a stack guard, installing a signal stack and handlers, and
/// ignoring SIGPIPE — so a closed output pipe now ends the tool as it ends kmod's. The arguments
/// still come from [`std::env::args_os`] (std reads them itself on Linux).
#[macro_export]
macro_rules! tool_main {
    () => {
        /// The C entry point: runs the tool named by `argv[0]`; returns its exit status.
        /// (Not in `cargo test` builds of the binary, where the test harness is the `main`.)
        #[cfg(not(test))]
        #[no_mangle]
        pub extern "C" fn main(
            _argc: ::std::ffi::c_int,
            _argv: *const *const ::std::ffi::c_char,
        ) -> ::std::ffi::c_int {
            $crate::main()
        }
    };
}

/// Entry point shared by every binary: dispatches on `argv[0]` and returns the exit status.
pub fn main() -> i32 {
    let args: Vec<OsString> = std::env::args_os().collect();
    run(args)
}

/// Runs the tool named by `args[0]` (basename) with the remaining arguments.
pub fn run(args: Vec<OsString>) -> i32 {
    let prog = args
        .first()
        .map(|a| {
            let a = a.to_string_lossy();
            a.rsplit('/').next().unwrap_or(&a).to_string()
        })
        .unwrap_or_default();
    match prog.as_str() {
        "insmod" => insmod::main(args),
        "rmmod" => rmmod::main(args),
        "lsmod" => lsmod::main(args),
        "modprobe" => modprobe::main(args),
        "modinfo" => modinfo::main(args),
        "depmod" => depmod::main(args),
        "kmod" => kmod_cmd::main(args),
        // kmod exits 1 silently when called by any other name.
        _ => EXIT_FAILURE,
    }
}
