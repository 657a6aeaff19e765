//! A read-only index file: opening (lazy: map and check the header) and exact lookups.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::format::{HEADER_LEN, MAGIC, VERSION_MAJOR};
use crate::node::{be32, Node, Problem};
use crate::value::Value;

/// Where the bytes of an index live.
enum Backing {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Backing {
    fn bytes(&self) -> &[u8] {
        match self {
            Backing::Mapped(map) => map,
            Backing::Owned(vec) => vec,
        }
    }
}

/// A read-only index: a memory-mapped file (or owned bytes).
///
/// Opening only checks the header; nodes are decoded on demand. Every offset is bounds-checked and
/// every traversal is bounded (a node offset loop or an absurdly deep or wide trie ends with
/// [`Error::Corrupt`]), so no input can make a lookup hang, overflow the stack or panic.
pub struct Index {
    path: PathBuf,
    data: Backing,
    root: u32,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("path", &self.path)
            .field("len", &self.data.bytes().len())
            .finish()
    }
}

/// How many key bytes a traversal may hand out (to callers and to fnmatch) per unit of [`Budget`].
/// Well-formed indexes need less than one: kmod 30's indexes for Debian's 6.1 kernel hand out 0.06
/// (dep) to 0.70 (alias) key bytes per file byte in a full enumeration.
const KEY_BYTES_PER_UNIT: usize = 64;

/// Limits the work of one traversal to what a well-formed file of this size can need, so that
/// offset cycles and shared subtrees in corrupt files end in an error instead of running forever.
///
/// Two things are counted: nodes, child table entries, values and prefix bytes decoded (`units`),
/// and the bytes of the keys handed out (a shared subtree below a long prefix would otherwise
/// rebuild that long key once per path: quadratic time and output from a small file).
pub(crate) struct Budget {
    left: usize,
    key_bytes_left: usize,
}

impl Budget {
    /// A budget for `passes` complete traversals of a file of `len` bytes. One pass over a
    /// well-formed file costs less than `len` units: every node except the root takes at least 4
    /// bytes (its child table entry), every child table entry 4 bytes, every value at least 5 bytes
    /// and every prefix byte one byte.
    pub(crate) fn for_passes(len: usize, passes: usize) -> Budget {
        let left = len
            .saturating_add(64)
            .saturating_mul(passes.saturating_add(1));
        Budget {
            left,
            key_bytes_left: left.saturating_mul(KEY_BYTES_PER_UNIT),
        }
    }

    /// Spends `n` units; fails when the traversal did more than the file can justify.
    pub(crate) fn spend(&mut self, n: usize) -> Result<(), Problem> {
        self.left = self
            .left
            .checked_sub(n)
            .ok_or_else(|| "trie has a cycle or more nodes than the file can hold".to_string())?;
        Ok(())
    }

    /// Accounts for handing out a key of `n` bytes; fails when the traversal produced far more key
    /// bytes than a well-formed file of this size can (shared subtrees below long prefixes).
    pub(crate) fn spend_key(&mut self, n: usize) -> Result<(), Problem> {
        self.key_bytes_left = self.key_bytes_left.checked_sub(n).ok_or_else(|| {
            "trie has shared subtrees (keys add up to far more than the file holds)".to_string()
        })?;
        Ok(())
    }
}

impl Index {
    /// Opens and maps `path`, checking the header (magic 0xb007f457, major version 2, at least 12
    /// bytes). Nothing else is read until a lookup.
    pub fn open(path: &Path) -> Result<Index, Error> {
        let io_err = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io_err)?;
        let len = file.metadata().map_err(io_err)?.len();
        if len < HEADER_LEN as u64 {
            return Err(Error::TooShort {
                path: path.to_path_buf(),
                len,
            });
        }
        let map = map_file(&file, len).map_err(io_err)?;
        Index::with_backing(path.to_path_buf(), Backing::Mapped(map))
    }

    /// Wraps bytes already in memory; `path` is used in error messages.
    pub fn from_bytes(path: impl Into<PathBuf>, data: Vec<u8>) -> Result<Index, Error> {
        Index::with_backing(path.into(), Backing::Owned(data))
    }

    fn with_backing(path: PathBuf, data: Backing) -> Result<Index, Error> {
        let bytes = data.bytes();
        let (Some(magic), Some(version), Some(root)) =
            (be32(bytes, 0), be32(bytes, 4), be32(bytes, 8))
        else {
            return Err(Error::TooShort {
                path,
                len: bytes.len() as u64,
            });
        };
        if magic != MAGIC {
            return Err(Error::BadMagic { path, magic });
        }
        if version >> 16 != VERSION_MAJOR {
            return Err(Error::BadVersion { path, version });
        }
        Ok(Index { path, data, root })
    }

    /// The file this index was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The raw bytes of the file.
    pub fn bytes(&self) -> &[u8] {
        self.data.bytes()
    }

    /// Node-offset word of the root node.
    pub(crate) fn root(&self) -> u32 {
        self.root
    }

    /// Wraps a decoding problem with this index's file name.
    pub(crate) fn corrupt(&self, problem: Problem) -> Error {
        Error::Corrupt {
            path: self.path.clone(),
            problem,
        }
    }

    /// Decodes the node `word` points to.
    pub(crate) fn node(&self, word: u32) -> Result<Node<'_>, Error> {
        Node::read(self.bytes(), word).map_err(|p| self.corrupt(p))
    }

    /// Turns stored bytes into a string (kmod only ever stores 7-bit ASCII).
    pub(crate) fn text(&self, bytes: &[u8], offset: usize) -> Result<String, Error> {
        String::from_utf8(bytes.to_vec())
            .map_err(|_| self.corrupt(format!("node 0x{offset:x}: string is not valid UTF-8")))
    }

    /// Walks to the node where `key` ends exactly, if any.
    fn find_node(&self, key: &[u8]) -> Result<Option<Node<'_>>, Error> {
        let mut node = self.node(self.root)?;
        let mut rest = key;
        loop {
            let Some(after_prefix) = rest.strip_prefix(node.prefix) else {
                return Ok(None);
            };
            let Some((&ch, tail)) = after_prefix.split_first() else {
                return Ok(Some(node));
            };
            // Each step consumes at least one key byte, so this loop ends after key.len() steps.
            match node.child(ch) {
                Some(word) => node = self.node(word)?,
                None => return Ok(None),
            }
            rest = tail;
        }
    }

    /// Exact lookup: the first value of `key` (what libkmod's `index_search` returns). Keys are
    /// compared as bytes (`&str`, `String`, `&[u8]` and `Vec<u8>` keys all work).
    pub fn lookup<K: AsRef<[u8]> + ?Sized>(&self, key: &K) -> Result<Option<String>, Error> {
        let Some(node) = self.find_node(key.as_ref())? else {
            return Ok(None);
        };
        match node.first_value().map_err(|p| self.corrupt(p))? {
            Some(bytes) => self.text(bytes, node.offset).map(Some),
            None => Ok(None),
        }
    }

    /// Exact lookup: all values of `key` in stored order (ascending priority).
    pub fn lookup_values<K: AsRef<[u8]> + ?Sized>(&self, key: &K) -> Result<Vec<Value>, Error> {
        let Some(node) = self.find_node(key.as_ref())? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        let mut bad = None;
        node.for_each_value(|priority, bytes| {
            match self.text(bytes, node.offset) {
                Ok(value) => out.push(Value { priority, value }),
                Err(e) => bad = Some(e),
            }
            Ok(())
        })
        .map_err(|p| self.corrupt(p))?;
        match bad {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }
}

/// Maps `file` read-only.
#[allow(unsafe_code)]
/// Maps `len` bytes of `file` (its size, as just read with fstat: memmap2 would ask again).
fn map_file(file: &File, len: u64) -> std::io::Result<memmap2::Mmap> {
    let len =
        usize::try_from(len).map_err(|_| std::io::Error::from(std::io::ErrorKind::FileTooLarge))?;
    // SAFETY: the mapping is private and read-only, and every access to it is bounds-checked against
    // the length captured at mapping time. As with libkmod, which maps the same files, truncating the
    // file while it is mapped would fault; depmod never does that (it writes a temporary file and
    // renames it over the old one, so the mapped inode stays intact).
    unsafe { memmap2::MmapOptions::new().len(len).map(file) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::writer::IndexWriter;

    fn sample() -> Index {
        let mut w = IndexWriter::new();
        w.insert("mod_simple", "kernel/mod-simple.ko:", 0).unwrap();
        w.insert("mod_loop_b", "kernel/mod-loop-b.ko:", 1).unwrap();
        w.insert("mod_loop_a", "a2", 2).unwrap();
        w.insert("mod_loop_a", "a1", 1).unwrap();
        w.insert("mod", "short", 7).unwrap();
        Index::from_bytes("/test/modules.dep.bin", w.to_bytes()).unwrap()
    }

    #[test]
    fn exact_lookups() {
        let idx = sample();
        assert_eq!(
            idx.lookup("mod_simple").unwrap().as_deref(),
            Some("kernel/mod-simple.ko:")
        );
        assert_eq!(idx.lookup("mod_loop_a").unwrap().as_deref(), Some("a1"));
        assert_eq!(idx.lookup("mod").unwrap().as_deref(), Some("short"));
        for missing in [
            "",
            "m",
            "mod_",
            "mod_loop",
            "mod_loop_c",
            "mod_simplex",
            "x",
            "mod_simpl",
        ] {
            assert_eq!(idx.lookup(missing).unwrap(), None, "{missing}");
            assert!(idx.lookup_values(missing).unwrap().is_empty(), "{missing}");
        }
        let all = idx.lookup_values("mod_loop_a").unwrap();
        assert_eq!(
            all,
            [
                Value {
                    priority: 1,
                    value: "a1".into()
                },
                Value {
                    priority: 2,
                    value: "a2".into()
                }
            ]
        );
    }

    #[test]
    fn keys_with_unusual_bytes_do_not_match() {
        let idx = sample();
        assert_eq!(idx.lookup("mod\u{e9}").unwrap(), None);
        assert_eq!(idx.lookup("mod\0").unwrap(), None);
    }

    #[test]
    fn header_checks() {
        let ok = IndexWriter::new().to_bytes();
        assert!(Index::from_bytes("x", ok.clone()).is_ok());
        let e = Index::from_bytes("/p/short.bin", ok[..11].to_vec()).unwrap_err();
        assert!(matches!(e, Error::TooShort { len: 11, .. }));
        assert!(e.to_string().starts_with("/p/short.bin: file too short"));
        let mut bad = ok.clone();
        bad[3] = 0x58;
        let e = Index::from_bytes("/p/m.bin", bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/p/m.bin: bad magic 0xb007f458 (expected 0xb007f457)"
        );
        let mut v3 = ok.clone();
        v3[5] = 3;
        assert!(matches!(
            Index::from_bytes("x", v3).unwrap_err(),
            Error::BadVersion { .. }
        ));
        let mut minor = ok;
        minor[7] = 9;
        assert!(Index::from_bytes("x", minor).is_ok());
    }

    #[test]
    fn open_maps_files_and_reports_errors() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = IndexWriter::new();
        w.insert("k", "v", 0).unwrap();
        let path = dir.path().join("modules.dep.bin");
        std::fs::write(&path, w.to_bytes()).unwrap();
        let idx = Index::open(&path).unwrap();
        assert_eq!(idx.path(), path);
        assert_eq!(idx.lookup("k").unwrap().as_deref(), Some("v"));

        let empty = dir.path().join("modules.builtin.bin");
        std::fs::write(&empty, b"").unwrap();
        assert!(matches!(
            Index::open(&empty).unwrap_err(),
            Error::TooShort { len: 0, .. }
        ));

        let missing = dir.path().join("nope.bin");
        let e = Index::open(&missing).unwrap_err();
        assert!(matches!(e, Error::Io { .. }));
        assert!(e.to_string().contains("nope.bin"));
    }

    #[test]
    fn corrupt_offsets_are_errors() {
        let mut bytes = IndexWriter::new().to_bytes();
        // Root claims values but the file ends.
        bytes[8] = 0x40;
        let idx = Index::from_bytes("/c.bin", bytes).unwrap();
        let e = idx.lookup("").unwrap_err();
        assert!(
            e.to_string().starts_with("/c.bin: corrupt index: node 0xc"),
            "{e}"
        );
        // Root offset beyond the file.
        let mut far = IndexWriter::new().to_bytes();
        far[10] = 0x7f;
        let idx = Index::from_bytes("/c.bin", far).unwrap();
        assert!(idx
            .lookup("a")
            .unwrap_err()
            .to_string()
            .contains("out of bounds"));
    }

    #[test]
    fn budget_runs_out() {
        let mut b = Budget::for_passes(0, 1);
        assert!(b.spend(128).is_ok());
        assert!(b.spend(1).is_err());
    }
}
