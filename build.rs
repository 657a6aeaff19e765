//! Links the tool binaries as position-dependent executables on Linux.
//!
//! A position-independent executable spends a good part of a short run (`modprobe -R`, `modinfo`
//! of one module: about a millisecond) in the dynamic loader applying ~12,000 relative
//! relocations and copying the pages they touch. Without PIE the linker resolves them once.
//! The cost is address-space randomisation of the executable image itself (libraries, stack
//! and heap stay randomised). Set `KMOD_RS_PIE=1` when building to keep a PIE.

fn main() {
    println!("cargo:rerun-if-env-changed=KMOD_RS_PIE");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    let keep_pie = std::env::var_os("KMOD_RS_PIE").is_some_and(|v| v == "1");
    if linux && !keep_pie {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
