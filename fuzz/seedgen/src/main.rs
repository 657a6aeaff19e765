//! Writes synthetic seeds for the fuzz targets: modules of every ELF flavour, compressed, with
//! PKCS#7 and legacy signatures, and small indexes. Usage: `kmod-rs-seedgen <seeds dir>`.

use std::path::Path;
use std::{env, fs, io};

use modindex::IndexWriter;
use testkit::{
    compress, Compression, Digest, LegacyIdType, LegacySignature, ModuleBuilder, SignatureSpec,
};

fn module(class64: bool, big_endian: bool) -> ModuleBuilder {
    ModuleBuilder::new("seed")
        .class64(class64)
        .big_endian(big_endian)
        .modinfo("license", "GPL")
        .modinfo("alias", "pci:v00008086d*")
        .modinfo("parmtype", "debug:int")
        .modinfo("parm", "debug:Debug level")
        .modinfo("depends", "helper")
        .modinfo("name", "seed")
        .version("module_layout", 0x1234_5678)
        .version("helper_call", 0x9abc)
        .undefined("helper_call")
        .undefined_weak("maybe_there")
        .export("seed_api", 0x5a5a)
        .export_crc_in_section("seed_other", 0x7777)
        .build_id(&[0xab; 20])
}

fn write(dir: &Path, name: &str, data: &[u8]) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    fs::write(dir.join(name), data)
}

fn modules(dir: &Path) -> io::Result<()> {
    for (class64, big) in [(false, false), (false, true), (true, false), (true, true)] {
        let name = format!(
            "synth-{}{}.ko",
            if class64 { 64 } else { 32 },
            if big { "be" } else { "le" }
        );
        write(dir, &name, &module(class64, big).build())?;
    }
    let pkcs7 = module(true, false)
        .signature(SignatureSpec::pkcs7(
            "Build key",
            &[0x42, 0x01],
            Digest::Sha512,
            &[0xcd; 32],
        ))
        .build();
    write(dir, "synth-pkcs7.ko", &pkcs7)?;
    let legacy = module(false, false)
        .signature(SignatureSpec::Legacy(LegacySignature {
            id_type: LegacyIdType::X509,
            algo: 1,
            hash: 4,
            signer: b"Legacy signer".to_vec(),
            key_id: vec![1, 2, 3, 4],
            signature: vec![0xee; 16],
        }))
        .build();
    write(dir, "synth-legacy.ko", &legacy)?;
    let small = ModuleBuilder::new("tiny").modinfo("license", "GPL").build();
    for c in [Compression::Gzip, Compression::Xz, Compression::Zstd] {
        write(
            dir,
            &format!("synth-tiny.ko{}", c.extension()),
            &compress(&small, c),
        )?;
    }
    Ok(())
}

fn indexes(dir: &Path) -> io::Result<()> {
    let mut alias = IndexWriter::new();
    let mut dep = IndexWriter::new();
    let entries: [(&str, &str, u32); 8] = [
        ("pci:v00008086d000010D3sv*sd*bc*sc*i*", "e1000e", 0),
        ("pci:v00008086d*sv*sd*bc02sc00i*", "e100", 1),
        ("usb:v0BDAp8153d*dc*dsc*dp*ic*isc*ip*in*", "r8152", 2),
        ("snd-pcm", "snd_pcm", 3),
        ("fs-[ex]t4", "ext4", 4),
        ("char-major-10-?", "misc", 5),
        ("symbol:printk", "kernel", 6),
        ("acpi*:PNP0C0A:*", "battery", 7),
    ];
    for (key, value, priority) in entries {
        alias
            .insert(key, value, priority)
            .map_err(io::Error::other)?;
    }
    for (name, line) in [
        ("e1000e", "kernel/drivers/net/e1000e.ko: kernel/lib/crc.ko"),
        ("crc", "kernel/lib/crc.ko:"),
        (
            "snd_pcm",
            "kernel/sound/snd-pcm.ko.xz: kernel/sound/snd.ko kernel/lib/crc.ko",
        ),
    ] {
        dep.insert(name, line, 0).map_err(io::Error::other)?;
    }
    write(dir, "synth-alias.bin", &alias.to_bytes())?;
    write(dir, "synth-dep.bin", &dep.to_bytes())?;
    Ok(())
}

fn main() -> io::Result<()> {
    let seeds = env::args_os()
        .nth(1)
        .ok_or_else(|| io::Error::other("usage: kmod-rs-seedgen <seeds dir>"))?;
    let seeds = Path::new(&seeds);
    modules(&seeds.join("module_file"))?;
    indexes(&seeds.join("index"))
}
