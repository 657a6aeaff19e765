//! The completion files of every command: where they go under `completions/` and their text.

use crate::tools::Command;
use crate::{bash, fish, zsh};

/// `(path under completions/, contents)` for every command and shell, in a fixed order.
pub fn files(commands: &[Command]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for cmd in commands {
        out.push((format!("bash/{}", cmd.name), bash::render(cmd)));
        out.push((format!("zsh/_{}", cmd.name), zsh::render(cmd)));
        out.push((format!("fish/{}.fish", cmd.name), fish::render(cmd)));
    }
    out
}
