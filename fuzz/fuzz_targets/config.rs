//! The modprobe.d and depmod.d parsers (with `modules.softdep`/`modules.weakdep` syntax), the
//! queries modprobe makes of the result, the `modprobe -c` dump, and the environment variable
//! parsers. Any input must give a configuration and diagnostics, never a panic or a hang.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use modconf::{kmod_log_priority, split_modprobe_options, DepmodConfig, ModprobeConfig};

/// Names queried in every configuration, besides those it mentions itself.
const FIXED_NAMES: &[&[u8]] = &[
    b"",
    b"snd_hda_intel",
    b"pci:v00008086d*",
    b"a-b",
    b"*",
    b"caf\xe9-\xff",
];

/// Most names taken from the configuration per input.
const MAX_NAMES: usize = 16;

fuzz_target!(|data: &[u8]| {
    let mut diags = Vec::new();
    let mut cfg = ModprobeConfig::default();
    cfg.parse_file(Path::new("/fuzz/modprobe.d/f.conf"), data, &mut diags);
    let mut names: Vec<Vec<u8>> = FIXED_NAMES.iter().map(|n| n.to_vec()).collect();
    let mentioned = cfg
        .aliases
        .iter()
        .flat_map(|a| [a.pattern.clone(), a.module.clone()])
        .chain(cfg.options.iter().map(|o| o.module.clone()))
        .chain(cfg.install.iter().map(|c| c.module.clone()))
        .chain(cfg.softdeps.iter().map(|s| s.module.clone()))
        .take(MAX_NAMES);
    names.extend(mentioned);
    for name in &names {
        let _ = cfg.alias_targets(name);
        let _ = cfg.is_blacklisted(name);
        let _ = cfg.options_for(name);
        let _ = cfg.install_for(name);
        let _ = cfg.remove_for(name);
        let _ = cfg.has_command_named(name);
        let _ = cfg.softdep_for(name).map(|s| s.show_text());
        let _ = cfg.weakdep_for(name).map(|w| w.show_text());
    }
    let _ = cfg.show_config();

    let mut depmod = DepmodConfig::default();
    depmod.parse_file(
        Path::new("/fuzz/depmod.d/f.conf"),
        data,
        "6.1.0-56-amd64",
        &mut diags,
    );
    let _ = depmod.effective_search();
    for path in [
        &b"kernel/fs/a.ko"[..],
        b"updates/a.ko",
        b"extra/b/a.ko.xz",
        b"/opt/ext/a.ko",
        b"upd\xe9/\xff.ko",
    ] {
        let _ = depmod.search_rank(path);
        let _ = depmod.is_higher_priority(b"a", path, b"kernel/fs/a.ko");
    }
    let _ = depmod.is_excluded_dir(b"build");
    for d in &diags {
        let _ = d.to_string();
        let _ = d.to_bytes();
    }

    let text = String::from_utf8_lossy(data);
    let _ = split_modprobe_options(&text);
    let _ = kmod_log_priority(&text);
});
