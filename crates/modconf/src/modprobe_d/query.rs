//! The questions modprobe asks of its configuration, with kmod's matching rules (config.md §2
//! table): aliases, install/remove, softdep and weakdep match by glibc `fnmatch` (the entry is the
//! pattern), options and blacklist match exactly. Names are bytes, compared as bytes, and expected
//! to be normalised already (`modname::normalize::underscores_bytes`).

use super::{Alias, Command, ModprobeConfig, Softdep, Weakdep};

fn matches(pattern: &[u8], name: &[u8]) -> bool {
    modname::fnmatch(pattern, name)
}

fn first_command<'a>(commands: &'a [Command], module: &[u8]) -> Option<&'a [u8]> {
    commands
        .iter()
        .find(|c| matches(&c.module, module))
        .map(|c| c.command.as_slice())
}

impl ModprobeConfig {
    /// Every `alias` line whose pattern matches `name`, in configuration order.
    pub fn alias_targets(&self, name: &[u8]) -> Vec<&Alias> {
        self.aliases
            .iter()
            .filter(|a| matches(&a.pattern, name))
            .collect()
    }

    /// Is `module` named by a `blacklist` line (exact comparison)?
    pub fn is_blacklisted(&self, module: &[u8]) -> bool {
        self.blacklist.iter().any(|b| b == module)
    }

    /// The option strings of every `options` line for `name` (a module name or the alias it was
    /// resolved through), exact comparison, in configuration order. kmod joins them with spaces.
    pub fn options_for(&self, name: &[u8]) -> Vec<&[u8]> {
        self.options
            .iter()
            .filter(|o| o.module == name)
            .map(|o| o.options.as_slice())
            .collect()
    }

    /// The command of the first `install` line whose pattern matches `module`.
    pub fn install_for(&self, module: &[u8]) -> Option<&[u8]> {
        first_command(&self.install, module)
    }

    /// The command of the first `remove` line whose pattern matches `module`.
    pub fn remove_for(&self, module: &[u8]) -> Option<&[u8]> {
        first_command(&self.remove, module)
    }

    /// Is there an `install` or `remove` line whose module field **equals** `name`? This is step 4
    /// of modprobe's name lookup (tools.md §5.2): such a name resolves to a module that only carries
    /// its commands.
    pub fn has_command_named(&self, name: &[u8]) -> bool {
        self.install
            .iter()
            .chain(&self.remove)
            .any(|c| c.module == name)
    }

    /// The first `softdep` line whose pattern matches `module` (later matching lines are ignored,
    /// kmod issue #33).
    pub fn softdep_for(&self, module: &[u8]) -> Option<&Softdep> {
        self.softdeps.iter().find(|d| matches(&d.module, module))
    }

    /// The first `weakdep` line whose pattern matches `module`.
    pub fn weakdep_for(&self, module: &[u8]) -> Option<&Weakdep> {
        self.weakdeps.iter().find(|d| matches(&d.module, module))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn cfg(text: &[u8]) -> ModprobeConfig {
        let mut cfg = ModprobeConfig::default();
        let mut diags = Vec::new();
        cfg.parse_file(Path::new("q.conf"), text, &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        cfg
    }

    #[test]
    fn aliases_match_all_by_fnmatch_in_order() {
        let c =
            cfg(b"alias usb-storage foo\nalias usb* bar\nalias snd-card-[0-9] snd\nalias x y\n");
        let got: Vec<_> = c
            .alias_targets(b"usb_storage")
            .iter()
            .map(|a| a.module.as_slice())
            .collect();
        assert_eq!(got, [&b"foo"[..], b"bar"]);
        assert_eq!(c.alias_targets(b"snd_card_7").len(), 1);
        assert!(c.alias_targets(b"snd_card_x").is_empty());
        assert!(c
            .alias_targets(b"usb-storage")
            .iter()
            .all(|a| a.module == b"bar"));
    }

    #[test]
    fn high_bytes_match_as_bytes() {
        let c = cfg(
            b"alias caf\xe9-? m\xff\nalias [\x80-\xff]* hi\nblacklist b\xe9\n\
options o\xe9 x=\xe9\ninstall i\xe9* cmd \xe9\nsoftdep s\xe9 pre: p\xe9\n",
        );
        let targets: Vec<_> = c
            .alias_targets(b"caf\xe9_1")
            .iter()
            .map(|a| a.module.as_slice())
            .collect();
        assert_eq!(targets, [&b"m\xff"[..]]);
        assert_eq!(c.alias_targets(b"\xc3\xa9").len(), 1);
        assert!(c.alias_targets(b"\x7f").is_empty());
        assert!(c.is_blacklisted(b"b\xe9"));
        assert!(!c.is_blacklisted(b"b\xc3\xa9"));
        assert_eq!(c.options_for(b"o\xe9"), [&b"x=\xe9"[..]]);
        assert_eq!(c.install_for(b"i\xe9\xff"), Some(&b"cmd \xe9"[..]));
        assert!(c.has_command_named(b"i\xe9*"));
        assert_eq!(
            c.softdep_for(b"s\xe9").map(|d| d.pre.clone()),
            Some(vec![b"p\xe9".to_vec()])
        );
    }

    #[test]
    fn blacklist_and_options_are_exact() {
        let c =
            cfg(b"blacklist snd-hda\noptions snd-hda a=1\noptions snd* b=2\noptions snd_hda c=3\n");
        assert!(c.is_blacklisted(b"snd_hda"));
        assert!(!c.is_blacklisted(b"snd_hd"));
        assert!(!c.is_blacklisted(b"snd_hda_intel"));
        assert_eq!(c.options_for(b"snd_hda"), [&b"a=1"[..], b"c=3"]);
        assert_eq!(c.options_for(b"snd*"), [&b"b=2"[..]]);
        assert!(c.options_for(b"snd_x").is_empty());
    }

    #[test]
    fn commands_first_fnmatch_wins() {
        let c = cfg(
            b"install snd-* /bin/false\ninstall snd-hda /bin/true\nremove x-y rm1\nremove x* rm2\n",
        );
        assert_eq!(c.install_for(b"snd_hda"), Some(&b"/bin/false"[..]));
        assert_eq!(c.install_for(b"other"), None);
        assert_eq!(c.remove_for(b"x_y"), Some(&b"rm1"[..]));
        assert_eq!(c.remove_for(b"xz"), Some(&b"rm2"[..]));
        assert!(c.has_command_named(b"snd_hda"));
        assert!(c.has_command_named(b"x_y"));
        assert!(!c.has_command_named(b"snd_x"));
    }

    #[test]
    fn first_softdep_and_weakdep_win() {
        let c = cfg(b"softdep m* pre: a\nsoftdep mod pre: b\nweakdep mod x\nweakdep m* y\n");
        assert_eq!(
            c.softdep_for(b"mod").map(|d| d.pre.clone()),
            Some(vec![b"a".to_vec()])
        );
        assert_eq!(
            c.weakdep_for(b"mod").map(|d| d.deps.clone()),
            Some(vec![b"x".to_vec()])
        );
        assert_eq!(
            c.weakdep_for(b"mx").map(|d| d.deps.clone()),
            Some(vec![b"y".to_vec()])
        );
        assert!(c.softdep_for(b"other").is_none());
    }
}
