//! The depmod run, step by step in kmod's order (tools.md §6).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use modconf::{list_depmod_config_files, DepmodConfig};
use rayon::prelude::*;

use super::builtin::{builtin_aliases, builtin_names};
use super::discover::{discover, explicit_files, Candidate};
use super::graph::{find_cycles, modules_in_cycles, topological_positions, transitive_deps};
use super::hash::{sort_in_hash_order, SYMBOL_BUCKETS};
use super::indexes::{self, BuiltIndex, IndexError};
use super::kernel_symbols::{parse_symvers, parse_system_map, KernelSymbols};
use super::order::{module_array, order_key, parse_order_file};
use super::publish::publish;
use super::quick::is_up_to_date;
use super::record::{Module, ModuleInfo};
use super::report::{Level, Message, Reporter};
use super::resolve::{resolve, Event, ResolveChecks};
use super::scan::scan_all;
use super::strerror;
use super::symbols::SymbolTable;
use super::text;

/// depmod keeps module indexes in 16 bits; this many modules or more cannot be handled.
const MAX_MODULES: usize = 65_535;

/// Everything one depmod run needs, already resolved from the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepmodOptions {
    /// The input module directory, spelled as depmod spells it in messages
    /// (`<basedir>/lib/modules/<version>`).
    pub module_dir: PathBuf,
    /// Where the output files go (the module directory unless `-o`).
    pub out_dir: PathBuf,
    /// Create `out_dir` (and its parents) if missing (`-o`).
    pub create_out_dir: bool,
    /// The kernel version (for depmod.d `override`/`external` lines).
    pub kernel_version: String,
    /// depmod.d search path (files or directories), highest precedence first.
    pub config_paths: Vec<PathBuf>,
    /// Module files named on the command line; empty means every module of the directory.
    pub files: Vec<PathBuf>,
    /// `-F System.map`.
    pub system_map: Option<PathBuf>,
    /// `-E Module.symvers` (also enables CRC checks).
    pub symvers: Option<PathBuf>,
    /// `-e`: report unknown symbols (only honoured with `-E` or `-F`).
    pub report_unknown: bool,
    /// `-P`: architecture symbol prefix character.
    pub symbol_prefix: Option<u8>,
    /// `-w`: warn about duplicate index entries.
    pub warn_duplicates: bool,
    /// `-v`: print each dependency edge on stdout.
    pub verbose: bool,
    /// `-A`: do nothing when `modules.dep` is newer than every module.
    pub quick: bool,
    /// `-n`: print the text files on stdout instead of writing anything.
    pub dry_run: bool,
}

/// How a successful run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `-A` found nothing to do (or was combined with `-n`).
    UpToDate,
    /// The files were written.
    Written,
    /// The text files were printed (`-n`).
    Printed,
}

/// The run failed; the reasons were already reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failed;

/// Reports `level: text` and fails.
fn fail(reporter: &mut dyn Reporter, level: Level, text: impl Into<String>) -> Failed {
    reporter.message(Message::new(level, text));
    Failed
}

/// Runs depmod; everything it has to say or print goes to `reporter`.
pub fn run(opts: &DepmodOptions, reporter: &mut dyn Reporter) -> Result<Outcome, Failed> {
    if opts.quick {
        if opts.dry_run {
            return Ok(Outcome::UpToDate);
        }
        match is_up_to_date(&opts.module_dir) {
            Ok(true) => return Ok(Outcome::UpToDate),
            Ok(false) => {}
            Err(message) => reporter.message(message),
        }
    }
    let cfg = load_config(opts, reporter);
    let kernel = load_kernel_symbols(opts, reporter)?;
    let modules = find_modules(opts, &cfg, reporter)?;
    let modules = read_modules(modules, reporter);
    let mut table = SymbolTable::new(opts.symbol_prefix);
    for (symbols, prefixed) in &kernel {
        for (name, crc) in symbols {
            if *prefixed {
                table.add_kernel_prefixed(name, *crc);
            } else {
                table.add_kernel(name, *crc);
            }
        }
    }
    table.add_fake_symbols();
    for (i, m) in modules.iter().enumerate() {
        for e in &m.info.exports {
            table.add_export(m.info.name(e.name), e.crc, i);
        }
    }
    reporter.message(Message::new(
        Level::Debug,
        format!(
            "loaded symbols ({} modules, {} symbols)",
            modules.len(),
            table.len()
        ),
    ));
    let deps = resolve_all(opts, &modules, &table, reporter);
    let positions = match topological_positions(&deps) {
        Ok(p) => p,
        Err(stuck) => return Err(report_cycles(&modules, &deps, &stuck, reporter)),
    };
    let closures: Vec<Vec<usize>> = (0..modules.len())
        .into_par_iter()
        .map_init(
            || vec![0usize; modules.len()],
            |seen, m| transitive_deps(&deps, &positions, m, seen),
        )
        .collect();
    let mut symbols: Vec<(&str, usize)> = table.module_symbols().collect();
    sort_in_hash_order(&mut symbols, SYMBOL_BUCKETS, |s| s.0.as_bytes());
    let lines = text::dep_lines(&modules, &closures);
    if opts.dry_run {
        print_text(&modules, &lines, &symbols, reporter)?;
        return Ok(Outcome::Printed);
    }
    write_files(opts, &modules, &lines, &symbols, reporter)?;
    Ok(Outcome::Written)
}

/// Reads depmod.d (only when depmod works on the whole directory), reporting its messages.
fn load_config(opts: &DepmodOptions, reporter: &mut dyn Reporter) -> DepmodConfig {
    if !opts.files.is_empty() {
        return DepmodConfig::default();
    }
    let mut diags = Vec::new();
    let files = list_depmod_config_files(&opts.config_paths, &mut diags);
    let cfg = DepmodConfig::load(&files, &opts.kernel_version, &mut diags);
    for d in diags {
        // depmod's messages are text: bytes that are not UTF-8 (a depmod.d file of junk) are
        // replaced here.
        reporter.message(Message::new(d.level.into(), d.text().into_owned()));
    }
    cfg
}

/// Kernel symbols of one file, and whether their names may carry the `-P` prefix.
type KernelSymbolList = (Vec<(String, u64)>, bool);

/// Reads the `-F` and `-E` files, reporting their bad lines.
fn load_kernel_symbols(
    opts: &DepmodOptions,
    reporter: &mut dyn Reporter,
) -> Result<Vec<KernelSymbolList>, Failed> {
    let mut lists = Vec::new();
    type Parser<'p> = &'p dyn Fn(&str, &[u8]) -> KernelSymbols;
    let prefix = opts.symbol_prefix;
    let map_parser = move |f: &str, d: &[u8]| parse_system_map(f, d, prefix);
    let sources: [(Option<&PathBuf>, Parser<'_>, bool); 2] = [
        (opts.system_map.as_ref(), &map_parser, false),
        (opts.symvers.as_ref(), &parse_symvers, true),
    ];
    for (path, parser, prefixed) in sources {
        let Some(path) = path else {
            continue;
        };
        let data = fs::read(path).map_err(|e| {
            fail(
                reporter,
                Level::Fatal,
                format!("could not load {}: {}", path.display(), strerror(&e)),
            )
        })?;
        let parsed = parser(&path.to_string_lossy(), &data);
        for error in parsed.errors {
            reporter.message(Message::new(Level::Error, error));
        }
        lists.push((parsed.symbols, prefixed));
    }
    Ok(lists)
}

/// Finds the module files and puts them in module array order.
fn find_modules(
    opts: &DepmodOptions,
    cfg: &DepmodConfig,
    reporter: &mut dyn Reporter,
) -> Result<Vec<Candidate>, Failed> {
    let found = if opts.files.is_empty() {
        discover(&opts.module_dir, cfg).map_err(|e| {
            let why = strerror(&e.source);
            reporter.message(Message::new(Level::Error, e.to_string()));
            fail(
                reporter,
                Level::Fatal,
                format!("could not search modules: {why}"),
            )
        })?
    } else {
        explicit_files(&opts.files, &opts.module_dir).map_err(|messages| {
            for m in messages {
                reporter.message(m);
            }
            Failed
        })?
    };
    for m in found.messages {
        reporter.message(m);
    }
    let mut candidates = found.modules;
    if candidates.len() >= MAX_MODULES {
        return Err(fail(reporter, Level::Fatal, "could not build module array"));
    }
    let lines_data = read_order_file(&opts.module_dir, reporter);
    let lines = lines_data.as_deref().map(parse_order_file);
    let order_lines = match &lines {
        Some(Ok(lines)) => Some(lines.as_slice()),
        Some(Err(line)) => {
            reporter.message(Message::new(
                Level::Error,
                format!(
                    "{}/modules.order:{line} corrupted line misses '\\n'",
                    opts.module_dir.display()
                ),
            ));
            None
        }
        None => None,
    };
    let names: Vec<&str> = candidates.iter().map(|c| c.name.as_str()).collect();
    let keys: Vec<&str> = candidates.iter().map(|c| order_key(&c.out_path)).collect();
    let array = module_array(&names, &keys, order_lines);
    let mut slots: Vec<Option<Candidate>> = candidates.drain(..).map(Some).collect();
    Ok(array
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .collect())
}

/// The contents of `modules.order`, or `None` (reported) when it cannot be read.
fn read_order_file(dir: &Path, reporter: &mut dyn Reporter) -> Option<Vec<u8>> {
    match fs::read(dir.join("modules.order")) {
        Ok(data) => Some(data),
        Err(e) => {
            reporter.message(Message::new(
                Level::Warning,
                format!(
                    "could not open modules.order at {}: {}",
                    dir.display(),
                    strerror(&e)
                ),
            ));
            None
        }
    }
}

/// Reads every module in parallel; unreadable ones are reported in array order and kept with
/// no information (they still get a `modules.dep` line).
fn read_modules(candidates: Vec<Candidate>, reporter: &mut dyn Reporter) -> Vec<Module> {
    reporter.message(Message::new(
        Level::Debug,
        format!("load symbols ({} modules)", candidates.len()),
    ));
    let files: Vec<(&Path, u64)> = candidates
        .iter()
        .map(|c| (c.path.as_path(), c.size))
        .collect();
    let results = scan_all(&files);
    candidates
        .into_iter()
        .zip(results)
        .map(|(c, result)| {
            let info = result.unwrap_or_else(|e| {
                reporter.message(Message::new(Level::Error, e.to_string()));
                ModuleInfo::default()
            });
            Module {
                name: c.name,
                path: c.path,
                out_path: c.out_path,
                info,
            }
        })
        .collect()
}

/// Direct dependencies of every module, reporting `-v` lines and `-e` warnings in array order.
fn resolve_all(
    opts: &DepmodOptions,
    modules: &[Module],
    table: &SymbolTable<'_>,
    reporter: &mut dyn Reporter,
) -> Vec<Vec<usize>> {
    let kernel_known = opts.system_map.is_some() || opts.symvers.is_some();
    let checks = ResolveChecks {
        unknown: opts.report_unknown && kernel_known,
        versions: opts.report_unknown && opts.symvers.is_some(),
    };
    let resolutions: Vec<_> = modules
        .par_iter()
        .map(|m| resolve(&m.info, table, checks))
        .collect();
    let mut deps = Vec::with_capacity(modules.len());
    for (m, r) in modules.iter().zip(resolutions) {
        for event in &r.events {
            match event {
                Event::Needs { symbol, provider } => {
                    if opts.verbose {
                        if let Some(p) = modules.get(*provider) {
                            reporter.verbose_line(&format!(
                                "{} needs \"{symbol}\": {}",
                                m.path.display(),
                                p.path.display()
                            ));
                        }
                    }
                }
                Event::Unknown(symbol) => reporter.message(Message::new(
                    Level::Warning,
                    format!("{} needs unknown symbol {symbol}", m.path.display()),
                )),
                Event::Disagrees(symbol) => reporter.message(Message::new(
                    Level::Warning,
                    format!(
                        "{} disagrees about version of symbol {symbol}",
                        m.path.display()
                    ),
                )),
            }
        }
        deps.push(r.deps);
    }
    deps
}

/// Reports every dependency cycle and the total, as depmod does before giving up.
fn report_cycles(
    modules: &[Module],
    deps: &[Vec<usize>],
    stuck: &[bool],
    reporter: &mut dyn Reporter,
) -> Failed {
    let cycles = find_cycles(deps, stuck);
    for cycle in &cycles {
        let names: Vec<&str> = cycle
            .iter()
            .filter_map(|&m| modules.get(m).map(|m| m.name.as_str()))
            .collect();
        reporter.message(Message::new(
            Level::Error,
            format!("Cycle detected: {}", names.join(" -> ")),
        ));
    }
    fail(
        reporter,
        Level::Error,
        format!(
            "Found {} modules in dependency cycles!",
            modules_in_cycles(&cycles)
        ),
    )
}

/// `depmod -n`: the text files, concatenated, on stdout.
fn print_text(
    modules: &[Module],
    lines: &[String],
    symbols: &[(&str, usize)],
    reporter: &mut dyn Reporter,
) -> Result<(), Failed> {
    let (devname, devname_errors) = text::devname_file(modules);
    let parts = [
        text::dep_file(lines),
        text::alias_file(modules),
        text::softdep_file(modules),
        text::weakdep_file(modules),
        text::symbols_file(modules, symbols),
    ];
    let mut result = parts.iter().try_for_each(|p| reporter.output(p));
    for e in devname_errors {
        reporter.message(Message::new(Level::Error, e));
    }
    result = result.and_then(|()| reporter.output(&devname));
    result.map_err(|e| {
        fail(
            reporter,
            Level::Error,
            format!("could not write to stdout: {}", strerror(&e)),
        )
    })
}

/// One output file: its name, its bytes (or why it could not be built) and its messages.
struct Output {
    name: &'static str,
    bytes: Result<Vec<u8>, IndexError>,
    messages: Vec<Message>,
}

impl Output {
    fn text(name: &'static str, bytes: Vec<u8>) -> Self {
        Output {
            name,
            bytes: Ok(bytes),
            messages: Vec::new(),
        }
    }

    fn index(name: &'static str, built: Result<BuiltIndex, IndexError>) -> Self {
        match built {
            Ok(b) => Output {
                name,
                bytes: Ok(b.bytes),
                messages: b.messages,
            },
            Err(e) => Output {
                name,
                bytes: Err(e),
                messages: Vec::new(),
            },
        }
    }
}

/// `modules.builtin.bin` from the module directory's `modules.builtin` (an empty file, with a
/// warning, when it is missing).
fn builtin_output(dir: &Path) -> Output {
    let mut out = Output::text("modules.builtin.bin", Vec::new());
    match fs::read(dir.join("modules.builtin")) {
        Ok(data) => {
            let (names, errors) = builtin_names(&data);
            out.messages
                .extend(errors.into_iter().map(|e| Message::new(Level::Error, e)));
            out.bytes = indexes::builtin_index(&names);
        }
        Err(e) => out.messages.push(Message::new(
            Level::Warning,
            format!(
                "could not open modules.builtin at {}: {}",
                dir.display(),
                strerror(&e)
            ),
        )),
    }
    out
}

/// `modules.builtin.alias.bin` from `modules.builtin.modinfo` (empty, with a warning, when
/// missing).
fn builtin_alias_output(dir: &Path) -> Output {
    match fs::read(dir.join("modules.builtin.modinfo")) {
        Ok(data) => Output::index(
            "modules.builtin.alias.bin",
            indexes::builtin_alias_index(&builtin_aliases(&data)),
        ),
        Err(e) => {
            let mut out = Output::text("modules.builtin.alias.bin", Vec::new());
            out.messages.push(Message::new(
                Level::Warning,
                format!(
                    "could not open modules.builtin.modinfo at {}: {}",
                    dir.display(),
                    strerror(&e)
                ),
            ));
            out
        }
    }
}

/// Builds every output (in parallel) and publishes them one by one in kmod's order, reporting
/// each file's messages before it is written. A file that cannot be built stops the run after
/// the files before it were written, as depmod's FATAL does.
fn write_files(
    opts: &DepmodOptions,
    modules: &[Module],
    lines: &[String],
    symbols: &[(&str, usize)],
    reporter: &mut dyn Reporter,
) -> Result<(), Failed> {
    let warn = opts.warn_duplicates;
    let dir = opts.module_dir.as_path();
    let jobs: [&(dyn Fn() -> Output + Sync); 11] = [
        &|| Output::text("modules.dep", text::dep_file(lines)),
        &|| Output::index("modules.dep.bin", indexes::dep_index(modules, lines, warn)),
        &|| Output::text("modules.alias", text::alias_file(modules)),
        &|| Output::index("modules.alias.bin", indexes::alias_index(modules, warn)),
        &|| Output::text("modules.softdep", text::softdep_file(modules)),
        &|| Output::text("modules.weakdep", text::weakdep_file(modules)),
        &|| Output::text("modules.symbols", text::symbols_file(modules, symbols)),
        &|| {
            Output::index(
                "modules.symbols.bin",
                indexes::symbols_index(modules, symbols, warn),
            )
        },
        &|| builtin_output(dir),
        &|| builtin_alias_output(dir),
        &|| {
            let (bytes, errors) = text::devname_file(modules);
            let mut out = Output::text("modules.devname", bytes);
            out.messages
                .extend(errors.into_iter().map(|e| Message::new(Level::Error, e)));
            out
        },
    ];
    if opts.create_out_dir {
        if let Err(e) = fs::create_dir_all(&opts.out_dir) {
            return Err(fail(
                reporter,
                Level::Error,
                format!(
                    "could not create directory {}: {}",
                    opts.out_dir.display(),
                    strerror(&e)
                ),
            ));
        }
    }
    // Files are built in parallel by the thread pool while this thread publishes them in order
    // as soon as each one and all before it are ready.
    let (tx, rx) = mpsc::channel::<(usize, Output)>();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            jobs.par_iter()
                .enumerate()
                .for_each_with(tx, |tx, (i, job)| {
                    // The receiver lives until every file has been sent.
                    let _ = tx.send((i, job()));
                });
        });
        let mut ready: Vec<Option<Output>> = jobs.iter().map(|_| None).collect();
        let mut next = 0usize;
        let mut result = Ok(());
        for (i, out) in rx {
            if let Some(slot) = ready.get_mut(i) {
                *slot = Some(out);
            }
            while result.is_ok() {
                let Some(out) = ready.get_mut(next).and_then(Option::take) else {
                    break;
                };
                next += 1;
                result = publish_output(opts, out, reporter);
            }
        }
        result
    })
}

/// Reports an output's messages and writes it. A file that cannot be written is reported and
/// the next one is tried (depmod 30 even exits with success then); a file that cannot be built
/// is fatal.
fn publish_output(
    opts: &DepmodOptions,
    out: Output,
    reporter: &mut dyn Reporter,
) -> Result<(), Failed> {
    for m in out.messages {
        reporter.message(m);
    }
    let bytes = out
        .bytes
        .map_err(|e| fail(reporter, Level::Fatal, e.to_string()))?;
    if let Err(e) = publish(&opts.out_dir, out.name, &bytes) {
        reporter.message(Message::new(Level::Error, e.to_string()));
    }
    Ok(())
}
