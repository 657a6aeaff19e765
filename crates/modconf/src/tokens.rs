//! Splitting a configuration line the way kmod does (`strtok_r` with `" \t"`), on bytes: every
//! byte other than space and tab belongs to a field, whatever its value.

/// Is `b` one of the field delimiters of configuration lines (space or tab)?
pub fn is_field_delimiter(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Takes the next field of `s`: leading spaces/tabs are skipped, the field runs to the next space or
/// tab. Returns the field and the rest of the line after the **single** delimiter that ended it (empty
/// if the field ended the line). `None` when `s` holds no field.
pub fn next_field(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let start = s.iter().position(|&b| !is_field_delimiter(b))?;
    let from = s.get(start..)?;
    match from.iter().position(|&b| is_field_delimiter(b)) {
        Some(end) => Some((from.get(..end)?, from.get(end + 1..)?)),
        None => Some((from, &[])),
    }
}

/// The "rest of the line" argument (options, commands, dependency lists): whatever follows the
/// delimiter after the module name, verbatim, or `None` when nothing does.
pub fn rest_of_line(rest: &[u8]) -> Option<&[u8]> {
    if rest.is_empty() {
        None
    } else {
        Some(rest)
    }
}

/// All fields of `s`, delimited by runs of spaces and tabs.
pub fn fields(s: &[u8]) -> impl Iterator<Item = &[u8]> {
    s.split(|&b| is_field_delimiter(b))
        .filter(|f| !f.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(s: &[u8]) -> Option<(&[u8], &[u8])> {
        next_field(s)
    }

    #[test]
    fn next_field_skips_leading_and_eats_one_delimiter() {
        assert_eq!(next(b"  alias a b"), Some((&b"alias"[..], &b"a b"[..])));
        assert_eq!(
            next(b"options  m-x   spaced"),
            Some((&b"options"[..], &b" m-x   spaced"[..]))
        );
        assert_eq!(next(b"m\t\tcmd"), Some((&b"m"[..], &b"\tcmd"[..])));
        assert_eq!(next(b"last"), Some((&b"last"[..], &b""[..])));
        assert_eq!(next(b"x "), Some((&b"x"[..], &b""[..])));
        assert_eq!(next(b" \t "), None);
        assert_eq!(next(b""), None);
    }

    #[test]
    fn high_and_control_bytes_are_field_bytes() {
        assert_eq!(
            next(b"\xff\x01\xfe \xe9\x0bx"),
            Some((&b"\xff\x01\xfe"[..], &b"\xe9\x0bx"[..]))
        );
        let v: Vec<_> = fields(b"\xc3\xa9\t\x80 \r").collect();
        assert_eq!(v, [&b"\xc3\xa9"[..], b"\x80", b"\r"]);
    }

    #[test]
    fn rest_of_line_needs_content() {
        assert_eq!(rest_of_line(b""), None);
        assert_eq!(rest_of_line(b" "), Some(&b" "[..]));
    }

    #[test]
    fn fields_collapse_runs() {
        let v: Vec<_> = fields(b"\tpre:\ta\t\tpost: b ").collect();
        assert_eq!(v, [&b"pre:"[..], b"a", b"post:", b"b"]);
    }
}
