//! `modprobe`: add and remove modules with their dependencies, or show what would be done
//! (tools.md §5). Names are resolved through the configuration and the indexes, plans are made
//! and carried out by [`kmod::probe`]; this module parses the command line, picks the mode and
//! prints kmod's words.
//!
//! Loading and unloading go through an [`Executor`]: [`DryRun`] for `-n`/`-D`, and for real runs
//! [`KernelExecutor`] (the kernel's system calls, `/bin/sh` for install/remove commands), see
//! `real_executor`.
//!
//! Test hook: `KMOD_RS_CMDLINE=<file>` replaces `/proc/cmdline` (see [`setup::CMDLINE_ENV`]).

pub mod args;
pub mod load;
pub mod output;
pub mod setup;
pub mod show;
pub mod show_json;
pub mod unload;

use std::ffi::OsString;

use kmod::kernel::{Kernel, KernelExecutor, SystemCalls};
use kmod::probe::{DryRun, Executor, KernelState, Prober};

use crate::getopt::{HasArg, OptSpec};
use crate::log::Priority;
use crate::{json, version, EXIT_FAILURE, EXIT_SUCCESS};
use args::{Parsed, Settings};
use output::{Output, LOG_WARNING};
use show::CrcList;

/// The options of modprobe, in kmod's table order (which glibc follows when it lists the
/// possibilities of an ambiguous abbreviation). Synonyms share an id.
pub const OPTIONS: &[OptSpec] = &[
    OptSpec::flag("all", 'a', "all"),
    OptSpec::flag("remove", 'r', "remove"),
    OptSpec::long_only("remove-holders", "remove-dependencies", HasArg::No),
    OptSpec::long_only("remove-holders", "remove-holders", HasArg::No),
    OptSpec::with_arg("wait", 'w', "wait"),
    OptSpec::long_only("first-time", "first-time", HasArg::No),
    OptSpec::flag("ignore-install", 'i', "ignore-install"),
    OptSpec::long_only("ignore-install", "ignore-remove", HasArg::No),
    OptSpec::flag("use-blacklist", 'b', "use-blacklist"),
    OptSpec::flag("force", 'f', "force"),
    OptSpec::long_only("force-modversion", "force-modversion", HasArg::No),
    OptSpec::long_only("force-vermagic", "force-vermagic", HasArg::No),
    OptSpec::flag("show-depends", 'D', "show-depends"),
    OptSpec::flag("show-config", 'c', "showconfig"),
    OptSpec::long_only("show-config", "show-config", HasArg::No),
    OptSpec::long_only("show-modversions", "show-modversions", HasArg::No),
    OptSpec::long_only("show-modversions", "dump-modversions", HasArg::No),
    OptSpec::long_only("show-exports", "show-exports", HasArg::No),
    OptSpec::flag("resolve-alias", 'R', "resolve-alias"),
    OptSpec::flag("dry-run", 'n', "dry-run"),
    OptSpec::long_only("dry-run", "show", HasArg::No),
    OptSpec::with_arg("config", 'C', "config"),
    OptSpec::with_arg("dirname", 'd', "dirname"),
    OptSpec::with_arg("set-version", 'S', "set-version"),
    OptSpec::flag("syslog", 's', "syslog"),
    OptSpec::flag("quiet", 'q', "quiet"),
    OptSpec::flag("verbose", 'v', "verbose"),
    OptSpec::long_only("json", "json", HasArg::No),
    OptSpec::flag("version", 'V', "version"),
    OptSpec::flag("help", 'h', "help"),
];

/// The help text, as kmod prints it (`--json` is documented in the man page only, so that the
/// help stays kmod's byte for byte).
pub const HELP: &str = "Usage:
\tmodprobe [options] [-i] [-b] modulename
\tmodprobe [options] -a [-i] [-b] modulename [modulename...]
\tmodprobe [options] -r [-i] modulename
\tmodprobe [options] -r -a [-i] modulename [modulename...]
\tmodprobe [options] -c
\tmodprobe [options] --dump-modversions filename
Management Options:
\t-a, --all                   Consider every non-argument to
\t                            be a module name to be inserted
\t                            or removed (-r)
\t-r, --remove                Remove modules instead of inserting
\t    --remove-dependencies   Deprecated: use --remove-holders
\t    --remove-holders        Also remove module holders (use together with -r)
\t-w, --wait <MSEC>           When removing a module, wait up to MSEC for
\t                            module's refcount to become 0 so it can be
\t                            removed (use together with -r)
\t    --first-time            Fail if module already inserted or removed
\t-i, --ignore-install        Ignore install commands
\t-i, --ignore-remove         Ignore remove commands
\t-b, --use-blacklist         Apply blacklist to resolved alias.
\t-f, --force                 Force module insertion or removal.
\t                            implies --force-modversions and
\t                            --force-vermagic
\t    --force-modversion      Ignore module's version
\t    --force-vermagic        Ignore module's version magic

Query Options:
\t-R, --resolve-alias         Only lookup and print alias and exit
\t-D, --show-depends          Only print module dependencies and exit
\t-c, --showconfig            Print out known configuration and exit
\t-c, --show-config           Same as --showconfig
\t    --show-modversions      Dump module symbol version and exit
\t    --dump-modversions      Same as --show-modversions
\t    --show-exports          Only print module exported symbol versions and exit

General Options:
\t-n, --dry-run               Do not execute operations, just print out
\t-n, --show                  Same as --dry-run
\t-C, --config=FILE           Use FILE instead of default search paths
\t-d, --dirname=DIR           Use DIR as filesystem root for /lib/modules
\t-S, --set-version=VERSION   Use VERSION instead of `uname -r`
\t-s, --syslog                print to syslog, not stderr
\t-q, --quiet                 disable messages
\t-v, --verbose               enables more messages
\t-V, --version               show version
\t-h, --help                  show this help
";

/// Runs modprobe with `args` (`argv[0]` included); returns the exit status.
pub fn main(args: Vec<OsString>) -> i32 {
    let argv0 = args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| "modprobe".to_string());
    let prog = argv0.rsplit('/').next().unwrap_or(&argv0).to_string();
    let mut out = Output::new(&prog);
    let env_options = std::env::var("MODPROBE_OPTIONS").ok();
    let cmdline = args.get(1..).unwrap_or_default();
    let settings = match args::parse(&argv0, cmdline, env_options.as_deref()) {
        Parsed::Run(s) => s,
        Parsed::Help => {
            out.print(HELP);
            out.exit(EXIT_SUCCESS);
        }
        Parsed::Version => {
            out.print(&version::version_text());
            out.exit(EXIT_SUCCESS);
        }
        Parsed::Usage(msg) => {
            json::report_usage_error(&prog, &argv0, cmdline, &msg);
            return EXIT_FAILURE;
        }
        Parsed::BadWait(value) => {
            if json::requested(cmdline) {
                out.use_json();
            }
            out.log(
                Priority::Error,
                &format!("unexpected wait value '{value}'."),
            );
            return EXIT_FAILURE;
        }
    };
    if settings.json {
        if settings.resolve_alias || settings.show_modversions || settings.show_exports {
            json::print_message(
                &prog,
                Priority::Error,
                None,
                "--json cannot be used with -R, --show-modversions or --show-exports.",
            );
            return EXIT_FAILURE;
        }
        out.use_json();
    }
    let status = run(&settings, &mut out);
    out.finish_json();
    out.flush();
    status
}

/// The modes after option parsing.
fn run(settings: &Settings, out: &mut Output) -> i32 {
    out.open(settings.syslog);
    if !settings.show_config && settings.operands.is_empty() {
        // Printed before the library is set up: at ERROR level even with -q.
        out.log(Priority::Error, "missing parameters. See -h.");
        return EXIT_FAILURE;
    }
    let show_actions = settings.show_depends || settings.verbose > LOG_WARNING;
    out.setup(settings.verbose, settings.all, show_actions);
    let ctx = match setup::context(settings) {
        Ok(ctx) => ctx,
        Err(e) if settings.json => {
            out.log(Priority::Error, &format!("uname() failed: {e}"));
            return EXIT_FAILURE;
        }
        Err(e) => {
            eprintln!("Error: uname() failed: {e}");
            return EXIT_FAILURE;
        }
    };
    let config = setup::config(settings, &ctx);
    setup::report_indexes(&ctx, out);
    let first = settings.operands.first().map(String::as_str).unwrap_or("");
    if settings.show_config {
        return show::show_config(&ctx, &config, out);
    }
    if settings.show_modversions {
        return show::show_crcs(first, CrcList::Versions, out);
    }
    if settings.show_exports {
        return show::show_crcs(first, CrcList::Exports, out);
    }
    let prober = Prober::new(&ctx, &config);
    // Even --show-depends asks the kernel, as kmod does: it skips the "is it loaded" checks, but
    // removal still reads holders and the users of dependencies.
    let kernel = Kernel::system();
    let state: &dyn KernelState = &kernel;
    let mut dry = DryRun;
    let mut real = real_executor(&kernel);
    let exec: &mut dyn Executor = if settings.dry_run {
        &mut dry
    } else {
        &mut real
    };
    let result = if settings.remove {
        unload::Unloader {
            prober,
            settings,
            state,
            exec,
            out,
        }
        .remove_all(&settings.operands)
    } else {
        let mut loader = load::Loader {
            prober,
            settings,
            state,
            exec,
            out,
        };
        if settings.all {
            loader.insert_all(&settings.operands)
        } else {
            loader.insert_with_params(&settings.operands)
        }
    };
    // The process ends next: leave the index mappings and the configuration to the kernel's
    // teardown instead of unmapping and freeing them one by one (measurable at this scale).
    std::mem::forget(config);
    std::mem::forget(ctx);
    match result {
        Ok(()) => EXIT_SUCCESS,
        Err(_) => EXIT_FAILURE,
    }
}

/// The executor for real (not dry) runs: inserts and removes through the running kernel, runs
/// install/remove commands with `/bin/sh`.
fn real_executor(kernel: &Kernel) -> KernelExecutor<'_, SystemCalls> {
    KernelExecutor::new(kernel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_is_in_the_help() {
        // kmod's help text, byte for byte: our own --json is in the man page only.
        for spec in OPTIONS.iter().filter(|s| s.id != "json") {
            let long = spec.long.unwrap();
            assert!(HELP.contains(&format!("--{long}")), "{long}");
            if let Some(c) = spec.short {
                assert!(HELP.contains(&format!("-{c}, --{long}")), "{c}");
            }
        }
    }
}
