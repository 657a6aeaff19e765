//! The OPTIONS sections of the man pages in `man/` must list exactly the options of the tools'
//! tables (`pub const OPTIONS: &[OptSpec]`): every short and long spelling documented, with an
//! argument shown exactly when the option takes one, and nothing documented that does not exist.
//! A tool whose table is not written yet is reported and skipped; its page is checked as soon as
//! the table appears.

#[allow(dead_code)]
#[path = "../examples/gen-completions/manpage.rs"]
mod manpage;
#[allow(dead_code)]
#[path = "../examples/gen-completions/options.rs"]
mod options;
#[allow(dead_code)]
#[path = "../examples/gen-completions/tools.rs"]
mod tools;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kmod_cli::getopt::{HasArg, OptSpec};
use manpage::DocOption;
use options::TableOpt;

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn man_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../man")
}

/// The differences between a table and the options a man page section documents.
fn differences(table: &[TableOpt], documented: &[DocOption]) -> Vec<String> {
    let mut problems = Vec::new();
    // Every documented spelling, with whether its item shows an argument (man pages show it once,
    // after the last spelling: "-F, --field=field").
    let mut docs: BTreeMap<String, bool> = BTreeMap::new();
    for item in documented {
        let shows_arg = item.names.iter().any(|n| n.arg.is_some());
        for name in &item.names {
            if docs.insert(name.name.clone(), shows_arg).is_some() {
                problems.push(format!("{} is documented twice", name.name));
            }
        }
    }
    let mut spellings: BTreeMap<String, bool> = BTreeMap::new();
    for opt in table {
        let mut names = Vec::new();
        if let Some(c) = opt.short {
            names.push(format!("-{c}"));
        }
        if let Some(long) = &opt.long {
            names.push(format!("--{long}"));
        }
        for name in names {
            spellings.insert(name.clone(), opt.takes_arg);
            match docs.get(&name) {
                None => problems.push(format!("{name} is not documented")),
                Some(&shown) if shown != opt.takes_arg => problems.push(if opt.takes_arg {
                    format!("{name} takes an argument but the page shows none")
                } else {
                    format!("{name} takes no argument but the page shows one")
                }),
                Some(_) => {}
            }
        }
    }
    for name in docs.keys() {
        if !spellings.contains_key(name) {
            problems.push(format!("{name} is documented but does not exist"));
        }
    }
    problems
}

#[test]
fn every_written_table_matches_its_man_page() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for spec in tools::TABLES {
        let documented = tools::load_documented(&man_dir(), spec).unwrap();
        match tools::load_table(&src_dir(), spec).unwrap() {
            None => eprintln!(
                "{}: no option table yet in {:?}; man/{} not checked",
                spec.command, spec.sources, spec.page
            ),
            Some(table) => {
                checked += 1;
                for p in differences(&table.opts, &documented) {
                    problems.push(format!(
                        "man/{} ({}) vs {}: {p}",
                        spec.page,
                        spec.section,
                        table.file.display()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
    assert!(checked >= 7, "only {checked} tables found");
}

#[test]
fn differences_are_found() {
    let table = options::parse_table(
        r#"pub const OPTIONS: &[OptSpec] = &[
            OptSpec::flag("all", 'a', "all"),
            OptSpec::with_arg("basedir", 'b', "basedir"),
            OptSpec::long_only("x", "extra", HasArg::No),
        ];"#,
    )
    .unwrap()
    .unwrap();
    let page = ".SH OPTIONS\n.TP\n\\fB\\-a\\fR, \\fB\\-\\-all\\fR=\\fIx\\fR\nAll.\n.TP\n\\fB\\-b\\fR \\fIdir\\fR, \\fB\\-\\-basedir\\fR=\\fIdir\\fR\nBase.\n.TP\n\\fB\\-z\\fR\nNo such.\n.TP\n\\fB\\-a\\fR\nTwice.\n";
    let documented = manpage::section_options(page, "OPTIONS").unwrap();
    let found = differences(&table, &documented);
    assert_eq!(
        found,
        [
            "-a is documented twice",
            "--all takes no argument but the page shows one",
            "--extra is not documented",
            "-z is documented but does not exist",
        ]
    );
}

/// The compiled tables that exist today, to prove the source-text reader right.
fn compiled_tables() -> Vec<(&'static str, &'static [OptSpec])> {
    vec![
        ("kmod", kmod_cli::kmod_cmd::OPTIONS),
        ("kmod static-nodes", kmod_cli::static_nodes::OPTIONS),
        ("insmod", kmod_cli::insmod::OPTIONS),
        ("rmmod", kmod_cli::rmmod::OPTIONS),
        ("lsmod", kmod_cli::lsmod::OPTIONS),
        ("modinfo", kmod_cli::modinfo::OPTIONS),
        ("depmod", kmod_cli::depmod::args::OPTIONS),
    ]
}

#[test]
fn source_reader_agrees_with_the_compiled_tables() {
    for (command, compiled) in compiled_tables() {
        let spec = tools::table_spec(command).unwrap();
        let read = tools::load_table(&src_dir(), spec)
            .unwrap()
            .unwrap_or_else(|| panic!("{command}: table not found in {:?}", spec.sources));
        let expected: Vec<TableOpt> = compiled
            .iter()
            .map(|o| TableOpt {
                id: o.id.to_string(),
                short: o.short,
                long: o.long.map(str::to_string),
                takes_arg: o.arg == HasArg::Required,
            })
            .collect();
        assert_eq!(read.opts, expected, "{command}");
    }
}

#[test]
fn all_ten_pages_exist_with_a_name_section() {
    for page in [
        "kmod.8",
        "insmod.8",
        "rmmod.8",
        "lsmod.8",
        "modprobe.8",
        "modinfo.8",
        "depmod.8",
        "modprobe.d.5",
        "depmod.d.5",
        "modules.dep.5",
    ] {
        let text = std::fs::read_to_string(man_dir().join(page)).unwrap();
        let (name, section) = page.rsplit_once('.').unwrap();
        let th = format!(".TH {} {section} ", name.to_uppercase());
        assert!(text.starts_with(&th), "{page} does not start with {th}");
        assert!(text.contains("\n.SH NAME\n"), "{page}");
    }
}
