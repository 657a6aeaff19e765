//! `modprobe --json` (docs/json.md, "modprobe"): the actions that `--show-depends` (and
//! `-n`/`-v`) print, as one array in the order the text prints them, or `-c`'s configuration as
//! one object.
//!
//! ```text
//! {"action":"insmod","path":"/lib/modules/.../ext4.ko","options":""}
//! {"action":"install","command":"/bin/true","options":""}
//! {"action":"builtin","module":"unix"}
//! {"action":"rmmod","module":"ext4"}
//! {"action":"remove","command":"/bin/true"}
//! ```
//!
//! `options` are the module options as one string, exactly as the text shows them after the
//! path or command; `command` is the configured command as written (the text does not
//! substitute `$CMDLINE_OPTS` either).

use std::io::{self, Write};

use kmod::probe::Action;
use modconf::{Diagnostic, ModprobeConfig};
use serde::Serialize;

use super::{print_message, text, write_document};
use crate::log::{level_priority, library_log_priority, Priority};

/// One action, tagged by `action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum JsonAction {
    /// Load a module file (`insmod <path> <options>`).
    Insmod {
        /// The module file.
        path: String,
        /// Its options.
        options: String,
    },
    /// Run an install command instead of loading (`install <command> <options>`).
    Install {
        /// The command as configured.
        command: String,
        /// The options it is given.
        options: String,
    },
    /// A module built into the kernel (`builtin <module>`).
    Builtin {
        /// Its name.
        module: String,
    },
    /// Unload a module (`rmmod <module>`).
    Rmmod {
        /// Its name.
        module: String,
    },
    /// Run a remove command instead of unloading (`remove <command>`).
    Remove {
        /// The command.
        command: String,
    },
}

/// Bytes as an owned string (U+FFFD for what is not UTF-8).
fn owned(bytes: &[u8]) -> String {
    text(bytes).into_owned()
}

impl From<&Action<'_>> for JsonAction {
    fn from(action: &Action<'_>) -> Self {
        match *action {
            Action::Insert { path, options } => JsonAction::Insmod {
                path: owned(path.as_os_str().as_encoded_bytes()),
                options: owned(options),
            },
            Action::Install { command, options } => JsonAction::Install {
                command: owned(command),
                options: owned(options),
            },
            Action::Builtin { name } => JsonAction::Builtin {
                module: owned(name),
            },
            Action::Remove { name } => JsonAction::Rmmod {
                module: owned(name),
            },
            Action::RemoveCommand { command } => JsonAction::Remove {
                command: owned(command),
            },
        }
    }
}

/// `install`/`remove` in `-c`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandEntry {
    /// The module name pattern.
    pub module: String,
    /// The shell command.
    pub command: String,
}

/// An alias: a configured one or one of `modules.alias.bin`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AliasEntry {
    /// The alias pattern.
    pub pattern: String,
    /// The module it names.
    pub module: String,
}

/// `options` in `-c`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OptionsEntry {
    /// The module (or alias) name.
    pub module: String,
    /// The options, as one string.
    pub options: String,
}

/// `softdep` in `-c`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SoftdepEntry {
    /// The module name pattern.
    pub module: String,
    /// Modules to load before it, as written.
    pub pre: Vec<String>,
    /// Modules to load after it, as written.
    pub post: Vec<String>,
}

/// `weakdep` in `-c`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeakdepEntry {
    /// The module name pattern.
    pub module: String,
    /// Its weak dependencies, as written.
    pub deps: Vec<String>,
}

/// A symbol of `modules.symbols.bin` in `-c`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SymbolEntry {
    /// The symbol (the index key without its `symbol:` prefix).
    pub symbol: String,
    /// The module exporting it.
    pub module: String,
}

/// The index dump after the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Indexes {
    /// `modules.alias.bin`, in index order.
    pub aliases: Vec<AliasEntry>,
    /// `modules.symbols.bin`, in index order.
    pub symbols: Vec<SymbolEntry>,
}

impl Indexes {
    /// Adds an entry of the alias index (`alias`) or of the symbol index (`symbol:<name>` keys).
    pub fn add(&mut self, symbols: bool, key: &str, module: &str) {
        match key.strip_prefix("symbol:").filter(|_| symbols) {
            Some(symbol) => self.symbols.push(SymbolEntry {
                symbol: symbol.to_string(),
                module: module.to_string(),
            }),
            None if symbols => self.symbols.push(SymbolEntry {
                symbol: key.to_string(),
                module: module.to_string(),
            }),
            None => self.aliases.push(AliasEntry {
                pattern: key.to_string(),
                module: module.to_string(),
            }),
        }
    }
}

/// `modprobe -c`: the configuration in the order the text prints it, then the indexes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ConfigDocument {
    /// `blacklist` lines (and `modprobe.blacklist=` of the kernel command line).
    pub blacklist: Vec<String>,
    /// `install` lines.
    pub install: Vec<CommandEntry>,
    /// `remove` lines.
    pub remove: Vec<CommandEntry>,
    /// `alias` lines.
    pub aliases: Vec<AliasEntry>,
    /// `options` lines (and `module.param` words of the kernel command line).
    pub options: Vec<OptionsEntry>,
    /// `softdep` lines.
    pub softdeps: Vec<SoftdepEntry>,
    /// `weakdep` lines.
    pub weakdeps: Vec<WeakdepEntry>,
    /// The aliases and symbols of the indexes.
    pub indexes: Indexes,
}

/// The configuration part of `-c`'s document (its `indexes` are filled by the caller).
pub fn config_document(cfg: &ModprobeConfig) -> ConfigDocument {
    let words = |list: &[Vec<u8>]| list.iter().map(|w| owned(w)).collect::<Vec<_>>();
    let command = |c: &modconf::Command| CommandEntry {
        module: owned(&c.module),
        command: owned(&c.command),
    };
    ConfigDocument {
        blacklist: words(&cfg.blacklist),
        install: cfg.install.iter().map(command).collect(),
        remove: cfg.remove.iter().map(command).collect(),
        aliases: cfg
            .aliases
            .iter()
            .map(|a| AliasEntry {
                pattern: owned(&a.pattern),
                module: owned(&a.module),
            })
            .collect(),
        options: cfg
            .options
            .iter()
            .map(|o| OptionsEntry {
                module: owned(&o.module),
                options: owned(&o.options),
            })
            .collect(),
        softdeps: cfg
            .softdeps
            .iter()
            .map(|d| SoftdepEntry {
                module: owned(&d.module),
                pre: words(&d.pre),
                post: words(&d.post),
            })
            .collect(),
        weakdeps: cfg
            .weakdeps
            .iter()
            .map(|w| WeakdepEntry {
                module: owned(&w.module),
                deps: words(&w.deps),
            })
            .collect(),
        indexes: Indexes::default(),
    }
}

/// The document modprobe prints with `--json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Document {
    /// The actions shown, in order.
    Actions(Vec<JsonAction>),
    /// `-c`'s configuration.
    Config(Box<ConfigDocument>),
}

/// What `--json` keeps while modprobe runs, written once at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonOutput {
    document: Document,
}

impl Default for JsonOutput {
    fn default() -> Self {
        JsonOutput {
            document: Document::Actions(Vec::new()),
        }
    }
}

impl JsonOutput {
    /// Records an action the text would print.
    pub fn action(&mut self, action: &Action<'_>) {
        if let Document::Actions(list) = &mut self.document {
            list.push(JsonAction::from(action));
        }
    }

    /// Makes `-c`'s configuration the document.
    pub fn set_config(&mut self, config: ConfigDocument) {
        self.document = Document::Config(Box::new(config));
    }

    /// The document so far.
    pub fn document(&self) -> &Document {
        &self.document
    }

    /// Writes the document (one line).
    pub fn write(&self, out: &mut impl Write) -> io::Result<()> {
        match &self.document {
            Document::Actions(list) => write_document(out, list),
            Document::Config(config) => write_document(out, config),
        }
    }
}

/// Prints a message of modprobe (`prog`) as a JSON line.
pub fn print_tool_message(prog: &str, prio: Priority, msg: &[u8]) {
    print_message(prog, prio, None, &text(msg));
}

/// The library's configuration messages as JSON lines (program `libkmod`), those `KMOD_LOG`
/// lets through, as the text form prints them.
pub fn print_library_messages(diags: &[Diagnostic]) {
    let limit = library_log_priority();
    for d in diags.iter().filter(|d| level_priority(d.level) <= limit) {
        let prio = match d.level {
            modconf::Level::Error => Priority::Error,
            modconf::Level::Warning => Priority::Warning,
            modconf::Level::Info => Priority::Info,
            modconf::Level::Debug => Priority::Debug,
        };
        let message: &[u8] = d.message.as_ref();
        print_message("libkmod", prio, None, &text(message));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn actions_say_what_the_text_says() {
        let path = Path::new("/lib/modules/6.1/kernel/fs/ext4/ext4.ko");
        let cases = [
            (
                Action::Insert {
                    path,
                    options: b"a=1 b",
                },
                r#"{"action":"insmod","path":"/lib/modules/6.1/kernel/fs/ext4/ext4.ko","options":"a=1 b"}"#,
            ),
            (
                Action::Install {
                    command: b"/bin/echo $CMDLINE_OPTS",
                    options: b"",
                },
                r#"{"action":"install","command":"/bin/echo $CMDLINE_OPTS","options":""}"#,
            ),
            (
                Action::Builtin { name: b"unix" },
                r#"{"action":"builtin","module":"unix"}"#,
            ),
            (
                Action::Remove { name: b"ext4" },
                r#"{"action":"rmmod","module":"ext4"}"#,
            ),
            (
                Action::RemoveCommand {
                    command: b"/bin/true",
                },
                r#"{"action":"remove","command":"/bin/true"}"#,
            ),
        ];
        for (action, expected) in cases {
            let json = serde_json::to_string(&JsonAction::from(&action)).unwrap();
            assert_eq!(json, expected);
            // The text form starts with the action's name and holds every value.
            let value: serde_json::Value = serde_json::from_str(&json).unwrap();
            let line = String::from_utf8(action.to_bytes()).unwrap();
            assert!(
                line.starts_with(value["action"].as_str().unwrap()),
                "{line}"
            );
        }
    }

    #[test]
    fn the_document_is_the_actions_or_the_configuration() {
        let mut out = JsonOutput::default();
        out.action(&Action::Builtin { name: b"unix" });
        let mut bytes = Vec::new();
        out.write(&mut bytes).unwrap();
        assert_eq!(bytes, b"[{\"action\":\"builtin\",\"module\":\"unix\"}]\n");
        out.set_config(ConfigDocument::default());
        // Actions after -c's configuration are not part of the document.
        out.action(&Action::Builtin { name: b"unix" });
        let mut bytes = Vec::new();
        out.write(&mut bytes).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            concat!(
                r#"{"blacklist":[],"install":[],"remove":[],"aliases":[],"options":[],"#,
                r#""softdeps":[],"weakdeps":[],"indexes":{"aliases":[],"symbols":[]}}"#,
                "\n"
            )
        );
    }

    #[test]
    fn configuration_in_text_order() {
        let mut cfg = ModprobeConfig::default();
        let text = b"softdep s pre: a b post: c\nweakdep w x y\noptions o x=1\nalias a-1 m\n\
remove r /bin/false\ninstall i /bin/true\nblacklist b\xff\n";
        cfg.parse_file("t.conf".as_ref(), text, &mut Vec::new());
        let mut doc = config_document(&cfg);
        doc.indexes.add(false, "pci:v*", "e1000e");
        doc.indexes.add(true, "symbol:jbd2_journal_start", "jbd2");
        let value = serde_json::to_value(&doc).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "blacklist": ["b\u{fffd}"],
                "install": [{"module": "i", "command": "/bin/true"}],
                "remove": [{"module": "r", "command": "/bin/false"}],
                "aliases": [{"pattern": "a_1", "module": "m"}],
                "options": [{"module": "o", "options": "x=1"}],
                "softdeps": [{"module": "s", "pre": ["a", "b"], "post": ["c"]}],
                "weakdeps": [{"module": "w", "deps": ["x", "y"]}],
                "indexes": {
                    "aliases": [{"pattern": "pci:v*", "module": "e1000e"}],
                    "symbols": [{"symbol": "jbd2_journal_start", "module": "jbd2"}]
                }
            })
        );
    }
}
