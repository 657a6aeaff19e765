//! Crate-wide robustness test: mutated and truncated module images never panic.

use std::io::Write;

use crate::pkcs7::tests::{signed_data, Spec};
use crate::signature::SIGNATURE_MAGIC;
use crate::test_elf::{ElfBuilder, Sym};
use crate::{parse_signature, ModuleFile};

/// A small deterministic xorshift generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A module with every section this crate reads, signed with a PKCS#7 trailer.
fn full_module(wide: bool, little: bool) -> Vec<u8> {
    let b = ElfBuilder::new(wide, little);
    let mut vers = b.version_record(0xaaaa, b"module_layout");
    vers.extend(b.version_record(0xbbbb, b"printk"));
    let kcrctab = b.u32_bytes(0x1234_5678);
    let mut img = b
        .section(".modinfo", b"license=GPL\0alias=foo\0name=t\0")
        .section("__versions", &vers)
        .section("__kcrctab", &kcrctab)
        .section("__ksymtab_strings", b"exported\0")
        .symbols(vec![
            Sym::new("__crc_exported", 0, 3),
            Sym::new("printk", 0, 0),
            Sym::new("maybe", 0, 0).bind(2),
        ])
        .build();
    let der = signed_data(&Spec::default());
    img.extend_from_slice(&der);
    img.extend_from_slice(&[0, 0, 2, 0, 0, 0, 0, 0]);
    img.extend_from_slice(&(der.len() as u32).to_be_bytes());
    img.extend_from_slice(SIGNATURE_MAGIC);
    img
}

/// Runs every reader on `data`; only panics matter, errors are expected.
fn exercise(data: Vec<u8>) {
    let _ = parse_signature(&data);
    let Ok(m) = ModuleFile::from_bytes("/fuzz.ko", data) else {
        return;
    };
    let _ = m.signature();
    if let Ok(elf) = m.elf() {
        let _ = elf.modinfo();
        let _ = elf.versions();
        let _ = elf.exported_symbols();
        let _ = elf.dependency_symbols();
        let _ = elf.has_section(".modinfo");
    }
}

#[test]
fn unmutated_module_reads_fully() {
    for wide in [false, true] {
        for little in [false, true] {
            let m = ModuleFile::from_bytes("/t.ko", full_module(wide, little)).unwrap();
            let elf = m.elf().unwrap();
            assert_eq!(elf.modinfo().unwrap().len(), 3);
            assert_eq!(elf.versions().unwrap().len(), 2);
            let exports = elf.exported_symbols().unwrap();
            assert_eq!(
                (exports[0].name.as_str(), exports[0].crc),
                ("exported", 0x1234_5678)
            );
            let deps = elf.dependency_symbols().unwrap();
            let names: Vec<&str> = deps.iter().map(|d| d.name.as_str()).collect();
            assert_eq!(names, ["printk", "maybe", "module_layout"]);
            assert_eq!(m.signature().unwrap().hash_algo, "sha256");
        }
    }
}

#[test]
fn mutated_images_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for wide in [false, true] {
        for little in [false, true] {
            let base = full_module(wide, little);
            for _ in 0..2500 {
                let mut img = base.clone();
                match rng.below(4) {
                    0 => {
                        for _ in 0..=rng.below(8) {
                            let at = rng.below(img.len());
                            img[at] = rng.next() as u8;
                        }
                    }
                    1 => {
                        let at = rng.below(img.len().saturating_sub(8));
                        let v = [0u64, u64::MAX, 0x7fff_ffff, rng.next()][rng.below(4)];
                        img[at..at + 8].copy_from_slice(&v.to_le_bytes());
                    }
                    2 => img.truncate(rng.below(img.len())),
                    _ => {
                        // Mutate only the signature area.
                        let tail = img.len() - rng.below(200).min(img.len() - 1) - 1;
                        img[tail] = rng.next() as u8;
                    }
                }
                exercise(img);
            }
        }
    }
}

#[test]
fn mutated_compressed_images_never_panic() {
    let plain = full_module(true, true);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&plain).unwrap();
    let mut xz = xz2::write::XzEncoder::new(Vec::new(), 6);
    xz.write_all(&plain).unwrap();
    let packed = [
        gz.finish().unwrap(),
        xz.finish().unwrap(),
        zstd::stream::encode_all(&plain[..], 3).unwrap(),
    ];
    let mut rng = Rng(42);
    for base in &packed {
        for _ in 0..150 {
            let mut data = base.clone();
            if rng.below(2) == 0 {
                data.truncate(6 + rng.below(data.len() - 6));
            } else {
                let at = 6 + rng.below(data.len() - 6);
                data[at] ^= 1 << rng.below(8);
            }
            exercise(data);
        }
    }
}
