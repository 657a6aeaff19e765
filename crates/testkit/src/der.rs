//! Minimal DER encoding (definite lengths) for the hand-built PKCS#7 signatures.

/// Universal tag: INTEGER.
pub const INTEGER: u8 = 0x02;
/// Universal tag: OCTET STRING.
pub const OCTET_STRING: u8 = 0x04;
/// Universal tag: NULL.
pub const NULL: u8 = 0x05;
/// Universal tag: OBJECT IDENTIFIER.
pub const OID: u8 = 0x06;
/// Universal tag: UTF8String.
pub const UTF8_STRING: u8 = 0x0c;
/// Universal tag: SEQUENCE (constructed).
pub const SEQUENCE: u8 = 0x30;
/// Universal tag: SET (constructed).
pub const SET: u8 = 0x31;
/// Context-specific tag `[0]`, constructed.
pub const CONTEXT_0: u8 = 0xa0;

/// One tag-length-value element.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// A constructed element holding the concatenation of `parts`.
pub fn constructed(tag: u8, parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(tag, &parts.concat())
}

/// An OBJECT IDENTIFIER from its components (at least two, first < 3).
pub fn oid(components: &[u64]) -> Vec<u8> {
    let mut content = Vec::new();
    let (first, second) = (
        components.first().copied().unwrap_or(0),
        components.get(1).copied().unwrap_or(0),
    );
    let mut arcs = vec![first * 40 + second];
    arcs.extend(components.iter().skip(2));
    for arc in arcs {
        let mut groups = vec![(arc & 0x7f) as u8];
        let mut rest = arc >> 7;
        while rest > 0 {
            groups.push(0x80 | (rest & 0x7f) as u8);
            rest >>= 7;
        }
        content.extend(groups.iter().rev());
    }
    tlv(OID, &content)
}

/// A non-negative INTEGER whose magnitude is the big-endian `bytes` (leading zeros dropped; a 0x00
/// is prepended when the top bit is set).
pub fn unsigned_integer(bytes: &[u8]) -> Vec<u8> {
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    let magnitude = bytes.get(skip..).unwrap_or_default();
    let mut content = Vec::new();
    if matches!(magnitude.first(), None | Some(0x80..)) {
        content.push(0);
    }
    content.extend_from_slice(magnitude);
    tlv(INTEGER, &content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        assert_eq!(tlv(OCTET_STRING, &[1, 2]), [4, 2, 1, 2]);
        let long = tlv(OCTET_STRING, &[0; 200]);
        assert_eq!(&long[..3], [4, 0x81, 200]);
        let longer = tlv(OCTET_STRING, &[0; 300]);
        assert_eq!(&longer[..4], [4, 0x82, 1, 44]);
    }

    #[test]
    fn oids() {
        // sha256 = 2.16.840.1.101.3.4.2.1
        assert_eq!(
            oid(&[2, 16, 840, 1, 101, 3, 4, 2, 1]),
            [6, 9, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]
        );
        // commonName = 2.5.4.3
        assert_eq!(oid(&[2, 5, 4, 3]), [6, 3, 0x55, 4, 3]);
    }

    #[test]
    fn integers() {
        assert_eq!(unsigned_integer(&[0, 0, 5]), [2, 1, 5]);
        assert_eq!(unsigned_integer(&[0x80]), [2, 2, 0, 0x80]);
        assert_eq!(unsigned_integer(&[]), [2, 1, 0]);
    }
}
