//! `insmod`: load one module file, no dependencies, no configuration (tools.md §1).

use std::ffi::OsString;
use std::path::Path;

use kmod::kernel::{InsertFlags, Kernel};

use crate::getopt::{self, HasArg, OptSpec};
use crate::log::{strerror, Priority};
use crate::tool_log::ToolLog;
use crate::{version, EXIT_FAILURE, EXIT_SUCCESS};

const PROG: &str = "insmod";

/// The options of insmod (kmod 34 plus the split force options).
pub const OPTIONS: &[OptSpec] = &[
    OptSpec::flag("force", 'f', "force"),
    OptSpec::long_only("force-modversion", "force-modversion", HasArg::No),
    OptSpec::long_only("force-vermagic", "force-vermagic", HasArg::No),
    OptSpec::flag("syslog", 's', "syslog"),
    OptSpec::flag("verbose", 'v', "verbose"),
    OptSpec::flag("version", 'V', "version"),
    OptSpec::flag("help", 'h', "help"),
];

/// The help text.
pub const HELP: &str = "Usage:
\tinsmod [options] filename [module options]
Options:
\t-f, --force             DANGEROUS: forces a module load, may cause
\t                        data corruption and crash your machine.
\t                        implies --force-modversion and
\t                        --force-vermagic
\t    --force-modversion  ignore module's version
\t    --force-vermagic    ignore module's version magic
\t-s, --syslog            print to syslog, not stderr
\t-v, --verbose           enables more messages
\t-V, --version           show version
\t-h, --help              show this help
";

/// Runs insmod with `args` (`argv[0]` included); returns the exit status.
pub fn main(args: Vec<OsString>) -> i32 {
    let argv0 = args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| PROG.to_string());
    let parsed = match getopt::parse(&argv0, OPTIONS, args.get(1..).unwrap_or_default(), false) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{}", e.0);
            return EXIT_FAILURE;
        }
    };
    let (mut flags, mut verbosity, mut syslog) = (InsertFlags::default(), 0u32, false);
    for opt in &parsed.opts {
        match opt.id {
            "force" => flags = InsertFlags::FORCE,
            "force-modversion" => flags.force_modversion = true,
            "force-vermagic" => flags.force_vermagic = true,
            "syslog" => syslog = true,
            "verbose" => verbosity += 1,
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
    let log = ToolLog::new(PROG, Priority::Error, verbosity, syslog);
    let Some((filename, params)) = parsed.operands.split_first() else {
        log.error("missing filename.");
        return EXIT_FAILURE;
    };
    let filename = filename.to_string_lossy().into_owned();
    if filename == "-" {
        log.error("this tool does not support loading from stdin!");
        return EXIT_FAILURE;
    }
    let params: Vec<String> = params
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    match insert(
        &Kernel::system(),
        &filename,
        &join_module_options(&params),
        flags,
    ) {
        Ok(()) => EXIT_SUCCESS,
        Err(msg) => {
            log.error(&msg);
            EXIT_FAILURE
        }
    }
}

/// Loads `filename`; the error is kmod's message.
fn insert<S: kmod::kernel::Syscalls>(
    kernel: &Kernel<S>,
    filename: &str,
    options: &str,
    flags: InsertFlags,
) -> Result<(), String> {
    let path = Path::new(filename);
    if let Err(e) = std::fs::metadata(path) {
        let errno = e.raw_os_error().unwrap_or(kmod::libc_errno::EIO);
        return Err(format!(
            "could not load module {filename}: {}",
            strerror(errno)
        ));
    }
    kernel.insert(path, options, flags).map_err(|e| {
        format!(
            "could not insert module {filename}: {}",
            insert_strerror(e.errno())
        )
    })
}

/// insmod's wording of a failed load (kmod's `mod_strerror`).
pub fn insert_strerror(errno: i32) -> String {
    match errno {
        8 => "Invalid module format".to_string(),
        2 => "Unknown symbol in module".to_string(),
        3 => "Module has wrong symbol version".to_string(),
        22 => "Invalid parameters".to_string(),
        other => strerror(other),
    }
}

/// Joins module parameters with single spaces; a `key=value` whose value contains a space and is
/// not already quoted is passed as `key="value"`, so the kernel keeps it as one value.
pub fn join_module_options(params: &[String]) -> String {
    params
        .iter()
        .map(|p| match p.split_once('=') {
            Some((key, value)) if value.contains(' ') && !value.starts_with('"') => {
                format!("{key}=\"{value}\"")
            }
            _ => p.clone(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_are_joined_and_requoted() {
        assert_eq!(join_module_options(&[]), "");
        assert_eq!(
            join_module_options(&strings(&["a=1", "b", "c=x y", "d=\"p q\"", "e f"])),
            "a=1 b c=\"x y\" d=\"p q\" e f"
        );
    }

    #[test]
    fn kmod_wording_of_load_errors() {
        assert_eq!(insert_strerror(8), "Invalid module format");
        assert_eq!(insert_strerror(2), "Unknown symbol in module");
        assert_eq!(insert_strerror(3), "Module has wrong symbol version");
        assert_eq!(insert_strerror(22), "Invalid parameters");
        assert_eq!(insert_strerror(17), "File exists");
        assert_eq!(insert_strerror(129), "Key was rejected by service");
        assert_eq!(insert_strerror(1), "Operation not permitted");
    }

    #[test]
    fn missing_file_is_a_load_error() {
        let k = Kernel::system();
        let e = insert(&k, "/nonexistent/x.ko", "", InsertFlags::default()).unwrap_err();
        assert_eq!(
            e,
            "could not load module /nonexistent/x.ko: No such file or directory"
        );
    }

    #[test]
    fn usage_errors_exit_1() {
        let run = |v: &[&str]| main(v.iter().map(OsString::from).collect());
        assert_eq!(run(&["insmod"]), 1);
        assert_eq!(run(&["insmod", "-"]), 1);
        assert_eq!(run(&["insmod", "--bogus"]), 1);
        assert_eq!(run(&["insmod", "-h"]), 0);
    }
}
