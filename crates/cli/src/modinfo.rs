//! `modinfo`: show information about kernel modules (tools.md §4).
//!
//! Output is byte-identical to kmod's: `key:` padded to 16 columns, `parm` entries merged and
//! printed last in reverse order of first appearance, signature fields after the `.modinfo` keys,
//! `-F` printing bare values, `-0` switching the record separator. With `--json`, the same
//! information as one JSON array (see [`crate::json::modinfo`]).

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::Path;

use kmod::context::make_absolute;
use kmod::{Context, Lookup, ModuleRef};
use modfile::{ModuleFile, Signature};
use rayon::prelude::*;

use crate::getopt::{self, HasArg, OptSpec};
use crate::json::modinfo::{filename_only, module_object, ModuleInfo};
use crate::log::Priority;
use crate::{json, log, version, EXIT_FAILURE, EXIT_SUCCESS};

const PROG: &str = "modinfo";

/// The options of modinfo, in help order.
pub const OPTIONS: &[OptSpec] = &[
    OptSpec::flag("author", 'a', "author"),
    OptSpec::flag("description", 'd', "description"),
    OptSpec::flag("license", 'l', "license"),
    OptSpec::flag("parameters", 'p', "parameters"),
    OptSpec::flag("filename", 'n', "filename"),
    OptSpec::flag("null", '0', "null"),
    OptSpec::flag("modname", 'm', "modname"),
    OptSpec::with_arg("field", 'F', "field"),
    OptSpec::with_arg("set-version", 'k', "set-version"),
    OptSpec::with_arg("basedir", 'b', "basedir"),
    OptSpec::long_only("json", "json", HasArg::No),
    OptSpec::flag("version", 'V', "version"),
    OptSpec::flag("help", 'h', "help"),
];

/// The help text, as kmod prints it (`--json` is documented in the man page only, so that the
/// help stays kmod's byte for byte).
pub const HELP: &str = "Usage:
\tmodinfo [options] <modulename|filename> [args]
Options:
\t-a, --author                Print only 'author'
\t-d, --description           Print only 'description'
\t-l, --license               Print only 'license'
\t-p, --parameters            Print only 'parm'
\t-n, --filename              Print only 'filename'
\t-0, --null                  Use \\0 instead of \\n
\t-m, --modname               Handle argument as module name instead of alias or filename
\t-F, --field=FIELD           Print only provided FIELD
\t-k, --set-version=VERSION   Use VERSION instead of `uname -r`
\t-b, --basedir=DIR           Use DIR as filesystem root for /lib/modules
\t-V, --version               Show version
\t-h, --help                  Show this help
";

/// File name endings modinfo opens as files (when such a regular file exists).
const MODULE_EXTENSIONS: &[&str] = &[".ko", ".ko.gz", ".ko.xz", ".ko.zst"];

/// From this many operands on, modules are read in parallel.
const PARALLEL_THRESHOLD: usize = 8;

/// What to print and how, from the command line.
struct Settings {
    field: Option<String>,
    sep: u8,
    json: bool,
}

/// Runs modinfo with `args` (`argv[0]` included); returns the exit status.
pub fn main(args: Vec<OsString>) -> i32 {
    let argv0 = args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| PROG.to_string());
    let args = args.get(1..).unwrap_or_default();
    let parsed = match getopt::parse(&argv0, OPTIONS, args, false) {
        Ok(p) => p,
        Err(e) => {
            json::report_usage_error(PROG, &argv0, args, &e.0);
            return EXIT_FAILURE;
        }
    };
    let mut settings = Settings {
        field: None,
        sep: b'\n',
        json: false,
    };
    let (mut modname_only, mut kver, mut basedir) = (false, None, None);
    for opt in &parsed.opts {
        let value = opt.value.as_ref().map(|v| v.to_string_lossy().into_owned());
        match opt.id {
            "author" | "description" | "license" | "filename" => {
                settings.field = Some(opt.id.to_string())
            }
            "parameters" => settings.field = Some("parm".to_string()),
            "field" => settings.field = value,
            "null" => settings.sep = b'\0',
            "modname" => modname_only = true,
            "set-version" => kver = value,
            "basedir" => basedir = value,
            "json" => settings.json = true,
            "version" => {
                print!("{}", version::version_text());
                return EXIT_SUCCESS;
            }
            "help" => {
                print!("{HELP}");
                return EXIT_SUCCESS;
            }
            _ => {}
        }
    }
    if parsed.operands.is_empty() {
        error(settings.json, None, "missing module or filename.");
        return EXIT_FAILURE;
    }
    let ctx = match Context::new(basedir.as_deref(), kver.as_deref()) {
        Ok(ctx) => ctx,
        Err(e) => {
            error(settings.json, None, &e.to_string());
            return EXIT_FAILURE;
        }
    };
    let render = |operand: &OsString| {
        let operand = operand.to_string_lossy();
        let mut sink = Sink::for_operand(&operand, settings.json);
        let ok = show_operand(&ctx, &operand, modname_only, &settings, &mut sink);
        (sink, ok.is_ok())
    };
    // Many operands (e.g. every module of a tree) are read and formatted in parallel; the output
    // keeps command-line order. A few operands are not worth starting threads for.
    let rendered: Vec<(Sink, bool)> = if parsed.operands.len() >= PARALLEL_THRESHOLD {
        parsed.operands.par_iter().map(render).collect()
    } else {
        parsed.operands.iter().map(render).collect()
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut status = EXIT_SUCCESS;
    let mut objects = Vec::new();
    for (sink, ok) in rendered {
        sink.emit(&mut out, &mut objects);
        if !ok {
            status = EXIT_FAILURE;
        }
    }
    if settings.json && json::write_array_of_serialized(&mut out, &objects).is_err() {
        status = EXIT_FAILURE;
    }
    if out.flush().is_err() {
        status = EXIT_FAILURE;
    }
    status
}

/// Prints an error message about `file` (if known), as JSON with `--json`.
fn error(json: bool, file: Option<&str>, msg: &str) {
    if json {
        json::print_message(PROG, Priority::Error, file, msg);
    } else {
        log::error(PROG, msg);
    }
}

/// A failure already reported on stderr.
struct Reported;

/// Resolves one command-line argument and prints every module it names.
fn show_operand(
    ctx: &Context,
    name: &str,
    modname_only: bool,
    settings: &Settings,
    out: &mut Sink,
) -> Result<(), Reported> {
    if modname_only {
        return match ctx.lookup_name(name) {
            Ok(Some(module)) => show_module(ctx, &module, settings, out),
            Ok(None) => report(out, &format!("Module name {name} not found.")),
            Err(e) => report(out, &e.to_string()),
        };
    }
    if is_module_file(name) {
        let path = make_absolute(Path::new(name));
        return show_file(&path, settings, out);
    }
    match ctx.lookup_indexes(name) {
        Ok(Lookup::InvalidAlias) => report(out, &format!("Module alias {name} not found.")),
        Ok(Lookup::Found(modules)) if modules.is_empty() => {
            report(out, &format!("Module {name} not found."))
        }
        Ok(Lookup::Found(modules)) => {
            let mut result = Ok(());
            for module in &modules {
                if show_module(ctx, module, settings, out).is_err() {
                    result = Err(Reported);
                }
            }
            result
        }
        Err(e) => report(out, &e.to_string()),
    }
}

/// Does `name` end in a module file extension and name an existing regular file?
fn is_module_file(name: &str) -> bool {
    MODULE_EXTENSIONS.iter().any(|ext| name.ends_with(ext))
        && std::fs::metadata(name).is_ok_and(|m| m.is_file())
}

/// Records an error message after what was printed so far.
fn report(out: &mut Sink, msg: &str) -> Result<(), Reported> {
    out.error(None, msg.to_string());
    Err(Reported)
}

/// One operand's output: stdout bytes (or, with `--json`, serialised module objects) and error
/// messages, in the order they were produced, so operands can be rendered in parallel and
/// printed in command-line order.
pub struct Sink {
    operand: String,
    chunks: Vec<Chunk>,
    buf: Vec<u8>,
    json: bool,
    objects: Vec<Vec<u8>>,
}

enum Chunk {
    Out(Vec<u8>),
    Err { file: Option<String>, msg: String },
}

impl Sink {
    /// An empty sink for the output of command-line argument `operand` (as JSON with `json`).
    fn for_operand(operand: &str, json: bool) -> Sink {
        Sink {
            operand: operand.to_string(),
            chunks: Vec::new(),
            buf: Vec::new(),
            json,
            objects: Vec::new(),
        }
    }

    /// Records an error message (about `file`, if known).
    fn error(&mut self, file: Option<String>, msg: String) {
        if !self.buf.is_empty() {
            self.chunks.push(Chunk::Out(std::mem::take(&mut self.buf)));
        }
        self.chunks.push(Chunk::Err { file, msg });
    }

    /// Records a module's JSON object.
    fn object(&mut self, object: &impl serde::Serialize) {
        match serde_json::to_vec(object) {
            Ok(bytes) => self.objects.push(bytes),
            Err(e) => self.error(None, format!("could not format JSON: {e}")),
        }
    }

    /// Writes the text to `out` and messages to stderr (flushing `out` before each error);
    /// JSON objects are added to `objects`.
    fn emit(self, out: &mut impl Write, objects: &mut Vec<Vec<u8>>) {
        for chunk in self.chunks {
            match chunk {
                Chunk::Out(bytes) => {
                    let _ = out.write_all(&bytes);
                }
                Chunk::Err { file, msg } => {
                    let _ = out.flush();
                    error(self.json, file.as_deref(), &msg);
                }
            }
        }
        let _ = out.write_all(&self.buf);
        objects.extend(self.objects);
    }
}

impl Write for Sink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Prints a module found through the indexes.
fn show_module(
    ctx: &Context,
    module: &ModuleRef,
    settings: &Settings,
    out: &mut Sink,
) -> Result<(), Reported> {
    if let Some(dep) = &module.dep {
        return show_file(&ctx.module_path(&dep.path), settings, out);
    }
    if module.builtin {
        return show_builtin(ctx, &module.name, settings, out);
    }
    // Known by an alias index only: there is no file to read.
    report(
        out,
        &format!(
            "could not get modinfo from '{}': No such file or directory",
            module.name
        ),
    )
}

/// Prints a built-in module from `modules.builtin.modinfo`.
fn show_builtin(
    ctx: &Context,
    name: &str,
    settings: &Settings,
    out: &mut Sink,
) -> Result<(), Reported> {
    let info = match ctx.builtin_info(name) {
        Ok(info) => info,
        Err(e) => return report(out, &e.to_string()),
    };
    let entries: Vec<(&[u8], &[u8])> = info
        .iter()
        .map(|i| (i.key.as_slice(), i.value.as_slice()))
        .collect();
    if settings.json {
        let module = ModuleInfo {
            operand: &out.operand,
            filename: None,
            builtin_name: Some(name),
            entries: &entries,
            signature: None,
        };
        let (object, errors) = module_object(&module, settings.field.as_deref());
        for e in errors {
            out.error(None, e);
        }
        out.object(&object);
        return Ok(());
    }
    let mut printer = Printer::new(settings, out);
    match settings.field.as_deref() {
        None => {
            printer.padded("name", name.as_bytes());
            printer.padded("filename", b"(builtin)");
        }
        Some("name") => printer.bare(name.as_bytes()),
        Some("filename") => printer.bare(b"(builtin)"),
        Some(_) => {}
    }
    printer.entries(&entries, None);
    printer.finish()
}

/// Prints a module file.
fn show_file(path: &Path, settings: &Settings, out: &mut Sink) -> Result<(), Reported> {
    if settings.json {
        return show_file_json(path, settings, out);
    }
    let mut printer = Printer::new(settings, out);
    match settings.field.as_deref() {
        None => printer.padded("filename", path.as_os_str().as_encoded_bytes()),
        Some("filename") => {
            printer.bare(path.as_os_str().as_encoded_bytes());
            return printer.finish();
        }
        Some(_) => {}
    }
    match read_file_info(path, |pairs, signature| printer.entries(pairs, signature)) {
        Ok(()) => printer.finish(),
        Err(e) => modinfo_failed(printer.into_inner(), path, &e),
    }
}

/// Records a module file's JSON object.
fn show_file_json(path: &Path, settings: &Settings, out: &mut Sink) -> Result<(), Reported> {
    let filename = path.as_os_str().as_encoded_bytes();
    if settings.field.as_deref() == Some("filename") {
        let object = filename_only(&out.operand, filename);
        out.object(&object);
        return Ok(());
    }
    let operand = out.operand.clone();
    let built = read_file_info(path, |entries, signature| {
        let module = ModuleInfo {
            operand: &operand,
            filename: Some(filename),
            builtin_name: None,
            entries,
            signature,
        };
        module_object(&module, settings.field.as_deref())
    });
    match built {
        Ok((object, errors)) => {
            let file = Some(path.display().to_string());
            for e in errors {
                out.error(file.clone(), e);
            }
            out.object(&object);
            Ok(())
        }
        Err(e) => modinfo_failed(out, path, &e),
    }
}

/// Reads a module file's `.modinfo` entries and signature and hands them to `show`.
fn read_file_info<R>(
    path: &Path,
    show: impl FnOnce(&[(&[u8], &[u8])], Option<&Signature>) -> R,
) -> Result<R, modfile::Error> {
    // Only `.modinfo` and the signature are shown: read just those parts of a plain file.
    let limits = modfile::DecompressLimits::default();
    let file = ModuleFile::open_sections(path, &[modfile::MODINFO_SECTION], &limits)?;
    let elf = file.elf()?;
    let entries = elf.modinfo()?;
    if let Some(len) = file.truncated_signature(&elf) {
        return Err(modfile::Error::InvalidElf {
            path: path.to_path_buf(),
            problem: format!(
                "{len} bytes of signature data after the ELF image but no signature trailer (truncated file?)"
            ),
        });
    }
    let pairs: Vec<(&[u8], &[u8])> = entries.iter().map(|e| (e.key, e.value)).collect();
    let signature = file.signature();
    Ok(show(&pairs, signature.as_ref()))
}

/// Reports kmod's `could not get modinfo from '<name>': <strerror>` plus what exactly is wrong.
fn modinfo_failed(out: &mut Sink, path: &Path, e: &modfile::Error) -> Result<(), Reported> {
    let name = path
        .file_name()
        .map(|n| modname::modname_normalize(&n.to_string_lossy()))
        .unwrap_or_default();
    out.error(
        Some(path.display().to_string()),
        format!(
            "could not get modinfo from '{name}': {} ({e})",
            log::strerror(e.errno_like())
        ),
    );
    Err(Reported)
}

/// Formats one module's records into the output in kmod's layout.
struct Printer<'o> {
    settings: &'o Settings,
    out: &'o mut Sink,
}

impl<'o> Printer<'o> {
    fn new(settings: &'o Settings, out: &'o mut Sink) -> Self {
        Printer { settings, out }
    }

    fn into_inner(self) -> &'o mut Sink {
        self.out
    }

    fn finish(self) -> Result<(), Reported> {
        Ok(())
    }

    /// `key:` padded to 16 columns, then the value and the separator (also used with `-0`).
    fn padded(&mut self, key: &str, value: &[u8]) {
        let pad = 15 - key.len().min(15);
        let _ = write!(self.out, "{key}:{:pad$}", "");
        let _ = self.out.write_all(value);
        let _ = self.out.write_all(&[self.settings.sep]);
    }

    /// A `.modinfo`-style record: padded form, or `key=value` with `-0`.
    fn record(&mut self, key: &[u8], value: &[u8]) {
        if self.settings.sep == b'\n' {
            let pad = 15 - key.len().min(15);
            let _ = self.out.write_all(key);
            let _ = write!(self.out, ":{:pad$}", "");
        } else {
            let _ = self.out.write_all(key);
            let _ = self.out.write_all(b"=");
        }
        let _ = self.out.write_all(value);
        let _ = self.out.write_all(&[self.settings.sep]);
    }

    /// A bare value (with `-F`).
    fn bare(&mut self, value: &[u8]) {
        let _ = self.out.write_all(value);
        let _ = self.out.write_all(&[self.settings.sep]);
    }

    /// Prints `.modinfo` entries, the signature fields, then the merged `parm` lines.
    fn entries(&mut self, entries: &[(&[u8], &[u8])], signature: Option<&Signature>) {
        let field = self.settings.field.clone();
        let mut params = Params::default();
        for &(key, value) in entries {
            let is_param =
                key == b"parm" || (key == b"parmtype" && field.as_deref() != Some("parmtype"));
            if is_param {
                if matches!(field.as_deref(), None | Some("parm")) {
                    if let Err(bad) = params.add(key == b"parmtype", value) {
                        self.out.error(
                            None,
                            format!(
                                "Found invalid \"{}={}\": missing ':'",
                                String::from_utf8_lossy(key),
                                String::from_utf8_lossy(bad)
                            ),
                        );
                    }
                }
                continue;
            }
            match field.as_deref() {
                None => self.record(key, value),
                Some(f) if f.as_bytes() == key => self.bare(value),
                Some(_) => {}
            }
        }
        if let Some(sig) = signature {
            for (key, value) in signature_fields(sig) {
                match field.as_deref() {
                    None => self.record(key.as_bytes(), value.as_bytes()),
                    Some(f) if f == key => self.bare(value.as_bytes()),
                    Some(_) => {}
                }
            }
        }
        match field.as_deref() {
            None => {
                for line in params.lines(false) {
                    self.padded("parm", &line);
                }
            }
            Some("parm") => {
                for line in params.lines(true) {
                    self.bare(&line);
                }
            }
            Some(_) => {}
        }
    }
}

/// `parm`/`parmtype` entries merged per parameter name, in order of first appearance.
#[derive(Default)]
pub(crate) struct Params<'a> {
    /// The parameters, in order of first appearance.
    pub(crate) list: Vec<Param<'a>>,
}

/// One parameter's `parm` and `parmtype` texts.
pub(crate) struct Param<'a> {
    /// Its name (before the `:`).
    pub(crate) name: &'a [u8],
    /// The `parm` text after the `:`.
    pub(crate) description: Option<&'a [u8]>,
    /// The `parmtype` text after the `:`.
    pub(crate) kind: Option<&'a [u8]>,
}

impl<'a> Params<'a> {
    /// Adds a `parm` (description) or `parmtype` value `name:text`; returns the value when it
    /// has no `:`.
    pub(crate) fn add(&mut self, is_type: bool, value: &'a [u8]) -> Result<(), &'a [u8]> {
        let colon = value.iter().position(|&b| b == b':').ok_or(value)?;
        let (name, text) = (&value[..colon], &value[colon + 1..]);
        let index = match self.list.iter().position(|p| p.name == name) {
            Some(i) => i,
            None => {
                self.list.push(Param {
                    name,
                    description: None,
                    kind: None,
                });
                self.list.len() - 1
            }
        };
        let param = &mut self.list[index];
        if is_type {
            param.kind = Some(text);
        } else {
            param.description = Some(text);
        }
        Ok(())
    }

    /// The merged lines, most recently first-seen parameter first. `field_only` selects the `-F parm`
    /// spelling of a parameter that has only a type (`name: (type)` instead of `name:type`).
    fn lines(&self, field_only: bool) -> Vec<Vec<u8>> {
        self.list
            .iter()
            .rev()
            .map(|p| {
                let mut line = p.name.to_vec();
                line.push(b':');
                match (p.description, p.kind) {
                    (Some(d), Some(t)) => {
                        line.extend_from_slice(d);
                        line.extend_from_slice(b" (");
                        line.extend_from_slice(t);
                        line.push(b')');
                    }
                    (Some(d), None) => line.extend_from_slice(d),
                    (None, Some(t)) if field_only => {
                        line.extend_from_slice(b" (");
                        line.extend_from_slice(t);
                        line.push(b')');
                    }
                    (None, Some(t)) => line.extend_from_slice(t),
                    (None, None) => {}
                }
                line
            })
            .collect()
    }
}

/// The signature keys modinfo appends, in kmod's order.
pub(crate) fn signature_fields(sig: &Signature) -> [(&'static str, String); 5] {
    [
        ("sig_id", sig.id_type.to_string()),
        ("signer", String::from_utf8_lossy(&sig.signer).into_owned()),
        ("sig_key", hex_bytes(&sig.key_id)),
        ("sig_hashalgo", sig.hash_algo.clone()),
        ("signature", hex_bytes(&sig.signature)),
    ]
}

/// Upper-case hex bytes joined by `:`, wrapped after every 20 bytes with `\n\t\t`.
fn hex_bytes(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3 + bytes.len() / 20 * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(':');
            if i % 20 == 0 {
                s.push_str("\n\t\t");
            }
        }
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_wraps_every_twenty_bytes() {
        let bytes: Vec<u8> = (0..41).collect();
        let s = hex_bytes(&bytes);
        let lines: Vec<&str> = s.split('\n').collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].ends_with("13:"));
        assert!(lines[1].starts_with("\t\t14:"));
        assert_eq!(lines[2], "\t\t28");
        assert_eq!(hex_bytes(&[0xab]), "AB");
        assert_eq!(hex_bytes(&[]), "");
    }

    #[test]
    fn params_merge_in_reverse_first_appearance() {
        let mut p = Params::default();
        p.add(true, b"debug:int").unwrap();
        p.add(false, b"debug:Debug level").unwrap();
        p.add(false, b"only:desc: with colon").unwrap();
        p.add(true, b"typed:uint").unwrap();
        assert_eq!(p.add(false, b"broken"), Err(&b"broken"[..]));
        let lines: Vec<String> = p
            .lines(false)
            .into_iter()
            .map(|l| String::from_utf8(l).unwrap())
            .collect();
        assert_eq!(
            lines,
            [
                "typed:uint",
                "only:desc: with colon",
                "debug:Debug level (int)"
            ]
        );
        let field: Vec<String> = p
            .lines(true)
            .into_iter()
            .map(|l| String::from_utf8(l).unwrap())
            .collect();
        assert_eq!(field[0], "typed: (uint)");
    }
}
