//! What modprobe reads before doing anything: the module directory, the configuration (modprobe.d
//! files, `modules.softdep`/`modules.weakdep`, the kernel command line) and the index headers —
//! with the messages kmod prints while it reads them.
//!
//! Test hook: the environment variable `KMOD_RS_CMDLINE=<file>` makes modprobe read the kernel
//! command line from `<file>` instead of `/proc/cmdline`.

use std::path::PathBuf;

use kmod::probe::check_indexes;
use kmod::Context;
use modconf::{list_config_files, ModprobeConfig, DEFAULT_MODPROBE_DIRS};

use super::args::Settings;
use super::output::Output;
use crate::log::{print_library_messages, Priority};

/// The environment variable naming a file to read instead of `/proc/cmdline` (for tests).
pub const CMDLINE_ENV: &str = "KMOD_RS_CMDLINE";
/// Where the kernel command line is read from normally.
const PROC_CMDLINE: &str = "/proc/cmdline";
/// kmod reads at most this much of the command line (`KCMD_LINE_SIZE`).
const CMDLINE_MAX: u64 = 4096;

/// The module directory: `<root>/lib/modules/<release>` as kmod composes it.
pub fn context(settings: &Settings) -> Result<Context, kmod::Error> {
    Context::new(settings.root.as_deref(), settings.kversion.as_deref())
}

/// Reads the configuration and prints the parse errors as libkmod's default logger does
/// (`libkmod: ERROR: ...`, whatever `-q` says; `KMOD_LOG` sets the level).
pub fn config(settings: &Settings, ctx: &Context) -> ModprobeConfig {
    let paths: Vec<PathBuf> = if settings.config_paths.is_empty() {
        DEFAULT_MODPROBE_DIRS.iter().map(PathBuf::from).collect()
    } else {
        settings.config_paths.clone()
    };
    let extra = [
        ("modules.softdep".to_string(), ctx.file("modules.softdep")),
        ("modules.weakdep".to_string(), ctx.file("modules.weakdep")),
    ];
    let mut diags = Vec::new();
    let files = list_config_files(&paths, &extra, &mut diags);
    let cmdline = read_cmdline();
    let cfg = ModprobeConfig::load(&files, cmdline.as_deref(), &mut diags);
    if settings.json {
        crate::json::modprobe::print_library_messages(&diags);
    } else {
        print_library_messages(&diags);
    }
    cfg
}

/// The kernel command line, if it can be read.
fn read_cmdline() -> Option<Vec<u8>> {
    use std::io::Read;
    let path = std::env::var_os(CMDLINE_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(PROC_CMDLINE));
    // Room for all of it up front: read_to_end would otherwise grow from 32 bytes, one read each.
    let mut data = Vec::with_capacity(usize::try_from(CMDLINE_MAX).unwrap_or(0).saturating_add(1));
    std::fs::File::open(path)
        .ok()?
        .take(CMDLINE_MAX)
        .read_to_end(&mut data)
        .ok()?;
    Some(data)
}

/// Reports bad index headers as kmod does when it maps the indexes.
pub fn report_indexes(ctx: &Context, out: &mut Output) {
    for problem in check_indexes(ctx) {
        out.log(Priority::Error, &problem.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_paths_are_composed_like_kmod() {
        let s = Settings {
            root: Some("/r".into()),
            kversion: Some("1.2".into()),
            ..Settings::default()
        };
        assert_eq!(
            context(&s).unwrap().dirname(),
            std::path::Path::new("/r/lib/modules/1.2")
        );
        let s = Settings {
            kversion: Some("1.2".into()),
            ..Settings::default()
        };
        assert_eq!(
            context(&s).unwrap().dirname(),
            std::path::Path::new("/lib/modules/1.2")
        );
    }
}
