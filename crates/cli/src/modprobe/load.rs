//! Inserting (and `-R` resolving): each operand is looked up, every module found gets its plan,
//! and the plan is carried out (tools.md §5.3). kmod's messages for failures.

use std::path::Path;

use kmod::context::make_absolute;
use kmod::kernel::InsertFlags;
use kmod::probe::{
    join_cli_params, run_insert, Candidate, Errno, Executor, InsertRequest, InsertSettings,
    KernelState, Prober, Report,
};

use super::args::Settings;
use super::output::Output;
use crate::log::Priority;

/// Everything an insertion needs besides the module name.
pub struct Loader<'a> {
    /// Lookups and plans.
    pub prober: Prober<'a>,
    /// The command line.
    pub settings: &'a Settings,
    /// The kernel's state.
    pub state: &'a dyn KernelState,
    /// What carries the plan out.
    pub exec: &'a mut dyn Executor,
    /// Output.
    pub out: &'a mut Output,
}

impl Loader<'_> {
    /// `modprobe -a NAME...`: every operand, no parameters; fails if any failed.
    pub fn insert_all(&mut self, names: &[String]) -> Result<(), Errno> {
        let mut result = Ok(());
        for name in names {
            if let Err(e) = self.insert(name, None) {
                result = Err(e);
            }
        }
        result
    }

    /// `modprobe NAME [PARAMS...]`.
    pub fn insert_with_params(&mut self, operands: &[String]) -> Result<(), Errno> {
        let Some((name, params)) = operands.split_first() else {
            return Ok(());
        };
        let params = join_cli_params(params);
        self.insert(name, Some(&params))
    }

    /// One operand: every module it resolves to is inserted (or printed with `-R`). The result
    /// is that of the last module, as in kmod.
    fn insert(&mut self, name: &str, params: Option<&str>) -> Result<(), Errno> {
        let candidates = match self.resolve(name) {
            Some(c) => c,
            None => {
                let dir = self.prober.context().dirname().display().to_string();
                self.out
                    .tool_log(&format!("Module {name} not found in directory {dir}"));
                return Err(Errno::ENOENT);
            }
        };
        let mut result = Ok(());
        for module in &candidates {
            result = if self.settings.resolve_alias {
                self.out.print_bytes(&[&module.name[..], b"\n"].concat());
                Ok(())
            } else {
                self.insert_module(module, params)
            };
        }
        result
    }

    /// The modules `name` names: a path (kmod 31+: it starts with `/` or `./`), else a lookup.
    /// `None` when nothing is found.
    fn resolve(&mut self, name: &str) -> Option<Vec<Candidate>> {
        if name.starts_with('/') || name.starts_with("./") {
            return self.named_by_path(name).map(|c| vec![c]);
        }
        let mut diags = Vec::new();
        let found = self.prober.lookup(name.as_bytes(), &mut diags);
        for d in &diags {
            self.out.message(d);
        }
        found.ok().filter(|c| !c.is_empty())
    }

    /// A module named by its file.
    fn named_by_path(&mut self, name: &str) -> Option<Candidate> {
        let path = make_absolute(Path::new(name));
        if let Err(e) = std::fs::metadata(&path) {
            let errno = Errno(e.raw_os_error().unwrap_or(2));
            self.out
                .tool_log(&format!("Failed to get module from path {name}: {errno}"));
            return None;
        }
        let file_name = path.file_name()?.to_string_lossy().into_owned();
        let mut module = Candidate::by_name(modname::modname_normalize(&file_name));
        module.path = Some(path);
        Some(module)
    }

    /// Plans and carries out one module's insertion; reports the failure as kmod does.
    fn insert_module(&mut self, module: &Candidate, params: Option<&str>) -> Result<(), Errno> {
        let s = self.settings;
        let request = InsertRequest {
            params: params.map(str::as_bytes),
            ignore_commands: s.ignore_commands,
            use_blacklist: s.use_blacklist,
        };
        let plan = self.prober.plan_insert(module, &request);
        let env = [("MODPROBE_OPTIONS", s.modprobe_options.as_str())];
        let run = InsertSettings {
            dry_run: s.dry_run,
            ignore_loaded: s.show_depends,
            first_time: s.first_time,
            flags: InsertFlags {
                force_modversion: s.force || s.force_modversion,
                force_vermagic: s.force || s.force_vermagic,
            },
            command_env: &env,
        };
        let result = run_insert(&plan, &run, self.state, self.exec, self.out);
        if let Err(errno) = result {
            let why = match errno {
                Errno::EEXIST => "Module already in kernel".to_string(),
                Errno::ENOENT => {
                    "Unknown symbol in module, or unknown parameter (see dmesg)".to_string()
                }
                other => other.to_string(),
            };
            let msg = [
                &b"could not insert '"[..],
                &module.name,
                b"': ",
                why.as_bytes(),
            ]
            .concat();
            self.out.log_bytes(Priority::Error, msg);
        }
        result
    }
}
