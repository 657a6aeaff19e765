//! Black-box tests of the `depmod` binary on synthetic module trees: every output file, the
//! options, and — where Debian's kmod 30 is installed — the same results as kmod's depmod
//! (text files and messages byte for byte, indexes dumped and compared).

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use testkit::{compress, Compression, ModuleBuilder, TreeBuilder};

const VERSION: &str = "1.0.0";

/// The files depmod writes.
const OUTPUTS: [&str; 11] = [
    "modules.dep",
    "modules.dep.bin",
    "modules.alias",
    "modules.alias.bin",
    "modules.softdep",
    "modules.weakdep",
    "modules.symbols",
    "modules.symbols.bin",
    "modules.builtin.bin",
    "modules.builtin.alias.bin",
    "modules.devname",
];

fn ours() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_depmod"))
}

/// kmod's depmod, when installed (the reference for parity checks).
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

/// What one run did.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Run {
    status: i32,
    stdout: String,
    stderr: String,
    /// The generated files present afterwards, by name.
    files: BTreeMap<String, Vec<u8>>,
}

/// Writes `tree` under `root` (emptied first), runs `bin` with `args` (`{root}` and `{dir}` replaced
/// by the root and the module directory), and collects the outcome.
fn run_at(root: &Path, tree: &TreeBuilder, bin: &Path, args: &[&str]) -> Run {
    let _ = std::fs::remove_dir_all(root);
    let written = tree.clone().write().unwrap();
    let dir = written.module_dir.display().to_string();
    let root_text = root.display().to_string();
    let args: Vec<String> = args
        .iter()
        .map(|a| a.replace("{root}", &root_text).replace("{dir}", &dir))
        .collect();
    // argv[0] as a shell would give it, so that getopt's messages name "depmod".
    let out = Command::new(bin)
        .arg0("depmod")
        .args(&args)
        .output()
        .unwrap();
    let files = OUTPUTS
        .iter()
        .filter_map(|name| {
            let data = std::fs::read(written.module_dir.join(name)).ok()?;
            Some((name.to_string(), data))
        })
        .collect();
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        files,
    }
}

/// A scratch root and the builder of a tree inside it.
fn scratch() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("root");
    (t, root)
}

/// The standard arguments: no configuration, this root and version.
const ARGS: [&str; 5] = ["-C", "{root}/no-config", "-b", "{root}", VERSION];

fn text(run: &Run, name: &str) -> String {
    String::from_utf8_lossy(run.files.get(name).map(Vec::as_slice).unwrap_or_default()).into_owned()
}

/// `key<TAB>priority<TAB>value` lines of an index in trie pre-order (the layout-independent
/// content: kmod 30 writes nodes post-order, kmod 34 and we pre-order).
fn dump_index(d: &[u8]) -> Vec<String> {
    let word = |at: usize| u32::from_be_bytes(d[at..at + 4].try_into().unwrap()) as usize;
    if d.len() < 12 {
        return vec![format!("EMPTY {}", d.len())];
    }
    let mut out = vec![format!("HEADER {:08x} {:08x}", word(0), word(4))];
    let mut stack = vec![(word(8), Vec::new())];
    while let Some((w, mut key)) = stack.pop() {
        let mut p = w & 0x0fff_ffff;
        if w & 0x8000_0000 != 0 {
            let end = p + d[p..].iter().position(|&b| b == 0).unwrap();
            key.extend_from_slice(&d[p..end]);
            p = end + 1;
        }
        let mut kids = Vec::new();
        if w & 0x2000_0000 != 0 {
            let (first, last) = (d[p] as usize, d[p + 1] as usize);
            p += 2;
            for i in 0..=(last - first) {
                let child = word(p + 4 * i);
                if child != 0 {
                    let mut k = key.clone();
                    k.push((first + i) as u8);
                    kids.push((child, k));
                }
            }
            p += 4 * (last - first + 1);
        }
        if w & 0x4000_0000 != 0 {
            let count = word(p);
            p += 4;
            for _ in 0..count {
                let prio = word(p);
                p += 4;
                let end = p + d[p..].iter().position(|&b| b == 0).unwrap();
                out.push(format!(
                    "{}\t{prio}\t{}",
                    String::from_utf8_lossy(&key),
                    String::from_utf8_lossy(&d[p..end])
                ));
                p = end + 1;
            }
        }
        stack.extend(kids.into_iter().rev());
    }
    out
}

fn index(run: &Run, name: &str) -> Vec<String> {
    dump_index(run.files.get(name).unwrap())
}

/// Runs kmod 30 and ours on the same tree at the same path and checks that they agree: exit
/// status, messages, stdout (without kmod 34's weakdep header) and every file kmod 30 writes.
fn same_as_kmod(root: &Path, tree: &TreeBuilder, args: &[&str]) -> Option<(Run, Run)> {
    let Some(kmod) = kmod_depmod() else {
        eprintln!("skipped the comparison: kmod's depmod is not installed");
        return None;
    };
    let theirs = run_at(root, tree, &kmod, args);
    let mine = run_at(root, tree, &ours(), args);
    assert_eq!(mine.status, theirs.status, "exit status");
    assert_eq!(mine.stderr, theirs.stderr, "messages");
    // kmod 30 predates modules.weakdep.
    let without_weakdep: String = mine
        .stdout
        .split_inclusive('\n')
        .filter(|l| {
            !l.starts_with("weakdep ")
                && *l != "# Weak dependencies extracted from modules themselves.\n"
        })
        .collect();
    assert_eq!(without_weakdep, theirs.stdout, "stdout");
    for name in OUTPUTS.iter().filter(|n| **n != "modules.weakdep") {
        match (theirs.files.get(*name), mine.files.get(*name)) {
            (Some(t), Some(m)) if name.ends_with(".bin") => {
                assert_eq!(dump_index(m), dump_index(t), "{name}")
            }
            (t, m) => assert_eq!(m, t, "{name}"),
        }
    }
    Some((theirs, mine))
}

/// A tree exercising every output: dependencies, aliases (one with a bracket expression, one
/// with an unmatched bracket), softdeps, weakdeps, a device node, built-in modules and aliases.
fn rich_tree(root: &Path) -> TreeBuilder {
    let a = ModuleBuilder::new("mod-a")
        .modinfo("alias", "pci:v00001234d*sv*")
        .modinfo("alias", "usb:v[0-9]*p-x")
        .modinfo("alias", "broken[alias")
        .modinfo("softdep", "pre: mod-b post: mod_c")
        .undefined("b_func")
        .undefined("c_func")
        .undefined("printk")
        .version("b_func", 0x11)
        .version("c_func", 0x22);
    let b = ModuleBuilder::new("mod-b")
        .export("b_func", 0x11)
        .undefined("c_func")
        .modinfo("weakdep", "mod-c")
        .modinfo("alias", "devname:mapper/thing")
        .modinfo("alias", "char-major-10-236");
    let c = ModuleBuilder::new("mod_c")
        .export("c_func", 0x22)
        .export("c_other", 0x33)
        .modinfo("alias", "fs-thing");
    let d = ModuleBuilder::new("lonely").modinfo("alias", "devname:nomajor");
    TreeBuilder::new(root, VERSION)
        .built("kernel/drivers", &a)
        .built("kernel/drivers", &b)
        .built("kernel/lib", &c)
        .built("extra", &d)
        .builtin("kernel/fs/ext4/ext4.ko")
        .builtin("kernel/crypto/crc-x.ko")
        .builtin_modinfo("ext4", "alias", "fs-ext4")
        .builtin_modinfo("ext4", "license", "GPL")
        .builtin_modinfo("crc_x", "alias", "crypto-crc[x")
}

#[test]
fn every_output_of_a_small_tree() {
    let (_t, root) = scratch();
    let run = run_at(&root, &rich_tree(&root), &ours(), &ARGS);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "depmod: WARNING: Unmatched bracket in broken[alias\n\
         depmod: WARNING: Unmatched bracket in crypto-crc[x\n\
         depmod: ERROR: Module 'lonely' has devname (nomajor) but lacks major and minor information. Ignoring.\n"
    );
    assert_eq!(run.files.len(), 11);
    assert_eq!(
        text(&run, "modules.dep"),
        "kernel/drivers/mod-a.ko: kernel/drivers/mod-b.ko kernel/lib/mod_c.ko\n\
         kernel/drivers/mod-b.ko: kernel/lib/mod_c.ko\n\
         kernel/lib/mod_c.ko:\n\
         extra/lonely.ko:\n"
    );
    assert_eq!(
        text(&run, "modules.alias"),
        "# Aliases extracted from modules themselves.\n\
         alias pci:v00001234d*sv* mod_a\n\
         alias usb:v[0-9]*p-x mod_a\n\
         alias broken[alias mod_a\n\
         alias devname:mapper/thing mod_b\n\
         alias char-major-10-236 mod_b\n\
         alias fs-thing mod_c\n\
         alias devname:nomajor lonely\n"
    );
    assert_eq!(
        text(&run, "modules.softdep"),
        "# Soft dependencies extracted from modules themselves.\nsoftdep mod_a pre: mod-b post: mod_c\n"
    );
    assert_eq!(
        text(&run, "modules.weakdep"),
        "# Weak dependencies extracted from modules themselves.\nweakdep mod_b mod-c\n"
    );
    let symbols = text(&run, "modules.symbols");
    assert!(symbols.starts_with("# Aliases for symbols, used by symbol_request().\n"));
    let mut lines: Vec<&str> = symbols.lines().skip(1).collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "alias symbol:b_func mod_b",
            "alias symbol:c_func mod_c",
            "alias symbol:c_other mod_c"
        ]
    );
    assert_eq!(
        text(&run, "modules.devname"),
        "# Device nodes to trigger on-demand module loading.\nmod_b mapper/thing c10:236\n"
    );
    assert_eq!(
        index(&run, "modules.dep.bin")[1..],
        [
            "lonely\t3\textra/lonely.ko:",
            "mod_a\t0\tkernel/drivers/mod-a.ko: kernel/drivers/mod-b.ko kernel/lib/mod_c.ko",
            "mod_b\t1\tkernel/drivers/mod-b.ko: kernel/lib/mod_c.ko",
            "mod_c\t2\tkernel/lib/mod_c.ko:",
        ]
    );
    assert_eq!(
        index(&run, "modules.alias.bin")[1..],
        [
            "char_major_10_236\t1\tmod_b",
            "devname:mapper/thing\t1\tmod_b",
            "devname:nomajor\t3\tlonely",
            "fs_thing\t2\tmod_c",
            "pci:v00001234d*sv*\t0\tmod_a",
            "usb:v[0-9]*p_x\t0\tmod_a",
        ]
    );
    assert_eq!(
        index(&run, "modules.symbols.bin")[1..],
        [
            "symbol:b_func\t1\tmod_b",
            "symbol:c_func\t2\tmod_c",
            "symbol:c_other\t2\tmod_c"
        ]
    );
    assert_eq!(
        index(&run, "modules.builtin.bin")[1..],
        ["crc_x\t0\t", "ext4\t0\t"]
    );
    assert_eq!(
        index(&run, "modules.builtin.alias.bin")[1..],
        ["fs_ext4\t0\text4"]
    );
    same_as_kmod(&root, &rich_tree(&root), &ARGS);
}

#[test]
fn dry_run_prints_the_text_files_and_writes_nothing() {
    let (_t, root) = scratch();
    let args = ["-n", "-C", "{root}/no-config", "-b", "{root}", VERSION];
    let run = run_at(&root, &rich_tree(&root), &ours(), &args);
    assert_eq!(run.status, 0);
    assert!(run.files.is_empty(), "{:?}", run.files.keys());
    let full = run_at(&root, &rich_tree(&root), &ours(), &ARGS);
    let expected: String = [
        "modules.dep",
        "modules.alias",
        "modules.softdep",
        "modules.weakdep",
        "modules.symbols",
        "modules.devname",
    ]
    .iter()
    .map(|n| text(&full, n))
    .collect();
    assert_eq!(run.stdout, expected);
    // Index-only warnings are not printed; the devname error is.
    assert_eq!(
        run.stderr,
        "depmod: ERROR: Module 'lonely' has devname (nomajor) but lacks major and minor information. Ignoring.\n"
    );
    same_as_kmod(&root, &rich_tree(&root), &args);
}

#[test]
fn foreign_32_bit_big_endian_modules() {
    let (_t, root) = scratch();
    let module = |name: &str| {
        ModuleBuilder::new(name)
            .class64(false)
            .big_endian(true)
            .machine(8)
    };
    let tree = TreeBuilder::new(&root, VERSION)
        .built(
            "kernel",
            &module("core")
                .export("core_fn", 0xdead)
                .modinfo("alias", "of:Nfoo"),
        )
        .built(
            "kernel",
            &module("user")
                .undefined("core_fn")
                .version("core_fn", 0xdead),
        )
        .built(
            "kernel",
            &module("user2").undefined("user_fn").undefined("core_fn"),
        )
        .built("kernel", &module("top").export("user_fn", 1));
    let run = run_at(&root, &tree, &ours(), &ARGS);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    assert_eq!(
        text(&run, "modules.dep"),
        "kernel/core.ko:\nkernel/user.ko: kernel/core.ko\n\
         kernel/user2.ko: kernel/top.ko kernel/core.ko\nkernel/top.ko:\n"
    );
    assert_eq!(
        text(&run, "modules.alias"),
        "# Aliases extracted from modules themselves.\nalias of:Nfoo core\n"
    );
    same_as_kmod(&root, &tree, &ARGS);
}

#[test]
fn compressed_modules_keep_their_names() {
    let (_t, root) = scratch();
    let a = ModuleBuilder::new("a").undefined("b_fn").build();
    let b = ModuleBuilder::new("b")
        .export("b_fn", 1)
        .undefined("c_fn")
        .build();
    let c = ModuleBuilder::new("c").export("c_fn", 2).build();
    let tree = TreeBuilder::new(&root, VERSION)
        .module("kernel/a.ko.xz", compress(&a, Compression::Xz))
        .module("kernel/b.ko.zst", compress(&b, Compression::Zstd))
        .module("kernel/c.ko.gz", compress(&c, Compression::Gzip));
    let run = run_at(&root, &tree, &ours(), &ARGS);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        text(&run, "modules.dep"),
        "kernel/a.ko.xz: kernel/b.ko.zst kernel/c.ko.gz\nkernel/b.ko.zst: kernel/c.ko.gz\nkernel/c.ko.gz:\n"
    );
}

#[test]
fn module_order_without_and_with_modules_order() {
    let (_t, root) = scratch();
    let mut tree = TreeBuilder::new(&root, VERSION).omit("modules.order");
    for n in ["a", "b", "c", "d", "e", "f", "g", "h"] {
        tree = tree.built("kernel", &ModuleBuilder::new(n));
    }
    let run = run_at(&root, &tree, &ours(), &ARGS);
    // depmod 30's order for these names: its module hash table's iteration order.
    assert_eq!(
        text(&run, "modules.dep")
            .replace("kernel/", "")
            .replace(".ko:", ""),
        "h\nc\nb\nd\na\ng\ne\nf\n"
    );
    assert!(run
        .stderr
        .starts_with("depmod: WARNING: could not open modules.order at "));
    same_as_kmod(&root, &tree, &ARGS);
    let tree = tree.file(
        "modules.order",
        b"kernel/e.ko\n#336\nkernel/c.ko\nkernel/zz.ko\n",
    );
    let run = run_at(&root, &tree, &ours(), &ARGS);
    assert_eq!(
        text(&run, "modules.dep")
            .replace("kernel/", "")
            .replace(".ko:", ""),
        "e\nc\nh\nb\nd\na\ng\nf\n"
    );
    same_as_kmod(&root, &tree, &ARGS);
}

#[test]
fn verbose_duplicates_and_unknown_symbols() {
    let (_t, root) = scratch();
    let tree = TreeBuilder::new(&root, VERSION)
        .built(
            "kernel",
            &ModuleBuilder::new("a")
                .undefined("sb")
                .undefined("sb2")
                .undefined("kfoo")
                .undefined("nothere")
                .undefined_weak("weakmissing")
                .undefined("printk")
                .version("sb", 0x22)
                .version("kfoo", 5)
                .version("printk", 0x99),
        )
        .built(
            "kernel",
            &ModuleBuilder::new("b")
                .export("sb", 0x23)
                .export("sb2", 0)
                .modinfo("alias", "x")
                .modinfo("alias", "x"),
        )
        .file(
            "System.map",
            b"ffffffff81000000 T printk\n0 r __ksymtab_printk\nbad-line\n",
        )
        .file(
            "Module.symvers",
            b"0x00000099\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n0x5\tkfoo\tvmlinux\tEXPORT_SYMBOL\t\n",
        );
    let v = ["-v", "-w", "-C", "{root}/none", "-b", "{root}", VERSION];
    let run = run_at(&root, &tree, &ours(), &v);
    let dir = root.join("lib/modules").join(VERSION);
    assert_eq!(
        run.stdout,
        format!(
            "{d}/kernel/a.ko needs \"sb\": {d}/kernel/b.ko\n",
            d = dir.display()
        )
    );
    assert!(run
        .stderr
        .contains("depmod: WARNING: duplicate module alias:\nx b\n"));
    same_as_kmod(&root, &tree, &v);
    let e = ["-e", "-C", "{root}/none", "-b", "{root}", VERSION];
    let run = run_at(&root, &tree, &ours(), &e);
    assert!(run
        .stderr
        .starts_with("depmod: WARNING: -e needs -E or -F\n"));
    assert!(!run.stderr.contains("unknown symbol"));
    for extra in [["-F", "{dir}/System.map"], ["-E", "{dir}/Module.symvers"]] {
        let args = [
            extra[0],
            extra[1],
            "-e",
            "-C",
            "{root}/none",
            "-b",
            "{root}",
            VERSION,
        ];
        let run = run_at(&root, &tree, &ours(), &args);
        let a = dir.join("kernel/a.ko").display().to_string();
        assert!(run
            .stderr
            .contains(&format!("WARNING: {a} needs unknown symbol nothere\n")));
        assert!(!run.stderr.contains("weakmissing"));
        if extra[0] == "-E" {
            assert!(run
                .stderr
                .contains(&format!("{a} disagrees about version of symbol sb\n")));
        } else {
            assert!(run
                .stderr
                .contains("System.map:3: invalid line: bad-line\n\n"));
        }
        same_as_kmod(&root, &tree, &args);
    }
    // A bad CRC is reported with its line (kmod 30 appends whatever errno happens to hold).
    let bad = tree.file("Module.symvers", b"zz\tx\tvmlinux\tE\n");
    let args = [
        "-E",
        "{dir}/Module.symvers",
        "-C",
        "{root}/none",
        "-b",
        "{root}",
        VERSION,
    ];
    let run = run_at(&root, &bad, &ours(), &args);
    assert!(run
        .stderr
        .contains("Module.symvers:1 Invalid symbol version zz: Success\n"));
}

#[test]
fn command_line_errors_and_information() {
    let (_t, root) = scratch();
    let tree = TreeBuilder::new(&root, VERSION).built("kernel", &ModuleBuilder::new("a"));
    let cases: [(&[&str], i32, &str); 6] = [
        (
            &["-b", "{root}", "abc"],
            1,
            "depmod: ERROR: Bad version passed abc\n",
        ),
        (
            &["-b", "{root}", VERSION, "rel.ko"],
            1,
            "depmod: FATAL: rel.ko: not absolute path.\n",
        ),
        (
            &["-P", "ab"],
            1,
            "depmod: FATAL: -P only takes a single char\n",
        ),
        (&["-x"], 1, "depmod: invalid option -- 'x'\n"),
        (&["--bogus"], 1, "depmod: unrecognized option '--bogus'\n"),
        (
            &["-b", "{root}", VERSION, "/nonexist.ko"],
            1,
            "depmod: FATAL: could not create module /nonexist.ko: No such file or directory\n",
        ),
    ];
    for (args, status, stderr) in cases {
        let run = run_at(&root, &tree, &ours(), args);
        assert_eq!(
            (run.status, run.stderr.as_str()),
            (status, stderr),
            "{args:?}"
        );
        assert!(run.files.is_empty());
        same_as_kmod(&root, &tree, args);
    }
    let run = run_at(&root, &tree, &ours(), &["-V"]);
    assert_eq!(run.status, 0);
    assert!(run.stdout.starts_with("kmod version 34\n"));
    let run = run_at(&root, &tree, &ours(), &["-h"]);
    assert!(run
        .stdout
        .starts_with("Usage:\n\tdepmod -[aA] [options] [forced_version]\n"));
    assert!(run
        .stdout
        .contains("\t-o, --outdir=DIR     Output directory for generated files.\n"));
    let run = run_at(&root, &tree, &ours(), &["-V", "-x"]);
    assert_eq!(run.status, 0);
    let run = run_at(&root, &tree, &ours(), &["-b", "{root}/nothing", VERSION]);
    assert_eq!(run.status, 1);
    let dir = root.join("nothing/lib/modules").join(VERSION);
    assert_eq!(
        run.stderr,
        format!(
            "depmod: ERROR: could not open directory {}: No such file or directory\n\
             depmod: FATAL: could not search modules: No such file or directory\n",
            dir.display()
        )
    );
}

#[test]
fn explicit_files_outdir_and_moduledir() {
    let (_t, root) = scratch();
    let tree = TreeBuilder::new(&root, VERSION)
        .built("kernel", &ModuleBuilder::new("a").undefined("b_fn"))
        .built("kernel", &ModuleBuilder::new("b").export("b_fn", 1))
        .built("kernel", &ModuleBuilder::new("c"));
    let args = [
        "-b",
        "{root}",
        VERSION,
        "{dir}/kernel/a.ko",
        "{dir}/kernel/b.ko",
    ];
    let run = run_at(&root, &tree, &ours(), &args);
    assert_eq!(
        text(&run, "modules.dep"),
        "kernel/a.ko: kernel/b.ko\nkernel/b.ko:\n"
    );
    same_as_kmod(&root, &tree, &args);
    // -a and -A work on the whole directory whatever files are named (even relative ones).
    for flag in ["-a", "-A"] {
        let args = [flag, "-b", "{root}", VERSION, "{dir}/kernel/a.ko", "rel.ko"];
        let run = run_at(&root, &tree, &ours(), &args);
        assert_eq!(run.status, 0, "{}", run.stderr);
        assert_eq!(
            text(&run, "modules.dep"),
            "kernel/a.ko: kernel/b.ko\nkernel/b.ko:\nkernel/c.ko:\n"
        );
        same_as_kmod(&root, &tree, &args);
    }
    // -o writes below the output directory and leaves the tree alone.
    let args = [
        "-C",
        "{root}/none",
        "-b",
        "{root}",
        "-o",
        "{root}/out",
        VERSION,
    ];
    let run = run_at(&root, &tree, &ours(), &args);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.files.is_empty());
    let out = root.join("out/lib/modules").join(VERSION);
    for name in OUTPUTS {
        assert!(out.join(name).is_file(), "{name}");
    }
    // -m: another module directory below the base directory (leading '/' ignored).
    let moved = TreeBuilder::new(&root, VERSION).file(
        "../../../usr/lib/modules/1.0.0/kernel/z.ko",
        &ModuleBuilder::new("z").build(),
    );
    let args = [
        "-C",
        "{root}/none",
        "-b",
        "{root}",
        "-m",
        "/usr/lib/modules",
        VERSION,
    ];
    let run = run_at(&root, &moved, &ours(), &args);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let dep = root
        .join("usr/lib/modules")
        .join(VERSION)
        .join("modules.dep");
    assert_eq!(std::fs::read_to_string(dep).unwrap(), "kernel/z.ko:\n");
}

#[test]
fn quick_mode_skips_only_when_nothing_is_newer() {
    let (_t, root) = scratch();
    let tree = TreeBuilder::new(&root, VERSION).built("kernel", &ModuleBuilder::new("a"));
    let written = tree.clone().write().unwrap();
    let dir = written.module_dir;
    let run = |extra: &[&str]| {
        let _ = std::fs::remove_file(dir.join("modules.alias"));
        let mut cmd = Command::new(ours());
        cmd.args(["-A", "-C", "/nonexistent", "-b"])
            .arg(&root)
            .args(extra)
            .arg(VERSION);
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            dir.join("modules.alias").exists(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let set = |path: &Path, secs: u64| {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(t)
            .unwrap();
    };
    let (status, ran, stderr) = run(&[]);
    assert_eq!((status, ran), (Some(0), true));
    assert!(stderr.contains("could not fstatat("), "{stderr}");
    set(&dir.join("modules.dep"), 2_000_000_000);
    set(&dir.join("kernel/a.ko"), 1_000_000_000);
    assert_eq!(run(&[]), (Some(0), false, String::new()));
    set(&dir.join("kernel/a.ko"), 2_000_000_000);
    assert_eq!(run(&[]), (Some(0), false, String::new()));
    set(&dir.join("kernel/a.ko"), 2_000_000_001);
    assert!(run(&[]).1);
    std::fs::remove_file(dir.join("modules.dep")).unwrap();
    assert_eq!(run(&["-n"]), (Some(0), false, String::new()));
}

#[test]
fn depmod_d_search_override_exclude_external() {
    let (_t, root) = scratch();
    let ext = root.join("ext");
    let tree = TreeBuilder::new(&root, VERSION)
        .built(
            "kernel/drivers",
            &ModuleBuilder::new("dup").modinfo("alias", "from-kernel"),
        )
        .built(
            "updates",
            &ModuleBuilder::new("dup").modinfo("alias", "from-updates"),
        )
        .built(
            "extra",
            &ModuleBuilder::new("dup").modinfo("alias", "from-extra"),
        )
        .built("kernel/skipped", &ModuleBuilder::new("hidden"))
        .file(
            "../../../ext/outside.ko",
            &ModuleBuilder::new("outside").build(),
        )
        .file(
            "../../../conf/a.conf",
            format!(
                "search extra updates built-in external\nexclude skipped\nexternal * {}\nbogus\n",
                ext.display()
            )
            .as_bytes(),
        );
    let args = ["-C", "{root}/conf", "-b", "{root}", VERSION];
    let run = run_at(&root, &tree, &ours(), &args);
    assert_eq!(run.status, 0);
    assert!(run
        .stderr
        .contains("a.conf:4: ignoring bad line starting with 'bogus'\n"));
    let mut lines: Vec<String> = text(&run, "modules.dep")
        .lines()
        .map(String::from)
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            format!("{}/outside.ko:", ext.display()),
            "extra/dup.ko:".to_string()
        ]
    );
    same_as_kmod(&root, &tree, &args);
    let tree = tree.file("../../../conf/a.conf", b"override dup * kernel/drivers\n");
    let run = run_at(&root, &tree, &ours(), &args);
    assert_eq!(
        text(&run, "modules.dep").lines().next(),
        Some("kernel/drivers/dup.ko:")
    );
}
