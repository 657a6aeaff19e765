//! The running kernel: module state from /proc and /sys, and the load/unload system calls (being written).
