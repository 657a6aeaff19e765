//! Hostile module files given to `modinfo` (and `modprobe --show-modversions`/`--show-exports`):
//! damaged ELF headers and section tables (testkit's `broken::*` on every ELF flavour), a real
//! signed module truncated at every 1/16th of its length, damaged signature trailers, and broken
//! compressed files (truncated, corrupt, not a module inside, decompression bombs).
//!
//! A file modinfo cannot read must give exit code 1 and one `modinfo: ERROR:` line naming the file;
//! nothing may panic. Where kmod 30's modinfo is installed, the exit code must also be kmod's
//! (except for decompression bombs, which kmod decompresses whatever their size).

#[path = "hostile/support.rs"]
mod support;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use support::{check_failure, check_sane, check_success, kmod_tool, os, run, Cases, MODINFO};
use testkit::{broken, compress, Compression, ModuleBuilder, SignatureSpec};

/// Writes `data` as `dir/name` and returns the absolute path.
fn put(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, data).expect("write module");
    path
}

/// The exit code of kmod's modinfo on `path`, when kmod is installed.
fn kmod_code(path: &Path) -> Option<i32> {
    let kmod = kmod_tool("modinfo")?;
    std::process::Command::new(kmod)
        .arg(path)
        .output()
        .ok()?
        .status
        .code()
}

/// `modinfo <path>` must fail cleanly (naming the file), with kmod's exit code.
fn must_fail(path: &Path) -> Result<(), String> {
    let r = run(MODINFO, "modinfo", &[path.as_os_str()]);
    check_failure(&r, "modinfo", &[&path.display().to_string()])?;
    match kmod_code(path) {
        Some(code) if Some(code) != r.code => Err(format!(
            "{}: kmod's modinfo exits {code}, ours {:?}",
            r.what, r.code
        )),
        _ => Ok(()),
    }
}

/// `modinfo <path>` must fail cleanly, naming the file and saying `why`, where kmod 30 reads on:
/// a damaged file we report on purpose (a cut `.modinfo` or signature, a decompression bomb).
fn must_fail_unlike_kmod(path: &Path, why: &str) -> Result<(), String> {
    let r = run(MODINFO, "modinfo", &[path.as_os_str()]);
    check_failure(&r, "modinfo", &[&path.display().to_string(), why])
}

/// `modinfo <path>` must succeed (damage modinfo does not look at), as kmod's does. kmod 30 as
/// Debian builds it has no gzip support, so gzip files are not compared.
fn must_succeed(path: &Path) -> Result<(), String> {
    let r = run(MODINFO, "modinfo", &[path.as_os_str()]);
    check_success(&r)?;
    if path.extension() == Some(OsStr::new("gz")) {
        return Ok(());
    }
    match kmod_code(path) {
        Some(code) if code != 0 => Err(format!("{}: kmod's modinfo exits {code}", r.what)),
        _ => Ok(()),
    }
}

/// A module with every section modinfo and modprobe read, in one ELF flavour.
fn flavour(class64: bool, big_endian: bool) -> ModuleBuilder {
    support::module("victim")
        .class64(class64)
        .big_endian(big_endian)
        .modinfo("parm", "debug:Debug level")
        .version("module_layout", 0x1234_5678)
        .export("victim_fn", 0x42)
        .undefined("printk")
}

#[test]
fn damaged_elf_in_every_flavour() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases = Cases::new("elf");
    for (class64, big) in [(false, false), (false, true), (true, false), (true, true)] {
        let tag = format!(
            "{}{}",
            if class64 { 64 } else { 32 },
            if big { "be" } else { "le" }
        );
        let good = flavour(class64, big).build();
        let failing: Vec<(&str, Vec<u8>)> = vec![
            ("magic", broken::corrupt_elf_magic(&good)),
            ("shoff", broken::corrupt_shoff(&good)),
            ("shentsize", broken::corrupt_shentsize(&good)),
            ("shnum", broken::corrupt_shnum(&good)),
            ("shstrndx", broken::corrupt_shstrndx(&good)),
            (
                "header-only",
                broken::truncate(&good, if class64 { 64 } else { 52 }),
            ),
            ("half-header", broken::truncate(&good, 30)),
            (
                "shstrtab",
                broken::unterminated_shstrtab(&good).expect("has .shstrtab"),
            ),
            (
                "modinfo-outside",
                broken::section_out_of_bounds(&good, ".modinfo").expect("has .modinfo"),
            ),
        ];
        for (what, data) in failing {
            let path = put(dir.path(), &format!("{tag}-{what}.ko"), &data);
            cases.check(&format!("{tag} {what}"), must_fail(&path));
        }
        // kmod prints the cut last value; we report the damage.
        let data = broken::unterminated_modinfo(&good).expect("has .modinfo");
        let path = put(dir.path(), &format!("{tag}-unterminated-modinfo.ko"), &data);
        cases.check(
            &format!("{tag} unterminated-modinfo"),
            must_fail_unlike_kmod(&path, "not NUL-terminated"),
        );
        // Damage in sections modinfo does not need: it must still print the module.
        let readable: Vec<(&str, Vec<u8>)> = vec![
            (
                "versions-size",
                broken::versions_bad_size(&good).expect("has __versions"),
            ),
            (
                "symtab-outside",
                broken::section_out_of_bounds(&good, ".symtab").expect("has .symtab"),
            ),
        ];
        for (what, data) in readable {
            let path = put(dir.path(), &format!("{tag}-{what}.ko"), &data);
            cases.check(&format!("{tag} {what}"), must_succeed(&path));
        }
    }
    assert!(cases.count() >= 48);
    cases.finish();
}

#[test]
fn real_module_truncated_at_every_sixteenth() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases = Cases::new("truncated real module");
    let real = support::real_module();
    for k in 0..16 {
        let data = broken::truncate(&real, real.len() * k / 16);
        let path = put(dir.path(), &format!("crc7-{k}of16.ko"), &data);
        // At 15/16 only the signature is cut: kmod shows the module as unsigned, we report it.
        let outcome = if k == 15 {
            must_fail_unlike_kmod(&path, "no signature trailer (truncated file?)")
        } else {
            must_fail(&path)
        };
        cases.check(&format!("{k}/16"), outcome);
    }
    // The whole file is fine, and so is the ELF image without its signature.
    let path = put(dir.path(), "crc7.ko", &real);
    cases.check("whole", must_succeed(&path));
    cases.finish();
}

#[test]
fn damaged_signature_trailers() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases = Cases::new("signature");
    let raw = |payload: &[u8], header: [u8; 12]| SignatureSpec::Raw {
        payload: payload.to_vec(),
        header,
    };
    let der = [0x30, 0x82, 0xff, 0xff, 1, 2, 3];
    let junk = [0u8, 1, 2, 3, 4, 5, 6];
    // (case, trailer, does modinfo show a signature?) — as kmod 30 does.
    let shown_or_not = [
        (
            "sig-len-huge",
            raw(&junk, [0, 0, 2, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]),
            false,
        ),
        (
            "sig-len-zero",
            raw(&junk, [0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            false,
        ),
        (
            "pkcs7-not-der",
            raw(&junk, [0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 7]),
            false,
        ),
        (
            "id-type-9",
            raw(&junk, [0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 7]),
            false,
        ),
        (
            "hash-99",
            raw(&junk, [1, 99, 1, 0, 0, 0, 0, 0, 0, 0, 0, 7]),
            false,
        ),
        (
            "legacy-long-fields",
            raw(&junk, [1, 4, 1, 255, 255, 0, 0, 0, 0, 0, 0, 7]),
            true,
        ),
    ];
    for (what, spec, shown) in shown_or_not {
        let data = support::module("signed").signature(spec).build();
        let path = put(dir.path(), &format!("{what}.ko"), &data);
        let r = run(MODINFO, "modinfo", &[path.as_os_str()]);
        let outcome = must_succeed(&path).and_then(|()| {
            if r.out().contains("sig_id:") == shown {
                Ok(())
            } else {
                Err(format!(
                    "{}: sig_id shown: {}, expected {shown}",
                    r.what, !shown
                ))
            }
        });
        cases.check(what, outcome);
    }
    // PKCS#7 data (a DER SEQUENCE) after the ELF image with a broken trailer: a cut signature.
    for (what, header) in [
        (
            "cut-pkcs7-huge-len",
            [0, 0, 2, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff],
        ),
        ("cut-pkcs7-bad-der", [0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 7]),
    ] {
        let data = support::module("signed")
            .signature(raw(&der, header))
            .build();
        let path = put(dir.path(), &format!("{what}.ko"), &data);
        cases.check(what, must_fail_unlike_kmod(&path, "no signature trailer"));
    }
    cases.finish();
}

#[test]
fn broken_compressed_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases = Cases::new("compressed");
    let real = support::real_module();
    let mut bomb_input = real.clone();
    bomb_input.resize(real.len() + (24 << 20), 0);
    for c in Compression::ALL {
        let ext = c.extension();
        let packed = compress(&real, c);
        let mut corrupt = packed.clone();
        let middle = corrupt.len() / 2;
        for b in &mut corrupt[middle..middle + 16] {
            *b ^= 0x5a;
        }
        let magic_len = if c == Compression::Gzip { 2 } else { 6 };
        let mut garbage = packed[..magic_len].to_vec();
        garbage.extend_from_slice(&[0xAA; 200]);
        let failing: Vec<(&str, Vec<u8>)> = vec![
            (
                "truncated-half",
                broken::truncate(&packed, packed.len() / 2),
            ),
            ("truncated-end", broken::truncate(&packed, packed.len() - 1)),
            ("magic-only", packed[..magic_len.max(6)].to_vec()),
            ("corrupt-middle", corrupt),
            ("garbage", garbage),
            ("not-elf-inside", compress(&[0x42; 5000], c)),
            ("bomb", compress(&bomb_input, c)),
        ];
        for (what, data) in failing {
            let path = put(dir.path(), &format!("{what}.ko{ext}"), &data);
            let outcome = if what == "bomb" {
                // kmod reads the 24 MiB and succeeds; we stop at the limit.
                must_fail_unlike_kmod(&path, "exceeds limit")
            } else if c == Compression::Gzip {
                // kmod 30 as Debian builds it cannot read gzip at all: nothing to compare with.
                let r = run(MODINFO, "modinfo", &[path.as_os_str()]);
                check_failure(&r, "modinfo", &[&path.display().to_string()])
            } else {
                must_fail(&path)
            };
            cases.check(&format!("{ext} {what}"), outcome);
        }
        let path = put(dir.path(), &format!("good.ko{ext}"), &packed);
        cases.check(&format!("{ext} good"), must_succeed(&path));
    }
    cases.finish();
}

#[test]
fn modprobe_reading_broken_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases = Cases::new("modprobe files");
    let good = flavour(true, false).build();
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("shnum", broken::corrupt_shnum(&good)),
        ("magic", broken::corrupt_elf_magic(&good)),
        ("truncated", broken::truncate(&good, 100)),
        ("zstd-garbage", {
            let mut d = vec![0x28, 0xB5, 0x2F, 0xFD];
            d.extend_from_slice(&[0x55; 64]);
            d
        }),
    ];
    for (what, data) in inputs {
        let path = put(dir.path(), &format!("{what}.ko"), &data);
        for option in ["--show-modversions", "--show-exports"] {
            let r = run(
                support::MODPROBE,
                "modprobe",
                &[OsStr::new(option), path.as_os_str()],
            );
            let outcome = check_sane(&r).and_then(|()| {
                if r.code != Some(1) || r.err_lines().is_empty() {
                    return Err(format!(
                        "{}: exit {:?}, stderr {}",
                        r.what, r.code, r.stderr
                    ));
                }
                if !r.stderr.contains(&path.display().to_string())
                    && !r.stderr.contains(&format!("{what}.ko"))
                {
                    return Err(format!(
                        "{}: message does not name the file: {}",
                        r.what, r.stderr
                    ));
                }
                Ok(())
            });
            cases.check(&format!("{what} {option}"), outcome);
        }
    }
    // Directories and devices given as module files.
    for path in ["/", "/dev/null"] {
        let r = run(MODINFO, "modinfo", &os(&[path]));
        cases.check(path, check_failure(&r, "modinfo", &[]));
    }
    cases.finish();
}
