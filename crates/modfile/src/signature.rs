//! The module signature trailer (`~Module signature appended~`) and what `modinfo` shows of it.

use std::fmt;

use crate::pkcs7;

/// The magic string that ends a signed module.
pub const SIGNATURE_MAGIC: &[u8] = b"~Module signature appended~\n";

/// Size of `struct module_signature`, just before the magic.
const INFO_SIZE: usize = 12;

/// Names of kmod's legacy hash enum (`module_signature.hash`), by value.
const LEGACY_HASHES: [&str; 9] = [
    "md4", "md5", "sha1", "rmd160", "sha256", "sha384", "sha512", "sha224", "sm3",
];

/// How the signer is identified (`module_signature.id_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureIdType {
    /// 0: PGP (legacy).
    Pgp,
    /// 1: X.509 (legacy).
    X509,
    /// 2: PKCS#7 / CMS, used by all kernels since 4.3.
    Pkcs7,
}

impl fmt::Display for SignatureIdType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignatureIdType::Pgp => "PGP",
            SignatureIdType::X509 => "X509",
            SignatureIdType::Pkcs7 => "PKCS#7",
        })
    }
}

/// What `modinfo` shows about a module signature (`sig_id`, `signer`, `sig_key`,
/// `sig_hashalgo`, `signature`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Signature {
    /// How the signer is identified.
    pub id_type: SignatureIdType,
    /// PKCS#7: the issuer's commonName, raw string bytes (may contain NULs — kmod's modinfo
    /// prints it as a C string, stopping at the first NUL). Legacy: the trailer's signer bytes.
    pub signer: Vec<u8>,
    /// PKCS#7: serial number magnitude, big-endian, no leading zero byte. Legacy: the key id.
    pub key_id: Vec<u8>,
    /// Digest name: `md4 md5 sha1 rmd160 sha256 sha384 sha512 sha224 sm3`.
    pub hash_algo: String,
    /// The signature bytes (PKCS#7 `encryptedDigest`).
    pub signature: Vec<u8>,
}

/// Parses the signature trailer at the end of an uncompressed module image.
///
/// `None` when the module is unsigned or the trailer is invalid (formats.md §6): image shorter
/// than 40 bytes, no magic, `algo >= 2`, `hash >= 9`, `id_type >= 3`, `sig_len == 0`, or
/// `sig_len + signer_len + key_id_len` larger than what precedes the trailer — and, for PKCS#7,
/// in every case where kmod 30 shows no signature: undecodable DER, no `SignerInfo`, a signer
/// identified by subjectKeyIdentifier, or a digest other than the nine above. Never an error.
pub fn parse_signature(image: &[u8]) -> Option<Signature> {
    let body = image.strip_suffix(SIGNATURE_MAGIC)?;
    let payload_len = body.len().checked_sub(INFO_SIZE)?;
    let (payload, info) = body.split_at(payload_len);
    let &[algo, hash, id_type, signer_len, key_id_len, _, _, _, l0, l1, l2, l3] = info else {
        return None;
    };
    let sig_len = usize::try_from(u32::from_be_bytes([l0, l1, l2, l3])).ok()?;
    if algo >= 2 || usize::from(hash) >= LEGACY_HASHES.len() || sig_len == 0 {
        return None;
    }
    let id_type = match id_type {
        0 => SignatureIdType::Pgp,
        1 => SignatureIdType::X509,
        2 => SignatureIdType::Pkcs7,
        _ => return None,
    };
    let signer_len = usize::from(signer_len);
    let key_id_len = usize::from(key_id_len);
    let total = sig_len.checked_add(signer_len)?.checked_add(key_id_len)?;
    let signed_end = payload.len().checked_sub(total)?;
    let regions = payload.get(signed_end..)?;
    let (signer, rest) = regions.split_at_checked(signer_len)?;
    let (key_id, sig) = rest.split_at_checked(key_id_len)?;
    if id_type == SignatureIdType::Pkcs7 {
        let fields = pkcs7::decode(sig)?;
        return Some(Signature {
            id_type,
            signer: fields.signer,
            key_id: fields.key_id,
            hash_algo: fields.hash_algo.to_string(),
            signature: fields.signature,
        });
    }
    Some(Signature {
        id_type,
        signer: signer.to_vec(),
        key_id: key_id.to_vec(),
        hash_algo: LEGACY_HASHES.get(usize::from(hash))?.to_string(),
        signature: sig.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pkcs7::tests::{signed_data, Spec};

    fn legacy(
        elf: &[u8],
        hdr: [u8; 5],
        signer: &[u8],
        key: &[u8],
        sig: &[u8],
        sig_len: u32,
    ) -> Vec<u8> {
        let mut img = elf.to_vec();
        img.extend_from_slice(signer);
        img.extend_from_slice(key);
        img.extend_from_slice(sig);
        img.extend_from_slice(&hdr);
        img.extend_from_slice(&[0, 0, 0]);
        img.extend_from_slice(&sig_len.to_be_bytes());
        img.extend_from_slice(SIGNATURE_MAGIC);
        img
    }

    fn pkcs7_signed(elf: &[u8], der: &[u8]) -> Vec<u8> {
        legacy(elf, [0, 0, 2, 0, 0], b"", b"", der, der.len() as u32)
    }

    #[test]
    fn id_type_names() {
        assert_eq!(SignatureIdType::Pgp.to_string(), "PGP");
        assert_eq!(SignatureIdType::X509.to_string(), "X509");
        assert_eq!(SignatureIdType::Pkcs7.to_string(), "PKCS#7");
    }

    #[test]
    fn pkcs7_trailer() {
        let img = pkcs7_signed(b"\x7fELF...", &signed_data(&Spec::default()));
        let sig = parse_signature(&img).unwrap();
        assert_eq!(sig.id_type, SignatureIdType::Pkcs7);
        assert_eq!(sig.signer, b"Build time autogenerated kernel key");
        assert_eq!(sig.key_id, [0x66, 0xF5, 0x4E]);
        assert_eq!(sig.hash_algo, "sha256");
        assert_eq!(sig.signature, [0xDE, 0xAD, 0xBE, 0xEF]);
    }

    #[test]
    fn corrupt_pkcs7_looks_unsigned() {
        let mut der = signed_data(&Spec::default());
        der[0] = 0;
        assert_eq!(parse_signature(&pkcs7_signed(b"elf", &der)), None);
    }

    #[test]
    fn legacy_trailers() {
        let img = legacy(
            b"ELF",
            [1, 4, 1, 5, 3],
            b"Hello",
            &[1, 2, 3],
            &[0xAA, 0xBB],
            2,
        );
        let sig = parse_signature(&img).unwrap();
        assert_eq!(
            sig,
            Signature {
                id_type: SignatureIdType::X509,
                signer: b"Hello".to_vec(),
                key_id: vec![1, 2, 3],
                hash_algo: "sha256".into(),
                signature: vec![0xAA, 0xBB],
            }
        );
        let img = legacy(b"ELF", [0, 0, 0, 0, 0], b"", b"", &[1], 1);
        let sig = parse_signature(&img).unwrap();
        assert_eq!(
            (sig.id_type, sig.hash_algo.as_str()),
            (SignatureIdType::Pgp, "md4")
        );
        let img = legacy(b"", [1, 3, 1, 0, 0], b"", b"", &[1], 1);
        assert_eq!(parse_signature(&img).unwrap().hash_algo, "rmd160");
        let img = legacy(b"", [1, 8, 1, 0, 0], b"", b"", &[1], 1);
        assert_eq!(parse_signature(&img).unwrap().hash_algo, "sm3");
    }

    #[test]
    fn invalid_trailers_look_unsigned() {
        let ok = |hdr, sig_len| legacy(b"ELFELFELF", hdr, b"Hello", &[1, 2, 3], &[9; 4], sig_len);
        assert!(parse_signature(&ok([1, 4, 1, 5, 3], 4)).is_some());
        assert_eq!(parse_signature(&ok([2, 4, 1, 5, 3], 4)), None); // algo
        assert_eq!(parse_signature(&ok([1, 9, 1, 5, 3], 4)), None); // hash
        assert_eq!(parse_signature(&ok([1, 4, 3, 5, 3], 4)), None); // id_type
        assert_eq!(parse_signature(&ok([1, 4, 1, 5, 3], 0)), None); // sig_len 0
        assert_eq!(parse_signature(&ok([1, 4, 1, 5, 3], u32::MAX)), None);
        // Regions may start at byte 0 but not before it: 9 + 5 + 3 + 4 = 21 bytes available.
        assert!(parse_signature(&ok([1, 4, 1, 5, 3], 13)).is_some());
        assert_eq!(parse_signature(&ok([1, 4, 1, 5, 3], 14)), None);
        let grown = parse_signature(&ok([1, 4, 1, 5, 3], 13)).unwrap();
        assert_eq!(grown.signer, b"ELFEL");
        assert_eq!(grown.signature.len(), 13);
    }

    #[test]
    fn short_or_unsigned_images() {
        assert_eq!(parse_signature(b""), None);
        assert_eq!(parse_signature(SIGNATURE_MAGIC), None);
        assert_eq!(parse_signature(b"\x7fELF plain module"), None);
        let mut eleven = vec![0u8; 11];
        eleven.extend_from_slice(SIGNATURE_MAGIC);
        assert_eq!(parse_signature(&eleven), None);
    }
}
