//! The binary indexes depmod writes (formats.md §2.4), laid out by [`TrieBuilder`].

use std::borrow::Cow;

use modname::alias_normalize;

use super::record::Module;
use super::report::{Level, Message};
use super::trie::{BadCharacter, TooLarge, TrieBuilder};

/// A finished index and the messages produced while building it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltIndex {
    /// The index file.
    pub bytes: Vec<u8>,
    /// Warnings, in order.
    pub messages: Vec<Message>,
}

/// Why an index could not be built (depmod stops with FATAL).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    /// A key or value with a byte the format cannot hold.
    #[error(transparent)]
    BadCharacter(#[from] BadCharacter),
    /// The index would not fit the format's 28-bit offsets.
    #[error(transparent)]
    TooLarge(#[from] TooLarge),
}

/// One step of building an index, in depmod's order: a warning, or an entry.
enum Item<'a> {
    Warn(Message),
    Entry(Cow<'a, str>, &'a str, u32),
}

/// How `-w` words a duplicate entry.
type DuplicateText = fn(&str, &str) -> String;

/// Builds an index from `items`; with `duplicate` set, entries repeating an earlier key and value
/// get a warning at their place in the order.
fn build(items: &[Item<'_>], duplicate: Option<DuplicateText>) -> Result<BuiltIndex, IndexError> {
    let mut trie = TrieBuilder::with_capacity(items.len());
    for item in items {
        if let Item::Entry(key, value, priority) = item {
            trie.insert(key, value, *priority)?;
        }
    }
    let dups = if duplicate.is_some() {
        trie.duplicates()
    } else {
        Vec::new()
    };
    let mut messages = Vec::new();
    let mut entry = 0usize;
    for item in items {
        match item {
            Item::Warn(m) => messages.push(m.clone()),
            Item::Entry(key, value, _) => {
                if let (Some(text), Some(true)) = (duplicate, dups.get(entry)) {
                    messages.push(Message::new(Level::Warning, text(key, value)));
                }
                entry += 1;
            }
        }
    }
    Ok(BuiltIndex {
        bytes: trie.to_bytes()?,
        messages,
    })
}

/// A module's array index as an index priority.
fn priority(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// Text of a `.modinfo` value for the index, refusing what the format cannot hold.
fn index_text(bytes: &[u8]) -> Result<&str, BadCharacter> {
    BadCharacter::check(bytes)?;
    std::str::from_utf8(bytes).map_err(|_| BadCharacter {
        byte: 0x80,
        text: String::from_utf8_lossy(bytes).into_owned(),
    })
}

/// The key for an alias, or the `Unmatched bracket in <alias>` warning.
fn alias_item<'a>(alias: &'a str, value: &'a str, prio: u32) -> Item<'a> {
    match alias_normalize(alias) {
        Ok(key) if key == alias => Item::Entry(Cow::Borrowed(alias), value, prio),
        Ok(key) => Item::Entry(Cow::Owned(key), value, prio),
        Err(_) => Item::Warn(Message::new(
            Level::Warning,
            format!("Unmatched bracket in {alias}"),
        )),
    }
}

/// `modules.dep.bin`: module name → its `modules.dep` line, priority = array index.
pub fn dep_index(
    modules: &[Module],
    lines: &[String],
    warn_duplicates: bool,
) -> Result<BuiltIndex, IndexError> {
    let items: Vec<Item<'_>> = modules
        .iter()
        .zip(lines)
        .enumerate()
        .map(|(i, (m, line))| Item::Entry(Cow::Borrowed(m.name.as_str()), line, priority(i)))
        .collect();
    let text: DuplicateText = |_, line| format!("duplicate module deps:\n{line}");
    build(&items, warn_duplicates.then_some(text))
}

/// `modules.alias.bin`: normalised alias → module name, priority = array index. Aliases with
/// unbalanced brackets are left out with `Unmatched bracket in <alias>`.
pub fn alias_index(modules: &[Module], warn_duplicates: bool) -> Result<BuiltIndex, IndexError> {
    let mut items = Vec::new();
    for (i, m) in modules.iter().enumerate() {
        for alias in &m.info.aliases {
            items.push(alias_item(index_text(alias)?, &m.name, priority(i)));
        }
    }
    let text: DuplicateText = |key, name| format!("duplicate module alias:\n{key} {name}");
    build(&items, warn_duplicates.then_some(text))
}

/// `modules.symbols.bin`: `symbol:<name>` → owner name, priority = owner's array index.
pub fn symbols_index(
    modules: &[Module],
    symbols: &[(&str, usize)],
    warn_duplicates: bool,
) -> Result<BuiltIndex, IndexError> {
    let items: Vec<Item<'_>> = symbols
        .iter()
        .filter_map(|&(name, owner)| {
            let m = modules.get(owner)?;
            Some(Item::Entry(
                Cow::Owned(format!("symbol:{name}")),
                m.name.as_str(),
                priority(owner),
            ))
        })
        .collect();
    let text: DuplicateText = |key, name| format!("duplicate module syms:\n{key} {name}");
    build(&items, warn_duplicates.then_some(text))
}

/// `modules.builtin.bin`: each built-in module name → empty value, priority 0.
pub fn builtin_index(names: &[String]) -> Result<Vec<u8>, IndexError> {
    let items: Vec<Item<'_>> = names
        .iter()
        .map(|n| Item::Entry(Cow::Borrowed(n.as_str()), "", 0))
        .collect();
    Ok(build(&items, None)?.bytes)
}

/// `modules.builtin.alias.bin`: normalised alias → built-in module name, priority 0; aliases with
/// unbalanced brackets left out with a warning.
pub fn builtin_alias_index(aliases: &[(&[u8], &[u8])]) -> Result<BuiltIndex, IndexError> {
    let mut items = Vec::with_capacity(aliases.len());
    for &(module, alias) in aliases {
        items.push(alias_item(index_text(alias)?, index_text(module)?, 0));
    }
    build(&items, None)
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
    fn alias_index_normalises_and_warns_in_order() {
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
        assert!(err.to_string().starts_with("Module index: bad character"));
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
