//! Planning a removal (tools.md §5.6): for a module, its `post:` softdeps (reverse order, failures
//! ignored), its holders (with `--remove-holders`), the module itself (or its remove command),
//! the dependencies nobody uses any more, and its `pre:` softdeps (reverse order, failures
//! ignored).
//!
//! Whether a module is loaded, its users and its holders are only known when the plan runs, so
//! those are steps the runner evaluates against the kernel at that moment, as kmod does. Softdep
//! loops, which make kmod recurse until it crashes, are cut: a module already being removed
//! further up is not planned again.

use modconf::Diagnostic;

use super::candidate::{Candidate, Identity};
use super::lookup::Prober;
use super::options::substitute_cmdline_opts;

/// At most this many module plans (nested softdep removals) in one plan; softdep graphs that
/// branch and rejoin would otherwise grow exponentially.
const MAX_NESTED_PLANS: usize = 10_000;

/// At most this many softdep removals nested in each other (real chains are a few deep).
const MAX_DEPTH: usize = 64;

/// What the user asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RemoveRequest {
    /// `-i`: ignore remove commands and softdeps of every module.
    pub ignore_commands: bool,
    /// `--show-depends`: do not check whether modules are loaded or used.
    pub ignore_loaded: bool,
    /// `--remove-holders`: remove the modules holding the requested one first.
    pub remove_holders: bool,
    /// `-w`: wait for the module to become unused instead of refusing.
    pub wait: bool,
}

/// One step of a removal plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoveStep {
    /// A message produced while planning (a softdep that could not be looked up).
    Message(Diagnostic),
    /// kmod's quick check: when the module is not loaded, stop here successfully (with
    /// `--first-time`: refuse, "is not in kernel"); when it is built in, stop successfully if
    /// `builtin_is_error` is false, else refuse ("is builtin").
    CheckLoaded {
        /// The module.
        module: Vec<u8>,
        /// Listed in `modules.builtin`.
        builtin: bool,
        /// Refuse built-in modules (the requested module) rather than skip them (softdeps,
        /// holders).
        builtin_is_error: bool,
    },
    /// Remove another module (a softdep, in reverse order); its failure is ignored.
    Softdep(Box<RemovePlan>),
    /// Remove the modules holding this one (asked of the kernel when the step runs); a failure
    /// stops the plan.
    RemoveHolders {
        /// The module.
        module: Vec<u8>,
    },
    /// Refuse if the module has users ("is in use").
    CheckNotInUse {
        /// The module.
        module: Vec<u8>,
    },
    /// Unload the module; a failure stops the plan.
    Remove {
        /// The module.
        module: Vec<u8>,
    },
    /// Run the remove command instead of unloading; a failure stops the plan.
    RunCommand {
        /// The module (`MODPROBE_MODULE`).
        module: Vec<u8>,
        /// The command, `$CMDLINE_OPTS` already replaced by nothing.
        command: Vec<u8>,
    },
    /// Unload a dependency if nothing uses it any more; failures are ignored.
    RemoveIfUnused {
        /// The dependency.
        module: Vec<u8>,
    },
}

/// The plan for removing one module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovePlan {
    /// The module.
    pub module: Vec<u8>,
    /// Its steps, in order.
    pub steps: Vec<RemoveStep>,
}

impl Prober<'_> {
    /// The removal plan for `module` (one result of [`Prober::lookup`]), as requested.
    pub fn plan_remove(&self, module: &Candidate, request: &RemoveRequest) -> RemovePlan {
        let mut budget = MAX_NESTED_PLANS;
        self.plan_remove_at(module, request, true, &mut Vec::new(), &mut budget)
    }

    /// The plan for a module removed on behalf of another (a holder): built-in modules are
    /// skipped, holders of holders are not removed.
    pub fn plan_remove_nested(&self, module: &Candidate, request: &RemoveRequest) -> RemovePlan {
        let mut budget = MAX_NESTED_PLANS;
        self.plan_remove_at(module, request, false, &mut Vec::new(), &mut budget)
    }

    fn plan_remove_at(
        &self,
        module: &Candidate,
        request: &RemoveRequest,
        top: bool,
        chain: &mut Vec<Identity>,
        budget: &mut usize,
    ) -> RemovePlan {
        let mut steps = Vec::new();
        let mut messages = Vec::new();
        let (pre, post, command) = if request.ignore_commands {
            (Vec::new(), Vec::new(), None)
        } else {
            let (pre, post) = self.softdeps(module, &mut messages);
            let command = match &module.remove {
                Some(c) => Some(c.clone()),
                None => self.config().remove_for(&module.name).map(<[u8]>::to_vec),
            };
            (pre, post, command)
        };
        let checks = command.is_none() && !request.ignore_loaded;
        if checks {
            let builtin = module.builtin || self.is_builtin(&module.name, &mut messages);
            steps.push(RemoveStep::CheckLoaded {
                module: module.name.clone(),
                builtin,
                builtin_is_error: top,
            });
        }
        chain.push(module.identity());
        let softdep_plans =
            |list: Vec<Candidate>, chain: &mut Vec<Identity>, budget: &mut usize| {
                let mut plans = Vec::new();
                for m in list.iter().rev() {
                    if chain.contains(&m.identity()) {
                        continue;
                    }
                    if *budget == 0 || chain.len() >= MAX_DEPTH {
                        plans.push(RemoveStep::Message(Diagnostic::error(
                            [
                                &b"too many soft dependencies, not removing '"[..],
                                &m.name,
                                b"'",
                            ]
                            .concat(),
                        )));
                        continue;
                    }
                    *budget -= 1;
                    let plan = self.plan_remove_at(m, request, false, chain, budget);
                    plans.push(RemoveStep::Softdep(Box::new(plan)));
                }
                plans
            };
        steps.extend(softdep_plans(post, chain, budget));
        if request.remove_holders && top {
            steps.push(RemoveStep::RemoveHolders {
                module: module.name.clone(),
            });
        }
        if checks && !request.wait {
            steps.push(RemoveStep::CheckNotInUse {
                module: module.name.clone(),
            });
        }
        match command {
            Some(command) => steps.push(RemoveStep::RunCommand {
                module: module.name.clone(),
                command: substitute_cmdline_opts(&command, b""),
            }),
            None => {
                steps.push(RemoveStep::Remove {
                    module: module.name.clone(),
                });
                for dep in self.dependencies(module, &mut messages) {
                    steps.push(RemoveStep::RemoveIfUnused { module: dep.name });
                }
            }
        }
        steps.extend(softdep_plans(pre, chain, budget));
        chain.pop();
        let mut all: Vec<RemoveStep> = messages.into_iter().map(RemoveStep::Message).collect();
        all.extend(steps);
        RemovePlan {
            module: module.name.clone(),
            steps: all,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::lookup::tests::{config, shown as t, tree};

    /// The plan as lines: nested plans indented, bytes that are not printable ASCII escaped.
    fn lines(plan: &RemovePlan, depth: usize, out: &mut Vec<String>) {
        let pad = "  ".repeat(depth);
        for step in &plan.steps {
            match step {
                RemoveStep::Message(m) => out.push(format!("{pad}{m}")),
                RemoveStep::CheckLoaded {
                    module,
                    builtin,
                    builtin_is_error,
                } => out.push(format!(
                    "{pad}check {} {builtin} {builtin_is_error}",
                    t(module)
                )),
                RemoveStep::Softdep(p) => {
                    out.push(format!("{pad}softdep {}", t(&p.module)));
                    lines(p, depth + 1, out);
                }
                RemoveStep::RemoveHolders { module } => {
                    out.push(format!("{pad}holders {}", t(module)))
                }
                RemoveStep::CheckNotInUse { module } => {
                    out.push(format!("{pad}inuse {}", t(module)))
                }
                RemoveStep::Remove { module } => out.push(format!("{pad}rmmod {}", t(module))),
                RemoveStep::RunCommand { module, command } => {
                    out.push(format!("{pad}remove {}: {}", t(module), t(command)))
                }
                RemoveStep::RemoveIfUnused { module } => {
                    out.push(format!("{pad}unused {}", t(module)))
                }
            }
        }
    }

    fn plan(
        cfg_text: impl AsRef<[u8]>,
        name: impl AsRef<[u8]>,
        request: RemoveRequest,
    ) -> Vec<String> {
        let (_d, ctx) = tree();
        let cfg = config(cfg_text);
        let p = Prober::new(&ctx, &cfg);
        let mut diags = Vec::new();
        let mut out = Vec::new();
        for c in p.lookup(name.as_ref(), &mut diags).unwrap() {
            lines(&p.plan_remove(&c, &request), 0, &mut out);
        }
        out
    }

    #[test]
    fn module_then_unused_dependencies_softdeps_around() {
        let cfg = "softdep ext4 pre: loop post: xfs\n";
        assert_eq!(
            plan(cfg, "ext4", RemoveRequest::default()),
            [
                "check ext4 false true",
                "softdep xfs",
                "  check xfs false false",
                "  inuse xfs",
                "  rmmod xfs",
                "inuse ext4",
                "rmmod ext4",
                "unused jbd2",
                "unused mbcache",
                "unused crc16",
                "softdep loop",
                "  check loop false false",
                "  inuse loop",
                "  rmmod loop",
            ]
        );
    }

    #[test]
    fn show_depends_holders_and_wait() {
        let r = RemoveRequest {
            ignore_loaded: true,
            remove_holders: true,
            ..RemoveRequest::default()
        };
        assert_eq!(
            plan("", "fat", r),
            ["holders fat", "rmmod fat", "unused crc16"]
        );
        let w = RemoveRequest {
            wait: true,
            ..RemoveRequest::default()
        };
        assert_eq!(plan("", "unix", w), ["check unix true true", "rmmod unix"]);
    }

    #[test]
    fn remove_commands_and_ignore() {
        let cfg =
            "remove loop /bin/rm-loop $CMDLINE_OPTS x\nsoftdep loop pre: xfs\nremove only-rm y\n";
        assert_eq!(
            plan(cfg, "loop", RemoveRequest::default()),
            [
                "remove loop: /bin/rm-loop  x",
                "softdep xfs",
                "  check xfs false false",
                "  inuse xfs",
                "  rmmod xfs"
            ]
        );
        let i = RemoveRequest {
            ignore_commands: true,
            ..RemoveRequest::default()
        };
        assert_eq!(
            plan(cfg, "loop", i),
            ["check loop false true", "inuse loop", "rmmod loop"]
        );
        assert_eq!(
            plan(cfg, "only-rm", RemoveRequest::default()),
            ["remove only_rm: y"]
        );
    }

    #[test]
    fn configuration_bytes_reach_the_plan() {
        let cfg =
            b"remove loop /bin/echo \xe9 $CMDLINE_OPTS\nalias r\xe9 loop\nremove c\xff echo \xfe\n\
softdep xfs post: c\xff pre: \xe9[\n";
        assert_eq!(
            plan(cfg, b"r\xe9", RemoveRequest::default()),
            ["remove loop: /bin/echo \\xe9 "]
        );
        assert_eq!(
            plan(cfg, "xfs", RemoveRequest::default()),
            [
                "ERROR: failed to lookup soft dependency '\u{fffd}[', continuing anyway.",
                "check xfs false true",
                "softdep c\\xff",
                "  remove c\\xff: echo \\xfe",
                "inuse xfs",
                "rmmod xfs",
            ]
        );
    }

    #[test]
    fn softdep_loops_are_cut() {
        let cfg = "softdep loop post: xfs\nsoftdep xfs post: loop pre: a]\n";
        let r = RemoveRequest {
            ignore_loaded: true,
            ..RemoveRequest::default()
        };
        assert_eq!(
            plan(cfg, "loop", r),
            [
                "softdep xfs",
                "  ERROR: failed to lookup soft dependency 'a]', continuing anyway.",
                "  rmmod xfs",
                "rmmod loop"
            ]
        );
    }

    #[test]
    fn exponential_softdep_graphs_are_bounded() {
        // m0 needs m1 twice, m1 needs m2 twice, ...: 2^39 paths without a bound.
        let mut cfg = String::new();
        for i in 0..40 {
            cfg.push_str(&format!("remove m{i} /bin/true\n"));
        }
        for i in 0..39 {
            cfg.push_str(&format!("softdep m{i} pre: m{0} m{0}\n", i + 1));
        }
        let out = plan(&cfg, "m0", RemoveRequest::default());
        assert!(out.len() < 100_000, "{}", out.len());
        assert!(out.iter().any(|l| l.contains("too many soft dependencies")));
    }
}
