//! `modprobe` (being written).
use std::ffi::OsString;

/// Runs modprobe with `args` (argv[0] included); returns the exit status.
pub fn main(_args: Vec<OsString>) -> i32 {
    crate::EXIT_FAILURE
}
