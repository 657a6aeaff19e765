//! Opening a module file: memory-map plain files, decompress compressed ones.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use memmap2::{Mmap, MmapOptions};

use crate::compression::{decompress, detect_compression, Compression, DecompressLimits};
use crate::elf::{name_table_span, section_table_span, ModuleElf};
use crate::error::Error;
use crate::signature::{parse_signature, Signature};

/// kmod reads this many magic bytes first; shorter files are rejected with `EINVAL`.
const MAGIC_LEN: usize = 6;

/// Files up to this size are read into memory instead of being mapped.
const READ_THRESHOLD: u64 = 128 << 10;

/// Plain files up to this size are read whole by [`ModuleFile::open_sections`]: below it, a
/// few positioned reads cost more than one read of everything.
const SPARSE_MIN: u64 = 8 << 10;

/// Plain files above this size are memory-mapped by [`ModuleFile::open_sections`] rather than
/// read into a zero-filled buffer of their size (bounds the allocation a hostile size can cause).
const SPARSE_MAX: u64 = 256 << 20;

/// `EISDIR`, reported for directories (mmap would only say `ENODEV`).
const EISDIR: i32 = 21;

/// Where the uncompressed image lives.
#[derive(Debug)]
enum Image {
    Mapped(Mmap),
    Owned(Vec<u8>),
}

/// A module file opened and (if compressed) decompressed into memory; large plain files are
/// memory-mapped.
#[derive(Debug)]
pub struct ModuleFile {
    path: PathBuf,
    compression: Compression,
    image: Image,
}

impl ModuleFile {
    /// Opens `path` with the default [`DecompressLimits`].
    pub fn open(path: &Path) -> Result<ModuleFile, Error> {
        Self::open_with_limits(path, &DecompressLimits::default())
    }

    /// Opens `path`. A plain file larger than 128 KiB is memory-mapped; smaller files are read
    /// (one `read` costs less than `mmap` + page faults + `munmap`: measured on 4023 Debian
    /// modules, median size 35 KiB). A compressed file (detected by magic bytes) is decompressed
    /// into memory within `limits`.
    pub fn open_with_limits(path: &Path, limits: &DecompressLimits) -> Result<ModuleFile, Error> {
        let io_err = |source: io::Error| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io_err)?;
        let meta = file.metadata().map_err(io_err)?;
        if meta.is_dir() {
            return Err(io_err(io::Error::from_raw_os_error(EISDIR)));
        }
        Self::from_file(file, path, meta.len(), limits)
    }

    /// Reads (up to [`READ_THRESHOLD`]) or maps the whole of `file`, `len` bytes long.
    fn from_file(
        file: File,
        path: &Path,
        len: u64,
        limits: &DecompressLimits,
    ) -> Result<ModuleFile, Error> {
        let io_err = |source: io::Error| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        if len <= READ_THRESHOLD {
            // One read of exactly the size fstat gave (read_to_end would probe for EOF with a
            // second read). A file that shrank meanwhile fails with UnexpectedEof.
            let mut data = vec![0; usize::try_from(len).unwrap_or(0)];
            (&file).read_exact(&mut data).map_err(io_err)?;
            return Self::from_data(path.to_path_buf(), data, limits);
        }
        let map_len =
            usize::try_from(len).map_err(|_| io_err(io::ErrorKind::FileTooLarge.into()))?;
        // SAFETY: the file is mapped read-only and private, and module files are not modified
        // while the tools run. If another process truncates the file while it is mapped, reading
        // the lost pages raises SIGBUS (the process dies); if it rewrites it in place, the parsers
        // see changed bytes, which they handle like any other (possibly malformed) input since
        // every read is bounds-checked against the mapping's fixed length.
        let map = unsafe { MmapOptions::new().len(map_len).map(&file) }.map_err(io_err)?;
        let compression = detect_compression(&map);
        let image = match compression {
            Compression::None => Image::Mapped(map),
            other => Image::Owned(decompress(path, other, &map, limits)?),
        };
        Ok(ModuleFile {
            path: path.to_path_buf(),
            compression,
            image,
        })
    }

    /// Opens `path` for a caller that needs only the sections called `names` (plus the ELF
    /// header, the section header table, the section name table and the signature): a plain file
    /// is read with a few positioned reads of those ranges, the rest of the image reads as
    /// zeros. `modinfo` of 4023 Debian modules needs about a fifth of their bytes this way.
    /// Compressed files are decompressed whole, as by [`ModuleFile::open_with_limits`]; files
    /// this cannot make sense of (not ELF, a table outside the file) are read whole, so every
    /// error is exactly the one [`ModuleFile::elf`] gives for the whole file.
    pub fn open_sections(
        path: &Path,
        names: &[&str],
        limits: &DecompressLimits,
    ) -> Result<ModuleFile, Error> {
        Self::read_sections(
            path,
            names,
            limits,
            None::<fn(&ModuleElf<'_>) -> Vec<usize>>,
        )
    }

    /// [`ModuleFile::open_sections`], then also the sections whose indexes `more` picks by
    /// looking at the image read so far (for example the sections symbols of the already read
    /// `.symtab` point into). `more` is not called for images read whole.
    pub fn open_sections_and(
        path: &Path,
        names: &[&str],
        limits: &DecompressLimits,
        more: impl FnOnce(&ModuleElf<'_>) -> Vec<usize>,
    ) -> Result<ModuleFile, Error> {
        Self::read_sections(path, names, limits, Some(more))
    }

    /// The work of [`ModuleFile::open_sections`] and [`ModuleFile::open_sections_and`] (the
    /// image is parsed a second time only when there is a `more` to ask).
    fn read_sections(
        path: &Path,
        names: &[&str],
        limits: &DecompressLimits,
        more: Option<impl FnOnce(&ModuleElf<'_>) -> Vec<usize>>,
    ) -> Result<ModuleFile, Error> {
        let io_err = |source: io::Error| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io_err)?;
        let meta = file.metadata().map_err(io_err)?;
        if meta.is_dir() {
            return Err(io_err(io::Error::from_raw_os_error(EISDIR)));
        }
        let len = meta.len();
        if !(SPARSE_MIN..=SPARSE_MAX).contains(&len) {
            return Self::from_file(file, path, len, limits);
        }
        let size = usize::try_from(len).map_err(|_| io_err(io::ErrorKind::FileTooLarge.into()))?;
        let mut image = vec![0; size];
        let head_len = HEAD_LEN.min(size);
        file.read_exact_at(&mut image[..head_len], 0)
            .map_err(io_err)?;
        let whole = |mut image: Vec<u8>| {
            file.read_exact_at(&mut image, 0).map_err(io_err)?;
            Self::from_data(path.to_path_buf(), image, limits)
        };
        if detect_compression(&image[..head_len]) != Compression::None {
            return whole(image);
        }
        // The section header table and everything after it (a signature) in one read.
        let Some(table_start) = section_table_span(&image[..head_len])
            .and_then(|(start, end)| (end <= len && start >= HEAD_LEN as u64).then_some(start))
        else {
            return whole(image);
        };
        if read_span(&file, &mut image, table_start, len - table_start).is_err() {
            return whole(image);
        }
        let Some((names_at, names_len)) = name_table_span(&image) else {
            return whole(image);
        };
        if read_span(&file, &mut image, names_at, names_len).is_err() {
            return whole(image);
        }
        let spans: Vec<(u64, u64)> = match ModuleElf::parse(path, &image) {
            Ok(elf) => names
                .iter()
                .flat_map(|name| elf.section_spans(name).collect::<Vec<_>>())
                .collect(),
            Err(_) => return whole(image),
        };
        for (offset, size) in spans {
            read_span(&file, &mut image, offset, size).map_err(io_err)?;
        }
        let extra: Vec<(u64, u64)> = match more.map(|more| (more, ModuleElf::parse(path, &image))) {
            None => Vec::new(),
            Some((more, Ok(elf))) => more(&elf)
                .into_iter()
                .filter_map(|index| elf.section_span(index))
                .collect(),
            Some((_, Err(_))) => return whole(image),
        };
        for (offset, size) in extra {
            read_span(&file, &mut image, offset, size).map_err(io_err)?;
        }
        Ok(ModuleFile {
            path: path.to_path_buf(),
            compression: Compression::None,
            image: Image::Owned(image),
        })
    }

    /// Builds a module from bytes already in memory (decompressing them if they are
    /// compressed), with the default limits. For tests and fuzzing.
    pub fn from_bytes(path: impl Into<PathBuf>, data: Vec<u8>) -> Result<ModuleFile, Error> {
        Self::from_data(path.into(), data, &DecompressLimits::default())
    }

    /// Checks the length, detects compression and decompresses `data` if needed.
    fn from_data(
        path: PathBuf,
        data: Vec<u8>,
        limits: &DecompressLimits,
    ) -> Result<ModuleFile, Error> {
        if data.len() < MAGIC_LEN {
            return Err(Error::TooShort {
                len: data.len(),
                path,
            });
        }
        let compression = detect_compression(&data);
        let image = match compression {
            Compression::None => data,
            other => decompress(&path, other, &data, limits)?,
        };
        Ok(ModuleFile {
            path,
            compression,
            image: Image::Owned(image),
        })
    }

    /// The path the module was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How the file was compressed.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// The uncompressed bytes: ELF image followed by the signature trailer, if any.
    pub fn image(&self) -> &[u8] {
        match &self.image {
            Image::Mapped(map) => map,
            Image::Owned(bytes) => bytes,
        }
    }

    /// Validates the ELF header and section header table (cheap: nothing else is parsed).
    pub fn elf(&self) -> Result<ModuleElf<'_>, Error> {
        ModuleElf::parse(&self.path, self.image())
    }

    /// The signature, if the image ends with a valid signature trailer (never an error).
    pub fn signature(&self) -> Option<Signature> {
        parse_signature(self.image())
    }

    /// Detects a signature cut off by truncation: bytes after the ELF image (`elf`, parsed from
    /// this file) that start like PKCS#7 data (a DER SEQUENCE) while the file does not end with a
    /// valid signature trailer. Returns the number of such bytes. kmod silently shows such a
    /// module as unsigned; a truncated download should rather be reported.
    pub fn truncated_signature(&self, elf: &ModuleElf<'_>) -> Option<usize> {
        let image = self.image();
        let end = usize::try_from(elf.section_table_end()).ok()?;
        let rest = image.get(end..)?;
        (rest.first() == Some(&0x30) && self.signature().is_none()).then_some(rest.len())
    }
}

/// Bytes read first by [`ModuleFile::open_sections`]: enough for the compression magic and
/// either class's ELF header.
const HEAD_LEN: usize = 64;

/// Reads `size` bytes at `offset` of `file` into the same place of `image` (which is as long as
/// the file was when opened); fails if the range lies outside it or the file shrank.
fn read_span(file: &File, image: &mut [u8], offset: u64, size: u64) -> io::Result<()> {
    let out_of_range = || io::Error::from(io::ErrorKind::UnexpectedEof);
    let start = usize::try_from(offset).map_err(|_| out_of_range())?;
    let end = usize::try_from(size)
        .ok()
        .and_then(|size| start.checked_add(size))
        .ok_or_else(out_of_range)?;
    let target = image.get_mut(start..end).ok_or_else(out_of_range)?;
    file.read_exact_at(target, offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_elf::ElfBuilder;
    use std::io::Write;

    #[test]
    fn truncated_signature_is_detected() {
        let mut img = module();
        let whole = ModuleFile::from_bytes("/m.ko", img.clone()).unwrap();
        assert_eq!(whole.truncated_signature(&whole.elf().unwrap()), None);
        img.extend_from_slice(&[0x30, 0x82, 0x02, 0x10, 0x06]);
        let cut = ModuleFile::from_bytes("/m.ko", img).unwrap();
        assert_eq!(cut.truncated_signature(&cut.elf().unwrap()), Some(5));
    }

    fn module() -> Vec<u8> {
        ElfBuilder::new(true, true)
            .section(".modinfo", b"license=GPL\0name=t\0")
            .build()
    }

    fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, data).unwrap();
        path
    }

    #[test]
    fn opens_small_plain_file_by_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "t.ko", &module());
        let m = ModuleFile::open(&path).unwrap();
        assert_eq!(m.compression(), Compression::None);
        assert_eq!(m.path(), path);
        assert!(matches!(m.image, Image::Owned(_)));
        assert_eq!(m.image(), module());
        let elf = m.elf().unwrap();
        assert_eq!(elf.modinfo().unwrap().len(), 2);
        assert_eq!(m.signature(), None);
    }

    #[test]
    fn opens_large_plain_file_by_mapping() {
        let dir = tempfile::tempdir().unwrap();
        let big = ElfBuilder::new(false, true)
            .section(".text", &vec![0x90; READ_THRESHOLD as usize])
            .section(".modinfo", b"name=big\0")
            .build();
        let path = write(dir.path(), "big.ko", &big);
        let m = ModuleFile::open(&path).unwrap();
        assert!(matches!(m.image, Image::Mapped(_)));
        assert_eq!(m.image(), big);
        assert_eq!(m.elf().unwrap().modinfo().unwrap()[0].value, b"big");
    }

    /// A module larger than [`SPARSE_MIN`]: big `.text`, `.modinfo`, a signature-like tail.
    fn big_module(wide: bool, little: bool) -> Vec<u8> {
        let mut img = ElfBuilder::new(wide, little)
            .section(".text", &vec![0x90; 3 * SPARSE_MIN as usize])
            .section(".modinfo", b"license=GPL\0name=big\0")
            .section(".data", &[0x55; 100])
            .build();
        img.extend_from_slice(&[0x30, 0x82, 0x02, 0x10]);
        img
    }

    #[test]
    fn open_sections_reads_only_what_is_asked() {
        let dir = tempfile::tempdir().unwrap();
        let limits = DecompressLimits::default();
        for (wide, little) in [(true, true), (true, false), (false, true), (false, false)] {
            let img = big_module(wide, little);
            let path = write(dir.path(), "big.ko", &img);
            let m = ModuleFile::open_sections(&path, &[".modinfo"], &limits).unwrap();
            assert_eq!(m.image().len(), img.len());
            let elf = m.elf().unwrap();
            assert_eq!(elf.modinfo().unwrap()[1].value, b"big");
            // Only the ELF header's read (HEAD_LEN bytes) may reach into `.text`.
            let text = elf.section(".text").unwrap();
            assert!(text.iter().filter(|&&b| b != 0).count() < HEAD_LEN);
            assert!(elf.section(".data").unwrap().iter().all(|&b| b == 0));
            // Everything after the section table (here a cut-off signature) is read.
            assert_eq!(m.truncated_signature(&elf), Some(4));
            let m = ModuleFile::open_sections(&path, &[".modinfo", ".data"], &limits).unwrap();
            assert_eq!(m.elf().unwrap().section(".data").unwrap(), &[0x55; 100]);
        }
    }

    #[test]
    fn open_sections_falls_back_to_whole_files() {
        let dir = tempfile::tempdir().unwrap();
        let limits = DecompressLimits::default();
        let img = big_module(true, true);
        // Compressed: decompressed whole.
        let zst = write(
            dir.path(),
            "c.ko",
            &zstd::stream::encode_all(&img[..], 1).unwrap(),
        );
        let m = ModuleFile::open_sections(&zst, &[".modinfo"], &limits).unwrap();
        assert_eq!(m.compression(), Compression::Zstd);
        assert_eq!(m.image(), img);
        // Not ELF, or a section table beyond the end: the same error as from the whole file.
        let mut not_elf = img.clone();
        not_elf[0] = b'X';
        let mut table_outside = img.clone();
        table_outside[40..48].copy_from_slice(&(img.len() as u64).to_le_bytes());
        for broken in [
            not_elf,
            table_outside,
            img[..SPARSE_MIN as usize + 10].to_vec(),
        ] {
            let path = write(dir.path(), "b.ko", &broken);
            let part = ModuleFile::open_sections(&path, &[".modinfo"], &limits).unwrap();
            assert_eq!(part.image(), broken);
            let whole = ModuleFile::open(&path).unwrap();
            assert_eq!(
                part.elf().unwrap_err().to_string(),
                whole.elf().unwrap_err().to_string()
            );
        }
        // Small files are read whole.
        let path = write(dir.path(), "s.ko", &module());
        let m = ModuleFile::open_sections(&path, &[], &limits).unwrap();
        assert_eq!(m.image(), module());
        // Directories fail as with `open`.
        let err = ModuleFile::open_sections(dir.path(), &[], &limits).unwrap_err();
        assert_eq!(err.errno_like(), EISDIR);
    }

    #[test]
    fn opens_compressed_files_by_magic_not_name() {
        let dir = tempfile::tempdir().unwrap();
        let plain = module();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&plain).unwrap();
        let files = [
            ("a.ko", Compression::Gzip, gz.finish().unwrap()),
            (
                "b.ko.gz",
                Compression::Zstd,
                zstd::stream::encode_all(&plain[..], 1).unwrap(),
            ),
        ];
        for (name, compression, data) in files {
            let path = write(dir.path(), name, &data);
            let m = ModuleFile::open(&path).unwrap();
            assert_eq!(m.compression(), compression);
            assert_eq!(m.image(), plain);
            assert_eq!(m.elf().unwrap().modinfo().unwrap()[1].value, b"t");
            let m = ModuleFile::from_bytes(name, data).unwrap();
            assert_eq!(m.image(), plain);
        }
    }

    #[test]
    fn io_errors_carry_the_os_errno() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.ko");
        let err = ModuleFile::open(&missing).unwrap_err();
        assert_eq!(err.errno_like(), 2);
        assert!(err.to_string().starts_with(&missing.display().to_string()));
        let err = ModuleFile::open(dir.path()).unwrap_err();
        assert_eq!(err.errno_like(), EISDIR);
    }

    #[test]
    fn short_files_are_einval() {
        let dir = tempfile::tempdir().unwrap();
        for len in [0, 5] {
            let path = write(dir.path(), "s.ko", &module()[..len]);
            let err = ModuleFile::open(&path).unwrap_err();
            assert!(matches!(err, Error::TooShort { .. }), "{err}");
            assert_eq!(err.errno_like(), 22);
        }
        assert!(matches!(
            ModuleFile::from_bytes("x", vec![0x7f, b'E']),
            Err(Error::TooShort { len: 2, .. })
        ));
        // Six bytes are enough to open; the ELF check then fails.
        let m = ModuleFile::from_bytes("x", b"\x7fELF\x02\x01".to_vec()).unwrap();
        assert_eq!(m.elf().unwrap_err().errno_like(), 22);
        let m = ModuleFile::from_bytes("x", b"hello!".to_vec()).unwrap();
        assert_eq!(m.elf().unwrap_err().errno_like(), 8);
    }

    #[test]
    fn broken_compressed_file_is_a_clean_error() {
        let mut xz = vec![0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00];
        xz.extend_from_slice(b"garbagegarbage");
        let err = ModuleFile::from_bytes("/x.ko.xz", xz).unwrap_err();
        assert!(
            err.to_string().starts_with("/x.ko.xz: xz: corrupt data"),
            "{err}"
        );
        assert_eq!(err.errno_like(), 22);
    }

    #[test]
    fn limits_apply_when_opening() {
        let dir = tempfile::tempdir().unwrap();
        let big = vec![0u8; 1 << 20];
        let path = write(
            dir.path(),
            "bomb.ko",
            &zstd::stream::encode_all(&big[..], 19).unwrap(),
        );
        let limits = DecompressLimits {
            max_output: 1000,
            ..DecompressLimits::default()
        };
        let err = ModuleFile::open_with_limits(&path, &limits).unwrap_err();
        assert!(matches!(err, Error::LimitExceeded { .. }), "{err}");
    }
}
