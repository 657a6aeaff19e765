//! kmod's configuration line reader: backslash continuation and escapes, physical line numbers, and
//! bounded memory per logical line (config.md §1.3).
//!
//! * `\` followed by a newline joins the next physical line (both bytes dropped; the next line's
//!   leading whitespace is kept).
//! * `\` followed by any other byte drops the backslash and keeps the byte (`\\` → `\`, `\#` → `#`).
//! * A `\` at end of input is dropped (kmod 34; kmod 30 stores a stray `0xff` byte instead).
//! * A logical line is numbered by its **last** physical line, counting a final line that lacks a
//!   newline as a line of its own.
//!
//! Comments and blank lines are the parser's business; this module only produces logical lines.

use std::io::{self, BufRead};

/// Longest logical line kept, in bytes (after continuation lines are joined). kmod itself has no
/// limit (it grows its buffer without bound); 1 MiB lines work, a larger line is skipped with
/// [`LineError::TooLong`] instead of being held in memory.
pub const MAX_LINE_LEN: usize = 4 << 20;

/// Most bytes read from one configuration source before giving up (guards against `-C /dev/zero`).
pub const MAX_INPUT_LEN: u64 = 1 << 30;

/// One logical line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogicalLine {
    /// Physical line number (1-based) of the last physical line of this logical line.
    pub number: u32,
    /// The line's bytes, continuation and escapes resolved, without the final newline. May contain
    /// NUL bytes; kmod's parser stops at the first one.
    pub text: Vec<u8>,
}

/// Why a logical line could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// The logical line ending on physical line `line` was longer than `limit` bytes and was skipped.
    #[error("line {line}: ignoring line longer than {limit} bytes")]
    TooLong {
        /// Physical line number where the over-long logical line ended.
        line: u32,
        /// The limit that was exceeded.
        limit: usize,
    },
    /// More than `limit` bytes were read; the rest of the input is ignored.
    #[error("stopped reading after {limit} bytes")]
    TooMuchInput {
        /// The limit that was exceeded.
        limit: u64,
    },
    /// Reading failed; the rest of the input is ignored.
    #[error("read error: {0}")]
    Io(#[from] io::Error),
}

/// Iterator over the logical lines of a reader. After an [`LineError::Io`] or
/// [`LineError::TooMuchInput`] item it yields nothing more.
pub struct LogicalLines<R> {
    reader: R,
    /// Newlines consumed so far.
    newlines: u32,
    max_line: usize,
    max_input: u64,
    consumed: u64,
    finished: bool,
}

impl<R: BufRead> LogicalLines<R> {
    /// Reads `reader` with the default limits ([`MAX_LINE_LEN`], [`MAX_INPUT_LEN`]).
    pub fn new(reader: R) -> Self {
        Self::with_limits(reader, MAX_LINE_LEN, MAX_INPUT_LEN)
    }

    /// Reads `reader`, skipping logical lines longer than `max_line` bytes and stopping after
    /// `max_input` bytes.
    pub fn with_limits(reader: R, max_line: usize, max_input: u64) -> Self {
        LogicalLines {
            reader,
            newlines: 0,
            max_line,
            max_input,
            consumed: 0,
            finished: false,
        }
    }

    /// Reads one logical line. `Ok(None)` at end of input.
    fn read_logical(&mut self) -> Result<Option<LogicalLine>, LineError> {
        let mut text = Vec::new();
        let mut too_long = false;
        let mut escape = false;
        let mut started = false;
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(LineError::Io(e)),
            };
            if chunk.is_empty() {
                // End of input: a pending backslash is dropped.
                if !started {
                    return Ok(None);
                }
                self.newlines = self.newlines.saturating_add(1);
                return self.finish(text, too_long).map(Some);
            }
            started = true;
            let mut used = 0usize;
            let mut line_done = false;
            for &byte in chunk {
                used += 1;
                if escape {
                    escape = false;
                    if byte == b'\n' {
                        self.newlines = self.newlines.saturating_add(1);
                        continue;
                    }
                } else if byte == b'\\' {
                    escape = true;
                    continue;
                } else if byte == b'\n' {
                    self.newlines = self.newlines.saturating_add(1);
                    line_done = true;
                    break;
                }
                if text.len() < self.max_line {
                    text.push(byte);
                } else {
                    too_long = true;
                }
            }
            self.reader.consume(used);
            self.consumed = self.consumed.saturating_add(used as u64);
            if self.consumed > self.max_input {
                return Err(LineError::TooMuchInput {
                    limit: self.max_input,
                });
            }
            if line_done {
                return self.finish(text, too_long).map(Some);
            }
        }
    }

    fn finish(&self, text: Vec<u8>, too_long: bool) -> Result<LogicalLine, LineError> {
        if too_long {
            return Err(LineError::TooLong {
                line: self.newlines,
                limit: self.max_line,
            });
        }
        Ok(LogicalLine {
            number: self.newlines,
            text,
        })
    }
}

impl<R: BufRead> Iterator for LogicalLines<R> {
    type Item = Result<LogicalLine, LineError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        match self.read_logical() {
            Ok(Some(line)) => Some(Ok(line)),
            Ok(None) => {
                self.finished = true;
                None
            }
            Err(e @ LineError::TooLong { .. }) => Some(Err(e)),
            Err(e) => {
                self.finished = true;
                Some(Err(e))
            }
        }
    }
}

/// The part of a logical line kmod's parser sees: everything before the first NUL byte.
pub fn until_nul(text: &[u8]) -> &[u8] {
    match text.iter().position(|&b| b == 0) {
        Some(end) => text.get(..end).unwrap_or(text),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<(u32, String)> {
        LogicalLines::new(input)
            .map(|l| {
                let l = l.expect("no error expected");
                (l.number, String::from_utf8_lossy(&l.text).into_owned())
            })
            .collect()
    }

    #[test]
    fn plain_lines_are_numbered() {
        assert_eq!(
            lines(b"a\n\nb\n"),
            vec![(1, "a".into()), (2, "".into()), (3, "b".into())]
        );
    }

    #[test]
    fn final_line_without_newline_counts() {
        assert_eq!(
            lines(b"a\nbogus"),
            vec![(1, "a".into()), (2, "bogus".into())]
        );
        assert!(lines(b"").is_empty());
    }

    #[test]
    fn continuation_joins_and_reports_last_line() {
        assert_eq!(
            lines(b"options a \\\n  more \\\n  last\nx\n"),
            vec![(3, "options a   more   last".into()), (4, "x".into())]
        );
        // Continuation into end of input still counts the following (empty) line.
        assert_eq!(lines(b"bogus\\\n"), vec![(2, "bogus".into())]);
        // Continuation lines made of nothing but the backslash.
        assert_eq!(
            lines(b"alias a b\n\\\nbogus\\\n\\\n\n"),
            vec![(1, "alias a b".into()), (5, "bogus".into())]
        );
    }

    #[test]
    fn backslash_escapes_keep_next_byte() {
        assert_eq!(lines(b"a\\\\b\\#c\\td\n"), vec![(1, "a\\b#ctd".into())]);
        assert_eq!(lines(b"\\#alias x y\n"), vec![(1, "#alias x y".into())]);
    }

    #[test]
    fn backslash_at_end_of_input_is_dropped() {
        assert_eq!(lines(b"options fin x\\"), vec![(1, "options fin x".into())]);
    }

    #[test]
    fn long_line_within_limit_is_kept() {
        let mut input = b"options big ".to_vec();
        input.extend_from_slice(&vec![b'a'; 1 << 20]);
        input.extend_from_slice(b"\nalias after m\n");
        let got: Vec<_> = LogicalLines::new(&input[..]).collect();
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0].as_ref().map(|l| l.text.len()).ok(),
            Some(12 + (1 << 20))
        );
    }

    #[test]
    fn too_long_line_is_skipped_and_reading_continues() {
        let input = b"short\nxxxxxxxxxxxx\\\nyyyy\nafter\n";
        let got: Vec<_> = LogicalLines::with_limits(&input[..], 8, 1000).collect();
        assert_eq!(got.len(), 3);
        assert!(matches!(
            got[1],
            Err(LineError::TooLong { line: 3, limit: 8 })
        ));
        assert_eq!(
            got[2].as_ref().map(|l| (l.number, l.text.clone())).ok(),
            Some((4, b"after".to_vec()))
        );
    }

    #[test]
    fn input_limit_stops_reading() {
        let input = vec![0u8; 5000];
        let got: Vec<_> = LogicalLines::with_limits(&input[..], 100, 1000).collect();
        assert_eq!(got.len(), 1);
        assert!(matches!(
            got[0],
            Err(LineError::TooMuchInput { limit: 1000 })
        ));
    }

    #[test]
    fn nul_truncates_for_parsing() {
        assert_eq!(until_nul(b"alias a\0junk b"), b"alias a");
        assert_eq!(until_nul(b"plain"), b"plain");
        assert_eq!(until_nul(b"\0"), b"");
    }

    #[test]
    fn small_buffer_reader_gives_same_result() {
        let input: &[u8] = b"a \\\nb\\\\c\nd\\";
        let small = io::BufReader::with_capacity(1, input);
        let got: Vec<_> = LogicalLines::new(small)
            .map(|l| l.map(|l| (l.number, l.text)).ok())
            .collect();
        assert_eq!(
            got,
            vec![Some((2, b"a b\\c".to_vec())), Some((3, b"d".to_vec()))]
        );
    }
}
