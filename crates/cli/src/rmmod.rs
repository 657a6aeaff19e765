//! `rmmod`: remove modules from the kernel (tools.md §2).

use std::ffi::OsString;

use kmod::kernel::{Kernel, RemoveFlags, Syscalls};
use kmod::Context;

use crate::getopt::{self, OptSpec};
use crate::log::{strerror, Priority};
use crate::tool_log::ToolLog;
use crate::{version, EXIT_FAILURE, EXIT_SUCCESS};

const PROG: &str = "rmmod";

/// The options of rmmod (kmod 34).
pub const OPTIONS: &[OptSpec] = &[
    OptSpec::flag("force", 'f', "force"),
    OptSpec::flag("syslog", 's', "syslog"),
    OptSpec::flag("verbose", 'v', "verbose"),
    OptSpec::flag("version", 'V', "version"),
    OptSpec::flag("help", 'h', "help"),
];

/// The help text.
pub const HELP: &str = "Usage:
\trmmod [options] modulename ...
Options:
\t-f, --force       forces a module unload and may crash your
\t                  machine. This requires Forced Module Removal
\t                  option in your kernel. DANGEROUS
\t-s, --syslog      print to syslog, not stderr
\t-v, --verbose     enables more messages
\t-V, --version     show version
\t-h, --help        show this help
";

/// Runs rmmod with `args` (`argv[0]` included); returns the exit status.
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
    let (mut flags, mut verbosity, mut syslog) = (RemoveFlags::default(), 0u32, false);
    for opt in &parsed.opts {
        match opt.id {
            "force" => flags.force = true,
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
    if parsed.operands.is_empty() {
        log.error("missing module name.");
        return EXIT_FAILURE;
    }
    // Built-in modules are told apart through modules.builtin.bin; without a context (uname
    // failing) nothing counts as built-in and the kernel has the last word.
    let ctx = Context::new(None, None).ok();
    let kernel = Kernel::system();
    let mut status = EXIT_SUCCESS;
    for arg in &parsed.operands {
        let arg = arg.to_string_lossy();
        if remove_one(&kernel, ctx.as_ref(), &arg, flags, &log).is_err() {
            status = EXIT_FAILURE;
        }
    }
    status
}

/// The module name an argument means: a path to an existing file names the module in it,
/// anything else is a module name; both are normalised (`-` → `_`, cut at the first `.`).
pub fn module_name(arg: &str) -> String {
    if std::fs::metadata(arg).is_ok() {
        modname::modname_normalize(arg)
    } else {
        let stem = arg.split('.').next().unwrap_or(arg);
        stem.replace('-', "_")
    }
}

/// A failure already reported.
#[derive(Debug)]
struct Failed;

/// Removes the module `arg` names, after kmod's checks unless forced; reports failures.
fn remove_one<S: Syscalls>(
    kernel: &Kernel<S>,
    ctx: Option<&Context>,
    arg: &str,
    flags: RemoveFlags,
    log: &ToolLog,
) -> Result<(), Failed> {
    let name = module_name(arg);
    if !flags.force {
        if let Err(msg) = check_unused(kernel, ctx, &name) {
            log.error(&msg);
            return Err(Failed);
        }
    }
    kernel.remove(&name, flags).map_err(|e| {
        let text = strerror(e.errno());
        log.error(&format!("could not remove '{name}': {text}"));
        log.error(&format!("could not remove module {arg}: {text}"));
        Failed
    })
}

/// kmod's pre-checks: built-in, not loaded, held by other modules, in use.
pub fn check_unused<S: Syscalls>(
    kernel: &Kernel<S>,
    ctx: Option<&Context>,
    name: &str,
) -> Result<(), String> {
    if ctx.is_some_and(|c| c.is_builtin(name).unwrap_or(false)) {
        return Err(format!("Module {name} is builtin."));
    }
    match kernel.initstate(name) {
        Ok(Some(_)) => {}
        Ok(None) => return Err(format!("Module {name} is not currently loaded")),
        Err(e) => return Err(format!("could not get state of module {name}: {e}")),
    }
    let holders = kernel.holders(name).unwrap_or_default();
    if !holders.is_empty() {
        let list: String = holders.iter().map(|h| format!(" {h}")).collect();
        return Err(format!("Module {name} is in use by:{list}"));
    }
    match kernel.refcnt(name) {
        Ok(0) => Ok(()),
        Ok(_) => Err(format!("Module {name} is in use")),
        Err(e) if e.errno() == kmod::libc_errno::ENOENT => {
            Err("Module unloading is not supported".to_string())
        }
        Err(e) => Err(format!(
            "could not get reference count of module {name}: {e}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// A fake tree: `fat` held by `vfat` (refcnt 1), `tun` in use without holders, `idle` unused,
    /// `nounload` without refcnt.
    fn fake() -> (tempfile::TempDir, Kernel<kmod::kernel::SystemCalls>) {
        let dir = tempfile::tempdir().unwrap();
        for (name, refcnt) in [
            ("fat", Some("1")),
            ("tun", Some("2")),
            ("idle", Some("0")),
            ("nounload", None),
        ] {
            let m = dir.path().join("sys/module").join(name);
            fs::create_dir_all(m.join("holders")).unwrap();
            fs::write(m.join("initstate"), "live\n").unwrap();
            if let Some(r) = refcnt {
                fs::write(m.join("refcnt"), format!("{r}\n")).unwrap();
            }
        }
        fs::create_dir_all(dir.path().join("sys/module/fat/holders/vfat")).unwrap();
        fs::create_dir_all(dir.path().join("sys/module/fat/holders/msdos")).unwrap();
        let k = Kernel::with_roots(
            dir.path().join("proc"),
            dir.path().join("sys"),
            kmod::kernel::SystemCalls,
        );
        (dir, k)
    }

    #[test]
    fn pre_checks_in_kmod_order_and_words() {
        let (_d, k) = fake();
        let held = check_unused(&k, None, "fat").unwrap_err();
        assert!(held.starts_with("Module fat is in use by: "), "{held}");
        assert!(held.contains(" vfat") && held.contains(" msdos"), "{held}");
        assert_eq!(
            check_unused(&k, None, "tun").unwrap_err(),
            "Module tun is in use"
        );
        assert_eq!(
            check_unused(&k, None, "gone").unwrap_err(),
            "Module gone is not currently loaded"
        );
        assert_eq!(
            check_unused(&k, None, "nounload").unwrap_err(),
            "Module unloading is not supported"
        );
        assert!(check_unused(&k, None, "idle").is_ok());
        assert_eq!(
            check_unused(&k, None, "../x").unwrap_err(),
            "Module ../x is not currently loaded"
        );
    }

    #[test]
    fn builtin_is_reported_first() {
        let (d, k) = fake();
        let mut w = modindex::IndexWriter::new();
        w.insert("fat", "", 0).unwrap();
        let moddir = d.path().join("modules");
        fs::create_dir_all(&moddir).unwrap();
        fs::write(moddir.join("modules.builtin.bin"), w.to_bytes()).unwrap();
        let ctx = Context::with_dirname(moddir, "v".into());
        assert_eq!(
            check_unused(&k, Some(&ctx), "fat").unwrap_err(),
            "Module fat is builtin."
        );
    }

    #[test]
    fn names_from_arguments() {
        assert_eq!(module_name("crc32c-generic"), "crc32c_generic");
        assert_eq!(module_name("dummy.ko"), "dummy");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("snd-hda.ko.xz");
        fs::write(&p, b"x").unwrap();
        assert_eq!(module_name(p.to_str().unwrap()), "snd_hda");
    }

    #[test]
    fn usage() {
        let run = |v: &[&str]| main(v.iter().map(OsString::from).collect());
        assert_eq!(run(&["rmmod"]), 1);
        assert_eq!(run(&["rmmod", "-x"]), 1);
        assert_eq!(run(&["rmmod", "--help"]), 0);
    }
}
