//! Building an index in memory and serialising it the way kmod 34's depmod lays it out.
//!
//! The trie is a radix trie over 7-bit ASCII: nodes exist only at the root, where a key ends and
//! where two keys diverge; a new key's remaining characters go into its node's prefix, and a node is
//! split when a key ends or diverges inside that prefix. For a given set of keys this shape does not
//! depend on the insertion order. Serialisation is pre-order (root at offset 12, every node followed
//! by its children's subtrees in ascending edge character order), as kmod 34 writes it.

use std::collections::BTreeMap;
use std::io::Write;

use crate::error::Error;
use crate::format::{
    HEADER_LEN, MAGIC, NODE_CHILDS, NODE_OFFSET_MASK, NODE_PREFIX, NODE_VALUES, VERSION,
};
use crate::value::{insert_position, Value};

/// Largest file whose every node offset fits in the 28 offset bits of a node-offset word.
const MAX_FILE_LEN: u64 = NODE_OFFSET_MASK as u64 + 1;

/// Upper bound of how much one insertion can grow the file besides the key and value bytes: a node
/// split (new child table entry, one more NUL), a child table widened to all 128 entries, a new leaf's
/// value count and the value's priority and NUL.
const MAX_INSERT_OVERHEAD: u64 = 600;

/// One node of the trie under construction.
#[derive(Debug, Default, Clone)]
struct Node {
    /// Characters below the incoming edge character.
    prefix: Vec<u8>,
    /// Edge character → node number.
    children: BTreeMap<u8, usize>,
    /// Values in file order (ascending priority, newest first among equals).
    values: Vec<Value>,
}

impl Node {
    /// The flag bits of this node's node-offset word.
    fn flags(&self) -> u32 {
        let mut flags = 0;
        if !self.prefix.is_empty() {
            flags |= NODE_PREFIX;
        }
        if !self.children.is_empty() {
            flags |= NODE_CHILDS;
        }
        if !self.values.is_empty() {
            flags |= NODE_VALUES;
        }
        flags
    }

    /// Number of bytes this node occupies in the file.
    fn encoded_len(&self) -> u64 {
        let mut len = 0u64;
        if !self.prefix.is_empty() {
            len += self.prefix.len() as u64 + 1;
        }
        if let (Some((&first, _)), Some((&last, _))) = (
            self.children.first_key_value(),
            self.children.last_key_value(),
        ) {
            len += 2 + 4 * (u64::from(last) - u64::from(first) + 1);
        }
        if !self.values.is_empty() {
            len += 4;
            len += self
                .values
                .iter()
                .map(|v| 4 + v.value.len() as u64 + 1)
                .sum::<u64>();
        }
        len
    }
}

/// Builds an index in memory and serialises it deterministically (same insertions, same bytes).
///
/// Keys and values must be 7-bit ASCII without NUL. Values of one key are kept in ascending priority;
/// a value is placed before existing values of equal priority. Inserting the same (key, value) pair
/// twice stores it twice, as depmod does (see [`IndexWriter::insert_reporting_duplicate`]).
#[derive(Debug, Clone)]
pub struct IndexWriter {
    /// Node 0 is the root.
    nodes: Vec<Node>,
    /// Exact size of the serialised file.
    file_len: u64,
}

impl Default for IndexWriter {
    fn default() -> Self {
        Self::new()
    }
}

/// Checks that `text` holds only bytes the format can store (1..=0x7f).
fn check_chars(what: &'static str, text: &str) -> Result<(), Error> {
    match text.bytes().find(|&b| b == 0 || b >= 0x80) {
        None => Ok(()),
        Some(byte) => Err(Error::BadCharacter {
            what,
            text: text.escape_default().to_string(),
            byte,
        }),
    }
}

impl IndexWriter {
    /// An empty index (serialises to the 12-byte header alone).
    pub fn new() -> Self {
        IndexWriter {
            nodes: vec![Node::default()],
            file_len: HEADER_LEN as u64,
        }
    }

    /// Number of bytes [`IndexWriter::to_bytes`] will produce.
    pub fn encoded_len(&self) -> u64 {
        self.file_len
    }

    /// Adds `value` with `priority` under `key`. Fails on a NUL or a byte >= 0x80 in the key or value
    /// (depmod: `FATAL: Module index: bad character`) and when the file would outgrow the format.
    pub fn insert(&mut self, key: &str, value: &str, priority: u32) -> Result<(), Error> {
        self.insert_reporting_duplicate(key, value, priority)
            .map(|_| ())
    }

    /// Like [`IndexWriter::insert`], and tells whether `key` already held an identical `value`
    /// (depmod `-w` warns about such duplicates; the value is stored again either way).
    pub fn insert_reporting_duplicate(
        &mut self,
        key: &str,
        value: &str,
        priority: u32,
    ) -> Result<bool, Error> {
        check_chars("key", key)?;
        check_chars("value", value)?;
        let worst = self.file_len + key.len() as u64 + value.len() as u64 + MAX_INSERT_OVERHEAD;
        if worst > MAX_FILE_LEN {
            return Err(Error::TooLarge {
                key: key.to_string(),
            });
        }
        let node = self.node_for_key(key.as_bytes());
        let before = self.nodes[node].encoded_len();
        let values = &mut self.nodes[node].values;
        let duplicate = values.iter().any(|v| v.value == value);
        let at = insert_position(values, priority, |v| v.priority);
        values.insert(
            at,
            Value {
                priority,
                value: value.to_string(),
            },
        );
        self.file_len = self.file_len - before + self.nodes[node].encoded_len();
        Ok(duplicate)
    }

    /// Finds or creates the node where `key` ends, splitting and adding nodes as needed (keeping
    /// `file_len` exact).
    fn node_for_key(&mut self, key: &[u8]) -> usize {
        let mut node = 0usize;
        let mut rest = key;
        loop {
            let prefix = &self.nodes[node].prefix;
            let common = prefix.iter().zip(rest).take_while(|(a, b)| a == b).count();
            if common < prefix.len() {
                self.split(node, common);
            }
            rest = &rest[common..];
            let Some((&ch, tail)) = rest.split_first() else {
                return node;
            };
            if let Some(&child) = self.nodes[node].children.get(&ch) {
                node = child;
                rest = tail;
                continue;
            }
            let leaf = Node {
                prefix: tail.to_vec(),
                ..Node::default()
            };
            self.file_len += leaf.encoded_len();
            let leaf_id = self.nodes.len();
            self.nodes.push(leaf);
            self.add_child(node, ch, leaf_id);
            return leaf_id;
        }
    }

    /// Splits `node` after `at` prefix characters: the node keeps `prefix[..at]` and gets a single
    /// child, on edge `prefix[at]`, that takes over the rest of the prefix, the children and values.
    fn split(&mut self, node: usize, at: usize) {
        let before = self.nodes[node].encoded_len();
        let old = std::mem::take(&mut self.nodes[node]);
        let Some((&edge, tail)) = old.prefix.get(at..).and_then(|p| p.split_first()) else {
            // Nothing to split off: put the node back unchanged.
            self.nodes[node] = old;
            return;
        };
        let lower = Node {
            prefix: tail.to_vec(),
            children: old.children,
            values: old.values,
        };
        let lower_id = self.nodes.len();
        let lower_len = lower.encoded_len();
        self.nodes.push(lower);
        let upper = &mut self.nodes[node];
        upper.prefix = old.prefix[..at].to_vec();
        upper.children.insert(edge, lower_id);
        self.file_len = self.file_len - before + self.nodes[node].encoded_len() + lower_len;
    }

    /// Adds the edge `ch` → `child` to `node`.
    fn add_child(&mut self, node: usize, ch: u8, child: usize) {
        let before = self.nodes[node].encoded_len();
        self.nodes[node].children.insert(ch, child);
        self.file_len = self.file_len - before + self.nodes[node].encoded_len();
    }

    /// Node numbers in pre-order (node, then each child's subtree in ascending edge order).
    fn pre_order(&self) -> Vec<usize> {
        let mut order = Vec::with_capacity(self.nodes.len());
        let mut stack = vec![0usize];
        while let Some(node) = stack.pop() {
            order.push(node);
            stack.extend(self.nodes[node].children.values().rev());
        }
        order
    }

    /// Writes the index file.
    pub fn write_to(&self, out: &mut impl Write) -> Result<(), std::io::Error> {
        out.write_all(&self.to_bytes())
    }

    /// The index file as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let order = self.pre_order();
        // Node-offset word (offset and flags) of every node.
        let mut words = vec![0u32; self.nodes.len()];
        let mut offset = HEADER_LEN as u64;
        for &node in &order {
            let n = &self.nodes[node];
            // `insert` keeps the file within MAX_FILE_LEN, so every offset fits in 28 bits.
            words[node] = (offset as u32 & NODE_OFFSET_MASK) | n.flags();
            offset += n.encoded_len();
        }
        let mut out = Vec::with_capacity(usize::try_from(self.file_len).unwrap_or(0));
        out.extend_from_slice(&MAGIC.to_be_bytes());
        out.extend_from_slice(&VERSION.to_be_bytes());
        out.extend_from_slice(&words[0].to_be_bytes());
        for &node in &order {
            let n = &self.nodes[node];
            if !n.prefix.is_empty() {
                out.extend_from_slice(&n.prefix);
                out.push(0);
            }
            if let (Some((&first, _)), Some((&last, _))) =
                (n.children.first_key_value(), n.children.last_key_value())
            {
                out.push(first);
                out.push(last);
                for ch in first..=last {
                    let word = n.children.get(&ch).map_or(0, |&child| words[child]);
                    out.extend_from_slice(&word.to_be_bytes());
                }
            }
            if !n.values.is_empty() {
                out.extend_from_slice(&(n.values.len() as u32).to_be_bytes());
                for v in &n.values {
                    out.extend_from_slice(&v.priority.to_be_bytes());
                    out.extend_from_slice(v.value.as_bytes());
                    out.push(0);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_index_is_the_bare_header() {
        let w = IndexWriter::new();
        let bytes = w.to_bytes();
        assert_eq!(bytes, [0xb0, 0x07, 0xf4, 0x57, 0, 2, 0, 1, 0, 0, 0, 0x0c]);
        assert_eq!(w.encoded_len(), 12);
    }

    /// The three-module example of formats.md §2.3, byte for byte.
    #[test]
    fn spec_example_layout() {
        let mut w = IndexWriter::new();
        w.insert("mod_simple", "kernel/mod-simple.ko:", 0).unwrap();
        w.insert("mod_loop_b", "kernel/mod-loop-b.ko:", 1).unwrap();
        w.insert(
            "mod_loop_a",
            "kernel/mod-loop-a.ko: kernel/mod-loop-b.ko",
            2,
        )
        .unwrap();
        let b = w.to_bytes();
        assert_eq!(b.len() as u64, w.encoded_len());
        let word = |at: usize| u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        assert_eq!(word(8), 0x2000_000c);
        assert_eq!(&b[0x0c..0x0e], b"mm");
        assert_eq!(word(0x0e), 0xa000_0012);
        assert_eq!(&b[0x12..0x16], b"od_\0");
        assert_eq!(&b[0x16..0x18], b"ls");
        assert_eq!(word(0x18), 0xa000_0038);
        for slot in 1..7 {
            assert_eq!(word(0x18 + 4 * slot), 0);
        }
        assert_eq!(word(0x18 + 4 * 7), 0xc000_0098);
        assert_eq!(&b[0x38..0x3d], b"oop_\0");
        assert_eq!(&b[0x3d..0x3f], b"ab");
        assert_eq!(word(0x3f), 0x4000_0047);
        assert_eq!(word(0x43), 0x4000_007a);
        assert_eq!(word(0x47), 1);
        assert_eq!(word(0x4b), 2);
        assert_eq!(
            &b[0x4f..0x7a],
            b"kernel/mod-loop-a.ko: kernel/mod-loop-b.ko\0"
        );
        assert_eq!(word(0x7a), 1);
        assert_eq!(word(0x7e), 1);
        assert_eq!(&b[0x82..0x98], b"kernel/mod-loop-b.ko:\0");
        assert_eq!(&b[0x98..0x9e], b"imple\0");
        assert_eq!(word(0x9e), 1);
        assert_eq!(word(0xa2), 0);
        assert_eq!(&b[0xa6..], b"kernel/mod-simple.ko:\0");
    }

    #[test]
    fn shape_does_not_depend_on_insertion_order() {
        let keys = ["abc", "ab", "abd", "b", "", "abcdef", "xyz", "xa", "a"];
        let mut forward = IndexWriter::new();
        let mut backward = IndexWriter::new();
        for (i, k) in keys.iter().enumerate() {
            forward.insert(k, &format!("v{i}"), 0).unwrap();
        }
        for (i, k) in keys.iter().enumerate().rev() {
            backward.insert(k, &format!("v{i}"), 0).unwrap();
        }
        assert_eq!(forward.to_bytes(), backward.to_bytes());
        assert_eq!(forward.to_bytes().len() as u64, forward.encoded_len());
    }

    #[test]
    fn values_sorted_by_priority_newest_first_among_equals() {
        let mut w = IndexWriter::new();
        w.insert("k", "a", 5).unwrap();
        w.insert("k", "b", 1).unwrap();
        w.insert("k", "c", 5).unwrap();
        w.insert("k", "d", 9).unwrap();
        let root = &w.nodes[0];
        let leaf = root.children[&b'k'];
        let got: Vec<_> = w.nodes[leaf]
            .values
            .iter()
            .map(|v| (v.priority, v.value.as_str()))
            .collect();
        assert_eq!(got, [(1, "b"), (5, "c"), (5, "a"), (9, "d")]);
    }

    #[test]
    fn duplicates_are_reported_and_kept() {
        let mut w = IndexWriter::new();
        assert!(!w.insert_reporting_duplicate("k", "a", 0).unwrap());
        assert!(!w.insert_reporting_duplicate("k", "b", 0).unwrap());
        assert!(w.insert_reporting_duplicate("k", "a", 3).unwrap());
        let leaf = w.nodes[0].children[&b'k'];
        assert_eq!(w.nodes[leaf].values.len(), 3);
    }

    #[test]
    fn bad_characters_rejected() {
        let mut w = IndexWriter::new();
        let err = w.insert("caf\u{e9}", "x", 0).unwrap_err();
        assert!(matches!(
            err,
            Error::BadCharacter {
                what: "key",
                byte: 0xc3,
                ..
            }
        ));
        let err = w.insert("k", "a\0b", 0).unwrap_err();
        assert!(matches!(
            err,
            Error::BadCharacter {
                what: "value",
                byte: 0,
                ..
            }
        ));
        assert!(err
            .to_string()
            .contains("bad character 0x00 in index value"));
        // Nothing was inserted.
        assert_eq!(w.to_bytes().len(), 12);
    }

    #[test]
    fn encoded_len_tracks_splits_and_children() {
        let mut w = IndexWriter::new();
        for (k, v) in [
            ("pci:v1", "a"),
            ("pci:v2", "b"),
            ("pci", "c"),
            ("usb:*", "d"),
            ("p", "e"),
        ] {
            w.insert(k, v, 1).unwrap();
            assert_eq!(w.to_bytes().len() as u64, w.encoded_len(), "after {k}");
        }
    }

    #[test]
    fn refuses_to_outgrow_the_format() {
        let mut w = IndexWriter::new();
        w.file_len = MAX_FILE_LEN - 100;
        let err = w.insert("key", "value", 0).unwrap_err();
        assert!(matches!(err, Error::TooLarge { .. }));
    }
}
