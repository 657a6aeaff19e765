//! Crash safety of depmod: depmod is killed (SIGKILL) at random moments, at least 100 times and
//! many of them while it writes its outputs, alternating between two module sets A and B. After
//! every kill, each `modules.*` file present must be byte for byte A's or B's complete output —
//! old or new, never torn — and a `modprobe` reading the directory all along must only ever
//! answer as on A or as on B (never a corrupt or half-written index).
//!
//! `DEPMOD_KILLS` sets the number of kills (default 100), `DEPMOD_KILL_SEED` the random seed
//! (default: from the clock; printed so that a failure can be replayed).

#[path = "hostile/support.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use support::{modprobe_in, Cases, DEPMOD, VERSION};
use testkit::{ModuleBuilder, TreeBuilder};

/// Modules in each set (enough for the outputs to take a while to write).
const MODULES: usize = 500;

/// The complete outputs of one module set: file name → contents.
type Outputs = BTreeMap<String, Vec<u8>>;

/// xorshift64*.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Module `i` of set `b` (B renames every 7th module, changes dependencies, aliases, exports).
fn module(i: usize, b: bool) -> ModuleBuilder {
    let name = if b && i % 7 == 3 {
        format!("kill_b_{i}")
    } else {
        format!("kill_{i}")
    };
    let mut m = support::module(&name)
        .export(&format!("kill_fn_{i}"), 0x1000 + i as u32)
        .modinfo("alias", &format!("pci:v0000{i:04X}d*sv*sd*bc*sc*i*"))
        .modinfo(
            "alias",
            &format!("of:N*T*Ckill,{i}{}", if b { "b" } else { "" }),
        )
        .modinfo("alias", &format!("kill-alias-{i}"));
    for k in 0..8 {
        m = m.export(
            &format!("kill_extra_{i}_{k}{}", if b { "_b" } else { "" }),
            k,
        );
    }
    if i > 0 {
        let dep = if b && i > 1 { i - 2 } else { i - 1 };
        m = m.undefined(&format!("kill_fn_{dep}"));
    }
    m
}

/// Module sets A and B written once, as templates to copy into the live tree.
struct Sets {
    a: PathBuf,
    b: PathBuf,
}

impl Sets {
    /// Writes both sets under `dir/A` and `dir/B`.
    fn new(dir: &Path) -> Sets {
        let write = |name: &str, b: bool| {
            let mut tree = TreeBuilder::new(dir.join(name), VERSION);
            for i in 0..MODULES {
                tree = tree.built(&format!("kernel/d{}", i % 10), &module(i, b));
            }
            tree.write().expect("write tree").module_dir
        };
        Sets {
            a: write("A", false),
            b: write("B", true),
        }
    }

    /// Makes the live tree under `root` hold set A or B: its modules and kernel-provided files
    /// (depmod's outputs of earlier runs stay).
    fn install(&self, root: &Path, b: bool) -> PathBuf {
        let from = if b { &self.b } else { &self.a };
        let to = root.join("lib/modules").join(VERSION);
        let _ = std::fs::remove_dir_all(to.join("kernel"));
        copy_tree(&from.join("kernel"), &to.join("kernel"));
        for file in [
            "modules.order",
            "modules.builtin",
            "modules.builtin.modinfo",
        ] {
            std::fs::copy(from.join(file), to.join(file)).expect("copy kernel file");
        }
        to
    }
}

/// Copies directory `from` to `to` recursively.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy module");
        }
    }
}

/// The `modules.*` files of `dir` (temporary files of an interrupted depmod start with a dot).
fn outputs(dir: &Path) -> Outputs {
    std::fs::read_dir(dir)
        .expect("read module dir")
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let keep = name.starts_with("modules.")
                && !matches!(
                    name.as_str(),
                    "modules.order" | "modules.builtin" | "modules.builtin.modinfo"
                );
            keep.then(|| (name, std::fs::read(e.path()).expect("read output")))
        })
        .collect()
}

/// Leftover temporary files of killed runs.
fn temporaries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .expect("read module dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(".tmp"))
        })
        .collect()
}

fn depmod(root: &Path) -> Command {
    let mut cmd = Command::new(DEPMOD);
    cmd.args([OsStr::new("-b"), root.as_os_str(), OsStr::new(VERSION)])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// The inode of every output: depmod renames a new file over the old one, so a changed inode
/// means the output was republished.
fn inodes(dir: &Path) -> BTreeMap<String, u64> {
    outputs(dir)
        .into_keys()
        .filter_map(|name| {
            let meta = std::fs::metadata(dir.join(&name)).ok()?;
            Some((name, std::os::unix::fs::MetadataExt::ino(&meta)))
        })
        .collect()
}

/// How many outputs were republished since `before`.
fn republished(dir: &Path, before: &BTreeMap<String, u64>) -> usize {
    inodes(dir)
        .iter()
        .filter(|(name, ino)| before.get(*name) != Some(ino))
        .count()
}

/// Timings of one complete run.
#[derive(Debug, Clone, Copy)]
struct Timing {
    /// From start to exit.
    total: Duration,
    /// From the first output republished to the last.
    publishing: Duration,
}

/// Runs depmod to completion on set `b`, watching when its outputs are republished; returns
/// the outputs and the timings.
fn complete_run(sets: &Sets, root: &Path, b: bool) -> (Outputs, Timing) {
    let dir = sets.install(root, b);
    let before = inodes(&dir);
    let start = Instant::now();
    let mut child = depmod(root).spawn().expect("run depmod");
    let (mut first, mut last) = (None, Duration::ZERO);
    let mut seen = 0;
    let status = loop {
        let now = republished(&dir, &before);
        if now > seen {
            seen = now;
            first.get_or_insert(start.elapsed());
            last = start.elapsed();
        }
        if let Some(status) = child.try_wait().expect("wait for depmod") {
            break status;
        }
    };
    assert!(
        status.success(),
        "depmod failed on set {}",
        if b { 'B' } else { 'A' }
    );
    let timing = Timing {
        total: start.elapsed(),
        publishing: last.saturating_sub(first.unwrap_or(last)),
    };
    (outputs(&dir), timing)
}

/// What modprobe answers to the reader's questions (each reads one index).
fn reader_queries() -> Vec<Vec<&'static str>> {
    vec![
        vec!["-D", "kill_200"],
        vec!["-D", "kill_399"],
        vec!["-R", "kill-alias-123"],
        vec!["-R", "pci:v000000FFd00000001sv0sd0bc0sc0i0"],
        vec!["-R", "symbol:kill_fn_77"],
    ]
}

fn ask(root: &Path, conf: &Path, query: &[&str]) -> String {
    let r = modprobe_in(root, conf, query);
    format!("exit {:?}\n{}{}", r.code, r.out(), r.stderr)
}

#[test]
fn killed_depmod_leaves_old_or_new_files_never_torn() {
    let kills: usize = std::env::var("DEPMOD_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let seed = std::env::var("DEPMOD_KILL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    println!("depmod kill test: seed {seed} (DEPMOD_KILL_SEED={seed} replays it)");
    let mut rng = Rng(seed);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let conf = tmp.path().join("conf");
    std::fs::create_dir_all(&conf).unwrap();

    // The two complete outputs, and what modprobe answers on each.
    let sets = Sets::new(&tmp.path().join("sets"));
    let (out_b, _) = complete_run(&sets, &root, true);
    let answers_b: Vec<String> = reader_queries()
        .iter()
        .map(|q| ask(&root, &conf, q))
        .collect();
    let (out_a, _) = complete_run(&sets, &root, false);
    // How long a run and its publishing phase take when the files are cached: the fastest of a
    // few runs.
    let timings: Vec<Timing> = (0..4)
        .map(|i| complete_run(&sets, &root, i % 2 == 0).1)
        .collect();
    let took = timings.iter().map(|t| t.total).min().unwrap_or_default();
    let publishing = timings
        .iter()
        .map(|t| t.publishing)
        .min()
        .unwrap_or_default();
    let answers_a: Vec<String> = reader_queries()
        .iter()
        .map(|q| ask(&root, &conf, q))
        .collect();
    let dir = root.join("lib/modules").join(VERSION);
    assert_eq!(
        out_a.keys().collect::<Vec<_>>(),
        out_b.keys().collect::<Vec<_>>()
    );
    let differing: BTreeSet<&String> = out_a.keys().filter(|k| out_a[*k] != out_b[*k]).collect();
    assert!(
        differing.len() >= 6,
        "A and B must differ in most outputs: {differing:?}"
    );
    assert!(answers_a.iter().zip(&answers_b).any(|(a, b)| a != b));
    println!("depmod kill test: a complete run takes {took:?}, publishing {publishing:?} of it");

    // The reader: asks its questions over and over while depmod runs and dies.
    let stop = Arc::new(AtomicBool::new(false));
    let bad_answers = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let (stop, bad) = (Arc::clone(&stop), Arc::clone(&bad_answers));
        let (root, conf) = (root.clone(), conf.clone());
        let (answers_a, answers_b) = (answers_a.clone(), answers_b.clone());
        thread::spawn(move || {
            let mut asked = 0usize;
            while !stop.load(Ordering::Relaxed) {
                for (i, q) in reader_queries().iter().enumerate() {
                    let got = ask(&root, &conf, q);
                    asked += 1;
                    if got != answers_a[i] && got != answers_b[i] {
                        bad.lock().unwrap().push(format!("{q:?}:\n{got}"));
                    }
                    thread::sleep(Duration::from_millis(1));
                }
            }
            asked
        })
    };

    let mut cases = Cases::new("depmod kill");
    let (mut during_write, mut temp_left, mut mixed, mut completed) = (0usize, 0, 0, 0);
    let mut set_b = false;
    // At least `kills` kills, and more (up to four times as many) until a fifth of them hit
    // depmod while it was writing its outputs (some republished, not all; or a temporary file
    // left behind).
    let mut n = 0;
    while n < kills || (during_write * 5 < kills && n < 4 * kills) {
        n += 1;
        set_b = !set_b;
        sets.install(&root, set_b);
        let before_tmp = temporaries(&dir).len();
        let before = inodes(&dir);
        let mut child = depmod(&root).spawn().expect("start depmod");
        let start = Instant::now();
        if n % 2 == 0 {
            // A uniformly random moment of a full run.
            let at = Duration::from_micros(rng.below(took.as_micros() as u64 + 1));
            while start.elapsed() < at {
                if child.try_wait().ok().flatten().is_some() {
                    break;
                }
                thread::sleep(Duration::from_micros(200));
            }
        } else {
            // While it writes its outputs: once the first is republished, a random moment of
            // the publishing phase.
            while republished(&dir, &before) == 0 && temporaries(&dir).len() <= before_tmp {
                if child.try_wait().ok().flatten().is_some() {
                    break;
                }
            }
            let at = start.elapsed()
                + Duration::from_micros(rng.below(publishing.as_micros() as u64 + 1));
            while start.elapsed() < at {
                if child.try_wait().ok().flatten().is_some() {
                    break;
                }
            }
        }
        let _ = child.kill();
        let status = child.wait().expect("wait for depmod");
        if status.success() {
            completed += 1;
        }
        let changed = republished(&dir, &before);
        if temporaries(&dir).len() > before_tmp {
            temp_left += 1;
        }
        if temporaries(&dir).len() > before_tmp || (changed > 0 && changed < before.len()) {
            during_write += 1;
        }
        let now = outputs(&dir);
        let mut from_a = 0;
        let mut from_b = 0;
        let mut torn = Vec::new();
        for (name, data) in &now {
            let a = out_a.get(name) == Some(data);
            let b = out_b.get(name) == Some(data);
            if !a && !b {
                torn.push(format!("{name} ({} bytes)", data.len()));
            }
            if differing.contains(name) {
                from_a += usize::from(a);
                from_b += usize::from(b);
            }
        }
        if from_a > 0 && from_b > 0 {
            mixed += 1;
        }
        let missing: Vec<&String> = out_a.keys().filter(|k| !now.contains_key(*k)).collect();
        let outcome = if !torn.is_empty() {
            Err(format!("kill {n}: torn or foreign files: {torn:?}"))
        } else if !missing.is_empty() {
            Err(format!("kill {n}: files missing: {missing:?}"))
        } else {
            Ok(())
        };
        cases.check(&format!("kill {n}"), outcome);
    }
    stop.store(true, Ordering::Relaxed);
    let asked = reader.join().expect("reader thread");
    let bad = bad_answers.lock().unwrap().clone();
    println!(
        "depmod kill test: {n} kills, {during_write} while writing its outputs \
         ({temp_left} left a temporary file; {mixed} times the directory then held A and B files side by side), \
         {completed} runs finished first; \
         modprobe asked {asked} questions, {} unexpected answers",
        bad.len()
    );
    cases.check(
        "reader",
        if bad.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "modprobe saw a half state:\n{}",
                bad[..bad.len().min(3)].join("\n")
            ))
        },
    );
    cases.check(
        "kills during writes",
        if during_write * 5 >= kills {
            Ok(())
        } else {
            Err(format!("only {during_write} of {n} kills hit a write"))
        },
    );
    cases.finish();
}
