//! Compressing module images the way kernels install them (`.ko.gz`, `.ko.xz`, `.ko.zst`).

use std::io::Write;

/// A module compression format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    /// gzip (`.ko.gz`).
    Gzip,
    /// xz with CRC32 check and a 1 MiB dictionary, what the kernel's XZ decoder accepts (`.ko.xz`).
    Xz,
    /// zstd (`.ko.zst`).
    Zstd,
}

impl Compression {
    /// The file name extension after `.ko`: `.gz`, `.xz` or `.zst`.
    pub fn extension(self) -> &'static str {
        match self {
            Compression::Gzip => ".gz",
            Compression::Xz => ".xz",
            Compression::Zstd => ".zst",
        }
    }

    /// All three formats.
    pub const ALL: [Compression; 3] = [Compression::Gzip, Compression::Xz, Compression::Zstd];
}

/// Compresses `data`; errors come only from the compression libraries.
pub fn try_compress(data: &[u8], c: Compression) -> std::io::Result<Vec<u8>> {
    match c {
        Compression::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(data)?;
            enc.finish()
        }
        Compression::Xz => {
            let mut options =
                xz2::stream::LzmaOptions::new_preset(6).map_err(std::io::Error::other)?;
            options.dict_size(1 << 20);
            let mut filters = xz2::stream::Filters::new();
            filters.lzma2(&options);
            let stream =
                xz2::stream::Stream::new_stream_encoder(&filters, xz2::stream::Check::Crc32)
                    .map_err(std::io::Error::other)?;
            let mut enc = xz2::write::XzEncoder::new_stream(Vec::new(), stream);
            enc.write_all(data)?;
            enc.finish()
        }
        Compression::Zstd => zstd::encode_all(data, 3),
    }
}

/// Compresses `data` in memory. The libraries cannot fail on in-memory buffers with these fixed
/// settings; should one ever do so, the result is empty (which no reader accepts as a module).
pub fn compress(data: &[u8], c: Compression) -> Vec<u8> {
    try_compress(data, c).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn round_trips_and_magics() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
        let gz = compress(&data, Compression::Gzip);
        assert_eq!(&gz[..2], [0x1f, 0x8b]);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);

        let xz = compress(&data, Compression::Xz);
        assert_eq!(&xz[..6], [0xfd, b'7', b'z', b'X', b'Z', 0]);
        // Stream flags: check type 1 = CRC32.
        assert_eq!(xz[7], 1);
        let mut out = Vec::new();
        xz2::read::XzDecoder::new(&xz[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);

        let zst = compress(&data, Compression::Zstd);
        assert_eq!(&zst[..4], [0x28, 0xb5, 0x2f, 0xfd]);
        assert_eq!(zstd::decode_all(&zst[..]).unwrap(), data);

        let exts: Vec<_> = Compression::ALL.iter().map(|c| c.extension()).collect();
        assert_eq!(exts, [".gz", ".xz", ".zst"]);
    }
}
