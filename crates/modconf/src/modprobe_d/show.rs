//! `modprobe -c`: the configuration part of the dump (tools.md §5.5).

use std::fmt::Write;

use super::ModprobeConfig;

impl ModprobeConfig {
    /// The configuration part of `modprobe -c` (everything before the
    /// `# End of configuration files` marker, excluding the marker), byte-exact with kmod: sections
    /// blacklist, install, remove, alias, options, softdep, weakdep, one line each, in parse order.
    /// Softdeps keep kmod's printing quirks (see [`super::Softdep::show_text`]); a softdep or
    /// weakdep without targets leaves a trailing space.
    pub fn show_config(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        for m in &self.blacklist {
            let _ = writeln!(out, "blacklist {m}");
        }
        for c in &self.install {
            let _ = writeln!(out, "install {} {}", c.module, c.command);
        }
        for c in &self.remove {
            let _ = writeln!(out, "remove {} {}", c.module, c.command);
        }
        for a in &self.aliases {
            let _ = writeln!(out, "alias {} {}", a.pattern, a.module);
        }
        for o in &self.options {
            let _ = writeln!(out, "options {} {}", o.module, o.options);
        }
        for d in &self.softdeps {
            let _ = writeln!(out, "softdep {} {}", d.module, d.show_text());
        }
        for w in &self.weakdeps {
            let _ = writeln!(out, "weakdep {} {}", w.module, w.show_text());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_come_in_kmod_order() {
        let mut cfg = ModprobeConfig::default();
        let text =
            b"softdep s pre: a\nweakdep w \t\noptions o x\nalias a-1 m\nremove r /bin/false\n\
install i /bin/true\nblacklist b\n";
        cfg.parse_file("t.conf".as_ref(), text, &mut Vec::new());
        assert_eq!(
            cfg.show_config(),
            "blacklist b\ninstall i /bin/true\nremove r /bin/false\nalias a_1 m\noptions o x\n\
softdep s pre: a\nweakdep w \n"
        );
    }

    #[test]
    fn empty_config_prints_nothing() {
        assert_eq!(ModprobeConfig::default().show_config(), "");
    }
}
