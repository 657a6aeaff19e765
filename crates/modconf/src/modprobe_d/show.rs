//! `modprobe -c`: the configuration part of the dump (tools.md §5.5).

use super::ModprobeConfig;

impl ModprobeConfig {
    /// The configuration part of `modprobe -c` (everything before the
    /// `# End of configuration files` marker, excluding the marker), byte-exact with kmod: sections
    /// blacklist, install, remove, alias, options, softdep, weakdep, one line each, in parse order,
    /// every word as the bytes written. Softdeps keep kmod's printing quirks (see
    /// [`super::Softdep::show_text`]); a softdep or weakdep without targets leaves a trailing space.
    pub fn show_config(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut line = |parts: &[&[u8]]| {
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                out.extend_from_slice(part);
            }
            out.push(b'\n');
        };
        for m in &self.blacklist {
            line(&[b"blacklist", m]);
        }
        for c in &self.install {
            line(&[b"install", &c.module, &c.command]);
        }
        for c in &self.remove {
            line(&[b"remove", &c.module, &c.command]);
        }
        for a in &self.aliases {
            line(&[b"alias", &a.pattern, &a.module]);
        }
        for o in &self.options {
            line(&[b"options", &o.module, &o.options]);
        }
        for d in &self.softdeps {
            line(&[b"softdep", &d.module, &d.show_text()]);
        }
        for w in &self.weakdeps {
            line(&[b"weakdep", &w.module, &w.show_text()]);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &[u8]) -> Vec<u8> {
        let mut cfg = ModprobeConfig::default();
        let mut diags = Vec::new();
        cfg.parse_file("t.conf".as_ref(), text, &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        cfg.show_config()
    }

    #[test]
    fn sections_come_in_kmod_order() {
        let text =
            b"softdep s pre: a\nweakdep w \t\noptions o x\nalias a-1 m\nremove r /bin/false\n\
install i /bin/true\nblacklist b\n";
        assert_eq!(
            String::from_utf8(shown(text)).unwrap(),
            "blacklist b\ninstall i /bin/true\nremove r /bin/false\nalias a_1 m\noptions o x\n\
softdep s pre: a\nweakdep w \n"
        );
    }

    // kmod 30's `modprobe -c` printed these bytes for the same lines.
    #[test]
    fn every_directive_keeps_its_bytes() {
        let text = b"alias bin\x01\x02ary loop\noptions loop \x01x=\xff\nalias \xff\xfe loop\n\
blacklist b\xe9-x\ninstall i\xe9 echo \xe9\nremove r\xe9 echo \xfe\nsoftdep s\xe9 pre: p\xe9 post: q\xe9\n\
weakdep w\xe9 d\xe9\n";
        assert_eq!(
            shown(text),
            b"blacklist b\xe9_x\ninstall i\xe9 echo \xe9\nremove r\xe9 echo \xfe\n\
alias bin\x01\x02ary loop\nalias \xff\xfe loop\noptions loop \x01x=\xff\n\
softdep s\xe9 pre: p\xe9post: q\xe9\nweakdep w\xe9 d\xe9\n"
        );
    }

    #[test]
    fn empty_config_prints_nothing() {
        assert!(ModprobeConfig::default().show_config().is_empty());
    }
}
