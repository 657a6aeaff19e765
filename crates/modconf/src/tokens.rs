//! Splitting a configuration line the way kmod does (`strtok_r` with `" \t"`).

/// Is `c` one of the field delimiters of configuration lines (space or tab)?
pub fn is_field_delimiter(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Takes the next field of `s`: leading spaces/tabs are skipped, the field runs to the next space or
/// tab. Returns the field and the rest of the line after the **single** delimiter that ended it (empty
/// if the field ended the line). `None` when `s` holds no field.
pub fn next_field(s: &str) -> Option<(&str, &str)> {
    let start = s.find(|c: char| !is_field_delimiter(c))?;
    let from = s.get(start..)?;
    match from.find(is_field_delimiter) {
        // Delimiters are one byte long, so `end + 1` is a character boundary.
        Some(end) => Some((from.get(..end)?, from.get(end + 1..)?)),
        None => Some((from, "")),
    }
}

/// The "rest of the line" argument (options, commands, dependency lists): whatever follows the
/// delimiter after the module name, verbatim, or `None` when nothing does.
pub fn rest_of_line(rest: &str) -> Option<&str> {
    if rest.is_empty() {
        None
    } else {
        Some(rest)
    }
}

/// All fields of `s`, delimited by runs of spaces and tabs.
pub fn fields(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_field_delimiter).filter(|f| !f.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_field_skips_leading_and_eats_one_delimiter() {
        assert_eq!(next_field("  alias a b"), Some(("alias", "a b")));
        assert_eq!(
            next_field("options  m-x   spaced"),
            Some(("options", " m-x   spaced"))
        );
        assert_eq!(next_field("m\t\tcmd"), Some(("m", "\tcmd")));
        assert_eq!(next_field("last"), Some(("last", "")));
        assert_eq!(next_field("x "), Some(("x", "")));
        assert_eq!(next_field(" \t "), None);
        assert_eq!(next_field(""), None);
    }

    #[test]
    fn rest_of_line_needs_content() {
        assert_eq!(rest_of_line(""), None);
        assert_eq!(rest_of_line(" "), Some(" "));
    }

    #[test]
    fn fields_collapse_runs() {
        let v: Vec<_> = fields("\tpre:\ta\t\tpost: b ").collect();
        assert_eq!(v, ["pre:", "a", "post:", "b"]);
    }
}
