//! Readers of the kernel's module state: `/proc/modules` and `/sys/module/<name>/...`
//! (formats.md §8).

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use modfile::Compression;

use super::proc_modules::{parse_proc_modules, LoadedModule};
use super::{Kernel, KernelError, Syscalls};

/// sysfs attributes are at most one page; `/proc/modules` is read whole but bounded.
const ATTRIBUTE_LIMIT: u64 = 64 << 10;
const PROC_MODULES_LIMIT: u64 = 64 << 20;

/// A loaded module's `initstate` (`/sys/module/<name>/initstate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitState {
    /// `live`: loaded and initialised.
    Live,
    /// `coming`: being initialised — also reported, as kmod does, for a `/sys/module/<name>`
    /// directory without `initstate` (a built-in module with parameters).
    Coming,
    /// `going`: being removed.
    Going,
}

impl InitState {
    /// The word the kernel writes for this state.
    pub fn as_str(self) -> &'static str {
        match self {
            InitState::Live => "live",
            InitState::Coming => "coming",
            InitState::Going => "going",
        }
    }
}

/// One module parameter under `/sys/module/<name>/parameters/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    /// The parameter name.
    pub name: String,
    /// Its value without the trailing newline; `None` if the file cannot be read (parameters
    /// declared without read permission, or an unprivileged reader).
    pub value: Option<String>,
}

impl<S: Syscalls> Kernel<S> {
    /// The path of `/proc/modules`.
    pub fn proc_modules_path(&self) -> PathBuf {
        self.proc_root.join("modules")
    }

    /// The loaded modules, in `/proc/modules` order (most recently loaded first).
    pub fn loaded_modules(&self) -> Result<Vec<LoadedModule>, KernelError> {
        let path = self.proc_modules_path();
        let text = read_bounded(&path, PROC_MODULES_LIMIT)?;
        Ok(parse_proc_modules(&text))
    }

    /// The `/sys/module/<name>` directory of a module. Names that could leave `/sys/module`
    /// (empty, `.`, `..`, containing `/` or NUL) are refused.
    pub fn module_dir(&self, name: &str) -> Result<PathBuf, KernelError> {
        if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
            return Err(KernelError::InvalidName(name.to_string()));
        }
        Ok(self.sys_root.join("module").join(name))
    }

    /// The module's init state; `None` if it is not loaded (no `/sys/module/<name>`). A directory
    /// without `initstate` counts as [`InitState::Coming`], as in kmod (callers check built-in
    /// modules first).
    pub fn initstate(&self, name: &str) -> Result<Option<InitState>, KernelError> {
        let Ok(dir) = self.module_dir(name) else {
            return Ok(None);
        };
        let path = dir.join("initstate");
        let text = match read_bounded(&path, ATTRIBUTE_LIMIT) {
            Ok(text) => text,
            Err(e) if e.errno() == crate::libc_errno::ENOENT => {
                return Ok(dir.is_dir().then_some(InitState::Coming));
            }
            Err(e) => return Err(e),
        };
        match text.trim_end_matches('\n') {
            "live" => Ok(Some(InitState::Live)),
            "coming" => Ok(Some(InitState::Coming)),
            "going" => Ok(Some(InitState::Going)),
            other => Err(parse_error(&path, other)),
        }
    }

    /// The module's reference count (`refcnt`). A missing file (not loaded, or a kernel without
    /// `CONFIG_MODULE_UNLOAD`) is an [`KernelError::Io`] with `ENOENT`.
    pub fn refcnt(&self, name: &str) -> Result<u64, KernelError> {
        self.number_attribute(name, "refcnt")
    }

    /// The module's core size in bytes (`coresize`: text and core data).
    pub fn coresize(&self, name: &str) -> Result<u64, KernelError> {
        self.number_attribute(name, "coresize")
    }

    /// The names of the modules holding this one (`holders/`), in directory order.
    pub fn holders(&self, name: &str) -> Result<Vec<String>, KernelError> {
        let path = self.module_dir(name)?.join("holders");
        let entries = std::fs::read_dir(&path).map_err(|e| KernelError::io(&path, e))?;
        let mut holders = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| KernelError::io(&path, e))?;
            holders.push(entry.file_name().to_string_lossy().into_owned());
        }
        Ok(holders)
    }

    /// The module's parameters (`parameters/`), sorted by name. `Ok(empty)` when the module has
    /// none (no `parameters` directory).
    pub fn parameters(&self, name: &str) -> Result<Vec<Parameter>, KernelError> {
        let path = self.module_dir(name)?.join("parameters");
        let entries = match std::fs::read_dir(&path) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(KernelError::io(&path, e)),
        };
        let mut params = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| KernelError::io(&path, e))?;
            let value = read_bounded(&entry.path(), ATTRIBUTE_LIMIT)
                .ok()
                .map(|v| v.strip_suffix('\n').unwrap_or(&v).to_string());
            params.push(Parameter {
                name: entry.file_name().to_string_lossy().into_owned(),
                value,
            });
        }
        params.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(params)
    }

    /// The format the kernel can decompress itself (`/sys/module/compression`, Linux 6.4+), read
    /// once; [`Compression::None`] when the file is missing or names something else.
    pub fn compression(&self) -> Compression {
        *self.compression.get_or_init(|| {
            let path = self.sys_root.join("module").join("compression");
            match read_bounded(&path, ATTRIBUTE_LIMIT) {
                Ok(text) => match text.trim() {
                    "zstd" => Compression::Zstd,
                    "xz" => Compression::Xz,
                    "gzip" => Compression::Gzip,
                    _ => Compression::None,
                },
                Err(_) => Compression::None,
            }
        })
    }

    fn number_attribute(&self, name: &str, attribute: &str) -> Result<u64, KernelError> {
        let path = self.module_dir(name)?.join(attribute);
        let text = read_bounded(&path, ATTRIBUTE_LIMIT)?;
        let trimmed = text.trim();
        trimmed.parse().map_err(|_| parse_error(&path, trimmed))
    }
}

/// Reads at most `limit` bytes of a text file (invalid UTF-8 replaced).
fn read_bounded(path: &Path, limit: u64) -> Result<String, KernelError> {
    let file = File::open(path).map_err(|e| KernelError::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| KernelError::io(path, e))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn parse_error(path: &Path, text: &str) -> KernelError {
    KernelError::Parse {
        path: path.to_path_buf(),
        text: text.chars().take(80).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::syscalls::tests::Recorder;
    use std::fs;

    /// A fake `/proc` + `/sys` with `fat` (held by `vfat`), `vfat`, a built-in `/sys/module/kbd`
    /// without initstate, and an in-kernel decompressor.
    pub(crate) fn fake_tree() -> (tempfile::TempDir, Kernel<Recorder>) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("proc")).unwrap();
        fs::write(
            root.join("proc/modules"),
            "vfat 24576 0 - Live 0x0\nfat 90112 1 vfat, Live 0x0\n",
        )
        .unwrap();
        for (name, refcnt, coresize) in [("fat", "1\n", "86016\n"), ("vfat", "0\n", "20480\n")] {
            let m = root.join("sys/module").join(name);
            fs::create_dir_all(m.join("holders")).unwrap();
            fs::write(m.join("initstate"), "live\n").unwrap();
            fs::write(m.join("refcnt"), refcnt).unwrap();
            fs::write(m.join("coresize"), coresize).unwrap();
        }
        fs::create_dir_all(root.join("sys/module/fat/holders/vfat")).unwrap();
        let params = root.join("sys/module/vfat/parameters");
        fs::create_dir_all(&params).unwrap();
        fs::write(params.join("utf8"), "N\n").unwrap();
        fs::write(params.join("codepage"), "437\n").unwrap();
        fs::create_dir_all(root.join("sys/module/kbd/parameters")).unwrap();
        fs::write(root.join("sys/module/compression"), "zstd\n").unwrap();
        let kernel = Kernel::with_roots(root.join("proc"), root.join("sys"), Recorder::default());
        (dir, kernel)
    }

    #[test]
    fn reads_module_state() {
        let (_dir, k) = fake_tree();
        let names: Vec<_> = k
            .loaded_modules()
            .unwrap()
            .into_iter()
            .map(|m| m.name)
            .collect();
        assert_eq!(names, ["vfat", "fat"]);
        assert_eq!(k.initstate("fat").unwrap(), Some(InitState::Live));
        assert_eq!(k.initstate("kbd").unwrap(), Some(InitState::Coming));
        assert_eq!(k.initstate("ext4").unwrap(), None);
        assert_eq!(k.refcnt("fat").unwrap(), 1);
        assert_eq!(k.coresize("vfat").unwrap(), 20480);
        assert_eq!(k.holders("fat").unwrap(), ["vfat"]);
        assert!(k.holders("vfat").unwrap().is_empty());
        assert_eq!(k.refcnt("ext4").unwrap_err().errno(), 2);
        assert_eq!(k.compression(), Compression::Zstd);
    }

    #[test]
    fn parameters_sorted_with_values() {
        let (_dir, k) = fake_tree();
        let p = k.parameters("vfat").unwrap();
        assert_eq!(
            p,
            [
                Parameter {
                    name: "codepage".into(),
                    value: Some("437".into())
                },
                Parameter {
                    name: "utf8".into(),
                    value: Some("N".into())
                }
            ]
        );
        assert!(k.parameters("fat").unwrap().is_empty());
    }

    #[test]
    fn names_cannot_leave_sys_module() {
        let (_dir, k) = fake_tree();
        for bad in ["", ".", "..", "../fat", "a/b"] {
            assert_eq!(k.initstate(bad).unwrap(), None, "{bad:?}");
            assert!(matches!(k.refcnt(bad), Err(KernelError::InvalidName(_))));
        }
    }

    #[test]
    fn bad_contents_are_errors_naming_the_file() {
        let (dir, k) = fake_tree();
        fs::write(dir.path().join("sys/module/fat/initstate"), "weird\n").unwrap();
        fs::write(dir.path().join("sys/module/fat/refcnt"), "x\n").unwrap();
        let e = k.initstate("fat").unwrap_err();
        assert!(e.to_string().contains("fat/initstate"), "{e}");
        assert_eq!(e.errno(), 22);
        assert!(k.refcnt("fat").unwrap_err().to_string().contains("refcnt"));
    }

    #[test]
    fn no_compression_file_means_none() {
        let dir = tempfile::tempdir().unwrap();
        let k = Kernel::with_roots(dir.path(), dir.path(), Recorder::default());
        assert_eq!(k.compression(), Compression::None);
        assert!(k.loaded_modules().is_err());
    }
}
