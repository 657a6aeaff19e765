//! A small, fast, non-cryptographic hasher for depmod's symbol tables (the "Fx" hash used by
//! rustc). Symbol names come from the module files being indexed, not from an adversary that
//! could exploit collisions, and SipHash cost a measurable share of depmod's run time.

use std::hash::{BuildHasherDefault, Hasher};

/// The multiplier of the Fx hash.
const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// Fx hasher state.
#[derive(Debug, Clone, Copy, Default)]
pub struct FxHasher {
    hash: u64,
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// Builds [`FxHasher`]s for `HashMap`s.
pub type FxBuildHasher = BuildHasherDefault<FxHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::hash::BuildHasher;

    #[test]
    fn distinguishes_and_works_in_maps() {
        let b = FxBuildHasher::default();
        assert_ne!(b.hash_one("printk"), b.hash_one("printk_"));
        assert_ne!(b.hash_one("abcdefgh1"), b.hash_one("abcdefgh2"));
        assert_eq!(b.hash_one("same"), b.hash_one("same"));
        let mut m: HashMap<&str, u32, FxBuildHasher> = HashMap::default();
        m.insert("a", 1);
        m.insert("b", 2);
        assert_eq!(m.get("b"), Some(&2));
    }
}
