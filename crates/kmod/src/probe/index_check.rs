//! What kmod says about bad index headers when modprobe maps the indexes at start-up
//! (`kmod_load_resources`): the indexes are opened in a fixed order and the first one that cannot
//! be used stops the loading (later lookups open the files one by one and silently skip unusable
//! ones). Only a bad magic or major version is reported; a missing, empty or short file is silent.
//! A failing `modules.builtin.alias.bin` does not stop the loading (it is optional).

use std::fmt;

use crate::context::IndexKind;
use crate::{Context, Error};

/// The order in which kmod maps the indexes.
const LOAD_ORDER: [IndexKind; 5] = [
    IndexKind::Dep,
    IndexKind::Alias,
    IndexKind::Symbols,
    IndexKind::BuiltinAlias,
    IndexKind::Builtin,
];

/// A bad index header, worded as kmod words it (tool logger, ERROR level).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexProblem {
    /// The first word is not the index magic.
    BadMagic {
        /// The word found.
        magic: u32,
    },
    /// The major version is not 2.
    BadVersion {
        /// The major version found.
        major: u32,
    },
}

impl fmt::Display for IndexProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexProblem::BadMagic { magic } => {
                write!(f, "magic check fail: {magic:x} instead of b007f457")
            }
            IndexProblem::BadVersion { major } => {
                write!(f, "major version check fail: {major} instead of 2")
            }
        }
    }
}

/// Opens the indexes in kmod's order and returns the messages kmod prints for them.
pub fn check_indexes(ctx: &Context) -> Vec<IndexProblem> {
    let mut problems = Vec::new();
    for kind in LOAD_ORDER {
        let problem = match ctx.index(kind) {
            Ok(Some(_)) => continue,
            Ok(None) => None,
            Err(Error::Index(modindex::Error::BadMagic { magic, .. })) => {
                Some(IndexProblem::BadMagic { magic })
            }
            Err(Error::Index(modindex::Error::BadVersion { version, .. })) => {
                Some(IndexProblem::BadVersion {
                    major: version >> 16,
                })
            }
            Err(_) => None,
        };
        problems.extend(problem);
        if kind != IndexKind::BuiltinAlias {
            break;
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::lookup::tests::tree;

    fn write(dir: &std::path::Path, kind: IndexKind, bytes: &[u8]) {
        std::fs::write(dir.join(kind.file_name()), bytes).unwrap();
    }

    #[test]
    fn good_indexes_say_nothing() {
        let (_d, ctx) = tree();
        assert!(check_indexes(&ctx).is_empty());
    }

    #[test]
    fn first_failure_stops_except_builtin_alias() {
        let (dir, ctx) = tree();
        write(dir.path(), IndexKind::Alias, b"garbage-garbage");
        write(dir.path(), IndexKind::Symbols, b"garbage-garbage");
        let msgs: Vec<String> = check_indexes(&ctx).iter().map(|p| p.to_string()).collect();
        assert_eq!(msgs, ["magic check fail: 67617262 instead of b007f457"]);

        let (dir, ctx) = tree();
        write(
            dir.path(),
            IndexKind::BuiltinAlias,
            b"\xb0\x07\xf4\x57\x00\x03\x00\x01\x00\x00\x00\x0c",
        );
        write(dir.path(), IndexKind::Builtin, b"garbage-garbage");
        let msgs: Vec<String> = check_indexes(&ctx).iter().map(|p| p.to_string()).collect();
        assert_eq!(
            msgs,
            [
                "major version check fail: 3 instead of 2",
                "magic check fail: 67617262 instead of b007f457"
            ]
        );
    }

    #[test]
    fn silent_failures_stop_too() {
        let (dir, ctx) = tree();
        std::fs::remove_file(dir.path().join(IndexKind::Dep.file_name())).unwrap();
        write(dir.path(), IndexKind::Alias, b"garbage-garbage");
        assert!(check_indexes(&ctx).is_empty());
        let (dir, ctx) = tree();
        write(dir.path(), IndexKind::Dep, b"abc");
        write(dir.path(), IndexKind::Alias, b"garbage-garbage");
        assert!(check_indexes(&ctx).is_empty());
    }
}
