//! Reads a tool's option table — the `pub const OPTIONS: &[OptSpec] = &[...]` that the tool hands to
//! `getopt::parse` — from the cli crate's source text.
//!
//! Reading the text rather than the compiled constant lets the generator and the man-page test pick
//! up a tool's table as soon as it is written, wherever in the tool's files it lives, without anyone
//! registering it. `tests/man_options.rs` checks this reader against the compiled tables.

use std::fs;
use std::path::{Path, PathBuf};

/// One option as the table declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableOpt {
    /// The identifier the tool matches on.
    pub id: String,
    /// Short letter, if any.
    pub short: Option<char>,
    /// Long name without `--`, if any.
    pub long: Option<String>,
    /// Whether the option takes an argument.
    pub takes_arg: bool,
}

/// A table found in a source file.
#[derive(Debug, Clone)]
pub struct Table {
    /// The file it was read from.
    pub file: PathBuf,
    /// Its entries, in table order.
    pub opts: Vec<TableOpt>,
}

/// The marker that starts a table.
const MARKER: &str = "pub const OPTIONS: &[";

/// Finds the option table among `paths` (files, or directories searched recursively for `.rs`
/// files). `Ok(None)` when no file declares one (the tool is not written yet); an error when several
/// do or when a table cannot be read.
pub fn find_table(paths: &[PathBuf]) -> Result<Option<Table>, String> {
    let mut files = Vec::new();
    for path in paths {
        collect_rs_files(path, &mut files)?;
    }
    files.sort();
    let mut found: Option<Table> = None;
    for file in files {
        let text = fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let Some(opts) = parse_table(&text).map_err(|e| format!("{}: {e}", file.display()))? else {
            continue;
        };
        if let Some(previous) = &found {
            return Err(format!(
                "two option tables: {} and {}",
                previous.file.display(),
                file.display()
            ));
        }
        found = Some(Table { file, opts });
    }
    Ok(found)
}

/// Adds `path` (a file) or every `.rs` file below it (a directory); a missing path adds nothing.
fn collect_rs_files(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    if path.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    if !path.is_dir() {
        return Ok(());
    }
    let entries = fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", path.display()))?;
        let child = entry.path();
        if child.is_dir() || child.extension().is_some_and(|x| x == "rs") {
            collect_rs_files(&child, out)?;
        }
    }
    Ok(())
}

/// Parses the option table of one source file, `Ok(None)` if it has none.
pub fn parse_table(text: &str) -> Result<Option<Vec<TableOpt>>, String> {
    let Some(start) = text.find(MARKER) else {
        return Ok(None);
    };
    let after = &text[start..];
    let open = after
        .find("= &[")
        .ok_or("`pub const OPTIONS` is not followed by `= &[`")?;
    let tokens = tokenize(&after[open + "= &[".len()..])?;
    let body = until_closing(&tokens, ']')?;
    split_top_level(body)
        .into_iter()
        .filter(|entry| !entry.is_empty())
        .map(parse_entry)
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// A token of Rust source, as far as option tables need.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// A string literal's contents.
    Str(String),
    /// A character literal.
    Char(char),
    /// An identifier or a path (`OptSpec::flag`, `getopt::HasArg::No`).
    Path(String),
    /// Any other single character.
    Punct(char),
}

/// Splits source text into tokens, dropping whitespace and comments, up to and including the
/// bracket that closes one already open (the rest of the file is not read).
fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut toks = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while chars.get(i).is_some_and(|&c| c != '\n') {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let end = (i + 2..chars.len().saturating_sub(1))
                .find(|&k| chars.get(k) == Some(&'*') && chars.get(k + 1) == Some(&'/'))
                .ok_or("unterminated comment")?;
            i = end + 2;
        } else if c == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err("unterminated string literal".into()),
                    Some('"') => break,
                    Some('\\') => {
                        s.push(*chars.get(i + 1).ok_or("unterminated string literal")?);
                        i += 2;
                    }
                    Some(&c) => {
                        s.push(c);
                        i += 1;
                    }
                }
            }
            i += 1;
            toks.push(Tok::Str(s));
        } else if c == '\'' {
            let (value, len) = match (next, chars.get(i + 2), chars.get(i + 3)) {
                (Some('\\'), Some(&v), Some('\'')) => (v, 4),
                (Some(v), Some('\''), _) => (v, 3),
                _ => return Err(format!("unsupported character literal near {:?}", next)),
            };
            toks.push(Tok::Char(value));
            i += len;
        } else if c.is_alphanumeric() || c == '_' {
            let mut s = String::new();
            while let Some(&c) = chars.get(i) {
                if c.is_alphanumeric() || c == '_' {
                    s.push(c);
                    i += 1;
                } else if c == ':' && chars.get(i + 1) == Some(&':') {
                    s.push_str("::");
                    i += 2;
                } else {
                    break;
                }
            }
            toks.push(Tok::Path(s));
        } else {
            toks.push(Tok::Punct(c));
            i += 1;
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' if depth == 0 => return Ok(toks),
                ')' | ']' | '}' => depth -= 1,
                _ => {}
            }
        }
    }
    Ok(toks)
}

/// The tokens up to the bracket that closes the one already opened, `close` being its kind.
fn until_closing(tokens: &[Tok], close: char) -> Result<&[Tok], String> {
    let mut depth = 0usize;
    for (k, tok) in tokens.iter().enumerate() {
        match tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(c @ (')' | ']' | '}')) => {
                if depth == 0 {
                    return if *c == close {
                        Ok(&tokens[..k])
                    } else {
                        Err(format!("unbalanced `{c}`"))
                    };
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    Err(format!("no closing `{close}`"))
}

/// Splits at the commas outside any bracket.
fn split_top_level(tokens: &[Tok]) -> Vec<&[Tok]> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (k, tok) in tokens.iter().enumerate() {
        match tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') => depth = depth.saturating_sub(1),
            Tok::Punct(',') if depth == 0 => {
                parts.push(&tokens[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    parts.push(&tokens[start..]);
    parts
}

/// Parses one entry: `OptSpec::flag(id, 'c', long)`, `OptSpec::with_arg(id, 'c', long)`,
/// `OptSpec::long_only(id, long, HasArg::X)` or a struct literal `OptSpec { id, short, long, arg }`.
fn parse_entry(entry: &[Tok]) -> Result<TableOpt, String> {
    let Some((Tok::Path(head), rest)) = entry.split_first() else {
        return Err(format!("unexpected table entry {entry:?}"));
    };
    let ctor = head.rsplit("::").next().unwrap_or(head);
    if ctor == "OptSpec" {
        return parse_struct_literal(rest);
    }
    let args = match rest.split_first() {
        Some((Tok::Punct('('), inner)) => split_top_level(until_closing(inner, ')')?),
        _ => return Err(format!("`{head}` is not called")),
    };
    let single = |k: usize| -> Result<&Tok, String> {
        match args.get(k) {
            Some([tok]) => Ok(tok),
            _ => Err(format!("`{head}`: argument {} is not a literal", k + 1)),
        }
    };
    let string = |k: usize| match single(k)? {
        Tok::Str(s) => Ok(s.clone()),
        other => Err(format!("`{head}`: expected a string, found {other:?}")),
    };
    let letter = |k: usize| match single(k)? {
        Tok::Char(c) => Ok(*c),
        other => Err(format!("`{head}`: expected a character, found {other:?}")),
    };
    if args.len() != 3 {
        return Err(format!("`{head}` takes 3 arguments, found {}", args.len()));
    }
    match ctor {
        "flag" | "with_arg" => Ok(TableOpt {
            id: string(0)?,
            short: Some(letter(1)?),
            long: Some(string(2)?),
            takes_arg: ctor == "with_arg",
        }),
        "long_only" => Ok(TableOpt {
            id: string(0)?,
            short: None,
            long: Some(string(1)?),
            takes_arg: has_arg(single(2)?)?,
        }),
        other => Err(format!("unknown OptSpec constructor `{other}`")),
    }
}

/// Reads `HasArg::No` / `HasArg::Required` (any path prefix).
fn has_arg(tok: &Tok) -> Result<bool, String> {
    match tok {
        Tok::Path(p) if p.ends_with("HasArg::No") => Ok(false),
        Tok::Path(p) if p.ends_with("HasArg::Required") => Ok(true),
        other => Err(format!(
            "expected HasArg::No or HasArg::Required, found {other:?}"
        )),
    }
}

/// Parses `{ id: "..", short: Some('c') | None, long: Some("..") | None, arg: HasArg::X }`.
fn parse_struct_literal(rest: &[Tok]) -> Result<TableOpt, String> {
    let fields = match rest.split_first() {
        Some((Tok::Punct('{'), inner)) => split_top_level(until_closing(inner, '}')?),
        _ => return Err("`OptSpec` is not followed by `{`".into()),
    };
    let mut opt = TableOpt {
        id: String::new(),
        short: None,
        long: None,
        takes_arg: false,
    };
    for field in fields.into_iter().filter(|f| !f.is_empty()) {
        match field {
            [Tok::Path(name), Tok::Punct(':'), value @ ..] => match (name.as_str(), value) {
                ("id", [Tok::Str(s)]) => opt.id = s.clone(),
                ("short", [Tok::Path(n)]) if n == "None" => opt.short = None,
                ("short", [Tok::Path(n), Tok::Punct('('), Tok::Char(c), Tok::Punct(')')])
                    if n == "Some" =>
                {
                    opt.short = Some(*c)
                }
                ("long", [Tok::Path(n)]) if n == "None" => opt.long = None,
                ("long", [Tok::Path(n), Tok::Punct('('), Tok::Str(s), Tok::Punct(')')])
                    if n == "Some" =>
                {
                    opt.long = Some(s.clone())
                }
                ("arg", [tok]) => opt.takes_arg = has_arg(tok)?,
                _ => return Err(format!("unsupported OptSpec field `{name}`: {value:?}")),
            },
            other => return Err(format!("unsupported OptSpec field {other:?}")),
        }
    }
    Ok(opt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_form() {
        let text = r#"
            /// docs
            pub const OPTIONS: &[OptSpec] = &[
                OptSpec::flag("all", 'a', "all"), // a comment, with a comma
                OptSpec::with_arg("basedir", 'b', "basedir"),
                /* block */ OptSpec::long_only("show", "dry-run", getopt::HasArg::No),
                getopt::OptSpec::long_only("wait", "wait", HasArg::Required),
                OptSpec { id: "null", short: Some('0'), long: None, arg: HasArg::No },
            ];
            const OTHER: &[u8] = &[1];
        "#;
        let opts = parse_table(text).unwrap().unwrap();
        let summary: Vec<(Option<char>, Option<&str>, bool)> = opts
            .iter()
            .map(|o| (o.short, o.long.as_deref(), o.takes_arg))
            .collect();
        assert_eq!(
            summary,
            [
                (Some('a'), Some("all"), false),
                (Some('b'), Some("basedir"), true),
                (None, Some("dry-run"), false),
                (None, Some("wait"), true),
                (Some('0'), None, false),
            ]
        );
        assert_eq!(opts[2].id, "show");
    }

    #[test]
    fn no_table_and_bad_tables() {
        assert_eq!(parse_table("fn main() {}"), Ok(None));
        assert!(
            parse_table("pub const OPTIONS: &[OptSpec] = &[OptSpec::flag(\"a\", 'a')];").is_err()
        );
        assert!(parse_table("pub const OPTIONS: &[OptSpec] = &[make(\"a\")];").is_err());
        assert!(
            parse_table("pub const OPTIONS: &[OptSpec] = &[OptSpec::flag(\"a\", 'a', \"a\")")
                .is_err()
        );
    }
}
