//! Default configuration directories (kmod 34) and joining them under a root prefix.

use std::path::{Path, PathBuf};

/// kmod 34's modprobe.d search path, highest precedence first (config.md §1.1). Debian's kmod 30
/// lacks `/usr/lib/modprobe.d`.
pub const DEFAULT_MODPROBE_DIRS: [&str; 5] = [
    "/etc/modprobe.d",
    "/run/modprobe.d",
    "/usr/local/lib/modprobe.d",
    "/usr/lib/modprobe.d",
    "/lib/modprobe.d",
];

/// kmod 34's depmod.d search path, highest precedence first (config.md §6.1).
pub const DEFAULT_DEPMOD_DIRS: [&str; 5] = [
    "/etc/depmod.d",
    "/run/depmod.d",
    "/usr/local/lib/depmod.d",
    "/usr/lib/depmod.d",
    "/lib/depmod.d",
];

/// `dir` (an absolute path such as `/etc/modprobe.d`) as seen under `root`. An empty root or `/`
/// leaves `dir` unchanged; otherwise the leading `/` of `dir` is dropped and the rest appended to
/// `root` (`/tmp/r` + `/etc/modprobe.d` → `/tmp/r/etc/modprobe.d`).
pub fn root_join(root: &Path, dir: &str) -> PathBuf {
    if root.as_os_str().is_empty() || root == Path::new("/") {
        return PathBuf::from(dir);
    }
    root.join(dir.trim_start_matches('/'))
}

/// Every directory of `dirs` under `root` (see [`root_join`]), in the same order.
pub fn dirs_under_root(root: &Path, dirs: &[&str]) -> Vec<PathBuf> {
    dirs.iter().map(|d| root_join(root, d)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_order_matches_kmod_34() {
        assert_eq!(DEFAULT_MODPROBE_DIRS[0], "/etc/modprobe.d");
        assert_eq!(DEFAULT_MODPROBE_DIRS[3], "/usr/lib/modprobe.d");
        assert_eq!(DEFAULT_MODPROBE_DIRS[4], "/lib/modprobe.d");
        assert_eq!(DEFAULT_DEPMOD_DIRS[1], "/run/depmod.d");
    }

    #[test]
    fn root_join_prefixes() {
        assert_eq!(root_join(Path::new("/"), "/etc/x"), PathBuf::from("/etc/x"));
        assert_eq!(root_join(Path::new(""), "/etc/x"), PathBuf::from("/etc/x"));
        assert_eq!(
            root_join(Path::new("/tmp/r"), "/etc/x"),
            PathBuf::from("/tmp/r/etc/x")
        );
        assert_eq!(
            root_join(Path::new("rel"), "/etc/x"),
            PathBuf::from("rel/etc/x")
        );
        let all = dirs_under_root(Path::new("/r"), &DEFAULT_DEPMOD_DIRS);
        assert_eq!(all.len(), 5);
        assert_eq!(all[4], PathBuf::from("/r/lib/depmod.d"));
    }
}
