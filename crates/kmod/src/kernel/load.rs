//! Loading a module file into the kernel (formats.md §7.2).
//!
//! A plain file goes to `finit_module` as it is; a compressed one too, with
//! `MODULE_INIT_COMPRESSED_FILE`, when the kernel decompresses that format itself
//! (`/sys/module/compression`). Otherwise the file is decompressed here and its image passed to
//! `init_module`, which is also the fallback when `finit_module` does not exist (`ENOSYS`).
//! Forcing sets `MODULE_INIT_IGNORE_*` for `finit_module`, or blanks the checked data in the
//! image for `init_module` ([`super::strip_for_force`]).

use std::ffi::CString;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use modfile::{detect_compression, Compression, ModuleFile};

use super::strip::strip_for_force;
use super::{Kernel, KernelError, Syscalls};

/// `finit_module` flag: ignore symbol version hashes.
pub const MODULE_INIT_IGNORE_MODVERSIONS: u32 = 1;
/// `finit_module` flag: ignore the kernel version magic.
pub const MODULE_INIT_IGNORE_VERMAGIC: u32 = 2;
/// `finit_module` flag (Linux 6.4+): the file is compressed, the kernel decompresses it.
pub const MODULE_INIT_COMPRESSED_FILE: u32 = 4;

/// `ENOSYS`: the system call does not exist.
const ENOSYS: i32 = 38;

/// Bytes read to recognise a compressed file.
const MAGIC_LEN: usize = 6;

/// How forcefully to load (`insmod -f`, `modprobe --force-*`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InsertFlags {
    /// Ignore symbol versions (`--force-modversion`).
    pub force_modversion: bool,
    /// Ignore the version magic (`--force-vermagic`).
    pub force_vermagic: bool,
}

impl InsertFlags {
    /// Both checks ignored (`-f`, `--force`).
    pub const FORCE: InsertFlags = InsertFlags {
        force_modversion: true,
        force_vermagic: true,
    };

    /// Whether any check is ignored.
    pub fn is_forced(self) -> bool {
        self.force_modversion || self.force_vermagic
    }

    /// The `MODULE_INIT_IGNORE_*` flags for `finit_module`.
    pub fn kernel_flags(self) -> u32 {
        let mut flags = 0;
        if self.force_modversion {
            flags |= MODULE_INIT_IGNORE_MODVERSIONS;
        }
        if self.force_vermagic {
            flags |= MODULE_INIT_IGNORE_VERMAGIC;
        }
        flags
    }
}

/// Which system call loads a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadMethod {
    /// `finit_module` on the file, with these flags.
    Finit {
        /// `MODULE_INIT_*` flags.
        flags: u32,
    },
    /// Decompress (and strip, when forced) in userspace, then `init_module`.
    InitModule,
}

/// The load method for a file compressed as `file`, on a kernel that decompresses `kernel`.
pub fn load_method(file: Compression, kernel: Compression, flags: InsertFlags) -> LoadMethod {
    if file == Compression::None {
        LoadMethod::Finit {
            flags: flags.kernel_flags(),
        }
    } else if file == kernel {
        LoadMethod::Finit {
            flags: flags.kernel_flags() | MODULE_INIT_COMPRESSED_FILE,
        }
    } else {
        LoadMethod::InitModule
    }
}

impl<S: Syscalls> Kernel<S> {
    /// Loads the module file at `path` with the parameters `options` (space-separated
    /// `key=value`, as the kernel parses them; bytes, passed on as they are).
    pub fn insert<O: AsRef<[u8]> + ?Sized>(
        &self,
        path: &Path,
        options: &O,
        flags: InsertFlags,
    ) -> Result<(), KernelError> {
        let options = options.as_ref();
        let params = CString::new(options).map_err(|_| KernelError::Nul {
            what: "module parameters",
            text: String::from_utf8_lossy(options).into_owned(),
        })?;
        let mut file = File::open(path).map_err(|e| KernelError::io(path, e))?;
        let magic = read_magic(&mut file, path)?;
        if magic.len() < MAGIC_LEN {
            // kmod cannot tell the format of such a file and refuses it (EINVAL).
            return Err(KernelError::Module(modfile::Error::TooShort {
                path: path.to_path_buf(),
                len: magic.len(),
            }));
        }
        let compression = detect_compression(&magic);
        if let LoadMethod::Finit { flags: kflags } =
            load_method(compression, self.compression(), flags)
        {
            match self.syscalls.finit_module(&file, &params, kflags) {
                Ok(()) => return Ok(()),
                Err(ENOSYS) => {}
                Err(errno) => return Err(syscall_error("finit_module", path, errno)),
            }
        }
        drop(file);
        let module = ModuleFile::open(path)?;
        let result = if flags.is_forced() {
            let image = strip_for_force(path, module.image(), flags)?;
            self.syscalls.init_module(&image, &params)
        } else {
            self.syscalls.init_module(module.image(), &params)
        };
        result.map_err(|errno| syscall_error("init_module", path, errno))
    }
}

/// The first bytes of the file (fewer if it is shorter). `finit_module` reads the file from its
/// start whatever the position, and the `init_module` path opens the file again.
fn read_magic(file: &mut File, path: &Path) -> Result<Vec<u8>, KernelError> {
    let mut magic = Vec::with_capacity(MAGIC_LEN);
    file.by_ref()
        .take(MAGIC_LEN as u64)
        .read_to_end(&mut magic)
        .map_err(|e| KernelError::io(path, e))?;
    Ok(magic)
}

fn syscall_error(call: &'static str, path: &Path, errno: i32) -> KernelError {
    KernelError::Syscall {
        call,
        target: path.display().to_string(),
        errno,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::syscalls::tests::{Call, Recorder};
    use testkit::{compress, ModuleBuilder};

    const ALL: [Compression; 4] = [
        Compression::None,
        Compression::Gzip,
        Compression::Xz,
        Compression::Zstd,
    ];

    #[test]
    fn method_follows_kmod_34() {
        for kernel in ALL {
            assert_eq!(
                load_method(Compression::None, kernel, InsertFlags::default()),
                LoadMethod::Finit { flags: 0 }
            );
            for file in ALL.into_iter().skip(1) {
                let expected = if file == kernel {
                    LoadMethod::Finit { flags: 4 | 3 }
                } else {
                    LoadMethod::InitModule
                };
                assert_eq!(load_method(file, kernel, InsertFlags::FORCE), expected);
            }
        }
        let vermagic_only = InsertFlags {
            force_vermagic: true,
            ..InsertFlags::default()
        };
        assert_eq!(vermagic_only.kernel_flags(), MODULE_INIT_IGNORE_VERMAGIC);
    }

    struct Setup {
        dir: tempfile::TempDir,
        image: Vec<u8>,
    }

    fn setup(kernel_compression: Option<&str>) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("sys/module")).unwrap();
        if let Some(c) = kernel_compression {
            std::fs::write(dir.path().join("sys/module/compression"), c).unwrap();
        }
        let image = ModuleBuilder::new("m")
            .modinfo("vermagic", "6.1.0 SMP")
            .version("module_layout", 7)
            .build();
        Setup { dir, image }
    }

    fn kernel(s: &Setup, rec: Recorder) -> Kernel<Recorder> {
        Kernel::with_roots(s.dir.path().join("proc"), s.dir.path().join("sys"), rec)
    }

    fn write(s: &Setup, name: &str, data: &[u8]) -> std::path::PathBuf {
        let p = s.dir.path().join(name);
        std::fs::write(&p, data).unwrap();
        p
    }

    #[test]
    fn plain_file_goes_to_finit_with_force_flags() {
        let s = setup(None);
        let p = write(&s, "m.ko", &s.image);
        let k = kernel(&s, Recorder::default());
        k.insert(&p, "a=1 b", InsertFlags::FORCE).unwrap();
        assert_eq!(
            k.syscalls().calls(),
            [Call::Finit {
                params: "a=1 b".into(),
                flags: 3
            }]
        );
    }

    #[test]
    fn compressed_file_matching_the_kernel_goes_to_finit_compressed() {
        let s = setup(Some("xz\n"));
        let p = write(&s, "m.ko.xz", &compress(&s.image, testkit::Compression::Xz));
        let k = kernel(&s, Recorder::default());
        k.insert(&p, "", InsertFlags::default()).unwrap();
        assert_eq!(
            k.syscalls().calls(),
            [Call::Finit {
                params: String::new(),
                flags: MODULE_INIT_COMPRESSED_FILE
            }]
        );
    }

    #[test]
    fn other_compression_is_decompressed_here() {
        let s = setup(Some("zstd\n"));
        for c in [testkit::Compression::Gzip, testkit::Compression::Xz] {
            let p = write(&s, "m.ko.c", &compress(&s.image, c));
            let k = kernel(&s, Recorder::default());
            k.insert(&p, "x=y", InsertFlags::default()).unwrap();
            assert_eq!(
                k.syscalls().calls(),
                [Call::Init {
                    image: s.image.clone(),
                    params: "x=y".into()
                }]
            );
        }
    }

    #[test]
    fn forced_init_module_gets_a_stripped_image() {
        let s = setup(None);
        let p = write(
            &s,
            "m.ko.zst",
            &compress(&s.image, testkit::Compression::Zstd),
        );
        let k = kernel(&s, Recorder::default());
        k.insert(&p, "", InsertFlags::FORCE).unwrap();
        let expected = strip_for_force(&p, &s.image, InsertFlags::FORCE).unwrap();
        assert_ne!(expected, s.image);
        assert_eq!(
            k.syscalls().calls(),
            [Call::Init {
                image: expected,
                params: String::new()
            }]
        );
    }

    #[test]
    fn enosys_falls_back_to_init_module_other_errors_do_not() {
        let s = setup(None);
        let p = write(&s, "m.ko", &s.image);
        let rec = Recorder {
            finit_errno: Some(ENOSYS),
            ..Recorder::default()
        };
        let k = kernel(&s, rec);
        k.insert(&p, "", InsertFlags::default()).unwrap();
        let calls = k.syscalls().calls();
        assert_eq!(calls.len(), 2);
        assert!(matches!(calls[1], Call::Init { ref image, .. } if *image == s.image));

        let rec = Recorder {
            finit_errno: Some(17),
            ..Recorder::default()
        };
        let k = kernel(&s, rec);
        let e = k.insert(&p, "", InsertFlags::default()).unwrap_err();
        assert_eq!(e.errno(), 17);
        assert!(e.to_string().contains("m.ko"), "{e}");
        assert_eq!(k.syscalls().calls().len(), 1);
    }

    #[test]
    fn file_and_parameter_errors() {
        let s = setup(None);
        let k = kernel(&s, Recorder::default());
        let e = k
            .insert(&s.dir.path().join("none.ko"), "", InsertFlags::default())
            .unwrap_err();
        assert_eq!(e.errno(), 2);
        let p = write(&s, "m.ko", &s.image);
        let e = k.insert(&p, "a\0b", InsertFlags::default()).unwrap_err();
        assert_eq!(e.errno(), 22);
        // Files too short to tell their format: EINVAL, no system call.
        let p = write(&s, "short.ko", b"ab");
        assert_eq!(
            k.insert(&p, "", InsertFlags::default())
                .unwrap_err()
                .errno(),
            22
        );
        // A corrupt compressed file fails in userspace, before any system call.
        let p = write(&s, "bad.ko.xz", b"\xfd7zXZ\0garbage");
        assert!(k.insert(&p, "", InsertFlags::default()).is_err());
        assert!(k.syscalls().calls().is_empty());
    }
}
