//! `modules.builtin.modinfo`: the `.modinfo` strings of built-in modules, as the kernel build
//! writes them (`<module>.<key>=<value>\0`, grouped per module; formats.md §3.1).

use std::io::Read;

use crate::{Context, Error};

/// Largest `modules.builtin.modinfo` read (Debian's 6.1 kernel has 45 KB): a bigger file, or a
/// link to an endless device such as `/dev/zero`, is an error instead of exhausting memory.
pub const MAX_BUILTIN_MODINFO_LEN: u64 = 64 << 20;

/// One `key=value` of a built-in module, bytes as in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltinInfo {
    /// The key (`license`, `alias`, `file`, ...).
    pub key: Vec<u8>,
    /// The value.
    pub value: Vec<u8>,
}

/// The records of module `name` in the contents of `modules.builtin.modinfo`, in file order.
/// Like libkmod, scanning stops at the first record of another module after a match.
pub fn builtin_info(data: &[u8], name: &str) -> Vec<BuiltinInfo> {
    let mut found = Vec::new();
    for record in data.split(|&b| b == 0) {
        let rest = record
            .strip_prefix(name.as_bytes())
            .and_then(|r| r.strip_prefix(b"."));
        match rest {
            Some(kv) => {
                let (key, value) = match kv.iter().position(|&b| b == b'=') {
                    Some(eq) => (&kv[..eq], &kv[eq + 1..]),
                    None => (kv, &kv[kv.len()..]),
                };
                found.push(BuiltinInfo {
                    key: key.to_vec(),
                    value: value.to_vec(),
                });
            }
            None if !found.is_empty() => break,
            None => {}
        }
    }
    found
}

impl Context {
    /// The `.modinfo` records of the built-in module `name` from `modules.builtin.modinfo`
    /// (empty when the file is missing). Files larger than [`MAX_BUILTIN_MODINFO_LEN`] are an
    /// error.
    pub fn builtin_info(&self, name: &str) -> Result<Vec<BuiltinInfo>, Error> {
        let path = self.file("modules.builtin.modinfo");
        match read_limited(&path, MAX_BUILTIN_MODINFO_LEN) {
            Ok(data) => Ok(builtin_info(&data, name)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(source) => Err(Error::Io { path, source }),
        }
    }
}

/// Reads at most `limit` bytes of `path`; more is an error (`FileTooLarge`).
fn read_limited(path: &std::path::Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let mut data = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut data)?;
    if data.len() as u64 > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("file larger than {} MiB", limit >> 20),
        ));
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endless_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = Context::with_dirname(dir.path().to_path_buf(), "x".into());
        assert!(ctx.builtin_info("unix").unwrap().is_empty(), "missing file");
        let path = dir.path().join("modules.builtin.modinfo");
        std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
        let err = ctx.builtin_info("unix").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}: file larger than 64 MiB", path.display())
        );
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, b"unix.alias=net-pf-1\0").unwrap();
        assert_eq!(ctx.builtin_info("unix").unwrap()[0].value, b"net-pf-1");
        let big = dir.path().join("big");
        std::fs::write(&big, [b'a'; 11]).unwrap();
        assert_eq!(read_limited(&big, 11).unwrap().len(), 11);
        assert!(read_limited(&big, 10).is_err());
    }

    #[test]
    fn records_of_one_module() {
        let data = b"ab.license=GPL\0unix.alias=net-pf-1\0unix.license=GPL\0unix.file=net/unix/unix\0zz.x=1\0unix.late=1\0";
        let info = builtin_info(data, "unix");
        let keys: Vec<&[u8]> = info.iter().map(|i| i.key.as_slice()).collect();
        assert_eq!(keys, [&b"alias"[..], b"license", b"file"]);
        assert_eq!(info[0].value, b"net-pf-1");
        // `uni` is a prefix of `unix` but not followed by a dot.
        assert!(builtin_info(data, "uni").is_empty());
        assert!(builtin_info(b"", "x").is_empty());
        assert_eq!(builtin_info(b"m.flag\0", "m")[0].value, b"");
    }
}
