//! Hostile command lines for every tool: unknown options, missing option arguments, empty,
//! non-UTF-8, huge and newline-carrying operands, path-like kernel versions, thousands of
//! operands. Each must end with kmod's exit code (1 for all of these), a message on stderr, and no
//! panic. Nothing here can touch the running kernel: module names that reach `rmmod` do not
//! exist, and `insmod` only gets missing files.

#[path = "hostile/support.rs"]
mod support;

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use support::{check_sane, kmod_tool, run, tree, Cases, Run, VERSION};

/// Exit code 1, something on stderr (at most `max_lines` lines), and kmod's exit code too.
fn check_usage_error(r: &Run, max_lines: usize) -> Result<(), String> {
    check_sane(r)?;
    let lines = r.err_lines();
    if r.code != Some(1) || lines.is_empty() || lines.len() > max_lines {
        return Err(format!(
            "{}: exit {:?}, {} stderr lines:\n{}",
            r.what,
            r.code,
            lines.len(),
            r.stderr
        ));
    }
    Ok(())
}

/// The binary and the argv[0] each case runs as.
fn tools() -> [(&'static str, &'static str); 7] {
    [
        (support::MODINFO, "modinfo"),
        (support::MODPROBE, "modprobe"),
        (support::DEPMOD, "depmod"),
        (support::INSMOD, "insmod"),
        (support::RMMOD, "rmmod"),
        (support::LSMOD, "lsmod"),
        (support::KMOD, "kmod"),
    ]
}

#[test]
fn option_errors_of_every_tool() {
    let mut cases = Cases::new("options");
    for (bin, name) in tools() {
        for args in [&["--hostile-bogus"][..], &["-\u{1}"], &["--"]] {
            if args == ["--"] && matches!(name, "lsmod" | "depmod") {
                continue; // a valid command line for these two
            }
            let r = run(bin, name, &support::os(args));
            cases.check(&format!("{name} {args:?}"), check_usage_error(&r, 3));
        }
    }
    let missing_argument: [(&str, &[&str]); 12] = [
        ("modinfo", &["-F"]),
        ("modinfo", &["-k"]),
        ("modinfo", &["-b"]),
        ("modinfo", &["--field"]),
        ("modprobe", &["-C"]),
        ("modprobe", &["-S"]),
        ("modprobe", &["-d"]),
        ("modprobe", &["-r", "-w"]),
        ("depmod", &["-b"]),
        ("depmod", &["-C"]),
        ("depmod", &["-E"]),
        ("depmod", &["-F"]),
    ];
    for (name, args) in missing_argument {
        let bin = tools()
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(b, _)| *b)
            .unwrap();
        let r = run(bin, name, &support::os(args));
        cases.check(&format!("{name} {args:?}"), check_usage_error(&r, 3));
    }
    let no_operand: [(&str, &[&str]); 7] = [
        ("modinfo", &[]),
        ("modprobe", &[]),
        ("modprobe", &["-a"]),
        ("insmod", &[]),
        ("rmmod", &[]),
        ("lsmod", &["extra"]),
        ("kmod", &["hostile-bogus-command"]),
    ];
    for (name, args) in no_operand {
        let bin = tools()
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(b, _)| *b)
            .unwrap();
        let r = run(bin, name, &support::os(args));
        cases.check(&format!("{name} {args:?}"), check_usage_error(&r, 3));
    }
    cases.finish();
}

#[test]
fn hostile_operands() {
    let dir = tempfile::tempdir().unwrap();
    let (root, _) = tree(dir.path());
    let mut cases = Cases::new("operands");
    // One argument may not exceed 128 KiB (MAX_ARG_STRLEN).
    let huge = "a".repeat(120 << 10);
    let operands: Vec<(&str, OsString)> = vec![
        ("empty", OsString::new()),
        (
            "non-UTF-8",
            OsStr::from_bytes(b"\xff\xfe\x80mod").to_os_string(),
        ),
        ("newline", OsString::from("alpha\nbeta")),
        ("120 KB", OsString::from(&huge)),
        ("dashes", OsString::from("-")),
        ("unbalanced", OsString::from("alpha[")),
        ("glob", OsString::from("*")),
        ("colon", OsString::from("symbol:")),
    ];
    for (what, operand) in &operands {
        // modinfo and modprobe look names up in the tree.
        let r = run(
            support::MODINFO,
            "modinfo",
            &[
                OsStr::new("-b"),
                root.as_os_str(),
                OsStr::new("-k"),
                OsStr::new(VERSION),
                operand,
            ],
        );
        cases.check(&format!("modinfo {what}"), check_usage_error(&r, 2));
        let r = run(
            support::MODPROBE,
            "modprobe",
            &[
                OsStr::new("-d"),
                root.as_os_str(),
                OsStr::new("-S"),
                OsStr::new(VERSION),
                OsStr::new("-C"),
                OsStr::new("/nonexistent"),
                OsStr::new("-D"),
                operand,
            ],
        );
        if *what == "dashes" {
            continue; // "-" is no name for modprobe's getopt either; covered above
        }
        cases.check(&format!("modprobe -D {what}"), check_usage_error(&r, 3));
    }
    // insmod with files that do not exist (nothing reaches the kernel).
    for path in ["/nonexistent/hostile.ko", "", "/nonexistent/\u{7f}\n.ko"] {
        let r = run(support::INSMOD, "insmod", &support::os(&[path]));
        cases.check(&format!("insmod {path:?}"), check_usage_error(&r, 2));
    }
    // Thousands of operands that are not modules.
    let many: Vec<OsString> = (0..3000)
        .map(|i| OsString::from(format!("hostile-{i}")))
        .collect();
    let mut args = vec![
        OsStr::new("-b"),
        root.as_os_str(),
        OsStr::new("-k"),
        OsStr::new(VERSION),
    ];
    args.extend(many.iter().map(OsString::as_os_str));
    let r = run(support::MODINFO, "modinfo", &args);
    cases.check(
        "modinfo 3000 unknown names",
        check_sane(&r).and_then(|()| match (r.code, r.err_lines().len()) {
            (Some(1), 3000) => Ok(()),
            (code, n) => Err(format!("exit {code:?}, {n} messages")),
        }),
    );
    cases.finish();
}

#[test]
fn kernel_versions_that_look_like_paths() {
    let dir = tempfile::tempdir().unwrap();
    let (root, _) = tree(dir.path());
    let mut cases = Cases::new("kernel versions");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    for version in ["../../../outside", "../..", "", "a/b", "1.0/../../../.."] {
        let r = run(
            support::DEPMOD,
            "depmod",
            &[OsStr::new("-b"), root.as_os_str(), OsStr::new(version)],
        );
        let kmod_code = kmod_tool("depmod").and_then(|k| {
            std::process::Command::new(k)
                .args([OsStr::new("-b"), root.as_os_str(), OsStr::new(version)])
                .output()
                .ok()
                .and_then(|o| o.status.code())
        });
        let outcome = check_sane(&r).and_then(|()| {
            if std::fs::read_dir(&outside).unwrap().next().is_some() {
                return Err(format!("{}: wrote outside the module tree", r.what));
            }
            match kmod_code {
                Some(code) if Some(code) != r.code => Err(format!(
                    "{}: exit {:?}, kmod's {code}\n{}",
                    r.what, r.code, r.stderr
                )),
                _ => Ok(()),
            }
        });
        cases.check(&format!("depmod {version:?}"), outcome);
        let r = run(
            support::MODINFO,
            "modinfo",
            &[
                OsStr::new("-b"),
                root.as_os_str(),
                OsStr::new("-k"),
                OsStr::new(version),
                OsStr::new("alpha"),
            ],
        );
        cases.check(&format!("modinfo -k {version:?}"), check_usage_error(&r, 2));
    }
    cases.finish();
}
