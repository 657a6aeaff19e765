//! The three module system calls, behind a trait so that the decisions around them can be tested.
//!
//! [`SystemCalls`] calls the kernel through `nix::kmod`, whose wrappers hold the only `unsafe`
//! needed (the raw `syscall(2)`s); this crate adds none.

use std::ffi::CStr;
use std::fs::File;

use nix::kmod::{DeleteModuleFlags, ModuleInitFlags};

/// `finit_module`, `init_module` and `delete_module`. Errors are positive errno values.
pub trait Syscalls {
    /// `finit_module(fd, params, flags)`.
    fn finit_module(&self, file: &File, params: &CStr, flags: u32) -> Result<(), i32>;
    /// `init_module(image, len, params)`.
    fn init_module(&self, image: &[u8], params: &CStr) -> Result<(), i32>;
    /// `delete_module(name, flags)`.
    fn delete_module(&self, name: &CStr, flags: i32) -> Result<(), i32>;
}

/// The real system calls.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemCalls;

impl Syscalls for SystemCalls {
    fn finit_module(&self, file: &File, params: &CStr, flags: u32) -> Result<(), i32> {
        // from_bits_retain: MODULE_INIT_COMPRESSED_FILE (4, Linux 6.4) is not named by nix.
        nix::kmod::finit_module(file, params, ModuleInitFlags::from_bits_retain(flags))
            .map_err(|e| e as i32)
    }

    fn init_module(&self, image: &[u8], params: &CStr) -> Result<(), i32> {
        nix::kmod::init_module(image, params).map_err(|e| e as i32)
    }

    fn delete_module(&self, name: &CStr, flags: i32) -> Result<(), i32> {
        nix::kmod::delete_module(name, DeleteModuleFlags::from_bits_retain(flags))
            .map_err(|e| e as i32)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A system call the [`Recorder`] saw.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub(crate) enum Call {
        Finit { params: String, flags: u32 },
        Init { image: Vec<u8>, params: String },
        Delete { name: String, flags: i32 },
    }

    /// Records calls and answers with the configured errnos (success when `None`).
    #[derive(Debug, Default)]
    pub(crate) struct Recorder {
        pub(crate) calls: Mutex<Vec<Call>>,
        pub(crate) finit_errno: Option<i32>,
        pub(crate) init_errno: Option<i32>,
        pub(crate) delete_errno: Option<i32>,
    }

    impl Recorder {
        pub(crate) fn calls(&self) -> Vec<Call> {
            self.calls.lock().unwrap().clone()
        }

        fn record(&self, call: Call, errno: Option<i32>) -> Result<(), i32> {
            self.calls.lock().unwrap().push(call);
            errno.map_or(Ok(()), Err)
        }
    }

    impl Syscalls for Recorder {
        fn finit_module(&self, _file: &File, params: &CStr, flags: u32) -> Result<(), i32> {
            let params = params.to_string_lossy().into_owned();
            self.record(Call::Finit { params, flags }, self.finit_errno)
        }

        fn init_module(&self, image: &[u8], params: &CStr) -> Result<(), i32> {
            let params = params.to_string_lossy().into_owned();
            let image = image.to_vec();
            self.record(Call::Init { image, params }, self.init_errno)
        }

        fn delete_module(&self, name: &CStr, flags: i32) -> Result<(), i32> {
            let name = name.to_string_lossy().into_owned();
            self.record(Call::Delete { name, flags }, self.delete_errno)
        }
    }

    #[test]
    fn real_calls_report_errno_without_privilege_or_bad_input() {
        // An empty "module" is refused by any kernel: EPERM without CAP_SYS_MODULE, ENOEXEC or
        // EINVAL otherwise, ENOSYS in a sandbox that filters the calls; either way the errno
        // comes back positive and nothing is loaded.
        let err = SystemCalls.init_module(b"", c"").unwrap_err();
        assert!([1, 8, 22, 38].contains(&err), "{err}");
        let err = SystemCalls
            .delete_module(c"no_such_module_kmod_rs", 0x800)
            .unwrap_err();
        assert!([1, 2, 38].contains(&err), "{err}");
    }
}
