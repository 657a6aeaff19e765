//! Checks against the real Debian 6.1 module tree and kmod 30's indexes of it (skipped, with a note,
//! where the tree or kmod's tools are not installed):
//! * our reader returns, for every line of modules.dep/alias/symbols, what the text files say;
//! * indexes written by us from the text files have exactly kmod's trie shape (node by node) and dump;
//! * kmod 30's `modprobe` reading our files answers `-R` and `--show-depends` as with kmod's files;
//! * `lookup_wild` resolves ~500 real modaliases exactly as `modprobe -R` does.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use modindex::{Index, IndexWriter};
use modname::{alias_normalize, modname_normalize};

/// Where the real tree's module directory is expected (see [`tree`]).
fn tree_dir() -> PathBuf {
    std::env::var_os("KMOD_TEST_TREE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/cache/plain/lib/modules/6.1.0-56-amd64"))
}

/// The kernel release of the real tree (its module directory's name).
fn version() -> String {
    tree_dir()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The root of the real tree (`<root>/lib/modules/<version>`).
fn root() -> PathBuf {
    tree_dir()
        .ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The module directory of the real tree: `$KMOD_TEST_TREE` (`<root>/lib/modules/<version>`, set by
/// tests/run-all.sh from tests/diff/setup-tree.sh) or the developers' default cache.
fn tree() -> Option<PathBuf> {
    let dir = tree_dir();
    if dir.join("modules.dep.bin").is_file() {
        Some(dir)
    } else {
        eprintln!("note: {} not present, skipping", dir.display());
        None
    }
}

fn have_modprobe() -> bool {
    let ok = Path::new("/usr/bin/kmod").exists()
        && Command::new("modprobe").arg("--version").output().is_ok();
    if !ok {
        eprintln!("note: kmod's modprobe not installed, skipping");
    }
    ok
}

fn text(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

/// `alias <pattern> <module>` lines of a text file.
fn alias_lines(s: &str) -> Vec<(String, String)> {
    s.lines()
        .filter_map(|l| l.strip_prefix("alias "))
        .map(|l| {
            let (a, m) = l.rsplit_once(' ').unwrap();
            (a.to_string(), m.to_string())
        })
        .collect()
}

/// modules.dep lines with their module names, in file order (= module index).
fn dep_lines(dir: &Path) -> Vec<(String, String)> {
    text(dir, "modules.dep")
        .lines()
        .map(|l| {
            let path = l.split(':').next().unwrap();
            (modname_normalize(path), l.to_string())
        })
        .collect()
}

/// Builds all five indexes from the text inputs the way depmod fills them.
fn write_indexes(dir: &Path) -> BTreeMap<&'static str, Vec<u8>> {
    let deps = dep_lines(dir);
    let position: HashMap<&str, u32> = deps
        .iter()
        .enumerate()
        .map(|(i, (m, _))| (m.as_str(), i as u32))
        .collect();
    let mut out = BTreeMap::new();

    let mut w = IndexWriter::new();
    for (i, (name, line)) in deps.iter().enumerate() {
        w.insert(name, line, i as u32).unwrap();
    }
    out.insert("modules.dep.bin", w.to_bytes());

    let mut w = IndexWriter::new();
    for (alias, module) in alias_lines(&text(dir, "modules.alias")) {
        if let Ok(key) = alias_normalize(&alias) {
            w.insert(&key, &module, position[module.as_str()]).unwrap();
        }
    }
    out.insert("modules.alias.bin", w.to_bytes());

    let mut w = IndexWriter::new();
    for (sym, module) in alias_lines(&text(dir, "modules.symbols")) {
        w.insert(&sym, &module, position[module.as_str()]).unwrap();
    }
    out.insert("modules.symbols.bin", w.to_bytes());

    let mut w = IndexWriter::new();
    for line in text(dir, "modules.builtin").lines() {
        w.insert(&modname_normalize(line), "", 0).unwrap();
    }
    out.insert("modules.builtin.bin", w.to_bytes());

    let mut w = IndexWriter::new();
    let modinfo = std::fs::read(dir.join("modules.builtin.modinfo")).unwrap();
    for record in modinfo.split(|&b| b == 0) {
        let record = std::str::from_utf8(record).unwrap();
        if let Some((module, value)) = record.split_once(".alias=") {
            if let Ok(key) = alias_normalize(value) {
                w.insert(&key, module, 0).unwrap();
            }
        }
    }
    out.insert("modules.builtin.alias.bin", w.to_bytes());
    out
}

#[test]
fn kmod_indexes_agree_with_text_files() {
    let Some(dir) = tree() else { return };
    let dep = Index::open(&dir.join("modules.dep.bin")).unwrap();
    for (name, line) in dep_lines(&dir) {
        assert_eq!(
            dep.lookup(&name).unwrap().as_deref(),
            Some(line.as_str()),
            "{name}"
        );
    }
    let alias = Index::open(&dir.join("modules.alias.bin")).unwrap();
    let mut checked = 0;
    for (pattern, module) in alias_lines(&text(&dir, "modules.alias")) {
        let Ok(key) = alias_normalize(&pattern) else {
            continue;
        };
        let values = alias.lookup_values(&key).unwrap();
        assert!(
            values.iter().any(|v| v.value == module),
            "{pattern} {module}"
        );
        checked += 1;
    }
    assert!(checked > 26000, "{checked}");
    let symbols = Index::open(&dir.join("modules.symbols.bin")).unwrap();
    for (sym, module) in alias_lines(&text(&dir, "modules.symbols")) {
        assert_eq!(
            symbols.lookup(&sym).unwrap().as_deref(),
            Some(module.as_str())
        );
    }
    let builtin = Index::open(&dir.join("modules.builtin.bin")).unwrap();
    for line in text(&dir, "modules.builtin").lines() {
        assert_eq!(
            builtin.lookup(&modname_normalize(line)).unwrap().as_deref(),
            Some("")
        );
    }
}

/// A node of a trie decoded by this test's own minimal parser (independent of the crate's reader).
#[derive(Debug, PartialEq)]
struct RawNode {
    prefix: Vec<u8>,
    child_range: Option<(u8, u8)>,
    children: Vec<(u8, u32)>,
    values: Vec<(u32, Vec<u8>)>,
}

fn be32(d: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(d[at..at + 4].try_into().unwrap())
}

fn raw_node(d: &[u8], word: u32) -> RawNode {
    let mut at = (word & 0x0fff_ffff) as usize;
    let mut n = RawNode {
        prefix: Vec::new(),
        child_range: None,
        children: Vec::new(),
        values: Vec::new(),
    };
    if word & 0x8000_0000 != 0 {
        let end = at + d[at..].iter().position(|&b| b == 0).unwrap();
        n.prefix = d[at..end].to_vec();
        at = end + 1;
    }
    if word & 0x2000_0000 != 0 {
        let (first, last) = (d[at], d[at + 1]);
        n.child_range = Some((first, last));
        at += 2;
        for ch in first..=last {
            let w = be32(d, at);
            at += 4;
            if w != 0 {
                n.children.push((ch, w));
            }
        }
    }
    if word & 0x4000_0000 != 0 {
        let count = be32(d, at);
        at += 4;
        for _ in 0..count {
            let prio = be32(d, at);
            let end = at + 4 + d[at + 4..].iter().position(|&b| b == 0).unwrap();
            n.values.push((prio, d[at + 4..end].to_vec()));
            at = end + 1;
        }
    }
    n
}

/// Compares two tries node by node (flags, prefix, child range and edges, values); returns the number
/// of nodes compared, and whether `ours` is laid out in pre-order.
fn compare_tries(ours: &[u8], theirs: &[u8]) -> (usize, bool) {
    let mut stack = vec![(be32(ours, 8), be32(theirs, 8), String::new())];
    let mut nodes = 0;
    let mut expected_offset = 12u32;
    let mut pre_order = true;
    while let Some((a, b, path)) = stack.pop() {
        nodes += 1;
        assert_eq!(a >> 28, b >> 28, "flags differ at key {path:?}");
        pre_order &= a & 0x0fff_ffff == expected_offset;
        let (na, nb) = (raw_node(ours, a), raw_node(theirs, b));
        assert_eq!(na.prefix, nb.prefix, "prefix at {path:?}");
        assert_eq!(na.child_range, nb.child_range, "child range at {path:?}");
        assert_eq!(na.values, nb.values, "values at {path:?}");
        let edges_a: Vec<u8> = na.children.iter().map(|c| c.0).collect();
        let edges_b: Vec<u8> = nb.children.iter().map(|c| c.0).collect();
        assert_eq!(edges_a, edges_b, "edges at {path:?}");
        expected_offset = next_offset(ours, a);
        for (&(ch, wa), &(_, wb)) in na.children.iter().zip(&nb.children).rev() {
            let mut p = path.clone();
            p.push(ch as char);
            p.push_str(&String::from_utf8_lossy(&raw_node(ours, wa).prefix));
            stack.push((wa, wb, p));
        }
    }
    (nodes, pre_order)
}

/// Offset just after the node `word` points to.
fn next_offset(d: &[u8], word: u32) -> u32 {
    let n = raw_node(d, word);
    let mut len = 0;
    if word & 0x8000_0000 != 0 {
        len += n.prefix.len() + 1;
    }
    if let Some((f, l)) = n.child_range {
        len += 2 + 4 * (usize::from(l) - usize::from(f) + 1);
    }
    if word & 0x4000_0000 != 0 {
        len += 4 + n.values.iter().map(|v| 5 + v.1.len()).sum::<usize>();
    }
    (word & 0x0fff_ffff) + len as u32
}

#[test]
fn written_indexes_have_kmods_shape_and_content() {
    let Some(dir) = tree() else { return };
    for (name, ours) in write_indexes(&dir) {
        let theirs = std::fs::read(dir.join(name)).unwrap();
        let (nodes, pre_order) = compare_tries(&ours, &theirs);
        assert!(pre_order, "{name} is not in pre-order");
        assert!(nodes > 10, "{name}: {nodes}");
        let a = Index::from_bytes(name, ours.clone()).unwrap();
        let b = Index::from_bytes(name, theirs.clone()).unwrap();
        assert_eq!(
            a.dump_to_string().unwrap(),
            b.dump_to_string().unwrap(),
            "{name}"
        );
        // kmod 30 writes post-order, so the sizes agree but the bytes do not.
        assert_eq!(ours.len(), theirs.len(), "{name}");
        eprintln!(
            "{name}: {nodes} nodes, {} bytes, same shape as kmod's",
            ours.len()
        );
    }
}

/// Runs kmod's modprobe on `root` without any configuration; returns stdout with `root` replaced
/// by `<root>`.
fn modprobe(root: &Path, args: &[&str]) -> String {
    let empty = std::env::temp_dir().join("modindex-empty-config");
    std::fs::create_dir_all(&empty).unwrap();
    let out = Command::new("modprobe")
        .arg("-C")
        .arg(&empty)
        .arg("-d")
        .arg(root)
        .args(["-S", &version()])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    stdout.replace(root.to_str().unwrap(), "<root>")
}

/// A fake root whose module directory links to the real modules and holds our indexes.
fn root_with_our_indexes(dir: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let moddir = tmp.path().join("lib/modules").join(version());
    std::fs::create_dir_all(&moddir).unwrap();
    std::os::unix::fs::symlink(dir.join("kernel"), moddir.join("kernel")).unwrap();
    for name in [
        "modules.softdep",
        "modules.builtin.modinfo",
        "modules.builtin",
    ] {
        std::fs::copy(dir.join(name), moddir.join(name)).unwrap();
    }
    for (name, bytes) in write_indexes(dir) {
        std::fs::write(moddir.join(name), bytes).unwrap();
    }
    tmp
}

/// A concrete modalias matched by `pattern`: `*` → "00", `?` → "0", `[set]` → its first member.
fn instance(pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push_str("00"),
            '?' => out.push('0'),
            '[' => {
                let mut first = None;
                for m in chars.by_ref() {
                    if m == ']' {
                        break;
                    }
                    if first.is_none() && m != '!' && m != '^' {
                        first = Some(m);
                    }
                }
                out.extend(first);
            }
            c => out.push(c),
        }
    }
    out
}

#[test]
fn modprobe_answers_the_same_from_our_indexes() {
    let Some(dir) = tree() else { return };
    if !have_modprobe() {
        return;
    }
    let ours = root_with_our_indexes(&dir);
    let theirs = root();
    let theirs = theirs.as_path();
    let aliases = alias_lines(&text(&dir, "modules.alias"));
    let mut queries: Vec<Vec<String>> = Vec::new();
    for (pattern, _) in aliases.iter().step_by(97) {
        queries.push(vec!["-R".into(), instance(pattern)]);
    }
    for (name, _) in dep_lines(&dir).iter().step_by(41) {
        queries.push(vec!["--show-depends".into(), name.clone()]);
    }
    for q in [
        "symbol:drm_need_swiotlb",
        "fs-ext4",
        "crypto-aes",
        "char-major-10-229",
        "ext4",
    ] {
        queries.push(vec!["-R".into(), q.into()]);
    }
    let mut nonempty = 0;
    for q in &queries {
        let args: Vec<&str> = q.iter().map(String::as_str).collect();
        let want = modprobe(theirs, &args);
        assert_eq!(modprobe(ours.path(), &args), want, "{q:?}");
        nonempty += usize::from(!want.is_empty());
    }
    assert!(
        nonempty > queries.len() * 9 / 10,
        "{nonempty} of {}",
        queries.len()
    );
}

/// libkmod's lookup chain without configuration (tools.md §5.2), on our reader.
fn resolve(dir: &Path, input: &str) -> Vec<String> {
    let open = |n: &str| Index::open(&dir.join(n)).unwrap();
    let Ok(name) = alias_normalize(input) else {
        return Vec::new();
    };
    if !name.contains(':') && open("modules.dep.bin").lookup(&name).unwrap().is_some() {
        return vec![name];
    }
    let from = |n: &str| -> Vec<String> {
        open(n)
            .lookup_wild(&name)
            .unwrap()
            .into_iter()
            .map(|v| v.value)
            .collect()
    };
    if name.starts_with("symbol:") {
        let found = from("modules.symbols.bin");
        if !found.is_empty() {
            return found;
        }
    }
    let found = from("modules.alias.bin");
    if !found.is_empty() {
        return found;
    }
    if open("modules.builtin.bin").lookup(&name).unwrap().is_some() {
        return vec![name];
    }
    from("modules.builtin.alias.bin")
}

#[test]
fn lookup_wild_resolves_real_modaliases_like_modprobe() {
    let Some(dir) = tree() else { return };
    if !have_modprobe() {
        return;
    }
    let aliases = alias_lines(&text(&dir, "modules.alias"));
    let mut multi = 0;
    let mut count = 0;
    for (pattern, _) in aliases.iter().step_by(aliases.len() / 500) {
        let input = instance(pattern);
        let want: Vec<String> = modprobe(&root(), &["-R", &input])
            .lines()
            .map(str::to_string)
            .collect();
        let got = resolve(&dir, &input);
        assert_eq!(got, want, "{pattern} -> {input}");
        multi += usize::from(want.len() > 1);
        count += 1;
    }
    assert!(count >= 500, "{count}");
    eprintln!("{count} modaliases resolved like modprobe -R; {multi} with several modules");
}
