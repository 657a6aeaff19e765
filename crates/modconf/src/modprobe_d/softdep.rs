//! `softdep` and `weakdep` entries (config.md §2.5, §2.6).

use crate::tokens::fields;

/// `softdep <module> [pre: a b...] [post: c d...]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Softdep {
    /// Module name pattern (fnmatch), normalised with `underscores()`.
    pub module: Vec<u8>,
    /// Modules to load before `module`, as written (normalised at lookup).
    pub pre: Vec<Vec<u8>>,
    /// Modules to load after `module`, as written.
    pub post: Vec<Vec<u8>>,
    /// Every target in the order written, both lists interleaved; `modprobe -c` prints spans of it.
    written: Vec<Vec<u8>>,
    /// Index range in `written` from the first to the last `pre` target.
    pre_span: Option<(usize, usize)>,
    /// Index range in `written` from the first to the last `post` target.
    post_span: Option<(usize, usize)>,
}

/// Which list a softdep target goes to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Before any `pre:`/`post:` keyword: targets are ignored.
    None,
    Pre,
    Post,
}

impl Softdep {
    /// A softdep with the given lists (as if written `pre: <pre...> post: <post...>`).
    pub fn new(module: impl Into<Vec<u8>>, pre: Vec<Vec<u8>>, post: Vec<Vec<u8>>) -> Self {
        let pre_span = span(0, pre.len());
        let post_span = span(pre.len(), post.len());
        let written = pre.iter().chain(post.iter()).cloned().collect();
        Softdep {
            module: module.into(),
            pre,
            post,
            written,
            pre_span,
            post_span,
        }
    }

    /// Parses the dependency part of a softdep line. `pre:` and `post:` switch lists and may repeat;
    /// words before the first of them are ignored; other words are targets.
    pub fn parse(module: impl Into<Vec<u8>>, deps: &[u8]) -> Self {
        let mut mode = Mode::None;
        let mut dep = Softdep::new(module, Vec::new(), Vec::new());
        for word in fields(deps) {
            match word {
                b"pre:" => mode = Mode::Pre,
                b"post:" => mode = Mode::Post,
                _ if mode == Mode::None => {}
                _ => {
                    let at = dep.written.len();
                    dep.written.push(word.to_vec());
                    let (list, range) = if mode == Mode::Pre {
                        (&mut dep.pre, &mut dep.pre_span)
                    } else {
                        (&mut dep.post, &mut dep.post_span)
                    };
                    list.push(word.to_vec());
                    *range = Some(range.map_or((at, at), |(first, _)| (first, at)));
                }
            }
        }
        dep
    }

    /// The dependency text `modprobe -c` prints after the module name, byte-exact with kmod: the
    /// `pre:` part runs straight into `post:` without a space, and each part prints every target
    /// written between its first and last target, so interleaved lists leak into each other
    /// (`pre: a post: b pre: c` prints `pre: a b cpost: b`).
    pub fn show_text(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (keyword, range) in [(&b"pre: "[..], self.pre_span), (b"post: ", self.post_span)] {
            if let Some(words) = range.and_then(|(a, b)| self.written.get(a..=b)) {
                out.extend_from_slice(keyword);
                out.extend_from_slice(&words.join(&b' '));
            }
        }
        out
    }
}

fn span(start: usize, len: usize) -> Option<(usize, usize)> {
    len.checked_sub(1).map(|last| (start, start + last))
}

/// `weakdep <module> <deps...>` (kmod 33+): informational dependencies, never loaded by modprobe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weakdep {
    /// Module name pattern (fnmatch), normalised with `underscores()`.
    pub module: Vec<u8>,
    /// Weak dependencies as written.
    pub deps: Vec<Vec<u8>>,
}

impl Weakdep {
    /// Parses the dependency part of a weakdep line (whitespace-separated names).
    pub fn parse(module: impl Into<Vec<u8>>, deps: &[u8]) -> Self {
        Weakdep {
            module: module.into(),
            deps: fields(deps).map(<[u8]>::to_vec).collect(),
        }
    }

    /// The dependency text `modprobe -c` prints after the module name.
    pub fn show_text(&self) -> Vec<u8> {
        self.deps.join(&b' ')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(deps: &str) -> String {
        String::from_utf8(Softdep::parse("m", deps.as_bytes()).show_text()).unwrap()
    }

    fn words(list: &[Vec<u8>]) -> Vec<&str> {
        list.iter()
            .map(|w| std::str::from_utf8(w).unwrap())
            .collect()
    }

    #[test]
    fn lists_are_split_by_keywords() {
        let d = Softdep::parse("m", b"z pre: a post: b pre: c post: d");
        assert_eq!(words(&d.pre), ["a", "c"]);
        assert_eq!(words(&d.post), ["b", "d"]);
        let d = Softdep::parse("m", b"\tpre:\ta\t\tpost:\tb");
        assert_eq!((words(&d.pre), words(&d.post)), (vec!["a"], vec!["b"]));
    }

    #[test]
    fn words_before_keywords_and_unknown_case_are_ignored() {
        let d = Softdep::parse("cifs", b"gcm");
        assert!(d.pre.is_empty() && d.post.is_empty());
        assert_eq!(d.show_text(), b"");
        assert_eq!(shown("PRE: a"), "");
    }

    // Expected strings verified with kmod 30's `modprobe -c`.
    #[test]
    fn show_text_reproduces_kmod_quirks() {
        assert_eq!(shown("pre: a-b c post: d-e"), "pre: a-b cpost: d-e");
        assert_eq!(shown("post: x"), "post: x");
        assert_eq!(shown("pre: a b"), "pre: a b");
        assert_eq!(shown("pre: post: c"), "post: c");
        assert_eq!(
            shown("pre: a post: b pre: c post: d"),
            "pre: a b cpost: b c d"
        );
        assert_eq!(shown("pre: a post: b pre: c"), "pre: a b cpost: b");
        assert_eq!(shown("post: a pre: b"), "pre: bpost: a");
        assert_eq!(shown("post: a pre: b post: c"), "pre: bpost: a b c");
        assert_eq!(shown("pre: a b post: c pre: d e"), "pre: a b c d epost: c");
        assert_eq!(shown("pre: aaa post: b pre: cc"), "pre: aaa b ccpost: b");
        assert_eq!(
            shown("post: xx-y pre: q post: zzzz pre: r"),
            "pre: q zzzz rpost: xx-y q zzzz"
        );
    }

    #[test]
    fn targets_keep_their_bytes() {
        let d = Softdep::parse(&b"m\xff"[..], b"pre: caf\xe9 \x01 post: \xfe-\xfd");
        assert_eq!(d.module, b"m\xff");
        assert_eq!(d.pre, [b"caf\xe9".to_vec(), b"\x01".to_vec()]);
        assert_eq!(d.post, [b"\xfe-\xfd".to_vec()]);
        assert_eq!(d.show_text(), b"pre: caf\xe9 \x01post: \xfe-\xfd");
        let w = Weakdep::parse(&b"w"[..], b"\xe9\t\x80");
        assert_eq!(w.show_text(), b"\xe9 \x80");
    }

    #[test]
    fn new_builds_printable_lists() {
        let d = Softdep::new("m", vec![b"a".to_vec()], vec![b"b".to_vec(), b"c".to_vec()]);
        assert_eq!(d.show_text(), b"pre: apost: b c");
        assert_eq!(Softdep::new("m", vec![], vec![]).show_text(), b"");
    }

    #[test]
    fn weakdep_lists_words() {
        let w = Weakdep::parse("m", b" a\tb  ");
        assert_eq!(words(&w.deps), ["a", "b"]);
        assert_eq!(w.show_text(), b"a b");
        assert_eq!(Weakdep::parse("m", b" ").show_text(), b"");
    }
}
