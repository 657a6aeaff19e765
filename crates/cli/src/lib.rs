//! Front-ends of the kmod tools: option parsing, output formatting, messages and exit codes.
//!
//! Every binary calls [`main`], which picks the tool from the basename of argv[0] like kmod's
//! multi-call binary: `insmod`, `rmmod`, `lsmod`, `modprobe`, `modinfo`, `depmod`, or `kmod` with a
//! sub-command (`list`, `static-nodes`, `help`). This crate is the only place that prints.

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

/// Entry point shared by every binary: dispatches on argv[0] and returns the exit status.
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
