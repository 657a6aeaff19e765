//! Black-box tests of the `modinfo` binary: golden outputs recorded from kmod 30 on a real Debian
//! module, live comparison with kmod where it is installed, and bad input of every kind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MODINFO: &str = env!("CARGO_BIN_EXE_modinfo");

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    Command::new(MODINFO)
        .args(args)
        .current_dir(repo())
        .output()
        .expect("run modinfo")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// kmod's modinfo, when installed (CI installs Debian's kmod).
fn kmod_modinfo() -> Option<PathBuf> {
    ["/usr/sbin/modinfo", "/sbin/modinfo", "/usr/bin/modinfo"]
        .iter()
        .map(PathBuf::from)
        .find(|p| {
            std::fs::read_link(p).is_ok_and(|t| t.to_string_lossy().ends_with("kmod"))
                || Command::new(p)
                    .arg("-V")
                    .output()
                    .is_ok_and(|o| o.stdout.starts_with(b"kmod version"))
        })
        .filter(|p| {
            Command::new(p)
                .arg("-V")
                .output()
                .is_ok_and(|o| o.stdout.starts_with(b"kmod version 3"))
                && !p.starts_with(env!("CARGO_MANIFEST_DIR"))
        })
}

#[test]
fn bundled_fixtures_are_current() {
    for (name, data) in testkit::fixtures::all() {
        let committed = std::fs::read(repo().join("fixtures").join(&name)).expect("fixture");
        assert!(
            committed == data,
            "fixtures/{name} differs from testkit::fixtures; run `cargo run -p testkit --example make-fixtures`"
        );
    }
}

#[test]
fn real_module_matches_kmod_golden_output() {
    let prefix = format!("{}/", repo().display());
    for (opts, golden) in [
        (&[][..], "crc16.modinfo.txt"),
        (&["-0"][..], "crc16.modinfo.0.txt"),
        (&["-F", "signature"][..], "crc16.modinfo.Fsignature.txt"),
        (&["-p"][..], "crc16.modinfo.p.txt"),
    ] {
        let mut args = opts.to_vec();
        args.push("fixtures/debian/crc16.ko");
        let out = run(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        let ours = String::from_utf8_lossy(&out.stdout).replace(&prefix, "");
        let expected =
            std::fs::read_to_string(repo().join("fixtures/debian").join(golden)).unwrap();
        assert_eq!(ours, expected, "modinfo {opts:?}");
    }
}

#[test]
fn synthetic_modules_match_kmod_when_installed() {
    let Some(kmod) = kmod_modinfo() else {
        eprintln!("note: kmod's modinfo not installed; live comparison skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (i, (class64, big)) in [(true, false), (false, false), (true, true), (false, true)]
        .into_iter()
        .enumerate()
    {
        let data = testkit::fixtures::example_module()
            .class64(class64)
            .big_endian(big)
            .build();
        let path = dir.path().join(format!("variant{i}.ko"));
        std::fs::write(&path, data).unwrap();
        files.push(path.display().to_string());
    }
    files.push(repo().join("fixtures/example.ko").display().to_string());
    for opts in [
        &[][..],
        &["-0"],
        &["-p"],
        &["-F", "parmtype"],
        &["-F", "sig_key"],
        &["-a", "-n"],
    ] {
        let mut args: Vec<&str> = opts.to_vec();
        args.extend(files.iter().map(String::as_str));
        let ours = run(&args);
        let theirs = Command::new(&kmod).args(&args).output().unwrap();
        assert_eq!(ours.stdout, theirs.stdout, "stdout of modinfo {opts:?}");
        assert_eq!(ours.stderr, theirs.stderr, "stderr of modinfo {opts:?}");
        assert_eq!(ours.status.code(), theirs.status.code());
    }
}

/// Asserts that modinfo failed on `path` the way the issue requires: exit 1, one error line on
/// stderr naming the file and the problem, no panic.
fn assert_clean_failure(path: &Path, what: &str) {
    let out = run(&[path.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{what}: exit status; stderr: {err}"
    );
    assert!(!err.contains("panicked"), "{what}: panic: {err}");
    assert_eq!(err.lines().count(), 1, "{what}: one line expected: {err}");
    assert!(
        err.starts_with("modinfo: ERROR: could not get modinfo from '"),
        "{what}: {err}"
    );
    assert!(
        err.contains(&path.display().to_string()),
        "{what}: file not named: {err}"
    );
}

fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    path
}

#[test]
fn truncated_real_module_fails_cleanly_at_every_sixteenth() {
    let real = std::fs::read(repo().join("fixtures/debian/crc16.ko")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for k in 0..16 {
        let len = real.len() * k / 16;
        let path = write(dir.path(), &format!("crc16-{k}.ko"), &real[..len]);
        assert_clean_failure(&path, &format!("truncated to {len} bytes"));
    }
}

#[test]
fn corrupt_elf_headers_and_sections_fail_cleanly() {
    let good = testkit::fixtures::example_module().build();
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("magic", testkit::broken::corrupt_elf_magic(&good)),
        ("shoff", testkit::broken::corrupt_shoff(&good)),
        ("shentsize", testkit::broken::corrupt_shentsize(&good)),
        ("shnum", testkit::broken::corrupt_shnum(&good)),
        ("shstrndx", testkit::broken::corrupt_shstrndx(&good)),
        (
            "modinfo-unterminated",
            testkit::broken::unterminated_modinfo(&good).unwrap(),
        ),
        (
            "shstrtab-unterminated",
            testkit::broken::unterminated_shstrtab(&good).unwrap(),
        ),
        (
            "modinfo-outside",
            testkit::broken::section_out_of_bounds(&good, ".modinfo").unwrap(),
        ),
        ("empty", Vec::new()),
        ("tiny", b"\x7fEL".to_vec()),
    ];
    for (what, data) in cases {
        let path = write(dir.path(), &format!("bad-{what}.ko"), &data);
        assert_clean_failure(&path, what);
    }
}

#[test]
fn bad_compression_fails_cleanly() {
    let good = testkit::fixtures::example_module().build();
    let dir = tempfile::tempdir().unwrap();
    for c in [
        testkit::Compression::Xz,
        testkit::Compression::Zstd,
        testkit::Compression::Gzip,
    ] {
        let packed = testkit::compress(&good, c);
        let ext = c.extension();
        let half = write(
            dir.path(),
            &format!("half.ko{ext}"),
            &packed[..packed.len() / 2],
        );
        assert_clean_failure(&half, &format!("truncated {ext}"));
        let mut garbled = packed.clone();
        let mid = garbled.len() / 2;
        for b in &mut garbled[mid.saturating_sub(8)..mid + 8] {
            *b ^= 0x5a;
        }
        let garbled = write(dir.path(), &format!("garbled.ko{ext}"), &garbled);
        assert_clean_failure(&garbled, &format!("corrupt {ext}"));
        let magic_only = write(
            dir.path(),
            &format!("magic.ko{ext}"),
            &packed[..6.min(packed.len())],
        );
        assert_clean_failure(&magic_only, &format!("{ext} magic only"));
        // A good compressed module reads like the plain one.
        let ok = write(dir.path(), &format!("ok.ko{ext}"), &packed);
        let out = run(&["-F", "description", ok.to_str().unwrap()]);
        assert_eq!(
            out.stdout, b"Example module bundled with kmod-rs\n",
            "{ext}"
        );
    }
    // A decompression bomb: 64 MiB of zeros behind an ELF header, ratio far above the cap.
    let mut bomb = good[..64].to_vec();
    bomb.resize(64 << 20, 0);
    let packed = testkit::compress(&bomb, testkit::Compression::Zstd);
    let path = write(dir.path(), "bomb.ko.zst", &packed);
    assert_clean_failure(&path, "decompression bomb");
}

#[test]
fn corrupt_index_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let moddir = dir.path().join("lib/modules/1.0");
    std::fs::create_dir_all(&moddir).unwrap();
    let root = dir.path().to_str().unwrap();
    for (what, data) in [
        (
            "bad magic",
            b"\x00\x01\x02\x03\x00\x02\x00\x01\x00\x00\x00\x0c".to_vec(),
        ),
        ("root out of bounds", {
            let mut d = b"\xb0\x07\xf4\x57\x00\x02\x00\x01".to_vec();
            d.extend_from_slice(&0xa000_ffffu32.to_be_bytes());
            d
        }),
        ("truncated header", b"\xb0\x07\xf4\x57\x00\x02".to_vec()),
    ] {
        std::fs::write(moddir.join("modules.dep.bin"), &data).unwrap();
        let out = run(&["-b", root, "-k", "1.0", "anything"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{what}: {err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
        assert_eq!(err.lines().count(), 1, "{what}: {err}");
        assert!(
            err.contains("modules.dep.bin"),
            "{what}: index not named: {err}"
        );
    }
}

#[test]
fn missing_things_give_kmods_messages() {
    let out = run(&[]);
    assert_eq!(
        stderr(&out),
        "modinfo: ERROR: missing module or filename.\n"
    );
    assert_eq!(out.status.code(), Some(1));
    let out = run(&["-b", "/nonexistent", "-k", "1", "ext4"]);
    assert_eq!(stderr(&out), "modinfo: ERROR: Module ext4 not found.\n");
    let out = run(&["-b", "/nonexistent", "-k", "1", "-m", "ext4"]);
    assert_eq!(
        stderr(&out),
        "modinfo: ERROR: Module name ext4 not found.\n"
    );
    let out = run(&["-b", "/nonexistent", "-k", "1", "a]"]);
    assert_eq!(stderr(&out), "modinfo: ERROR: Module alias a] not found.\n");
}

#[test]
fn version_output_is_shaped_like_kmods() {
    let out = run(&["-V"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "kmod version 34");
    assert!(lines[1].contains("+XZ") && lines[1].contains("+ZSTD") && lines[1].contains("+ZLIB"));
    assert!(lines[2].starts_with("kmod-rs "));
}
