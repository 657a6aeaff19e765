//! `depmod`: generate `modules.dep` and the other module indexes (tools.md §6). Options are read
//! in [`args`]; the work is done by [`kmod::depmod::run`]; this module turns its messages into
//! kmod's output and exit status, or with `--json` into JSON (see [`crate::json::depmod`]).

pub mod args;

use std::ffi::OsString;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use kmod::context::{make_absolute, running_kernel_release, MODULE_DIRECTORY};
use kmod::depmod::{self as engine, DepmodOptions, Level, Message, Reporter};
use modconf::{dirs_under_root, DEFAULT_DEPMOD_DIRS};

use crate::json::depmod::{need_line, parse_files, Document};
use crate::log::{self, Priority};
use crate::{json, version, EXIT_FAILURE, EXIT_SUCCESS};
use args::{looks_like_version, Action, Settings};

const PROG: &str = "depmod";

/// The help text (kmod 34's, which adds `-m` and `-o` to kmod 30's).
pub const HELP: &str = "Usage:
\tdepmod -[aA] [options] [forced_version]

If no arguments (except options) are given, \"depmod -a\" is assumed

depmod will output a dependency list suitable for the modprobe utility.

Options:
\t-a, --all            Probe all modules
\t-A, --quick          Only does the work if there's a new module
\t-e, --errsyms        Report not supplied symbols
\t-n, --show           Write the dependency file on stdout only
\t-P, --symbol-prefix  Architecture symbol prefix
\t-C, --config=PATH    Read configuration from PATH
\t-v, --verbose        Enable verbose mode
\t-w, --warn           Warn on duplicates
\t-V, --version        show version
\t-h, --help           show this help

The following options are useful for people managing distributions:
\t-b, --basedir=DIR    Use an image of a module tree.
\t-m, --moduledir=DIR  Use a different module directory than /lib/modules.
\t-o, --outdir=DIR     Output directory for generated files.
\t-F, --filesyms=FILE  Use the file instead of the
\t                     current kernel symbols.
\t-E, --symvers=FILE   Use Module.symvers file to check
\t                     symbol versions.
";

/// Runs depmod with `args` (`argv[0]` included); returns the exit status.
pub fn main(args: Vec<OsString>) -> i32 {
    let argv0 = args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| PROG.to_string());
    let args = args.get(1..).unwrap_or_default();
    let settings = match args::parse(&argv0, args) {
        Action::Run(s) => s,
        Action::Help => {
            print!("{HELP}");
            return EXIT_SUCCESS;
        }
        Action::Version => {
            print!("{}", version::version_text());
            return EXIT_SUCCESS;
        }
        Action::Fatal(text) => {
            say(json::requested(args), Priority::Fatal, &text);
            return EXIT_FAILURE;
        }
        Action::Usage(text) => {
            json::report_usage_error(PROG, &argv0, args, &text);
            return EXIT_FAILURE;
        }
    };
    let Some(opts) = options(&settings) else {
        return EXIT_FAILURE;
    };
    let mut printer = Printer::new(settings.verbose, settings.json);
    let result = engine::run(&opts, &mut printer);
    if result.is_ok() && settings.json {
        let document = printer.document(settings.dry_run, settings.verbose > 0);
        if json::write_document(&mut printer.out, &document).is_err() {
            return EXIT_FAILURE;
        }
    }
    let flushed = printer.out.flush();
    match (result, flushed) {
        (Ok(_), Ok(())) => EXIT_SUCCESS,
        _ => EXIT_FAILURE,
    }
}

/// Prints a message at `prio`: kmod's text, or a JSON line with `--json`.
fn say(json: bool, prio: Priority, msg: &str) {
    if json {
        json::print_message(PROG, prio, None, msg);
    } else {
        log::log(PROG, prio, msg);
    }
}

/// `<prefix>/<moduledir without leading slashes>/<version>`, composed as kmod composes it.
fn module_path(prefix: &OsString, moduledir: &str, version: &str) -> PathBuf {
    let mut path = prefix.clone();
    path.push("/");
    path.push(moduledir.trim_start_matches('/'));
    path.push("/");
    path.push(version);
    PathBuf::from(path)
}

/// Resolves operands, paths and defaults; reports and returns `None` on a bad command line.
fn options(s: &Settings) -> Option<DepmodOptions> {
    let mut operands = s.operands.iter();
    let version = match operands.next() {
        Some(v) => {
            let v = v.to_string_lossy().into_owned();
            if !looks_like_version(&v) {
                say(s.json, Priority::Error, &format!("Bad version passed {v}"));
                return None;
            }
            v
        }
        None => match running_kernel_release() {
            Ok(v) => v,
            Err(e) => {
                say(s.json, Priority::Error, &e.to_string());
                return None;
            }
        },
    };
    if s.errsyms && s.symvers.is_none() && s.system_map.is_none() {
        say(s.json, Priority::Warning, "-e needs -E or -F");
    }
    // With -a or -A, depmod works on the whole directory and ignores file arguments.
    let mut files = Vec::new();
    for file in operands.filter(|_| !s.all && !s.quick) {
        let path = PathBuf::from(file);
        if !path.is_absolute() {
            say(
                s.json,
                Priority::Fatal,
                &format!("{}: not absolute path.", path.display()),
            );
            return None;
        }
        files.push(path);
    }
    let absolute = |p: &OsString| make_absolute(&PathBuf::from(p)).into_os_string();
    let base = s.basedir.as_ref().map(absolute).unwrap_or_default();
    let moduledir = s
        .moduledir
        .as_ref()
        .map(|m| m.to_string_lossy().into_owned())
        .unwrap_or_else(|| MODULE_DIRECTORY.to_string());
    let module_dir = module_path(&base, &moduledir, &version);
    let out_dir = match &s.outdir {
        Some(out) => module_path(&absolute(out), &moduledir, &version),
        None => module_dir.clone(),
    };
    let config_paths = if s.config.is_empty() {
        dirs_under_root(std::path::Path::new("/"), &DEFAULT_DEPMOD_DIRS)
    } else {
        s.config.clone()
    };
    Some(DepmodOptions {
        module_dir,
        out_dir,
        create_out_dir: s.outdir.is_some(),
        kernel_version: version,
        config_paths,
        files,
        system_map: s.system_map.clone(),
        symvers: s.symvers.clone(),
        report_unknown: s.errsyms,
        symbol_prefix: s.prefix,
        warn_duplicates: s.warn,
        verbose: s.verbose > 0,
        quick: s.quick,
        dry_run: s.dry_run,
    })
}

/// Prints the engine's messages at depmod's verbosity (warnings and worse by default, one more
/// level per `-v`) and its stdout output through one buffer; with `--json`, messages are JSON
/// lines and the stdout output is kept for the JSON document.
struct Printer {
    max: Level,
    out: BufWriter<io::Stdout>,
    json: Option<JsonOutput>,
}

/// What `--json` keeps of the engine's stdout output.
#[derive(Default)]
struct JsonOutput {
    text: Vec<u8>,
    verbose: Vec<String>,
}

impl Printer {
    fn new(verbose: u32, json: bool) -> Self {
        let max = match verbose {
            0 => Level::Warning,
            1 => Level::Notice,
            2 => Level::Info,
            _ => Level::Debug,
        };
        Printer {
            max,
            out: BufWriter::with_capacity(1 << 16, io::stdout()),
            json: json.then(JsonOutput::default),
        }
    }

    /// The JSON document of what was printed: the files with `-n` (`dry_run`), the `-v` lines
    /// with `verbose`. Lines of a form the document cannot hold are reported as errors.
    fn document(&mut self, dry_run: bool, verbose: bool) -> Document {
        let kept = self.json.take().unwrap_or_default();
        let files = (dry_run && !kept.text.is_empty()).then(|| {
            let (files, bad) = parse_files(&kept.text);
            for b in bad {
                json::print_message(
                    PROG,
                    Priority::Error,
                    None,
                    &format!("{}: line not shown in JSON: {}", b.file, b.line),
                );
            }
            files
        });
        let needs = verbose.then(|| {
            kept.verbose
                .iter()
                .filter_map(|line| {
                    let need = need_line(line);
                    if need.is_none() {
                        json::print_message(
                            PROG,
                            Priority::Error,
                            None,
                            &format!("-v line not shown in JSON: {line}"),
                        );
                    }
                    need
                })
                .collect()
        });
        Document { files, needs }
    }
}

/// The printer's priority for an engine level.
fn priority(level: Level) -> Priority {
    match level {
        Level::Fatal => Priority::Fatal,
        Level::Error => Priority::Error,
        Level::Warning => Priority::Warning,
        Level::Notice => Priority::Notice,
        Level::Info => Priority::Info,
        Level::Debug => Priority::Debug,
    }
}

impl Reporter for Printer {
    fn message(&mut self, message: Message) {
        if message.level <= self.max {
            say(self.json.is_some(), priority(message.level), &message.text);
        }
    }

    fn verbose_line(&mut self, line: &str) {
        match &mut self.json {
            Some(kept) => kept.verbose.push(line.to_string()),
            None => {
                let _ = writeln!(self.out, "{line}");
            }
        }
    }

    fn output(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &mut self.json {
            Some(kept) => {
                kept.text.extend_from_slice(bytes);
                Ok(())
            }
            None => self.out.write_all(bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(operands: &[&str]) -> Settings {
        Settings {
            operands: operands.iter().map(OsString::from).collect(),
            ..Settings::default()
        }
    }

    #[test]
    fn paths_composed_like_kmod() {
        let mut s = settings(&["6.1.0", "/abs/x.ko"]);
        s.basedir = Some("/tmp/x/".into());
        let o = options(&s).unwrap();
        assert_eq!(o.module_dir, PathBuf::from("/tmp/x//lib/modules/6.1.0"));
        assert_eq!(o.out_dir, o.module_dir);
        assert!(!o.create_out_dir);
        assert_eq!(o.files, [PathBuf::from("/abs/x.ko")]);
        assert_eq!(o.config_paths[0], PathBuf::from("/etc/depmod.d"));

        let mut s = settings(&["1.0"]);
        s.moduledir = Some("//usr/lib/modules".into());
        s.outdir = Some("/out".into());
        s.config = vec!["cfg".into()];
        let o = options(&s).unwrap();
        assert_eq!(o.module_dir, PathBuf::from("/usr/lib/modules/1.0"));
        assert_eq!(o.out_dir, PathBuf::from("/out/usr/lib/modules/1.0"));
        assert!(o.create_out_dir);
        assert_eq!(o.config_paths, [PathBuf::from("cfg")]);
    }

    #[test]
    fn bad_operands() {
        assert!(options(&settings(&["abc"])).is_none());
        assert!(options(&settings(&["1.0", "rel.ko"])).is_none());
    }

    #[test]
    fn all_and_quick_ignore_file_arguments() {
        for flag in [
            |s: &mut Settings| s.all = true,
            |s: &mut Settings| s.quick = true,
        ] {
            let mut s = settings(&["1.0", "rel.ko", "/abs/x.ko"]);
            flag(&mut s);
            assert!(options(&s).unwrap().files.is_empty());
        }
    }

    #[test]
    fn relative_basedir_becomes_absolute() {
        let mut s = settings(&["1.0"]);
        s.basedir = Some("tree".into());
        let o = options(&s).unwrap();
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            o.module_dir,
            PathBuf::from(format!("{}/tree/lib/modules/1.0", cwd.display()))
        );
    }

    #[test]
    fn json_printer_keeps_the_output_for_the_document() {
        let mut p = Printer::new(1, true);
        p.verbose_line("/m/a.ko needs \"f\": /m/b.ko");
        p.output(b"a.ko: b.ko\n# Aliases extracted from modules themselves.\n")
            .unwrap();
        p.output(b"alias x a\n").unwrap();
        let doc = p.document(true, true);
        let files = doc.files.unwrap();
        assert_eq!(files.dep[0].deps, ["b.ko"]);
        assert_eq!(files.alias[0].pattern, "x");
        assert!(files.symbols.is_empty());
        assert_eq!(doc.needs.unwrap()[0].symbol, "f");
        // Without -n and -v: an empty object.
        let mut p = Printer::new(0, true);
        assert_eq!(p.document(false, false), Document::default());
    }

    #[test]
    fn verbosity_levels() {
        assert_eq!(Printer::new(0, false).max, Level::Warning);
        assert_eq!(Printer::new(1, false).max, Level::Notice);
        assert_eq!(Printer::new(5, true).max, Level::Debug);
        assert_eq!(priority(Level::Fatal), Priority::Fatal);
    }
}
