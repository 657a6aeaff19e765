//! Bounds-checked, endian-aware reads from a byte slice (every read returns `None` when out of range).

/// A view of bytes in a fixed byte order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EndianBytes<'a> {
    data: &'a [u8],
    little: bool,
}

impl<'a> EndianBytes<'a> {
    /// Wraps `data`, read as little-endian when `little` is true, big-endian otherwise.
    pub(crate) fn new(data: &'a [u8], little: bool) -> Self {
        EndianBytes { data, little }
    }

    /// Length of the data in bytes.
    pub(crate) fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether multi-byte values are read little-endian.
    pub(crate) fn is_little(&self) -> bool {
        self.little
    }

    /// `len` bytes starting at `offset`, if they all lie inside the data.
    pub(crate) fn slice(&self, offset: u64, len: u64) -> Option<&'a [u8]> {
        let start = usize::try_from(offset).ok()?;
        let len = usize::try_from(len).ok()?;
        self.data.get(start..start.checked_add(len)?)
    }

    fn array<const N: usize>(&self, offset: u64) -> Option<[u8; N]> {
        self.slice(offset, N as u64)?.try_into().ok()
    }

    /// The byte at `offset`.
    pub(crate) fn u8(&self, offset: u64) -> Option<u8> {
        self.array::<1>(offset).map(|[b]| b)
    }

    /// The 16-bit integer at `offset`.
    pub(crate) fn u16(&self, offset: u64) -> Option<u16> {
        let a = self.array(offset)?;
        Some(if self.little {
            u16::from_le_bytes(a)
        } else {
            u16::from_be_bytes(a)
        })
    }

    /// The 32-bit integer at `offset`.
    pub(crate) fn u32(&self, offset: u64) -> Option<u32> {
        let a = self.array(offset)?;
        Some(if self.little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }

    /// The 64-bit integer at `offset`.
    pub(crate) fn u64(&self, offset: u64) -> Option<u64> {
        let a = self.array(offset)?;
        Some(if self.little {
            u64::from_le_bytes(a)
        } else {
            u64::from_be_bytes(a)
        })
    }

    /// A word of the ELF class at `offset`: 8 bytes when `wide`, else 4 bytes zero-extended.
    pub(crate) fn word(&self, offset: u64, wide: bool) -> Option<u64> {
        if wide {
            self.u64(offset)
        } else {
            self.u32(offset).map(u64::from)
        }
    }
}

/// The bytes of `data` up to (not including) the first NUL, or `None` if there is no NUL.
pub(crate) fn c_str(data: &[u8]) -> Option<&[u8]> {
    data.iter()
        .position(|&b| b == 0)
        .and_then(|n| data.get(..n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_byte_orders() {
        let d = [1u8, 2, 3, 4, 5, 6, 7, 8];
        let le = EndianBytes::new(&d, true);
        let be = EndianBytes::new(&d, false);
        assert_eq!(le.u16(0), Some(0x0201));
        assert_eq!(be.u16(0), Some(0x0102));
        assert_eq!(le.u32(4), Some(0x0807_0605));
        assert_eq!(be.u32(4), Some(0x0506_0708));
        assert_eq!(le.u64(0), Some(0x0807_0605_0403_0201));
        assert_eq!(be.u64(0), Some(0x0102_0304_0506_0708));
        assert_eq!(be.word(4, false), Some(0x0506_0708));
        assert_eq!(le.u8(7), Some(8));
        assert_eq!((le.len(), le.is_little(), be.is_little()), (8, true, false));
    }

    #[test]
    fn out_of_range_is_none() {
        let d = [0u8; 8];
        let r = EndianBytes::new(&d, true);
        assert_eq!(r.u32(5), None);
        assert_eq!(r.u64(1), None);
        assert_eq!(r.u8(8), None);
        assert_eq!(r.slice(u64::MAX, 2), None);
        assert_eq!(r.slice(4, u64::MAX), None);
        assert_eq!(r.slice(8, 0), Some(&[][..]));
        assert_eq!(r.slice(9, 0), None);
    }

    #[test]
    fn c_str_needs_a_nul() {
        assert_eq!(c_str(b"abc\0def"), Some(&b"abc"[..]));
        assert_eq!(c_str(b"\0"), Some(&b""[..]));
        assert_eq!(c_str(b"abc"), None);
    }
}
