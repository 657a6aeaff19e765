//! Module file parsing: decompression (by magic bytes), the ELF header and section table, every
//! section reader and the signature trailer. Any input must give values or an error, never a
//! panic, a hang or an unbounded allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use modfile::{parse_modinfo, parse_signature, ModuleFile};

fuzz_target!(|data: &[u8]| {
    // The raw bytes as a signature trailer and as a .modinfo section.
    let _ = parse_signature(data);
    let _ = parse_modinfo(data);
    let Ok(file) = ModuleFile::from_bytes("/fuzz/m.ko", data.to_vec()) else {
        return;
    };
    let _ = (file.path(), file.compression(), file.image().len());
    let _ = file.signature();
    let Ok(elf) = file.elf() else {
        return;
    };
    let _ = (
        elf.path(),
        elf.class(),
        elf.is_little_endian(),
        elf.machine(),
        elf.elf_type(),
        elf.section_count(),
        elf.section_table_end(),
    );
    let _ = file.truncated_signature(&elf);
    for name in [
        ".modinfo",
        "__versions",
        ".symtab",
        ".strtab",
        "__ksymtab_strings",
        ".shstrtab",
        "",
    ] {
        let _ = elf.section(name);
        let _ = elf.has_section(name);
        let _ = elf.require_section(name).map_err(|e| e.to_string());
    }
    if let Ok(entries) = elf.modinfo() {
        for entry in entries {
            let _ = (entry.key.len(), entry.value.len());
        }
    }
    let _ = elf.versions().map_err(|e| (e.to_string(), e.errno_like()));
    let _ = elf.exported_symbols();
    let _ = elf.dependency_symbols();
});
