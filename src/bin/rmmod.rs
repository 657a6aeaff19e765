//! `rmmod`: entry point; the tool is chosen by `argv[0]` (see `kmod_cli::main`).
fn main() {
    std::process::exit(kmod_cli::main());
}
