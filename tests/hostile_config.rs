//! Hostile configuration given to `modprobe -C` (modprobe.d syntax), `depmod -C` (depmod.d
//! syntax) and the kernel command line (`KMOD_RS_CMDLINE` stands in for `/proc/cmdline`): bad
//! directives, unbalanced brackets, NUL bytes, non-UTF-8 bytes, binary garbage, a 5 MB line,
//! endless continuation lines, a million lines, directories and symlink loops in place of files.
//!
//! kmod reports a bad line and goes on (exit code 0): each bad line must give one
//! `libkmod: ERROR:` (modprobe) or `depmod: ERROR:` line naming the file and the line number,
//! and nothing may panic or hang. Where kmod 30 is installed, its exit code must match.

#[path = "hostile/support.rs"]
mod support;

use std::ffi::OsStr;
use std::path::Path;

use support::{check_sane, kmod_tool, run, run_env, tree, Cases, DEPMOD, MODPROBE, VERSION};

/// Bad modprobe.d contents: (case, contents, how many error lines they must give).
fn bad_modprobe_configs() -> Vec<(&'static str, Vec<u8>, usize)> {
    let mut garbage = Vec::new();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..4096 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        garbage.push(x as u8);
    }
    let garbage_lines = garbage.iter().filter(|&&b| b == b'\n').count();
    vec![
        ("unknown directive", b"frobnicate foo\n".to_vec(), 1),
        ("alias without module", b"alias foo\n".to_vec(), 1),
        ("alias unbalanced [", b"alias foo[ bar\n".to_vec(), 1),
        ("alias unbalanced ]", b"alias foo] bar\n".to_vec(), 1),
        ("blacklist empty", b"blacklist\n".to_vec(), 1),
        ("options empty", b"options\noptions foo\n".to_vec(), 2),
        ("install without command", b"install foo\n".to_vec(), 1),
        ("remove with blank command", b"remove foo   \n".to_vec(), 0),
        ("softdep without deps", b"softdep foo\n".to_vec(), 1),
        ("weakdep without deps", b"weakdep foo\n".to_vec(), 1),
        ("include", b"include /etc/passwd\n".to_vec(), 1),
        ("NUL inside directive", b"options\0 foo bar=1\n".to_vec(), 1),
        ("NUL bytes only", vec![0; 1000], 0),
        ("trailing backslash", b"alias a b\\".to_vec(), 0),
        ("continuations only", b"\\\n".repeat(100_000), 0),
        (
            "long continued line",
            b"options foo "
                .iter()
                .copied()
                .chain(b"x=1 \\\n".repeat(50_000))
                .collect(),
            0,
        ),
        ("million lines", b"blacklist foo\n".repeat(1_000_000), 0),
        ("5 MB line", vec![b'a'; 5 << 20], 1),
        ("binary garbage", garbage, garbage_lines / 2),
        (
            "brackets galore",
            b"alias [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ x\nalias *[!]-[z-a] y\n".to_vec(),
            1,
        ),
        (
            "softdep keywords only",
            b"softdep foo pre: post: pre:\n".to_vec(),
            0,
        ),
    ]
}

/// Runs `modprobe -c -C <path>` on the tree (and kmod's, if installed) and checks the outcome.
fn check_modprobe_config(
    root: &Path,
    path: &Path,
    errors: usize,
    exact_errors: bool,
) -> Result<(), String> {
    let args = [
        OsStr::new("-d"),
        root.as_os_str(),
        OsStr::new("-S"),
        OsStr::new(VERSION),
        OsStr::new("-C"),
        path.as_os_str(),
        OsStr::new("-c"),
    ];
    let r = run(MODPROBE, "modprobe", &args);
    check_sane(&r)?;
    if r.code != Some(0) {
        return Err(format!("{}: exit {:?}\n{}", r.what, r.code, r.stderr));
    }
    let name = path.display().to_string();
    let lines = r.err_lines();
    let bad: Vec<&&str> = lines
        .iter()
        .filter(|l| !(l.starts_with("libkmod: ERROR: ") && l.contains(&name)))
        .collect();
    if !bad.is_empty() {
        return Err(format!("{}: unexpected messages: {bad:?}", r.what));
    }
    let count_ok = if exact_errors {
        lines.len() == errors
    } else {
        lines.len() >= errors
    };
    if !count_ok {
        return Err(format!(
            "{}: {} error lines, expected {errors}:\n{}",
            r.what,
            lines.len(),
            r.stderr
        ));
    }
    if errors > 0
        && !lines
            .iter()
            .all(|l| l.contains(" line ") || l.contains("deprecated"))
    {
        return Err(format!(
            "{}: messages lack the line number:\n{}",
            r.what, r.stderr
        ));
    }
    if let Some(kmod) = kmod_tool("modprobe") {
        let theirs = std::process::Command::new(kmod)
            .args(args)
            .output()
            .map_err(|e| e.to_string())?;
        if theirs.status.code() != r.code {
            return Err(format!(
                "{}: kmod exits {:?}, ours {:?}",
                r.what,
                theirs.status.code(),
                r.code
            ));
        }
    }
    Ok(())
}

#[test]
fn bad_modprobe_d_files() {
    let dir = tempfile::tempdir().unwrap();
    let (root, _) = tree(dir.path());
    let mut cases = Cases::new("modprobe.d");
    for (i, (what, contents, errors)) in bad_modprobe_configs().into_iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.conf"));
        std::fs::write(&path, &contents).unwrap();
        // Binary garbage: lines that happen to parse give no message.
        let exact = what != "binary garbage";
        cases.check(what, check_modprobe_config(&root, &path, errors, exact));
    }
    // Directories: a sub-directory, a directory named like a file, a symlink loop, a dangling
    // link; none of them gives an error, and the good file next to them is read.
    let conf = dir.path().join("conf.d");
    std::fs::create_dir_all(conf.join("sub")).unwrap();
    std::fs::create_dir_all(conf.join("dir.conf")).unwrap();
    std::os::unix::fs::symlink("loop.conf", conf.join("loop.conf")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/x", conf.join("dangling.conf")).unwrap();
    std::fs::write(conf.join("good.conf"), "alias hostile-good gamma\n").unwrap();
    let args = [
        OsStr::new("-d"),
        root.as_os_str(),
        OsStr::new("-S"),
        OsStr::new(VERSION),
        OsStr::new("-C"),
        conf.as_os_str(),
        OsStr::new("-c"),
    ];
    let r = run(MODPROBE, "modprobe", &args);
    cases.check(
        "odd directory entries",
        check_sane(&r).and_then(|()| {
            if r.code == Some(0) && r.out().contains("alias hostile_good gamma") {
                Ok(())
            } else {
                Err(format!(
                    "{}: exit {:?}\n{}{}",
                    r.what,
                    r.code,
                    r.out(),
                    r.stderr
                ))
            }
        }),
    );
    // A configuration path that does not exist is skipped silently, as by kmod.
    let missing = dir.path().join("missing.conf");
    cases.check(
        "missing file",
        check_modprobe_config(&root, &missing, 0, true),
    );
    cases.finish();
}

#[test]
fn bad_depmod_d_files() {
    let dir = tempfile::tempdir().unwrap();
    let (root, moddir) = tree(dir.path());
    let mut cases = Cases::new("depmod.d");
    let configs: Vec<(&str, Vec<u8>, usize)> = vec![
        ("unknown directive", b"frobnicate x\n".to_vec(), 1),
        ("override short", b"override alpha\n".to_vec(), 1),
        (
            "override bad regex",
            b"override alpha ((( extra\n".to_vec(),
            0,
        ),
        (
            "override huge regex",
            b"override alpha a{1000}{1000}{1000} extra\n".to_vec(),
            0,
        ),
        (
            "external relative",
            b"external * relative/dir\n".to_vec(),
            0,
        ),
        ("external short", b"external *\n".to_vec(), 1),
        ("search nothing", b"search\n".to_vec(), 0),
        // depmod takes words as bytes: only the line whose directive is garbage is an error.
        (
            "NUL and garbage",
            b"search \0\xff\xfe\nexclude \xff\n\xff\xfe junk\n".to_vec(),
            1,
        ),
        ("5 MB line", vec![b's'; 5 << 20], 1),
        ("million lines", b"exclude foo\n".repeat(1_000_000), 0),
    ];
    for (i, (what, contents, errors)) in configs.into_iter().enumerate() {
        let path = dir.path().join(format!("depmod{i}.conf"));
        std::fs::write(&path, &contents).unwrap();
        let args = [
            OsStr::new("-b"),
            root.as_os_str(),
            OsStr::new("-C"),
            path.as_os_str(),
            OsStr::new(VERSION),
        ];
        let r = run(DEPMOD, "depmod", &args);
        let name = path.display().to_string();
        let outcome = check_sane(&r).and_then(|()| {
            let errors_seen = r
                .err_lines()
                .iter()
                .filter(|l| l.starts_with("depmod: ERROR: ") && l.contains(&name))
                .count();
            if r.code != Some(0) || errors_seen < errors {
                return Err(format!("{}: exit {:?}\n{}", r.what, r.code, r.stderr));
            }
            if !moddir.join("modules.dep.bin").is_file() {
                return Err(format!("{}: no modules.dep.bin written", r.what));
            }
            Ok(())
        });
        cases.check(what, outcome);
    }
    cases.finish();
}

#[test]
fn bad_kernel_command_lines() {
    let dir = tempfile::tempdir().unwrap();
    let (root, _) = tree(dir.path());
    let mut cases = Cases::new("kernel command line");
    let cmdlines: Vec<(&str, Vec<u8>)> = vec![
        ("unterminated quote", b"quiet \"alpha.x=1 beta.y=2".to_vec()),
        ("bracket in module", b"a[b.c=1 x]y.z=2".to_vec()),
        ("many dots", b"a.b.c.d=1 .x=1 a.=2 ...=3".to_vec()),
        (
            "non-UTF-8",
            b"alpha.p=\xff\xfe modprobe.blacklist=\xc3".to_vec(),
        ),
        ("NUL bytes", b"alpha.x=1\0beta.y=2\0\0".to_vec()),
        ("blacklist commas", b"modprobe.blacklist=,,,a,,b,".to_vec()),
        ("100 KB", b"alpha.x=1 ".repeat(10_000)),
        ("only quotes", b"\"\"\"\"\"\"\"".to_vec()),
        ("binary", (0u8..=255).cycle().take(8192).collect()),
        (
            "newlines and tabs",
            b"\n\t\x0balpha.x=1\r\n\tbeta.y=\"a b\"\n".to_vec(),
        ),
    ];
    for (i, (what, cmdline)) in cmdlines.into_iter().enumerate() {
        let path = dir.path().join(format!("cmdline{i}"));
        std::fs::write(&path, &cmdline).unwrap();
        let args = [
            OsStr::new("-d"),
            root.as_os_str(),
            OsStr::new("-S"),
            OsStr::new(VERSION),
            OsStr::new("-C"),
            OsStr::new("/nonexistent"),
            OsStr::new("-c"),
        ];
        let r = run_env(
            MODPROBE,
            "modprobe",
            &args,
            &[("KMOD_RS_CMDLINE", path.as_os_str())],
        );
        let outcome = check_sane(&r).and_then(|()| {
            let stray = r.err_lines().into_iter().find(|l| {
                !(l.starts_with("libkmod: ERROR: ") && l.contains("kernel command line"))
            });
            match (r.code, stray) {
                (Some(0), None) => Ok(()),
                (code, line) => Err(format!("{}: exit {code:?}, message {line:?}", r.what)),
            }
        });
        cases.check(what, outcome);
    }
    cases.finish();
}
