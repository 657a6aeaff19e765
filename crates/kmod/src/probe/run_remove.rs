//! Carrying out a [`RemovePlan`]: the kernel is asked at each check (is the module loaded, does it
//! have users, which modules hold it) at the moment the step runs, as kmod does.

use std::time::{Duration, Instant};

use modconf::Diagnostic;

use super::candidate::Candidate;
use super::exec::{Errno, Executor};
use super::lookup::Prober;
use super::remove::{RemovePlan, RemoveRequest, RemoveStep};
use super::report::{Action, Refusal, Report};
use super::state::KernelState;
use crate::kernel::RemoveFlags;

/// How to carry out a removal.
#[derive(Debug, Clone, Copy, Default)]
pub struct RemoveSettings<'s> {
    /// Do not remove or run anything, only report the actions (`-n`, `--show-depends`).
    pub dry_run: bool,
    /// `--first-time`: refuse modules that are not loaded.
    pub first_time: bool,
    /// Flags for every removal (`-f`).
    pub flags: RemoveFlags,
    /// `-w`: how long to retry a removal that fails with `EAGAIN` (module busy).
    pub wait: Option<Duration>,
    /// Environment for remove commands besides `MODPROBE_MODULE` (`MODPROBE_OPTIONS`).
    pub command_env: &'s [(&'s str, &'s str)],
}

/// What a runner needs besides the plan.
pub struct RemoveRun<'r, 'a> {
    prober: &'r Prober<'a>,
    request: &'r RemoveRequest,
    settings: &'r RemoveSettings<'r>,
    state: &'r dyn KernelState,
    exec: &'r mut dyn Executor,
    report: &'r mut dyn Report,
}

/// Carries out `plan` (made by [`Prober::plan_remove`] with `request`). Holders are planned with
/// `prober` when their step runs.
pub fn run_remove(
    prober: &Prober<'_>,
    plan: &RemovePlan,
    request: &RemoveRequest,
    settings: &RemoveSettings<'_>,
    state: &dyn KernelState,
    exec: &mut dyn Executor,
    report: &mut dyn Report,
) -> Result<(), Errno> {
    let mut run = RemoveRun {
        prober,
        request,
        settings,
        state,
        exec,
        report,
    };
    run.plan(plan)
}

/// How one step ended.
enum Flow {
    /// Go on with the next step.
    Next,
    /// The plan is done (the module is not loaded, or built in and skipped).
    Done,
}

impl RemoveRun<'_, '_> {
    fn plan(&mut self, plan: &RemovePlan) -> Result<(), Errno> {
        for step in &plan.steps {
            if let Flow::Done = self.step(step)? {
                break;
            }
        }
        Ok(())
    }

    fn step(&mut self, step: &RemoveStep) -> Result<Flow, Errno> {
        match step {
            RemoveStep::Message(m) => self.report.message(m),
            RemoveStep::CheckLoaded {
                module,
                builtin,
                builtin_is_error,
            } => {
                if *builtin {
                    if *builtin_is_error {
                        return self.refuse(Refusal::Builtin(module.clone()), Errno::ENOENT);
                    }
                    return Ok(Flow::Done);
                }
                if self.state.initstate(module).is_none() {
                    if self.settings.first_time {
                        return self.refuse(Refusal::NotInKernel(module.clone()), Errno::ENOENT);
                    }
                    return Ok(Flow::Done);
                }
            }
            RemoveStep::Softdep(plan) => {
                // Failures of soft dependencies are ignored.
                let _ = self.plan(plan);
            }
            RemoveStep::RemoveHolders { module } => self.remove_holders(module)?,
            RemoveStep::CheckNotInUse { module } => {
                if self.state.refcnt(module).is_some_and(|n| n > 0) {
                    return self.refuse(Refusal::InUse(module.clone()), Errno::EBUSY);
                }
            }
            RemoveStep::Remove { module } => self.remove(module)?,
            RemoveStep::RunCommand { module, command } => {
                self.report.action(&Action::RemoveCommand { command });
                if !self.settings.dry_run {
                    let mut env: Vec<(&str, &[u8])> = self
                        .settings
                        .command_env
                        .iter()
                        .map(|&(k, v)| (k, v.as_bytes()))
                        .collect();
                    env.push(("MODPROBE_MODULE", module));
                    let status = self.exec.run_command(command, &env).unwrap_or(255);
                    if status != 0 {
                        return self
                            .refuse(Refusal::RemoveCommandFailed(module.clone()), Errno(status));
                    }
                }
            }
            RemoveStep::RemoveIfUnused { module } => {
                if self.state.refcnt(module) == Some(0) {
                    // Failures are ignored (and reported by `remove`).
                    let _ = self.remove(module);
                }
            }
        }
        Ok(Flow::Next)
    }

    fn refuse(&mut self, refusal: Refusal, errno: Errno) -> Result<Flow, Errno> {
        self.report.refusal(&refusal);
        Err(errno)
    }

    /// Removes the modules holding `module`, last first; the first failure stops.
    fn remove_holders(&mut self, module: &[u8]) -> Result<(), Errno> {
        let holders = match self.state.holders(module) {
            Ok(h) => h,
            Err(e) => {
                self.report.message(&Diagnostic::error(e.to_string()));
                Vec::new()
            }
        };
        let nested = RemoveRequest {
            remove_holders: false,
            ..*self.request
        };
        for holder in holders.iter().rev() {
            let plan = self
                .prober
                .plan_remove_nested(&Candidate::by_name(holder.as_str()), &nested);
            self.plan(&plan)?;
        }
        Ok(())
    }

    /// Unloads a module, retrying while it is busy for up to the `-w` time.
    fn remove(&mut self, module: &[u8]) -> Result<(), Errno> {
        self.report.action(&Action::Remove { name: module });
        if self.settings.dry_run {
            return Ok(());
        }
        let deadline = self.settings.wait.map(|w| Instant::now() + w);
        let mut interval = Duration::from_millis(1);
        loop {
            match self.exec.remove(module, self.settings.flags) {
                Ok(()) => return Ok(()),
                Err(Errno::EAGAIN) if deadline.is_some_and(|d| Instant::now() < d) => {
                    let left = deadline
                        .map(|d| d.saturating_duration_since(Instant::now()))
                        .unwrap_or_default();
                    std::thread::sleep(interval.min(left));
                    interval = interval.saturating_mul(2);
                }
                Err(e) => {
                    self.report.message(&Diagnostic::error(
                        [
                            &b"could not remove '"[..],
                            module,
                            format!("': {e}").as_bytes(),
                        ]
                        .concat(),
                    ));
                    return Err(e);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::{InitState, InsertFlags};
    use crate::probe::exec::DryRun;
    use crate::probe::lookup::tests::{config, shown as t, tree};
    use crate::probe::report::tests::Recorder;
    use crate::probe::state::{NothingLoaded, StateError};
    use std::collections::HashMap;
    use std::path::Path;

    /// A kernel: module → (refcnt, holders); builtin-with-params modules are `Coming` without
    /// refcnt.
    #[derive(Default)]
    struct Kernel(HashMap<&'static str, (u64, Vec<String>)>);

    impl Kernel {
        fn module(&self, name: &[u8]) -> Option<&(u64, Vec<String>)> {
            self.0.get(std::str::from_utf8(name).ok()?)
        }
    }

    impl KernelState for Kernel {
        fn initstate(&self, name: &[u8]) -> Option<InitState> {
            self.module(name).map(|_| InitState::Live)
        }
        fn refcnt(&self, name: &[u8]) -> Option<u64> {
            self.module(name).map(|m| m.0)
        }
        fn holders(&self, name: &[u8]) -> Result<Vec<String>, StateError> {
            match self.module(name) {
                Some(m) => Ok(m.1.clone()),
                None => Err(StateError {
                    path: format!("/sys/module/{}/holders", name.escape_ascii()).into(),
                    errno: Errno::ENOENT,
                }),
            }
        }
    }

    #[derive(Default)]
    struct Fake {
        calls: Vec<String>,
        busy: u32,
    }

    impl Executor for Fake {
        fn insert(&mut self, _p: &Path, _o: &[u8], _f: InsertFlags) -> Result<(), Errno> {
            Ok(())
        }
        fn remove(&mut self, name: &[u8], _f: RemoveFlags) -> Result<(), Errno> {
            self.calls.push(format!("remove {}", t(name)));
            if self.busy > 0 {
                self.busy -= 1;
                return Err(Errno::EAGAIN);
            }
            Ok(())
        }
        fn run_command(&mut self, command: &[u8], env: &[(&str, &[u8])]) -> Result<i32, Errno> {
            let command = t(command);
            let env: Vec<(&str, String)> = env.iter().map(|&(k, v)| (k, t(v))).collect();
            self.calls.push(format!("run {command} {env:?}"));
            Ok(if command.contains("false") { 1 } else { 0 })
        }
    }

    fn run(
        cfg: impl AsRef<[u8]>,
        name: &str,
        request: RemoveRequest,
        settings: RemoveSettings<'_>,
        state: &dyn KernelState,
        exec: &mut dyn Executor,
    ) -> (Result<(), Errno>, Vec<String>) {
        let (_d, ctx) = tree();
        let cfg = config(cfg);
        let p = Prober::new(&ctx, &cfg);
        let mut rec = Recorder::default();
        let mut result = Ok(());
        for c in p.lookup(name.as_bytes(), &mut Vec::new()).unwrap() {
            let plan = p.plan_remove(&c, &request);
            result = run_remove(&p, &plan, &request, &settings, state, exec, &mut rec);
        }
        (result, rec.lines)
    }

    fn kernel(mods: &[(&'static str, u64, &[&str])]) -> Kernel {
        Kernel(
            mods.iter()
                .map(|(n, r, h)| (*n, (*r, h.iter().map(|s| s.to_string()).collect())))
                .collect(),
        )
    }

    #[test]
    fn unused_dependencies_follow() {
        let k = kernel(&[("ext4", 0, &[]), ("jbd2", 1, &["ext4"]), ("crc16", 0, &[])]);
        let mut exec = Fake::default();
        let (r, lines) = run(
            "",
            "ext4",
            RemoveRequest::default(),
            RemoveSettings::default(),
            &k,
            &mut exec,
        );
        assert_eq!(r, Ok(()));
        // jbd2's count is read after ext4 went: in this fake it stays 1.
        assert_eq!(lines, ["rmmod ext4", "rmmod crc16"]);
        assert_eq!(exec.calls, ["remove ext4", "remove crc16"]);
    }

    #[test]
    fn refusals() {
        let k = kernel(&[("ext4", 2, &[])]);
        let mut exec = Fake::default();
        let (r, lines) = run(
            "",
            "ext4",
            RemoveRequest::default(),
            RemoveSettings::default(),
            &k,
            &mut exec,
        );
        assert_eq!(r, Err(Errno::EBUSY));
        assert_eq!(lines, ["LOG: Module ext4 is in use."]);
        let (r, lines) = run(
            "",
            "unix",
            RemoveRequest::default(),
            RemoveSettings::default(),
            &k,
            &mut exec,
        );
        assert_eq!(
            (r, lines),
            (
                Err(Errno::ENOENT),
                vec!["LOG: Module unix is builtin.".to_string()]
            )
        );
        let (r, lines) = run(
            "",
            "fat",
            RemoveRequest::default(),
            RemoveSettings::default(),
            &k,
            &mut exec,
        );
        assert_eq!((r, lines.len()), (Ok(()), 0));
        let first = RemoveSettings {
            first_time: true,
            ..RemoveSettings::default()
        };
        let (r, lines) = run("", "fat", RemoveRequest::default(), first, &k, &mut exec);
        assert_eq!(
            (r, lines),
            (
                Err(Errno::ENOENT),
                vec!["LOG: Module fat is not in kernel.".to_string()]
            )
        );
        assert!(exec.calls.is_empty());
    }

    #[test]
    fn holders_go_first_and_softdeps_around() {
        let k = kernel(&[
            ("jbd2", 1, &["ext4"]),
            ("ext4", 0, &[]),
            ("loop", 0, &[]),
            ("xfs", 0, &[]),
        ]);
        let mut exec = Fake::default();
        let request = RemoveRequest {
            remove_holders: true,
            ..RemoveRequest::default()
        };
        let cfg = "softdep jbd2 pre: loop post: xfs\n";
        let (r, lines) = run(
            cfg,
            "jbd2",
            request,
            RemoveSettings {
                dry_run: true,
                ..RemoveSettings::default()
            },
            &k,
            &mut exec,
        );
        assert_eq!(r, Err(Errno::EBUSY));
        // Dry run: jbd2's count does not drop, so it is refused after its holder.
        assert_eq!(
            lines,
            ["rmmod xfs", "rmmod ext4", "LOG: Module jbd2 is in use."]
        );
        let blind = RemoveRequest {
            ignore_loaded: true,
            ..request
        };
        let (_, lines) = run("", "fat", blind, RemoveSettings::default(), &k, &mut exec);
        assert_eq!(
            lines[0],
            "ERROR: could not open '/sys/module/fat/holders': No such file or directory"
        );
    }

    #[test]
    fn show_depends_removal_and_commands() {
        let show = RemoveRequest {
            ignore_loaded: true,
            ..RemoveRequest::default()
        };
        let dry = RemoveSettings {
            dry_run: true,
            ..RemoveSettings::default()
        };
        let cfg = "softdep ext4 pre: crypto-crc32c\nremove loop /bin/rm $CMDLINE_OPTS\nremove xfs /bin/false\n";
        let (r, lines) = run(cfg, "ext4", show, dry, &NothingLoaded, &mut DryRun);
        assert_eq!(r, Ok(()));
        assert_eq!(
            lines,
            ["rmmod ext4", "rmmod crc32c_intel", "rmmod crc32c_generic"]
        );
        let (_, lines) = run(
            cfg,
            "loop",
            RemoveRequest::default(),
            dry,
            &NothingLoaded,
            &mut DryRun,
        );
        assert_eq!(lines, ["remove /bin/rm "]);
        let mut exec = Fake::default();
        let env = [("MODPROBE_OPTIONS", "-q")];
        let real = RemoveSettings {
            command_env: &env,
            ..RemoveSettings::default()
        };
        let (r, _) = run(
            cfg,
            "loop",
            RemoveRequest::default(),
            real,
            &NothingLoaded,
            &mut exec,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(
            exec.calls,
            ["run /bin/rm  [(\"MODPROBE_OPTIONS\", \"-q\"), (\"MODPROBE_MODULE\", \"loop\")]"]
        );
        let (r, lines) = run(
            cfg,
            "xfs",
            RemoveRequest::default(),
            real,
            &NothingLoaded,
            &mut exec,
        );
        assert_eq!(r, Err(Errno(1)));
        assert_eq!(
            lines,
            [
                "remove /bin/false",
                "LOG: Error running remove command for xfs"
            ]
        );
    }

    #[test]
    fn busy_modules_are_retried_while_waiting() {
        let k = kernel(&[("loop", 1, &[])]);
        let wait = RemoveRequest {
            wait: true,
            ..RemoveRequest::default()
        };
        let mut exec = Fake {
            busy: 2,
            ..Fake::default()
        };
        let settings = RemoveSettings {
            wait: Some(Duration::from_secs(5)),
            ..RemoveSettings::default()
        };
        let (r, _) = run("", "loop", wait, settings, &k, &mut exec);
        assert_eq!(r, Ok(()));
        assert_eq!(exec.calls.len(), 3);
        let mut exec = Fake {
            busy: 100,
            ..Fake::default()
        };
        let (r, lines) = run("", "loop", wait, RemoveSettings::default(), &k, &mut exec);
        assert_eq!(r, Err(Errno::EAGAIN));
        assert_eq!(
            lines[1],
            "ERROR: could not remove 'loop': Resource temporarily unavailable"
        );
    }
}
