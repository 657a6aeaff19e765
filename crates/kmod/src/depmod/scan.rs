//! Reading what depmod needs from each module file, in parallel, with results kept in module
//! array order.

use std::path::Path;

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use super::elf_symbols::read_symbols;
use super::open::open_module;
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
    let file = open_module(path).map_err(fail)?;
    let elf = file.elf().map_err(fail)?;
    let mut info = ModuleInfo::default();
    read_symbols(&elf, file.image(), &mut info);
    if let Ok(entries) = elf.modinfo() {
        info.add_modinfo(entries.iter().map(|e| (e.key, e.value)));
    }
    // Thousands of these stay alive until the end: give back what growing left unused.
    info.shrink_to_fit();
    Ok(info)
}

/// Scans every `(path, size)` in parallel; results are in the order of `files`.
///
/// Files are handed to the threads biggest first from a shared queue (greedy longest-job-first):
/// no big compressed module is left for the end while the other threads idle, and the biggest
/// decompression buffers are needed while little else has been read yet.
pub fn scan_all(files: &[(&Path, u64)]) -> Vec<Result<ModuleInfo, ScanError>> {
    let mut queue: Vec<usize> = (0..files.len()).collect();
    queue.sort_by_key(|&i| std::cmp::Reverse(files.get(i).map_or(0, |f| f.1)));
    let next = AtomicUsize::new(0);
    let workers = rayon::current_num_threads().max(1);
    let done: Vec<Vec<(usize, Result<ModuleInfo, ScanError>)>> = (0..workers)
        .into_par_iter()
        .map(|_| {
            let mut mine = Vec::new();
            loop {
                let at = next.fetch_add(1, Ordering::Relaxed);
                let Some(&i) = queue.get(at) else {
                    break;
                };
                if let Some(&(path, _)) = files.get(i) {
                    mine.push((i, scan_module(path)));
                }
            }
            mine
        })
        .collect();
    let mut results: Vec<Option<Result<ModuleInfo, ScanError>>> =
        (0..files.len()).map(|_| None).collect();
    for (i, result) in done.into_iter().flatten() {
        if let Some(slot) = results.get_mut(i) {
            *slot = Some(result);
        }
    }
    // Every slot is filled above; a gap would only mean reading that file again.
    results
        .into_iter()
        .zip(files)
        .map(|(result, &(path, _))| result.unwrap_or_else(|| scan_module(path)))
        .collect()
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
        let refs: Vec<(&Path, u64)> = paths.iter().map(|p| (p.as_path(), 0)).collect();
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
    fn results_come_back_in_input_order_whatever_the_sizes() {
        let t = tempfile::tempdir().unwrap();
        let mut paths = Vec::new();
        for i in 0..20 {
            let data = ModuleBuilder::new("m")
                .modinfo("alias", &format!("alias-{i}"))
                .build();
            let path = t.path().join(format!("m{i}.ko"));
            std::fs::write(&path, data).unwrap();
            paths.push(path);
        }
        let files: Vec<(&Path, u64)> = paths
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_path(), (i as u64 * 7919) % 13))
            .collect();
        let aliases: Vec<Vec<u8>> = scan_all(&files)
            .into_iter()
            .map(|r| r.unwrap().aliases.remove(0))
            .collect();
        let expected: Vec<Vec<u8>> = (0..20).map(|i| format!("alias-{i}").into_bytes()).collect();
        assert_eq!(aliases, expected);
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
