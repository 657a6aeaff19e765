//! Corrupt and hostile index files: every operation must end with a value or an error, never panic,
//! hang or blow the stack.

use modindex::{Error, Index, IndexWriter};

const HEADER: [u8; 8] = [0xb0, 0x07, 0xf4, 0x57, 0, 2, 0, 1];

fn file(root_word: u32, body: &[u8]) -> Vec<u8> {
    let mut d = HEADER.to_vec();
    d.extend_from_slice(&root_word.to_be_bytes());
    d.extend_from_slice(body);
    d
}

fn all_operations(idx: &Index) -> Vec<Result<(), Error>> {
    let keys = [
        "",
        "a",
        "aaaaaaaaaaaaaaaaaaaaaaaa",
        "*",
        "pci:v00008086d*",
        "zz?",
        "mod_x",
    ];
    let mut results = vec![idx.for_each(|_, _| {}), idx.dump_to_string().map(|_| ())];
    for k in keys {
        results.push(idx.lookup(k).map(|_| ()));
        results.push(idx.lookup_values(k).map(|_| ()));
        results.push(idx.lookup_wild(k).map(|_| ()));
    }
    results
}

fn assert_corrupt(r: Result<(), Error>, what: &str) {
    match r {
        Err(Error::Corrupt { path, problem }) => {
            assert_eq!(path.to_str(), Some("/bad.bin"));
            assert!(!problem.is_empty());
        }
        other => panic!("{what}: expected a corrupt-index error, got {other:?}"),
    }
}

#[test]
fn child_pointing_back_to_root_is_a_cycle() {
    // Root at 12: children '*'..'a', every slot pointing back at the root (CHILDS flag).
    let root = 0x2000_000c;
    let mut body = vec![b'*', b'a'];
    for _ in b'*'..=b'a' {
        body.extend_from_slice(&u32::to_be_bytes(root));
    }
    let idx = Index::from_bytes("/bad.bin", file(root, &body)).unwrap();
    assert_corrupt(idx.for_each(|_, _| {}), "for_each");
    assert_corrupt(idx.lookup_wild("abc").map(|_| ()), "wild");
    // An exact lookup follows one edge per key byte, so it ends (here: key not found).
    assert_eq!(idx.lookup(&"a".repeat(100_000)).unwrap(), None);
}

#[test]
fn shared_subtrees_cannot_explode() {
    // 20 levels, each node having 128 children that all point at the next level: 128^20 paths.
    let levels = 20u32;
    let node_len = 2 + 4 * 128;
    let mut body = Vec::new();
    for level in 0..levels {
        let next = 12 + (level + 1) * node_len;
        body.extend_from_slice(&[0, 127]);
        let word = if level + 1 == levels {
            0x4000_0000 | next
        } else {
            0x2000_0000 | next
        };
        for _ in 0..128 {
            body.extend_from_slice(&word.to_be_bytes());
        }
    }
    body.extend_from_slice(&1u32.to_be_bytes());
    body.extend_from_slice(&[0, 0, 0, 0, b'v', 0]);
    let idx = Index::from_bytes("/bad.bin", file(0x2000_000c, &body)).unwrap();
    assert_corrupt(idx.for_each(|_, _| {}), "for_each");
    assert_corrupt(idx.lookup_wild("*").map(|_| ()), "wild");
}

/// root -> 128 edges to B -> 128 edges to C -> 128 edges to X (values): 2 million paths through a
/// small file. `long` is the prefix length of B (`at_top`) or of X.
fn shared_subtree_with_long_prefix(long: usize, at_top: bool) -> Vec<u8> {
    let mut body = Vec::new();
    let table = |body: &mut Vec<u8>, word: u32| {
        body.extend_from_slice(&[0, 127]);
        for _ in 0..128 {
            body.extend_from_slice(&word.to_be_bytes());
        }
    };
    let x = 12 + body.len() as u32;
    body.extend(std::iter::repeat_n(b'x', if at_top { 1 } else { long }));
    body.push(0);
    body.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, b'v', 0]);
    let c = 12 + body.len() as u32;
    table(&mut body, 0xc000_0000 | x);
    let b = 12 + body.len() as u32;
    body.extend(std::iter::repeat_n(b'*', if at_top { long } else { 1 }));
    body.push(0);
    table(&mut body, 0x2000_0000 | c);
    let root = 12 + body.len() as u32;
    table(&mut body, 0xa000_0000 | b);
    file(0x2000_0000 | root, &body)
}

#[test]
fn long_prefix_below_shared_subtrees_cannot_go_quadratic() {
    // Before the key-byte budget, each path rebuilt the 200 KB key: 200 GB handed to the callback
    // and minutes of work for one lookup.
    for at_top in [false, true] {
        let data = shared_subtree_with_long_prefix(200_000, at_top);
        let len = data.len();
        let idx = Index::from_bytes("/bad.bin", data).unwrap();
        let mut key_bytes = 0usize;
        assert_corrupt(idx.for_each(|k, _| key_bytes += k.len()), "for_each");
        assert!(
            key_bytes <= 64 * 2 * (len + 64),
            "{key_bytes} key bytes from {len}"
        );
        assert_corrupt(idx.lookup_wild("*aaaa").map(|_| ()), "wild");
        assert_corrupt(idx.lookup_wild("\u{1}aaaa").map(|_| ()), "wild below edge");
    }
}

#[test]
fn non_utf8_strings_are_corrupt() {
    let mut w = IndexWriter::new();
    w.insert("k", "vv", 0).unwrap();
    let mut bytes = w.to_bytes();
    let at = bytes.len() - 2;
    bytes[at] = 0xff;
    let idx = Index::from_bytes("/bad.bin", bytes).unwrap();
    assert_corrupt(idx.lookup("k").map(|_| ()), "lookup");
    assert_corrupt(idx.lookup_values("k").map(|_| ()), "lookup_values");
    assert_corrupt(idx.lookup_wild("k").map(|_| ()), "wild");
    assert_corrupt(idx.for_each(|_, _| {}), "for_each");
}

/// xorshift64: a deterministic pseudo-random sequence for the mutation test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_mutations_never_panic() {
    let mut w = IndexWriter::new();
    for i in 0..300u32 {
        let key = match i % 4 {
            0 => format!("mod_{i}"),
            1 => format!("pci:v{i:08X}d*sv*"),
            2 => format!("a{}?b[0-9]", i % 17),
            _ => format!("mod_{}_x{i}", i % 5),
        };
        w.insert(&key, &format!("value{i}"), i % 7).unwrap();
    }
    let clean = w.to_bytes();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut errors = 0;
    for round in 0..3000 {
        let mut d = clean.clone();
        match round % 3 {
            0 => {
                for _ in 0..1 + rng.below(4) {
                    let at = rng.below(d.len());
                    d[at] = rng.next() as u8;
                }
            }
            1 => {
                // Plant a plausible node-offset word somewhere.
                let at = 8 + rng.below(d.len() - 12);
                let word = (rng.next() as u32 & 0xf000_0000) | rng.below(d.len() + 16) as u32;
                d[at..at + 4].copy_from_slice(&word.to_be_bytes());
            }
            _ => d.truncate(12 + rng.below(d.len() - 12)),
        }
        let Ok(idx) = Index::from_bytes("/bad.bin", d) else {
            continue;
        };
        errors += all_operations(&idx).iter().filter(|r| r.is_err()).count();
    }
    assert!(
        errors > 1000,
        "mutations should mostly be detected: {errors}"
    );
}
