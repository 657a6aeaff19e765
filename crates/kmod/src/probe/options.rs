//! Module options as modprobe composes them: command-line parameters, configuration `options`
//! lines, and `$CMDLINE_OPTS` in install commands (tools.md §5.3, config.md §2.3, §2.4). Options
//! and commands are bytes, passed on as configured.

/// The module parameters given after the module name on modprobe's command line, joined with
/// spaces. A `name=value` whose value contains a space and does not start with a quote is quoted
/// as `name="value"`, so that the kernel sees one parameter (`'b=c d'` → `b="c d"`).
pub fn join_cli_params<S: AsRef<str>>(params: &[S]) -> String {
    let mut out = String::new();
    for (i, param) in params.iter().enumerate() {
        let param = param.as_ref();
        if i > 0 {
            out.push(' ');
        }
        match param.split_once('=') {
            Some((key, value)) if !value.starts_with(['"', '\'']) && value.contains(' ') => {
                out.push_str(key);
                out.push_str("=\"");
                out.push_str(value);
                out.push('"');
            }
            _ => out.push_str(param),
        }
    }
    out
}

/// The options a module is loaded with: its configuration `options` (all matching lines, joined
/// with spaces) and, for the module modprobe was asked for, the command-line parameters.
///
/// kmod's exact spelling: when there are configuration options, a space always follows them, even
/// if no command-line parameters follow (`foo=1 `); `cli` is `None` for dependencies and with
/// `modprobe -a`, and `Some("")` for the requested module without parameters.
pub fn merge_options(config: &[&[u8]], cli: Option<&[u8]>) -> Vec<u8> {
    let extra = cli.unwrap_or_default();
    if config.is_empty() {
        return extra.to_vec();
    }
    let joined = config.join(&b' ');
    if joined.is_empty() && extra.is_empty() {
        return Vec::new();
    }
    [&joined[..], b" ", extra].concat()
}

/// The placeholder install commands may contain.
const CMDLINE_OPTS: &[u8] = b"$CMDLINE_OPTS";

/// An install command with every `$CMDLINE_OPTS` replaced by `options`.
pub fn substitute_cmdline_opts(command: &[u8], options: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(command.len());
    let mut rest = command;
    while let Some(at) = rest
        .windows(CMDLINE_OPTS.len())
        .position(|w| w == CMDLINE_OPTS)
    {
        out.extend_from_slice(rest.get(..at).unwrap_or_default());
        out.extend_from_slice(options);
        rest = rest.get(at + CMDLINE_OPTS.len()..).unwrap_or_default();
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_params_quote_values_with_spaces() {
        // Observed with kmod 30: `modprobe -n -v ext4 a=1 'b=c d' "e='x y'" f`.
        assert_eq!(
            join_cli_params(&["a=1", "b=c d", "e='x y'", "f"]),
            "a=1 b=\"c d\" e='x y' f"
        );
        assert_eq!(join_cli_params(&["x y"]), "x y");
        assert_eq!(join_cli_params(&["k=\"v w\""]), "k=\"v w\"");
        assert_eq!(join_cli_params::<&str>(&[]), "");
        assert_eq!(join_cli_params(&["", "a"]), " a");
    }

    #[test]
    fn merged_options_keep_kmods_trailing_space() {
        assert_eq!(merge_options(&[], None), b"");
        assert_eq!(merge_options(&[], Some(b"")), b"");
        assert_eq!(merge_options(&[], Some(b"a=1")), b"a=1");
        assert_eq!(merge_options(&[b"foo=1"], None), b"foo=1 ");
        assert_eq!(
            merge_options(&[b"foo=1", b"bar=2"], Some(b"")),
            b"foo=1 bar=2 "
        );
        assert_eq!(merge_options(&[b"o=1"], Some(b"a")), b"o=1 a");
        assert_eq!(
            merge_options(&[b"x=\xff", b"\xe9"], Some(b"a")),
            b"x=\xff \xe9 a"
        );
    }

    #[test]
    fn every_cmdline_opts_is_replaced() {
        assert_eq!(
            substitute_cmdline_opts(b"a $CMDLINE_OPTS b $CMDLINE_OPTS", b"x=1"),
            b"a x=1 b x=1"
        );
        assert_eq!(substitute_cmdline_opts(b"/bin/true", b"x"), b"/bin/true");
        assert_eq!(
            substitute_cmdline_opts(b"\xff$CMDLINE_OPTS$CMDLINE_OPT\xe9", b"\xfe"),
            b"\xff\xfe$CMDLINE_OPT\xe9"
        );
        assert_eq!(substitute_cmdline_opts(b"$CMDLINE_OPTS", b""), b"");
    }
}
