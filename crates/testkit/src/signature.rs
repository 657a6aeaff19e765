//! Module signature trailers (formats.md §6): a hand-built minimal PKCS#7 `SignedData` as the kernel's
//! `sign-file` produces, or the legacy PGP/X.509 layout, followed by `struct module_signature` and the
//! magic string.

use crate::der::{self, constructed, oid, tlv, unsigned_integer};

/// The magic string ending every signed module.
pub const MAGIC: &[u8; 28] = b"~Module signature appended~\n";

/// Digest algorithm named in a PKCS#7 signature (what `modinfo` shows as `sig_hashalgo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Digest {
    /// 1.3.14.3.2.26
    Sha1,
    /// 2.16.840.1.101.3.4.2.4
    Sha224,
    /// 2.16.840.1.101.3.4.2.1
    Sha256,
    /// 2.16.840.1.101.3.4.2.2
    Sha384,
    /// 2.16.840.1.101.3.4.2.3
    Sha512,
    /// 1.2.156.10197.1.401
    Sm3,
    /// Any other OID, given by its components.
    Other(Vec<u64>),
}

impl Digest {
    /// The OID components.
    pub fn oid(&self) -> Vec<u64> {
        match self {
            Digest::Sha1 => vec![1, 3, 14, 3, 2, 26],
            Digest::Sha224 => vec![2, 16, 840, 1, 101, 3, 4, 2, 4],
            Digest::Sha256 => vec![2, 16, 840, 1, 101, 3, 4, 2, 1],
            Digest::Sha384 => vec![2, 16, 840, 1, 101, 3, 4, 2, 2],
            Digest::Sha512 => vec![2, 16, 840, 1, 101, 3, 4, 2, 3],
            Digest::Sm3 => vec![1, 2, 156, 10197, 1, 401],
            Digest::Other(components) => components.clone(),
        }
    }
}

/// A PKCS#7 (`id_type` 2) signature: what modinfo shows as `signer` (issuer CN), `sig_key`
/// (certificate serial), `sig_hashalgo` (digest) and `signature` (the encrypted digest bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pkcs7Signature {
    /// Common name of the issuer of the signing certificate.
    pub issuer_cn: String,
    /// Serial number, big-endian (leading zero bytes are not part of the DER integer, so modinfo
    /// does not show them).
    pub serial: Vec<u8>,
    /// Digest algorithm.
    pub digest: Digest,
    /// The signature value.
    pub signature: Vec<u8>,
}

/// Legacy `id_type` of the signature trailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyIdType {
    /// 0: PGP.
    Pgp = 0,
    /// 1: X.509.
    X509 = 1,
}

/// A pre-PKCS#7 signature: signer name, key id and signature bytes stored directly in the trailer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacySignature {
    /// PGP or X.509.
    pub id_type: LegacyIdType,
    /// Public-key algorithm (0 DSA, 1 RSA).
    pub algo: u8,
    /// Hash algorithm (0 md4, 1 md5, 2 sha1, 3 rmd160, 4 sha256, 5 sha384, 6 sha512, 7 sha224, 8 sm3).
    pub hash: u8,
    /// Signer name (at most 255 bytes are used).
    pub signer: Vec<u8>,
    /// Key identifier (at most 255 bytes are used).
    pub key_id: Vec<u8>,
    /// Signature bytes.
    pub signature: Vec<u8>,
}

/// What to append to a module as its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureSpec {
    /// PKCS#7, as every kernel since 4.3 signs.
    Pkcs7(Pkcs7Signature),
    /// Legacy PGP/X.509 layout.
    Legacy(LegacySignature),
    /// Arbitrary `payload` followed by this exact 12-byte `struct module_signature` and the magic, for
    /// testing invalid trailers.
    Raw {
        /// Bytes placed before the header.
        payload: Vec<u8>,
        /// The 12 header bytes: algo, hash, id_type, signer_len, key_id_len, 3 pad, sig_len (BE).
        header: [u8; 12],
    },
}

impl SignatureSpec {
    /// A PKCS#7 signature with the given issuer CN, serial, digest and signature bytes.
    pub fn pkcs7(issuer_cn: &str, serial: &[u8], digest: Digest, signature: &[u8]) -> Self {
        SignatureSpec::Pkcs7(Pkcs7Signature {
            issuer_cn: issuer_cn.to_string(),
            serial: serial.to_vec(),
            digest,
            signature: signature.to_vec(),
        })
    }

    /// The bytes appended to the module: signature data, `struct module_signature`, magic.
    pub fn trailer(&self) -> Vec<u8> {
        let (mut out, header) = match self {
            SignatureSpec::Pkcs7(p) => {
                let data = pkcs7_der(p);
                let header = module_signature(0, 0, 2, 0, 0, data.len());
                (data, header)
            }
            SignatureSpec::Legacy(l) => {
                let signer = &l.signer[..l.signer.len().min(255)];
                let key_id = &l.key_id[..l.key_id.len().min(255)];
                let header = module_signature(
                    l.algo,
                    l.hash,
                    l.id_type as u8,
                    signer.len() as u8,
                    key_id.len() as u8,
                    l.signature.len(),
                );
                ([signer, key_id, &l.signature].concat(), header)
            }
            SignatureSpec::Raw { payload, header } => (payload.clone(), *header),
        };
        out.extend_from_slice(&header);
        out.extend_from_slice(MAGIC);
        out
    }
}

fn module_signature(
    algo: u8,
    hash: u8,
    id_type: u8,
    signer_len: u8,
    key_id_len: u8,
    sig_len: usize,
) -> [u8; 12] {
    let len = (sig_len as u32).to_be_bytes();
    [
        algo, hash, id_type, signer_len, key_id_len, 0, 0, 0, len[0], len[1], len[2], len[3],
    ]
}

/// DER of a detached PKCS#7 `ContentInfo` with one `SignerInfo` and no certificates, as
/// `sign-file` writes for modules.
pub fn pkcs7_der(p: &Pkcs7Signature) -> Vec<u8> {
    let null = tlv(der::NULL, &[]);
    let digest_alg = constructed(der::SEQUENCE, &[oid(&p.digest.oid()), null.clone()]);
    let issuer = constructed(
        der::SEQUENCE,
        &[constructed(
            der::SET,
            &[constructed(
                der::SEQUENCE,
                &[
                    oid(&[2, 5, 4, 3]),
                    tlv(der::UTF8_STRING, p.issuer_cn.as_bytes()),
                ],
            )],
        )],
    );
    let signer_info = constructed(
        der::SEQUENCE,
        &[
            unsigned_integer(&[1]),
            constructed(der::SEQUENCE, &[issuer, unsigned_integer(&p.serial)]),
            digest_alg.clone(),
            constructed(der::SEQUENCE, &[oid(&[1, 2, 840, 113_549, 1, 1, 1]), null]),
            tlv(der::OCTET_STRING, &p.signature),
        ],
    );
    let signed_data = constructed(
        der::SEQUENCE,
        &[
            unsigned_integer(&[1]),
            constructed(der::SET, &[digest_alg]),
            constructed(der::SEQUENCE, &[oid(&[1, 2, 840, 113_549, 1, 7, 1])]),
            constructed(der::SET, &[signer_info]),
        ],
    );
    constructed(
        der::SEQUENCE,
        &[
            oid(&[1, 2, 840, 113_549, 1, 7, 2]),
            constructed(der::CONTEXT_0, &[signed_data]),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkcs7_trailer_layout() {
        let spec = SignatureSpec::pkcs7("Test key", &[0x12, 0x34], Digest::Sha256, &[0xaa; 256]);
        let t = spec.trailer();
        assert!(t.ends_with(MAGIC));
        let header = &t[t.len() - 40..t.len() - 28];
        assert_eq!(&header[..8], [0, 0, 2, 0, 0, 0, 0, 0]);
        let sig_len = u32::from_be_bytes([header[8], header[9], header[10], header[11]]) as usize;
        assert_eq!(sig_len, t.len() - 40);
        // SEQUENCE with a long-form length, then the signedData OID.
        assert_eq!(&t[..2], [0x30, 0x82]);
        let signed_data_oid = oid(&[1, 2, 840, 113_549, 1, 7, 2]);
        assert_eq!(&t[4..4 + signed_data_oid.len()], signed_data_oid.as_slice());
        let der = &t[..sig_len];
        assert!(der.windows(8).any(|w| w == b"Test key"));
        assert!(der.ends_with(&[0xaa; 256]));
    }

    #[test]
    fn legacy_trailer_layout() {
        let spec = SignatureSpec::Legacy(LegacySignature {
            id_type: LegacyIdType::X509,
            algo: 1,
            hash: 4,
            signer: b"signer".to_vec(),
            key_id: vec![1, 2, 3],
            signature: vec![9; 5],
        });
        let t = spec.trailer();
        assert_eq!(&t[..14], b"signer\x01\x02\x03\x09\x09\x09\x09\x09");
        assert_eq!(&t[14..26], [1, 4, 1, 6, 3, 0, 0, 0, 0, 0, 0, 5]);
        assert_eq!(&t[26..], MAGIC);
    }

    #[test]
    fn raw_trailer_is_verbatim() {
        let t = SignatureSpec::Raw {
            payload: vec![7],
            header: [1; 12],
        }
        .trailer();
        assert_eq!(t.len(), 1 + 12 + 28);
        assert_eq!(&t[..13], [7, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    }
}
