//! The module tools library ("libkmod" in Rust): a [`Context`] naming the root directory and kernel
//! release, and what the tools ask of it — name and alias lookup, dependencies, the depmod engine and
//! (in `kernel`) the running kernel's state and system calls.

pub mod context;
pub mod depmod;

pub use context::Context;
