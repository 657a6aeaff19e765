//! Module name rules shared by every kmod component.
pub mod fnmatch;
pub mod normalize;
pub use fnmatch::fnmatch;
pub use normalize::{alias_normalize, modname_normalize, underscores};
