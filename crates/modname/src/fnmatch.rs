//! Shell-style pattern matching with the semantics of glibc `fnmatch(pattern, string, 0)`, byte by
//! byte (the C locale): `*` matches any run of bytes (including `/` and a leading `.`), `?` any one
//! byte, `[...]` a set (`!` or `^` negates, `]` first is literal, ranges `a-z`, classes `[:alpha:]`),
//! and `\` quotes the next byte. An unterminated `[` is an ordinary byte; a trailing `\` never matches.
//!
//! kmod matches aliases from configuration and from `modules.alias.bin` with exactly this function.

/// One element of a pattern that consumes exactly one byte of the text.
enum Single<'p> {
    Any,
    Byte(u8),
    Set { body: &'p [u8], negated: bool },
}

/// Does `text` match `pattern`? Never panics, runs in O(len(pattern) × len(text)) at worst.
pub fn fnmatch(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    // Where to resume after the most recent `*`: (pattern index after the star, text index it covers up to).
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p < pattern.len() && pattern[p] == b'*' {
            // Collapse runs of stars.
            while p < pattern.len() && pattern[p] == b'*' {
                p += 1;
            }
            star = Some((p, t));
            continue;
        }
        if p == pattern.len() && t == text.len() {
            return true;
        }
        let step = if p < pattern.len() && t < text.len() {
            match parse_single(pattern, p) {
                Some((single, next)) if matches_single(&single, text[t]) => Some(next),
                _ => None,
            }
        } else {
            None
        };
        match step {
            Some(next) => {
                p = next;
                t += 1;
            }
            None => match star {
                // Let the last star swallow one more byte and retry from just after it.
                Some((sp, st)) if st < text.len() => {
                    star = Some((sp, st + 1));
                    p = sp;
                    t = st + 1;
                }
                _ => return false,
            },
        }
    }
}

/// Parses the single-byte element starting at `pattern[p]` (not a `*`); returns it and the index after it.
/// `None` means the element can never match (a trailing backslash).
fn parse_single(pattern: &[u8], p: usize) -> Option<(Single<'_>, usize)> {
    match pattern[p] {
        b'?' => Some((Single::Any, p + 1)),
        b'\\' => pattern.get(p + 1).map(|&b| (Single::Byte(b), p + 2)),
        b'[' => Some(match bracket_end(pattern, p) {
            Some(end) => {
                let mut start = p + 1;
                let negated = matches!(pattern.get(start), Some(b'!') | Some(b'^'));
                if negated {
                    start += 1;
                }
                (
                    Single::Set {
                        body: &pattern[start..end],
                        negated,
                    },
                    end + 1,
                )
            }
            None => (Single::Byte(b'['), p + 1),
        }),
        b => Some((Single::Byte(b), p + 1)),
    }
}

/// Index of the `]` closing the bracket expression that opens at `pattern[open]`, if it is closed.
fn bracket_end(pattern: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    if matches!(pattern.get(i), Some(b'!') | Some(b'^')) {
        i += 1;
    }
    // A `]` right at the start is a literal member.
    if pattern.get(i) == Some(&b']') {
        i += 1;
    }
    while i < pattern.len() {
        match pattern[i] {
            b']' => return Some(i),
            b'\\' => i += 2,
            b'[' if pattern.get(i + 1) == Some(&b':') => {
                // A character class `[:name:]` may contain `]` only as its terminator.
                match find_class_end(pattern, i + 2) {
                    Some(end) => i = end + 2,
                    None => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// Position of the `:` of the `:]` that ends a class name starting at `from`.
fn find_class_end(pattern: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 1 < pattern.len() {
        if pattern[i] == b':' && pattern[i + 1] == b']' {
            return Some(i);
        }
        if !pattern[i].is_ascii_alphabetic() {
            return None;
        }
        i += 1;
    }
    None
}

fn matches_single(single: &Single<'_>, c: u8) -> bool {
    match single {
        Single::Any => true,
        Single::Byte(b) => *b == c,
        Single::Set { body, negated } => set_contains(body, c) != *negated,
    }
}

/// Does the bracket body (between `[`/`[!` and the closing `]`) contain `c`?
fn set_contains(body: &[u8], c: u8) -> bool {
    let mut i = 0;
    while i < body.len() {
        // One member: a class, an escaped byte, or a plain byte; possibly the start of a range.
        let lo = if body[i] == b'[' && body.get(i + 1) == Some(&b':') {
            if let Some(end) = find_class_end(body, i + 2) {
                if class_contains(&body[i + 2..end], c) {
                    return true;
                }
                i = end + 2;
                continue;
            }
            i += 1;
            b'['
        } else if body[i] == b'\\' && i + 1 < body.len() {
            i += 2;
            body[i - 1]
        } else {
            i += 1;
            body[i - 1]
        };
        // A range `lo-hi`, unless the `-` is the last byte of the set.
        if body.get(i) == Some(&b'-') && i + 1 < body.len() {
            let mut j = i + 1;
            let hi = if body[j] == b'\\' && j + 1 < body.len() {
                j += 1;
                body[j]
            } else {
                body[j]
            };
            if lo <= c && c <= hi {
                return true;
            }
            i = j + 1;
        } else if lo == c {
            return true;
        }
    }
    false
}

fn class_contains(name: &[u8], c: u8) -> bool {
    match name {
        b"alnum" => c.is_ascii_alphanumeric(),
        b"alpha" => c.is_ascii_alphabetic(),
        b"blank" => c == b' ' || c == b'\t',
        b"cntrl" => c.is_ascii_control(),
        b"digit" => c.is_ascii_digit(),
        b"graph" => c.is_ascii_graphic(),
        b"lower" => c.is_ascii_lowercase(),
        b"print" => c.is_ascii_graphic() || c == b' ',
        b"punct" => c.is_ascii_punctuation(),
        b"space" => c.is_ascii_whitespace() || c == 0x0b,
        b"upper" => c.is_ascii_uppercase(),
        b"xdigit" => c.is_ascii_hexdigit(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::fnmatch;

    fn m(p: &str, t: &str) -> bool {
        fnmatch(p.as_bytes(), t.as_bytes())
    }

    #[test]
    fn literals_and_wildcards() {
        assert!(m("abc", "abc"));
        assert!(!m("abc", "abd"));
        assert!(!m("abc", "abcd"));
        assert!(m("a?c", "abc"));
        assert!(m("*", ""));
        assert!(m("a*", "a/b/.c"));
        assert!(m("*b*d", "abcbd"));
        assert!(!m("*b*d", "abcbe"));
        assert!(m(
            "pci:v00008086d*sv*sd*bc*sc*i*",
            "pci:v00008086d00001234sv0sd0bc02sc00i00"
        ));
        assert!(!m(
            "pci:v00008086d*sv*sd*bc*sc*i*",
            "pci:v00008087d00001234sv0sd0bc02sc00i00"
        ));
    }

    #[test]
    fn brackets() {
        assert!(m("[0-9]x", "5x"));
        assert!(!m("[0-9]x", "ax"));
        assert!(m("[!0-9]x", "ax"));
        assert!(m("[^0-9]x", "ax"));
        assert!(m("[]]", "]"));
        assert!(m("[!]]", "a"));
        assert!(m("[a-]", "-"));
        assert!(m("[[:digit:]]", "7"));
        assert!(!m("[[:digit:]]", "x"));
        assert!(m("[[:alpha:]_]", "_"));
        // Unterminated bracket: `[` is literal.
        assert!(m("a[b", "a[b"));
        assert!(!m("a[b", "ab"));
    }

    #[test]
    fn escapes() {
        assert!(m("a\\*", "a*"));
        assert!(!m("a\\*", "ab"));
        assert!(!m("a\\", "a\\"));
        assert!(m("[\\]]", "]"));
    }

    #[test]
    fn pathological_patterns_terminate() {
        let p = "*a".repeat(200);
        let t = "a".repeat(2000) + "b";
        assert!(!m(&p, &t));
    }
}
