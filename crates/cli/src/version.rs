//! `--version` output shared by every tool.

/// The kmod release whose behaviour these tools implement.
pub const KMOD_COMPAT_VERSION: &str = "34";

/// The `--version` text: kmod's two lines (consumers such as dracut and the kernel's depmod.sh parse
/// them), then our own name and version.
pub fn version_text() -> String {
    format!(
        "kmod version {KMOD_COMPAT_VERSION}\n+ZSTD +XZ +ZLIB +OPENSSL\nkmod-rs {}\n",
        env!("CARGO_PKG_VERSION")
    )
}
