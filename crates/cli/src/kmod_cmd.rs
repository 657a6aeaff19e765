//! `kmod`: the multi-call binary's own command line (`kmod help|list|static-nodes`), (being written).
use std::ffi::OsString;

/// Runs `kmod <command>`; returns the exit status.
pub fn main(args: Vec<OsString>) -> i32 {
    // `kmod <tool> ...` is not how kmod dispatches; only argv[0] selects a compat tool.
    let _ = args;
    crate::EXIT_FAILURE
}
