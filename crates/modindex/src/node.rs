//! Decoding one trie node from the file bytes, with every offset checked.

use crate::format::{NODE_CHILDS, NODE_OFFSET_MASK, NODE_PREFIX, NODE_VALUES};

/// A decoding failure: the problem, ready to be wrapped with the file name by the caller.
pub type Problem = String;

/// One decoded node. Borrowed slices point into the file.
#[derive(Debug, Clone, Copy)]
pub struct Node<'a> {
    /// Offset of the node in the file (for messages).
    pub offset: usize,
    /// Characters below the incoming edge (empty if the node has none).
    pub prefix: &'a [u8],
    /// First edge character of the child table.
    first: u8,
    /// Raw child table: `4 * (last - first + 1)` bytes of node-offset words (empty if no children).
    table: &'a [u8],
    /// Number of values and the bytes where they start (the rest of the file).
    value_count: u32,
    values: &'a [u8],
}

/// Reads a big-endian `u32` at `at`.
pub fn be32(data: &[u8], at: usize) -> Option<u32> {
    let bytes = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

/// Splits a NUL-terminated string off the start of `data`; returns it and the bytes after the NUL.
fn c_string(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = data.iter().position(|&b| b == 0)?;
    Some((&data[..end], &data[end + 1..]))
}

impl<'a> Node<'a> {
    /// Decodes the node a node-offset `word` points to.
    pub fn read(data: &'a [u8], word: u32) -> Result<Node<'a>, Problem> {
        let offset = (word & NODE_OFFSET_MASK) as usize;
        let mut rest = data
            .get(offset..)
            .ok_or_else(|| format!("node offset 0x{offset:x} out of bounds"))?;
        let mut node = Node {
            offset,
            prefix: &[],
            first: 0,
            table: &[],
            value_count: 0,
            values: &[],
        };
        if word & NODE_PREFIX != 0 {
            let (prefix, after) =
                c_string(rest).ok_or_else(|| format!("node 0x{offset:x}: unterminated prefix"))?;
            node.prefix = prefix;
            rest = after;
        }
        if word & NODE_CHILDS != 0 {
            let (&first, &last) = match rest {
                [first, last, ..] => (first, last),
                _ => return Err(format!("node 0x{offset:x}: truncated child range")),
            };
            if first > last {
                return Err(format!(
                    "node 0x{offset:x}: child range 0x{first:02x}..0x{last:02x} is reversed"
                ));
            }
            let table_len = 4 * (usize::from(last) - usize::from(first) + 1);
            node.first = first;
            node.table = rest
                .get(2..2 + table_len)
                .ok_or_else(|| format!("node 0x{offset:x}: child table out of bounds"))?;
            rest = &rest[2 + table_len..];
        }
        if word & NODE_VALUES != 0 {
            let count =
                be32(rest, 0).ok_or_else(|| format!("node 0x{offset:x}: truncated value count"))?;
            rest = &rest[4..];
            // Every value takes at least 5 bytes (priority and NUL).
            if u64::from(count) * 5 > rest.len() as u64 {
                return Err(format!(
                    "node 0x{offset:x}: {count} values do not fit in the file"
                ));
            }
            node.value_count = count;
            node.values = rest;
        }
        Ok(node)
    }

    /// Whether the node has any values.
    pub fn has_values(&self) -> bool {
        self.value_count > 0
    }

    /// Node-offset word of the child on edge `ch`, if there is one.
    pub fn child(&self, ch: u8) -> Option<u32> {
        let slot = usize::from(ch.checked_sub(self.first)?);
        let word = be32(self.table, slot.checked_mul(4)?)?;
        (word != 0).then_some(word)
    }

    /// All children as (edge character, node-offset word), in ascending character order.
    pub fn children(&self) -> impl DoubleEndedIterator<Item = (u8, u32)> + 'a {
        let first = self.first;
        self.table
            .chunks_exact(4)
            .enumerate()
            .filter_map(move |(i, w)| {
                let word = u32::from_be_bytes([w[0], w[1], w[2], w[3]]);
                let ch = u8::try_from(usize::from(first) + i).ok()?;
                (word != 0).then_some((ch, word))
            })
    }

    /// Decodes the values in file order, calling `f(priority, value bytes)` for each.
    pub fn for_each_value(
        &self,
        mut f: impl FnMut(u32, &'a [u8]) -> Result<(), Problem>,
    ) -> Result<(), Problem> {
        let mut rest = self.values;
        for i in 0..self.value_count {
            let priority = be32(rest, 0)
                .ok_or_else(|| format!("node 0x{:x}: value {i} truncated", self.offset))?;
            let (text, after) = c_string(&rest[4..])
                .ok_or_else(|| format!("node 0x{:x}: value {i} unterminated", self.offset))?;
            f(priority, text)?;
            rest = after;
        }
        Ok(())
    }

    /// The first value's string, if the node has values.
    pub fn first_value(&self) -> Result<Option<&'a [u8]>, Problem> {
        if self.value_count == 0 {
            return Ok(None);
        }
        let (text, _) = self
            .values
            .get(4..)
            .and_then(c_string)
            .ok_or_else(|| format!("node 0x{:x}: value 0 unterminated", self.offset))?;
        Ok(Some(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_all_fields() {
        // prefix "ab", children 'c'..'e' (only 'c' and 'e' present), two values.
        let mut d = vec![0u8; 4];
        d.extend_from_slice(b"ab\0ce");
        d.extend_from_slice(&0x4000_0100u32.to_be_bytes());
        d.extend_from_slice(&0u32.to_be_bytes());
        d.extend_from_slice(&0x4000_0200u32.to_be_bytes());
        d.extend_from_slice(&2u32.to_be_bytes());
        d.extend_from_slice(&7u32.to_be_bytes());
        d.extend_from_slice(b"x\0");
        d.extend_from_slice(&9u32.to_be_bytes());
        d.extend_from_slice(b"yz\0");
        let n = Node::read(&d, 4 | NODE_PREFIX | NODE_CHILDS | NODE_VALUES).unwrap();
        assert_eq!(n.prefix, b"ab");
        assert_eq!(n.child(b'c'), Some(0x4000_0100));
        assert_eq!(n.child(b'd'), None);
        assert_eq!(n.child(b'e'), Some(0x4000_0200));
        assert_eq!(n.child(b'b'), None);
        assert_eq!(n.child(b'f'), None);
        let kids: Vec<_> = n.children().collect();
        assert_eq!(kids, [(b'c', 0x4000_0100), (b'e', 0x4000_0200)]);
        let mut vals = Vec::new();
        n.for_each_value(|p, v| {
            vals.push((p, v.to_vec()));
            Ok(())
        })
        .unwrap();
        assert_eq!(vals, [(7, b"x".to_vec()), (9, b"yz".to_vec())]);
        assert_eq!(n.first_value().unwrap(), Some(&b"x"[..]));
    }

    #[test]
    fn rejects_out_of_bounds_and_truncation() {
        let d = b"abc".to_vec();
        assert!(Node::read(&d, 0x10).unwrap_err().contains("out of bounds"));
        assert!(Node::read(&d, NODE_PREFIX)
            .unwrap_err()
            .contains("unterminated"));
        assert!(Node::read(b"a", NODE_CHILDS).is_err());
        assert!(Node::read(b"ba", NODE_CHILDS)
            .unwrap_err()
            .contains("reversed"));
        assert!(Node::read(&[b'a', b'b', 0, 0], NODE_CHILDS)
            .unwrap_err()
            .contains("child table"));
        let huge = [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0];
        assert!(Node::read(&huge, NODE_VALUES)
            .unwrap_err()
            .contains("do not fit"));
        let unterminated = [0, 0, 0, 1, 0, 0, 0, 0, b'a'];
        let n = Node::read(&unterminated, NODE_VALUES).unwrap();
        assert!(n.for_each_value(|_, _| Ok(())).is_err());
        assert!(n.first_value().is_err());
    }

    #[test]
    fn node_without_flags_is_empty() {
        let n = Node::read(&[0u8; 12], 12).unwrap();
        assert!(n.prefix.is_empty() && !n.has_values() && n.children().next().is_none());
    }
}
