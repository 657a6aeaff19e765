//! Which configuration files are read, and in which order (config.md §1.2, §6.1), and opening
//! them without surprises.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io::{self, BufReader};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use crate::diagnostic::{join, Diagnostic};

/// One file of configuration to parse, in the order kmod parses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    /// Where to read it (directory and name joined with `/`, as kmod does).
    pub path: PathBuf,
    /// The basename used for sorting and for overriding by name.
    pub name: String,
}

/// Which tool's listing rules and message wording to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    /// libkmod: non-`.conf` files are ignored silently; messages carry the C function name.
    Modprobe,
    /// depmod: non-`.conf` files are reported at INFO level.
    Depmod,
}

/// kmod's modprobe.d file selection: in each directory of `paths` (highest precedence first), the
/// entries not starting with `.` and ending in `.conf`, merged with the other directories into one
/// list sorted by basename in byte order (`strcmp`); for equal basenames the file from the
/// higher-precedence directory wins. Entries of `paths` may also be files (`modprobe -C FILE`),
/// which take part under their basename whatever it is. `extra` are (name, path) pairs inserted into
/// the same sorted list (`modules.softdep`, `modules.weakdep`); they lose against a configuration
/// file of the same name. Paths that do not exist are skipped (DEBUG); a `.conf` directory inside a
/// directory is reported as an ERROR.
pub fn list_config_files(
    paths: &[PathBuf],
    extra: &[(String, PathBuf)],
    diags: &mut Vec<Diagnostic>,
) -> Vec<ConfigFile> {
    collect(paths, extra, Flavor::Modprobe, diags)
}

/// depmod's file selection for depmod.d: the same rules as [`list_config_files`], except that
/// non-`.conf` files found in a directory are reported (`INFO: All cfg files need .conf: PATH`).
pub fn list_depmod_config_files(paths: &[PathBuf], diags: &mut Vec<Diagnostic>) -> Vec<ConfigFile> {
    collect(paths, &[], Flavor::Depmod, diags)
}

fn collect(
    paths: &[PathBuf],
    extra: &[(String, PathBuf)],
    flavor: Flavor,
    diags: &mut Vec<Diagnostic>,
) -> Vec<ConfigFile> {
    let mut sorted: BTreeMap<Vec<u8>, ConfigFile> = BTreeMap::new();
    for path in paths {
        let meta = match fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) => {
                let what = join(&[
                    b"could not stat '",
                    bytes(path),
                    b"': ",
                    strerror(&e).as_bytes(),
                ]);
                diags.push(Diagnostic::debug(prefixed(flavor, "conf_files_list", what)));
                continue;
            }
        };
        if meta.is_dir() {
            for (name, kind) in sorted_entries(path, flavor, diags) {
                let file = dir_entry_path(path, &name);
                if !wanted_name(&name) {
                    if flavor == Flavor::Depmod && !name.as_bytes().starts_with(b".") {
                        diags.push(Diagnostic::info(join(&[
                            b"All cfg files need .conf: ",
                            bytes(&file),
                        ])));
                    }
                    continue;
                }
                // The entry's type from the directory listing; a symbolic link (or a file system
                // that does not say) needs a stat.
                let is_dir = match kind {
                    Some(kind) if !kind.is_symlink() => kind.is_dir(),
                    _ => fs::metadata(&file).map(|m| m.is_dir()).unwrap_or(false),
                };
                if is_dir {
                    let what = join(&[
                        b"Directories inside directories are not supported: ",
                        bytes(&file),
                    ]);
                    diags.push(Diagnostic::error(prefixed(
                        flavor,
                        "conf_files_filter_out",
                        what,
                    )));
                    continue;
                }
                insert(&mut sorted, &name, file, flavor, diags);
            }
        } else {
            let name = path.file_name().unwrap_or(path.as_os_str()).to_owned();
            insert(&mut sorted, &name, path.clone(), flavor, diags);
        }
    }
    for (name, path) in extra {
        insert(&mut sorted, OsStr::new(name), path.clone(), flavor, diags);
    }
    sorted.into_values().collect()
}

/// Directory entries of `dir` with their type when the listing gives it, sorted by name bytes (so
/// that messages come out in a fixed order).
fn sorted_entries(
    dir: &Path,
    flavor: Flavor,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(OsString, Option<fs::FileType>)> {
    let reader = match fs::read_dir(dir) {
        Ok(reader) => reader,
        Err(e) => {
            let what = join(&[
                b"could not open directory ",
                bytes(dir),
                b": ",
                strerror(&e).as_bytes(),
            ]);
            diags.push(Diagnostic::error(prefixed(flavor, "conf_files_list", what)));
            return Vec::new();
        }
    };
    let mut names: Vec<(OsString, Option<fs::FileType>)> = reader
        .filter_map(|entry| entry.ok().map(|e| (e.file_name(), e.file_type().ok())))
        .collect();
    names.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    names
}

/// kmod's name filter: not hidden, ends in `.conf`, at least six bytes long.
fn wanted_name(name: &OsStr) -> bool {
    let bytes = name.as_bytes();
    bytes.len() >= 6 && !bytes.starts_with(b".") && bytes.ends_with(b".conf")
}

/// `dir` + `/` + `name`, byte for byte as kmod builds it (`cfg/` gives `cfg//a.conf`).
fn dir_entry_path(dir: &Path, name: &OsStr) -> PathBuf {
    let mut joined = dir.as_os_str().to_owned();
    joined.push("/");
    joined.push(name);
    PathBuf::from(joined)
}

fn insert(
    sorted: &mut BTreeMap<Vec<u8>, ConfigFile>,
    name: &OsStr,
    path: PathBuf,
    flavor: Flavor,
    diags: &mut Vec<Diagnostic>,
) {
    let key = name.as_bytes().to_vec();
    if sorted.contains_key(&key) {
        let what = join(&[b"Ignoring duplicate config file: ", bytes(&path)]);
        diags.push(Diagnostic::debug(prefixed(
            flavor,
            "conf_files_insert_sorted",
            what,
        )));
        return;
    }
    let name = name.to_string_lossy().into_owned();
    sorted.insert(key, ConfigFile { path, name });
}

/// libkmod messages name the C function that printed them; depmod's own messages do not.
fn prefixed(flavor: Flavor, function: &str, message: Vec<u8>) -> Vec<u8> {
    match flavor {
        Flavor::Modprobe => join(&[function.as_bytes(), b": ", &message]),
        Flavor::Depmod => message,
    }
}

/// A path as kmod prints it: its bytes.
fn bytes(path: &Path) -> &[u8] {
    path.as_os_str().as_bytes()
}

/// `ENOENT` on Linux (every architecture).
const ENOENT: i32 = 2;

/// `strerror()`-style text of an I/O error (Rust's "(os error N)" suffix removed).
///
/// `ENOENT` is the one error of every ordinary run (the default directories `/run/modprobe.d` and
/// `/usr/local/lib/modprobe.d` and the file `modules.weakdep` usually do not exist), and its
/// message is only shown at debug level; asking libc for the text costs a message-catalogue lookup
/// and the page faults of that code on each of modprobe's ~1 ms runs, so it is spelt out here.
pub(crate) fn strerror(e: &io::Error) -> Cow<'static, str> {
    if e.raw_os_error() == Some(ENOENT) {
        return Cow::Borrowed(ENOENT_TEXT);
    }
    libc_strerror(e).into()
}

/// glibc's (and musl's) text for `ENOENT` in the C locale, which is the one kmod prints: it never
/// calls `setlocale`.
const ENOENT_TEXT: &str = "No such file or directory";

/// The error's text as the C library words it.
fn libc_strerror(e: &io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(cut) => text.get(..cut).unwrap_or(&text).to_string(),
        None => text,
    }
}

/// Opens a configuration file for reading. FIFOs and sockets are refused (kmod would block on a
/// FIFO forever).
pub(crate) fn open_config(path: &Path) -> io::Result<BufReader<File>> {
    let meta = fs::metadata(path)?;
    let kind = meta.file_type();
    if kind.is_fifo() || kind.is_socket() || kind.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(BufReader::new(File::open(path)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Level;

    fn write(path: &Path, text: &str) {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(path, text).unwrap();
    }

    fn names(files: &[ConfigFile]) -> Vec<String> {
        files.iter().map(|f| f.path.display().to_string()).collect()
    }

    #[test]
    fn verified_example_from_spec() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        for (p, s) in [
            ("lib/a.conf", "1"),
            ("usrlib/a.conf", "2"),
            ("run/a.conf", "3"),
            ("etc/b.conf", "4"),
            ("usrlib/c.conf", "5"),
            ("etc/z.conf", "6"),
            ("etc/ignored.txt", "7"),
        ] {
            write(&r.join(p), s);
        }
        let dirs: Vec<PathBuf> = ["etc", "run", "usrlocal", "usrlib", "lib"]
            .iter()
            .map(|d| r.join(d))
            .collect();
        let mut diags = Vec::new();
        let files = list_config_files(&dirs, &[], &mut diags);
        let got: Vec<_> = files
            .iter()
            .map(|f| f.path.strip_prefix(r).unwrap().to_path_buf())
            .collect();
        assert_eq!(
            got,
            ["run/a.conf", "etc/b.conf", "usrlib/c.conf", "etc/z.conf"].map(PathBuf::from)
        );
        assert!(diags.iter().all(|d| d.level == Level::Debug));
        assert_eq!(
            diags
                .iter()
                .filter(|d| d.text().contains("Ignoring duplicate config file"))
                .count(),
            2
        );
    }

    #[test]
    fn strcmp_order_hidden_and_directories() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("d");
        for n in [
            "9-foo.conf",
            "10-foo.conf",
            "Foo.conf",
            "foo.conf",
            ".h.conf",
            ".conf",
            "x.txt",
        ] {
            write(&d.join(n), "");
        }
        fs::create_dir_all(d.join("sub.conf")).unwrap();
        let mut diags = Vec::new();
        let files = list_config_files(std::slice::from_ref(&d), &[], &mut diags);
        let got: Vec<_> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(got, ["10-foo.conf", "9-foo.conf", "Foo.conf", "foo.conf"]);
        let errors: Vec<_> = diags.iter().filter(|d| d.level == Level::Error).collect();
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].text(),
            format!(
                "conf_files_filter_out: Directories inside directories are not supported: {}/sub.conf",
                d.display()
            )
        );
    }

    #[test]
    fn files_extra_and_missing_paths() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("d");
        write(&d.join("a.conf"), "");
        write(&d.join("n.conf"), "");
        let single = t.path().join("f.txt");
        write(&single, "");
        let shadowed = t.path().join("other/a.conf");
        write(&shadowed, "");
        let missing = t.path().join("missing");
        let mut diags = Vec::new();
        let files = list_config_files(
            &[d.clone(), single.clone(), missing, shadowed],
            &[("modules.softdep".into(), t.path().join("modules.softdep"))],
            &mut diags,
        );
        let got: Vec<_> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(got, ["a.conf", "f.txt", "modules.softdep", "n.conf"]);
        assert_eq!(files[0].path, d.join("a.conf"));
        assert!(diags.iter().any(
            |d| d.text().starts_with("conf_files_list: could not stat '")
                && d.text().ends_with("missing': No such file or directory")
        ));
    }

    #[test]
    fn trailing_slash_is_kept_like_kmod() {
        let t = tempfile::tempdir().unwrap();
        write(&t.path().join("d/a.conf"), "");
        let mut dir = t.path().join("d").into_os_string();
        dir.push("/");
        let files = list_config_files(&[PathBuf::from(dir)], &[], &mut Vec::new());
        assert!(names(&files)[0].ends_with("/d//a.conf"));
    }

    #[test]
    fn depmod_reports_non_conf_files() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("d");
        write(&d.join("a.conf"), "");
        write(&d.join("b.txt"), "");
        fs::create_dir_all(d.join("sub.conf")).unwrap();
        let mut diags = Vec::new();
        let files = list_depmod_config_files(std::slice::from_ref(&d), &mut diags);
        assert_eq!(files.len(), 1);
        assert!(diags.contains(&Diagnostic::info(format!(
            "All cfg files need .conf: {}/b.txt",
            d.display()
        ))));
        assert!(diags.contains(&Diagnostic::error(format!(
            "Directories inside directories are not supported: {}/sub.conf",
            d.display()
        ))));
    }

    #[test]
    fn paths_in_messages_are_bytes() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join(OsStr::from_bytes(b"d\xff"));
        fs::create_dir_all(d.join("sub.conf")).unwrap();
        let missing = t.path().join(OsStr::from_bytes(b"gone\xfe"));
        let mut diags = Vec::new();
        list_config_files(&[d.clone(), missing.clone()], &[], &mut diags);
        let want_dir = [
            &b"conf_files_filter_out: Directories inside directories are not supported: "[..],
            bytes(&d),
            b"/sub.conf",
        ]
        .concat();
        assert!(diags.iter().any(|x| x.message == want_dir), "{diags:?}");
        let want_missing = [
            &b"conf_files_list: could not stat '"[..],
            bytes(&missing),
            b"': No such file or directory",
        ]
        .concat();
        assert!(diags.iter().any(|x| x.message == want_missing), "{diags:?}");
    }

    #[test]
    fn open_refuses_directories_and_missing() {
        let t = tempfile::tempdir().unwrap();
        assert!(open_config(t.path()).is_err());
        let e = open_config(&t.path().join("nope")).unwrap_err();
        assert_eq!(strerror(&e), "No such file or directory");
    }

    #[test]
    fn strerror_spells_enoent_as_the_c_library_does() {
        let enoent = io::Error::from_raw_os_error(ENOENT);
        assert_eq!(enoent.kind(), io::ErrorKind::NotFound);
        assert_eq!(strerror(&enoent), libc_strerror(&enoent));
        let eacces = io::Error::from_raw_os_error(13);
        assert_eq!(strerror(&eacces), "Permission denied");
    }
}
