//! The module tools library ("libkmod" in Rust): a [`Context`] naming the module directory and
//! kernel release, and what the tools ask of it — name and alias lookup, module information,
//! dependencies, the depmod engine and the running kernel's state.

pub mod builtin_modinfo;
pub mod context;
pub mod depmod;
mod error;
pub mod kernel;
pub mod lookup;
pub mod probe;

pub use context::{Context, IndexKind};
pub use error::{libc_errno, Error};
pub use lookup::{DepEntry, Lookup, ModuleRef};
