//! Carrying out an [`InsertPlan`]: kmod's loading loop. Right before each entry the kernel is
//! asked whether the module is already in (then it is skipped); each action is reported, then
//! executed unless this is a dry run; failures of soft dependencies are ignored.

use modconf::Diagnostic;

use super::exec::{Errno, Executor};
use super::insert::{InsertPlan, LoadAction, LoadStep};
use super::options::substitute_cmdline_opts;
use super::report::{Action, Report};
use super::state::KernelState;
use crate::kernel::{InitState, InsertFlags};

/// How to carry out an insertion.
#[derive(Debug, Clone, Copy, Default)]
pub struct InsertSettings<'s> {
    /// Do not insert or run anything, only report the actions (`-n`, `--show-depends`).
    pub dry_run: bool,
    /// Do not skip modules that are already loaded (`--show-depends`).
    pub ignore_loaded: bool,
    /// `--first-time`: fail if the requested module is already loaded.
    pub first_time: bool,
    /// Flags for every insertion (`-f`, `--force-modversion`, `--force-vermagic`).
    pub flags: InsertFlags,
    /// Environment for install commands besides `MODPROBE_MODULE` (`MODPROBE_OPTIONS`).
    pub command_env: &'s [(&'s str, &'s str)],
}

/// Carries out `plan`. `Err(Errno::EEXIST)` means "already loaded" (only with `--first-time`),
/// `Err(Errno::ENOENT)` that a module could not be found or a symbol or parameter was unknown,
/// other errors come from the executor.
pub fn run_insert(
    plan: &InsertPlan,
    settings: &InsertSettings<'_>,
    state: &dyn KernelState,
    exec: &mut dyn Executor,
    report: &mut dyn Report,
) -> Result<(), Errno> {
    if !settings.ignore_loaded && in_kernel(state, &plan.target, plan.target_builtin) {
        return if settings.first_time {
            Err(Errno::EEXIST)
        } else {
            Ok(())
        };
    }
    if plan.blacklisted {
        return Ok(());
    }
    for message in &plan.messages {
        report.message(message);
    }
    for step in &plan.steps {
        let result = if !settings.ignore_loaded && in_kernel(state, &step.module, step.builtin) {
            Err(Errno::EEXIST)
        } else {
            run_step(step, settings, exec, report)
        };
        match result {
            Ok(()) => {}
            Err(Errno::EEXIST) if step.is_target && settings.first_time => {
                return Err(Errno::EEXIST)
            }
            Err(Errno::EEXIST) => {}
            Err(_) if !step.required => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Is the module in the kernel (built in, or live)?
fn in_kernel(state: &dyn KernelState, name: &[u8], builtin: bool) -> bool {
    builtin || state.initstate(name) == Some(InitState::Live)
}

fn run_step(
    step: &LoadStep,
    settings: &InsertSettings<'_>,
    exec: &mut dyn Executor,
    report: &mut dyn Report,
) -> Result<(), Errno> {
    match &step.action {
        LoadAction::Install { command, options } => {
            report.action(&Action::Install { command, options });
            if settings.dry_run {
                return Ok(());
            }
            let cmd = substitute_cmdline_opts(command, options);
            let mut env: Vec<(&str, &[u8])> = settings
                .command_env
                .iter()
                .map(|&(k, v)| (k, v.as_bytes()))
                .collect();
            env.push(("MODPROBE_MODULE", &step.module));
            let status = exec.run_command(&cmd, &env).unwrap_or(255);
            if status == 0 {
                return Ok(());
            }
            report.message(&Diagnostic::error(
                [
                    &b"Error running install command '"[..],
                    &cmd,
                    b"' for module ",
                    &step.module,
                    format!(": retcode {status}").as_bytes(),
                ]
                .concat(),
            ));
            Err(Errno::EINVAL)
        }
        LoadAction::Insert { path, options } => {
            report.action(&Action::Insert { path, options });
            if settings.dry_run {
                return Ok(());
            }
            exec.insert(path, options, settings.flags)
        }
        LoadAction::Builtin | LoadAction::NoFile => {
            if matches!(step.action, LoadAction::Builtin) {
                report.action(&Action::Builtin { name: &step.module });
            }
            if settings.dry_run {
                return Ok(());
            }
            report.message(&Diagnostic::error(
                [&b"could not find module by name='"[..], &step.module, b"'"].concat(),
            ));
            Err(Errno::ENOENT)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::candidate::Candidate;
    use crate::probe::insert::InsertRequest;
    use crate::probe::lookup::tests::{config, shown as t, tree};
    use crate::probe::lookup::Prober;
    use crate::probe::report::tests::Recorder;
    use crate::probe::state::NothingLoaded;
    use std::collections::HashMap;
    use std::path::Path;

    /// A kernel with some modules live.
    struct Live(Vec<&'static str>);

    impl KernelState for Live {
        fn initstate(&self, name: &[u8]) -> Option<InitState> {
            self.0
                .iter()
                .any(|m| m.as_bytes() == name)
                .then_some(InitState::Live)
        }
        fn refcnt(&self, _name: &[u8]) -> Option<u64> {
            None
        }
        fn holders(&self, _name: &[u8]) -> Result<Vec<String>, crate::probe::StateError> {
            Ok(Vec::new())
        }
    }

    /// Records calls; fails insertions of the modules in `fail` with the given errno.
    #[derive(Default)]
    struct Fake {
        calls: Vec<String>,
        fail: HashMap<&'static str, Errno>,
        status: i32,
    }

    impl Executor for Fake {
        fn insert(&mut self, path: &Path, options: &[u8], _f: InsertFlags) -> Result<(), Errno> {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            self.calls.push(format!("insert {name} [{}]", t(options)));
            match self.fail.get(name.as_str()) {
                Some(e) => Err(*e),
                None => Ok(()),
            }
        }
        fn remove(&mut self, name: &[u8], _f: crate::kernel::RemoveFlags) -> Result<(), Errno> {
            self.calls.push(format!("remove {}", t(name)));
            Ok(())
        }
        fn run_command(&mut self, command: &[u8], env: &[(&str, &[u8])]) -> Result<i32, Errno> {
            let env: Vec<(&str, String)> = env.iter().map(|&(k, v)| (k, t(v))).collect();
            self.calls.push(format!("run {} {env:?}", t(command)));
            Ok(self.status)
        }
    }

    fn run(
        cfg: impl AsRef<[u8]>,
        name: &str,
        settings: InsertSettings<'_>,
        state: &dyn KernelState,
        exec: &mut Fake,
    ) -> (Result<(), Errno>, Vec<String>) {
        let (_d, ctx) = tree();
        let cfg = config(cfg);
        let p = Prober::new(&ctx, &cfg);
        let request = InsertRequest {
            params: Some(b""),
            ..InsertRequest::default()
        };
        let plan = p.plan_insert(&Candidate::by_name(name), &request);
        let mut rec = Recorder::default();
        let r = run_insert(&plan, &settings, state, exec, &mut rec);
        let dir = ctx.dirname().display().to_string();
        (r, rec.lines.iter().map(|l| l.replace(&dir, "")).collect())
    }

    #[test]
    fn loaded_modules_are_skipped() {
        let mut exec = Fake::default();
        let (r, shown) = run(
            "",
            "ext4",
            InsertSettings::default(),
            &Live(vec!["jbd2"]),
            &mut exec,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(
            shown,
            [
                "insmod /kernel/fs/mbcache.ko ",
                "insmod /kernel/lib/crc16.ko ",
                "insmod /kernel/fs/ext4.ko "
            ]
        );
        assert_eq!(
            exec.calls,
            ["insert mbcache []", "insert crc16 []", "insert ext4 []"]
        );
        let mut exec = Fake::default();
        let (r, shown) = run(
            "",
            "ext4",
            InsertSettings::default(),
            &Live(vec!["ext4"]),
            &mut exec,
        );
        assert_eq!((r, shown.len()), (Ok(()), 0));
        let first = InsertSettings {
            first_time: true,
            ..InsertSettings::default()
        };
        let (r, _) = run("", "ext4", first, &Live(vec!["ext4"]), &mut exec);
        assert_eq!(r, Err(Errno::EEXIST));
        let (r, _) = run("", "unix", first, &NothingLoaded, &mut exec);
        assert_eq!(r, Err(Errno::EEXIST));
        assert!(exec.calls.is_empty());
    }

    #[test]
    fn dry_runs_show_without_executing() {
        let mut exec = Fake::default();
        let show = InsertSettings {
            dry_run: true,
            ignore_loaded: true,
            ..InsertSettings::default()
        };
        let (r, shown) = run(
            "install e1000e /bin/x $CMDLINE_OPTS",
            "e1000e",
            show,
            &Live(vec!["e1000e"]),
            &mut exec,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(shown, ["install /bin/x $CMDLINE_OPTS "]);
        let (_, shown) = run("", "unix", show, &NothingLoaded, &mut exec);
        assert_eq!(shown, ["builtin unix"]);
        assert!(exec.calls.is_empty());
    }

    #[test]
    fn softdep_failures_are_ignored_required_ones_stop() {
        let mut exec = Fake::default();
        exec.fail.insert("loop", Errno(8));
        let (r, _) = run(
            "softdep fat pre: loop",
            "fat",
            InsertSettings::default(),
            &NothingLoaded,
            &mut exec,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(
            exec.calls,
            ["insert crc16 []", "insert loop []", "insert fat []"]
        );
        let mut exec = Fake::default();
        exec.fail.insert("crc16", Errno::ENOENT);
        let (r, _) = run(
            "",
            "fat",
            InsertSettings::default(),
            &NothingLoaded,
            &mut exec,
        );
        assert_eq!(r, Err(Errno::ENOENT));
        assert_eq!(exec.calls, ["insert crc16 []"]);
        // A race: the module appeared between the check and the insertion.
        let mut exec = Fake::default();
        exec.fail.insert("fat", Errno::EEXIST);
        let (r, _) = run(
            "",
            "fat",
            InsertSettings::default(),
            &NothingLoaded,
            &mut exec,
        );
        assert_eq!(r, Ok(()));
    }

    #[test]
    fn install_commands_get_options_and_environment() {
        let mut exec = Fake::default();
        let env = [("MODPROBE_OPTIONS", "-v")];
        let settings = InsertSettings {
            command_env: &env,
            ..InsertSettings::default()
        };
        let cfg = "install e1000e /bin/x $CMDLINE_OPTS\noptions e1000e a=1";
        let (r, _) = run(cfg, "e1000e", settings, &NothingLoaded, &mut exec);
        assert_eq!(r, Ok(()));
        assert_eq!(
            exec.calls,
            ["run /bin/x a=1  [(\"MODPROBE_OPTIONS\", \"-v\"), (\"MODPROBE_MODULE\", \"e1000e\")]"]
        );
        let mut exec = Fake {
            status: 3,
            ..Fake::default()
        };
        let (r, shown) = run(cfg, "e1000e", settings, &NothingLoaded, &mut exec);
        assert_eq!(r, Err(Errno::EINVAL));
        assert_eq!(
            shown[1],
            "ERROR: Error running install command '/bin/x a=1 ' for module e1000e: retcode 3"
        );
    }

    #[test]
    fn modules_without_files_fail_when_loaded_for_real() {
        let mut exec = Fake::default();
        let (_d, ctx) = tree();
        let cfg = config("alias dead deaddood\n");
        let p = Prober::new(&ctx, &cfg);
        let target = p.lookup(b"dead", &mut Vec::new()).unwrap().remove(0);
        let plan = p.plan_insert(&target, &InsertRequest::default());
        let mut rec = Recorder::default();
        let r = run_insert(
            &plan,
            &InsertSettings::default(),
            &NothingLoaded,
            &mut exec,
            &mut rec,
        );
        assert_eq!(r, Err(Errno::ENOENT));
        assert_eq!(
            rec.lines,
            ["ERROR: could not find module by name='deaddood'"]
        );
    }
}
