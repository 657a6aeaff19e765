//! `/proc/modules`: the list of loaded modules, newest first (formats.md §8).
//!
//! Each line is `name size refcount used-by state address [taint]`, for example
//! `fat 90112 1 vfat, Live 0xffffffffc0201000` or, without `CONFIG_MODULE_UNLOAD`,
//! `fat 90112 - - Live 0x0`.

/// One line of `/proc/modules`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedModule {
    /// The module name.
    pub name: String,
    /// Total size of the module's memory (second column); `None` if the column is missing or not
    /// a number.
    pub size: Option<u64>,
    /// Reference count; `None` without `CONFIG_MODULE_UNLOAD` (`-`) or when missing.
    pub refcount: Option<u64>,
    /// Modules using this one (`[permanent]` included, as listed), without the trailing commas.
    pub used_by: Vec<String>,
    /// `Live`, `Loading` or `Unloading` (empty if missing).
    pub state: String,
}

/// Parses the text of `/proc/modules`. Lines are taken as they come: like kmod, only the name is
/// required; missing or malformed later columns become `None`/empty. Blank lines are skipped.
pub fn parse_proc_modules(text: &str) -> Vec<LoadedModule> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<LoadedModule> {
    let mut fields = line.split_ascii_whitespace();
    let name = fields.next()?.to_string();
    let size = fields.next().and_then(|s| s.parse().ok());
    let refcount = fields.next().and_then(|s| s.parse().ok());
    let used_by = match fields.next() {
        None | Some("-") => Vec::new(),
        Some(list) => list
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    };
    let state = fields.next().unwrap_or_default().to_string();
    Some(LoadedModule {
        name,
        size,
        refcount,
        used_by,
        state,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kernel_lines() {
        let text = "vfat 24576 0 - Live 0xffffffffc0234000\n\
                    fat 90112 1 vfat, Live 0xffffffffc0201000\n\
                    \n\
                    ext4 1019904 2 [permanent],jbd2, Loading 0x0000000000000000 (OE)\n\
                    nounload 100 - - Live 0x0\n\
                    bare\n";
        let mods = parse_proc_modules(text);
        assert_eq!(mods.len(), 5);
        assert_eq!(mods[0].name, "vfat");
        assert_eq!(mods[0].size, Some(24576));
        assert_eq!(mods[0].refcount, Some(0));
        assert!(mods[0].used_by.is_empty());
        assert_eq!(mods[1].used_by, ["vfat"]);
        assert_eq!(mods[2].used_by, ["[permanent]", "jbd2"]);
        assert_eq!(mods[2].state, "Loading");
        assert_eq!(mods[3].refcount, None);
        assert_eq!(mods[4].name, "bare");
        assert_eq!(mods[4].size, None);
        assert_eq!(mods[4].state, "");
    }
}
