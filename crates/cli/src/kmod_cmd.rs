//! `kmod`: the multi-call binary's own command line (`kmod [options] help|list|static-nodes`).

use std::ffi::OsString;

use crate::getopt::{self, OptSpec};
use crate::{lsmod, static_nodes, version, EXIT_FAILURE, EXIT_SUCCESS};

/// The options of `kmod` itself.
pub const OPTIONS: &[OptSpec] = &[
    OptSpec::flag("version", 'V', "version"),
    OptSpec::flag("help", 'h', "help"),
];

/// The help text (kmod 34's wording).
pub const HELP: &str = "kmod - Manage kernel modules: list, load, unload, etc
Usage:
\tkmod [options] command [command_options]

Options:
\t-V, --version     show version
\t-h, --help        show this help

Commands:
  help         show help message
  list         list currently loaded modules
  static-nodes output the static-node information installed with the currently running kernel

kmod also handles gracefully if called from following symlinks:
  lsmod        compat lsmod command
  rmmod        compat rmmod command
  insmod       compat insmod command
  modinfo      compat modinfo command
  modprobe     compat modprobe command
  depmod       compat depmod command
";

/// Runs `kmod <command>`; returns the exit status. Options stop at the first operand (the command),
/// whose own options follow it.
pub fn main(args: Vec<OsString>) -> i32 {
    let argv0 = args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| "kmod".to_string());
    let parsed = match getopt::parse(&argv0, OPTIONS, args.get(1..).unwrap_or_default(), true) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{}", e.0);
            return EXIT_FAILURE;
        }
    };
    for opt in &parsed.opts {
        match opt.id {
            "version" => {
                print!("{}", version::version_text());
                return EXIT_SUCCESS;
            }
            "help" => {
                print!("{HELP}");
                return EXIT_SUCCESS;
            }
            _ => {}
        }
    }
    let Some(command) = parsed.operands.first() else {
        eprintln!("missing command");
        print!("{HELP}");
        return EXIT_FAILURE;
    };
    let rest = parsed.operands.clone();
    match command.to_str() {
        Some("help") => {
            print!("{HELP}");
            EXIT_SUCCESS
        }
        Some("list") => lsmod::main(rest),
        Some("static-nodes") => static_nodes::main(rest),
        _ => {
            eprintln!("invalid command '{}'", command.to_string_lossy());
            print!("{HELP}");
            EXIT_FAILURE
        }
    }
}
