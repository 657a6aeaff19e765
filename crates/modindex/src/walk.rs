//! Bounded, iterative depth-first enumeration of a subtree, shared by the dump and the wildcard
//! search.

use crate::error::Error;
use crate::index::{Budget, Index};
use crate::node::Node;

/// When a node's values are reported relative to its children.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValuesAt {
    /// Before the children (pre-order: keys come out in byte order).
    BeforeChildren,
    /// After the children (post-order).
    AfterChildren,
}

/// Pending work of the traversal.
enum Task<'a> {
    /// Expand a node whose full key (up to and including its prefix) is `key_len` bytes of the buffer.
    Expand(Node<'a>, usize),
    /// Decode the child on edge `ch` of a node whose key is `base_len` bytes.
    Child(u8, u32, usize),
    /// Report the values of a node whose key is `key_len` bytes.
    Report(Node<'a>, usize),
}

impl Index {
    /// Enumerates the subtree of `start` depth-first, children in ascending edge order, calling
    /// `visit(key, node)` for every node with values. `key` starts as the key of `start` (including
    /// its prefix, or the part of it the caller wants to see). Spends one budget unit per node, per
    /// child table entry and per prefix byte, and the key's length for every visit; the key never
    /// grows beyond the file's length.
    pub(crate) fn walk<'a>(
        &'a self,
        start: Node<'a>,
        key: Vec<u8>,
        order: ValuesAt,
        budget: &mut Budget,
        mut visit: impl FnMut(&[u8], &Node<'a>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let max_key = self.bytes().len();
        let mut buf = key;
        let mut stack = vec![Task::Expand(start, buf.len())];
        while let Some(task) = stack.pop() {
            match task {
                Task::Child(ch, word, base_len) => {
                    budget.spend(1).map_err(|p| self.corrupt(p))?;
                    let node = self.node(word)?;
                    // Decoding the prefix and copying it into the key cost its length.
                    budget
                        .spend(node.prefix.len())
                        .map_err(|p| self.corrupt(p))?;
                    buf.truncate(base_len);
                    buf.push(ch);
                    buf.extend_from_slice(node.prefix);
                    if buf.len() > max_key {
                        return Err(self.corrupt(format!(
                            "node 0x{:x}: key longer than the file (offset loop?)",
                            node.offset
                        )));
                    }
                    stack.push(Task::Expand(node, buf.len()));
                }
                Task::Expand(node, key_len) => {
                    if node.has_values() {
                        match order {
                            ValuesAt::BeforeChildren => {
                                buf.truncate(key_len);
                                budget.spend_key(buf.len()).map_err(|p| self.corrupt(p))?;
                                visit(&buf, &node)?;
                            }
                            ValuesAt::AfterChildren => stack.push(Task::Report(node, key_len)),
                        }
                    }
                    for (ch, word) in node.children().rev() {
                        budget.spend(1).map_err(|p| self.corrupt(p))?;
                        stack.push(Task::Child(ch, word, key_len));
                    }
                }
                Task::Report(node, key_len) => {
                    buf.truncate(key_len);
                    budget.spend_key(buf.len()).map_err(|p| self.corrupt(p))?;
                    visit(&buf, &node)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::writer::IndexWriter;

    fn keys_in(order: ValuesAt) -> Vec<String> {
        let mut w = IndexWriter::new();
        for k in ["b", "ab", "a", "abc", "abd", "c"] {
            w.insert(k, "v", 0).unwrap();
        }
        let idx = Index::from_bytes("t", w.to_bytes()).unwrap();
        let root = idx.node(idx.root()).unwrap();
        let mut budget = Budget::for_passes(idx.bytes().len(), 1);
        let mut seen = Vec::new();
        idx.walk(root, Vec::new(), order, &mut budget, |k, _| {
            seen.push(String::from_utf8(k.to_vec()).unwrap());
            Ok(())
        })
        .unwrap();
        seen
    }

    #[test]
    fn pre_order_is_byte_order() {
        assert_eq!(
            keys_in(ValuesAt::BeforeChildren),
            ["a", "ab", "abc", "abd", "b", "c"]
        );
    }

    #[test]
    fn post_order_reports_children_first() {
        assert_eq!(
            keys_in(ValuesAt::AfterChildren),
            ["abc", "abd", "ab", "a", "b", "c"]
        );
    }
}
