//! The [`Context`]: which root and kernel release the tools work on (being written).

/// Where modules live: `<root>/<module_directory>/<kernel_release>`.
#[derive(Debug, Clone)]
pub struct Context {}
