//! The binary indexes depmod writes (formats.md §2.4), built with [`modindex::IndexWriter`].

use modindex::IndexWriter;
use modname::alias_normalize;

use super::record::Module;
use super::report::{Level, Message};

/// A finished index and the messages produced while building it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltIndex {
    /// The index file.
    pub bytes: Vec<u8>,
    /// Warnings, in order.
    pub messages: Vec<Message>,
}

/// A key or value the index format cannot hold (depmod aborts with FATAL).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Module index: bad character '{}'=0x{byte:x} - only 7-bit ASCII is supported:\n{text}", char::from(*.byte).escape_default())]
pub struct BadCharacter {
    /// The first byte the format cannot hold (NUL or >= 0x80).
    pub byte: u8,
    /// The offending key or value (lossily decoded).
    pub text: String,
}

impl BadCharacter {
    /// The error for `bytes`, naming its first unstorable byte.
    fn of(bytes: &[u8]) -> Self {
        BadCharacter {
            byte: bytes
                .iter()
                .copied()
                .find(|&b| b == 0 || b >= 0x80)
                .unwrap_or(0),
            text: String::from_utf8_lossy(bytes).into_owned(),
        }
    }
}

/// Inserts, turning the writer's refusal into [`BadCharacter`]; returns whether the key already
/// held this value.
fn insert(
    w: &mut IndexWriter,
    key: &str,
    value: &str,
    priority: u32,
) -> Result<bool, BadCharacter> {
    w.insert_reporting_duplicate(key, value, priority)
        .map_err(|_| {
            let bad = |s: &str| s.bytes().any(|b| b == 0 || b >= 0x80);
            BadCharacter::of(if bad(key) { key } else { value }.as_bytes())
        })
}

/// A module's array index as an index priority.
fn priority(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// `modules.dep.bin`: module name → its `modules.dep` line, priority = array index.
pub fn dep_index(
    modules: &[Module],
    lines: &[String],
    warn_duplicates: bool,
) -> Result<BuiltIndex, BadCharacter> {
    let mut w = IndexWriter::new();
    let mut messages = Vec::new();
    for (i, (m, line)) in modules.iter().zip(lines).enumerate() {
        if insert(&mut w, &m.name, line, priority(i))? && warn_duplicates {
            messages.push(Message::new(
                Level::Warning,
                format!("duplicate module deps:\n{line}"),
            ));
        }
    }
    Ok(BuiltIndex {
        bytes: w.to_bytes(),
        messages,
    })
}

/// Text of a `.modinfo` value for the index, refusing what the format cannot hold.
fn index_text(bytes: &[u8]) -> Result<&str, BadCharacter> {
    std::str::from_utf8(bytes).map_err(|_| BadCharacter::of(bytes))
}

/// `modules.alias.bin`: normalised alias → module name, priority = array index. Aliases with
/// unbalanced brackets are left out with `Unmatched bracket in <alias>`.
pub fn alias_index(modules: &[Module], warn_duplicates: bool) -> Result<BuiltIndex, BadCharacter> {
    let mut w = IndexWriter::new();
    let mut messages = Vec::new();
    for (i, m) in modules.iter().enumerate() {
        for alias in &m.info.aliases {
            let alias = index_text(alias)?;
            let Ok(key) = alias_normalize(alias) else {
                messages.push(Message::new(
                    Level::Warning,
                    format!("Unmatched bracket in {alias}"),
                ));
                continue;
            };
            if insert(&mut w, &key, &m.name, priority(i))? && warn_duplicates {
                messages.push(Message::new(
                    Level::Warning,
                    format!("duplicate module alias:\n{key} {}", m.name),
                ));
            }
        }
    }
    Ok(BuiltIndex {
        bytes: w.to_bytes(),
        messages,
    })
}

/// `modules.symbols.bin`: `symbol:<name>` → owner name, priority = owner's array index.
pub fn symbols_index(
    modules: &[Module],
    symbols: &[(&str, usize)],
    warn_duplicates: bool,
) -> Result<BuiltIndex, BadCharacter> {
    let mut w = IndexWriter::new();
    let mut messages = Vec::new();
    let mut key = String::new();
    for &(name, owner) in symbols {
        let Some(m) = modules.get(owner) else {
            continue;
        };
        key.clear();
        key.push_str("symbol:");
        key.push_str(name);
        if insert(&mut w, &key, &m.name, priority(owner))? && warn_duplicates {
            messages.push(Message::new(
                Level::Warning,
                format!("duplicate module syms:\n{key} {}", m.name),
            ));
        }
    }
    Ok(BuiltIndex {
        bytes: w.to_bytes(),
        messages,
    })
}

/// `modules.builtin.bin`: each built-in module name → empty value, priority 0.
pub fn builtin_index(names: &[String]) -> Result<Vec<u8>, BadCharacter> {
    let mut w = IndexWriter::new();
    for name in names {
        insert(&mut w, name, "", 0)?;
    }
    Ok(w.to_bytes())
}

/// `modules.builtin.alias.bin`: normalised alias → built-in module name, priority 0; aliases with
/// unbalanced brackets left out with a warning.
pub fn builtin_alias_index(aliases: &[(&[u8], &[u8])]) -> Result<BuiltIndex, BadCharacter> {
    let mut w = IndexWriter::new();
    let mut messages = Vec::new();
    for &(module, alias) in aliases {
        let module = index_text(module)?;
        let alias = index_text(alias)?;
        let Ok(key) = alias_normalize(alias) else {
            messages.push(Message::new(
                Level::Warning,
                format!("Unmatched bracket in {alias}"),
            ));
            continue;
        };
        insert(&mut w, &key, module, 0)?;
    }
    Ok(BuiltIndex {
        bytes: w.to_bytes(),
        messages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::depmod::record::ModuleInfo;
    use modindex::Index;
    use std::path::PathBuf;

    fn module(name: &str, aliases: &[&[u8]]) -> Module {
        Module {
            name: name.into(),
            path: PathBuf::from(format!("/m/{name}.ko")),
            out_path: format!("{name}.ko"),
            info: ModuleInfo {
                aliases: aliases.iter().map(|a| a.to_vec()).collect(),
                ..ModuleInfo::default()
            },
        }
    }

    fn read(bytes: Vec<u8>) -> Index {
        Index::from_bytes("/t.bin", bytes).unwrap()
    }

    #[test]
    fn dep_index_keys_values_priorities() {
        let mods = [module("a", &[]), module("b_x", &[])];
        let lines = ["a.ko: b-x.ko".to_string(), "b-x.ko:".to_string()];
        let built = dep_index(&mods, &lines, true).unwrap();
        assert!(built.messages.is_empty());
        let idx = read(built.bytes);
        assert_eq!(idx.lookup("a").unwrap().as_deref(), Some("a.ko: b-x.ko"));
        let v = idx.lookup_values("b_x").unwrap();
        assert_eq!((v[0].priority, v[0].value.as_str()), (1, "b-x.ko:"));
    }

    #[test]
    fn alias_index_normalises_and_warns() {
        let mods = [
            module("a", &[b"foo-bar", b"x", b"x", b"foo[bar", b"a-b[c-d]e"]),
            module("b", &[b"x"]),
        ];
        let built = alias_index(&mods, true).unwrap();
        let texts: Vec<&str> = built.messages.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "duplicate module alias:\nx a",
                "Unmatched bracket in foo[bar"
            ]
        );
        let idx = read(built.bytes);
        assert_eq!(idx.lookup("foo_bar").unwrap().as_deref(), Some("a"));
        assert_eq!(idx.lookup("a_b[c-d]e").unwrap().as_deref(), Some("a"));
        let x: Vec<(u32, String)> = idx
            .lookup_values("x")
            .unwrap()
            .into_iter()
            .map(|v| (v.priority, v.value))
            .collect();
        assert_eq!(x, [(0, "a".into()), (0, "a".into()), (1, "b".into())]);
        let quiet = alias_index(&mods, false).unwrap();
        assert_eq!(quiet.messages.len(), 1);
    }

    #[test]
    fn non_ascii_is_refused() {
        let mods = [module("a", &[b"caf\xc3\xa9"])];
        let err = alias_index(&mods, false).unwrap_err();
        assert_eq!(err.text, "caf\u{e9}");
        assert_eq!(err.byte, 0xc3);
        assert!(err.to_string().starts_with("Module index: bad character '"));
        let mods = [module("a", &[b"caf\xe9"])];
        assert!(alias_index(&mods, false).is_err());
    }

    #[test]
    fn symbols_and_builtin_indexes() {
        let mods = [module("a", &[]), module("b", &[])];
        let idx = read(
            symbols_index(&mods, &[("sb", 1), ("sa", 0)], false)
                .unwrap()
                .bytes,
        );
        let v = idx.lookup_values("symbol:sb").unwrap();
        assert_eq!((v[0].priority, v[0].value.as_str()), (1, "b"));
        let idx = read(builtin_index(&["ext4".into(), "foo_bar".into()]).unwrap());
        assert_eq!(idx.lookup("ext4").unwrap().as_deref(), Some(""));
        let built =
            builtin_alias_index(&[(b"x", b"foo-bar"), (b"y", b"u[v"), (b"z", b"foo-bar")]).unwrap();
        assert_eq!(built.messages[0].text, "Unmatched bracket in u[v");
        let idx = read(built.bytes);
        let v: Vec<String> = idx
            .lookup_values("foo_bar")
            .unwrap()
            .into_iter()
            .map(|v| v.value)
            .collect();
        // Equal priorities: the later insertion comes first.
        assert_eq!(v, ["z", "x"]);
        assert_eq!(builtin_index(&[]).unwrap().len(), 12);
    }
}
