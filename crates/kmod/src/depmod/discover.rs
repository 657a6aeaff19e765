//! Finding the module files (formats.md §4.1 steps 1–2): the module directory recursively, then
//! every `external` directory, keeping one file per module name by depmod.d priority; or the
//! files named on the command line.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use modconf::DepmodConfig;
use rayon::prelude::*;

use super::report::{Level, Message};
use super::strerror;

/// File name endings of module files (every compression is supported).
pub const MODULE_EXTENSIONS: [&str; 4] = [".ko", ".ko.gz", ".ko.xz", ".ko.zst"];

/// Directory entries never descended into or considered, whatever the configuration.
const ALWAYS_SKIPPED: [&str; 2] = ["build", "source"];

/// `S_IFMT`: the file type bits of `st_mode`.
const S_IFMT: u32 = 0o170_000;
/// `EEXIST`.
const EEXIST: i32 = 17;
/// `ENAMETOOLONG`.
const ENAMETOOLONG: i32 = 36;
/// `PATH_MAX`: depmod's path buffers end here, which also ends walks through symlink loops.
pub const PATH_MAX: usize = 4096;

/// A module file found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Normalised module name.
    pub name: String,
    /// The file name up to its first `.`, not normalised (what `override` lines name).
    pub disk_name: String,
    /// The file as opened.
    pub path: PathBuf,
    /// The path written to the outputs: relative to the module directory, or absolute for files
    /// outside it.
    pub out_path: String,
    /// The size of a compressed file in bytes (0 for plain or unknown ones), used to schedule the
    /// decompression of big files first.
    pub size: u64,
}

/// Is `name` a module file name: a known extension with something before it?
pub fn is_module_file_name(name: &str) -> bool {
    MODULE_EXTENSIONS
        .iter()
        .any(|ext| name.len() > ext.len() && name.ends_with(ext))
}

/// Whether a file name ends in a compression suffix (its size is worth knowing).
fn is_compressed_name(name: &std::ffi::OsStr) -> bool {
    let name = name.as_encoded_bytes();
    [&b".gz"[..], b".xz", b".zst"]
        .iter()
        .any(|s| name.ends_with(s))
}

/// The file name up to its first `.` (`foo-bar.ko.xz` → `foo-bar`).
fn stem(file_name: &str) -> &str {
    file_name.split('.').next().unwrap_or(file_name)
}

impl Candidate {
    /// A candidate for the file `path` of `size` bytes whose output path is `out_path`.
    fn new(path: PathBuf, out_path: String, size: u64) -> Self {
        let file_name = out_path.rsplit('/').next().unwrap_or(&out_path);
        let disk_name = stem(file_name).to_string();
        Candidate {
            name: disk_name.replace('-', "_"),
            disk_name,
            path,
            out_path,
            size,
        }
    }
}

/// The modules found and what was reported on the way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovery {
    /// One file per module name, in discovery order of the first file of each name.
    pub modules: Vec<Candidate>,
    /// Errors and debug notes, in order.
    pub messages: Vec<Message>,
}

impl Discovery {
    /// Offers one file: kept if its name is new, or if depmod.d gives it a higher priority than
    /// the file kept so far.
    fn offer(&mut self, by_name: &mut HashMap<String, usize>, cfg: &DepmodConfig, c: Candidate) {
        match by_name.get(&c.name) {
            None => {
                by_name.insert(c.name.clone(), self.modules.len());
                self.modules.push(c);
            }
            Some(&i) => {
                let Some(old) = self.modules.get_mut(i) else {
                    return;
                };
                if cfg.is_higher_priority(
                    c.disk_name.as_bytes(),
                    c.out_path.as_bytes(),
                    old.out_path.as_bytes(),
                ) {
                    self.messages.push(Message::new(
                        Level::Debug,
                        format!("replace {} with {}", old.out_path, c.out_path),
                    ));
                    *old = c;
                } else {
                    self.messages.push(Message::new(
                        Level::Debug,
                        format!(
                            "ignore {}: a higher priority module was already found ({})",
                            c.out_path, old.out_path
                        ),
                    ));
                }
            }
        }
    }
}

/// The directory could not be read at all (depmod: `could not open directory <dir>: <err>`,
/// then `FATAL: could not search modules: <err>`).
#[derive(Debug, thiserror::Error)]
#[error("could not open directory {}: {}", dir.display(), strerror(source))]
pub struct SearchError {
    /// The module directory.
    pub dir: PathBuf,
    /// Why it could not be opened.
    #[source]
    pub source: io::Error,
}

/// Walks the module directory `dir` (its path spelled as depmod spells it in messages) and then
/// the configuration's external directories, in that order, depth first with entries sorted by
/// name (depmod follows `readdir` order, which only matters for ties between equal-priority
/// copies). Subdirectories are read in parallel; what they hold is taken in walk order.
pub fn discover(dir: &Path, cfg: &DepmodConfig) -> Result<Discovery, SearchError> {
    let entries = sorted_entries(dir).map_err(|source| SearchError {
        dir: dir.to_path_buf(),
        source,
    })?;
    let mut events = walk(dir, "", entries, 0, cfg);
    for ext in &cfg.externals {
        let ext_dir = PathBuf::from(OsStr::from_bytes(&ext.dir));
        let Ok(entries) = sorted_entries(&ext_dir) else {
            continue;
        };
        let mut prefix = String::from_utf8_lossy(&ext.dir).into_owned();
        if !prefix.ends_with('/') {
            prefix.push('/');
        }
        events.extend(walk(&ext_dir, &prefix, entries, 0, cfg));
    }
    let mut found = Discovery::default();
    let mut by_name = HashMap::new();
    for event in events {
        match event {
            Found::Module(c) => found.offer(&mut by_name, cfg, c),
            Found::Message(m) => found.messages.push(m),
        }
    }
    Ok(found)
}

/// Something met while walking, in walk order.
enum Found {
    Module(Candidate),
    Message(Message),
}

/// Names in `dir`, sorted by bytes.
fn sorted_entries(dir: &Path) -> io::Result<Vec<fs::DirEntry>> {
    let mut entries = fs::read_dir(dir)?.collect::<io::Result<Vec<_>>>()?;
    entries.sort_by_key(|e| e.file_name());
    Ok(entries)
}

/// What a directory entry is, following symbolic links.
enum Kind {
    /// A regular file of this size.
    File(u64),
    Dir,
}

/// Classifies an entry like depmod: `d_type` when known, else `stat` following links; other
/// types and failures are reported.
fn kind_of(entry: &fs::DirEntry, depth: usize) -> Result<Kind, Message> {
    match entry.file_type() {
        Ok(t) if t.is_dir() => return Ok(Kind::Dir),
        // Sizes only matter for scheduling decompression; plain files need no extra stat.
        Ok(t) if t.is_file() && !is_compressed_name(&entry.file_name()) => {
            return Ok(Kind::File(0))
        }
        Ok(t) if t.is_file() => {
            if let Ok(meta) = entry.metadata() {
                return Ok(Kind::File(meta.len()));
            }
        }
        _ => {}
    }
    match fs::metadata(entry.path()) {
        Ok(meta) if meta.is_file() => Ok(Kind::File(meta.len())),
        Ok(meta) if meta.is_dir() => Ok(Kind::Dir),
        Ok(meta) => Err(Message::new(
            Level::Error,
            format!(
                "unsupported file type {}: {:o}",
                entry.path().display(),
                meta.mode() & S_IFMT
            ),
        )),
        // depmod names the directory's descriptor: 3 for the top directory, one more per level
        // below it.
        Err(e) => Err(Message::new(
            Level::Error,
            format!(
                "fstatat({}, {}): {}",
                depth + 3,
                entry.file_name().to_string_lossy(),
                strerror(&e)
            ),
        )),
    }
}

/// What `entries` of the directory `dir` hold (files with output paths `prefix` + name), in
/// walk order.
fn walk(
    dir: &Path,
    prefix: &str,
    entries: Vec<fs::DirEntry>,
    depth: usize,
    cfg: &DepmodConfig,
) -> Vec<Found> {
    let per_entry: Vec<Vec<Found>> = entries
        .into_par_iter()
        .map(|entry| visit(dir, prefix, entry, depth, cfg))
        .collect();
    per_entry.into_iter().flatten().collect()
}

/// What one directory entry holds.
fn visit(
    dir: &Path,
    prefix: &str,
    entry: fs::DirEntry,
    depth: usize,
    cfg: &DepmodConfig,
) -> Vec<Found> {
    let os_name = entry.file_name();
    let name = os_name.to_string_lossy();
    if ALWAYS_SKIPPED.contains(&name.as_ref()) {
        return Vec::new();
    }
    let kind = match kind_of(&entry, depth) {
        Ok(kind) => kind,
        Err(message) => return vec![Found::Message(message)],
    };
    let path = dir.join(&os_name);
    match kind {
        Kind::Dir if cfg.is_excluded_dir(os_name.as_bytes()) => Vec::new(),
        Kind::Dir if path.as_os_str().len() >= PATH_MAX => vec![Found::Message(Message::new(
            Level::Error,
            format!(
                "could not open directory {}: {}",
                path.display(),
                strerror(&io::Error::from_raw_os_error(ENAMETOOLONG))
            ),
        ))],
        Kind::Dir => match sorted_entries(&path) {
            Ok(sub) => walk(&path, &format!("{prefix}{name}/"), sub, depth + 1, cfg),
            Err(e) => vec![Found::Message(Message::new(
                Level::Error,
                format!(
                    "could not open directory {}: {}",
                    path.display(),
                    strerror(&e)
                ),
            ))],
        },
        Kind::File(size) if is_module_file_name(&name) => vec![Found::Module(Candidate::new(
            path,
            format!("{prefix}{name}"),
            size,
        ))],
        Kind::File(_) => Vec::new(),
    }
}

/// Module files named on the command line (absolute paths). Output paths are relative to
/// `module_dir` for files inside it. As in depmod, a file that does not exist, or a second file
/// for the same module name, is fatal; the messages to print are returned.
pub fn explicit_files(files: &[PathBuf], module_dir: &Path) -> Result<Discovery, Vec<Message>> {
    let mut found = Discovery::default();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let dir = module_dir.to_string_lossy();
    for file in files {
        let size = match fs::metadata(file) {
            Ok(meta) => meta.len(),
            Err(e) => {
                return Err(vec![Message::new(
                    Level::Fatal,
                    format!(
                        "could not create module {}: {}",
                        file.display(),
                        strerror(&e)
                    ),
                )])
            }
        };
        let text = file.to_string_lossy();
        let out_path = text
            .strip_prefix(dir.as_ref())
            .and_then(|rest| rest.strip_prefix('/'))
            .unwrap_or(&text)
            .to_string();
        let candidate = Candidate::new(file.clone(), out_path, size);
        if let Some(old) = by_name
            .get(&candidate.name)
            .and_then(|&i| found.modules.get(i))
        {
            return Err(duplicate_file(&candidate, old));
        }
        by_name.insert(candidate.name.clone(), found.modules.len());
        found.modules.push(candidate);
    }
    Ok(found)
}

/// depmod's (libkmod's) messages for a module named twice on the command line.
fn duplicate_file(new: &Candidate, old: &Candidate) -> Vec<Message> {
    let exists = strerror(&io::Error::from_raw_os_error(EEXIST));
    if new.path == old.path {
        return vec![
            Message::new(
                Level::Error,
                format!("hash_add_unique {}: {exists}", new.name),
            ),
            Message::new(
                Level::Fatal,
                format!("could not add module {}: {exists}", new.path.display()),
            ),
        ];
    }
    vec![
        Message::new(
            Level::Error,
            format!(
                "kmod_module_new_from_path: kmod_module '{}' already exists with different path: \
                 new-path='{}' old-path='{}'",
                new.name,
                new.path.display(),
                old.path.display()
            ),
        ),
        Message::new(
            Level::Fatal,
            format!("could not create module {}: {exists}", new.path.display()),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn touch(path: &Path) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, b"x").unwrap();
    }

    fn outs(d: &Discovery) -> Vec<&str> {
        d.modules.iter().map(|m| m.out_path.as_str()).collect()
    }

    #[test]
    fn module_file_names() {
        for yes in [
            "a.ko",
            "a.ko.xz",
            "a.ko.zst",
            "a.ko.gz",
            ".hidden.ko",
            "x.ko.zst.ko",
        ] {
            assert!(is_module_file_name(yes), "{yes}");
        }
        for no in [".ko", "UP.KO", "nodot", "a.ko.bz2", "a.kox", "a.ko.bak"] {
            assert!(!is_module_file_name(no), "{no}");
        }
    }

    #[test]
    fn walks_sorted_skipping_build_source_and_excludes() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        for f in [
            "kernel/b-x.ko",
            "kernel/a.ko.xz",
            "kernel/sub/c.ko",
            "build/z.ko",
            "source/y.ko",
            "kernel/skipme/w.ko",
            "kernel/notes.txt",
            "kernel/.hidden.ko",
        ] {
            touch(&d.join(f));
        }
        let mut cfg = DepmodConfig::default();
        cfg.excludes.push("skipme".into());
        let found = discover(d, &cfg).unwrap();
        assert_eq!(
            outs(&found),
            [
                "kernel/.hidden.ko",
                "kernel/a.ko.xz",
                "kernel/b-x.ko",
                "kernel/sub/c.ko"
            ]
        );
        assert_eq!(found.modules[2].name, "b_x");
        assert_eq!(found.modules[2].disk_name, "b-x");
        assert_eq!(found.modules[0].name, "");
        assert_eq!(found.modules[1].path, d.join("kernel/a.ko.xz"));
        assert!(found.messages.is_empty());
    }

    #[test]
    fn duplicates_by_priority_and_externals() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("mods");
        let ext = t.path().join("ext");
        for f in [
            "kernel/rapl.ko",
            "updates/rapl.ko",
            "extra/dup.ko",
            "kernel/dup.ko",
        ] {
            touch(&d.join(f));
        }
        touch(&ext.join("e.ko"));
        touch(&ext.join("rapl.ko"));
        let mut cfg = DepmodConfig::default();
        cfg.parse_file(
            Path::new("t.conf"),
            format!("search updates external\nexternal * {}\n", ext.display()).as_bytes(),
            "1.0",
            &mut Vec::new(),
        );
        let found = discover(&d, &cfg).unwrap();
        let e = format!("{}/e.ko", ext.display());
        // Ties keep the first file seen (extra/ sorts before kernel/).
        assert_eq!(
            outs(&found),
            ["extra/dup.ko", "updates/rapl.ko", e.as_str()]
        );
        assert_eq!(found.modules[2].path, ext.join("e.ko"));
    }

    #[test]
    fn odd_entries_are_reported() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        touch(&d.join("kernel/deeper/ok.ko"));
        symlink("nowhere", d.join("dang0.ko")).unwrap();
        symlink("nowhere", d.join("kernel/deeper/dang2.ko")).unwrap();
        symlink(d.join("kernel/deeper/ok.ko"), d.join("kernel/link.ko")).unwrap();
        nix::unistd::mkfifo(&d.join("kernel/fifo"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        let found = discover(d, &DepmodConfig::default()).unwrap();
        assert_eq!(outs(&found), ["kernel/deeper/ok.ko", "kernel/link.ko"]);
        let texts: Vec<String> = found.messages.iter().map(|m| m.to_string()).collect();
        assert_eq!(
            texts,
            [
                "ERROR: fstatat(3, dang0.ko): No such file or directory".to_string(),
                "ERROR: fstatat(5, dang2.ko): No such file or directory".to_string(),
                format!(
                    "ERROR: unsupported file type {}/kernel/fifo: 10000",
                    d.display()
                ),
            ]
        );
        // The duplicate link.ko/ok.ko pair has different names; nothing was replaced.
        let err = discover(&d.join("missing"), &DepmodConfig::default()).unwrap_err();
        assert!(err
            .to_string()
            .ends_with("missing: No such file or directory"));
    }

    #[test]
    fn symlink_loops_end() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        touch(&d.join("kernel/a.ko"));
        symlink("..", d.join("kernel/up")).unwrap();
        let found = discover(d, &DepmodConfig::default()).unwrap();
        assert_eq!(found.modules.len(), 1);
        let errors: Vec<String> = found
            .messages
            .iter()
            .filter(|m| m.level == Level::Error)
            .map(|m| m.to_string())
            .collect();
        // The kernel's limit on symbolic links in a path (ELOOP) usually ends it before PATH_MAX.
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].ends_with(": Too many levels of symbolic links")
                || errors[0].ends_with(": File name too long"),
            "{errors:?}"
        );
    }

    #[test]
    fn explicit_files_relative_inside_the_module_dir() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("lib/modules/1.0");
        touch(&d.join("kernel/c.ko"));
        touch(&t.path().join("outside.ko"));
        let files = [d.join("kernel/c.ko"), t.path().join("outside.ko")];
        let found = explicit_files(&files, &d).unwrap();
        let outside = t.path().join("outside.ko").display().to_string();
        assert_eq!(outs(&found), ["kernel/c.ko", outside.as_str()]);
        let err = explicit_files(&[PathBuf::from("/nonexist.ko")], &d).unwrap_err();
        assert_eq!(
            err[0].to_string(),
            "FATAL: could not create module /nonexist.ko: No such file or directory"
        );
        touch(&d.join("updates/c.ko"));
        let twice = [d.join("kernel/c.ko"), d.join("updates/c.ko")];
        let err = explicit_files(&twice, &d).unwrap_err();
        let texts: Vec<String> = err.iter().map(|m| m.to_string()).collect();
        assert_eq!(
            texts,
            [
                format!(
                    "ERROR: kmod_module_new_from_path: kmod_module 'c' already exists with \
                     different path: new-path='{}' old-path='{}'",
                    twice[1].display(),
                    twice[0].display()
                ),
                format!(
                    "FATAL: could not create module {}: File exists",
                    twice[1].display()
                ),
            ]
        );
        let same = [d.join("kernel/c.ko"), d.join("kernel/c.ko")];
        let err = explicit_files(&same, &d).unwrap_err();
        assert_eq!(err[0].to_string(), "ERROR: hash_add_unique c: File exists");
    }
}
