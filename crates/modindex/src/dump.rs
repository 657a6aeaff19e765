//! Enumerating a whole index in kmod's dump order (what `modprobe -c` prints).

use std::fmt::Write;

use crate::error::Error;
use crate::index::{Budget, Index};
use crate::value::Value;
use crate::walk::ValuesAt;

impl Index {
    /// Calls `f(key, value)` for every value of every key, in pre-order: keys in byte order, the
    /// values of a key in stored order (ascending priority).
    pub fn for_each(&self, mut f: impl FnMut(&str, &Value)) -> Result<(), Error> {
        let mut budget = Budget::for_passes(self.bytes().len(), 1);
        let root = self.node(self.root())?;
        let mut values = Vec::new();
        self.walk(
            root,
            root.prefix.to_vec(),
            ValuesAt::BeforeChildren,
            &mut Budget::for_passes(self.bytes().len(), 1),
            |key, node| {
                let key = std::str::from_utf8(key).map_err(|_| {
                    self.corrupt(format!("node 0x{:x}: key is not valid UTF-8", node.offset))
                })?;
                values.clear();
                node.for_each_value(|priority, bytes| {
                    budget.spend(1)?;
                    values.push((priority, bytes));
                    Ok(())
                })
                .map_err(|p| self.corrupt(p))?;
                for &(priority, bytes) in &values {
                    let value = Value {
                        priority,
                        value: self.text(bytes, node.offset)?,
                    };
                    f(key, &value);
                }
                Ok(())
            },
        )
    }

    /// The whole index as text, one `<key> <value>` line per value in dump order (the format of
    /// `modprobe -c` without its `alias ` prefix), for tests and debugging.
    pub fn dump_to_string(&self) -> Result<String, Error> {
        let mut out = String::new();
        self.for_each(|key, value| {
            // Writing to a String cannot fail.
            let _ = writeln!(out, "{key} {}", value.value);
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Index, IndexWriter};

    #[test]
    fn dump_lists_keys_in_byte_order_values_by_priority() {
        let mut w = IndexWriter::new();
        w.insert("usb:v1", "b", 2).unwrap();
        w.insert("usb:v1", "a", 1).unwrap();
        w.insert("pci:*", "p", 0).unwrap();
        w.insert("usb", "u", 0).unwrap();
        w.insert("", "root", 0).unwrap();
        let idx = Index::from_bytes("t", w.to_bytes()).unwrap();
        assert_eq!(
            idx.dump_to_string().unwrap(),
            " root\npci:* p\nusb u\nusb:v1 a\nusb:v1 b\n"
        );
        let mut priorities = Vec::new();
        idx.for_each(|_, v| priorities.push(v.priority)).unwrap();
        assert_eq!(priorities, [0, 0, 0, 1, 2]);
    }

    #[test]
    fn empty_index_dumps_nothing() {
        let idx = Index::from_bytes("t", IndexWriter::new().to_bytes()).unwrap();
        assert_eq!(idx.dump_to_string().unwrap(), "");
    }
}
