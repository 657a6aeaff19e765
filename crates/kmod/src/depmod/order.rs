//! The module array order (formats.md §4.1): modules listed in `modules.order` first, in file
//! order; all others after them in the iteration order of depmod's module-name hash table. The
//! position in this array is each module's index priority and the order of every text file.

use std::collections::HashMap;

use super::hash::{sort_in_hash_order, MODULE_BUCKETS};

/// Compression suffixes that may follow `.ko` in an installed module's name.
pub const COMPRESSION_SUFFIXES: [&str; 3] = [".gz", ".xz", ".zst"];

/// The lines of `modules.order`, or the number of the last line when it lacks its `\n` (depmod
/// then reports `<file>:<n> corrupted line misses '\n'` and ignores the whole file).
pub fn parse_order_file(data: &[u8]) -> Result<Vec<&[u8]>, usize> {
    let mut lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    // `split` yields an empty tail after a final newline (or for empty input).
    match lines.pop() {
        Some(tail) if !tail.is_empty() => Err(lines.len() + 1),
        _ => Ok(lines),
    }
}

/// The key a module is known by in `modules.order`: its output path without the compression
/// suffix (`kernel/fs/ext4/ext4.ko.zst` → `kernel/fs/ext4/ext4.ko`; the kernel always writes `.ko`).
pub fn order_key(out_path: &str) -> &str {
    for suffix in COMPRESSION_SUFFIXES {
        if let Some(stem) = out_path.strip_suffix(suffix) {
            if stem.ends_with(".ko") {
                return stem;
            }
        }
    }
    out_path
}

/// depmod's module array: the indices of `names` (normalised, unique) in array order. `keys` are
/// the [`order_key`]s of the same modules; `order_lines` the lines of `modules.order` (`None` when
/// missing or corrupted). A line naming no module is ignored; when a module is listed twice its
/// first line counts (kmod 34).
pub fn module_array(names: &[&str], keys: &[&str], order_lines: Option<&[&[u8]]>) -> Vec<usize> {
    let mut array: Vec<usize> = (0..names.len()).collect();
    sort_in_hash_order(&mut array, MODULE_BUCKETS, |&i| {
        names.get(i).map_or(&[][..], |n| n.as_bytes())
    });
    let Some(lines) = order_lines else {
        return array;
    };
    let by_key: HashMap<&[u8], usize> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_bytes(), i))
        .collect();
    let mut position: Vec<Option<usize>> = vec![None; names.len()];
    for (line_no, line) in lines.iter().enumerate() {
        if let Some(&module) = by_key.get(line) {
            if let Some(slot) = position.get_mut(module) {
                slot.get_or_insert(line_no);
            }
        }
    }
    // Stable: modules not listed keep their hash order, after all listed ones.
    array.sort_by_key(|&i| position.get(i).copied().flatten().unwrap_or(usize::MAX));
    array
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];

    fn keys() -> Vec<String> {
        NAMES.iter().map(|n| format!("kernel/{n}.ko")).collect()
    }

    fn order(lines: Option<&[&[u8]]>) -> Vec<&'static str> {
        let keys = keys();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        module_array(&NAMES, &keys, lines)
            .into_iter()
            .map(|i| NAMES[i])
            .collect()
    }

    #[test]
    fn without_order_file_hash_order() {
        // depmod 30 on the same eight modules without modules.order.
        assert_eq!(order(None), ["h", "c", "b", "d", "a", "g", "e", "f"]);
    }

    #[test]
    fn listed_first_then_hash_order() {
        let lines: [&[u8]; 2] = [b"kernel/e.ko", b"kernel/c.ko"];
        assert_eq!(
            order(Some(&lines)),
            ["e", "c", "h", "b", "d", "a", "g", "f"]
        );
    }

    #[test]
    fn unknown_lines_ignored_and_first_duplicate_wins() {
        let lines: [&[u8]; 7] = [
            b"kernel/e.ko",
            b"#336",
            b"",
            b"./kernel/c.ko",
            b"kernel/c.ko ",
            b"kernel/c.ko",
            b"kernel/e.ko",
        ];
        assert_eq!(
            order(Some(&lines)),
            ["e", "c", "h", "b", "d", "a", "g", "f"]
        );
    }

    #[test]
    fn order_file_lines() {
        assert_eq!(parse_order_file(b""), Ok(vec![]));
        assert_eq!(
            parse_order_file(b"a\n\nb\n"),
            Ok(vec![&b"a"[..], &b""[..], &b"b"[..]])
        );
        assert_eq!(parse_order_file(b"a\nb\nc"), Err(3));
        assert_eq!(parse_order_file(b"x"), Err(1));
    }

    #[test]
    fn order_keys_drop_compression_suffixes() {
        assert_eq!(order_key("kernel/a.ko.zst"), "kernel/a.ko");
        assert_eq!(order_key("kernel/a.ko.xz"), "kernel/a.ko");
        assert_eq!(order_key("kernel/a.ko.gz"), "kernel/a.ko");
        assert_eq!(order_key("kernel/a.ko"), "kernel/a.ko");
        assert_eq!(order_key("kernel/a.gz"), "kernel/a.gz");
    }
}
