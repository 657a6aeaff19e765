//! Constants of kmod's binary index format (formats.md §2).

/// Magic number at offset 0 ("BOOTFAST").
pub const MAGIC: u32 = 0xB007_F457;
/// Version word written by depmod: major 2, minor 1.
pub const VERSION: u32 = 0x0002_0001;
/// The major version readers accept (high 16 bits of the version word).
pub const VERSION_MAJOR: u32 = 2;
/// Size of the header (magic, version, root node-offset word).
pub const HEADER_LEN: usize = 12;

/// Node-offset flag: the node starts with a NUL-terminated prefix string.
pub const NODE_PREFIX: u32 = 0x8000_0000;
/// Node-offset flag: the node carries values.
pub const NODE_VALUES: u32 = 0x4000_0000;
/// Node-offset flag: the node has a child table.
pub const NODE_CHILDS: u32 = 0x2000_0000;
/// Mask of the offset bits of a node-offset word.
pub const NODE_OFFSET_MASK: u32 = 0x0FFF_FFFF;

/// Number of possible edge characters (7-bit ASCII).
pub const CHILD_MAX: usize = 128;

/// Does this byte start a wildcard in a stored key (formats.md §2.5)?
pub fn is_wildcard(b: u8) -> bool {
    matches!(b, b'*' | b'?' | b'[')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_do_not_overlap_offset_bits() {
        for flag in [NODE_PREFIX, NODE_VALUES, NODE_CHILDS] {
            assert_eq!(flag & NODE_OFFSET_MASK, 0);
        }
    }

    #[test]
    fn wildcard_bytes() {
        assert!(is_wildcard(b'*') && is_wildcard(b'?') && is_wildcard(b'['));
        assert!(!is_wildcard(b']') && !is_wildcard(b'\\') && !is_wildcard(b'a'));
    }
}
