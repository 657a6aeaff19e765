//! Shared by the hostile-input suites (`tests/hostile_*.rs`): running our binaries, the checks every
//! broken input must pass, a case counter, and a small module tree with indexes from our depmod.
//!
//! Every case must end with the exit code kmod gives (1 for a failure), a clear message naming the
//! file at fault, and never a panic (exit code 101, "panicked" in the output) or a signal.

#![allow(dead_code)] // each suite uses a different part

use std::ffi::OsStr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use testkit::{ModuleBuilder, TreeBuilder};

/// Our binaries, by tool name.
pub const MODINFO: &str = env!("CARGO_BIN_EXE_modinfo");
/// Our modprobe.
pub const MODPROBE: &str = env!("CARGO_BIN_EXE_modprobe");
/// Our depmod.
pub const DEPMOD: &str = env!("CARGO_BIN_EXE_depmod");
/// Our insmod.
pub const INSMOD: &str = env!("CARGO_BIN_EXE_insmod");
/// Our rmmod.
pub const RMMOD: &str = env!("CARGO_BIN_EXE_rmmod");
/// Our lsmod.
pub const LSMOD: &str = env!("CARGO_BIN_EXE_lsmod");
/// The multi-call binary.
pub const KMOD: &str = env!("CARGO_BIN_EXE_kmod");

/// The kernel release of the test trees.
pub const VERSION: &str = "6.1.0-hostile";

/// A case that runs longer than this is a hang.
const TIME_LIMIT: Duration = Duration::from_secs(60);

/// What one run of a tool gave.
#[derive(Debug)]
pub struct Run {
    /// What was run (for messages).
    pub what: String,
    /// Exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error, lossily decoded.
    pub stderr: String,
    /// Wall-clock time.
    pub took: Duration,
}

impl Run {
    /// Standard output, lossily decoded.
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// The non-empty lines of standard error.
    pub fn err_lines(&self) -> Vec<&str> {
        self.stderr.lines().filter(|l| !l.is_empty()).collect()
    }
}

/// Runs `bin` (as argv[0] `name`) with `args` and the environment variables kmod reads removed,
/// plus `env`.
pub fn run_env(bin: &str, name: &str, args: &[&OsStr], env: &[(&str, &OsStr)]) -> Run {
    let mut cmd = Command::new(bin);
    cmd.arg0(name)
        .args(args)
        .env_remove("MODPROBE_OPTIONS")
        .env_remove("KMOD_LOG")
        .env("KMOD_RS_CMDLINE", "/dev/null")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {bin}: {e}"));
    let what = format!(
        "{name} {}",
        args.iter()
            .map(|a| a.to_string_lossy().chars().take(120).collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    );
    Run {
        what,
        code: out.status.code(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: start.elapsed(),
    }
}

/// Runs `bin` as `name` with `args`.
pub fn run(bin: &str, name: &str, args: &[&OsStr]) -> Run {
    run_env(bin, name, args, &[])
}

/// Runs `modprobe -d <root> -S VERSION -C <conf> <args>`: our modprobe on a test tree with only
/// the given configuration.
pub fn modprobe_in(root: &Path, conf: &Path, args: &[&str]) -> Run {
    let mut all = vec![
        OsStr::new("-d"),
        root.as_os_str(),
        OsStr::new("-S"),
        OsStr::new(VERSION),
        OsStr::new("-C"),
        conf.as_os_str(),
    ];
    all.extend(args.iter().map(OsStr::new));
    run(MODPROBE, "modprobe", &all)
}

/// Shorthand: `&str` arguments as `&OsStr`.
pub fn os<'a>(args: &[&'a str]) -> Vec<&'a OsStr> {
    args.iter().map(|a| OsStr::new(*a)).collect()
}

/// No panic, no signal, no hang: the minimum for every run.
pub fn check_sane(r: &Run) -> Result<(), String> {
    match r.code {
        None => return Err(format!("{}: killed by a signal\n{}", r.what, r.stderr)),
        Some(101) => return Err(format!("{}: exit code 101 (panic)\n{}", r.what, r.stderr)),
        Some(_) => {}
    }
    if r.stderr.contains("panicked") || r.out().contains("panicked") {
        return Err(format!("{}: panicked\n{}", r.what, r.stderr));
    }
    if r.took > TIME_LIMIT {
        return Err(format!("{}: took {:?}", r.what, r.took));
    }
    Ok(())
}

/// A clean failure: exit code 1, exactly one message on stderr, prefixed `<tool>: ERROR: ` and
/// containing every one of `names` (the file at fault).
pub fn check_failure(r: &Run, tool: &str, names: &[&str]) -> Result<(), String> {
    check_sane(r)?;
    if r.code != Some(1) {
        return Err(format!(
            "{}: exit code {:?}, expected 1\nstderr: {}",
            r.what, r.code, r.stderr
        ));
    }
    let lines = r.err_lines();
    let [line] = lines.as_slice() else {
        return Err(format!(
            "{}: expected one line on stderr, got {}:\n{}",
            r.what,
            lines.len(),
            r.stderr
        ));
    };
    let prefix = format!("{tool}: ERROR: ");
    if !line.starts_with(&prefix) {
        return Err(format!("{}: message lacks '{prefix}': {line}", r.what));
    }
    for name in names {
        if !line.contains(name) {
            return Err(format!("{}: message does not name {name}: {line}", r.what));
        }
    }
    Ok(())
}

/// A success: exit code 0, sane, nothing on stderr.
pub fn check_success(r: &Run) -> Result<(), String> {
    check_sane(r)?;
    if r.code != Some(0) || !r.stderr.is_empty() {
        return Err(format!(
            "{}: exit code {:?}, expected 0\nstderr: {}",
            r.what, r.code, r.stderr
        ));
    }
    Ok(())
}

/// Counts the cases of one suite; prints `<suite>: N passed, M failed` and fails the test if any
/// case failed (`tests/hostile/run.sh` adds these lines up).
pub struct Cases {
    suite: &'static str,
    passed: usize,
    failures: Vec<String>,
}

impl Cases {
    /// An empty tally for `suite`.
    pub fn new(suite: &'static str) -> Cases {
        Cases {
            suite,
            passed: 0,
            failures: Vec::new(),
        }
    }

    /// Records the outcome of one case.
    pub fn check(&mut self, label: &str, outcome: Result<(), String>) {
        match outcome {
            Ok(()) => self.passed += 1,
            Err(e) => self.failures.push(format!("[{label}] {e}")),
        }
        if std::env::var_os("HOSTILE_VERBOSE").is_some() {
            println!("case {label}");
        }
    }

    /// Number of cases recorded.
    pub fn count(&self) -> usize {
        self.passed + self.failures.len()
    }

    /// Prints the tally and fails on any failed case.
    pub fn finish(self) {
        println!(
            "hostile {}: {} passed, {} failed",
            self.suite,
            self.passed,
            self.failures.len()
        );
        assert!(
            self.failures.is_empty(),
            "{} of {} cases failed:\n{}",
            self.failures.len(),
            self.count(),
            self.failures.join("\n")
        );
    }
}

/// The small real module committed for these tests (Debian 6.1's `crc7.ko`, signed).
pub fn real_module() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile/data/crc7.ko");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A module of the synthetic tree.
pub fn module(name: &str) -> ModuleBuilder {
    ModuleBuilder::new(name)
        .modinfo("license", "GPL")
        .modinfo("name", name)
        .modinfo("vermagic", "6.1.0-hostile SMP mod_unload ")
}

/// A module tree under `dir/root` with indexes written by our depmod: `alpha` (alias
/// `pci:v00001234d*`, exports `alpha_fn`), `beta` (needs `alpha`), `gamma`, and a built-in `unix`.
/// Returns the root and the module directory.
pub fn tree(dir: &Path) -> (PathBuf, PathBuf) {
    let root = dir.join("root");
    let tree = TreeBuilder::new(&root, VERSION)
        .built(
            "kernel/lib",
            &module("alpha")
                .modinfo("alias", "pci:v00001234d*sv*sd*bc*sc*i*")
                .export("alpha_fn", 0x1234),
        )
        .built("kernel/drivers", &module("beta").undefined("alpha_fn"))
        .built("kernel/drivers", &module("gamma"))
        .builtin("kernel/net/unix/unix.ko")
        .builtin_modinfo("unix", "alias", "net-pf-1")
        .write()
        .expect("write tree");
    let r = run(
        DEPMOD,
        "depmod",
        &[OsStr::new("-b"), root.as_os_str(), OsStr::new(VERSION)],
    );
    assert_eq!(r.code, Some(0), "depmod failed: {}", r.stderr);
    (root, tree.module_dir)
}

/// The path of a kmod 30 tool installed on this machine, if any (`/usr/bin/kmod` and its links).
pub fn kmod_tool(name: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| {
            Command::new(p)
                .arg("-V")
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).starts_with("kmod version"))
        })
}

/// Node-offset flags of kmod's index format.
const NODE_PREFIX: u32 = 0x8000_0000;
const NODE_VALUES: u32 = 0x4000_0000;
const NODE_CHILDS: u32 = 0x2000_0000;

/// A minimal index writer for hand-made (possibly hostile) contents: a root with one child per
/// key, on the key's first byte, holding the rest of the key as prefix and the key's values.
/// Keys must be non-empty, ASCII and start with distinct bytes.
pub fn index_bytes(entries: &[(&str, &[&str])]) -> Vec<u8> {
    let mut out = vec![0xb0, 0x07, 0xf4, 0x57, 0, 2, 0, 1, 0, 0, 0, 0];
    let mut children = Vec::new();
    for (key, values) in entries {
        let (&first, rest) = key.as_bytes().split_first().expect("non-empty key");
        let at = out.len() as u32;
        out.extend_from_slice(rest);
        out.push(0);
        out.extend_from_slice(&(values.len() as u32).to_be_bytes());
        for (priority, value) in values.iter().enumerate() {
            out.extend_from_slice(&(priority as u32).to_be_bytes());
            out.extend_from_slice(value.as_bytes());
            out.push(0);
        }
        children.push((first, NODE_PREFIX | NODE_VALUES | at));
    }
    children.sort();
    let root = out.len() as u32;
    let (lo, hi) = match (children.first(), children.last()) {
        (Some(&(lo, _)), Some(&(hi, _))) => (lo, hi),
        _ => (b'a', b'a'),
    };
    out.extend_from_slice(&[lo, hi]);
    for ch in lo..=hi {
        let word = children
            .iter()
            .find(|(c, _)| *c == ch)
            .map_or(0, |&(_, w)| w);
        out.extend_from_slice(&word.to_be_bytes());
    }
    out[8..12].copy_from_slice(&(NODE_CHILDS | root).to_be_bytes());
    out
}

/// A clean failure reported over several lines (as kmod's modprobe does: the problem, then
/// `FATAL: Module X not found in directory D`): exit code 1, every stderr line prefixed `<tool>: `,
/// at most `max_lines` of them, and one containing `needle`.
pub fn check_failure_mentions(
    r: &Run,
    tool: &str,
    needle: &str,
    max_lines: usize,
) -> Result<(), String> {
    check_sane(r)?;
    let lines = r.err_lines();
    if r.code != Some(1) || lines.is_empty() || lines.len() > max_lines {
        return Err(format!(
            "{}: exit code {:?} with {} lines on stderr (expected 1 and 1..={max_lines}):\n{}",
            r.what,
            r.code,
            lines.len(),
            r.stderr
        ));
    }
    let prefix = format!("{tool}: ");
    if let Some(bad) = lines.iter().find(|l| !l.starts_with(&prefix)) {
        return Err(format!("{}: line lacks '{prefix}': {bad}", r.what));
    }
    if !lines.iter().any(|l| l.contains(needle)) {
        return Err(format!("{}: no line names {needle}:\n{}", r.what, r.stderr));
    }
    Ok(())
}
