//! Differential tests against the system's kmod (Debian 12: kmod 30) used as a black box:
//! `modprobe -C <paths> -c -d <root> -S x` prints the parsed configuration, which must equal
//! [`ModprobeConfig::show_config`], and its libkmod error messages must equal our diagnostics
//! (modulo kmod 30's `../libkmod/libkmod-config.c:NNN` source location).
//!
//! Skipped, with a note on stderr, when `/sbin/modprobe` is absent. kmod 30 differs from the kmod
//! 34 target in a few places that these tests therefore avoid: it rejects `weakdep`, does not read
//! `/usr/lib/modprobe.d` (Debian's `/lib` symlink hides that) and stores a stray 0xff byte for a
//! backslash at end of file.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use modconf::{list_config_files, Diagnostic, Level, ModprobeConfig, DEFAULT_MODPROBE_DIRS};

const MODPROBE: &str = "/sbin/modprobe";
const MARKER: &str = "\n# End of configuration files. Dumping indexes now:\n";

fn kmod_available() -> bool {
    if Path::new(MODPROBE).exists() {
        return true;
    }
    eprintln!("note: {MODPROBE} not found, skipping comparison with kmod");
    false
}

/// A temporary tree: `root/` is the (empty) module root given to `-d`, config files go elsewhere.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::create_dir_all(dir.path().join("root/lib/modules/x")).expect("module dir");
        Sandbox { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write(&self, rel: &str, data: &[u8]) -> PathBuf {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(&p, data).expect("write");
        p
    }

    fn root(&self) -> PathBuf {
        self.path("root")
    }

    fn softdep_file(&self) -> (String, PathBuf) {
        (
            "modules.softdep".to_string(),
            self.root().join("lib/modules/x/modules.softdep"),
        )
    }
}

/// Output lines as bytes, shown readably when an assertion fails.
#[derive(PartialEq, Eq)]
struct Lines(Vec<Vec<u8>>);

impl std::fmt::Debug for Lines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|l| l.escape_ascii().to_string()))
            .finish()
    }
}

/// Bytes shown readably when an assertion fails.
#[derive(PartialEq, Eq)]
struct Text(Vec<u8>);

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\"{}\"", self.0.escape_ascii())
    }
}

impl Text {
    fn contains(&self, needle: impl AsRef<[u8]>) -> bool {
        let needle = needle.as_ref();
        self.0.windows(needle.len()).any(|w| w == needle)
    }
}

/// The configuration part of `modprobe -c` output and the normalised stderr lines.
fn split_kmod_output(out: &std::process::Output) -> Option<(Text, Lines)> {
    let end = out
        .stdout
        .windows(MARKER.len())
        .position(|w| w == MARKER.as_bytes())?;
    let stderr = out
        .stderr
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(normalise_kmod30_log)
        .collect();
    Some((Text(out.stdout[..end].to_vec()), Lines(stderr)))
}

/// kmod's view: the configuration part of `modprobe -c` and its stderr, normalised to kmod 34's
/// `libkmod: LEVEL: function: message` form.
fn kmod_show(paths: Option<&[PathBuf]>, root: &Path) -> (Text, Lines) {
    let mut cmd = Command::new(MODPROBE);
    for p in paths.unwrap_or_default() {
        cmd.arg("-C").arg(p);
    }
    let out = cmd
        .arg("-c")
        .arg("-d")
        .arg(root)
        .arg("-S")
        .arg("x")
        .env_remove("MODPROBE_OPTIONS")
        .env_remove("KMOD_LOG")
        .output()
        .expect("run modprobe");
    split_kmod_output(&out).unwrap_or_else(|| {
        panic!(
            "no marker in modprobe -c output: {:?}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// `libkmod: ERROR ../libkmod/libkmod-config.c:712 kmod_config_parse: x` →
/// `libkmod: ERROR: kmod_config_parse: x`.
fn normalise_kmod30_log(line: &[u8]) -> Vec<u8> {
    let words = || {
        let rest = line.strip_prefix(b"libkmod: ")?;
        let level_end = rest.iter().position(|&b| b == b' ')?;
        let (level, rest) = (&rest[..level_end], &rest[level_end + 1..]);
        let location_end = rest.iter().position(|&b| b == b' ')?;
        let (location, message) = (&rest[..location_end], &rest[location_end + 1..]);
        location
            .starts_with(b"../")
            .then(|| [b"libkmod: ", level, b": ", message].concat())
    };
    words().unwrap_or_else(|| line.to_vec())
}

/// Our view of the same run (the kernel command line is read from `/proc/cmdline` like kmod).
fn our_show(paths: &[PathBuf], extra: &[(String, PathBuf)]) -> (Text, Lines) {
    let mut diags = Vec::new();
    let files = list_config_files(paths, extra, &mut diags);
    let cmdline = fs::read("/proc/cmdline").ok();
    let cfg = ModprobeConfig::load(&files, cmdline.as_deref(), &mut diags);
    (Text(cfg.show_config()), errors(&diags))
}

fn errors(diags: &[Diagnostic]) -> Lines {
    Lines(
        diags
            .iter()
            .filter(|d| d.level <= Level::Error)
            .map(|d| [&b"libkmod: "[..], &d.to_bytes()].concat())
            .collect(),
    )
}

fn compare(sb: &Sandbox, paths: &[PathBuf]) -> Text {
    let (kmod_cfg, kmod_err) = kmod_show(Some(paths), &sb.root());
    let (our_cfg, our_err) = our_show(paths, &[sb.softdep_file()]);
    assert_eq!(our_cfg, kmod_cfg, "configuration differs from kmod");
    assert_eq!(our_err, kmod_err, "messages differ from kmod");
    our_cfg
}

/// Bytes that are not valid UTF-8 (and control bytes) in every directive and in bad lines: kmod
/// keeps them as they are, in `-c` and in its messages.
#[test]
fn high_bytes_in_every_directive() {
    if !kmod_available() {
        return;
    }
    let sb = Sandbox::new();
    let f = sb.write(
        "cfg/\u{e9}.conf",
        b"alias bin\x01\x02ary loop\noptions loop \x01x=\xff\t\xfe\nalias \xff\xfe loop\n\
alias caf\xe9-[\x80-\xff] m\xe9-x\nblacklist b\xe9-x\ninstall i\xe9 /bin/echo \xe9 $CMDLINE_OPTS\n\
remove r\xe9 /bin/echo \xfe\nsoftdep s\xe9 pre: p\xe9 post: q\xe9-1\n\xff\xfe\x01 junk\n\
options o\xe9\ninclude \xe9\n\x80\n# \xff\n",
    );
    let out = compare(&sb, &[f]);
    assert!(out.contains(b"options loop \x01x=\xff \xfe\n"));
    assert!(out.contains(b"softdep s\xe9 pre: p\xe9post: q\xe9-1\n"));
}

#[test]
fn every_directive() {
    if !kmod_available() {
        return;
    }
    let sb = Sandbox::new();
    let d = sb.write(
        "cfg/a.conf",
        b"alias foo-bar baz-qux\nalias usb:v*p*d* snd-x extra words\nblacklist a-b\nblacklist c d\n\
options m-x a=1\tb=2\noptions  m-x   spaced\noptions foo a=1 # note\ninstall i-n /bin/true\n\
install i1\t\tcmd\there $CMDLINE_OPTS\nremove r-m /bin/false\nsoftdep s-d pre: a-b c post: d-e\n\
softdep t post: x\nsoftdep cifs gcm\nsoftdep x4  \nalias ok-[a-b]-x m-[1]\nalias c[[]-d m\nalias e[!-]-f m\n\
alias crlf m4\r\n",
    );
    let out = compare(&sb, &[d.parent().expect("dir").to_path_buf()]);
    assert!(out.contains("softdep s_d pre: a-b cpost: d-e\n"));
}

#[test]
fn softdep_printing_quirks() {
    if !kmod_available() {
        return;
    }
    let sb = Sandbox::new();
    let f = sb.write(
        "cfg/s.conf",
        b"softdep m1 pre: a post: b pre: c post: d\nsoftdep m2 z pre: a post: b\n\
softdep m3 pre: a post: b pre: c\nsoftdep m4 post: a pre: b\nsoftdep m5 post: a pre: b post: c\n\
softdep m6 z y pre: a\nsoftdep m7 z y post: a\nsoftdep m8 pre: a b post: c pre: d e\n\
softdep m9 post: a b pre: c post: d e\nsoftdep m10 pre: aaa post: b pre: cc\n\
softdep m11 post: xx-y pre: q post: zzzz pre: r\nsoftdep m12 pre: a\tpost:  b   c\nsoftdep x7 PRE: a\n",
    );
    compare(&sb, &[f]);
}

#[test]
fn continuation_comments_and_escapes() {
    if !kmod_available() {
        return;
    }
    let sb = Sandbox::new();
    let f = sb.write(
        "cfg/c.conf",
        b"# comment\n\t\n   \n\\#alias esc m2\n# comment \\\nalias swallowed m3\n  alias lead-ws m1\n\
options cont \\\n  more \\\n  last\noptions esc a\\\\b\\#c\\td\nalias a\0junk b\noptions nul x\0y\n\
alias after-nul m\noptions fin x\\\n",
    );
    compare(&sb, &[f]);
}

#[test]
fn bad_lines_and_messages() {
    if !kmod_available() {
        return;
    }
    let sb = Sandbox::new();
    let f = sb.write(
        "cfg/bad.conf",
        b"softdep u\n  # indented\nbogus \\\nline\nalias lonely\noptions o \nblacklist\n\
alias a[b c\nalias x]y z\nblacklist p[q\noptions o[p x=1\ninstall i[-j cmd\nremove r\ninclude foo\n\
config bar\nalias good m\nbogus",
    );
    let out = compare(&sb, &[f]);
    assert_eq!(
        out,
        Text([&b"alias good m\n"[..], &kcmdline_part()].concat())
    );
}

/// What the machine's kernel command line adds at the end of `modprobe -c`.
fn kcmdline_part() -> Vec<u8> {
    let cmdline = fs::read("/proc/cmdline").unwrap_or_default();
    let mut cfg = ModprobeConfig::default();
    cfg.parse_kernel_cmdline(&cmdline, &mut Vec::new());
    cfg.show_config()
}

#[test]
fn files_override_each_other_by_basename() {
    if !kmod_available() {
        return;
    }
    let sb = Sandbox::new();
    sb.write("d1/a.conf", b"alias d1a m\n");
    sb.write("d2/a.conf", b"alias d2a m\n");
    sb.write("d2/b.conf", b"alias d2b m\n");
    sb.write("d3/b.conf", b"alias d3b m\n");
    sb.write("d3/c.conf", b"alias d3c m\n");
    sb.write("d1/10-x.conf", b"alias ten m\n");
    sb.write("d2/9-x.conf", b"alias nine m\n");
    sb.write("d3/B.conf", b"alias upper m\n");
    sb.write("d1/.hidden.conf", b"alias hidden m\n");
    sb.write("d1/.conf", b"alias dot m\n");
    sb.write("d1/x.txt", b"alias txt m\n");
    sb.write("d2/sub.conf/z.conf", b"alias sub m\n");
    let single = sb.write("single.txt", b"alias single m\n");
    let shadowed = sb.write("other/a.conf", b"alias shadowed m\n");
    std::os::unix::fs::symlink(sb.path("d3/c.conf"), sb.path("d1/link.conf")).expect("symlink");
    std::os::unix::fs::symlink("nowhere", sb.path("d1/dangling.conf")).expect("symlink");
    sb.write(
        "root/lib/modules/x/modules.softdep",
        b"# Soft dependencies extracted from modules themselves.\nsoftdep from-modules pre: q\n",
    );
    let paths = [
        sb.path("d1"),
        sb.path("d2"),
        single,
        sb.path("missing"),
        shadowed,
        sb.path("d3"),
    ];
    let out = compare(&sb, &paths);
    assert!(out
        .0
        .starts_with(b"alias ten m\nalias nine m\nalias upper m\nalias d1a m\nalias d2b m\n"));
    assert!(out.contains("softdep from_modules pre: q\n"));
}

#[test]
fn one_mebibyte_line() {
    if !kmod_available() {
        return;
    }
    let sb = Sandbox::new();
    let mut text = b"options big ".to_vec();
    text.extend_from_slice(&vec![b'a'; 1 << 20]);
    text.extend_from_slice(b"\nalias after m\n");
    let f = sb.write("cfg/big.conf", &text);
    compare(&sb, &[f]);
}

#[test]
fn trailing_slash_in_directory_names() {
    if !kmod_available() {
        return;
    }
    let sb = Sandbox::new();
    sb.write("cfg/a.conf", b"bogus\n");
    let mut dir = sb.path("cfg").into_os_string();
    dir.push("/");
    compare(&sb, &[PathBuf::from(dir)]);
}

/// The distribution's own files under the default search path (kmod 34's list; on Debian
/// `/lib` → `usr/lib`, so `/usr/lib/modprobe.d` holds the same files kmod 30 reads via `/lib`).
#[test]
fn system_configuration() {
    if !kmod_available() {
        return;
    }
    let sb = Sandbox::new();
    let (kmod_cfg, kmod_err) = kmod_show(None, &sb.root());
    let dirs: Vec<PathBuf> = DEFAULT_MODPROBE_DIRS.iter().map(PathBuf::from).collect();
    let (our_cfg, our_err) = our_show(&dirs, &[sb.softdep_file()]);
    assert_eq!(our_cfg, kmod_cfg);
    assert_eq!(our_err, kmod_err);
}

/// Runs kmod with `cmdline` bind-mounted over `/proc/cmdline` in a private mount namespace. `None`
/// when that is not possible (not root, no `unshare`).
fn kmod_with_cmdline(sb: &Sandbox, cmdline: &[u8]) -> Option<(Text, Lines)> {
    let file = sb.write("cmdline", cmdline);
    let empty = sb.path("empty");
    fs::create_dir_all(&empty).ok()?;
    let script = format!(
        "mount --bind '{}' /proc/cmdline && exec {MODPROBE} -C '{}' -c -d '{}' -S x",
        file.display(),
        empty.display(),
        sb.root().display()
    );
    let out = Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .env_remove("MODPROBE_OPTIONS")
        .env_remove("KMOD_LOG")
        .output()
        .ok()?;
    split_kmod_output(&out)
}

/// The kernel command line cases of config.md §3 and more, when a private mount namespace can be
/// had to show kmod a different `/proc/cmdline`; the same cases are unit tests in `kcmdline.rs`.
#[test]
fn kernel_command_lines() {
    if !kmod_available() {
        return;
    }
    let cases: &[&[u8]] = &[
        b"initrd=\\initramfs-linux.img mod_simple.foo mod_simple.bar=1 root=/dev/sda2 rootfstype=ext4 add_efi_memmap quiet rw\n",
        b"BOOT_IMAGE=/vmlinuz-3.12.12-57.g5f654cf a.b.c=2 testmodule.testparam=1.5G\n",
        b"psmouse.foo psmouse.bar=1 psmouse.foobar=\"test 1\" psmouse.\"invalid option\" \" notamodule\" \"noteamodule2 \" notamodule3 quiet rw\n",
        b"psmouse.foo=2 ivrs_acpihid[14:00.5]=AMD0020:00 psmouse.bar=1 psmouse.zinga=test\n",
        b"psmouse.foo parport.dyndbg=\"file drivers/parport/ieee1284_ops.c +mpf\" quiet rw\n",
        b"psmouse.foo \"parport.dyndbg=file drivers/parport/ieee1284_ops.c +mpf\" quiet rw\n",
        b"modprobe.blacklist=foo,bar modprobe.blacklist=foo2 quiet modprobe.blacklist=bar2 rw modprobe.blacklist=foobar\n",
        b"modprobe.blacklist=snd-hda-intel,,x, modprobe.blacklist= modprobe.blacklist modprobe.foo=1 modprobe.blacklist=\"q,r s\"\n",
        b"snd-hda.x=1 a.=1 .b=2 a.b= a=b.c=d \"a.b\"=c a.b=\"c\"d a.b=c\"d e\"f a.b==c\n",
        b"a.\"b\"=c a\"x\".b=c a.b\"=c \"\"a.b=1 x\"a.b=c d\" \"a.b c=1\" \"a.b=c\"x \"a.b=c d\"e.f=g\n",
        b"a.b=c\rd.e=f\x0bg.h=i\x0cj.k=l\tm.n a[0.b.c=1 a]0.b=1 a[-]b-c.d=1 x.y=1\"\n",
        b"a.b=c",
        b"a.b=c\0d.e=f\n",
        b"\xff.x=1 a.b=\xc3\xa9 caf\xe9-x.p\xe9=\"v \xe9\" modprobe.blacklist=b\xe9-1,\xfe \xe9[.x=1\n",
    ];
    let sb = Sandbox::new();
    for cmdline in cases {
        let Some((kmod_cfg, kmod_err)) = kmod_with_cmdline(&sb, cmdline) else {
            eprintln!(
                "note: cannot bind-mount /proc/cmdline here (needs root and unshare); skipping"
            );
            return;
        };
        let mut diags = Vec::new();
        let mut cfg = ModprobeConfig::default();
        cfg.parse_kernel_cmdline(cmdline, &mut diags);
        let shown = String::from_utf8_lossy(cmdline);
        assert_eq!(Text(cfg.show_config()), kmod_cfg, "cmdline {shown:?}");
        assert_eq!(errors(&diags), kmod_err, "cmdline {shown:?}");
    }
}

#[test]
fn normalising_kmod30_messages() {
    assert_eq!(
        normalise_kmod30_log(
            b"libkmod: ERROR ../libkmod/libkmod-config.c:712 kmod_config_parse: f line 1: \xff"
        ),
        b"libkmod: ERROR: kmod_config_parse: f line 1: \xff"
    );
    assert_eq!(normalise_kmod30_log(b"other"), b"other");
}

const DEPMOD: &str = "/sbin/depmod";
/// A real module without dependencies, copied into several directories of a fake module tree.
const SAMPLE_KO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/debian/crc16.ko"
);

/// depmod's choice among copies of one module, and its messages about the configuration, compared
/// with [`DepmodConfig::is_higher_priority`] and our diagnostics. Only configurations without ties
/// are used (ties depend on `readdir` order).
#[test]
fn depmod_duplicate_resolution() {
    use modconf::{list_depmod_config_files, DepmodConfig};
    if !Path::new(DEPMOD).exists() || !Path::new(SAMPLE_KO).exists() {
        eprintln!("note: {DEPMOD} or {SAMPLE_KO} missing, skipping comparison with depmod");
        return;
    }
    let sb = Sandbox::new();
    let moddir = sb.path("b/lib/modules/1.2.3");
    let ext1 = sb.path("ext1");
    let ext2 = sb.path("ext2");
    let mut copies = Vec::new();
    for d in ["kernel/drivers", "extra", "updates", "foo", "foobar"] {
        fs::create_dir_all(moddir.join(d)).expect("mkdir");
        fs::copy(SAMPLE_KO, moddir.join(d).join("rapl.ko")).expect("copy");
        copies.push(format!("{d}/rapl.ko"));
    }
    for e in [&ext1, &ext2] {
        fs::create_dir_all(e).expect("mkdir");
        fs::copy(SAMPLE_KO, e.join("rapl.ko")).expect("copy");
        copies.push(format!("{}/rapl.ko", e.display()));
    }
    let (e1, e2) = (ext1.display(), ext2.display());
    let cases = [
        "search kernel extra kernel/drivers\n".to_string(),
        "search extra\n".to_string(),
        "\n".to_string(),
        "search foobar foo\n".to_string(),
        "search foobar\nsearch foo\n".to_string(),
        format!("search external extra\nexternal 1.2.3 {e1}\nexternal 1.2.3 {e2}\n"),
        format!("search external extra\nexternal 1.2.3 {e2}\nexternal 1.2.3 {e1}\n"),
        format!("search extra external\nexternal * {e2}\n"),
        "search updates\noverride rapl * foo\noverride rapl * extra\n".to_string(),
        "search updates\noverride rapl 1.2 kernel/drivers\nbogus\n  # x\ninclude y\n".to_string(),
        "search updates\noverride rapl ^2 kernel/drivers\noverride rapl [ foo\n".to_string(),
        format!("search extra\noverride rapl * {e1}\nexternal 9 {e2}\nexternal * {e1}\n"),
    ];
    for text in &cases {
        let conf = sb.write("dconf/a.conf", text.as_bytes());
        let out = Command::new(DEPMOD)
            .arg("-b")
            .arg(sb.path("b"))
            .arg("-C")
            .arg(conf.parent().expect("dir"))
            .args(["-v", "-v", "-v", "-n", "1.2.3"])
            .output()
            .expect("run depmod");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let kmod_winner = stdout
            .lines()
            .find_map(|l| l.strip_suffix(':').filter(|p| p.ends_with("rapl.ko")))
            .unwrap_or_else(|| panic!("no rapl.ko in depmod output for {text:?}"))
            .to_string();
        let conf_name = conf.display().to_string();
        let kmod_msgs: Vec<String> = String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|l| l.contains(&conf_name) && !l.contains("DEBUG"))
            .map(|l| l.trim_start_matches("depmod: ").to_string())
            .collect();

        let mut diags = Vec::new();
        let files = list_depmod_config_files(&[sb.path("dconf")], &mut diags);
        let cfg = DepmodConfig::load(&files, "1.2.3", &mut diags);
        let mut best = &copies[0];
        for c in &copies[1..] {
            if cfg.is_higher_priority(b"rapl", c.as_bytes(), best.as_bytes()) {
                best = c;
            }
        }
        let our_msgs: Vec<String> = diags
            .iter()
            .filter(|d| d.level <= Level::Info)
            .map(|d| d.to_string())
            .collect();
        assert_eq!(*best, kmod_winner, "config {text:?}");
        assert_eq!(our_msgs, kmod_msgs, "config {text:?}");
    }
}
