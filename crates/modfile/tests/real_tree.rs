//! Checks against a real module tree and the installed kmod tools.
//!
//! The tree is `$KMOD_TEST_TREE` or `/work/cache/plain/lib/modules/6.1.0-56-amd64` (a module
//! directory with kmod's `modules.dep`). Tests print a note and pass when the tree (or, for the
//! comparisons, `modprobe`/`modinfo`) is absent. Set `KMOD_TEST_ALL=1` to compare every module
//! instead of a sample of about 50.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use modfile::{
    Compression, ModuleFile, KSYMTAB_STRINGS_SECTION, MODINFO_SECTION, VERSIONS_SECTION,
};

const DEFAULT_TREE: &str = "/work/cache/plain/lib/modules/6.1.0-56-amd64";

fn tree() -> Option<PathBuf> {
    let dir = std::env::var_os("KMOD_TEST_TREE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_TREE));
    if dir.join("kernel").is_dir() {
        Some(dir)
    } else {
        eprintln!("note: no module tree at {} — skipping", dir.display());
        None
    }
}

fn have_tool(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("note: {tool} not available — skipping");
    }
    ok
}

fn modules(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            modules(&path, out);
        } else if path.to_string_lossy().ends_with(".ko") {
            out.push(path);
        }
    }
}

fn all_modules(tree: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    modules(&tree.join("kernel"), &mut out);
    out
}

/// About 50 modules spread over the tree, plus a few with known traits (every module when
/// `KMOD_TEST_ALL` is set).
fn sample(tree: &Path) -> Vec<PathBuf> {
    let all = all_modules(tree);
    if std::env::var_os("KMOD_TEST_ALL").is_some() {
        return all;
    }
    let step = (all.len() / 50).max(1);
    let mut picked: Vec<PathBuf> = all.iter().step_by(step).cloned().collect();
    for known in [
        "kernel/fs/jbd2/jbd2.ko",      // exports with CRCs in __kcrctab
        "kernel/fs/ext4/ext4.ko",      // exports nothing
        "kernel/drivers/net/dummy.ko", // small
    ] {
        let p = tree.join(known);
        if p.exists() && !picked.contains(&p) {
            picked.push(p);
        }
    }
    picked
}

/// stdout of a command, or `None` if it failed.
fn run(cmd: &str, args: &[&str], path: &Path) -> Option<Vec<u8>> {
    let out = Command::new(cmd).args(args).arg(path).output().unwrap();
    out.status.success().then_some(out.stdout)
}

#[test]
fn versions_match_modprobe_dump_modversions() {
    let Some(tree) = tree() else { return };
    if !have_tool("modprobe") {
        return;
    }
    for path in sample(&tree) {
        let m = ModuleFile::open(&path).unwrap();
        let elf = m.elf().unwrap();
        let expected = run("modprobe", &["--dump-modversions"], &path);
        if !elf.has_section(VERSIONS_SECTION) {
            assert_eq!(expected, None, "{}", path.display());
            continue;
        }
        let mut ours = Vec::new();
        for v in elf.versions().unwrap() {
            writeln!(ours, "0x{:08x}\t{}", v.crc, v.name).unwrap();
        }
        let expected = expected.unwrap_or_else(|| panic!("modprobe failed on {}", path.display()));
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&expected),
            "{}",
            path.display()
        );
    }
}

#[test]
fn exports_match_modprobe_show_exports() {
    let Some(tree) = tree() else { return };
    if !have_tool("modprobe") {
        return;
    }
    let mut with_exports = 0;
    for path in sample(&tree) {
        let m = ModuleFile::open(&path).unwrap();
        let elf = m.elf().unwrap();
        let exports = elf.exported_symbols().unwrap();
        let expected = run("modprobe", &["--show-exports"], &path);
        if exports.is_empty() && !elf.has_section(KSYMTAB_STRINGS_SECTION) {
            assert_eq!(expected, None, "{}", path.display());
            continue;
        }
        with_exports += 1;
        let mut ours = Vec::new();
        for s in &exports {
            writeln!(ours, "0x{:08x}\t{}", s.crc, s.name).unwrap();
        }
        let expected = expected.unwrap_or_else(|| panic!("modprobe failed on {}", path.display()));
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&expected),
            "{}",
            path.display()
        );
    }
    assert!(with_exports >= 5, "sample should include exporting modules");
}

/// `modinfo -0 -F <field>` values, split at NUL.
fn modinfo_field(path: &Path, field: &str) -> Vec<Vec<u8>> {
    let out = run("modinfo", &["-0", "-F", field], path).unwrap();
    out.split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

fn hex(bytes: &[u8]) -> Vec<u8> {
    let mut s = String::new();
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 20 == 0 {
            s.push_str("\n\t\t");
        }
        s.push_str(&format!("{b:02X}"));
        if i + 1 < bytes.len() {
            s.push(':');
        }
    }
    s.into_bytes()
}

#[test]
fn modinfo_and_signature_match_modinfo_tool() {
    let Some(tree) = tree() else { return };
    if !have_tool("modinfo") {
        return;
    }
    for path in sample(&tree).into_iter().step_by(3) {
        let m = ModuleFile::open(&path).unwrap();
        let elf = m.elf().unwrap();
        let entries = elf.modinfo().unwrap();
        for field in ["alias", "depends", "vermagic", "name", "license"] {
            let ours: Vec<Vec<u8>> = entries
                .iter()
                .filter(|e| e.key == field.as_bytes() && !e.value.is_empty())
                .map(|e| e.value.to_vec())
                .collect();
            assert_eq!(
                ours,
                modinfo_field(&path, field),
                "{} {field}",
                path.display()
            );
        }
        let sig = m.signature().expect("Debian modules are signed");
        let fields: [(&str, Vec<u8>); 5] = [
            ("sig_id", sig.id_type.to_string().into_bytes()),
            ("signer", sig.signer.clone()),
            ("sig_key", hex(&sig.key_id)),
            ("sig_hashalgo", sig.hash_algo.clone().into_bytes()),
            ("signature", hex(&sig.signature)),
        ];
        for (field, ours) in fields {
            assert_eq!(
                vec![ours],
                modinfo_field(&path, field),
                "{} {field}",
                path.display()
            );
        }
    }
}

/// Module name as depmod derives it from a path.
fn modname(path: &str) -> String {
    let base = path.rsplit('/').next().unwrap_or(path);
    base.split('.').next().unwrap_or(base).replace('-', "_")
}

/// Every module parses, and the dependencies implied by our exported and dependency symbols
/// reproduce kmod's modules.dep (transitive closure) for the whole tree.
#[test]
fn whole_tree_parses_and_reproduces_modules_dep() {
    let Some(tree) = tree() else { return };
    let Ok(dep_text) = std::fs::read_to_string(tree.join("modules.dep")) else {
        eprintln!("note: no modules.dep in {} — skipping", tree.display());
        return;
    };
    let mut owner: HashMap<String, String> = HashMap::new();
    let mut needs: HashMap<String, Vec<String>> = HashMap::new();
    for path in all_modules(&tree) {
        let rel = path
            .strip_prefix(&tree)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let m = ModuleFile::open(&path).unwrap();
        let elf = m.elf().unwrap();
        assert!(elf.has_section(MODINFO_SECTION));
        assert!(!elf.modinfo().unwrap().is_empty());
        assert!(m.signature().is_some(), "{rel}");
        elf.versions().unwrap();
        let name = modname(&rel);
        for s in elf.exported_symbols().unwrap() {
            owner.insert(s.name, name.clone());
        }
        let deps = elf.dependency_symbols().unwrap();
        needs.insert(name, deps.into_iter().map(|d| d.name).collect());
    }
    let direct: HashMap<&str, BTreeSet<&str>> = needs
        .iter()
        .map(|(m, syms)| {
            let providers = syms
                .iter()
                .filter_map(|s| owner.get(s).map(String::as_str))
                .filter(|o| o != m)
                .collect();
            (m.as_str(), providers)
        })
        .collect();
    let closure = |start: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&str> = direct.get(start).into_iter().flatten().copied().collect();
        while let Some(m) = stack.pop() {
            if seen.insert(m.to_string()) {
                stack.extend(direct.get(m).into_iter().flatten().copied());
            }
        }
        seen
    };
    let mut checked = 0;
    for line in dep_text.lines() {
        let (module, deps) = line.split_once(':').unwrap();
        let want: BTreeSet<String> = deps.split_whitespace().map(modname).collect();
        assert_eq!(closure(&modname(module)), want, "{module}");
        checked += 1;
    }
    assert_eq!(checked, needs.len());
}

#[test]
fn compressed_copies_give_the_same_image_and_kmod_agrees() {
    let Some(tree) = tree() else { return };
    let dir = tempfile::tempdir().unwrap();
    let kmod = have_tool("modprobe");
    for rel in ["kernel/fs/jbd2/jbd2.ko", "kernel/drivers/net/dummy.ko"] {
        let path = tree.join(rel);
        let Ok(plain) = std::fs::read(&path) else {
            continue;
        };
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&plain).unwrap();
        let mut xz = xz2::write::XzEncoder::new(Vec::new(), 6);
        xz.write_all(&plain).unwrap();
        let copies = [
            ("m.ko.gz", Compression::Gzip, gz.finish().unwrap()),
            ("m.ko.xz", Compression::Xz, xz.finish().unwrap()),
            (
                "m.ko.zst",
                Compression::Zstd,
                zstd::stream::encode_all(&plain[..], 3).unwrap(),
            ),
        ];
        let original = ModuleFile::open(&path).unwrap();
        let original_versions = original.elf().unwrap().versions().unwrap();
        for (name, compression, data) in copies {
            let copy = dir.path().join(name);
            std::fs::write(&copy, &data).unwrap();
            let m = ModuleFile::open(&copy).unwrap();
            assert_eq!(m.compression(), compression);
            assert_eq!(m.image(), &plain[..]);
            assert_eq!(m.signature(), original.signature());
            let versions = m.elf().unwrap().versions().unwrap();
            assert_eq!(versions, original_versions);
            // Debian's kmod 30 reads xz and zstd (not gzip).
            if kmod && compression != Compression::Gzip {
                let expected = run("modprobe", &["--dump-modversions"], &copy).unwrap();
                let mut ours = Vec::new();
                for v in &versions {
                    writeln!(ours, "0x{:08x}\t{}", v.crc, v.name).unwrap();
                }
                assert_eq!(ours, expected, "{rel} as {name}");
            }
        }
    }
}

/// `open_sections` (positioned reads of the needed ranges) gives every module's `.modinfo`,
/// signature and section-table end exactly as reading the whole file does.
#[test]
fn partial_reads_match_whole_files_on_every_module() {
    let Some(tree) = tree() else { return };
    let limits = modfile::DecompressLimits::default();
    for path in all_modules(&tree) {
        let whole = ModuleFile::open(&path).unwrap();
        let part = ModuleFile::open_sections(&path, &[MODINFO_SECTION], &limits).unwrap();
        let (we, pe) = (whole.elf().unwrap(), part.elf().unwrap());
        assert_eq!(
            we.section(MODINFO_SECTION),
            pe.section(MODINFO_SECTION),
            "{}",
            path.display()
        );
        assert_eq!(we.section_table_end(), pe.section_table_end());
        assert_eq!(whole.signature(), part.signature(), "{}", path.display());
        assert_eq!(
            whole.truncated_signature(&we),
            part.truncated_signature(&pe)
        );
    }
}
