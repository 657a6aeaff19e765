//! How kmod's depmod fills indexes when keys repeat, on a tree built with testkit, and that our
//! writer reproduces it: a (key, value) pair seen twice is stored twice (`depmod -w` warns
//! "duplicate module alias"); one key from several modules keeps all values in priority order.
//! Skipped (with a note) when kmod is not installed.

use std::path::Path;
use std::process::Command;

use modindex::{Index, IndexWriter};
use testkit::{ModuleBuilder, TreeBuilder};

#[test]
fn duplicate_aliases_are_stored_twice() {
    if !Path::new("/usr/bin/kmod").exists() {
        eprintln!("note: /usr/bin/kmod absent, skipping");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let a = ModuleBuilder::new("mod-a")
        .modinfo("alias", "shared")
        .modinfo("alias", "dup")
        .modinfo("alias", "dup")
        .modinfo("alias", "x-y[a-b]")
        .modinfo("alias", "bad]");
    let b = ModuleBuilder::new("mod_b").modinfo("alias", "shared");
    let tree = TreeBuilder::new(dir.path(), "1.0")
        .built("kernel", &a)
        .built("kernel/sub", &b)
        .builtin("kernel/fs/ext4.ko")
        .builtin_modinfo("ext4", "alias", "fs-ext4")
        .builtin_modinfo("ext4", "alias", "fs-ext4")
        .write()
        .unwrap();
    let out = Command::new("depmod")
        .args(["-w", "-b", tree.root.to_str().unwrap(), &tree.version])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("duplicate module alias:\ndup mod_a"),
        "{stderr}"
    );
    assert!(stderr.contains("Unmatched bracket in bad]"), "{stderr}");

    let alias = Index::open(&tree.module_dir.join("modules.alias.bin")).unwrap();
    assert_eq!(
        alias.dump_to_string().unwrap(),
        "dup mod_a\ndup mod_a\nshared mod_a\nshared mod_b\nx_y[a-b] mod_a\n"
    );
    let builtin = Index::open(&tree.module_dir.join("modules.builtin.alias.bin")).unwrap();
    assert_eq!(
        builtin.dump_to_string().unwrap(),
        "fs_ext4 ext4\nfs_ext4 ext4\n"
    );

    // Our writer, fed in depmod's order, stores the same and reports the duplicate.
    let mut w = IndexWriter::new();
    let mut duplicates = Vec::new();
    for (key, module, priority) in [
        ("shared", "mod_a", 0),
        ("dup", "mod_a", 0),
        ("dup", "mod_a", 0),
        ("x_y[a-b]", "mod_a", 0),
        ("shared", "mod_b", 1),
    ] {
        if w.insert_reporting_duplicate(key, module, priority).unwrap() {
            duplicates.push(key);
        }
    }
    assert_eq!(duplicates, ["dup"]);
    let ours = Index::from_bytes("ours", w.to_bytes()).unwrap();
    assert_eq!(
        ours.dump_to_string().unwrap(),
        alias.dump_to_string().unwrap()
    );
    assert_eq!(w.to_bytes().len(), alias.bytes().len());
    assert_eq!(
        ours.lookup_wild("shared").unwrap(),
        alias.lookup_wild("shared").unwrap()
    );
}
