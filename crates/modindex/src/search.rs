//! Wildcard lookup over alias-style indexes (formats.md §2.5, config.md §4).
//!
//! The input is matched byte by byte against the stored keys. Where a stored key reaches a wildcard
//! byte (`*`, `?` or `[`, in a node prefix or as an edge character), every key below that point is
//! enumerated and its remainder (from the wildcard on) is tested with `fnmatch(remainder, rest of
//! input)`. Children on the edges `*`, `?` and `[` are searched in addition to the child for the next
//! input byte (the wildcard edges first, in the order `*`, `?`, `[`; below a wildcard, a node's
//! children before the node itself). A node reached exactly at the end of the input contributes all
//! its values. The values found are merged in ascending priority; among equal priorities, the values
//! of a node found later come first, a node's own values keeping their stored order. This order was
//! checked against kmod 30's `modprobe -R` on hand-made indexes (see the tests).

use modname::fnmatch;

use crate::error::Error;
use crate::format::is_wildcard;
use crate::index::{Budget, Index};
use crate::node::Node;
use crate::value::{MergedValues, Value};
use crate::walk::ValuesAt;

/// Wildcard edge characters, in the order their subtrees are searched.
const WILDCARD_EDGES: [u8; 3] = [b'*', b'?', b'['];

/// Whether a wildcard subtree reports a node's values before or after its children's.
const WILD_VALUES_AT: ValuesAt = ValuesAt::AfterChildren;

impl Index {
    /// Wildcard search for `key`: the values of every stored key that matches, merged by priority.
    /// The key is matched as bytes (it need not be valid UTF-8).
    pub fn lookup_wild<K: AsRef<[u8]> + ?Sized>(&self, key: &K) -> Result<Vec<Value>, Error> {
        let key = key.as_ref();
        let mut found = MergedValues::default();
        // A node is enumerated once more each time the walk descends along a wildcard edge, which
        // it only does for a wildcard byte of the input.
        let descents = key.iter().filter(|&&b| is_wildcard(b)).count();
        let mut budget = Budget::for_passes(self.bytes().len(), descents + 1);
        let mut node = self.node(self.root())?;
        let mut rest = key;
        loop {
            budget.spend(1).map_err(|p| self.corrupt(p))?;
            for (j, &c) in node.prefix.iter().enumerate() {
                if is_wildcard(c) {
                    let pattern = node.prefix.get(j..).unwrap_or_default().to_vec();
                    let input = rest.get(j..).unwrap_or_default();
                    self.match_subtree(node, pattern, input, &mut budget, &mut found)?;
                    return Ok(found.into_values());
                }
                if rest.get(j) != Some(&c) {
                    return Ok(found.into_values());
                }
            }
            rest = rest.get(node.prefix.len()..).unwrap_or_default();
            for edge in WILDCARD_EDGES {
                if let Some(word) = node.child(edge) {
                    let child = self.node(word)?;
                    let mut pattern = vec![edge];
                    pattern.extend_from_slice(child.prefix);
                    self.match_subtree(child, pattern, rest, &mut budget, &mut found)?;
                }
            }
            let Some((&ch, tail)) = rest.split_first() else {
                self.add_values(&node, &mut budget, &mut found)?;
                return Ok(found.into_values());
            };
            match node.child(ch) {
                Some(word) => node = self.node(word)?,
                None => return Ok(found.into_values()),
            }
            rest = tail;
        }
    }

    /// Tests every key of the subtree at `start` (whose key from the wildcard on is `pattern`)
    /// against `input` with fnmatch.
    fn match_subtree(
        &self,
        start: Node<'_>,
        pattern: Vec<u8>,
        input: &[u8],
        budget: &mut Budget,
        found: &mut MergedValues,
    ) -> Result<(), Error> {
        let mut matched = Vec::new();
        self.walk(start, pattern, WILD_VALUES_AT, budget, |stored, node| {
            if fnmatch(stored, input) {
                matched.push(*node);
            }
            Ok(())
        })?;
        for node in matched {
            self.add_values(&node, budget, found)?;
        }
        Ok(())
    }

    /// Adds all values of `node`, in stored order, to the merged result.
    fn add_values(
        &self,
        node: &Node<'_>,
        budget: &mut Budget,
        found: &mut MergedValues,
    ) -> Result<(), Error> {
        let mut bad = None;
        found.start_group();
        node.for_each_value(|priority, bytes| {
            budget.spend(1)?;
            match self.text(bytes, node.offset) {
                Ok(value) => found.add(priority, value),
                Err(e) => bad = Some(e),
            }
            Ok(())
        })
        .map_err(|p| self.corrupt(p))?;
        bad.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Index, IndexWriter};

    fn index(entries: &[(&str, &str, u32)]) -> Index {
        let mut w = IndexWriter::new();
        for &(k, v, p) in entries {
            w.insert(k, v, p).unwrap();
        }
        Index::from_bytes("/t/modules.alias.bin", w.to_bytes()).unwrap()
    }

    fn names(idx: &Index, key: &str) -> Vec<String> {
        idx.lookup_wild(key)
            .unwrap()
            .into_iter()
            .map(|v| v.value)
            .collect()
    }

    // Expected lists below are what kmod 30's `modprobe -R <key>` printed for the same index.

    #[test]
    fn wildcard_edges_exact_child_and_post_order() {
        let idx = index(&[
            ("x*", "m_star", 0),
            ("x?", "m_q", 0),
            ("x[a]", "m_br", 0),
            ("xa", "m_exact", 0),
            ("x*a", "m_stara", 0),
            ("xa*", "m_xastar", 0),
        ]);
        assert_eq!(
            names(&idx, "xa"),
            ["m_exact", "m_xastar", "m_br", "m_q", "m_star", "m_stara"]
        );
        assert_eq!(names(&idx, "xaa"), ["m_xastar", "m_star", "m_stara"]);
        assert!(names(&idx, "y").is_empty());
        assert!(names(&idx, "").is_empty());
    }

    #[test]
    fn merge_order_by_priority_then_latest_node() {
        let idx = index(&[
            ("k*", "m_a", 5),
            ("k*", "m_b", 5),
            ("k*", "m_c", 2),
            ("k?", "m_d", 5),
            ("k", "m_e", 5),
            ("kk*", "m_dup", 1),
            ("k?", "m_dup", 1),
            ("ab*", "ab1", 0),
            ("ab*", "ab2", 0),
            ("ab[*]", "ab3", 0),
        ]);
        assert_eq!(
            names(&idx, "kk"),
            ["m_dup", "m_dup", "m_c", "m_d", "m_b", "m_a"]
        );
        assert_eq!(
            names(&idx, "k*"),
            ["m_dup", "m_c", "m_c", "m_b", "m_a", "m_d", "m_b", "m_a"]
        );
        assert_eq!(names(&idx, "k"), ["m_c", "m_e", "m_b", "m_a"]);
        assert_eq!(names(&idx, "ab*"), ["ab2", "ab1", "ab3", "ab2", "ab1"]);
        let prios: Vec<u32> = idx
            .lookup_wild("kk")
            .unwrap()
            .iter()
            .map(|v| v.priority)
            .collect();
        assert_eq!(prios, [1, 1, 2, 5, 5, 5]);
    }

    #[test]
    fn fnmatch_applies_from_the_wildcard_on() {
        // The literal part before the first wildcard is compared byte-wise, so a backslash there is
        // an ordinary character; fnmatch only sees the stored key from the wildcard on.
        let idx = index(&[
            ("yq\\*", "m_bs", 0),
            ("yqa\\b*", "m_bs2", 0),
            ("z?\\b", "m_z", 0),
            ("y*z", "m_yz", 0),
        ]);
        assert_eq!(names(&idx, "yq\\zz"), ["m_bs", "m_yz"]);
        assert_eq!(names(&idx, "yqa\\bx"), ["m_bs2"]);
        assert!(names(&idx, "yqabx").is_empty());
        assert!(names(&idx, "za\\b").is_empty());
        assert_eq!(names(&idx, "zab"), ["m_z"]);
        assert!(names(&idx, "yq*").is_empty());
    }

    #[test]
    fn keys_are_matched_as_bytes() {
        let idx = index(&[("fs-*", "m_fs", 0), ("fs-x?y", "m_q", 0)]);
        let found = |key: &[u8]| -> Vec<String> {
            idx.lookup_wild(key)
                .unwrap()
                .into_iter()
                .map(|v| v.value)
                .collect()
        };
        assert_eq!(found(b"fs-caf\xe9"), ["m_fs"]);
        assert_eq!(found(b"fs-x\xffy"), ["m_q", "m_fs"]);
        assert!(found(b"\xff").is_empty());
        assert_eq!(idx.lookup(b"fs-\xff".as_slice()).unwrap(), None);
    }

    #[test]
    fn wildcard_inside_a_prefix_ends_the_walk() {
        // Both keys share the node prefix "[", so the search enumerates from there once.
        let idx = index(&[("n[", "m_brk", 0), ("n[ab", "m_brk2", 0)]);
        assert_eq!(names(&idx, "n["), ["m_brk"]);
        assert_eq!(names(&idx, "n[ab"), ["m_brk2"]);
    }

    #[test]
    fn nested_wildcard_descents_are_not_mistaken_for_corruption() {
        // Input `***…` walks down the `*` edges and enumerates the rest of the chain at every level.
        let keys: Vec<String> = (1..=200).map(|n| "*".repeat(n)).collect();
        let entries: Vec<(&str, &str, u32)> = keys.iter().map(|k| (k.as_str(), "m", 0)).collect();
        let idx = index(&entries);
        let found = idx.lookup_wild(&"*".repeat(200)).unwrap();
        assert!(found.len() > 200 * 199 / 2, "{}", found.len());
    }

    #[test]
    fn real_alias_shapes() {
        let idx = index(&[
            ("pci:v00008086d000010D3sv*sd*bc*sc*i*", "e1000e", 10),
            ("pci:v*d*sv*sd*bc02sc00i*", "generic_nic", 20),
            ("usb:v*p*d*dc*dsc*dp*ic08isc06ip50in*", "usb_storage", 5),
            ("snd_card_0", "exact", 1),
        ]);
        assert_eq!(
            names(
                &idx,
                "pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00"
            ),
            ["e1000e", "generic_nic"]
        );
        assert_eq!(
            names(&idx, "usb:v0781p5567d0100dc00dsc00dp00ic08isc06ip50in00"),
            ["usb_storage"]
        );
        assert_eq!(names(&idx, "snd_card_0"), ["exact"]);
        assert!(names(&idx, "snd_card_").is_empty());
    }
}
