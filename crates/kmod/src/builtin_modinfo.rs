//! `modules.builtin.modinfo`: the `.modinfo` strings of built-in modules, as the kernel build
//! writes them (`<module>.<key>=<value>\0`, grouped per module; formats.md §3.1).

use crate::{Context, Error};

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
    /// (empty when the file is missing).
    pub fn builtin_info(&self, name: &str) -> Result<Vec<BuiltinInfo>, Error> {
        let path = self.file("modules.builtin.modinfo");
        match std::fs::read(&path) {
            Ok(data) => Ok(builtin_info(&data, name)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(source) => Err(Error::Io { path, source }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
