//! The query modes that print and exit: `-c` (tools.md §5.5) and `--show-modversions` /
//! `--show-exports` (§5.7).

use std::fmt::Write as _;
use std::path::Path;

use kmod::{Context, IndexKind};
use modconf::ModprobeConfig;
use modfile::ModuleFile;

use super::output::Output;
use crate::log::{strerror, Priority};
use crate::{EXIT_FAILURE, EXIT_SUCCESS};

/// The line between the configuration and the index dump (with the blank lines around it).
const INDEX_MARKER: &str = "\n# End of configuration files. Dumping indexes now:\n\n";

/// `modprobe -c`: the configuration, then every alias and symbol of the indexes (as JSON with
/// `--json`, see [`super::show_json`]).
pub fn show_config(ctx: &Context, config: &ModprobeConfig, out: &mut Output) -> i32 {
    if out.json_mut().is_some() {
        return super::show_json::show_config(ctx, config, out);
    }
    out.print_bytes(&config.show_config());
    out.print(INDEX_MARKER);
    let mut status = EXIT_SUCCESS;
    let mut line = String::new();
    for kind in [IndexKind::Alias, IndexKind::Symbols] {
        // Missing or unusable indexes print nothing, as in kmod.
        let Ok(Some(index)) = ctx.index(kind) else {
            continue;
        };
        let dumped = index.for_each(|key, value| {
            line.clear();
            let _ = writeln!(line, "alias {key} {}", value.value);
            out.print(&line);
        });
        if let Err(e) = dumped {
            out.log(Priority::Error, &e.to_string());
            status = EXIT_FAILURE;
        }
    }
    status
}

/// Which list of CRCs to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrcList {
    /// `--show-modversions`: the `__versions` records.
    Versions,
    /// `--show-exports`: the exported symbols.
    Exports,
}

/// `--show-modversions FILE` / `--show-exports FILE`: `0x%08x\t<symbol>` per entry.
pub fn show_crcs(file: &str, list: CrcList, out: &mut Output) -> i32 {
    if std::fs::metadata(file).is_err() {
        out.tool_log(&format!("Module {file} not found."));
        return EXIT_FAILURE;
    }
    match read_crcs(Path::new(file), list) {
        Ok(entries) => {
            let mut text = String::new();
            for (crc, name) in entries {
                let _ = writeln!(text, "0x{crc:08x}\t{name}");
            }
            out.print(&text);
            EXIT_SUCCESS
        }
        Err(errno) => {
            let what = match list {
                CrcList::Versions => "modversions",
                CrcList::Exports => "symbols",
            };
            out.tool_log(&format!(
                "could not get {what} of {file}: {}",
                strerror(errno)
            ));
            EXIT_FAILURE
        }
    }
}

/// The entries, or the errno kmod reports.
fn read_crcs(path: &Path, list: CrcList) -> Result<Vec<(u64, String)>, i32> {
    const ENOENT: i32 = 2;
    let file = ModuleFile::open(path).map_err(|e| e.errno_like())?;
    let elf = file.elf().map_err(|e| e.errno_like())?;
    match list {
        CrcList::Versions => {
            if !elf.has_section(modfile::versions::VERSIONS_SECTION) {
                return Err(ENOENT);
            }
            let versions = elf.versions().map_err(|e| e.errno_like())?;
            Ok(versions.into_iter().map(|v| (v.crc, v.name)).collect())
        }
        CrcList::Exports => {
            let symbols = elf.exported_symbols().map_err(|e| e.errno_like())?;
            if symbols.is_empty() && !elf.has_section(modfile::symbols::KSYMTAB_STRINGS_SECTION) {
                return Err(ENOENT);
            }
            Ok(symbols.into_iter().map(|s| (s.crc, s.name)).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_modules_give_kmods_errno() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("passwd.ko");
        std::fs::write(&text, "root:x:0:0:root:/root:/bin/bash\n").unwrap();
        assert_eq!(read_crcs(&text, CrcList::Versions), Err(8));
        assert_eq!(read_crcs(&text, CrcList::Exports), Err(8));
        assert_eq!(read_crcs(dir.path(), CrcList::Versions), Err(21));
    }
}
