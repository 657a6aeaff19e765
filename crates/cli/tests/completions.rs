//! The committed shell completions in `completions/` must be exactly what the generator
//! (`cargo run -p kmod-cli --example gen-completions`) makes from the current option tables and man
//! pages. Loading them into the shells is tested by `tests/diff/completions.sh`.

#[allow(dead_code)]
#[path = "../examples/gen-completions/bash.rs"]
mod bash;
#[allow(dead_code)]
#[path = "../examples/gen-completions/fish.rs"]
mod fish;
#[allow(dead_code)]
#[path = "../examples/gen-completions/manpage.rs"]
mod manpage;
#[allow(dead_code)]
#[path = "../examples/gen-completions/options.rs"]
mod options;
#[allow(dead_code)]
#[path = "../examples/gen-completions/output.rs"]
mod output;
#[allow(dead_code)]
#[path = "../examples/gen-completions/tools.rs"]
mod tools;
#[allow(dead_code)]
#[path = "../examples/gen-completions/zsh.rs"]
mod zsh;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn top() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn commands() -> Vec<tools::Command> {
    tools::commands(&top().join("crates/cli/src"), &top().join("man")).unwrap()
}

#[test]
fn committed_completions_equal_the_generator_output() {
    let expected = output::files(&commands());
    let mut stale = Vec::new();
    for (rel, text) in &expected {
        let path = top().join("completions").join(rel);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(rel.clone());
        }
    }
    assert!(
        stale.is_empty(),
        "stale completions (run `cargo run -p kmod-cli --example gen-completions`): {stale:?}"
    );
    // Nothing else lies in completions/: a removed command leaves no file behind.
    let wanted: BTreeSet<String> = expected.into_iter().map(|(rel, _)| rel).collect();
    for shell in ["bash", "zsh", "fish"] {
        for entry in std::fs::read_dir(top().join("completions").join(shell)).unwrap() {
            let rel = format!("{shell}/{}", entry.unwrap().file_name().to_string_lossy());
            assert!(wanted.contains(&rel), "completions/{rel} is not generated");
        }
    }
}

#[test]
fn every_tool_and_option_is_covered() {
    let commands = commands();
    let names: Vec<&str> = commands.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["kmod", "insmod", "rmmod", "lsmod", "modinfo", "modprobe", "depmod"]
    );
    let modinfo = commands.iter().find(|c| c.name == "modinfo").unwrap();
    let text = bash::render(modinfo);
    for opt in &modinfo.options {
        let long = format!("--{}", opt.long.as_deref().unwrap());
        assert!(text.contains(&long), "bash modinfo misses {long}");
        assert!(
            zsh::render(modinfo).contains(&long),
            "zsh modinfo misses {long}"
        );
        assert!(
            fish::render(modinfo).contains(&format!("-l {}", opt.long.as_deref().unwrap())),
            "fish modinfo misses {long}"
        );
    }
    let field = modinfo
        .options
        .iter()
        .find(|o| o.long.as_deref() == Some("field"))
        .unwrap();
    assert!(matches!(field.value, Some(tools::Value::Words(_))));
    assert_eq!(
        field.summary,
        "Print only the values of field, one per line, without the field name"
    );
}
