//! One `kmod::Context` shared by many threads: `Context` is `Send + Sync` (its indexes are opened
//! at most once, behind `OnceLock`, and read-only afterwards), so parallel lookups — including
//! threads racing to open the same index first — must give exactly what the same lookups give on
//! one thread.

use std::path::Path;
use std::sync::{Arc, Barrier};
use std::thread;

use kmod::{Context, IndexKind, Lookup};
use modindex::IndexWriter;

const THREADS: usize = 8;
const MODULES: usize = 300;

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn library_types_are_send_and_sync() {
    assert_send_sync::<Context>();
    assert_send_sync::<kmod::ModuleRef>();
    assert_send_sync::<kmod::DepEntry>();
    assert_send_sync::<Lookup>();
    assert_send_sync::<kmod::Error>();
    assert_send_sync::<modindex::Index>();
}

/// Writes the five indexes and `modules.builtin.modinfo` for `MODULES` loadable modules (each with
/// a wildcard alias and an exported symbol) and `MODULES / 10` built-in ones.
fn write_tree(dir: &Path) {
    let mut dep = IndexWriter::new();
    let mut alias = IndexWriter::new();
    let mut symbols = IndexWriter::new();
    let mut builtin = IndexWriter::new();
    let mut builtin_alias = IndexWriter::new();
    let mut modinfo = Vec::new();
    for i in 0..MODULES {
        let name = format!("mod_{i}");
        let deps = if i > 0 {
            format!(" kernel/m/mod-{}.ko", i - 1)
        } else {
            String::new()
        };
        dep.insert(&name, &format!("kernel/m/mod-{i}.ko:{deps}"), 0)
            .unwrap();
        alias
            .insert(&format!("pci:v0000{i:04X}d*sv*sd*bc*sc*i*"), &name, 0)
            .unwrap();
        alias.insert("usb:v*p*d*", &name, i as u32).unwrap();
        symbols.insert(&format!("symbol:fn_{i}"), &name, 0).unwrap();
    }
    for i in 0..MODULES / 10 {
        let name = format!("builtin_{i}");
        builtin.insert(&name, "", 0).unwrap();
        builtin_alias
            .insert(&format!("net-pf-{i}"), &name, 0)
            .unwrap();
        modinfo
            .extend_from_slice(format!("{name}.license=GPL\0{name}.alias=net-pf-{i}\0").as_bytes());
    }
    for (kind, writer) in [
        (IndexKind::Dep, dep),
        (IndexKind::Alias, alias),
        (IndexKind::Symbols, symbols),
        (IndexKind::Builtin, builtin),
        (IndexKind::BuiltinAlias, builtin_alias),
    ] {
        std::fs::write(dir.join(kind.file_name()), writer.to_bytes()).unwrap();
    }
    std::fs::write(dir.join("modules.builtin.modinfo"), modinfo).unwrap();
}

/// The names looked up: module names (with `-`), aliases, symbols, built-ins, misses.
fn queries() -> Vec<String> {
    let mut q = Vec::new();
    for i in 0..MODULES {
        q.push(format!("mod-{i}"));
        q.push(format!(
            "pci:v0000{i:04X}d00001234sv00000000sd00000000bc02sc00i00"
        ));
        q.push(format!("symbol:fn_{i}"));
    }
    for i in 0..MODULES / 10 {
        q.push(format!("builtin_{i}"));
        q.push(format!("net-pf-{i}"));
    }
    q.extend([
        "usb:v1234p5678d0100".to_string(),
        "nothing".into(),
        "bad[".into(),
    ]);
    q
}

/// Everything the library answers for one query, in a comparable form.
fn answer(ctx: &Context, query: &str) -> String {
    let lookup = ctx.lookup_indexes(query).map_err(|e| e.to_string());
    let by_name = ctx.lookup_name(query).map_err(|e| e.to_string());
    let info = ctx
        .builtin_info(query)
        .map(|i| i.len())
        .map_err(|e| e.to_string());
    format!("{lookup:?}|{by_name:?}|{info:?}")
}

#[test]
fn parallel_lookups_on_one_context_match_sequential_ones() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path());
    let queries = queries();
    let expected: Vec<String> = {
        let ctx = Context::with_dirname(dir.path().to_path_buf(), "1.0".into());
        queries.iter().map(|q| answer(&ctx, q)).collect()
    };
    // The answers are real: the alias matching every module and a dependency chain came back.
    assert!(expected[1].contains("mod_0") && expected.iter().any(|a| a.contains("builtin: true")));
    // A fresh context: no index is open yet, so the threads race to open each one.
    let ctx = Arc::new(Context::with_dirname(
        dir.path().to_path_buf(),
        "1.0".into(),
    ));
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let ctx = Arc::clone(&ctx);
            let start = Arc::clone(&start);
            let queries = queries.clone();
            thread::spawn(move || {
                start.wait();
                // Each thread walks the queries from a different offset, twice.
                let n = queries.len();
                let mut got = vec![String::new(); n];
                for round in 0..2 {
                    for k in 0..n {
                        let i = (k + t * n / THREADS + round) % n;
                        got[i] = answer(&ctx, &queries[i]);
                    }
                }
                got
            })
        })
        .collect();
    for (t, handle) in handles.into_iter().enumerate() {
        let got = handle.join().expect("thread panicked");
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            assert_eq!(g, e, "thread {t}, query {}", queries[i]);
        }
    }
}

#[test]
fn scoped_threads_share_a_borrowed_context() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path());
    let ctx = Context::with_dirname(dir.path().to_path_buf(), "1.0".into());
    ctx.load_indexes().unwrap();
    let counts: Vec<usize> = thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let ctx = &ctx;
                s.spawn(move || {
                    (0..MODULES)
                        .filter(|i| i % THREADS == t)
                        .filter(|i| {
                            let dep = ctx.dep_entry(&format!("mod_{i}")).unwrap().unwrap();
                            dep.deps.len() == usize::from(*i > 0)
                        })
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(counts.iter().sum::<usize>(), MODULES);
}
