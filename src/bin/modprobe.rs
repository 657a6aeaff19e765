//! `modprobe`: entry point; the tool is chosen by `argv[0]` (see `kmod_cli::main`).
#![cfg_attr(not(test), no_main)]
kmod_cli::tool_main!();
