//! Reads `pattern<TAB>text` lines on stdin and prints 1 or 0 per line: a harness for comparing
//! [`modname::fnmatch`] with the C library's `fnmatch(3)`.
use std::io::{BufRead, Write};

fn main() {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().split(b'\n').map_while(Result::ok) {
        let mut parts = line.splitn(2, |&b| b == b'\t');
        let (p, t) = (parts.next().unwrap_or(b""), parts.next().unwrap_or(b""));
        let _ = writeln!(out, "{}", u8::from(modname::fnmatch(p, t)));
    }
}
