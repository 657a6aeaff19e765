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
        match c {
            '[' if !in_bracket => in_bracket = true,
            ']' if in_bracket => in_bracket = false,
            ']' => {
                return Err(NormalizeError {
                    input: s.to_string(),
                })
            }
            _ => {}
        }
        out.push(if c == '-' && !in_bracket { '_' } else { c });
    }
    if in_bracket {
        return Err(NormalizeError {
            input: s.to_string(),
        });
    }
    Ok(out)
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
}
