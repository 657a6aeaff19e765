//! A module as modprobe's lookup yields it (kmod's `struct kmod_module`, reduced to what modprobe
//! needs).

use std::path::PathBuf;

/// One module found by [`Prober::lookup`](super::Prober::lookup).
///
/// Like kmod's module objects, a candidate is identified by its name **and** the alias it was
/// found through: `crc32c_intel` reached through the alias `crypto_crc32c` and `crc32c_intel`
/// reached by name are different objects to kmod, which shows in the probe order (a module can be
/// listed twice) and in the options it gets (`options <alias> ...` lines apply through the alias).
///
/// Names, aliases and commands are bytes: they may come from configuration, which kmod takes as
/// it is written, valid UTF-8 or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Module name, normalised (`_`, no extension).
    pub name: Vec<u8>,
    /// The alias it was found through: the configuration pattern for `alias` lines, the
    /// normalised name looked up for index aliases and `symbol:` names; `None` when found by name.
    pub alias: Option<Vec<u8>>,
    /// Found through a built-in index (`modules.builtin.bin` or `modules.builtin.alias.bin`).
    pub builtin: bool,
    /// The module file when it was named by path (kmod 31+: `modprobe ./foo.ko`).
    pub path: Option<PathBuf>,
    /// An install command attached by the command step of the lookup (exact name match).
    pub install: Option<Vec<u8>>,
    /// A remove command attached by the command step of the lookup (exact name match).
    pub remove: Option<Vec<u8>>,
}

/// What makes two candidates the same kmod module object: name and alias.
pub(crate) type Identity = (Vec<u8>, Option<Vec<u8>>);

impl Candidate {
    /// A module known by its name.
    pub fn by_name(name: impl Into<Vec<u8>>) -> Candidate {
        Candidate {
            name: name.into(),
            alias: None,
            builtin: false,
            path: None,
            install: None,
            remove: None,
        }
    }

    /// A module reached through `alias`.
    pub fn via_alias(name: impl Into<Vec<u8>>, alias: impl Into<Vec<u8>>) -> Candidate {
        Candidate {
            alias: Some(alias.into()),
            ..Candidate::by_name(name)
        }
    }

    /// Marks the candidate as found through a built-in index.
    pub fn built_in(mut self) -> Candidate {
        self.builtin = true;
        self
    }

    /// kmod's identity of the module object.
    pub(crate) fn identity(&self) -> Identity {
        (self.name.clone(), self.alias.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_includes_the_alias() {
        let a = Candidate::by_name("crc32c_intel");
        let b = Candidate::via_alias("crc32c_intel", "crypto_crc32c");
        assert_ne!(a.identity(), b.identity());
        assert_eq!(a.identity(), Candidate::by_name("crc32c_intel").identity());
        assert!(Candidate::by_name("unix").built_in().builtin);
        assert!(!a.builtin);
    }
}
