//! The kernel command line parser (`/proc/cmdline` → options and blacklist entries), alone and as
//! modprobe uses it (appended to a configuration, then dumped). Any input must give entries and
//! diagnostics, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use modconf::{parse_kcmdline, ModprobeConfig};

fuzz_target!(|data: &[u8]| {
    let mut diags = Vec::new();
    let entries = parse_kcmdline(data, &mut diags);
    let mut cfg = ModprobeConfig::default();
    cfg.parse_kernel_cmdline(data, &mut diags);
    assert_eq!(cfg.options.len() + cfg.blacklist.len(), entries.len());
    for entry in &entries {
        if let modconf::KcmdlineEntry::Options { module, .. } = entry {
            let _ = cfg.options_for(module);
        }
    }
    let _ = cfg.show_config();
    for d in &diags {
        let _ = d.to_string();
        let _ = d.to_bytes();
    }
});
