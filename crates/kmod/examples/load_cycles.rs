//! Loads and unloads one module many times in one process through [`kmod::kernel::Kernel`] — the
//! code insmod, rmmod and modprobe use — and reports whether the process's open file descriptors
//! or resident memory grew. Used by the VM tests (tests/vm/scenarios/40-load-cycles.sh).
//!
//! usage: load_cycles MODULE_FILE MODULE_NAME CYCLES
//!
//! After every load the module must be live with a reference count of 0; after every unload it
//! must be gone. Prints the measurements; exits 1 on any failure.

use std::path::Path;
use std::process::ExitCode;

use kmod::kernel::{InitState, InsertFlags, Kernel, RemoveFlags};

/// Cycles run before the first measurement (allocator and page-cache warm-up).
const WARM_UP: usize = 10;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, file, name, cycles] = args.as_slice() else {
        eprintln!("usage: load_cycles MODULE_FILE MODULE_NAME CYCLES");
        return ExitCode::FAILURE;
    };
    let Ok(cycles) = cycles.parse::<usize>() else {
        eprintln!("load_cycles: bad cycle count {cycles}");
        return ExitCode::FAILURE;
    };
    match run(Path::new(file), name, cycles) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("load_cycles: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run(file: &Path, name: &str, cycles: usize) -> Result<(), String> {
    let kernel = Kernel::system();
    let mut baseline = None;
    for i in 0..cycles {
        if i == WARM_UP.min(cycles) {
            baseline = Some((open_fds()?, rss_kb()?));
        }
        kernel
            .insert(file, "", InsertFlags::default())
            .map_err(|e| format!("cycle {i}: load: {e}"))?;
        let state = kernel.initstate(name).map_err(|e| e.to_string())?;
        if state != Some(InitState::Live) {
            return Err(format!("cycle {i}: state after load is {state:?}"));
        }
        let refcnt = kernel.refcnt(name).map_err(|e| e.to_string())?;
        if refcnt != 0 {
            return Err(format!("cycle {i}: refcnt after load is {refcnt}"));
        }
        kernel
            .remove(name, RemoveFlags::default())
            .map_err(|e| format!("cycle {i}: unload: {e}"))?;
        if kernel.initstate(name).map_err(|e| e.to_string())?.is_some() {
            return Err(format!("cycle {i}: still loaded after unload"));
        }
    }
    let (fds0, rss0) = baseline.unwrap_or((0, 0));
    let (fds1, rss1) = (open_fds()?, rss_kb()?);
    println!("cycles: {cycles}");
    println!("open fds after {WARM_UP} cycles: {fds0}, at the end: {fds1}");
    println!("resident memory after {WARM_UP} cycles: {rss0} kB, at the end: {rss1} kB");
    Ok(())
}

/// Number of open file descriptors of this process.
fn open_fds() -> Result<usize, String> {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .map_err(|e| format!("/proc/self/fd: {e}"))
}

/// Resident set size of this process (`VmRSS`), in kB.
fn rss_kb() -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("/proc/self/status: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "/proc/self/status: no VmRSS".to_string())
}
