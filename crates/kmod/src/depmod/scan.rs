//! Reading what depmod needs from each module file, in parallel, with results kept in module
//! array order.

use std::path::Path;

use modfile::ModuleFile;
use rayon::prelude::*;

use super::elf_symbols::read_symbols;
use super::record::ModuleInfo;

/// A module file that could not be read (depmod: `failed to load symbols from <path>: <err>`).
#[derive(Debug, thiserror::Error)]
#[error("failed to load symbols from {}: {}", path.display(), super::strerror_code(*errno))]
pub struct ScanError {
    /// The file.
    pub path: std::path::PathBuf,
    /// kmod's errno for the failure.
    pub errno: i32,
    /// The detailed reason.
    #[source]
    pub source: modfile::Error,
}

/// Reads exports, needed symbols and the `.modinfo` keys depmod uses from one file. Opening or
/// ELF validation failures are errors; a missing `.modinfo`, `.symtab` or malformed `__versions`
/// just leaves the corresponding lists empty, as in depmod.
pub fn scan_module(path: &Path) -> Result<ModuleInfo, ScanError> {
    let fail = |source: modfile::Error| ScanError {
        path: path.to_path_buf(),
        errno: source.errno_like(),
        source,
    };
    let file = ModuleFile::open(path).map_err(fail)?;
    let elf = file.elf().map_err(fail)?;
    let mut info = ModuleInfo::default();
    read_symbols(&elf, file.image(), &mut info);
    if let Ok(entries) = elf.modinfo() {
        info.add_modinfo(entries.iter().map(|e| (e.key, e.value)));
    }
    Ok(info)
}

/// Scans every path (in parallel); results are in the order of `paths`.
pub fn scan_all(paths: &[&Path]) -> Vec<Result<ModuleInfo, ScanError>> {
    paths.par_iter().map(|p| scan_module(p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use testkit::ModuleBuilder;

    #[test]
    fn reads_what_depmod_needs_from_all_flavours() {
        let t = tempfile::tempdir().unwrap();
        let mut paths = Vec::new();
        for (i, (wide, big)) in [(true, false), (false, true), (true, true), (false, false)]
            .into_iter()
            .enumerate()
        {
            let data = ModuleBuilder::new(&format!("m{i}"))
                .class64(wide)
                .big_endian(big)
                .modinfo("alias", "pci:v*")
                .modinfo("softdep", "pre: x")
                .modinfo("weakdep", "w")
                .export("sa", 0x11)
                .undefined("sb")
                .undefined_weak("sw")
                .version("sb", 0x22)
                .build();
            let path = t.path().join(format!("m{i}.ko"));
            std::fs::write(&path, data).unwrap();
            paths.push(path);
        }
        let refs: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
        for result in scan_all(&refs) {
            let info = result.unwrap();
            assert_eq!(info.aliases, [b"pci:v*".to_vec()]);
            assert_eq!(info.softdeps, [b"pre: x".to_vec()]);
            assert_eq!(info.weakdeps, [b"w".to_vec()]);
            let exports: Vec<(&str, u64)> = info
                .exports
                .iter()
                .map(|x| (info.name(x.name), x.crc))
                .collect();
            assert_eq!(exports, [("sa", 0x11)]);
            let needs: Vec<(&str, u64, bool)> = info
                .needs
                .iter()
                .map(|n| (info.name(n.name), n.crc, n.weak))
                .collect();
            assert!(needs.contains(&("sb", 0x22, false)), "{needs:?}");
            assert!(needs.contains(&("sw", 0, true)), "{needs:?}");
        }
    }

    #[test]
    fn unreadable_files_are_errors_with_kmod_errno() {
        let t = tempfile::tempdir().unwrap();
        let short = t.path().join("short.ko");
        std::fs::write(&short, b"hi").unwrap();
        let junk = t.path().join("junk.ko");
        std::fs::write(&junk, vec![0x55; 100]).unwrap();
        let err = scan_module(&short).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "failed to load symbols from {}: Invalid argument",
                short.display()
            )
        );
        let err = scan_module(&junk).unwrap_err();
        assert!(err.to_string().ends_with(": Exec format error"), "{err}");
        let err = scan_module(t.path()).unwrap_err();
        assert!(err.to_string().ends_with(": Is a directory"), "{err}");
    }
}
