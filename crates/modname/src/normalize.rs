//! Name normalisation: `-` and `_` are the same character in module names (config.md §4).

use std::fmt;

/// A name or pattern whose bracket expressions are not balanced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizeError {
    /// The offending input.
    pub input: String,
}

impl fmt::Display for NormalizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unmatched bracket in '{}'", self.input)
    }
}

impl std::error::Error for NormalizeError {}

/// Module name of a file name or path: the basename up to its first `.`, with `-` turned into `_`
/// (`foo-bar.ko.zst` → `foo_bar`).
pub fn modname_normalize(file_name: &str) -> String {
    let base = file_name.rsplit('/').next().unwrap_or(file_name);
    let stem = base.split('.').next().unwrap_or(base);
    stem.replace('-', "_")
}

/// kmod's `underscores()`/`alias_normalize()`: `-` → `_` everywhere except inside `[...]` bracket
/// expressions, so that ranges such as `[0-9]` survive. A `]` without `[`, or an unterminated `[`,
/// is an error.
pub fn underscores(s: &str) -> Result<String, NormalizeError> {
    let mut out = String::with_capacity(s.len());
    let mut in_bracket = false;
    for c in s.chars() {
        in_bracket = bracket_state(c as u32, in_bracket).ok_or_else(|| NormalizeError {
            input: s.to_string(),
        })?;
        out.push(if c == '-' && !in_bracket { '_' } else { c });
    }
    if in_bracket {
        return Err(NormalizeError {
            input: s.to_string(),
        });
    }
    Ok(out)
}

/// [`underscores`] on bytes, as kmod applies it to configuration words and names, which need not
/// be valid UTF-8. Only the ASCII bytes `-`, `[` and `]` are looked at; every other byte is kept.
/// The error's `input` is the name with invalid UTF-8 replaced (it is only for messages).
pub fn underscores_bytes(s: &[u8]) -> Result<Vec<u8>, NormalizeError> {
    let mut out = Vec::with_capacity(s.len());
    let mut in_bracket = false;
    for &b in s {
        in_bracket = bracket_state(u32::from(b), in_bracket).ok_or_else(|| NormalizeError {
            input: String::from_utf8_lossy(s).into_owned(),
        })?;
        out.push(if b == b'-' && !in_bracket { b'_' } else { b });
    }
    if in_bracket {
        return Err(NormalizeError {
            input: String::from_utf8_lossy(s).into_owned(),
        });
    }
    Ok(out)
}

/// Whether the next character is inside a bracket expression after character `c` (given as a code
/// point or byte value); `None` for a `]` outside one.
fn bracket_state(c: u32, in_bracket: bool) -> Option<bool> {
    match c {
        0x5b if !in_bracket => Some(true), // '['
        0x5d if in_bracket => Some(false), // ']'
        0x5d => None,
        _ => Some(in_bracket),
    }
}

/// Normalises an alias or module name given by a user or found in `.modinfo` (same rules as
/// [`underscores`]).
pub fn alias_normalize(s: &str) -> Result<String, NormalizeError> {
    underscores(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modname_from_paths() {
        assert_eq!(modname_normalize("kernel/fs/foo-bar.ko.zst"), "foo_bar");
        assert_eq!(modname_normalize("/a/b.c/x-y.ko"), "x_y");
        assert_eq!(modname_normalize("plain"), "plain");
    }

    #[test]
    fn underscores_keeps_brackets() {
        assert_eq!(underscores("snd-hda-[0-9]").unwrap(), "snd_hda_[0-9]");
        assert_eq!(underscores("a-b[x-y]c-d").unwrap(), "a_b[x-y]c_d");
        assert!(underscores("a]b").is_err());
        assert!(underscores("a[b-c").is_err());
        assert_eq!(underscores("").unwrap(), "");
    }

    #[test]
    fn underscores_on_bytes_keeps_every_other_byte() {
        assert_eq!(
            underscores_bytes(b"caf\xe9-x[\xff-\xfe]-y").unwrap(),
            b"caf\xe9_x[\xff-\xfe]_y"
        );
        assert_eq!(underscores_bytes(b"").unwrap(), b"");
        let err = underscores_bytes(b"a\xff]").unwrap_err();
        assert_eq!(err.input, "a\u{fffd}]");
        assert!(underscores_bytes(b"[\xff").is_err());
        for s in ["snd-hda-[0-9]", "a-b[x-y]c-d", "\u{e9}-\u{e8}"] {
            assert_eq!(
                underscores_bytes(s.as_bytes()).unwrap(),
                underscores(s).unwrap().as_bytes()
            );
        }
    }
}
