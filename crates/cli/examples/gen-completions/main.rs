//! Generates the shell completions in `completions/` from the tools' option tables (read from
//! `crates/cli/src`) and the man pages in `man/` (option descriptions), so they cannot drift.
//!
//! ```text
//! cargo run -p kmod-cli --example gen-completions            # (re)writes completions/
//! cargo run -p kmod-cli --example gen-completions -- --check # exit 1 if completions/ is stale
//! ```
//!
//! `--top DIR` reads and writes the repository at DIR instead of the one it was built from.

mod bash;
mod fish;
mod manpage;
mod options;
mod output;
mod tools;
mod zsh;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The repository's top directory (two levels above this crate).
fn top_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The usage line.
const USAGE: &str = "usage: gen-completions [--check] [--top DIR]";

fn main() -> ExitCode {
    let mut check = false;
    let mut top = top_dir();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--top" => match args.next() {
                Some(dir) => top = PathBuf::from(dir),
                None => {
                    eprintln!("gen-completions: --top needs a directory ({USAGE})");
                    return ExitCode::FAILURE;
                }
            },
            other => {
                eprintln!("gen-completions: unknown argument '{other}' ({USAGE})");
                return ExitCode::FAILURE;
            }
        }
    }
    match run(&top, check) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("gen-completions: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Writes (or with `check`, compares) every completion file; `Ok(false)` if a check failed.
fn run(top: &Path, check: bool) -> Result<bool, String> {
    let commands = tools::commands(&top.join("crates/cli/src"), &top.join("man"))?;
    for cmd in &commands {
        eprintln!("{}: options from {}", cmd.name, cmd.origin);
    }
    let mut fresh = true;
    for (rel, text) in output::files(&commands) {
        let path = top.join("completions").join(&rel);
        let current = std::fs::read_to_string(&path).ok();
        if current.as_deref() == Some(text.as_str()) {
            continue;
        }
        if check {
            eprintln!("stale: completions/{rel}");
            fresh = false;
            continue;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("wrote completions/{rel}");
    }
    Ok(fresh)
}
