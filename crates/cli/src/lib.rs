//! Front-ends of the kmod tools.

/// Entry point shared by every binary: dispatches on argv[0].
pub fn main() -> i32 {
    1
}
