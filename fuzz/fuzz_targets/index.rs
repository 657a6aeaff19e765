//! The `.bin` index reader: header check, exact lookups (first value and all values), wildcard
//! lookups and the full enumeration, with keys taken from the index itself (so that lookups reach
//! deep nodes) and a few fixed ones. Any input must give values or an error, never a panic or a
//! hang (offset loops, shared subtrees, absurd value counts).
#![no_main]

use libfuzzer_sys::fuzz_target;
use modindex::Index;

/// Keys looked up in every index, whatever it holds.
const FIXED_KEYS: &[&str] = &[
    "",
    "a",
    "*",
    "?",
    "[",
    "snd_hda_intel",
    "pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00",
    "symbol:printk",
    "usb:v*p*d*",
    "[a-z]*",
];

/// Most keys taken from the index per input.
const MAX_KEYS: usize = 24;

fuzz_target!(|data: &[u8]| {
    let Ok(index) = Index::from_bytes("/fuzz/modules.alias.bin", data.to_vec()) else {
        return;
    };
    let mut keys: Vec<String> = FIXED_KEYS.iter().map(|k| k.to_string()).collect();
    let _ = index.for_each(|key, value| {
        let _ = value.priority;
        if keys.len() < FIXED_KEYS.len() + MAX_KEYS {
            keys.push(key.to_string());
            // Variants: one byte shorter, with a trailing wildcard, with the value appended.
            let mut shorter = key.to_string();
            shorter.pop();
            keys.push(shorter.clone());
            keys.push(format!("{shorter}*"));
            keys.push(format!("{key}{}", value.value));
        }
    });
    let _ = index.dump_to_string();
    for key in &keys {
        let _ = index.lookup(key);
        let _ = index.lookup_values(key);
        let _ = index.lookup_wild(key).map_err(|e| e.to_string());
    }
});
