//! Start-up tuning for the tool binaries on Linux. Each of these matters because the common runs
//! (`modprobe -R`, `modinfo` of one module, udev's many calls) last about a millisecond, most of
//! it spent before `main`.
//!
//! 1. Link as position-dependent executables. A PIE spends a good part of such a run in the
//!    dynamic loader applying ~12,000 relative relocations and copying the pages they touch.
//!    Without PIE the linker resolves them once. The cost is address-space randomisation of the
//!    executable image itself (libraries, stack and heap stay randomised). Set `KMOD_RS_PIE=1`
//!    to keep a PIE.
//! 2. Link the unwinder statically (`libgcc_eh.a`) instead of loading `libgcc_s.so.1`. rustc
//!    always passes `-lgcc_s`; loading it costs a library lookup and mapping, and its
//!    constructor runs `cpuid`, which in a virtual machine exits to the hypervisor: together about
//!    5% of `modprobe -R`. A one-line linker script named `libgcc_s.so` in `OUT_DIR`, searched
//!    before the system directories, stands in for it. Used only when the C compiler knows a
//!    `libgcc_eh.a`; set `KMOD_RS_SHARED_LIBGCC=1` to keep the shared library.
//! 3. Put the functions of those short calls next to each other at the start of `.text`
//!    (`link/symbol-order.txt`, made by `link/gen-symbol-order.sh`, given to LLD as
//!    `--symbol-ordering-file`). Otherwise a run faults in code pages spread over 3 MB: about 17
//!    fewer page faults and 10-15% less time for `modprobe -R`. Only LLD knows the option, so it
//!    is used where rustc links with its own LLD by default (x86_64-unknown-linux-gnu since Rust
//!    1.90) and no other linker is configured; `KMOD_RS_SYMBOL_ORDER=0` turns it off,
//!    `KMOD_RS_SYMBOL_ORDER=1` on (for example with `-C link-arg=-fuse-ld=lld` on another target).

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=KMOD_RS_PIE");
    println!("cargo:rerun-if-env-changed=KMOD_RS_SHARED_LIBGCC");
    println!("cargo:rerun-if-env-changed=KMOD_RS_SYMBOL_ORDER");
    println!("cargo:rerun-if-env-changed=CC");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    let gnu = std::env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|env| env == "gnu");
    if !linux {
        return;
    }
    if !env_is_one("KMOD_RS_PIE") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    if gnu && !env_is_one("KMOD_RS_SHARED_LIBGCC") {
        if let Some(static_unwinder) = libgcc_eh() {
            shim_libgcc_s(&static_unwinder);
        }
    }
    if links_with_lld() {
        order_symbols();
    }
}

fn env_is_one(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| v == "1")
}

/// The absolute path of the C compiler's static unwinder, if it has one.
fn libgcc_eh() -> Option<PathBuf> {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let output = Command::new(cc)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let path = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim());
    // An unknown file name is echoed back as given, without a directory.
    (path.is_absolute() && path.is_file()).then_some(path)
}

/// Writes `OUT_DIR/libgcc_s.so` as a linker script that pulls in `static_unwinder` and puts
/// `OUT_DIR` first on the library search path, so `-lgcc_s` finds it.
fn shim_libgcc_s(static_unwinder: &Path) {
    let Some(out_dir) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return;
    };
    let Some(unwinder) = static_unwinder.to_str() else {
        return;
    };
    let script = format!(
        "/* kmod-rs build.rs: the static unwinder stands in for libgcc_s.so.1 */\nINPUT({unwinder})\n"
    );
    if std::fs::write(out_dir.join("libgcc_s.so"), script).is_ok() {
        println!("cargo:rustc-link-search=native={}", out_dir.display());
    }
}

/// Whether the binaries will be linked by LLD: `KMOD_RS_SYMBOL_ORDER` if set, otherwise rustc's
/// default for the target, unless a linker is configured (`RUSTC_LINKER`, or linker flags in
/// `RUSTFLAGS`).
fn links_with_lld() -> bool {
    match std::env::var("KMOD_RS_SYMBOL_ORDER").as_deref() {
        Ok("0") => return false,
        Ok("1") => return true,
        _ => {}
    }
    let target_default = std::env::var("TARGET").is_ok_and(|t| t == "x86_64-unknown-linux-gnu")
        && rustc_minor_version().is_some_and(|minor| minor >= 90);
    let linker_configured = std::env::var_os("RUSTC_LINKER").is_some()
        || std::env::var("CARGO_ENCODED_RUSTFLAGS").is_ok_and(|flags| {
            ["linker", "link-self-contained", "fuse-ld"]
                .iter()
                .any(|word| flags.contains(word))
        });
    target_default && !linker_configured
}

/// The minor version of the compiler building us (`1.95.0` → 95).
fn rustc_minor_version() -> Option<u32> {
    let rustc = std::env::var_os("RUSTC")?;
    let output = Command::new(rustc).arg("-vV").output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let release = text.lines().find_map(|l| l.strip_prefix("release: "))?;
    let mut parts = release.split('.');
    (parts.next()? == "1").then_some(())?;
    parts.next()?.parse().ok()
}

/// Hands `link/symbol-order.txt` to the linker.
fn order_symbols() {
    let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from) else {
        return;
    };
    let order = dir.join("link").join("symbol-order.txt");
    println!("cargo:rerun-if-changed={}", order.display());
    if order.is_file() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        // Functions renamed since the file was made are skipped, silently.
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}
