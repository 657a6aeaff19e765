//! Removing (`-r`): every operand is looked up and each module found is removed with its plan
//! (tools.md §5.6).

use std::time::Duration;

use kmod::kernel::RemoveFlags;
use kmod::probe::{
    run_remove, Errno, Executor, KernelState, Prober, RemoveRequest, RemoveSettings, Report,
};

use super::args::Settings;
use super::output::Output;

/// Everything a removal needs besides the module names.
pub struct Unloader<'a> {
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

impl Unloader<'_> {
    /// `modprobe -r NAME...`: every operand (with or without `-a`); fails if any failed.
    pub fn remove_all(&mut self, names: &[String]) -> Result<(), Errno> {
        let mut result = Ok(());
        for name in names {
            if let Err(e) = self.remove(name) {
                result = Err(e);
            }
        }
        result
    }

    /// One operand: its modules in lookup order; the first failure stops.
    fn remove(&mut self, name: &str) -> Result<(), Errno> {
        let mut diags = Vec::new();
        let found = self.prober.lookup(name.as_bytes(), &mut diags);
        for d in &diags {
            self.out.message(d);
        }
        // An invalid name fails without a message, as in kmod.
        let modules = found.map_err(|_| Errno::EINVAL)?;
        if modules.is_empty() {
            self.out.tool_log(&format!("Module {name} not found."));
            return Err(Errno::ENOENT);
        }
        let s = self.settings;
        let request = RemoveRequest {
            ignore_commands: s.ignore_commands,
            ignore_loaded: s.show_depends,
            remove_holders: s.remove_holders,
            wait: s.wait_msec > 0,
        };
        let env = [("MODPROBE_OPTIONS", s.modprobe_options.as_str())];
        let run = RemoveSettings {
            dry_run: s.dry_run,
            first_time: s.first_time,
            flags: RemoveFlags { force: s.force },
            wait: (s.wait_msec > 0).then(|| Duration::from_millis(s.wait_msec)),
            command_env: &env,
        };
        for module in &modules {
            let plan = self.prober.plan_remove(module, &request);
            run_remove(
                &self.prober,
                &plan,
                &request,
                &run,
                self.state,
                self.exec,
                self.out,
            )?;
        }
        Ok(())
    }
}
