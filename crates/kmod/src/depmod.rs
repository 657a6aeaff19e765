//! The depmod engine: from a module directory to the files modprobe, udev and initramfs tools
//! read (formats.md §1–§4, tools.md §6).
//!
//! [`run`] does the whole job for a [`DepmodOptions`]: configuration, module discovery, the
//! module array order, parallel reading of every module, symbol resolution, the topological
//! order and the transitive dependency lists, cycle detection, and the eleven output files
//! (written crash-safely, or printed for `-n`). What kmod prints is handed to a
//! [`Reporter`] as [`Message`]s in kmod's words and order; the caller prints them.
//!
//! The building blocks are pure and separately tested: [`hash`] (depmod's hash table orders),
//! [`order`] (the module array), [`symbols`] and [`resolve`] (dependencies), [`graph`]
//! (topological order, closures, cycles), [`text`], [`indexes`] and [`trie`] (the outputs),
//! [`builtin`] and [`kernel_symbols`] (kernel-provided inputs). The file-system side is in
//! [`discover`] (finding modules), [`scan`], [`elf_symbols`] and [`open`] (reading them in
//! parallel), [`quick`] (`-A`) and [`publish`] (crash-safe writes).

pub mod builtin;
pub mod discover;
pub mod elf_symbols;
pub mod fxhash;
pub mod graph;
pub mod hash;
pub mod indexes;
pub mod kernel_symbols;
pub mod open;
pub mod order;
pub mod publish;
pub mod quick;
pub mod record;
pub mod report;
pub mod resolve;
pub mod scan;
pub mod symbols;
pub mod text;
pub mod trie;

mod engine;

pub use engine::{run, DepmodOptions, Failed, Outcome};
pub use record::{Export, Module, ModuleInfo, Need, SymName};
pub use report::{Collected, Level, Message, Reporter};

/// `strerror()` text of an I/O error (without Rust's " (os error N)" suffix).
pub fn strerror(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => strerror_code(code),
        None => e.to_string(),
    }
}

/// `strerror()` text of an errno value.
pub fn strerror_code(errno: i32) -> String {
    let text = std::io::Error::from_raw_os_error(errno).to_string();
    match text.rfind(" (os error ") {
        Some(cut) => text.get(..cut).unwrap_or(&text).to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strerror_texts() {
        assert_eq!(strerror_code(2), "No such file or directory");
        assert_eq!(strerror_code(8), "Exec format error");
        assert_eq!(
            strerror(&std::io::Error::from_raw_os_error(22)),
            "Invalid argument"
        );
        assert_eq!(strerror(&std::io::Error::other("plain")), "plain");
    }
}
