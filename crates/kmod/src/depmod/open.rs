//! Opening module files for depmod: positioned reads of what it needs, one zstd context per thread.
//!
//! [`modfile::ModuleFile::open`] creates a fresh zstd stream decoder (and its window buffers) for
//! every file and copies through a read buffer; on a tree of thousands of small `.ko.zst` files
//! that setup costs about a quarter of the decompression time. Here each thread keeps one
//! decoder context and decompresses straight into the image buffer, within the same
//! [`DecompressLimits`]. Anything unusual (not zstd after all, corrupt or truncated data, a limit
//! reached) falls back to `ModuleFile::open`, so errors are exactly modfile's.

use std::cell::RefCell;
use std::path::Path;

use super::elf_symbols::{crc_sections, DEPMOD_SECTIONS};
use modfile::{detect_compression, Compression, DecompressLimits, ModuleFile};
use zstd::stream::raw::{Decoder, InBuffer, Operation, OutBuffer};

thread_local! {
    /// This thread's decoder, created on first use.
    static DECODER: RefCell<Option<Decoder<'static>>> = const { RefCell::new(None) };
}

/// Opens `path` for depmod: `.ko.zst` files are decompressed with this thread's reusable
/// decoder; plain files are read only where depmod looks ([`DEPMOD_SECTIONS`], the sections
/// holding export CRCs, the headers), the rest of their image reads as zeros.
pub fn open_module(path: &Path) -> Result<ModuleFile, modfile::Error> {
    if path.as_os_str().as_encoded_bytes().ends_with(b".zst") {
        if let Some(file) = open_zstd(path) {
            return Ok(file);
        }
    }
    ModuleFile::open_sections_and(
        path,
        DEPMOD_SECTIONS,
        &DecompressLimits::default(),
        crc_sections,
    )
}

/// The fast path; `None` means "let modfile do it".
fn open_zstd(path: &Path) -> Option<ModuleFile> {
    let data = std::fs::read(path).ok()?;
    if detect_compression(&data) != Compression::Zstd {
        return None;
    }
    let limit = DecompressLimits::default().output_limit(data.len());
    let image = DECODER.with(|cell| {
        let mut slot = cell.try_borrow_mut().ok()?;
        if slot.is_none() {
            *slot = Decoder::new().ok();
        }
        decompress(slot.as_mut()?, &data, limit)
    })?;
    ModuleFile::from_bytes(path, image).ok()
}

/// Decompresses every frame of `data` with `decoder`, producing at most `limit` bytes.
fn decompress(decoder: &mut Decoder<'static>, data: &[u8], limit: u64) -> Option<Vec<u8>> {
    decoder.reinit().ok()?;
    let limit = usize::try_from(limit).ok()?;
    let mut out: Vec<u8> = Vec::new();
    out.try_reserve_exact(
        data.len()
            .saturating_mul(4)
            .clamp(4096, 64 << 20)
            .min(limit),
    )
    .ok()?;
    let mut input = InBuffer::around(data);
    loop {
        if out.len() == out.capacity() {
            if out.len() >= limit {
                return None;
            }
            let grow = out.len().max(4096).min(limit - out.len());
            out.try_reserve_exact(grow).ok()?;
        }
        let before = (input.pos(), out.len());
        let pos = out.len();
        let hint = {
            let mut output = OutBuffer::around_pos(&mut out, pos);
            decoder.run(&mut input, &mut output).ok()?
        };
        if hint == 0 && input.pos() == data.len() {
            return Some(out);
        }
        // No progress with room left: the data ends inside a frame.
        if (input.pos(), out.len()) == before && out.len() < out.capacity() {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use testkit::{compress, ModuleBuilder};

    #[test]
    fn same_image_as_modfile_and_same_errors() {
        let t = tempfile::tempdir().unwrap();
        let plain = ModuleBuilder::new("z")
            .modinfo("alias", "zz")
            .section(".big", 1, 0, &vec![7u8; 300_000])
            .build();
        let path = t.path().join("z.ko.zst");
        std::fs::write(&path, compress(&plain, testkit::Compression::Zstd)).unwrap();
        for _ in 0..3 {
            let fast = open_module(&path).unwrap();
            assert_eq!(fast.image(), plain);
            assert_eq!(fast.compression(), Compression::None);
        }
        // Two concatenated frames decode as one image, as with modfile.
        let mut two = zstd::stream::encode_all(&plain[..1000], 3).unwrap();
        two.extend(zstd::stream::encode_all(&plain[1000..], 3).unwrap());
        std::fs::write(&path, &two).unwrap();
        assert_eq!(open_module(&path).unwrap().image(), plain);
        // Truncated and corrupt data: modfile's errors.
        let whole = zstd::stream::encode_all(&plain[..], 3).unwrap();
        for bad in [
            whole[..whole.len() / 2].to_vec(),
            b"\x28\xb5\x2f\xfdjunkjunk".to_vec(),
        ] {
            std::fs::write(&path, &bad).unwrap();
            let ours = open_module(&path).unwrap_err().to_string();
            let theirs = ModuleFile::open(&path).unwrap_err().to_string();
            assert_eq!(ours, theirs);
        }
        // A plain file named .zst is read as a plain file.
        std::fs::write(&path, &plain).unwrap();
        let elf_modinfo = |file: &ModuleFile| -> Vec<(Vec<u8>, Vec<u8>)> {
            let elf = file.elf().unwrap();
            let entries = elf.modinfo().unwrap();
            entries
                .iter()
                .map(|e| (e.key.to_vec(), e.value.to_vec()))
                .collect()
        };
        let whole = ModuleFile::open(&path).unwrap();
        assert_eq!(
            elf_modinfo(&open_module(&path).unwrap()),
            elf_modinfo(&whole)
        );
    }

    /// Exports (with CRCs, also those kept in a data section), needs and `.modinfo` keys of a
    /// plain module read in parts are those of the whole file, in all four ELF flavours.
    #[test]
    fn partial_reads_see_what_depmod_needs() {
        use crate::depmod::elf_symbols::read_symbols;
        use crate::depmod::record::ModuleInfo;
        let t = tempfile::tempdir().unwrap();
        let lists = |file: &ModuleFile| {
            let elf = file.elf().unwrap();
            let mut info = ModuleInfo::default();
            read_symbols(&elf, file.image(), &mut info);
            if let Ok(entries) = elf.modinfo() {
                info.add_modinfo(entries.iter().map(|e| (e.key, e.value)));
            }
            info
        };
        for wide in [false, true] {
            for big in [false, true] {
                let img = ModuleBuilder::new("m")
                    .class64(wide)
                    .big_endian(big)
                    .modinfo("alias", "pci:v*d*")
                    .section(".text", 1, 0, &[0x90; 40_000])
                    .export("abs_crc", 0x11)
                    .export_crc_in_section("data_crc", 0x2222)
                    .undefined("printk")
                    .version("printk", 0x99)
                    .build();
                let path = t.path().join("m.ko");
                std::fs::write(&path, &img).unwrap();
                let part = open_module(&path).unwrap();
                assert_ne!(part.image(), img, "read in parts");
                let whole = ModuleFile::open(&path).unwrap();
                assert_eq!(lists(&part), lists(&whole), "wide={wide} big={big}");
                assert!(lists(&part).exports.iter().any(|x| x.crc == 0x2222));
            }
        }
    }

    #[test]
    fn limits_are_modfiles() {
        let mut decoder = Decoder::new().unwrap();
        let big = zstd::stream::encode_all(&vec![0u8; 1 << 20][..], 19).unwrap();
        assert!(decompress(&mut decoder, &big, 1000).is_none());
        assert_eq!(
            decompress(&mut decoder, &big, 1 << 20).map(|v| v.len()),
            Some(1 << 20)
        );
    }
}
