//! The questions modprobe asks of its configuration, with kmod's matching rules (config.md §2
//! table): aliases, install/remove, softdep and weakdep match by glibc `fnmatch` (the entry is the
//! pattern), options and blacklist match exactly. Names passed in are expected to be normalised
//! already (`modname::alias_normalize`).

use super::{Alias, Command, ModprobeConfig, Softdep, Weakdep};

fn matches(pattern: &str, name: &str) -> bool {
    modname::fnmatch(pattern.as_bytes(), name.as_bytes())
}

fn first_command<'a>(commands: &'a [Command], module: &str) -> Option<&'a str> {
    commands
        .iter()
        .find(|c| matches(&c.module, module))
        .map(|c| c.command.as_str())
}

impl ModprobeConfig {
    /// Every `alias` line whose pattern matches `name`, in configuration order.
    pub fn alias_targets(&self, name: &str) -> Vec<&Alias> {
        self.aliases
            .iter()
            .filter(|a| matches(&a.pattern, name))
            .collect()
    }

    /// Is `module` named by a `blacklist` line (exact comparison)?
    pub fn is_blacklisted(&self, module: &str) -> bool {
        self.blacklist.iter().any(|b| b == module)
    }

    /// The option strings of every `options` line for `name` (a module name or the alias it was
    /// resolved through), exact comparison, in configuration order. kmod joins them with spaces.
    pub fn options_for(&self, name: &str) -> Vec<&str> {
        self.options
            .iter()
            .filter(|o| o.module == name)
            .map(|o| o.options.as_str())
            .collect()
    }

    /// The command of the first `install` line whose pattern matches `module`.
    pub fn install_for(&self, module: &str) -> Option<&str> {
        first_command(&self.install, module)
    }

    /// The command of the first `remove` line whose pattern matches `module`.
    pub fn remove_for(&self, module: &str) -> Option<&str> {
        first_command(&self.remove, module)
    }

    /// Is there an `install` or `remove` line whose module field **equals** `name`? This is step 4
    /// of modprobe's name lookup (tools.md §5.2): such a name resolves to a module that only carries
    /// its commands.
    pub fn has_command_named(&self, name: &str) -> bool {
        self.install
            .iter()
            .chain(&self.remove)
            .any(|c| c.module == name)
    }

    /// The first `softdep` line whose pattern matches `module` (later matching lines are ignored,
    /// kmod issue #33).
    pub fn softdep_for(&self, module: &str) -> Option<&Softdep> {
        self.softdeps.iter().find(|d| matches(&d.module, module))
    }

    /// The first `weakdep` line whose pattern matches `module`.
    pub fn weakdep_for(&self, module: &str) -> Option<&Weakdep> {
        self.weakdeps.iter().find(|d| matches(&d.module, module))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn cfg(text: &str) -> ModprobeConfig {
        let mut cfg = ModprobeConfig::default();
        let mut diags = Vec::new();
        cfg.parse_file(Path::new("q.conf"), text.as_bytes(), &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        cfg
    }

    #[test]
    fn aliases_match_all_by_fnmatch_in_order() {
        let c = cfg("alias usb-storage foo\nalias usb* bar\nalias snd-card-[0-9] snd\nalias x y\n");
        let got: Vec<_> = c
            .alias_targets("usb_storage")
            .iter()
            .map(|a| a.module.as_str())
            .collect();
        assert_eq!(got, ["foo", "bar"]);
        assert_eq!(c.alias_targets("snd_card_7").len(), 1);
        assert!(c.alias_targets("snd_card_x").is_empty());
        assert!(c
            .alias_targets("usb-storage")
            .iter()
            .all(|a| a.module == "bar"));
    }

    #[test]
    fn blacklist_and_options_are_exact() {
        let c =
            cfg("blacklist snd-hda\noptions snd-hda a=1\noptions snd* b=2\noptions snd_hda c=3\n");
        assert!(c.is_blacklisted("snd_hda"));
        assert!(!c.is_blacklisted("snd_hd"));
        assert!(!c.is_blacklisted("snd_hda_intel"));
        assert_eq!(c.options_for("snd_hda"), ["a=1", "c=3"]);
        assert_eq!(c.options_for("snd*"), ["b=2"]);
        assert!(c.options_for("snd_x").is_empty());
    }

    #[test]
    fn commands_first_fnmatch_wins() {
        let c = cfg(
            "install snd-* /bin/false\ninstall snd-hda /bin/true\nremove x-y rm1\nremove x* rm2\n",
        );
        assert_eq!(c.install_for("snd_hda"), Some("/bin/false"));
        assert_eq!(c.install_for("other"), None);
        assert_eq!(c.remove_for("x_y"), Some("rm1"));
        assert_eq!(c.remove_for("xz"), Some("rm2"));
        assert!(c.has_command_named("snd_hda"));
        assert!(c.has_command_named("x_y"));
        assert!(!c.has_command_named("snd_x"));
    }

    #[test]
    fn first_softdep_and_weakdep_win() {
        let c = cfg("softdep m* pre: a\nsoftdep mod pre: b\nweakdep mod x\nweakdep m* y\n");
        assert_eq!(
            c.softdep_for("mod").map(|d| d.pre.clone()),
            Some(vec!["a".to_string()])
        );
        assert_eq!(
            c.weakdep_for("mod").map(|d| d.deps.clone()),
            Some(vec!["x".to_string()])
        );
        assert_eq!(
            c.weakdep_for("mx").map(|d| d.deps.clone()),
            Some(vec!["y".to_string()])
        );
        assert!(c.softdep_for("other").is_none());
    }
}
