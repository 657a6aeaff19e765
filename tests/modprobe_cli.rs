//! Black-box tests of the `modprobe` binary on a synthetic module tree (modules from `testkit`,
//! indexes from our `depmod`): what `--show-depends`, `-R`, `-c`, `--show-modversions` and
//! `--show-exports` print, configuration and kernel command line effects, install commands, the
//! errors — and, where Debian's kmod 30 is installed, the same output as kmod's modprobe on the
//! same tree. No test loads anything into the running kernel.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use testkit::{ModuleBuilder, TreeBuilder};

const MODPROBE: &str = env!("CARGO_BIN_EXE_modprobe");
const DEPMOD: &str = env!("CARGO_BIN_EXE_depmod");
const VERSION: &str = "1.0.0";

/// The configuration every test uses unless it says otherwise.
const CONFIG: &str = "options c x=1\nalias my-c c\ninstall e /bin/true $CMDLINE_OPTS\n\
blacklist d\nalias beeper d\ninstall dummy-fail exit 3\ninstall dummy-ok /bin/true\n\
softdep c post: e\nalias ghost deaddood-kmod-rs-test\n";

/// A module tree: a ← b ← c (c needs b, b needs a), d with module softdeps, e alone, a built-in
/// `unix` with an alias; indexes written by our depmod.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = ModuleBuilder::new("a")
            .export("a_fn", 0x1234)
            .version("module_layout", 0xabcd);
        let b = ModuleBuilder::new("b")
            .undefined("a_fn")
            .export("b_fn", 0x5678);
        let c = ModuleBuilder::new("c")
            .undefined("b_fn")
            .modinfo("alias", "pci:v00001234d*sv*sd*bc*sc*i*");
        let d = ModuleBuilder::new("d").modinfo("softdep", "pre: e post: a");
        let e = ModuleBuilder::new("e").modinfo("alias", "pci:v00001234d00000001sv*sd*bc*sc*i*");
        let tree = TreeBuilder::new(dir.path().join("root"), VERSION)
            .built("kernel/lib", &a)
            .built("kernel/lib", &b)
            .built("kernel/drivers", &c)
            .built("kernel/drivers", &d)
            .built("kernel/drivers", &e)
            .builtin("kernel/net/unix/unix.ko")
            .builtin_modinfo("unix", "alias", "net-pf-1");
        tree.write().expect("write tree");
        let status = Command::new(DEPMOD)
            .arg("-b")
            .arg(dir.path().join("root"))
            .arg(VERSION)
            .status()
            .expect("run depmod");
        assert!(status.success(), "depmod failed");
        std::fs::create_dir_all(dir.path().join("conf")).expect("conf dir");
        std::fs::write(dir.path().join("conf/test.conf"), CONFIG).expect("config");
        std::fs::create_dir_all(dir.path().join("empty")).expect("empty dir");
        std::fs::write(dir.path().join("cmdline"), "quiet c.y=2\n").expect("cmdline");
        Fixture { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn moddir(&self) -> String {
        format!("{}/lib/modules/{VERSION}", self.path("root").display())
    }

    /// Runs `bin` as "modprobe" on the tree with the test configuration and an empty command
    /// line, then `args`.
    fn run_with(&self, bin: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(bin);
        cmd.arg("-d")
            .arg(self.path("root"))
            .args(["-S", VERSION, "-C"])
            .arg(self.path("conf"))
            .args(args)
            .env_remove("MODPROBE_OPTIONS")
            .env_remove("KMOD_LOG")
            .env("KMOD_RS_CMDLINE", "/dev/null");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run modprobe")
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_with(Path::new(MODPROBE), args, &[])
    }

    /// stdout with the module directory replaced by `$D`.
    fn stdout(&self, o: &Output) -> String {
        String::from_utf8_lossy(&o.stdout).replace(&self.moddir(), "$D")
    }

    fn stderr(&self, o: &Output) -> String {
        String::from_utf8_lossy(&o.stderr).replace(&self.moddir(), "$D")
    }
}

#[test]
fn show_depends_lists_dependencies_softdeps_and_options() {
    let f = Fixture::new();
    let o = f.run(&["-D", "c"]);
    assert!(o.status.success(), "{}", f.stderr(&o));
    // c's post softdep e has an install command: shown unsubstituted.
    assert_eq!(
        f.stdout(&o),
        "insmod $D/kernel/lib/a.ko \ninsmod $D/kernel/lib/b.ko \n\
insmod $D/kernel/drivers/c.ko x=1 \ninstall /bin/true $CMDLINE_OPTS \n"
    );
    // Module-provided softdeps (modules.softdep) and a parameter from the command line.
    let o = f.run(&["-D", "d", "p=\"1 2\""]);
    assert_eq!(
        f.stdout(&o),
        "install /bin/true $CMDLINE_OPTS \ninsmod $D/kernel/drivers/d.ko p=\"1 2\"\n\
insmod $D/kernel/lib/a.ko \n"
    );
    // Through a configuration alias the blacklist applies; by name it does not.
    let o = f.run(&["-D", "beeper"]);
    assert_eq!((o.status.code(), f.stdout(&o)), (Some(0), String::new()));
    let o = f.run(&["-D", "-b", "d"]);
    assert_eq!(f.stdout(&o), "");
    let o = f.run(&["-D", "my-c"]);
    assert!(f.stdout(&o).contains("c.ko x=1 \n"));
    assert_eq!(f.stdout(&f.run(&["-D", "unix"])), "builtin unix\n");
}

#[test]
fn resolve_aliases_and_not_found() {
    let f = Fixture::new();
    let o = f.run(&["-R", "pci:v00001234d00000001sv0sd0bc0sc0i0"]);
    assert_eq!(f.stdout(&o), "c\ne\n");
    assert_eq!(f.stdout(&f.run(&["-R", "net-pf-1"])), "unix\n");
    assert_eq!(f.stdout(&f.run(&["-R", "symbol:a_fn"])), "a\n");
    let o = f.run(&["-R", "nothing"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        f.stderr(&o),
        "modprobe: FATAL: Module nothing not found in directory $D\n"
    );
    let o = f.run(&["-q", "-R", "nothing"]);
    assert_eq!((o.status.code(), f.stderr(&o)), (Some(1), String::new()));
    let o = f.run(&["-a", "-R", "nothing", "a"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(f.stdout(&o), "a\n");
    assert!(f
        .stderr(&o)
        .starts_with("modprobe: WARNING: Module nothing not found"));
}

#[test]
fn kernel_command_line_and_environment() {
    let f = Fixture::new();
    let cmdline = f.path("cmdline");
    let o = f.run_with(
        Path::new(MODPROBE),
        &["-D", "c"],
        &[("KMOD_RS_CMDLINE", cmdline.to_str().unwrap())],
    );
    assert!(f.stdout(&o).contains("c.ko x=1 y=2 \n"), "{}", f.stdout(&o));
    // MODPROBE_OPTIONS comes before the command line.
    let o = f.run_with(Path::new(MODPROBE), &["c"], &[("MODPROBE_OPTIONS", "-D")]);
    assert!(f.stdout(&o).contains("insmod $D/kernel/lib/a.ko \n"));
}

#[test]
fn show_config_dumps_configuration_then_indexes() {
    let f = Fixture::new();
    let o = f.run(&["-c"]);
    assert!(o.status.success());
    let out = f.stdout(&o);
    assert!(out.starts_with(
        "blacklist d\ninstall e /bin/true $CMDLINE_OPTS\ninstall dummy_fail exit 3\n"
    ));
    assert!(out.contains("softdep d pre: epost: a\n"), "{out}");
    assert!(out
        .contains("\n# End of configuration files. Dumping indexes now:\n\nalias pci:v00001234d"));
    assert!(
        out.ends_with("alias symbol:a_fn a\nalias symbol:b_fn b\n"),
        "{out}"
    );
}

#[test]
fn install_commands_run_and_missing_module_files_fail() {
    let f = Fixture::new();
    let o = f.run(&["dummy-ok"]);
    assert_eq!(o.status.code(), Some(0), "{}", f.stderr(&o));
    let o = f.run(&["dummy-fail"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        f.stderr(&o),
        "modprobe: ERROR: Error running install command 'exit 3' for module dummy_fail: retcode 3\n\
modprobe: ERROR: could not insert 'dummy_fail': Invalid argument\n"
    );
    // A real load of a name without a module file fails before any system call, in kmod's
    // words (no test here asks the running kernel to load or remove anything).
    let o = f.run(&["ghost"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        f.stderr(&o),
        "modprobe: ERROR: could not find module by name='deaddood_kmod_rs_test'\n\
modprobe: ERROR: could not insert 'deaddood_kmod_rs_test': Unknown symbol in module, or unknown parameter (see dmesg)\n"
    );
    // Removing a module that is not loaded succeeds silently (or fails with --first-time); an
    // unknown one is fatal.
    let o = f.run(&["-r", "ghost"]);
    assert_eq!((o.status.code(), f.stderr(&o)), (Some(0), String::new()));
    let o = f.run(&["-r", "--first-time", "ghost"]);
    assert_eq!(
        f.stderr(&o),
        "modprobe: FATAL: Module deaddood_kmod_rs_test is not in kernel.\n"
    );
    let o = f.run(&["-r", "nothing"]);
    assert_eq!(f.stderr(&o), "modprobe: FATAL: Module nothing not found.\n");
}

#[test]
fn modversions_and_exports_of_files() {
    let f = Fixture::new();
    let a = format!("{}/kernel/lib/a.ko", f.moddir());
    let o = f.run(&["--show-exports", &a]);
    assert_eq!(f.stdout(&o), "0x00001234\ta_fn\n");
    let o = f.run(&["--dump-modversions", &a]);
    assert_eq!(f.stdout(&o), "0x0000abcd\tmodule_layout\n");
    let b = format!("{}/kernel/lib/b.ko", f.moddir());
    let o = f.run(&["--show-modversions", &b]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        f.stderr(&o),
        "modprobe: FATAL: could not get modversions of $D/kernel/lib/b.ko: No such file or directory\n"
    );
    let o = f.run(&["--show-exports", "/nonexistent.ko"]);
    assert_eq!(
        f.stderr(&o),
        "modprobe: FATAL: Module /nonexistent.ko not found.\n"
    );
}

#[test]
fn usage_errors() {
    let f = Fixture::new();
    let o = f.run(&[]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        f.stderr(&o),
        "modprobe: ERROR: missing parameters. See -h.\n"
    );
    let o = f.run(&["-q"]);
    assert_eq!(
        f.stderr(&o),
        "modprobe: ERROR: missing parameters. See -h.\n"
    );
    let o = f.run(&["-h"]);
    assert!(o.status.success());
    assert!(f.stdout(&o).starts_with("Usage:\n\tmodprobe [options]"));
    let o = f.run(&["--bogus"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(f.stderr(&o).ends_with(": unrecognized option '--bogus'\n"));
    let o = f.run(&["-r", "-w", "1x", "a"]);
    assert_eq!(
        f.stderr(&o),
        "modprobe: ERROR: unexpected wait value '1x'.\n"
    );
}

#[test]
fn modules_named_by_path_and_weakdeps() {
    // kmod 31+: a path is loaded as that file; dependencies still come from modules.dep.
    let f = Fixture::new();
    let c = format!("{}/kernel/drivers/c.ko", f.moddir());
    let o = f.run(&["-D", &c]);
    assert!(o.status.success(), "{}", f.stderr(&o));
    assert!(f
        .stdout(&o)
        .starts_with("insmod $D/kernel/lib/a.ko \ninsmod $D/kernel/lib/b.ko \ninsmod $D/kernel/drivers/c.ko x=1 \n"));
    assert_eq!(f.stdout(&f.run(&["-R", &c])), "c\n");
    let o = f.run(&["-D", "./no/such.ko"]);
    assert_eq!(
        f.stderr(&o),
        "modprobe: FATAL: Failed to get module from path ./no/such.ko: No such file or directory\n"
    );
    // kmod 33+: weakdep lines are listed by -c and never loaded.
    std::fs::write(f.path("conf/weak.conf"), "weakdep c e\n").expect("config");
    let out = f.stdout(&f.run(&["-c"]));
    assert!(out.contains("\nweakdep c e\n"), "{out}");
    assert!(!f.stdout(&f.run(&["-D", "a"])).contains("e.ko"));
}

/// kmod's modprobe, when installed: Debian's kmod 30 (the reference).
fn kmod_modprobe() -> Option<PathBuf> {
    ["/usr/sbin/modprobe", "/sbin/modprobe"]
        .iter()
        .map(PathBuf::from)
        .find(|p| {
            Command::new(p)
                .arg("-V")
                .output()
                .is_ok_and(|o| o.stdout.starts_with(b"kmod version 3"))
                && !p.starts_with(env!("CARGO_MANIFEST_DIR"))
        })
}

/// The same tree and configuration through kmod: identical output. kmod reads the real
/// /proc/cmdline, so ours is pointed at it too.
#[test]
fn same_output_as_kmod_when_installed() {
    let Some(kmod) = kmod_modprobe() else {
        eprintln!("note: kmod's modprobe not installed; comparison skipped");
        return;
    };
    let f = Fixture::new();
    let real = [("KMOD_RS_CMDLINE", "/proc/cmdline")];
    for args in [
        &["-D", "c"][..],
        &["-D", "d", "x=1"],
        &["-D", "my-c"],
        &["-D", "beeper"],
        &["-D", "unix"],
        &["-D", "-i", "c"],
        &["-R", "pci:v00001234d00000001sv0sd0bc0sc0i0"],
        &["-R", "net-pf-1"],
        &["-R", "nothing"],
        &["-a", "-D", "a", "b", "c", "d", "e", "nothing"],
        &["-c"],
        &["-D", "-r", "c"],
        &["dummy-fail"],
        &["ghost"],
        &["-r", "--first-time", "ghost"],
    ] {
        let theirs = f.run_with(&kmod, args, &[]);
        let ours = f.run_with(Path::new(MODPROBE), args, &real);
        let norm = |s: String| {
            s.lines()
                .map(|l| {
                    // kmod 30 prints C source locations in library messages; kmod 34 does not.
                    match l.find(" ../libkmod/") {
                        Some(at) => {
                            let rest = &l[at + 1..];
                            let skip = rest.find("() ").map_or(0, |p| p + 3);
                            format!("{}{}", &l[..at + 1], &rest[skip..])
                        }
                        None => l.to_string(),
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(f.stdout(&ours), f.stdout(&theirs), "stdout of {args:?}");
        assert_eq!(
            norm(f.stderr(&ours)),
            norm(f.stderr(&theirs)),
            "stderr of {args:?}"
        );
        assert_eq!(
            ours.status.code(),
            theirs.status.code(),
            "status of {args:?}"
        );
    }
}
