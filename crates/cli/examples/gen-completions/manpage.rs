//! Reads the options a man page documents: the `.TP` items of one `.SH` section.
//!
//! The pages in `man/` write each option item as
//!
//! ```text
//! .TP
//! \fB\-F\fR, \fB\-\-field\fR=\fIfield\fR
//! One sentence that says what it does. More text...
//! ```
//!
//! The tag line lists every spelling separated by `, `; an argument follows the name after `=` or a
//! space. The first sentence of the body is the option's summary (used in shell completions).

/// One spelling of an option on a tag line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocName {
    /// `-F` or `--field`.
    pub name: String,
    /// The argument's placeholder, if the spelling shows one.
    pub arg: Option<String>,
}

/// One documented option item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocOption {
    /// Every spelling on the tag line.
    pub names: Vec<DocName>,
    /// The first sentence of the description, as plain text.
    pub summary: String,
}

/// The option items of section `section` (the `.SH` title, without quotes) of a man page.
/// An error if the section is missing or an item's tag is not a list of options.
pub fn section_options(page: &str, section: &str) -> Result<Vec<DocOption>, String> {
    let lines: Vec<&str> = page.lines().collect();
    let start = lines
        .iter()
        .position(|l| macro_args(l, "SH").is_some_and(|a| plain_text(unquote(a)) == section))
        .ok_or_else(|| format!("no section .SH {section}"))?;
    let body = &lines[start + 1..];
    let end = body
        .iter()
        .position(|l| macro_args(l, "SH").is_some())
        .unwrap_or(body.len());
    let body = &body[..end];
    let mut items = Vec::new();
    let mut k = 0;
    while k < body.len() {
        if body[k].trim_end() != ".TP" {
            k += 1;
            continue;
        }
        let tag = body
            .get(k + 1)
            .ok_or_else(|| format!("{section}: .TP without a tag line"))?;
        let names = parse_tag(tag).map_err(|e| format!("{section}: {e}"))?;
        k += 2;
        let mut text = Vec::new();
        while let Some(line) = body.get(k) {
            match line_text(line) {
                Some(t) => text.push(t),
                None => break,
            }
            k += 1;
        }
        items.push(DocOption {
            names,
            summary: first_sentence(&text.join(" ")),
        });
    }
    Ok(items)
}

/// The arguments of `line` if it is the request `.name`.
fn macro_args<'l>(line: &'l str, name: &str) -> Option<&'l str> {
    let rest = line.strip_prefix('.')?.strip_prefix(name)?;
    if rest.is_empty() {
        Some("")
    } else if rest.starts_with([' ', '\t']) {
        Some(rest.trim())
    } else {
        None
    }
}

/// Removes surrounding double quotes.
fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

/// Parses a tag line into its spellings: `\fB\-n\fR, \fB\-\-show\fR` → `-n`, `--show`.
pub fn parse_tag(tag: &str) -> Result<Vec<DocName>, String> {
    let plain = plain_text(tag);
    plain
        .split(", ")
        .map(|piece| {
            let piece = piece.trim();
            if !piece.starts_with('-') {
                return Err(format!("tag `{plain}`: `{piece}` is not an option"));
            }
            let (name, arg) = match piece.find(['=', ' ']) {
                Some(at) => (&piece[..at], Some(piece[at + 1..].trim().to_string())),
                None => (piece, None),
            };
            let valid = match name.strip_prefix("--") {
                Some(long) => {
                    !long.is_empty()
                        && long
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                }
                None => {
                    name.len() == 2
                        && name
                            .chars()
                            .nth(1)
                            .is_some_and(|c| c.is_ascii_alphanumeric())
                }
            };
            if !valid {
                return Err(format!("tag `{plain}`: `{name}` is not an option name"));
            }
            Ok(DocName {
                name: name.to_string(),
                arg: arg.filter(|a| !a.is_empty()),
            })
        })
        .collect()
}

/// The text a body line contributes, or `None` for a request that ends the item's first paragraph.
fn line_text(line: &str) -> Option<String> {
    let Some(request) = line.strip_prefix('.') else {
        return Some(plain_text(line));
    };
    let (name, args) = request.split_once([' ', '\t']).unwrap_or((request, ""));
    match name {
        "B" | "I" => Some(plain_text(unquote(args.trim()))),
        "BR" | "RB" | "IR" | "RI" | "BI" | "IB" => Some(
            split_args(args)
                .iter()
                .map(|a| plain_text(a))
                .collect::<String>(),
        ),
        _ => None,
    }
}

/// Splits macro arguments at spaces, keeping double-quoted ones together.
fn split_args(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in args.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            ' ' | '\t' if !quoted => {
                if any {
                    out.push(std::mem::take(&mut current));
                    any = false;
                }
            }
            c => {
                current.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(current);
    }
    out
}

/// Removes roff escapes: font changes, `\-`, `\&`, `\e`, `\(aq` and friends.
pub fn plain_text(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('f') => {
                chars.next();
            }
            Some('-') => out.push('-'),
            Some('e') => out.push('\\'),
            Some('&') | Some('%') => {}
            Some('(') => {
                let name: String = chars.by_ref().take(2).collect();
                out.push_str(match name.as_str() {
                    "aq" => "'",
                    "dq" => "\"",
                    "em" => "—",
                    "en" => "–",
                    "ti" => "~",
                    "ha" => "^",
                    "rs" => "\\",
                    "bu" => "•",
                    _ => "",
                });
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// The first sentence of `text` (up to the first `. `, `; ` or the end), whitespace collapsed.
fn first_sentence(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = Vec::new();
    for word in words {
        out.push(word);
        let ends = word.ends_with('.') && !word.ends_with("e.g.") && !word.ends_with("i.e.");
        if ends || word.ends_with(';') {
            break;
        }
    }
    out.join(" ").trim_end_matches(['.', ';']).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#".TH X 8
.SH NAME
x \- test
.SH OPTIONS
.TP
\fB\-F\fR, \fB\-\-field\fR=\fIfield\fR
Print only the values of
.IR field .
More text.
.TP
\fB\-n\fR, \fB\-\-show\fR, \fB\-\-dry\-run\fR
Write to standard output, e.g. for testing; then more.
.RS
.PP
Indented.
.RE
.TP
\fB\-k\fR \fIversion\fR
Use
.BR uname (2)
otherwise
.SH "SEE ALSO"
.TP
\fB\-z\fR
Not in the section.
"#;

    #[test]
    fn reads_items_of_one_section() {
        let items = section_options(PAGE, "OPTIONS").unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(
            items[0].names,
            [
                DocName {
                    name: "-F".into(),
                    arg: None
                },
                DocName {
                    name: "--field".into(),
                    arg: Some("field".into())
                },
            ]
        );
        assert_eq!(items[0].summary, "Print only the values of field");
        let names: Vec<&str> = items[1].names.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["-n", "--show", "--dry-run"]);
        assert_eq!(
            items[1].summary,
            "Write to standard output, e.g. for testing"
        );
        assert_eq!(items[2].names[0].arg.as_deref(), Some("version"));
        assert_eq!(items[2].summary, "Use uname(2) otherwise");
        assert_eq!(section_options(PAGE, "SEE ALSO").unwrap().len(), 1);
        assert!(section_options(PAGE, "FILES").is_err());
    }

    #[test]
    fn rejects_tags_that_are_not_options() {
        assert!(parse_tag("\\fBfoo\\fR").is_err());
        assert!(parse_tag("\\fB\\-ab\\fR").is_err());
        assert!(parse_tag("\\fB\\-\\-\\fR").is_err());
        assert!(parse_tag("\\fB\\-0\\fR, \\fB\\-\\-null\\fR").is_ok());
    }
}
