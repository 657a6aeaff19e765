//! [`TreeBuilder`]: a fake root file system with a module directory, for running depmod/modprobe
//! (ours or kmod's) against.

use std::io;
use std::path::{Path, PathBuf};

use crate::module::ModuleBuilder;

/// Writes `<root>/lib/modules/<version>/` with modules and the kernel-provided files
/// (`modules.order`, `modules.builtin`, `modules.builtin.modinfo`).
///
/// By default `modules.order` lists every added module in the order added (with its `.ko` name,
/// even for compressed files, as kbuild does), and `modules.builtin`/`modules.builtin.modinfo` are
/// written even when empty; [`order`](Self::order) and [`omit`](Self::omit) change that.
#[derive(Debug, Clone)]
pub struct TreeBuilder {
    root: PathBuf,
    version: String,
    modules: Vec<(String, Vec<u8>)>,
    order: Option<Vec<String>>,
    builtin: Vec<String>,
    builtin_modinfo: Vec<(String, String, String)>,
    files: Vec<(String, Vec<u8>)>,
    omitted: Vec<String>,
}

/// What [`TreeBuilder::write`] created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    /// The root directory (what `depmod -b`, `modprobe -d`, `modinfo -b` take).
    pub root: PathBuf,
    /// The kernel release.
    pub version: String,
    /// `<root>/lib/modules/<version>`.
    pub module_dir: PathBuf,
    /// Absolute paths of the module files, in the order added.
    pub modules: Vec<PathBuf>,
}

impl TreeBuilder {
    /// A tree under `root` for kernel release `version`.
    pub fn new(root: impl Into<PathBuf>, version: &str) -> Self {
        TreeBuilder {
            root: root.into(),
            version: version.to_string(),
            modules: Vec::new(),
            order: None,
            builtin: Vec::new(),
            builtin_modinfo: Vec::new(),
            files: Vec::new(),
            omitted: Vec::new(),
        }
    }

    /// Adds a module file at `relpath` inside the module directory (e.g. `kernel/fs/foo.ko` or
    /// `kernel/fs/foo.ko.zst` with already compressed `data`).
    pub fn module(mut self, relpath: &str, data: Vec<u8>) -> Self {
        self.modules.push((relpath.to_string(), data));
        self
    }

    /// Adds the module built by `builder` as `<dir>/<name>.ko`.
    pub fn built(self, dir: &str, builder: &ModuleBuilder) -> Self {
        let relpath = format!("{}/{}", dir.trim_end_matches('/'), builder.file_name());
        self.module(&relpath, builder.build())
    }

    /// Uses these lines as `modules.order` instead of the default.
    pub fn order(mut self, lines: &[&str]) -> Self {
        self.order = Some(lines.iter().map(|l| l.to_string()).collect());
        self
    }

    /// Adds a `modules.builtin` line (a path such as `kernel/fs/ext4/ext4.ko`).
    pub fn builtin(mut self, relpath: &str) -> Self {
        self.builtin.push(relpath.to_string());
        self
    }

    /// Adds a `<module>.<key>=<value>` record to `modules.builtin.modinfo`.
    pub fn builtin_modinfo(mut self, module: &str, key: &str, value: &str) -> Self {
        self.builtin_modinfo
            .push((module.to_string(), key.to_string(), value.to_string()));
        self
    }

    /// Writes an extra file (e.g. `modules.softdep`, or a `.bin` index) into the module directory.
    pub fn file(mut self, name: &str, contents: &[u8]) -> Self {
        self.files.push((name.to_string(), contents.to_vec()));
        self
    }

    /// Does not write the standard file `name` (`modules.order`, `modules.builtin` or
    /// `modules.builtin.modinfo`).
    pub fn omit(mut self, name: &str) -> Self {
        self.omitted.push(name.to_string());
        self
    }

    /// The `modules.order` line of a module path: the path with any compression suffix removed.
    fn order_line(relpath: &str) -> String {
        match relpath.rfind(".ko") {
            Some(at) => format!("{}.ko", &relpath[..at]),
            None => relpath.to_string(),
        }
    }

    /// Creates the directories and files.
    pub fn write(&self) -> io::Result<Tree> {
        let module_dir = self.root.join("lib/modules").join(&self.version);
        std::fs::create_dir_all(&module_dir)?;
        let mut modules = Vec::new();
        for (relpath, data) in &self.modules {
            let path = module_dir.join(relpath);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, data)?;
            modules.push(path);
        }
        let order = match &self.order {
            Some(lines) => lines.clone(),
            None => self
                .modules
                .iter()
                .map(|(p, _)| Self::order_line(p))
                .collect(),
        };
        let lines = |v: &[String]| v.iter().map(|l| format!("{l}\n")).collect::<String>();
        let mut modinfo = Vec::new();
        for (module, key, value) in &self.builtin_modinfo {
            modinfo.extend_from_slice(format!("{module}.{key}={value}").as_bytes());
            modinfo.push(0);
        }
        let standard = [
            ("modules.order", lines(&order).into_bytes()),
            ("modules.builtin", lines(&self.builtin).into_bytes()),
            ("modules.builtin.modinfo", modinfo),
        ];
        for (name, contents) in standard {
            if !self.omitted.iter().any(|o| o == name) {
                std::fs::write(module_dir.join(name), contents)?;
            }
        }
        for (name, contents) in &self.files {
            write_file(&module_dir, name, contents)?;
        }
        Ok(Tree {
            root: self.root.clone(),
            version: self.version.clone(),
            module_dir,
            modules,
        })
    }
}

fn write_file(dir: &Path, name: &str, contents: &[u8]) -> io::Result<()> {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{compress, Compression};

    #[test]
    fn writes_modules_and_kernel_files() {
        let dir = tempfile::tempdir().unwrap();
        let a = ModuleBuilder::new("mod-a").modinfo("license", "GPL");
        let tree = TreeBuilder::new(dir.path(), "1.2.3")
            .built("kernel/drivers", &a)
            .module("kernel/fs/b.ko.xz", compress(&a.build(), Compression::Xz))
            .builtin("kernel/fs/ext4/ext4.ko")
            .builtin_modinfo("ext4", "alias", "fs-ext4")
            .builtin_modinfo("ext4", "license", "GPL")
            .file("modules.softdep", b"softdep a pre: b\n")
            .write()
            .unwrap();
        let md = dir.path().join("lib/modules/1.2.3");
        assert_eq!(tree.module_dir, md);
        assert_eq!(tree.root, dir.path());
        assert_eq!(tree.version, "1.2.3");
        assert_eq!(
            tree.modules,
            [
                md.join("kernel/drivers/mod-a.ko"),
                md.join("kernel/fs/b.ko.xz")
            ]
        );
        assert_eq!(std::fs::read(&tree.modules[0]).unwrap(), a.build());
        let read = |n: &str| std::fs::read_to_string(md.join(n)).unwrap();
        assert_eq!(
            read("modules.order"),
            "kernel/drivers/mod-a.ko\nkernel/fs/b.ko\n"
        );
        assert_eq!(read("modules.builtin"), "kernel/fs/ext4/ext4.ko\n");
        assert_eq!(
            read("modules.builtin.modinfo"),
            "ext4.alias=fs-ext4\0ext4.license=GPL\0"
        );
        assert_eq!(read("modules.softdep"), "softdep a pre: b\n");
    }

    #[test]
    fn explicit_order_and_omitted_files() {
        let dir = tempfile::tempdir().unwrap();
        TreeBuilder::new(dir.path(), "v")
            .module("kernel/x.ko", vec![1])
            .order(&["kernel/y.ko", "#comment"])
            .omit("modules.builtin.modinfo")
            .omit("modules.builtin")
            .write()
            .unwrap();
        let md = dir.path().join("lib/modules/v");
        assert_eq!(
            std::fs::read_to_string(md.join("modules.order")).unwrap(),
            "kernel/y.ko\n#comment\n"
        );
        assert!(!md.join("modules.builtin").exists());
        assert!(!md.join("modules.builtin.modinfo").exists());
    }
}
