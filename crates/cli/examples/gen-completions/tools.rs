//! The catalogue of commands: where each option table lives, which man page section documents it,
//! what an option's argument is (a file, a kernel version, one of some words...) and what the
//! operands are. [`commands`] joins it with the tables and the man pages into what the shell
//! renderers need.

use std::fs;
use std::path::{Path, PathBuf};

use crate::manpage::{self, DocOption};
use crate::options::{self, Table};

/// Where one option table lives and where it is documented.
#[derive(Debug, Clone, Copy)]
pub struct TableSpec {
    /// The command as typed: `modinfo`, or `kmod static-nodes` for a sub-command.
    pub command: &'static str,
    /// Files or directories under `crates/cli/src` that hold the table (one of them, once written).
    pub sources: &'static [&'static str],
    /// The man page under `man/`.
    pub page: &'static str,
    /// The `.SH` section of that page listing the options.
    pub section: &'static str,
}

/// Every option table of the tools.
pub const TABLES: &[TableSpec] = &[
    TableSpec {
        command: "kmod",
        sources: &["kmod_cmd.rs"],
        page: "kmod.8",
        section: "OPTIONS",
    },
    TableSpec {
        command: "kmod static-nodes",
        sources: &["static_nodes.rs"],
        page: "kmod.8",
        section: "STATIC-NODES OPTIONS",
    },
    TableSpec {
        command: "insmod",
        sources: &["insmod.rs", "insmod"],
        page: "insmod.8",
        section: "OPTIONS",
    },
    TableSpec {
        command: "rmmod",
        sources: &["rmmod.rs", "rmmod"],
        page: "rmmod.8",
        section: "OPTIONS",
    },
    TableSpec {
        command: "lsmod",
        sources: &["lsmod.rs", "lsmod"],
        page: "lsmod.8",
        section: "OPTIONS",
    },
    TableSpec {
        command: "modinfo",
        sources: &["modinfo.rs", "modinfo"],
        page: "modinfo.8",
        section: "OPTIONS",
    },
    TableSpec {
        command: "modprobe",
        sources: &["modprobe.rs", "modprobe"],
        page: "modprobe.8",
        section: "OPTIONS",
    },
    TableSpec {
        command: "depmod",
        sources: &["depmod.rs", "depmod"],
        page: "depmod.8",
        section: "OPTIONS",
    },
];

/// The table spec of `command`.
pub fn table_spec(command: &str) -> Result<&'static TableSpec, String> {
    TABLES
        .iter()
        .find(|t| t.command == command)
        .ok_or_else(|| format!("no table for {command}"))
}

/// Reads the option table of `spec` from the sources under `src_dir`; `None` if not written yet.
pub fn load_table(src_dir: &Path, spec: &TableSpec) -> Result<Option<Table>, String> {
    let paths: Vec<PathBuf> = spec.sources.iter().map(|s| src_dir.join(s)).collect();
    options::find_table(&paths).map_err(|e| format!("{}: {e}", spec.command))
}

/// Reads the documented options of `spec` from the man pages in `man_dir`.
pub fn load_documented(man_dir: &Path, spec: &TableSpec) -> Result<Vec<DocOption>, String> {
    let path = man_dir.join(spec.page);
    let page = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    manpage::section_options(&page, spec.section).map_err(|e| format!("{}: {e}", path.display()))
}

/// What an option's argument is, for completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Any file.
    Files,
    /// A directory.
    Dirs,
    /// A directory used as the root of `/lib/modules` (module names and versions come from it).
    Root,
    /// A kernel version: a directory name in `<root>/lib/modules`.
    KernelVersion,
    /// One of these words.
    Words(&'static [&'static str]),
    /// Free text: nothing to offer.
    Text,
}

/// The keys `modinfo -F` is commonly asked for.
const MODINFO_FIELDS: &[&str] = &[
    "alias",
    "author",
    "depends",
    "description",
    "filename",
    "firmware",
    "import_ns",
    "intree",
    "license",
    "name",
    "parm",
    "retpoline",
    "sig_hashalgo",
    "sig_id",
    "sig_key",
    "signature",
    "signer",
    "softdep",
    "srcversion",
    "staging",
    "vermagic",
    "version",
    "weakdep",
];

/// The formats of `kmod static-nodes --format`.
const STATIC_NODES_FORMATS: &[&str] = &["human", "tmpfiles", "devname"];

/// What the argument of option `--long` of `command` is. Unknown options take files, the safe guess.
pub fn value_of(command: &str, long: &str) -> Value {
    match (command, long) {
        ("modinfo", "field") => Value::Words(MODINFO_FIELDS),
        ("kmod static-nodes", "format") => Value::Words(STATIC_NODES_FORMATS),
        (_, "set-version") => Value::KernelVersion,
        ("modinfo" | "depmod", "basedir") | ("modprobe", "dirname") => Value::Root,
        ("depmod", "outdir" | "moduledir") => Value::Dirs,
        ("depmod", "symbol-prefix") | ("modprobe", "wait") => Value::Text,
        _ => Value::Files,
    }
}

/// Options that make sense more than once (offered again after use).
pub fn repeatable(long: &str) -> bool {
    matches!(long, "verbose" | "config")
}

/// What a command's operands are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operands {
    /// None.
    Nothing,
    /// Module files (`*.ko`, `*.ko.xz`, `*.ko.zst`, `*.ko.gz`).
    ModuleFiles,
    /// Names of loaded modules (`/proc/modules`).
    LoadedModules,
    /// Names of installed modules (`modules.dep`), or files.
    ModuleNamesOrFiles,
    /// Names of installed modules, or loaded ones once `-r`/`--remove` is on the line.
    ModuleNamesOrLoaded,
    /// A kernel version (then module files).
    KernelVersion,
    /// Sub-commands.
    Subcommands(Vec<Command>),
}

/// One option, ready for completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompOption {
    /// Short letter, if any.
    pub short: Option<char>,
    /// Long name without `--`, if any.
    pub long: Option<String>,
    /// The argument, if it takes one.
    pub value: Option<Value>,
    /// One-line description (the man page's first sentence).
    pub summary: String,
    /// What the argument is called in the man page (`field`, `version`...), if it takes one.
    pub arg_name: Option<String>,
    /// Offered again once used.
    pub repeatable: bool,
}

/// A command (or sub-command) with its options and operands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Its name: `modinfo`, or `static-nodes` for a sub-command.
    pub name: String,
    /// One line saying what it does.
    pub summary: String,
    /// Its options, in table order.
    pub options: Vec<CompOption>,
    /// Its operands.
    pub operands: Operands,
    /// Where the options came from (the table's file, or the man page when no table exists yet).
    pub origin: String,
}

/// The options of `spec`: from its table, described by the man page; from the man page alone while
/// the table is not written yet. An error if the table has an option the man page does not document.
pub fn options_of(
    src_dir: &Path,
    man_dir: &Path,
    spec: &TableSpec,
) -> Result<(Vec<CompOption>, String), String> {
    let documented = load_documented(man_dir, spec)?;
    let doc_of = |name: &str| -> Option<&DocOption> {
        documented
            .iter()
            .find(|d| d.names.iter().any(|n| n.name == name))
    };
    let Some(table) = load_table(src_dir, spec)? else {
        let mut opts = Vec::new();
        for doc in &documented {
            let short = doc.names.iter().find_map(|n| short_letter(&n.name));
            let longs: Vec<&str> = doc
                .names
                .iter()
                .filter_map(|n| n.name.strip_prefix("--"))
                .collect();
            let mut pairs: Vec<(Option<char>, Option<&str>)> = Vec::new();
            match longs.split_first() {
                Some((first, rest)) => {
                    pairs.push((short, Some(first)));
                    pairs.extend(rest.iter().map(|l| (None, Some(*l))));
                }
                None => pairs.push((short, None)),
            }
            for (short, long) in pairs {
                opts.push(comp_option(spec.command, short, long, doc));
            }
        }
        return Ok((opts, format!("man/{} (no option table yet)", spec.page)));
    };
    let mut opts = Vec::new();
    for opt in &table.opts {
        let key = match (&opt.long, opt.short) {
            (Some(long), _) => format!("--{long}"),
            (None, Some(c)) => format!("-{c}"),
            (None, None) => {
                return Err(format!("{}: option `{}` has no name", spec.command, opt.id))
            }
        };
        let doc = doc_of(&key).ok_or_else(|| {
            format!(
                "{}: man/{} does not document {key}",
                spec.command, spec.page
            )
        })?;
        if doc_arg(doc).is_some() != opt.takes_arg {
            return Err(format!(
                "{}: man/{} and the table disagree on whether {key} takes an argument",
                spec.command, spec.page
            ));
        }
        opts.push(comp_option(
            spec.command,
            opt.short,
            opt.long.as_deref(),
            doc,
        ));
    }
    let origin = match table.file.strip_prefix(src_dir) {
        Ok(rel) => format!("crates/cli/src/{}", rel.display()),
        Err(_) => table.file.display().to_string(),
    };
    Ok((opts, origin))
}

/// `-x` → `x`.
fn short_letter(name: &str) -> Option<char> {
    let letter = name.strip_prefix('-').filter(|l| !l.starts_with('-'))?;
    let mut chars = letter.chars();
    let c = chars.next()?;
    chars.next().is_none().then_some(c)
}

/// The argument placeholder a documented item shows, if any.
fn doc_arg(doc: &DocOption) -> Option<&str> {
    doc.names.iter().find_map(|n| n.arg.as_deref())
}

/// Builds one completion option described by `doc`; it takes an argument if `doc` shows one.
fn comp_option(
    command: &str,
    short: Option<char>,
    long: Option<&str>,
    doc: &DocOption,
) -> CompOption {
    let arg_name = doc_arg(doc).map(str::to_string);
    CompOption {
        short,
        long: long.map(str::to_string),
        value: arg_name
            .is_some()
            .then(|| value_of(command, long.unwrap_or(""))),
        summary: doc.summary.clone(),
        arg_name,
        repeatable: long.is_some_and(repeatable),
    }
}

/// Every top-level command, in install order, with `kmod`'s sub-commands nested.
pub fn commands(src_dir: &Path, man_dir: &Path) -> Result<Vec<Command>, String> {
    let command = |name: &str, summary: &str, operands: Operands| -> Result<Command, String> {
        let (options, origin) = options_of(src_dir, man_dir, table_spec(name)?)?;
        Ok(Command {
            name: name.rsplit(' ').next().unwrap_or(name).to_string(),
            summary: summary.to_string(),
            options,
            operands,
            origin,
        })
    };
    let mut list = command("lsmod", "list currently loaded modules", Operands::Nothing)?;
    list.name = "list".to_string();
    let help = Command {
        name: "help".to_string(),
        summary: "show help message".to_string(),
        options: Vec::new(),
        operands: Operands::Nothing,
        origin: "kmod_cmd.rs (no options)".to_string(),
    };
    let static_nodes = command(
        "kmod static-nodes",
        "output the static-node information of the running kernel",
        Operands::Nothing,
    )?;
    Ok(vec![
        command(
            "kmod",
            "manage kernel modules",
            Operands::Subcommands(vec![help, list, static_nodes]),
        )?,
        command("insmod", "insert a module file", Operands::ModuleFiles)?,
        command("rmmod", "remove loaded modules", Operands::LoadedModules)?,
        command("lsmod", "list loaded modules", Operands::Nothing)?,
        command(
            "modinfo",
            "show module information",
            Operands::ModuleNamesOrFiles,
        )?,
        command(
            "modprobe",
            "add or remove modules with their dependencies",
            Operands::ModuleNamesOrLoaded,
        )?,
        command(
            "depmod",
            "generate the module indexes",
            Operands::KernelVersion,
        )?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = ".TH T 8\n.SH OPTIONS\n.TP\n\\fB\\-a\\fR, \\fB\\-\\-all\\fR\nEvery module. More.\n.TP\n\\fB\\-n\\fR, \\fB\\-\\-show\\fR, \\fB\\-\\-dry\\-run\\fR\nPrint only.\n.TP\n\\fB\\-b\\fR, \\fB\\-\\-basedir\\fR=\\fIdirectory\\fR\nThe root.\n";

    fn spec() -> TableSpec {
        TableSpec {
            command: "depmod",
            sources: &["depmod.rs", "depmod"],
            page: "depmod.8",
            section: "OPTIONS",
        }
    }

    fn dirs(table: Option<&str>) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("src/depmod")).unwrap();
        fs::create_dir_all(dir.path().join("man")).unwrap();
        fs::write(dir.path().join("man/depmod.8"), PAGE).unwrap();
        fs::write(dir.path().join("src/depmod.rs"), "pub mod args;\n").unwrap();
        if let Some(table) = table {
            fs::write(dir.path().join("src/depmod/args.rs"), table).unwrap();
        }
        dir
    }

    #[test]
    fn options_come_from_the_table_described_by_the_page() {
        let dir = dirs(Some(
            r#"pub const OPTIONS: &[OptSpec] = &[
                OptSpec::with_arg("basedir", 'b', "basedir"),
                OptSpec::flag("show", 'n', "show"),
                OptSpec::long_only("show", "dry-run", HasArg::No),
            ];"#,
        ));
        let (opts, origin) =
            options_of(&dir.path().join("src"), &dir.path().join("man"), &spec()).unwrap();
        assert_eq!(origin, "crates/cli/src/depmod/args.rs");
        assert_eq!(opts.len(), 3);
        assert_eq!(opts[0].short, Some('b'));
        assert_eq!(opts[0].value, Some(Value::Root));
        assert_eq!(opts[0].arg_name.as_deref(), Some("directory"));
        assert_eq!(opts[0].summary, "The root");
        assert_eq!(
            (opts[2].short, opts[2].long.as_deref()),
            (None, Some("dry-run"))
        );
        assert_eq!(opts[2].summary, "Print only");
    }

    #[test]
    fn an_undocumented_option_is_an_error() {
        let dir = dirs(Some(
            r#"pub const OPTIONS: &[OptSpec] = &[OptSpec::flag("quick", 'A', "quick")];"#,
        ));
        let err =
            options_of(&dir.path().join("src"), &dir.path().join("man"), &spec()).unwrap_err();
        assert!(err.contains("does not document --quick"), "{err}");
        let dir = dirs(Some(
            r#"pub const OPTIONS: &[OptSpec] = &[OptSpec::flag("basedir", 'b', "basedir")];"#,
        ));
        let err =
            options_of(&dir.path().join("src"), &dir.path().join("man"), &spec()).unwrap_err();
        assert!(err.contains("disagree"), "{err}");
    }

    #[test]
    fn without_a_table_the_page_gives_the_options() {
        let dir = dirs(None);
        let (opts, origin) =
            options_of(&dir.path().join("src"), &dir.path().join("man"), &spec()).unwrap();
        assert_eq!(origin, "man/depmod.8 (no option table yet)");
        let names: Vec<(Option<char>, Option<&str>, bool)> = opts
            .iter()
            .map(|o| (o.short, o.long.as_deref(), o.value.is_some()))
            .collect();
        assert_eq!(
            names,
            [
                (Some('a'), Some("all"), false),
                (Some('n'), Some("show"), false),
                (None, Some("dry-run"), false),
                (Some('b'), Some("basedir"), true),
            ]
        );
        assert_eq!(opts[0].summary, "Every module");
    }

    #[test]
    fn argument_kinds() {
        assert_eq!(value_of("modinfo", "field"), Value::Words(MODINFO_FIELDS));
        assert_eq!(value_of("modprobe", "set-version"), Value::KernelVersion);
        assert_eq!(value_of("modprobe", "dirname"), Value::Root);
        assert_eq!(value_of("depmod", "outdir"), Value::Dirs);
        assert_eq!(value_of("modprobe", "wait"), Value::Text);
        assert_eq!(value_of("depmod", "config"), Value::Files);
        assert_eq!(short_letter("-x"), Some('x'));
        assert_eq!(short_letter("--x"), None);
        assert_eq!(short_letter("-xy"), None);
    }
}
