//! `depmod --json`: one object holding what depmod prints on stdout (docs/json.md, "depmod").
//!
//! With `-n`, the text files it would write, keyed by file name, each an array of its lines
//! taken apart:
//! * `modules.dep`: `{module, deps}` (paths as written, relative to the module directory);
//! * `modules.alias`: `{pattern, module}`;
//! * `modules.softdep`: `{module, value, pre, post}` (`value` as written; `pre`/`post` the
//!   modules modprobe reads from it: the words after `pre:` and after `post:`);
//! * `modules.weakdep`: `{module, deps}`;
//! * `modules.symbols`: `{symbol, module}` (the symbol without its `symbol:` prefix);
//! * `modules.devname`: `{module, devname, type, major, minor}` (`type` `"c"` or `"b"`).
//!
//! With `-v`, `needs` lists the `<module> needs "<symbol>": <provider>` lines as
//! `{module, symbol, provider}`.
//!
//! The objects are read back from the text the engine prints, so that the JSON says exactly what
//! the text says; the text's headers mark where each file starts.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::text;

/// Header of `modules.alias` in the text (kmod's words).
const ALIAS_HEADER: &str = "# Aliases extracted from modules themselves.";
/// Header of `modules.softdep`.
const SOFTDEP_HEADER: &str = "# Soft dependencies extracted from modules themselves.";
/// Header of `modules.weakdep`.
const WEAKDEP_HEADER: &str = "# Weak dependencies extracted from modules themselves.";
/// Header of `modules.symbols`.
const SYMBOLS_HEADER: &str = "# Aliases for symbols, used by symbol_request().";
/// Header of `modules.devname` (only present when it has entries).
const DEVNAME_HEADER: &str = "# Device nodes to trigger on-demand module loading.";

/// A `modules.dep` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dep {
    /// The module's path.
    pub module: String,
    /// The paths of its dependencies, in the order modprobe loads them last to first.
    pub deps: Vec<String>,
}

/// A `modules.alias` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alias {
    /// The alias pattern (fnmatch-style).
    pub pattern: String,
    /// The module's name.
    pub module: String,
}

/// A `modules.softdep` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Softdep {
    /// The module's name.
    pub module: String,
    /// The soft dependency as the module declares it.
    pub value: String,
    /// The modules to load before it.
    pub pre: Vec<String>,
    /// The modules to load after it.
    pub post: Vec<String>,
}

/// A `modules.weakdep` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Weakdep {
    /// The module's name.
    pub module: String,
    /// Its weak dependencies.
    pub deps: Vec<String>,
}

/// A `modules.symbols` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Symbol {
    /// The exported symbol.
    pub symbol: String,
    /// The module exporting it.
    pub module: String,
}

/// A `modules.devname` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Devname {
    /// The module's name.
    pub module: String,
    /// The device node below `/dev`.
    pub devname: String,
    /// `c` (character) or `b` (block).
    #[serde(rename = "type")]
    pub kind: String,
    /// Major number.
    pub major: u32,
    /// Minor number.
    pub minor: u32,
}

/// A `-v` line: a dependency of a module on a symbol and the module providing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Need {
    /// The module's file.
    pub module: String,
    /// The symbol it needs.
    pub symbol: String,
    /// The file of the module providing the symbol.
    pub provider: String,
}

/// The text files of `-n`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Files {
    /// `modules.dep`.
    pub dep: Vec<Dep>,
    /// `modules.alias`.
    pub alias: Vec<Alias>,
    /// `modules.softdep`.
    pub softdep: Vec<Softdep>,
    /// `modules.weakdep`.
    pub weakdep: Vec<Weakdep>,
    /// `modules.symbols`.
    pub symbols: Vec<Symbol>,
    /// `modules.devname`.
    pub devname: Vec<Devname>,
}

/// The whole document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// The files, with `-n` (and when depmod printed them).
    pub files: Option<Files>,
    /// The dependencies `-v` reports.
    pub needs: Option<Vec<Need>>,
}

impl Serialize for Document {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(f) = &self.files {
            map.serialize_entry("modules.dep", &f.dep)?;
            map.serialize_entry("modules.alias", &f.alias)?;
            map.serialize_entry("modules.softdep", &f.softdep)?;
            map.serialize_entry("modules.weakdep", &f.weakdep)?;
            map.serialize_entry("modules.symbols", &f.symbols)?;
            map.serialize_entry("modules.devname", &f.devname)?;
        }
        if let Some(needs) = &self.needs {
            map.serialize_entry("needs", needs)?;
        }
        map.end()
    }
}

/// A line that does not have the form its file gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// The file.
    pub file: &'static str,
    /// The line.
    pub line: String,
}

/// Which file the lines being read belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Dep,
    Alias,
    Softdep,
    Weakdep,
    Symbols,
    Devname,
}

impl Section {
    fn file(self) -> &'static str {
        match self {
            Section::Dep => "modules.dep",
            Section::Alias => "modules.alias",
            Section::Softdep => "modules.softdep",
            Section::Weakdep => "modules.weakdep",
            Section::Symbols => "modules.symbols",
            Section::Devname => "modules.devname",
        }
    }

    fn from_header(line: &str) -> Option<Section> {
        match line {
            ALIAS_HEADER => Some(Section::Alias),
            SOFTDEP_HEADER => Some(Section::Softdep),
            WEAKDEP_HEADER => Some(Section::Weakdep),
            SYMBOLS_HEADER => Some(Section::Symbols),
            DEVNAME_HEADER => Some(Section::Devname),
            _ => None,
        }
    }
}

/// Takes apart the text `depmod -n` printed (every file, concatenated). Lines that do not have
/// their file's form are returned apart (the engine does not write any).
pub fn parse_files(output: &[u8]) -> (Files, Vec<BadLine>) {
    let mut files = Files::default();
    let mut bad = Vec::new();
    let mut section = Section::Dep;
    let output = text(output);
    for line in output.lines() {
        if let Some(next) = Section::from_header(line) {
            section = next;
            continue;
        }
        if !add_line(&mut files, section, line) {
            bad.push(BadLine {
                file: section.file(),
                line: line.to_string(),
            });
        }
    }
    (files, bad)
}

/// Adds one line to its file; `false` if it does not have the file's form.
fn add_line(files: &mut Files, section: Section, line: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    match section {
        Section::Dep => {
            let Some((module, deps)) = line.split_once(':') else {
                return false;
            };
            files.dep.push(Dep {
                module: module.to_string(),
                deps: words(deps),
            });
        }
        Section::Alias => {
            let Some((pattern, module)) = line
                .strip_prefix("alias ")
                .and_then(|rest| rest.rsplit_once(' '))
            else {
                return false;
            };
            files.alias.push(Alias {
                pattern: pattern.to_string(),
                module: module.to_string(),
            });
        }
        Section::Softdep => {
            let Some((module, value)) = line
                .strip_prefix("softdep ")
                .and_then(|rest| rest.split_once(' '))
            else {
                return false;
            };
            let (pre, post) = softdep_lists(value);
            files.softdep.push(Softdep {
                module: module.to_string(),
                value: value.to_string(),
                pre,
                post,
            });
        }
        Section::Weakdep => {
            let Some((module, deps)) = line
                .strip_prefix("weakdep ")
                .and_then(|rest| rest.split_once(' '))
            else {
                return false;
            };
            files.weakdep.push(Weakdep {
                module: module.to_string(),
                deps: words(deps),
            });
        }
        Section::Symbols => {
            let Some((symbol, module)) = line
                .strip_prefix("alias symbol:")
                .and_then(|rest| rest.rsplit_once(' '))
            else {
                return false;
            };
            files.symbols.push(Symbol {
                symbol: symbol.to_string(),
                module: module.to_string(),
            });
        }
        Section::Devname => match devname_line(line) {
            Some(d) => files.devname.push(d),
            None => return false,
        },
    }
    true
}

/// The words after `pre:` and after `post:` in a softdep value, as modprobe reads them (words
/// before either keyword are ignored).
pub fn softdep_lists(value: &str) -> (Vec<String>, Vec<String>) {
    let (mut pre, mut post) = (Vec::new(), Vec::new());
    let mut current: Option<&mut Vec<String>> = None;
    for word in value.split([' ', '\t']).filter(|w| !w.is_empty()) {
        match word {
            "pre:" => current = Some(&mut pre),
            "post:" => current = Some(&mut post),
            _ => {
                if let Some(list) = current.as_deref_mut() {
                    list.push(word.to_string());
                }
            }
        }
    }
    (pre, post)
}

/// `<module> <devname> <c|b><major>:<minor>`.
fn devname_line(line: &str) -> Option<Devname> {
    let (module, rest) = line.split_once(' ')?;
    let (devname, node) = rest.rsplit_once(' ')?;
    let kind = node.get(..1).filter(|k| *k == "c" || *k == "b")?;
    let (major, minor) = node.get(1..)?.split_once(':')?;
    Some(Devname {
        module: module.to_string(),
        devname: devname.to_string(),
        kind: kind.to_string(),
        major: major.parse().ok()?,
        minor: minor.parse().ok()?,
    })
}

/// A `-v` line, `<module> needs "<symbol>": <provider>`; `None` if it has another form.
pub fn need_line(line: &str) -> Option<Need> {
    let (module, rest) = line.split_once(" needs \"")?;
    let (symbol, provider) = rest.split_once("\": ")?;
    Some(Need {
        module: module.to_string(),
        symbol: symbol.to_string(),
        provider: provider.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/jbd2/jbd2.ko
kernel/lib/crc16.ko:
# Aliases extracted from modules themselves.
alias fs-ext4 ext4
alias pci:v00008086d*sv*sd*bc*sc*i* e1000e
# Soft dependencies extracted from modules themselves.
softdep ext4 pre: crypto-crc32c
softdep cifs gcm
softdep vfio post: a b pre: c
# Weak dependencies extracted from modules themselves.
weakdep m x y
# Aliases for symbols, used by symbol_request().
alias symbol:jbd2_journal_start jbd2
# Device nodes to trigger on-demand module loading.
fuse fuse c10:229
dm_mod mapper/control c10:236
";

    #[test]
    fn every_file_is_taken_apart() {
        let (files, bad) = parse_files(TEXT.as_bytes());
        assert!(bad.is_empty(), "{bad:?}");
        let doc = Document {
            files: Some(files),
            needs: None,
        };
        let value = serde_json::to_value(&doc).unwrap();
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 6);
        assert_eq!(
            value["modules.dep"][0],
            serde_json::json!({"module": "kernel/fs/ext4/ext4.ko",
                "deps": ["kernel/lib/crc16.ko", "kernel/fs/jbd2/jbd2.ko"]})
        );
        assert_eq!(value["modules.dep"][1]["deps"], serde_json::json!([]));
        assert_eq!(
            value["modules.alias"][1],
            serde_json::json!({"pattern": "pci:v00008086d*sv*sd*bc*sc*i*", "module": "e1000e"})
        );
        assert_eq!(
            value["modules.softdep"][1],
            serde_json::json!({"module": "cifs", "value": "gcm", "pre": [], "post": []})
        );
        assert_eq!(
            value["modules.softdep"][2],
            serde_json::json!({"module": "vfio", "value": "post: a b pre: c", "pre": ["c"], "post": ["a", "b"]})
        );
        assert_eq!(
            value["modules.weakdep"][0],
            serde_json::json!({"module": "m", "deps": ["x", "y"]})
        );
        assert_eq!(
            value["modules.symbols"][0],
            serde_json::json!({"symbol": "jbd2_journal_start", "module": "jbd2"})
        );
        assert_eq!(
            value["modules.devname"][1],
            serde_json::json!({"module": "dm_mod", "devname": "mapper/control", "type": "c", "major": 10, "minor": 236})
        );
    }

    #[test]
    fn lines_of_another_form_are_reported() {
        let text = "no colon here\n# Aliases extracted from modules themselves.\nalias lonely\n# Device nodes to trigger on-demand module loading.\nm d x10:1\nm d c10\n";
        let (files, bad) = parse_files(text.as_bytes());
        assert_eq!(files, Files::default());
        let lines: Vec<(&str, &str)> = bad.iter().map(|b| (b.file, b.line.as_str())).collect();
        assert_eq!(
            lines,
            [
                ("modules.dep", "no colon here"),
                ("modules.alias", "alias lonely"),
                ("modules.devname", "m d x10:1"),
                ("modules.devname", "m d c10"),
            ]
        );
    }

    #[test]
    fn empty_documents() {
        assert_eq!(serde_json::to_string(&Document::default()).unwrap(), "{}");
        let doc = Document {
            files: None,
            needs: Some(vec![need_line("/m/a.ko needs \"f\": /m/b.ko").unwrap()]),
        };
        assert_eq!(
            serde_json::to_string(&doc).unwrap(),
            r#"{"needs":[{"module":"/m/a.ko","symbol":"f","provider":"/m/b.ko"}]}"#
        );
        assert_eq!(need_line("something else"), None);
    }
}
