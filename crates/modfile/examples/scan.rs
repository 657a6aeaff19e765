//! Bench helper: does `modinfo`-like work (open + `.modinfo` + signature) for many module files
//! and reports the time on stderr.
//!
//! ```text
//! cargo run --release -p modfile --example scan -- [--print] <dir-or-file>...
//! ```
//! Directories are searched recursively for `*.ko`, `*.ko.gz`, `*.ko.xz`, `*.ko.zst`.
//! With `--depmod`, also reads exported and dependency symbols (depmod's per-module work).
//! With `--print`, writes a `modinfo`-style listing (filename, keys, signature, merged `parm`
//! lines) to stdout, for a quick diff against `modinfo <files>`.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use modfile::{ModinfoEntry, ModuleFile, Signature};

fn is_module(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    [".ko", ".ko.gz", ".ko.xz", ".ko.zst"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    if is_module(path) {
        out.push(path.to_path_buf());
    } else if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for entry in entries {
            collect(&entry, out)?;
        }
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}

fn hex(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 20 == 0 {
            out.write_all(b"\n\t\t")?;
        }
        write!(out, "{b:02X}")?;
        if i + 1 < bytes.len() {
            out.write_all(b":")?;
        }
    }
    Ok(())
}

fn field(out: &mut impl Write, key: &[u8]) -> io::Result<()> {
    out.write_all(key)?;
    out.write_all(b":")?;
    let pad = 15usize.saturating_sub(key.len());
    write!(out, "{:pad$}", "")
}

fn c_str(bytes: &[u8]) -> &[u8] {
    bytes.split(|&b| b == 0).next().unwrap_or_default()
}

fn print_signature(out: &mut impl Write, sig: &Signature) -> io::Result<()> {
    field(out, b"sig_id")?;
    writeln!(out, "{}", sig.id_type)?;
    field(out, b"signer")?;
    out.write_all(c_str(&sig.signer))?;
    out.write_all(b"\n")?;
    field(out, b"sig_key")?;
    hex(out, &sig.key_id)?;
    out.write_all(b"\n")?;
    field(out, b"sig_hashalgo")?;
    writeln!(out, "{}", sig.hash_algo)?;
    field(out, b"signature")?;
    hex(out, &sig.signature)?;
    out.write_all(b"\n")
}

/// Parameters merged like modinfo: (name, description, type), newest first.
fn print_params(out: &mut impl Write, entries: &[ModinfoEntry<'_>]) -> io::Result<()> {
    type Param<'a> = (&'a [u8], Option<&'a [u8]>, Option<&'a [u8]>);
    let mut params: Vec<Param<'_>> = Vec::new();
    for e in entries {
        let is_type = match e.key {
            b"parm" => false,
            b"parmtype" => true,
            _ => continue,
        };
        let Some(colon) = e.value.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, rest) = e.value.split_at(colon);
        let rest = rest.get(1..).unwrap_or_default();
        if !params.iter().any(|p| p.0 == name) {
            params.push((name, None, None));
        }
        if let Some(slot) = params.iter_mut().find(|p| p.0 == name) {
            if is_type {
                slot.2 = Some(rest);
            } else {
                slot.1 = Some(rest);
            }
        }
    }
    for (name, desc, typ) in params.iter().rev() {
        field(out, b"parm")?;
        out.write_all(name)?;
        out.write_all(b":")?;
        match (desc, typ) {
            (Some(d), Some(t)) => {
                out.write_all(d)?;
                out.write_all(b" (")?;
                out.write_all(t)?;
                out.write_all(b")")?;
            }
            (Some(d), None) => out.write_all(d)?,
            (None, Some(t)) => out.write_all(t)?,
            (None, None) => {}
        }
        out.write_all(b"\n")?;
    }
    Ok(())
}

fn print_module(out: &mut impl Write, path: &Path, m: &ModuleFile) -> io::Result<()> {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    field(out, b"filename")?;
    writeln!(out, "{}", abs.display())?;
    let Ok(entries) = m.elf().and_then(|elf| elf.modinfo()) else {
        return Ok(());
    };
    for e in entries
        .iter()
        .filter(|e| e.key != b"parm" && e.key != b"parmtype")
    {
        field(out, e.key)?;
        out.write_all(e.value)?;
        out.write_all(b"\n")?;
    }
    if let Some(sig) = m.signature() {
        print_signature(out, &sig)?;
    }
    print_params(out, &entries)
}

fn main() -> io::Result<()> {
    let mut print = false;
    let mut depmod = false;
    let mut files = Vec::new();
    for arg in std::env::args_os().skip(1) {
        if arg == "--print" {
            print = true;
        } else if arg == "--depmod" {
            depmod = true;
        } else {
            collect(Path::new(&arg), &mut files)?;
        }
    }
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let start = Instant::now();
    let (mut keys, mut signed, mut failed, mut symbols) = (0usize, 0usize, 0usize, 0usize);
    for path in &files {
        match ModuleFile::open(path) {
            Ok(m) => {
                match m.elf().and_then(|elf| elf.modinfo()) {
                    Ok(entries) => keys += entries.len(),
                    Err(e) => {
                        failed += 1;
                        eprintln!("scan: {e}");
                    }
                }
                if depmod {
                    match m.elf().and_then(|elf| {
                        Ok(elf.exported_symbols()?.len() + elf.dependency_symbols()?.len())
                    }) {
                        Ok(n) => symbols += n,
                        Err(e) => eprintln!("scan: {e}"),
                    }
                } else {
                    signed += usize::from(m.signature().is_some());
                }
                if print {
                    print_module(&mut out, path, &m)?;
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("scan: {e}");
            }
        }
    }
    out.flush()?;
    let elapsed = start.elapsed();
    eprintln!(
        "scan: {} files, {keys} modinfo entries, {signed} signed, {symbols} symbols, {failed} failed in {:.3} s",
        files.len(),
        elapsed.as_secs_f64()
    );
    Ok(())
}
