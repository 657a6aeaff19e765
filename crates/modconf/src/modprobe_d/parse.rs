//! Reading modprobe.d lines into a [`ModprobeConfig`] (config.md §1.3, §2).

use std::io::BufRead;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::{Alias, Command, ModOptions, ModprobeConfig, Softdep, Weakdep};
use crate::diagnostic::{join, Diagnostic};
use crate::files::{open_config, strerror, ConfigFile};
use crate::kcmdline::{parse_kcmdline, KcmdlineEntry};
use crate::line_reader::{until_nul, LineError, LogicalLines};
use crate::tokens::{next_field, rest_of_line};

/// What became of one logical line.
enum LineOutcome<'l> {
    /// Parsed, or nothing to parse (blank, comment).
    Done,
    /// Unknown directive or missing/invalid argument: `ignoring bad line starting with '<cmd>'`.
    Bad(&'l [u8]),
    /// `include`/`config`: no longer supported.
    Deprecated(&'l [u8]),
}

impl ModprobeConfig {
    /// Parses one modprobe.d file (or `modules.softdep`/`modules.weakdep`) held in memory, appending
    /// its directives. `path` is only used in messages.
    pub fn parse_file(&mut self, path: &Path, data: &[u8], diags: &mut Vec<Diagnostic>) {
        self.parse_reader(path, data, diags);
    }

    /// Like [`ModprobeConfig::parse_file`], reading from `reader` with bounded memory per line.
    pub fn parse_reader<R: BufRead>(
        &mut self,
        path: &Path,
        reader: R,
        diags: &mut Vec<Diagnostic>,
    ) {
        let name = path.as_os_str().as_bytes();
        for line in LogicalLines::new(reader) {
            match line {
                Ok(line) => self.parse_line(name, line.number, until_nul(&line.text), diags),
                Err(LineError::TooLong { line, limit }) => diags.push(Diagnostic::error(join(&[
                    b"kmod_config_parse: ",
                    name,
                    format!(" line {line}: ignoring line longer than {limit} bytes").as_bytes(),
                ]))),
                Err(e) => diags.push(Diagnostic::error(join(&[
                    b"kmod_config_parse: ",
                    name,
                    b": ",
                    e.to_string().as_bytes(),
                ]))),
            }
        }
    }

    /// Appends the options and blacklist entries of a kernel command line (`/proc/cmdline`
    /// contents), as kmod does after all files.
    pub fn parse_kernel_cmdline(&mut self, cmdline: &[u8], diags: &mut Vec<Diagnostic>) {
        for entry in parse_kcmdline(cmdline, diags) {
            match entry {
                KcmdlineEntry::Options { module, options } => {
                    self.options.push(ModOptions { module, options })
                }
                KcmdlineEntry::Blacklist(module) => self.blacklist.push(module),
            }
        }
    }

    /// Reads `files` in order (see [`crate::list_config_files`]), then the kernel command line if
    /// given. Files that cannot be opened are skipped with a DEBUG message, as kmod does.
    pub fn load(
        files: &[ConfigFile],
        cmdline: Option<&[u8]>,
        diags: &mut Vec<Diagnostic>,
    ) -> ModprobeConfig {
        let mut cfg = ModprobeConfig::default();
        for file in files {
            let path = file.path.as_os_str().as_bytes();
            match open_config(&file.path) {
                Ok(reader) => {
                    diags.push(Diagnostic::debug(join(&[
                        b"kmod_config_new: parsing file '",
                        path,
                        b"'",
                    ])));
                    cfg.parse_reader(&file.path, reader, diags);
                }
                Err(e) => diags.push(Diagnostic::debug(join(&[
                    b"kmod_config_new: could not open '",
                    path,
                    b"': ",
                    strerror(&e).as_bytes(),
                ]))),
            }
        }
        if let Some(cmdline) = cmdline {
            cfg.parse_kernel_cmdline(cmdline, diags);
        }
        cfg
    }

    fn parse_line(&mut self, name: &[u8], number: u32, text: &[u8], diags: &mut Vec<Diagnostic>) {
        if text.is_empty() || text.starts_with(b"#") {
            return;
        }
        let at_line = format!(" line {number}: ");
        match self.parse_directive(text) {
            LineOutcome::Done => {}
            LineOutcome::Bad(cmd) => diags.push(Diagnostic::error(join(&[
                b"kmod_config_parse: ",
                name,
                at_line.as_bytes(),
                b"ignoring bad line starting with '",
                cmd,
                b"'",
            ]))),
            LineOutcome::Deprecated(cmd) => diags.push(Diagnostic::error(join(&[
                b"kmod_config_parse: ",
                name,
                b": command ",
                cmd,
                b" is deprecated and not parsed anymore",
            ]))),
        }
    }

    fn parse_directive<'l>(&mut self, text: &'l [u8]) -> LineOutcome<'l> {
        let Some((cmd, args)) = next_field(text) else {
            return LineOutcome::Done;
        };
        let parsed =
            match cmd {
                b"alias" => self.parse_alias(args),
                b"blacklist" => self.parse_blacklist(args),
                b"options" => self.parse_options(args),
                b"install" => parse_command(args).map(|c| self.install.push(c)),
                b"remove" => parse_command(args).map(|c| self.remove.push(c)),
                b"softdep" => module_and_rest(args)
                    .map(|(m, deps)| self.softdeps.push(Softdep::parse(m, deps))),
                b"weakdep" => module_and_rest(args)
                    .map(|(m, deps)| self.weakdeps.push(Weakdep::parse(m, deps))),
                b"include" | b"config" => return LineOutcome::Deprecated(cmd),
                _ => None,
            };
        match parsed {
            Some(()) => LineOutcome::Done,
            None => LineOutcome::Bad(cmd),
        }
    }

    fn parse_alias(&mut self, args: &[u8]) -> Option<()> {
        let (pattern, rest) = next_field(args)?;
        let (module, _) = next_field(rest)?;
        let pattern = modname::normalize::underscores_bytes(pattern).ok()?;
        let module = modname::normalize::underscores_bytes(module).ok()?;
        self.aliases.push(Alias { pattern, module });
        Some(())
    }

    fn parse_blacklist(&mut self, args: &[u8]) -> Option<()> {
        let (module, _) = next_field(args)?;
        self.blacklist
            .push(modname::normalize::underscores_bytes(module).ok()?);
        Some(())
    }

    fn parse_options(&mut self, args: &[u8]) -> Option<()> {
        let (module, options) = module_and_rest(args)?;
        let options = options
            .iter()
            .map(|&b| if b == b'\t' { b' ' } else { b })
            .collect();
        self.options.push(ModOptions { module, options });
        Some(())
    }
}

/// The module field (normalised) and the non-empty rest of the line.
fn module_and_rest(args: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let (module, rest) = next_field(args)?;
    let rest = rest_of_line(rest)?;
    Some((modname::normalize::underscores_bytes(module).ok()?, rest))
}

fn parse_command(args: &[u8]) -> Option<Command> {
    let (module, command) = module_and_rest(args)?;
    Some(Command {
        module,
        command: command.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8]) -> (ModprobeConfig, Vec<Diagnostic>) {
        let mut cfg = ModprobeConfig::default();
        let mut diags = Vec::new();
        cfg.parse_file(Path::new("cfg/a.conf"), text, &mut diags);
        (cfg, diags)
    }

    fn bad(line: u32, cmd: &str) -> Diagnostic {
        Diagnostic::error(format!(
            "kmod_config_parse: cfg/a.conf line {line}: ignoring bad line starting with '{cmd}'"
        ))
    }

    #[test]
    fn every_directive_and_normalisation() {
        let (cfg, diags) = parse(
            b"alias foo-bar baz-qux extra\nblacklist a-b c\noptions m-x a=1\tb=2\n\
install i-n /bin/true\tx\nremove r-m /bin/false\nsoftdep s-d pre: a-b post: c\nweakdep w-d x-y\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            cfg.aliases,
            [Alias {
                pattern: b"foo_bar".to_vec(),
                module: b"baz_qux".to_vec()
            }]
        );
        assert_eq!(cfg.blacklist, [b"a_b".to_vec()]);
        assert_eq!(
            cfg.options,
            [ModOptions {
                module: b"m_x".to_vec(),
                options: b"a=1 b=2".to_vec()
            }]
        );
        assert_eq!(cfg.install[0].command, b"/bin/true\tx");
        assert_eq!(cfg.remove[0].module, b"r_m");
        assert_eq!(cfg.softdeps[0].module, b"s_d");
        assert_eq!(cfg.softdeps[0].pre, [b"a-b".to_vec()]);
        assert_eq!(cfg.weakdeps[0].module, b"w_d");
        assert_eq!(cfg.weakdeps[0].deps, [b"x-y".to_vec()]);
    }

    #[test]
    fn rest_of_line_keeps_extra_whitespace() {
        let (cfg, _) =
            parse(b"options  m-x   spaced\noptions o1\t x\ty\ninstall i1\t\tcmd\there\n");
        assert_eq!(cfg.options[0].options, b"  spaced");
        assert_eq!(cfg.options[1].options, b" x y");
        assert_eq!(cfg.install[0].command, b"\tcmd\there");
    }

    #[test]
    fn no_inline_comments() {
        let (cfg, _) = parse(b"options foo a=1 # note\n");
        assert_eq!(cfg.options[0].options, b"a=1 # note");
    }

    #[test]
    fn bad_lines_are_reported_with_physical_numbers() {
        let (cfg, diags) = parse(
            b"softdep u\nweakdep v\n  # indented\nbogus \\\nline\nalias lonely\noptions o \n\
blacklist\nalias a[b c\nalias x]y z\nblacklist p[q\noptions o[p x=1\ninstall i[-j cmd\nremove r\n",
        );
        assert_eq!(
            diags,
            [
                bad(1, "softdep"),
                bad(2, "weakdep"),
                bad(3, "#"),
                bad(5, "bogus"),
                bad(6, "alias"),
                bad(7, "options"),
                bad(8, "blacklist"),
                bad(9, "alias"),
                bad(10, "alias"),
                bad(11, "blacklist"),
                bad(12, "options"),
                bad(13, "install"),
                bad(14, "remove"),
            ]
        );
        assert_eq!(cfg, ModprobeConfig::default());
    }

    #[test]
    fn deprecated_commands() {
        let (_, diags) = parse(b"include foo\nconfig bar\n");
        assert_eq!(
            diags,
            [
                Diagnostic::error(
                    "kmod_config_parse: cfg/a.conf: command include is deprecated and not parsed anymore"
                ),
                Diagnostic::error(
                    "kmod_config_parse: cfg/a.conf: command config is deprecated and not parsed anymore"
                ),
            ]
        );
    }

    #[test]
    fn comments_blank_lines_and_escapes() {
        let (cfg, diags) = parse(
            b"# c\n\t\n   \n\\#alias esc m2\n# comment \\\nalias swallowed m3\n  alias lead-ws m1\n\
alias crlf m4\r\n",
        );
        assert!(diags.is_empty());
        let aliases: Vec<_> = cfg
            .aliases
            .iter()
            .map(|a| (a.pattern.as_slice(), a.module.as_slice()))
            .collect();
        assert_eq!(aliases, [(&b"lead_ws"[..], &b"m1"[..]), (b"crlf", b"m4\r")]);
    }

    #[test]
    fn nul_truncates_the_line() {
        let (cfg, diags) = parse(b"alias a\0junk b\noptions x y\0z\n");
        assert_eq!(diags, [bad(1, "alias")]);
        assert_eq!(cfg.options[0].options, b"y");
    }

    #[test]
    fn brackets_survive_normalisation() {
        let (cfg, _) = parse(b"alias ok-[a-b]-x m-[1]\nalias c[[]-d m\nalias e[!-]-f m\n");
        let pats: Vec<_> = cfg.aliases.iter().map(|a| a.pattern.as_slice()).collect();
        assert_eq!(pats, [&b"ok_[a-b]_x"[..], b"c[[]_d", b"e[!-]_f"]);
        assert_eq!(cfg.aliases[0].module, b"m_[1]");
    }

    #[test]
    fn softdep_with_only_whitespace_is_accepted() {
        let (cfg, diags) = parse(b"softdep x4  \nsoftdep cifs gcm\n");
        assert!(diags.is_empty());
        assert_eq!(cfg.softdeps.len(), 2);
        assert!(cfg.softdeps[1].pre.is_empty());
    }

    // kmod 30's `modprobe -c` and its messages for the same file (tests/diff/modprobe.sh).
    #[test]
    fn bytes_are_kept_as_written() {
        let (cfg, diags) = parse(
            b"alias bin\x01\x02ary loop\noptions loop \x01x=\xff\t\xfe\nalias \xff\xfe loop\n\
\xff\xfe\x01 x\n# \xff comment\ninclude \xe9\n\xe9nclude x\ninstall caf\xe9-1 echo \xe9\n",
        );
        let pats: Vec<_> = cfg.aliases.iter().map(|a| a.pattern.as_slice()).collect();
        assert_eq!(pats, [&b"bin\x01\x02ary"[..], b"\xff\xfe"]);
        assert_eq!(cfg.options[0].options, b"\x01x=\xff \xfe");
        assert_eq!(cfg.install[0].module, b"caf\xe9_1");
        assert_eq!(cfg.install[0].command, b"echo \xe9");
        assert_eq!(
            diags,
            [
                Diagnostic::error(
                    &b"kmod_config_parse: cfg/a.conf line 4: ignoring bad line starting with '\xff\xfe\x01'"[..]
                ),
                Diagnostic::error(
                    "kmod_config_parse: cfg/a.conf: command include is deprecated and not parsed anymore"
                ),
                Diagnostic::error(
                    &b"kmod_config_parse: cfg/a.conf line 7: ignoring bad line starting with '\xe9nclude'"[..]
                ),
            ]
        );
    }

    #[test]
    fn file_names_are_quoted_as_bytes() {
        let mut cfg = ModprobeConfig::default();
        let mut diags = Vec::new();
        let name = std::ffi::OsStr::from_bytes(b"d/\xff.conf");
        cfg.parse_file(Path::new(name), b"bogus\n", &mut diags);
        assert_eq!(
            diags[0].message,
            b"kmod_config_parse: d/\xff.conf line 1: ignoring bad line starting with 'bogus'"
        );
    }

    #[test]
    fn overlong_line_is_refused_and_parsing_continues() {
        let mut text = b"options big ".to_vec();
        text.extend_from_slice(&vec![b'a'; crate::line_reader::MAX_LINE_LEN + 1]);
        text.extend_from_slice(b"\nalias after m\n");
        let (cfg, diags) = parse(&text);
        assert!(cfg.options.is_empty());
        assert_eq!(cfg.aliases.len(), 1);
        assert_eq!(diags.len(), 1);
        assert!(diags[0]
            .text()
            .contains("line 1: ignoring line longer than"));
    }

    #[test]
    fn binary_junk_never_panics() {
        let junk: Vec<u8> = (0..20_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let (_, _) = parse(&junk);
        let (_, _) = parse(b"\\");
        let (_, _) = parse(b"softdep \xff pre:");
    }

    #[test]
    fn kernel_cmdline_appends_after_files() {
        let (mut cfg, _) = parse(b"options m a=1\nblacklist z\n");
        cfg.parse_kernel_cmdline(b"m.b=2 modprobe.blacklist=snd-x\n", &mut Vec::new());
        let opts: Vec<_> = cfg.options.iter().map(|o| o.options.as_slice()).collect();
        assert_eq!(opts, [&b"a=1"[..], b"b=2"]);
        assert_eq!(cfg.blacklist, [b"z".to_vec(), b"snd-x".to_vec()]);
    }

    #[test]
    fn load_reads_files_in_order_and_skips_missing() {
        let t = tempfile::tempdir().unwrap();
        let a = t.path().join("a.conf");
        std::fs::write(&a, "alias x first\n").unwrap();
        let b = t.path().join("b.conf");
        std::fs::write(&b, "alias x second\n").unwrap();
        let files = [
            ConfigFile {
                path: a,
                name: "a.conf".into(),
            },
            ConfigFile {
                path: t.path().join("gone.conf"),
                name: "gone.conf".into(),
            },
            ConfigFile {
                path: b,
                name: "b.conf".into(),
            },
        ];
        let mut diags = Vec::new();
        let cfg = ModprobeConfig::load(&files, Some(b"x.y=1"), &mut diags);
        let mods: Vec<_> = cfg.aliases.iter().map(|a| a.module.as_slice()).collect();
        assert_eq!(mods, [&b"first"[..], b"second"]);
        assert_eq!(cfg.options[0].module, b"x");
        assert!(diags.iter().any(|d| d.text().contains("could not open")
            && d.message
                .ends_with(b"gone.conf': No such file or directory")));
    }
}
