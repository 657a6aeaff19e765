//! `lsmod` / `kmod list`: show the loaded modules (tools.md §3); with `--json`, as one JSON
//! array (see [`crate::json::lsmod`]).

use std::ffi::OsString;
use std::io::{self, Write};

use kmod::kernel::{Kernel, LoadedModule, Syscalls};

use crate::getopt::{self, HasArg, OptSpec};
use crate::log::{strerror, Priority};
use crate::tool_log::ToolLog;
use crate::{json, version, EXIT_FAILURE, EXIT_SUCCESS};

/// The options of lsmod (kmod 34; `-v` is accepted and, as in kmod, shows nothing more).
pub const OPTIONS: &[OptSpec] = &[
    OptSpec::flag("syslog", 's', "syslog"),
    OptSpec::flag("verbose", 'v', "verbose"),
    OptSpec::long_only("json", "json", HasArg::No),
    OptSpec::flag("version", 'V', "version"),
    OptSpec::flag("help", 'h', "help"),
];

/// The first line of the listing.
pub const HEADER: &str = "Module                  Size  Used by";

/// Runs lsmod with `args` (`argv[0]` included; `list` when run as `kmod list`); returns the exit
/// status.
pub fn main(args: Vec<OsString>) -> i32 {
    let argv0 = args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| "lsmod".to_string());
    // Messages and help name the program as invoked: `kmod` for `kmod list`.
    let prog = if argv0 == "list" {
        "kmod".to_string()
    } else {
        argv0.rsplit('/').next().unwrap_or(&argv0).to_string()
    };
    let args = args.get(1..).unwrap_or_default();
    let parsed = match getopt::parse(&argv0, OPTIONS, args, false) {
        Ok(p) => p,
        Err(e) => {
            json::report_usage_error(&prog, &argv0, args, &e.0);
            return EXIT_FAILURE;
        }
    };
    let (mut verbosity, mut syslog, mut as_json) = (0u32, false, false);
    for opt in &parsed.opts {
        match opt.id {
            "syslog" => syslog = true,
            "verbose" => verbosity += 1,
            "json" => as_json = true,
            "version" => {
                print!("{}", version::version_text());
                return EXIT_SUCCESS;
            }
            "help" => {
                print!("{}", help(&prog));
                return EXIT_SUCCESS;
            }
            _ => {}
        }
    }
    let log = ToolLog::new(&prog, Priority::Error, verbosity, syslog);
    // With --json, messages are JSON lines on stderr (syslog still gets kmod's text).
    let error = |msg: &str, file: Option<&str>| {
        if as_json && !syslog {
            json::print_message(&prog, Priority::Error, file, msg);
        } else {
            log.error(msg);
        }
    };
    if !parsed.operands.is_empty() {
        error("too many arguments provided.", None);
        return EXIT_FAILURE;
    }
    let kernel = Kernel::system();
    let modules = match kernel.loaded_modules() {
        Ok(m) => m,
        Err(e) => {
            let file = kernel.proc_root().join("modules").display().to_string();
            error(
                &format!("could not get list of modules: {}", strerror(e.errno())),
                Some(&file),
            );
            return EXIT_FAILURE;
        }
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    if as_json {
        let rows: Vec<Row> = modules.iter().map(|m| row(&kernel, m)).collect();
        let written = json::write_document(&mut out, &json::lsmod::document(&rows))
            .and_then(|()| out.flush());
        return if written.is_ok() {
            EXIT_SUCCESS
        } else {
            EXIT_FAILURE
        };
    }
    let written = writeln!(out, "{HEADER}")
        .and_then(|()| {
            modules
                .iter()
                .try_for_each(|m| writeln!(out, "{}", format_line(&kernel, m)))
        })
        .and_then(|()| out.flush());
    match written {
        Ok(()) => EXIT_SUCCESS,
        Err(_) => EXIT_FAILURE,
    }
}

/// The help text for `prog` (`lsmod`, or `kmod` for `kmod list`).
pub fn help(prog: &str) -> String {
    format!(
        "Usage:
\t{prog} [options]
Options:
\t-s, --syslog      print to syslog, not stderr
\t-v, --verbose     enables more messages
\t-V, --version     show version
\t-h, --help        show this help
"
    )
}

/// What lsmod shows of one loaded module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The module's name.
    pub name: String,
    /// Its size in bytes (sysfs `coresize`, else `/proc/modules`), or the errno of the failure.
    pub size: Result<u64, i32>,
    /// Its reference count (sysfs `refcnt`), or the errno of the failure.
    pub refcount: Result<u64, i32>,
    /// The modules holding it (sysfs `holders`, in directory order; none if unreadable).
    pub used_by: Vec<String>,
}

/// Reads what lsmod shows of `module`.
pub fn row<S: Syscalls>(kernel: &Kernel<S>, module: &LoadedModule) -> Row {
    let name = &module.name;
    let size = match kernel.coresize(name) {
        Ok(size) => Ok(size),
        Err(e) => module.size.ok_or(e.errno()),
    };
    Row {
        name: name.clone(),
        size,
        refcount: kernel.refcnt(name).map_err(|e| e.errno()),
        used_by: kernel.holders(name).unwrap_or_default(),
    }
}

/// One line of the listing: name padded to 19, size right-aligned in 8, use count, holders.
/// Values that cannot be read print as `-errno`, as kmod does.
pub fn format_line<S: Syscalls>(kernel: &Kernel<S>, module: &LoadedModule) -> String {
    row(kernel, module).line()
}

impl Row {
    /// The row as a line of the text listing.
    pub fn line(&self) -> String {
        let number = |value: Result<u64, i32>| match value {
            Ok(n) => i64::try_from(n).unwrap_or(i64::MAX),
            Err(errno) => -i64::from(errno),
        };
        let (name, size, used) = (&self.name, number(self.size), number(self.refcount));
        let mut line = format!("{name:<19} {size:>8}  {used}");
        for (i, holder) in self.used_by.iter().enumerate() {
            line.push(if i == 0 { ' ' } else { ',' });
            line.push_str(holder);
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn lines_match_kmod_format() {
        let dir = tempfile::tempdir().unwrap();
        let sys = dir.path().join("sys/module");
        for (name, refcnt, size) in [("fat", "1", "90112"), ("vfat", "0", "24576")] {
            fs::create_dir_all(sys.join(name).join("holders")).unwrap();
            fs::write(sys.join(name).join("refcnt"), format!("{refcnt}\n")).unwrap();
            fs::write(sys.join(name).join("coresize"), format!("{size}\n")).unwrap();
        }
        fs::create_dir_all(sys.join("fat/holders/vfat")).unwrap();
        let k = Kernel::with_roots(
            dir.path().join("proc"),
            dir.path().join("sys"),
            kmod::kernel::SystemCalls,
        );
        let m = |name: &str, size| LoadedModule {
            name: name.into(),
            size,
            refcount: None,
            used_by: vec![],
            state: "Live".into(),
        };
        assert_eq!(
            format_line(&k, &m("fat", None)),
            "fat                    90112  1 vfat"
        );
        assert_eq!(
            format_line(&k, &m("vfat", None)),
            "vfat                   24576  0"
        );
        // No sysfs entry: size from /proc/modules, refcnt -ENOENT.
        assert_eq!(
            format_line(&k, &m("a_module_with_a_long_name", Some(7))),
            "a_module_with_a_long_name        7  -2"
        );
        assert_eq!(
            format_line(&k, &m("x", None)),
            "x                         -2  -2"
        );
        assert_eq!(HEADER.find("Size"), Some(24));
    }

    #[test]
    fn holders_are_comma_separated_after_a_space() {
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("sys/module/base");
        fs::create_dir_all(m.join("holders/one")).unwrap();
        fs::create_dir_all(m.join("holders/two")).unwrap();
        fs::write(m.join("refcnt"), "2\n").unwrap();
        fs::write(m.join("coresize"), "100\n").unwrap();
        let k = Kernel::with_roots(
            dir.path(),
            dir.path().join("sys"),
            kmod::kernel::SystemCalls,
        );
        let line = format_line(
            &k,
            &LoadedModule {
                name: "base".into(),
                size: None,
                refcount: None,
                used_by: vec![],
                state: String::new(),
            },
        );
        assert!(
            line == "base                     100  2 one,two"
                || line == "base                     100  2 two,one",
            "{line}"
        );
    }

    #[test]
    fn arguments_are_refused() {
        let run = |v: &[&str]| main(v.iter().map(OsString::from).collect());
        assert_eq!(run(&["lsmod", "x"]), 1);
        assert_eq!(run(&["lsmod", "--nope"]), 1);
        assert_eq!(run(&["list", "-h"]), 0);
        assert!(help("kmod").contains("\tkmod [options]"));
    }
}
