//! Configuration from the environment (config.md §7): `MODPROBE_OPTIONS` and `KMOD_LOG`, both
//! verified against kmod 30 as a black box.

/// Splits `MODPROBE_OPTIONS` into the arguments modprobe prepends to its command line, with kmod's
/// exact (odd) rules:
/// * every space ends the current argument, so `x  y` gives `x`, ``, `y` and a leading space gives
///   an empty first argument; a trailing space adds nothing; tabs and backslashes are ordinary;
/// * a quote (`"` or `'`) at the start of an argument makes the quoted text the whole argument,
///   ended by the closing quote (`"a b"c` gives `a b`, `c`; `"a b" c` gives `a b`, ``, `c`);
/// * a quote inside an argument is removed and its text joined in (`a"b c"d` gives `ab cd`);
/// * a quote without a closing one is kept, and the rest of the value is one argument.
pub fn split_modprobe_options(value: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut rest = value;
    while let Some(c) = rest.chars().next() {
        let after = rest.get(c.len_utf8()..).unwrap_or("");
        match c {
            ' ' => {
                args.push(std::mem::take(&mut current));
                rest = after;
            }
            '"' | '\'' => match after.find(c) {
                Some(close) => {
                    let quoted = after.get(..close).unwrap_or("");
                    if current.is_empty() {
                        args.push(quoted.to_string());
                    } else {
                        current.push_str(quoted);
                    }
                    rest = after.get(close + 1..).unwrap_or("");
                }
                None => {
                    current.push_str(rest);
                    rest = "";
                }
            },
            _ => {
                current.push(c);
                rest = after;
            }
        }
    }
    if !current.is_empty() {
        args.push(current);
    }
    args
}

/// syslog priority of errors (`LOG_ERR`), libkmod's default when `KMOD_LOG` is unset.
pub const LOG_ERR: i32 = 3;
/// syslog priority `LOG_INFO`.
pub const LOG_INFO: i32 = 6;
/// syslog priority `LOG_DEBUG`.
pub const LOG_DEBUG: i32 = 7;

/// libkmod's log priority for a `KMOD_LOG` value: a decimal number (leading whitespace allowed,
/// optional sign, ended by the end of the value or whitespace), else a value starting with `err`,
/// `info` or `debug`; anything else is 0, which hides even errors (`KMOD_LOG=warning` does).
pub fn kmod_log_priority(value: &str) -> i32 {
    let trimmed = value.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b');
    let unsigned = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    let digits = unsigned.len()
        - unsigned
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .len();
    if digits > 0 {
        let number_end = trimmed.len() - unsigned.len() + digits;
        let ends_ok = match trimmed.get(number_end..).and_then(|r| r.chars().next()) {
            None => true,
            Some(c) => c.is_ascii_whitespace() || c == '\x0b',
        };
        if ends_ok {
            let text = trimmed.get(..number_end).unwrap_or("0");
            let n: i64 = text.parse().unwrap_or(if text.starts_with('-') {
                i64::MIN
            } else {
                i64::MAX
            });
            return n.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
        }
    } else if value.is_empty() || value.starts_with(|c: char| c.is_ascii_whitespace()) {
        // strtol found no number and stopped at the start: "" or whitespace-only counts as 0.
        return 0;
    }
    if value.starts_with("err") {
        LOG_ERR
    } else if value.starts_with("info") {
        LOG_INFO
    } else if value.starts_with("debug") {
        LOG_DEBUG
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(v: &str) -> Vec<String> {
        split_modprobe_options(v)
    }

    // Every expectation below was observed with kmod 30 (`MODPROBE_OPTIONS=... modprobe -a -n`).
    #[test]
    fn spaces_split_one_by_one() {
        assert_eq!(split("-C c4"), ["-C", "c4"]);
        assert_eq!(split("x  y"), ["x", "", "y"]);
        assert_eq!(split(" x y "), ["", "x", "y"]);
        assert_eq!(split("x\ty"), ["x\ty"]);
        assert_eq!(split("a\\ b"), ["a\\", "b"]);
        assert!(split("").is_empty());
    }

    #[test]
    fn leading_quotes_make_whole_arguments() {
        assert_eq!(split("-C \"q dir\""), ["-C", "q dir"]);
        assert_eq!(split("-C 'q dir'"), ["-C", "q dir"]);
        assert_eq!(split("\"a b\"c d"), ["a b", "c", "d"]);
        assert_eq!(split("\"a b\" c"), ["a b", "", "c"]);
        assert_eq!(split("'a \"b' c"), ["a \"b", "", "c"]);
        assert_eq!(split("\"a\""), ["a"]);
        assert_eq!(split("\"\" x"), ["", "", "x"]);
        assert_eq!(split("a \"\" b"), ["a", "", "", "b"]);
        assert_eq!(split("'a' b"), ["a", "", "b"]);
    }

    #[test]
    fn inner_quotes_are_removed() {
        assert_eq!(split("q\" \"dir"), ["q dir"]);
        assert_eq!(split("a\"b c\"d e"), ["ab cd", "e"]);
        assert_eq!(split("x\"a b\""), ["xa b"]);
        assert_eq!(split("\"a\"b\"c d\""), ["a", "bc d"]);
    }

    #[test]
    fn unterminated_quotes_are_kept() {
        assert_eq!(split("\"a b"), ["\"a b"]);
        assert_eq!(split("a'b c"), ["a'b c"]);
        assert_eq!(split("a\"b"), ["a\"b"]);
        assert_eq!(split("-C \"q dir"), ["-C", "\"q dir"]);
    }

    // Observed with kmod 30 by counting ERROR/INFO/DEBUG lines for each KMOD_LOG value.
    #[test]
    fn kmod_log_values() {
        for (v, want) in [
            ("3", 3),
            ("6", 6),
            ("7", 7),
            ("99", 99),
            ("-1", -1),
            (" 6", 6),
            ("6 ", 6),
            ("err", 3),
            ("error", 3),
            ("info", 6),
            ("debug", 7),
            ("warning", 0),
            ("e", 0),
            ("6x", 0),
            ("", 0),
            ("abc", 0),
            ("99999999999999999999", i32::MAX),
        ] {
            assert_eq!(kmod_log_priority(v), want, "{v:?}");
        }
    }
}
