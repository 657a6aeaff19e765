//! Black-box tests of the `depmod` binary on bad input: dependency cycles, unreadable and
//! corrupt modules among good ones, missing or damaged kernel-provided files. Where Debian's
//! kmod 30 is installed, exit status, messages and outputs are compared with its depmod.

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use testkit::{broken, ModuleBuilder, TreeBuilder};

const VERSION: &str = "2.0";
const ARGS: [&str; 5] = ["-C", "{root}/no-config", "-b", "{root}", VERSION];

/// The text files both kmod 30 and we write.
const TEXTS: [&str; 5] = [
    "modules.dep",
    "modules.alias",
    "modules.softdep",
    "modules.symbols",
    "modules.devname",
];

/// What one run did.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Run {
    status: i32,
    stderr: String,
    /// Every file of the module directory afterwards (modules included), by name.
    files: BTreeMap<String, Vec<u8>>,
}

fn ours() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_depmod"))
}

fn kmod_depmod() -> Option<PathBuf> {
    ["/usr/sbin/depmod", "/sbin/depmod"]
        .iter()
        .map(PathBuf::from)
        .find(|p| {
            Command::new(p)
                .arg("-V")
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).starts_with("kmod version"))
        })
}

/// Writes `tree` at `root` afresh, lets `prepare` damage it, runs `bin` and collects the result.
fn run_at(
    root: &Path,
    tree: &TreeBuilder,
    prepare: &dyn Fn(&Path),
    bin: &Path,
    args: &[&str],
) -> Run {
    let _ = std::fs::remove_dir_all(root);
    let dir = tree.clone().write().unwrap().module_dir;
    prepare(&dir);
    let root_text = root.display().to_string();
    let args: Vec<String> = args
        .iter()
        .map(|a| a.replace("{root}", &root_text))
        .collect();
    let out = Command::new(bin)
        .arg0("depmod")
        .args(&args)
        .output()
        .unwrap();
    let files = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    Run {
        status: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        files,
    }
}

/// Runs ours, and kmod 30 when installed; checks they agree on status, messages and text files.
fn check(root: &Path, tree: &TreeBuilder, prepare: &dyn Fn(&Path)) -> Run {
    let mine = run_at(root, tree, prepare, &ours(), &ARGS);
    if let Some(kmod) = kmod_depmod() {
        let theirs = run_at(root, tree, prepare, &kmod, &ARGS);
        assert_eq!(mine.status, theirs.status, "exit status");
        assert_eq!(mine.stderr, theirs.stderr, "messages");
        for name in TEXTS {
            assert_eq!(mine.files.get(name), theirs.files.get(name), "{name}");
        }
        for name in ["modules.builtin.bin", "modules.builtin.alias.bin"] {
            let size = |r: &Run| r.files.get(name).map(Vec::len);
            if size(&theirs) == Some(0) {
                assert_eq!(size(&mine), Some(0), "{name}");
            }
        }
    } else {
        eprintln!("skipped the comparison: kmod's depmod is not installed");
    }
    mine
}

fn text(run: &Run, name: &str) -> String {
    String::from_utf8_lossy(run.files.get(name).map(Vec::as_slice).unwrap_or_default()).into_owned()
}

fn nothing(_: &Path) {}

/// A tree where module `x` needs the symbols of every module in `deps`, for each `x: deps`.
fn graph(root: &Path, spec: &[(&str, &[&str])], order: &[&str]) -> TreeBuilder {
    let mut tree = TreeBuilder::new(root, VERSION);
    for (name, deps) in spec {
        let mut m = ModuleBuilder::new(name).export(&format!("{name}_fn"), 1);
        for d in *deps {
            m = m.undefined(&format!("{d}_fn"));
        }
        tree = tree.built("kernel", &m);
    }
    let lines: Vec<String> = order.iter().map(|n| format!("kernel/{n}.ko")).collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    tree.order(&lines)
}

#[test]
fn cycles_are_reported_and_nothing_is_written() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("r");
    let spec: &[(&str, &[&str])] = &[
        ("a", &["b"]),
        ("b", &["a"]),
        ("c", &["d"]),
        ("d", &["e"]),
        ("e", &["c"]),
        ("f", &["a"]),
        ("g", &["f"]),
    ];
    let run = check(
        &root,
        &graph(&root, spec, &["g", "f", "e", "d", "c", "b", "a"]),
        &nothing,
    );
    assert_eq!(run.status, 1);
    assert_eq!(
        run.stderr,
        "depmod: ERROR: Cycle detected: e -> c -> d -> e\n\
         depmod: ERROR: Cycle detected: b -> a -> b\n\
         depmod: ERROR: Found 5 modules in dependency cycles!\n"
    );
    let written: Vec<&String> = run
        .files
        .keys()
        .filter(|n| {
            !n.ends_with(".ko")
                && !n.starts_with("modules.order")
                && !n.starts_with("modules.builtin")
        })
        .collect();
    assert!(written.is_empty(), "{written:?}");
    // Overlapping cycles, and a module depending on itself.
    let spec: &[(&str, &[&str])] = &[("a", &["b"]), ("b", &["a", "c"]), ("c", &["a"])];
    let run = check(&root, &graph(&root, spec, &["a", "b", "c"]), &nothing);
    assert_eq!(
        run.stderr,
        "depmod: ERROR: Cycle detected: a -> b -> c -> a\n\
         depmod: ERROR: Cycle detected: a -> b -> a\n\
         depmod: ERROR: Found 3 modules in dependency cycles!\n"
    );
    let selfish = TreeBuilder::new(&root, VERSION).built(
        "kernel",
        &ModuleBuilder::new("s").export("x", 1).undefined("x"),
    );
    let run = check(&root, &selfish, &nothing);
    assert_eq!(
        run.stderr,
        "depmod: ERROR: Cycle detected: s -> s\ndepmod: ERROR: Found 1 modules in dependency cycles!\n"
    );
}

#[test]
fn cycles_behind_cycles_end() {
    // kmod 30 loops forever on this graph; we report every module in a cycle once.
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("r");
    let spec: &[(&str, &[&str])] = &[
        ("a", &["b", "x"]),
        ("b", &["a"]),
        ("x", &["c"]),
        ("c", &["d"]),
        ("d", &["c"]),
    ];
    let run = run_at(
        &root,
        &graph(&root, spec, &["a", "b", "x", "c", "d"]),
        &nothing,
        &ours(),
        &ARGS,
    );
    assert_eq!(run.status, 1);
    assert_eq!(
        run.stderr,
        "depmod: ERROR: Cycle detected: a -> b -> a\n\
         depmod: ERROR: Cycle detected: c -> d -> c\n\
         depmod: ERROR: Found 4 modules in dependency cycles!\n"
    );
}

#[test]
fn corrupt_modules_are_reported_and_skipped() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("r");
    let good = ModuleBuilder::new("good")
        .undefined("lib_fn")
        .modinfo("alias", "good-alias");
    let lib = ModuleBuilder::new("lib").export("lib_fn", 7);
    let image = lib.build();
    let tree = TreeBuilder::new(&root, VERSION)
        .built("kernel", &good)
        .built("kernel", &lib)
        .module("kernel/trunc.ko", broken::truncate(&image, 200))
        .module("kernel/short.ko", b"hi".to_vec())
        .module("kernel/empty.ko", Vec::new())
        .module("kernel/magic.ko", broken::corrupt_elf_magic(&image))
        .module("kernel/shent.ko", broken::corrupt_shentsize(&image))
        .module("kernel/shoff.ko", broken::corrupt_shoff(&image))
        .module("kernel/junk.ko.xz", b"\xfd7zXZ\0garbage garbage".to_vec())
        .order(&["kernel/good.ko", "kernel/lib.ko"]);
    let prepare = |dir: &Path| {
        std::os::unix::fs::symlink("nowhere", dir.join("kernel/dangling.ko")).unwrap();
        std::fs::create_dir(dir.join("kernel/dir.ko")).unwrap();
    };
    let run = check(&root, &tree, &prepare);
    assert_eq!(run.status, 0);
    let dir = root.join("lib/modules").join(VERSION);
    let d = dir.display();
    assert!(run
        .stderr
        .starts_with("depmod: ERROR: fstatat(4, dangling.ko): No such file or directory\n"));
    for (name, why) in [
        ("trunc.ko", "Invalid argument"),
        ("short.ko", "Invalid argument"),
        ("empty.ko", "Invalid argument"),
        ("magic.ko", "Exec format error"),
        ("shent.ko", "Invalid argument"),
    ] {
        let line = format!("depmod: ERROR: failed to load symbols from {d}/kernel/{name}: {why}\n");
        assert!(run.stderr.contains(&line), "{line}");
    }
    let dep = text(&run, "modules.dep");
    assert!(
        dep.starts_with("kernel/good.ko: kernel/lib.ko\nkernel/lib.ko:\n"),
        "{dep}"
    );
    assert!(dep.contains("kernel/trunc.ko:\n") && dep.contains("kernel/junk.ko.xz:\n"));
    assert_eq!(
        text(&run, "modules.alias"),
        "# Aliases extracted from modules themselves.\nalias good-alias good\n"
    );
}

#[test]
fn missing_kernel_files_give_warnings_and_empty_indexes() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("r");
    let tree = TreeBuilder::new(&root, VERSION)
        .built("kernel", &ModuleBuilder::new("a"))
        .omit("modules.order")
        .omit("modules.builtin")
        .omit("modules.builtin.modinfo");
    let run = check(&root, &tree, &nothing);
    let d = root.join("lib/modules").join(VERSION);
    let d = d.display();
    assert_eq!(run.status, 0);
    assert_eq!(
        run.stderr,
        format!(
            "depmod: WARNING: could not open modules.order at {d}: No such file or directory\n\
             depmod: WARNING: could not open modules.builtin at {d}: No such file or directory\n\
             depmod: WARNING: could not open modules.builtin.modinfo at {d}: No such file or directory\n"
        )
    );
    assert_eq!(run.files["modules.builtin.bin"].len(), 0);
    assert_eq!(run.files["modules.builtin.alias.bin"].len(), 0);
    assert_eq!(text(&run, "modules.dep"), "kernel/a.ko:\n");
}

#[test]
fn damaged_kernel_files() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("r");
    let mut tree = TreeBuilder::new(&root, VERSION);
    for n in ["a", "b", "c", "d"] {
        tree = tree.built("kernel", &ModuleBuilder::new(n));
    }
    let tree = tree
        .file("modules.order", b"kernel/d.ko\nkernel/a.ko")
        .file(
            "modules.builtin",
            b"kernel/x.ko\n\n# comment\n9bad\nkernel/y-z.ko\n",
        )
        .file(
            "modules.builtin.modinfo",
            b"x.alias=fs-x\0x.alias=u[v\0broken\0y_z.alias=\0",
        );
    let run = check(&root, &tree, &nothing);
    let d = root.join("lib/modules").join(VERSION);
    assert_eq!(
        run.stderr,
        format!(
            "depmod: ERROR: {}/modules.order:2 corrupted line misses '\\n'\n\
             depmod: ERROR: Invalid modules.builtin line: \n\n\
             depmod: ERROR: Invalid modules.builtin line: # comment\n\n\
             depmod: ERROR: Invalid modules.builtin line: 9bad\n\n\
             depmod: WARNING: Unmatched bracket in u[v\n",
            d.display()
        )
    );
    // The damaged modules.order is ignored as a whole: hash order.
    assert_eq!(
        text(&run, "modules.dep"),
        "kernel/c.ko:\nkernel/b.ko:\nkernel/d.ko:\nkernel/a.ko:\n"
    );
}

#[test]
fn missing_symbol_files_are_fatal() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("r");
    let tree = TreeBuilder::new(&root, VERSION).built("kernel", &ModuleBuilder::new("a"));
    for opt in ["-F", "-E"] {
        let args = [opt, "/nonexistent/file", "-b", "{root}", VERSION];
        let run = run_at(&root, &tree, &nothing, &ours(), &args);
        assert_eq!(run.status, 1);
        assert_eq!(
            run.stderr,
            "depmod: FATAL: could not load /nonexistent/file: No such file or directory\n"
        );
        if let Some(kmod) = kmod_depmod() {
            let theirs = run_at(&root, &tree, &nothing, &kmod, &args);
            assert_eq!((theirs.status, theirs.stderr), (run.status, run.stderr));
        }
    }
}
