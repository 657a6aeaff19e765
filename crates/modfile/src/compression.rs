//! Compression detection by magic bytes and bounded decompression (zstd, xz, gzip).
//!
//! xz is decoded by liblzma loaded on first use (the private `xz_dlopen` module), not linked.

use std::fmt;
use std::io::{self, Read};
use std::path::Path;

use crate::error::Error;
use crate::xz_dlopen::decompress_xz;

/// How a module file is compressed, decided by its first bytes (never by its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    /// A plain (uncompressed) file.
    None,
    /// gzip (`1F 8B`).
    Gzip,
    /// xz (`FD 37 7A 58 5A 00`).
    Xz,
    /// zstd (`28 B5 2F FD`).
    Zstd,
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Xz => "xz",
            Compression::Zstd => "zstd",
        })
    }
}

const ZSTD_MAGIC: &[u8] = &[0x28, 0xB5, 0x2F, 0xFD];
const XZ_MAGIC: &[u8] = &[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00];
const GZIP_MAGIC: &[u8] = &[0x1F, 0x8B];

/// Identifies the compression of a file from its first bytes (formats.md §7.1).
///
/// Anything that is not a zstd, xz or gzip magic (including a too-short slice) is
/// [`Compression::None`].
pub fn detect_compression(magic: &[u8]) -> Compression {
    if magic.starts_with(ZSTD_MAGIC) {
        Compression::Zstd
    } else if magic.starts_with(XZ_MAGIC) {
        Compression::Xz
    } else if magic.starts_with(GZIP_MAGIC) {
        Compression::Gzip
    } else {
        Compression::None
    }
}

/// Bounds on decompression, so that a decompression bomb fails cleanly.
///
/// The output of one file may not exceed `max_output` bytes, and, once it is larger than
/// `ratio_floor` bytes, may not exceed `max_ratio` times the compressed size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecompressLimits {
    /// Absolute cap on the decompressed size (default 1 GiB).
    pub max_output: u64,
    /// Largest accepted decompressed/compressed size ratio beyond `ratio_floor` (default 256).
    pub max_ratio: u64,
    /// Output size that is always accepted whatever the ratio (default 16 MiB).
    pub ratio_floor: u64,
    /// Memory the xz decoder may use for its dictionary (default 256 MiB).
    pub xz_memlimit: u64,
}

impl Default for DecompressLimits {
    fn default() -> Self {
        DecompressLimits {
            max_output: 1 << 30,
            max_ratio: 256,
            ratio_floor: 16 << 20,
            xz_memlimit: 256 << 20,
        }
    }
}

impl DecompressLimits {
    /// The largest output accepted for `input_len` compressed bytes.
    pub fn output_limit(&self, input_len: usize) -> u64 {
        let by_ratio = (input_len as u64)
            .saturating_mul(self.max_ratio)
            .max(self.ratio_floor);
        by_ratio.min(self.max_output)
    }
}

/// Initial output buffer size: a guess (4× the input), never more than the limit or 64 MiB.
fn initial_capacity(input_len: usize, limit: u64) -> usize {
    let guess = (input_len as u64).saturating_mul(4);
    usize::try_from(guess.min(limit).min(64 << 20)).unwrap_or(0)
}

/// Decompresses `input` (compressed with `compression`) into memory within `limits`.
///
/// [`Compression::None`] returns a copy of the input. xz needs liblzma, which is loaded on the
/// first xz file ([`Error::DecompressorUnavailable`] if it cannot be).
pub fn decompress(
    path: &Path,
    compression: Compression,
    input: &[u8],
    limits: &DecompressLimits,
) -> Result<Vec<u8>, Error> {
    let limit = limits.output_limit(input.len());
    let initial = initial_capacity(input.len(), limit);
    // One byte more than the limit is read so that exceeding it can be told from reaching it.
    let cap = limit.saturating_add(1);
    let out = match compression {
        Compression::None => input.to_vec(),
        Compression::Gzip => read_capped(
            path,
            compression,
            flate2::read::MultiGzDecoder::new(input),
            cap,
            initial,
        )?,
        Compression::Xz => decompress_xz(path, input, limits.xz_memlimit, cap, initial)?,
        Compression::Zstd => {
            let decoder = zstd::stream::read::Decoder::with_buffer(input)
                .map_err(|e| decoder_error(path, compression, e))?;
            read_capped(path, compression, decoder, cap, initial)?
        }
    };
    if out.len() as u64 > limit {
        return Err(Error::LimitExceeded {
            path: path.to_path_buf(),
            compression,
            limit,
        });
    }
    Ok(out)
}

/// Reads at most `cap` bytes from `decoder`.
fn read_capped(
    path: &Path,
    compression: Compression,
    decoder: impl Read,
    cap: u64,
    initial: usize,
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(initial);
    decoder
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| decoder_error(path, compression, e))?;
    Ok(out)
}

/// Turns a decoder's I/O error into [`Error::Decompress`].
fn decoder_error(path: &Path, compression: Compression, e: io::Error) -> Error {
    let truncated = e.kind() == io::ErrorKind::UnexpectedEof;
    let problem = if truncated {
        format!("truncated data ({e})")
    } else {
        format!("corrupt data ({e})")
    };
    Error::Decompress {
        path: path.to_path_buf(),
        compression,
        problem,
        truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn p() -> &'static Path {
        Path::new("/m/x.ko")
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn xz(data: &[u8]) -> Vec<u8> {
        let mut e = xz2::write::XzEncoder::new(Vec::new(), 6);
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zstd(data: &[u8]) -> Vec<u8> {
        zstd::stream::encode_all(data, 3).unwrap()
    }

    fn sample() -> Vec<u8> {
        (0..50_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect()
    }

    #[test]
    fn detects_by_magic_only() {
        assert_eq!(
            detect_compression(&[0x28, 0xB5, 0x2F, 0xFD, 0, 0]),
            Compression::Zstd
        );
        assert_eq!(detect_compression(XZ_MAGIC), Compression::Xz);
        assert_eq!(
            detect_compression(&[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x01]),
            Compression::None
        );
        assert_eq!(detect_compression(&[0x1F, 0x8B, 8]), Compression::Gzip);
        assert_eq!(detect_compression(b"\x7fELF\x02\x01"), Compression::None);
        assert_eq!(detect_compression(&[0x28, 0xB5]), Compression::None);
        assert_eq!(detect_compression(&[]), Compression::None);
    }

    #[test]
    fn display_names() {
        let names: Vec<String> = [
            Compression::None,
            Compression::Gzip,
            Compression::Xz,
            Compression::Zstd,
        ]
        .iter()
        .map(|c| c.to_string())
        .collect();
        assert_eq!(names, ["none", "gzip", "xz", "zstd"]);
    }

    #[test]
    fn round_trips_all_formats() {
        let data = sample();
        let limits = DecompressLimits::default();
        for (c, packed) in [
            (Compression::Gzip, gzip(&data)),
            (Compression::Xz, xz(&data)),
            (Compression::Zstd, zstd(&data)),
            (Compression::None, data.clone()),
        ] {
            assert_eq!(detect_compression(&packed), c);
            assert_eq!(decompress(p(), c, &packed, &limits).unwrap(), data, "{c}");
        }
    }

    #[test]
    fn truncated_input_is_a_clear_error() {
        let data = sample();
        let limits = DecompressLimits::default();
        for (c, packed, errno) in [
            (Compression::Gzip, gzip(&data), 22),
            (Compression::Xz, xz(&data), 22),
            (Compression::Zstd, zstd(&data), 8),
        ] {
            let cut = &packed[..packed.len() / 2];
            let err = decompress(p(), c, cut, &limits).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Decompress {
                        truncated: true,
                        ..
                    }
                ),
                "{c}: {err}"
            );
            assert!(err
                .to_string()
                .starts_with(&format!("/m/x.ko: {c}: truncated")));
            assert_eq!(err.errno_like(), errno, "{c}");
        }
    }

    #[test]
    fn corrupt_input_is_a_clear_error() {
        let limits = DecompressLimits::default();
        for (c, magic) in [
            (Compression::Gzip, GZIP_MAGIC),
            (Compression::Xz, XZ_MAGIC),
            (Compression::Zstd, ZSTD_MAGIC),
        ] {
            let mut junk = magic.to_vec();
            junk.extend_from_slice(&[0xAA; 64]);
            let err = decompress(p(), c, &junk, &limits).unwrap_err();
            assert!(matches!(err, Error::Decompress { .. }), "{c}: {err}");
            assert_eq!(err.errno_like(), 22, "{c}: {err}");
        }
    }

    #[test]
    fn bomb_hits_the_ratio_limit() {
        let zeros = vec![0u8; 4 << 20];
        let limits = DecompressLimits {
            ratio_floor: 1 << 20,
            ..DecompressLimits::default()
        };
        for (c, packed) in [
            (Compression::Gzip, gzip(&zeros)),
            (Compression::Xz, xz(&zeros)),
            (Compression::Zstd, zstd(&zeros)),
        ] {
            let err = decompress(p(), c, &packed, &limits).unwrap_err();
            assert!(matches!(err, Error::LimitExceeded { .. }), "{c}: {err}");
            assert!(err.to_string().contains("decompressed size exceeds limit"));
            assert_eq!(err.errno_like(), 27);
        }
    }

    #[test]
    fn absolute_limit_applies() {
        let data = sample();
        let limits = DecompressLimits {
            max_output: 1000,
            ..DecompressLimits::default()
        };
        let err = decompress(p(), Compression::Zstd, &zstd(&data), &limits).unwrap_err();
        assert!(matches!(err, Error::LimitExceeded { limit: 1000, .. }));
        // Exactly at the limit is fine.
        let exact = vec![7u8; 1000];
        let out = decompress(p(), Compression::Xz, &xz(&exact), &limits).unwrap();
        assert_eq!(out, exact);
    }

    #[test]
    fn output_limit_arithmetic() {
        let l = DecompressLimits::default();
        assert_eq!(l.output_limit(0), 16 << 20);
        assert_eq!(l.output_limit(1 << 20), 256 << 20);
        assert_eq!(l.output_limit(usize::MAX), 1 << 30);
        assert_eq!(initial_capacity(10, 1 << 30), 40);
        assert_eq!(initial_capacity(1 << 30, 1 << 30), 64 << 20);
    }

    #[test]
    fn xz_memlimit_is_enforced() {
        let data = sample();
        let limits = DecompressLimits {
            xz_memlimit: 1024,
            ..DecompressLimits::default()
        };
        let err = decompress(p(), Compression::Xz, &xz(&data), &limits).unwrap_err();
        assert!(matches!(err, Error::Decompress { .. }), "{err}");
    }
}
