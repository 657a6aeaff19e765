//! `kmod static-nodes`: the device nodes of modules that the kernel does not create until the
//! module is loaded, from `modules.devname` (tools.md §7).
//!
//! kmod 34 writes to the process's standard output by default (kmod 30 opened the path
//! `/dev/stdout`, which creates a plain file early at boot when the symlink is missing).

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use kmod::Context;

use crate::getopt::{self, OptSpec};
use crate::log::strerror;
use crate::{EXIT_FAILURE, EXIT_SUCCESS};

/// The options of `kmod static-nodes`.
pub const OPTIONS: &[OptSpec] = &[
    OptSpec::with_arg("output", 'o', "output"),
    OptSpec::with_arg("format", 'f', "format"),
    OptSpec::flag("help", 'h', "help"),
];

/// The help text.
pub const HELP: &str = "Usage:
\tkmod static-nodes [options]

kmod static-nodes outputs the static-node information of the currently running kernel.

Options:
\t-f, --format=FORMAT  choose format to use: see \"Formats\"
\t-o, --output=FILE    write output to file
\t-h, --help           show this help

Formats:
\thuman        (default) a human readable format. Do not parse.
\ttmpfiles     the tmpfiles.d(5) format used by systemd-tmpfiles.
\tdevname      the modules.devname format.
";

/// Most of `modules.devname` that is read (real files hold a few dozen lines).
pub const DEVNAME_LIMIT: u64 = 16 << 20;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Readable text (the default).
    Human,
    /// systemd-tmpfiles lines.
    Tmpfiles,
    /// `modules.devname` lines again.
    Devname,
}

impl Format {
    /// The format called `name`, if any.
    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "human" => Some(Format::Human),
            "tmpfiles" => Some(Format::Tmpfiles),
            "devname" => Some(Format::Devname),
            _ => None,
        }
    }
}

/// One `modules.devname` entry: `module devname c|bMAJOR:MINOR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevnameEntry {
    /// The module name.
    pub module: String,
    /// The node below `/dev`.
    pub devname: String,
    /// `c` or `b`.
    pub kind: char,
    /// Major number.
    pub major: u32,
    /// Minor number.
    pub minor: u32,
}

/// Runs `kmod static-nodes` with `args` (`static-nodes` first); returns the exit status.
pub fn main(args: Vec<OsString>) -> i32 {
    let argv0 = args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| "static-nodes".to_string());
    let parsed = match getopt::parse(&argv0, OPTIONS, args.get(1..).unwrap_or_default(), false) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{}", e.0);
            return EXIT_FAILURE;
        }
    };
    let (mut format, mut output) = (Format::Human, None);
    for opt in &parsed.opts {
        let value = opt.value.as_ref().map(|v| v.to_string_lossy().into_owned());
        match opt.id {
            "output" => output = value,
            "format" => {
                let name = value.unwrap_or_default();
                match Format::from_name(&name) {
                    Some(f) => format = f,
                    None => {
                        eprintln!("Unknown format: '{name}'.");
                        print!("{HELP}");
                        return EXIT_FAILURE;
                    }
                }
            }
            "help" => {
                print!("{HELP}");
                return EXIT_SUCCESS;
            }
            _ => {}
        }
    }
    let ctx = match Context::new(None, None) {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("Error: {e}");
            return EXIT_FAILURE;
        }
    };
    let path = ctx.file("modules.devname");
    let input = match read_bounded(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            eprintln!("Warning: {} not found - ignoring", path.display());
            return EXIT_SUCCESS;
        }
        Err(e) => {
            eprintln!(
                "Error: could not open {} - {}",
                path.display(),
                strerror(e.raw_os_error().unwrap_or(5))
            );
            return EXIT_FAILURE;
        }
    };
    let (text, invalid) = render(format, &input);
    let mut status = EXIT_SUCCESS;
    for line in &invalid {
        eprint!("Error: invalid devname entry: {line}");
        status = EXIT_FAILURE;
    }
    let written = match &output {
        Some(file) => write_file(Path::new(file), text.as_bytes()),
        None => {
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes()).and_then(|()| out.flush())
        }
    };
    if let Err(e) = written {
        let target = output.as_deref().unwrap_or("standard output");
        eprintln!(
            "Error: could not write to {target}: {}",
            strerror(e.raw_os_error().unwrap_or(5))
        );
        status = EXIT_FAILURE;
    }
    status
}

/// Reads at most [`DEVNAME_LIMIT`] bytes of `path` as text (invalid UTF-8 replaced).
fn read_bounded(path: &Path) -> io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(DEVNAME_LIMIT)
        .read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Writes `data` to `path`, creating missing parent directories (mode 0755).
fn write_file(path: &Path, data: &[u8]) -> io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(parent)?;
    }
    std::fs::write(path, data)
}

/// Formats every entry of a `modules.devname` text; also returns the invalid lines (each with
/// its line end, as kmod prints them). Lines starting with `#` are comments.
pub fn render(format: Format, input: &str) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut invalid = Vec::new();
    for line in input.split_inclusive('\n') {
        if line.starts_with('#') {
            continue;
        }
        match parse_entry(line) {
            Some(entry) => format_entry(format, &entry, &mut out),
            None => invalid.push(line.to_string()),
        }
    }
    (out, invalid)
}

fn format_entry(format: Format, e: &DevnameEntry, out: &mut String) {
    let (module, devname, kind, major, minor) = (&e.module, &e.devname, e.kind, e.major, e.minor);
    // Writing to a String cannot fail.
    let _ = match format {
        Format::Human => {
            let type_name = if kind == 'c' { "character" } else { "block" };
            write!(
                out,
                "Module: {module}\n\tDevice node: /dev/{devname}\n\t\tType: {type_name} device\n\
                 \t\tMajor: {major}\n\t\tMinor: {minor}\n"
            )
        }
        Format::Tmpfiles => {
            if let Some((dir, _)) = devname.rsplit_once('/') {
                let _ = writeln!(out, "d /dev/{dir} 0755 - - -");
            }
            writeln!(out, "{kind}! /dev/{devname} 0600 - - - {major}:{minor}")
        }
        Format::Devname => writeln!(out, "{module} {devname} {kind}{major}:{minor}"),
    };
}

/// Parses a line the way `sscanf("%s %s %c%u:%u")` reads it (leading blanks skipped before each
/// field except the type letter, sign allowed on numbers, trailing text ignored), and requires
/// the type to be `c` or `b`.
pub fn parse_entry(line: &str) -> Option<DevnameEntry> {
    let mut s = Scanner { rest: line };
    let module = s.word()?;
    let devname = s.word()?;
    s.skip_space();
    let kind = s.char()?;
    let major = s.unsigned()?;
    s.literal(':')?;
    let minor = s.unsigned()?;
    if kind != 'c' && kind != 'b' {
        return None;
    }
    Some(DevnameEntry {
        module,
        devname,
        kind,
        major,
        minor,
    })
}

/// A tiny `sscanf` work-alike for the conversions used above.
struct Scanner<'a> {
    rest: &'a str,
}

impl Scanner<'_> {
    fn skip_space(&mut self) {
        self.rest = self
            .rest
            .trim_start_matches(|c: char| c.is_ascii_whitespace());
    }

    /// `%s`: a run of non-blank characters after blanks.
    fn word(&mut self) -> Option<String> {
        self.skip_space();
        let end = self
            .rest
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(self.rest.len());
        let (word, rest) = self.rest.split_at(end);
        self.rest = rest;
        (!word.is_empty()).then(|| word.to_string())
    }

    /// `%c`: the next character.
    fn char(&mut self) -> Option<char> {
        let c = self.rest.chars().next()?;
        self.rest = self.rest.get(c.len_utf8()..)?;
        Some(c)
    }

    /// A literal character of the format.
    fn literal(&mut self, want: char) -> Option<()> {
        self.rest = self.rest.strip_prefix(want)?;
        Some(())
    }

    /// `%u`: blanks, an optional sign, decimal digits (`strtoul` semantics, kept to 32 bits).
    fn unsigned(&mut self) -> Option<u32> {
        self.skip_space();
        let negative = self.rest.starts_with('-');
        if let Some(r) = self.rest.strip_prefix(['-', '+']) {
            self.rest = r;
        }
        let end = self
            .rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(self.rest.len());
        let digits = self.rest.get(..end)?;
        if digits.is_empty() {
            return None;
        }
        self.rest = self.rest.get(end..)?;
        let value = digits.parse::<u64>().unwrap_or(u64::MAX);
        let value = if negative {
            value.wrapping_neg()
        } else {
            value
        };
        // The C code stores the unsigned long into an unsigned int: keep the low 32 bits.
        Some((value & 0xFFFF_FFFF) as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEVNAME: &str = "# Device nodes to trigger on-demand module loading.\n\
                           fuse fuse c10:229\n\
                           btrfs btrfs-control c10:234\n\
                           loop loop-control c10:237\n\
                           tun net/tun c10:200\n\
                           dm_mod mapper/control c10:236\n\
                           loop loop0 b7:0\n";

    #[test]
    fn human_format() {
        let (out, bad) = render(Format::Human, "fuse fuse c10:229\nloop loop0 b7:0\n");
        assert!(bad.is_empty());
        assert_eq!(
            out,
            "Module: fuse\n\tDevice node: /dev/fuse\n\t\tType: character device\n\t\tMajor: 10\n\t\tMinor: 229\n\
             Module: loop\n\tDevice node: /dev/loop0\n\t\tType: block device\n\t\tMajor: 7\n\t\tMinor: 0\n"
        );
    }

    #[test]
    fn tmpfiles_format_creates_directories() {
        let (out, _) = render(Format::Tmpfiles, DEVNAME);
        assert_eq!(
            out,
            "c! /dev/fuse 0600 - - - 10:229\n\
             c! /dev/btrfs-control 0600 - - - 10:234\n\
             c! /dev/loop-control 0600 - - - 10:237\n\
             d /dev/net 0755 - - -\n\
             c! /dev/net/tun 0600 - - - 10:200\n\
             d /dev/mapper 0755 - - -\n\
             c! /dev/mapper/control 0600 - - - 10:236\n\
             b! /dev/loop0 0600 - - - 7:0\n"
        );
    }

    #[test]
    fn devname_format_round_trips() {
        let (out, _) = render(Format::Devname, DEVNAME);
        let expected: String = DEVNAME.split_inclusive('\n').skip(1).collect();
        assert_eq!(out, expected);
    }

    #[test]
    fn invalid_lines_are_kept_with_their_line_end() {
        let (out, bad) = render(
            Format::Devname,
            "a b x1:2\nshort\nc d c1:2\nnocolon n c12\nlast l c1",
        );
        assert_eq!(out, "c d c1:2\n");
        assert_eq!(
            bad,
            ["a b x1:2\n", "short\n", "nocolon n c12\n", "last l c1"]
        );
    }

    #[test]
    fn sscanf_quirks() {
        let e = parse_entry("m  d \t c 1: 2trailing\n").unwrap();
        assert_eq!((e.kind, e.major, e.minor), ('c', 1, 2));
        let e = parse_entry("m d c-1:+3\n").unwrap();
        assert_eq!((e.major, e.minor), (u32::MAX, 3));
        assert!(parse_entry("m d c1 :2").is_none());
        assert!(parse_entry("m d ").is_none());
        assert!(parse_entry("").is_none());
    }

    #[test]
    fn formats_and_options() {
        assert_eq!(Format::from_name("tmpfiles"), Some(Format::Tmpfiles));
        assert_eq!(Format::from_name("Human"), None);
        let run = |v: &[&str]| main(v.iter().map(OsString::from).collect());
        assert_eq!(run(&["static-nodes", "-f", "bogus"]), 1);
        assert_eq!(run(&["static-nodes", "--bogus"]), 1);
        assert_eq!(run(&["static-nodes", "-h"]), 0);
    }

    #[test]
    fn output_file_parents_are_created() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/out.conf");
        write_file(&p, b"x\n").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"x\n");
    }
}
