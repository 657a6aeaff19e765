//! The module tools library ("libkmod" in Rust): a [`Context`] naming the module directory and
//! kernel release, and what the tools ask of it — name and alias lookup, module information,
//! dependencies, the depmod engine and the running kernel's state.
//!
//! # What it owns
//!
//! * [`Context`] — one module directory (`<root>/lib/modules/<release>`) and its `.bin` indexes,
//!   opened lazily and shareable between threads.
//! * [`lookup`] — what a name resolves to through the indexes alone, in kmod's order:
//!   [`Context::lookup_indexes`] (module names, `symbol:` names, aliases, built-in modules),
//!   [`Context::lookup_name`], [`Context::dep_entry`] (a module's [`DepEntry`]: its file and its
//!   dependencies); results are [`ModuleRef`]s inside a [`Lookup`].
//! * [`builtin_modinfo`] — the information of modules built into the kernel.
//! * [`probe`] — modprobe's resolution: configuration aliases, install/remove commands, soft
//!   dependencies, the ordered plans and their execution.
//! * [`depmod`] — the depmod engine that writes `modules.dep`, the aliases, the symbols and the
//!   binary indexes.
//! * [`kernel`] — the running kernel: `/proc/modules`, `/sys/module`, and the load and unload
//!   system calls.
//!
//! Reading a module file is the job of the `modfile` crate, the index format that of `modindex`,
//! configuration files that of `modconf`. Every failure is an [`Error`]; nothing here prints.
//!
//! # Example
//!
//! Index a small module tree with the depmod engine, then look a module up by alias, list its
//! dependencies and read its information:
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use kmod::depmod::{Collected, DepmodOptions};
//! use kmod::{Context, Lookup};
//!
//! # // A tree with two modules: `example` (which calls into `example_helper`) and its helper.
//! # let dir = tempfile::tempdir()?;
//! # let tree = testkit::TreeBuilder::new(dir.path(), "6.1.0-example")
//! #     .built("kernel/drivers/misc", &testkit::fixtures::example_module())
//! #     .built("kernel/drivers/misc", &testkit::fixtures::example_helper_module())
//! #     .write()?;
//! # let root = dir.path().to_str().ok_or("temporary directory is not UTF-8")?;
//! // What `depmod -b <root> 6.1.0-example` does: writes modules.dep, modules.alias, ... and
//! // their .bin indexes into the module directory.
//! let module_dir = tree.module_dir.clone();
//! let opts = DepmodOptions {
//!     module_dir: module_dir.clone(),
//!     out_dir: module_dir,
//!     kernel_version: "6.1.0-example".to_string(),
//!     ..DepmodOptions::default()
//! };
//! kmod::depmod::run(&opts, &mut Collected::default()).map_err(|_| "depmod failed")?;
//!
//! let ctx = Context::new(Some(root), Some("6.1.0-example"))?;
//!
//! // Look a module up by alias (a PCI device's modalias matches the module's wildcard alias).
//! let Lookup::Found(modules) =
//!     ctx.lookup_indexes("pci:v00001AF4d00001000sv00001AF4sd00000001bc01sc00i00")?
//! else {
//!     return Err("not a valid alias".into());
//! };
//! let names: Vec<&str> = modules.iter().map(|m| m.name.as_str()).collect();
//! assert_eq!(names, ["example"]);
//!
//! // List its dependencies (paths relative to the module directory, as in modules.dep).
//! let dep = ctx.dep_entry("example")?.ok_or("example is not in modules.dep")?;
//! assert_eq!(dep.path, "kernel/drivers/misc/example.ko");
//! assert_eq!(dep.deps, ["kernel/drivers/misc/example_helper.ko"]);
//!
//! // Read the module's information (what `modinfo` prints) from its file.
//! let file = modfile::ModuleFile::open(&ctx.module_path(&dep.path))?;
//! let elf = file.elf()?;
//! let info = elf.modinfo()?;
//! let license = info.iter().find(|e| e.key == b"license").map(|e| e.value);
//! assert_eq!(license, Some(&b"GPL"[..]));
//! # Ok(())
//! # }
//! ```

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
