//! Hostile index files in a module directory, read by `modinfo <name>` and `modprobe -D/-R`:
//! every index damaged in its header and its trie (truncations, offsets out of bounds, cycles,
//! absurd value counts, non-UTF-8 strings, a directory or a symlink loop instead of a file),
//! dependency cycles in `modules.dep.bin`, and names, aliases and index values containing `/` or
//! `..`, which must never lead to a file outside the module directory.
//!
//! A damaged index must give exit code 1 and one `<tool>: ERROR:` line naming the index file;
//! nothing may panic or hang.

#[path = "hostile/support.rs"]
mod support;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use support::{
    check_failure, check_failure_mentions, check_sane, index_bytes, modprobe_in, run, tree, Cases,
    MODINFO, VERSION,
};

/// The five indexes, each with a name whose lookup reads it (after the earlier ones missed).
const INDEXES: [(&str, &str); 5] = [
    ("modules.dep.bin", "alpha"),
    (
        "modules.alias.bin",
        "pci:v00001234d00000001sv00000000sd00000000bc00sc00i00",
    ),
    ("modules.symbols.bin", "symbol:alpha_fn"),
    ("modules.builtin.bin", "unix"),
    ("modules.builtin.alias.bin", "net-pf-1"),
];

/// A damage done to a good index file.
type Damage = fn(&[u8]) -> Vec<u8>;

/// Header-level damage: (what, transformation of the good file).
fn header_damage() -> Vec<(&'static str, Damage)> {
    vec![
        ("too-short", |d| d[..5].to_vec()),
        ("bad-magic", |d| {
            let mut d = d.to_vec();
            d[0] ^= 0xff;
            d
        }),
        ("version-3", |d| {
            let mut d = d.to_vec();
            d[4..6].copy_from_slice(&[0, 3]);
            d
        }),
        ("root-out-of-bounds", |d| {
            let mut d = d.to_vec();
            d[8..12].copy_from_slice(&0x2fff_fff0u32.to_be_bytes());
            d
        }),
        ("header-only", |d| d[..13].to_vec()),
    ]
}

/// Runs `modinfo -b <root> -k VERSION <name>`.
fn modinfo(root: &Path, name: &str) -> support::Run {
    run(
        MODINFO,
        "modinfo",
        &[
            OsStr::new("-b"),
            root.as_os_str(),
            OsStr::new("-k"),
            OsStr::new(VERSION),
            OsStr::new(name),
        ],
    )
}

/// A fresh tree; returns (tempdir guard, root, module dir, empty config dir).
fn fresh() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (root, moddir) = tree(dir.path());
    let conf = dir.path().join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    (dir, root, moddir, conf)
}

#[test]
fn damaged_headers_of_every_index() {
    let (_guard, root, moddir, conf) = fresh();
    let mut cases = Cases::new("index headers");
    for (file, name) in INDEXES {
        let path = moddir.join(file);
        let good = std::fs::read(&path).unwrap();
        // The name is found while the index is intact.
        let r = modinfo(&root, name);
        cases.check(&format!("{file} intact"), support::check_success(&r));
        for (what, damage) in header_damage() {
            std::fs::write(&path, damage(&good)).unwrap();
            let r = modinfo(&root, name);
            cases.check(
                &format!("{file} {what} modinfo"),
                check_failure(&r, "modinfo", &[&path.display().to_string()]),
            );
            if file == "modules.dep.bin" || file == "modules.alias.bin" {
                // modprobe says what is wrong, then (as kmod) that the module is not found in
                // the module directory.
                let r = modprobe_in(&root, &conf, &["-D", name]);
                cases.check(
                    &format!("{file} {what} modprobe"),
                    check_failure_mentions(&r, "modprobe", &moddir.display().to_string(), 2),
                );
            }
        }
        std::fs::write(&path, &good).unwrap();
    }
    assert!(cases.count() >= 40);
    cases.finish();
}

/// Hand-made `modules.dep.bin` tries with damage below the root, each read by a lookup of `alpha`.
fn damaged_tries() -> Vec<(&'static str, Vec<u8>)> {
    let header = |root: u32| {
        let mut d = vec![0xb0, 0x07, 0xf4, 0x57, 0, 2, 0, 1];
        d.extend_from_slice(&root.to_be_bytes());
        d
    };
    let good = index_bytes(&[("alpha", &["kernel/lib/alpha.ko:"])]);
    let mut out = Vec::new();
    // A child table that runs past the end of the file.
    let mut table = header(0x2000_000c);
    table.extend_from_slice(&[b'a', b'z', 0, 0]);
    out.push(("child-table-cut", table));
    // A reversed child range.
    let mut reversed = header(0x2000_000c);
    reversed.extend_from_slice(&[b'z', b'a', 0, 0, 0, 0]);
    out.push(("child-range-reversed", reversed));
    // A value count no file can hold.
    let mut count = header(0xc000_000c);
    count.extend_from_slice(b"alpha\0");
    count.extend_from_slice(&u32::MAX.to_be_bytes());
    count.extend_from_slice(&[0, 0, 0, 0, b'x', 0]);
    out.push(("value-count-huge", count));
    // A value that is not UTF-8.
    let mut utf8 = good.clone();
    let at = utf8
        .windows(6)
        .position(|w| w == b"kernel")
        .expect("value in index");
    utf8[at] = 0xff;
    out.push(("value-not-utf8", utf8));
    // The value string loses its terminating NUL (file cut one byte short).
    out.push(("value-unterminated", good[..good.len() - 1].to_vec()));
    // Cut in the middle of the only child node.
    out.push(("cut-in-node", good[..16].to_vec()));
    // A prefix without its NUL up to the end of the file.
    let mut prefix = header(0x8000_000c);
    prefix.extend_from_slice(b"alpha-without-end");
    out.push(("prefix-unterminated", prefix));
    out
}

#[test]
fn damaged_tries_below_the_root() {
    let (_guard, root, moddir, conf) = fresh();
    let mut cases = Cases::new("index tries");
    let path = moddir.join("modules.dep.bin");
    let name = path.display().to_string();
    for (what, data) in damaged_tries() {
        std::fs::write(&path, &data).unwrap();
        let r = modinfo(&root, "alpha");
        cases.check(
            &format!("{what} modinfo"),
            check_failure(&r, "modinfo", &[&name]),
        );
        let r = modprobe_in(&root, &conf, &["-D", "alpha"]);
        cases.check(
            &format!("{what} modprobe"),
            check_failure_mentions(&r, "modprobe", &moddir.display().to_string(), 2),
        );
    }
    // Every child of the root points back at the root. An exact lookup follows one edge per key
    // byte, so it ends: "alpha" is simply not there.
    let mut cycle = vec![0xb0, 0x07, 0xf4, 0x57, 0, 2, 0, 1, 0x20, 0, 0, 0x0c, 0, 127];
    for _ in 0..128 {
        cycle.extend_from_slice(&0x2000_000cu32.to_be_bytes());
    }
    std::fs::write(&path, &cycle).unwrap();
    let r = modinfo(&root, "alpha");
    cases.check(
        "cycle exact",
        check_failure(&r, "modinfo", &["Module alpha not found."]),
    );
    // Not a regular file: a directory gives an error; a symlink loop cannot be opened, which
    // (as for kmod) means there is no such index.
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    let r = modinfo(&root, "alpha");
    cases.check("directory", check_failure(&r, "modinfo", &[&name]));
    std::fs::remove_dir(&path).unwrap();
    std::os::unix::fs::symlink("modules.dep.bin", &path).unwrap();
    let r = modinfo(&root, "alpha");
    cases.check(
        "symlink loop",
        check_failure(&r, "modinfo", &["Module alpha not found."]),
    );
    // A wildcard search walks whole subtrees: the same cycle in the alias index, and shared
    // subtrees below a long prefix, must end in an error naming the file, quickly.
    let alias = moddir.join("modules.alias.bin");
    let alias_name = alias.display().to_string();
    let mut shared = vec![0xb0, 0x07, 0xf4, 0x57, 0, 2, 0, 1, 0x20, 0, 0, 0x0c, 0, 127];
    let next = 12 + 2 + 4 * 128;
    for _ in 0..128 {
        shared.extend_from_slice(&(0xa000_0000u32 | next).to_be_bytes());
    }
    shared.extend(std::iter::repeat_n(b'*', 100_000));
    shared.push(0);
    let grand = shared.len() as u32 + 2 + 4 * 128;
    shared.extend_from_slice(&[0, 127]);
    for _ in 0..128 {
        shared.extend_from_slice(&(0xc000_0000u32 | grand).to_be_bytes());
    }
    shared.extend_from_slice(&[b'x', 0, 0, 0, 0, 1, 0, 0, 0, 0, b'v', 0]);
    for (what, data) in [("cycle wild", cycle), ("shared subtrees wild", shared)] {
        std::fs::write(&alias, &data).unwrap();
        let r = modinfo(&root, INDEXES[1].1);
        cases.check(what, check_failure(&r, "modinfo", &[&alias_name]));
        let r = modprobe_in(&root, &conf, &["-R", INDEXES[1].1]);
        cases.check(
            &format!("{what} modprobe"),
            check_failure_mentions(&r, "modprobe", &alias_name, 2),
        );
    }
    cases.finish();
}

#[test]
fn dependency_cycles_end() {
    let (_guard, root, moddir, conf) = fresh();
    let mut cases = Cases::new("dependency cycles");
    // alpha needs beta needs gamma needs alpha; delta needs itself.
    let dep = index_bytes(&[
        (
            "alpha",
            &["kernel/lib/alpha.ko: kernel/drivers/beta.ko kernel/drivers/gamma.ko"],
        ),
        (
            "beta",
            &["kernel/drivers/beta.ko: kernel/drivers/gamma.ko kernel/lib/alpha.ko"],
        ),
        (
            "gamma",
            &["kernel/drivers/gamma.ko: kernel/lib/alpha.ko kernel/drivers/beta.ko"],
        ),
        (
            "delta",
            &["kernel/drivers/gamma.ko: kernel/drivers/gamma.ko"],
        ),
    ]);
    std::fs::write(moddir.join("modules.dep.bin"), dep).unwrap();
    // Softdeps that chase each other, from the configuration.
    std::fs::write(
        conf.join("loop.conf"),
        "softdep alpha pre: beta\nsoftdep beta pre: gamma post: alpha\nsoftdep gamma pre: alpha\n",
    )
    .unwrap();
    for args in [
        &["-D", "alpha"][..],
        &["-D", "delta"],
        &["-n", "-v", "gamma"],
        &["-n", "-v", "-a", "alpha", "beta", "gamma", "delta"],
        &["-r", "-n", "-v", "alpha"],
    ] {
        let r = modprobe_in(&root, &conf, args);
        cases.check(&args.join(" "), check_sane(&r));
    }
    cases.finish();
}

/// A module outside the module directory that a name must never reach.
fn plant_evil(root: &Path, moddir: &Path) -> Vec<PathBuf> {
    let evil = support::module("evil")
        .modinfo("description", "EVIL MODULE OUTSIDE")
        .build();
    let mut planted = Vec::new();
    for dir in [root.to_path_buf(), root.join("lib"), moddir.join("..")] {
        for name in ["evil.ko", "evil"] {
            let p = dir.join(name);
            std::fs::write(&p, &evil).unwrap();
            planted.push(p);
        }
    }
    planted
}

#[test]
fn names_with_slashes_and_dots_stay_inside() {
    let (_guard, root, moddir, conf) = fresh();
    let mut cases = Cases::new("path traversal");
    plant_evil(&root, &moddir);
    // An alias index whose value climbs out, and a configuration alias doing the same.
    let alias = index_bytes(&[("e", &["../../../evil"]), ("x", &["../evil.ko"])]);
    std::fs::write(moddir.join("modules.alias.bin"), alias).unwrap();
    std::fs::write(
        conf.join("evil.conf"),
        "alias climb ../../../evil\nalias climb2 ../../../../evil.ko\noptions ../../evil x=1\n",
    )
    .unwrap();
    let names = [
        "../../../evil",
        "../../../../evil",
        "../evil",
        "..",
        "../..",
        "kernel/../../../evil",
        "a/b",
        "evil/..",
        "....//....//evil",
        "e",
        "x",
        "climb",
        "climb2",
    ];
    // Exit codes follow kmod (0 for an alias whose module has no modules.dep entry, 1 for a
    // name found nowhere); what matters here is that no file outside is ever read or loaded.
    let leaked = |r: &support::Run| -> Result<(), String> {
        check_sane(r)?;
        let text = format!("{}{}", r.out(), r.stderr);
        let loads_evil = text
            .lines()
            .any(|l| l.starts_with("insmod ") && l.contains("evil"));
        if text.contains("EVIL MODULE OUTSIDE") || loads_evil {
            return Err(format!(
                "{}: reached a file outside the module directory:\n{text}",
                r.what
            ));
        }
        if !matches!(r.code, Some(0 | 1)) {
            return Err(format!("{}: exit {:?}\n{text}", r.what, r.code));
        }
        Ok(())
    };
    for name in names {
        cases.check(&format!("modinfo {name}"), leaked(&modinfo(&root, name)));
        let r = run(
            MODINFO,
            "modinfo",
            &[
                OsStr::new("-m"),
                OsStr::new("-b"),
                root.as_os_str(),
                OsStr::new("-k"),
                OsStr::new(VERSION),
                OsStr::new(name),
            ],
        );
        cases.check(&format!("modinfo -m {name}"), leaked(&r));
        cases.check(
            &format!("modprobe -D {name}"),
            leaked(&modprobe_in(&root, &conf, &["-D", name])),
        );
        cases.check(
            &format!("modprobe -n -v {name}"),
            leaked(&modprobe_in(&root, &conf, &["-n", "-v", name])),
        );
    }
    cases.finish();
}

#[test]
fn endless_and_empty_devices_in_place_of_files() {
    let (_guard, root, moddir, _conf) = fresh();
    let mut cases = Cases::new("devices");
    // modules.builtin.modinfo endless: an error naming it, not an exhausted memory.
    let info = moddir.join("modules.builtin.modinfo");
    std::fs::remove_file(&info).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &info).unwrap();
    let r = modinfo(&root, "unix");
    cases.check(
        "builtin.modinfo -> /dev/zero",
        check_failure(&r, "modinfo", &[&info.display().to_string(), "larger than"]),
    );
    // An index that is an empty device is no index (as an empty file is): names are not found.
    for (file, name) in [
        ("modules.dep.bin", "alpha"),
        ("modules.alias.bin", INDEXES[1].1),
    ] {
        let path = moddir.join(file);
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink("/dev/null", &path).unwrap();
        let r = modinfo(&root, name);
        cases.check(
            &format!("{file} -> /dev/null"),
            check_failure(&r, "modinfo", &[&format!("Module {name} not found.")]),
        );
    }
    cases.finish();
}
