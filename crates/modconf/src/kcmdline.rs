//! Module options and blacklist entries from the kernel command line (config.md §3).
//!
//! Behaviour verified against kmod 30 with a bind-mounted `/proc/cmdline`:
//! * Only the first [`KCMDLINE_MAX`] bytes are looked at, and nothing after a NUL byte.
//! * Words are separated by ASCII whitespace outside double quotes. A word whose quote is still
//!   open at the end of the input is dropped.
//! * A word is `module.param` or `module.param=value`. The part before the first `=` (the key)
//!   must contain a `.`, no second `.` after it, no `"` and no whitespace; otherwise the word is not
//!   for a module and is ignored silently. Empty module or parameter names are accepted.
//! * A word that starts with `"` (GRUB quotes whole words) has that quote moved to just after the
//!   `=`: `"parport.dyndbg=file x +p"` → `options parport dyndbg="file x +p"`.
//! * `modprobe.blacklist=a,b` adds `blacklist a`, `blacklist b`, split on every `,` (empty pieces
//!   included) and **not** normalised.
//! * Otherwise the module name goes through `underscores()`; if that fails (unbalanced brackets)
//!   the word is reported and ignored.
//! * Bytes are bytes: names and values need not be valid UTF-8 and are passed on unchanged.

use crate::diagnostic::{join, Diagnostic};

/// kmod reads `/proc/cmdline` into a 4096-byte buffer and keeps the last byte for the terminator.
pub const KCMDLINE_MAX: usize = 4095;

/// What one word of the kernel command line contributes to the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KcmdlineEntry {
    /// `options <module> <options>`.
    Options {
        /// Module name, normalised.
        module: Vec<u8>,
        /// `param` or `param=value`.
        options: Vec<u8>,
    },
    /// `blacklist <module>` (name as written).
    Blacklist(Vec<u8>),
}

/// Parses a kernel command line into configuration entries, in command-line order.
pub fn parse_kcmdline(cmdline: &[u8], diags: &mut Vec<Diagnostic>) -> Vec<KcmdlineEntry> {
    let limited = cmdline.get(..KCMDLINE_MAX).unwrap_or(cmdline);
    let text = crate::line_reader::until_nul(limited);
    let mut entries = Vec::new();
    for word in words(text) {
        parse_word(word, &mut entries, diags);
    }
    entries
}

/// Words separated by whitespace outside double quotes; an unterminated quote drops its word.
fn words(text: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut quoted = false;
    for (i, &b) in text.iter().enumerate() {
        if b == b'"' {
            quoted = !quoted;
        }
        if !quoted && is_c_space(b) {
            if let Some(s) = start.take() {
                out.extend(text.get(s..i));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let (Some(s), false) = (start, quoted) {
        out.extend(text.get(s..));
    }
    out
}

/// C `isspace()` in the C locale: space, `\t`, `\n`, `\v`, `\f`, `\r`.
fn is_c_space(b: u8) -> bool {
    b.is_ascii_whitespace() || b == 0x0b
}

fn parse_word(word: &[u8], entries: &mut Vec<KcmdlineEntry>, diags: &mut Vec<Diagnostic>) {
    let (body, lead_quote) = match word.strip_prefix(b"\"") {
        Some(rest) => (rest, true),
        None => (word, false),
    };
    let (key, value) = match body.iter().position(|&b| b == b'=') {
        Some(eq) => (body.get(..eq).unwrap_or(body), body.get(eq + 1..)),
        None => (body, None),
    };
    if key.iter().any(|&b| b == b'"' || is_c_space(b)) {
        return;
    }
    let Some(dot) = key.iter().position(|&b| b == b'.') else {
        return;
    };
    let module = key.get(..dot).unwrap_or_default();
    let param = key.get(dot + 1..).unwrap_or_default();
    if param.contains(&b'.') {
        return;
    }
    let value = value.map(|v| {
        if lead_quote {
            join(&[b"\"", v])
        } else {
            v.to_vec()
        }
    });
    if module == b"modprobe" && param == b"blacklist" {
        if let Some(list) = &value {
            entries.extend(
                list.split(|&b| b == b',')
                    .map(|m| KcmdlineEntry::Blacklist(m.to_vec())),
            );
            return;
        }
    }
    let Ok(normalised) = modname::normalize::underscores_bytes(module) else {
        diags.push(Diagnostic::error(join(&[
            b"kcmdline_parse_result: Ignoring bad option on kernel command line while parsing module name: '",
            module,
            b"'",
        ])));
        return;
    };
    let options = match value {
        Some(v) => join(&[param, b"=", &v]),
        None => param.to_vec(),
    };
    entries.push(KcmdlineEntry::Options {
        module: normalised,
        options,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders entries the way `modprobe -c` prints them.
    fn render_bytes(cmdline: &[u8]) -> (Vec<Vec<u8>>, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let lines = parse_kcmdline(cmdline, &mut diags)
            .into_iter()
            .map(|e| match e {
                KcmdlineEntry::Options { module, options } => {
                    join(&[b"options ", &module, b" ", &options])
                }
                KcmdlineEntry::Blacklist(m) => join(&[b"blacklist ", &m]),
            })
            .collect();
        (lines, diags)
    }

    fn render(cmdline: &str) -> (Vec<String>, Vec<Diagnostic>) {
        let (lines, diags) = render_bytes(cmdline.as_bytes());
        let lines = lines
            .into_iter()
            .map(|l| String::from_utf8(l).unwrap())
            .collect();
        (lines, diags)
    }

    fn lines(cmdline: &str) -> Vec<String> {
        render(cmdline).0
    }

    // The nine upstream cases (config.md §3), expected output verified with kmod 30.
    #[test]
    fn case1_plain_params_among_other_words() {
        assert_eq!(
            lines("initrd=\\initramfs-linux.img mod_simple.foo mod_simple.bar=1 root=/dev/sda2 rootfstype=ext4 add_efi_memmap quiet rw\n"),
            ["options mod_simple foo", "options mod_simple bar=1"]
        );
    }

    #[test]
    fn case2_boot_image_with_dots_in_value_is_not_a_module() {
        assert!(lines("BOOT_IMAGE=/vmlinuz-3.12.12-57.g5f654cf root=/dev/sda2 quiet\n").is_empty());
    }

    #[test]
    fn case3_second_dot_in_parameter_is_ignored() {
        assert_eq!(lines("a.b.c=2 mod.x=1\n"), ["options mod x=1"]);
    }

    #[test]
    fn case4_dots_in_value_are_fine() {
        assert_eq!(
            lines("testmodule.testparam=1.5G\n"),
            ["options testmodule testparam=1.5G"]
        );
    }

    #[test]
    fn case5_quoted_values_and_invalid_words() {
        assert_eq!(
            lines("psmouse.foo psmouse.bar=1 psmouse.foobar=\"test 1\" psmouse.\"invalid option\" \" notamodule\" \"noteamodule2 \" notamodule3 quiet rw\n"),
            [
                "options psmouse foo",
                "options psmouse bar=1",
                "options psmouse foobar=\"test 1\""
            ]
        );
    }

    #[test]
    fn case6_bad_module_name_is_reported() {
        let (got, diags) = render(
            "psmouse.foo=2 ivrs_acpihid[14:00.5]=AMD0020:00 psmouse.bar=1 psmouse.zinga=test\n",
        );
        assert_eq!(
            got,
            [
                "options psmouse foo=2",
                "options psmouse bar=1",
                "options psmouse zinga=test"
            ]
        );
        assert_eq!(
            diags,
            [Diagnostic::error(
                "kcmdline_parse_result: Ignoring bad option on kernel command line while parsing module name: 'ivrs_acpihid[14:00'"
            )]
        );
    }

    #[test]
    fn case7_quoted_value_with_spaces() {
        assert_eq!(
            lines("psmouse.foo parport.dyndbg=\"file drivers/parport/ieee1284_ops.c +mpf\" quiet rw\n"),
            [
                "options psmouse foo",
                "options parport dyndbg=\"file drivers/parport/ieee1284_ops.c +mpf\""
            ]
        );
    }

    #[test]
    fn case8_whole_word_quote_is_moved_after_equals() {
        assert_eq!(
            lines("psmouse.foo \"parport.dyndbg=file drivers/parport/ieee1284_ops.c +mpf\" quiet rw\n"),
            [
                "options psmouse foo",
                "options parport dyndbg=\"file drivers/parport/ieee1284_ops.c +mpf\""
            ]
        );
    }

    #[test]
    fn case9_blacklist_lists_accumulate() {
        assert_eq!(
            lines("modprobe.blacklist=foo,bar modprobe.blacklist=foo2 quiet modprobe.blacklist=bar2 rw modprobe.blacklist=foobar\n"),
            [
                "blacklist foo",
                "blacklist bar",
                "blacklist foo2",
                "blacklist bar2",
                "blacklist foobar"
            ]
        );
    }

    // Further corner cases, each verified against kmod 30.
    #[test]
    fn blacklist_values_are_raw_and_split_on_every_comma() {
        assert_eq!(
            lines("modprobe.blacklist=snd-hda-intel,,x, modprobe.blacklist= modprobe.blacklist modprobe.foo=1 modprobe.blacklist=\"q,r s\"\n"),
            [
                "blacklist snd-hda-intel",
                "blacklist ",
                "blacklist x",
                "blacklist ",
                "blacklist ",
                "options modprobe blacklist",
                "options modprobe foo=1",
                "blacklist \"q",
                "blacklist r s\""
            ]
        );
        assert_eq!(
            lines("\"modprobe.blacklist=a,b\"\n"),
            ["blacklist \"a", "blacklist b\""]
        );
    }

    #[test]
    fn empty_names_and_odd_values() {
        assert_eq!(
            lines("snd-hda.x=1 a.=1 .b=2 a.b= a=b.c=d \"a.b\"=c a.b=\"c\"d a.b=c\"d e\"f a.b==c\n"),
            [
                "options snd_hda x=1",
                "options a =1",
                "options  b=2",
                "options a b=",
                "options a b=\"c\"d",
                "options a b=c\"d e\"f",
                "options a b==c"
            ]
        );
    }

    #[test]
    fn quotes_in_the_key_reject_the_word() {
        for w in [
            "a.\"b\"=c",
            "a\"x\".b=c",
            "a.b\"=c",
            "a\".\"b=c",
            "\"\"a.b=1",
            "\"\".a=1",
            "x\"a.b=c d\"",
            "\"a.b\"",
            "\"a.b c=1\"",
            "\"a.b c\"",
            "a.b\"c d\"=1",
        ] {
            assert!(lines(w).is_empty(), "{w}");
        }
    }

    #[test]
    fn whole_word_quote_keeps_text_after_closing_quote() {
        assert_eq!(lines("\"a.b=c\"x"), ["options a b=\"c\"x"]);
        assert_eq!(lines("\"a.b=c d\"e.f=g"), ["options a b=\"c d\"e.f=g"]);
        assert_eq!(lines("\"a.b=1\"2\"3 4\""), ["options a b=\"1\"2\"3 4\""]);
        assert_eq!(lines("a.b=\"\""), ["options a b=\"\""]);
    }

    #[test]
    fn unterminated_quote_drops_the_word() {
        assert!(lines("\"a.b=c\n").is_empty());
        assert!(lines("a.b=\"x y\n").is_empty());
        assert_eq!(lines("c.d=1 x.y=1\"\n"), ["options c d=1"]);
    }

    #[test]
    fn whitespace_kinds_and_end_of_input() {
        assert_eq!(
            lines("a.b=c\rd.e=f\x0bg.h=i\x0cj.k=l\tm.n"),
            [
                "options a b=c",
                "options d e=f",
                "options g h=i",
                "options j k=l",
                "options m n"
            ]
        );
        assert_eq!(lines("  a.b=1   c.d  "), ["options a b=1", "options c d"]);
        assert_eq!(lines("a-b.c-d=e-f"), ["options a_b c-d=e-f"]);
        assert_eq!(lines("a[-]b-c.d=1"), ["options a[-]b_c d=1"]);
    }

    #[test]
    fn nul_ends_the_command_line() {
        assert_eq!(lines("a.b=c\0d.e=f\n"), ["options a b=c"]);
    }

    #[test]
    fn only_the_first_4095_bytes_count() {
        let pad = "x".repeat(4085);
        assert_eq!(
            lines(&format!("{pad} a.bc=d e.f=g\n")),
            ["options a bc=d", "options e "]
        );
        let pad = "x".repeat(4090);
        assert_eq!(lines(&format!("{pad} a.bc=d\n")), ["options a bc"]);
    }

    #[test]
    fn bad_brackets_after_a_second_dot_are_silent() {
        let (got, diags) = render("a[0.b.c=1 a]0.b=1");
        assert!(got.is_empty());
        assert_eq!(diags.len(), 1);
        assert!(diags[0].message.ends_with(b"'a]0'"));
    }

    // kmod 30 (`modprobe -c` with this /proc/cmdline bind-mounted) printed the same bytes.
    #[test]
    fn high_bytes_pass_through() {
        let (got, diags) = render_bytes(
            b"\xff.x=1 a.b=\xc3\xa9 caf\xe9-x.p\xe9=\"v \xe9\" modprobe.blacklist=b\xe9-1,\xfe \xe9[.x=1\n",
        );
        assert_eq!(
            got,
            [
                &b"options \xff x=1"[..],
                b"options a b=\xc3\xa9",
                b"options caf\xe9_x p\xe9=\"v \xe9\"",
                b"blacklist b\xe9-1",
                b"blacklist \xfe",
            ]
        );
        assert_eq!(
            diags,
            [Diagnostic::error(
                &b"kcmdline_parse_result: Ignoring bad option on kernel command line while parsing module name: '\xe9['"[..]
            )]
        );
    }

    #[test]
    fn junk_never_panics() {
        let mut diags = Vec::new();
        let junk: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        let _ = parse_kcmdline(&junk, &mut diags);
        let _ = parse_kcmdline(b"\"", &mut diags);
        let _ = parse_kcmdline(b"=", &mut diags);
        let _ = parse_kcmdline(b".", &mut diags);
    }
}
