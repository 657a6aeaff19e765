//! Decoding the PKCS#7 (CMS `SignedData`) blob of a module signature.
//!
//! What is taken from the first `SignerInfo`, matching what kmod 30 (built with OpenSSL) shows:
//! * signer: the first commonName of the issuer, as the raw bytes of its string value; if the
//!   issuer has no commonName, the value of its last attribute; empty for an empty issuer;
//! * key id: the serial number's magnitude, big-endian, without leading zero bytes (OpenSSL
//!   `BN_bn2bin`: `-5` gives `05`, `0` gives nothing);
//! * hash: the SignerInfo's digest algorithm, one of kmod's nine names;
//! * signature: the `encryptedDigest` bytes.
//!
//! kmod 30 shows no signature at all (the module looks unsigned) when the DER does not parse, the
//! content is not `signedData`, there is no SignerInfo, the signer is identified by a
//! subjectKeyIdentifier, or the digest algorithm is not one of its nine (e.g. sha3-256,
//! sha512-224): [`decode`] returns `None` in those cases. Bytes after the DER object are
//! ignored, as by OpenSSL's `d2i_PKCS7`.

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use const_oid::db::{rfc4519, rfc5911};
use const_oid::ObjectIdentifier;
use der::{Decode, SliceReader};

/// The fields of a PKCS#7 signature that `modinfo` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pkcs7Fields {
    pub(crate) signer: Vec<u8>,
    pub(crate) key_id: Vec<u8>,
    pub(crate) hash_algo: &'static str,
    pub(crate) signature: Vec<u8>,
}

/// Digest algorithms kmod knows, with the names it prints.
const DIGESTS: [(ObjectIdentifier, &str); 9] = [
    (ObjectIdentifier::new_unwrap("1.2.840.113549.2.4"), "md4"),
    (ObjectIdentifier::new_unwrap("1.2.840.113549.2.5"), "md5"),
    (ObjectIdentifier::new_unwrap("1.3.14.3.2.26"), "sha1"),
    (ObjectIdentifier::new_unwrap("1.3.36.3.2.1"), "rmd160"),
    (
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1"),
        "sha256",
    ),
    (
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2"),
        "sha384",
    ),
    (
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3"),
        "sha512",
    ),
    (
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.4"),
        "sha224",
    ),
    (ObjectIdentifier::new_unwrap("1.2.156.10197.1.401"), "sm3"),
];

/// kmod's name for a digest algorithm OID, if it knows it.
pub(crate) fn digest_name(oid: &ObjectIdentifier) -> Option<&'static str> {
    DIGESTS
        .iter()
        .find(|(o, _)| o == oid)
        .map(|(_, name)| *name)
}

/// Decodes a DER PKCS#7 `ContentInfo` holding `SignedData`; `None` when kmod shows nothing.
pub(crate) fn decode(der: &[u8]) -> Option<Pkcs7Fields> {
    let mut reader = SliceReader::new(der).ok()?;
    let info = ContentInfo::decode(&mut reader).ok()?;
    if info.content_type != rfc5911::ID_SIGNED_DATA {
        return None;
    }
    let signed: SignedData = info.content.decode_as().ok()?;
    let signer_info = signed.signer_infos.0.iter().next()?;
    let SignerIdentifier::IssuerAndSerialNumber(id) = &signer_info.sid else {
        return None;
    };
    let hash_algo = digest_name(&signer_info.digest_alg.oid)?;
    let attributes = id.issuer.0.iter().flat_map(|rdn| rdn.0.iter());
    let signer = attributes
        .clone()
        .find(|atv| atv.oid == rfc4519::CN)
        .or_else(|| attributes.last())
        .map(|atv| atv.value.value().to_vec())
        .unwrap_or_default();
    Some(Pkcs7Fields {
        signer,
        key_id: magnitude(id.serial_number.as_bytes()),
        hash_algo,
        signature: signer_info.signature.as_bytes().to_vec(),
    })
}

/// The big-endian magnitude of a two's-complement integer, without leading zero bytes.
fn magnitude(twos_complement: &[u8]) -> Vec<u8> {
    let negative = twos_complement.first().is_some_and(|b| b & 0x80 != 0);
    let mut bytes = twos_complement.to_vec();
    if negative {
        // Negate: invert all bits, then add one.
        let mut carry = true;
        for b in bytes.iter_mut().rev() {
            let (v, c) = (!*b).overflowing_add(u8::from(carry));
            *b = v;
            carry = c;
        }
    }
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.split_off(first)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// DER TLV with a short or long-form length.
    pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else if len < 0x100 {
            out.extend([0x81, len as u8]);
        } else {
            out.extend([0x82, (len >> 8) as u8, len as u8]);
        }
        out.extend_from_slice(content);
        out
    }

    fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
        tlv(0x30, &parts.concat())
    }

    fn set(parts: &[Vec<u8>]) -> Vec<u8> {
        tlv(0x31, &parts.concat())
    }

    fn oid(o: &ObjectIdentifier) -> Vec<u8> {
        tlv(0x06, o.as_bytes())
    }

    fn alg(o: &ObjectIdentifier) -> Vec<u8> {
        seq(&[oid(o), vec![0x05, 0x00]])
    }

    /// One issuer attribute: OID, string tag, value.
    pub(crate) type Attribute = (ObjectIdentifier, u8, Vec<u8>);

    /// Options for [`signed_data`].
    #[derive(Clone)]
    pub(crate) struct Spec {
        pub(crate) digest: ObjectIdentifier,
        /// Issuer attributes, in order.
        pub(crate) issuer: Vec<Attribute>,
        pub(crate) serial: Vec<u8>,
        pub(crate) signature: Vec<u8>,
        pub(crate) content_type: ObjectIdentifier,
        pub(crate) use_key_id: bool,
        pub(crate) signers: usize,
    }

    impl Default for Spec {
        fn default() -> Self {
            Spec {
                digest: DIGESTS[4].0,
                issuer: vec![(
                    rfc4519::CN,
                    0x0c,
                    b"Build time autogenerated kernel key".to_vec(),
                )],
                serial: vec![0x66, 0xF5, 0x4E],
                signature: vec![0xDE, 0xAD, 0xBE, 0xEF],
                content_type: rfc5911::ID_SIGNED_DATA,
                use_key_id: false,
                signers: 1,
            }
        }
    }

    /// A detached PKCS#7 signature shaped like the kernel's `sign-file` output.
    pub(crate) fn signed_data(spec: &Spec) -> Vec<u8> {
        let name = seq(&spec
            .issuer
            .iter()
            .map(|(o, tag, v)| set(&[seq(&[oid(o), tlv(*tag, v)])]))
            .collect::<Vec<_>>());
        let sid = if spec.use_key_id {
            tlv(0x80, b"\x01\x02")
        } else {
            seq(&[name, tlv(0x02, &spec.serial)])
        };
        let rsa = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
        let signer_info = seq(&[
            tlv(0x02, &[1]),
            sid,
            alg(&spec.digest),
            alg(&rsa),
            tlv(0x04, &spec.signature),
        ]);
        let data_oid = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
        let sd = seq(&[
            tlv(0x02, &[1]),
            set(&[alg(&spec.digest)]),
            seq(&[oid(&data_oid)]),
            set(&vec![signer_info; spec.signers]),
        ]);
        seq(&[oid(&spec.content_type), tlv(0xA0, &sd)])
    }

    #[test]
    fn decodes_kernel_style_signature() {
        let got = decode(&signed_data(&Spec::default())).unwrap();
        assert_eq!(got.signer, b"Build time autogenerated kernel key");
        assert_eq!(got.key_id, [0x66, 0xF5, 0x4E]);
        assert_eq!(got.hash_algo, "sha256");
        assert_eq!(got.signature, [0xDE, 0xAD, 0xBE, 0xEF]);
    }

    #[test]
    fn all_nine_digests_have_kmod_names() {
        let names: Vec<&str> = DIGESTS
            .iter()
            .map(|(o, _)| {
                let spec = Spec {
                    digest: *o,
                    ..Spec::default()
                };
                decode(&signed_data(&spec)).unwrap().hash_algo
            })
            .collect();
        assert_eq!(
            names,
            ["md4", "md5", "sha1", "rmd160", "sha256", "sha384", "sha512", "sha224", "sm3"]
        );
    }

    #[test]
    fn unknown_digest_hides_the_signature() {
        for unknown in [
            "2.16.840.1.101.3.4.2.8",
            "2.16.840.1.101.3.4.2.5",
            "1.2.840.113549.1.1.11",
        ] {
            let spec = Spec {
                digest: ObjectIdentifier::new_unwrap(unknown),
                ..Spec::default()
            };
            assert_eq!(decode(&signed_data(&spec)), None, "{unknown}");
        }
    }

    #[test]
    fn serial_is_printed_as_magnitude() {
        assert_eq!(magnitude(&[0x00, 0xFF, 0x01]), [0xFF, 0x01]);
        assert_eq!(magnitude(&[0x00]), Vec::<u8>::new());
        assert_eq!(magnitude(&[0xFB]), [0x05]); // -5
        assert_eq!(magnitude(&[0xFF, 0x00]), [0x01, 0x00]); // -256
        assert_eq!(magnitude(&[0x80]), [0x80]); // -128
        assert_eq!(magnitude(&[]), Vec::<u8>::new());
        let spec = Spec {
            serial: vec![0x00, 0x80],
            ..Spec::default()
        };
        assert_eq!(decode(&signed_data(&spec)).unwrap().key_id, [0x80]);
        let spec = Spec {
            serial: vec![0x00],
            ..Spec::default()
        };
        assert!(decode(&signed_data(&spec)).unwrap().key_id.is_empty());
    }

    #[test]
    fn signer_is_first_cn_else_last_attribute() {
        let o = ObjectIdentifier::new_unwrap("2.5.4.10");
        let ou = ObjectIdentifier::new_unwrap("2.5.4.11");
        let cases: Vec<(Vec<Attribute>, &[u8])> = vec![
            (
                vec![
                    (o, 0x0c, b"Org".to_vec()),
                    (rfc4519::CN, 0x0c, b"My Signer".to_vec()),
                    (rfc4519::CN, 0x0c, b"Second".to_vec()),
                ],
                b"My Signer",
            ),
            (
                vec![(o, 0x0c, b"Org".to_vec()), (ou, 0x0c, b"Unit".to_vec())],
                b"Unit",
            ),
            (vec![], b""),
            // BMPString: raw bytes (modinfo prints them as a C string, i.e. nothing here).
            (vec![(rfc4519::CN, 0x1e, b"\0A\0B".to_vec())], b"\0A\0B"),
            (vec![(rfc4519::CN, 0x13, b"AB".to_vec())], b"AB"),
        ];
        for (issuer, want) in cases {
            let spec = Spec {
                issuer,
                ..Spec::default()
            };
            assert_eq!(decode(&signed_data(&spec)).unwrap().signer, want);
        }
    }

    #[test]
    fn shapes_kmod_does_not_show() {
        let key_id = Spec {
            use_key_id: true,
            ..Spec::default()
        };
        assert_eq!(decode(&signed_data(&key_id)), None);
        let no_signers = Spec {
            signers: 0,
            ..Spec::default()
        };
        assert_eq!(decode(&signed_data(&no_signers)), None);
        let data = Spec {
            content_type: ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1"),
            ..Spec::default()
        };
        assert_eq!(decode(&signed_data(&data)), None);
        let mut corrupt = signed_data(&Spec::default());
        corrupt[0] = 0;
        assert_eq!(decode(&corrupt), None);
        assert_eq!(decode(&[]), None);
        let good = signed_data(&Spec::default());
        assert_eq!(decode(&good[..good.len() - 1]), None);
    }

    #[test]
    fn trailing_bytes_are_ignored() {
        let mut der = signed_data(&Spec::default());
        der.extend_from_slice(b"JUNK");
        assert_eq!(decode(&der).unwrap().hash_algo, "sha256");
    }

    #[test]
    fn empty_signature_bytes_are_kept_empty() {
        let spec = Spec {
            signature: vec![],
            ..Spec::default()
        };
        assert!(decode(&signed_data(&spec)).unwrap().signature.is_empty());
    }
}
