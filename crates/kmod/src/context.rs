//! The [`Context`]: which module directory the tools work on, and its indexes, opened lazily.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use modindex::Index;

use crate::Error;

/// The default module directory below the root (kmod's `MODULE_DIRECTORY`).
pub const MODULE_DIRECTORY: &str = "/lib/modules";

/// The indexes depmod writes and the tools read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    /// `modules.dep.bin`: module name → `path: deps...`.
    Dep,
    /// `modules.alias.bin`: alias pattern → module name.
    Alias,
    /// `modules.symbols.bin`: `symbol:<name>` → module name.
    Symbols,
    /// `modules.builtin.bin`: built-in module names.
    Builtin,
    /// `modules.builtin.alias.bin`: aliases of built-in modules.
    BuiltinAlias,
}

impl IndexKind {
    const ALL: [IndexKind; 5] = [
        IndexKind::Dep,
        IndexKind::Alias,
        IndexKind::Symbols,
        IndexKind::Builtin,
        IndexKind::BuiltinAlias,
    ];

    /// The file name in the module directory.
    pub fn file_name(self) -> &'static str {
        match self {
            IndexKind::Dep => "modules.dep.bin",
            IndexKind::Alias => "modules.alias.bin",
            IndexKind::Symbols => "modules.symbols.bin",
            IndexKind::Builtin => "modules.builtin.bin",
            IndexKind::BuiltinAlias => "modules.builtin.alias.bin",
        }
    }

    fn slot(self) -> usize {
        self as usize
    }
}

/// Where modules live — `<root>/lib/modules/<kernel release>` — and lazily opened indexes.
///
/// A `Context` is `Send + Sync`: indexes are opened at most once (behind [`OnceLock`]) and are
/// read-only afterwards, so threads may share one context for lookups.
#[derive(Debug)]
pub struct Context {
    dirname: PathBuf,
    kernel_release: String,
    indexes: [OnceLock<Option<Index>>; 5],
}

impl Context {
    /// A context for `<basedir>/lib/modules/<release>`; `basedir` `None` means `/`, `release` `None`
    /// means the running kernel's (`uname -r`). The path is composed exactly as kmod composes it (no
    /// normalisation), because it is printed.
    pub fn new(basedir: Option<&str>, release: Option<&str>) -> Result<Context, Error> {
        let release = match release {
            Some(r) => r.to_string(),
            None => running_kernel_release()?,
        };
        let dirname = format!(
            "{}{MODULE_DIRECTORY}/{release}",
            basedir.unwrap_or_default()
        );
        Ok(Context::with_dirname(PathBuf::from(dirname), release))
    }

    /// A context for an explicit module directory.
    pub fn with_dirname(dirname: PathBuf, kernel_release: String) -> Context {
        Context {
            dirname,
            kernel_release,
            indexes: Default::default(),
        }
    }

    /// The module directory (`<root>/lib/modules/<release>`), as composed.
    pub fn dirname(&self) -> &Path {
        &self.dirname
    }

    /// The kernel release this context is for.
    pub fn kernel_release(&self) -> &str {
        &self.kernel_release
    }

    /// The path of a file in the module directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dirname.join(name)
    }

    /// The index of `kind`, opened on first use; `None` when the file does not exist or is empty
    /// (depmod writes empty builtin indexes when their inputs are missing).
    pub fn index(&self, kind: IndexKind) -> Result<Option<&Index>, Error> {
        let slot = &self.indexes[kind.slot()];
        if let Some(index) = slot.get() {
            return Ok(index.as_ref());
        }
        let path = self.file(kind.file_name());
        // Opened straight away (one path walk); "cannot be found" and "empty" mean absent.
        let opened = match Index::open(&path) {
            Ok(index) => Some(index),
            Err(modindex::Error::TooShort { len: 0, .. }) => None,
            Err(modindex::Error::Io { ref source, .. }) if !exists(&path, source) => None,
            Err(e) => return Err(e.into()),
        };
        Ok(slot.get_or_init(|| opened).as_ref())
    }

    /// Opens every index now (for tools that will use them all, e.g. `modprobe -c`).
    pub fn load_indexes(&self) -> Result<(), Error> {
        for kind in IndexKind::ALL {
            self.index(kind)?;
        }
        Ok(())
    }

    /// Turns a path from `modules.dep` (relative to the module directory, or absolute for external
    /// modules) into the absolute path kmod prints.
    pub fn module_path(&self, dep_path: &str) -> PathBuf {
        if dep_path.starts_with('/') {
            PathBuf::from(dep_path)
        } else {
            make_absolute(&self.dirname.join(dep_path))
        }
    }
}

/// Whether the file whose opening failed with `error` exists (a file that exists but cannot be
/// opened is an error; one that cannot be reached at all is absent).
fn exists(path: &Path, error: &std::io::Error) -> bool {
    error.kind() != std::io::ErrorKind::NotFound && std::fs::metadata(path).is_ok()
}

/// kmod's `path_make_absolute_cwd`: a relative path is prefixed with the current directory and a
/// `/`, without any other normalisation. The working directory is read once per process (the
/// tools never change it; `modinfo` of thousands of files would otherwise ask thousands of times).
pub fn make_absolute(path: &Path) -> PathBuf {
    static CWD: OnceLock<Option<PathBuf>> = OnceLock::new();
    if path.is_absolute() {
        return path.to_path_buf();
    }
    match CWD.get_or_init(|| std::env::current_dir().ok()) {
        Some(cwd) => {
            let mut s = cwd.clone().into_os_string();
            s.push("/");
            s.push(path.as_os_str());
            PathBuf::from(s)
        }
        None => path.to_path_buf(),
    }
}

/// The running kernel's release (`uname -r`).
pub fn running_kernel_release() -> Result<String, Error> {
    let uts = nix::sys::utsname::uname().map_err(|e| Error::Uname(e.desc().to_string()))?;
    Ok(uts.release().to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirname_is_composed_verbatim() {
        let ctx = Context::new(Some("/x//y/"), Some("6.1.0")).unwrap();
        assert_eq!(ctx.dirname(), Path::new("/x//y//lib/modules/6.1.0"));
        let ctx = Context::new(None, Some("1.2")).unwrap();
        assert_eq!(ctx.dirname(), Path::new("/lib/modules/1.2"));
    }

    #[test]
    fn module_paths() {
        let ctx = Context::new(Some("/r"), Some("v")).unwrap();
        assert_eq!(
            ctx.module_path("kernel/a.ko"),
            PathBuf::from("/r/lib/modules/v/kernel/a.ko")
        );
        assert_eq!(ctx.module_path("/ext/b.ko"), PathBuf::from("/ext/b.ko"));
    }

    #[test]
    fn missing_indexes_are_absent_not_errors() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = Context::with_dirname(dir.path().to_path_buf(), "v".into());
        assert!(ctx.index(IndexKind::Dep).unwrap().is_none());
        std::fs::write(dir.path().join("modules.alias.bin"), b"").unwrap();
        assert!(ctx.index(IndexKind::Alias).unwrap().is_none());
        std::fs::write(dir.path().join("modules.symbols.bin"), b"garbage-garbage").unwrap();
        assert!(ctx.index(IndexKind::Symbols).is_err());
    }

    #[test]
    fn context_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Context>();
    }
}
