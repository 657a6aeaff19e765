//! Planning an insertion (tools.md §5.3): the probe list of a module — each dependency with its
//! soft dependencies around it, then the module's own `pre:` softdeps, the module, its `post:`
//! softdeps — and what to do for each entry (load the file, run the install command, or note a
//! built-in module), with the options each gets.
//!
//! kmod's quirks are kept, because `--show-depends` output depends on them:
//! * modules are identified by name *and* the alias they were reached through, so a module reached
//!   by name and through an alias is listed twice;
//! * only modules visited as the requested module or as softdep targets are remembered: the
//!   dependencies of a module are listed without checking whether they were listed already, and
//!   without being remembered (a dependency that is also a softdep target appears twice);
//! * a softdep target is visited once per plan (loops end there);
//! * a module with resolvable softdeps ignores its own install command; with `-i` the requested
//!   module's install command and softdeps are ignored (its dependencies keep theirs);
//! * failures of modules that are neither the requested module nor one of its dependencies
//!   (softdeps) are ignored when the plan runs.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use modconf::Diagnostic;

use super::candidate::{Candidate, Identity};
use super::lookup::Prober;
use super::options::merge_options;

/// What the user asked for, besides the module.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InsertRequest<'r> {
    /// The command-line parameters for the requested module: `Some(b"")` when none were given,
    /// `None` with `modprobe -a` (which takes no parameters). See [`super::merge_options`].
    pub params: Option<&'r [u8]>,
    /// `-i`: ignore the requested module's install command and softdeps.
    pub ignore_commands: bool,
    /// `-b`: apply the blacklist to the requested module even when it was named directly.
    pub use_blacklist: bool,
}

/// What to do for one entry of the probe list. Options and commands are the configured bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadAction {
    /// Load the module file with these options.
    Insert {
        /// Absolute path of the module file.
        path: PathBuf,
        /// Options (configuration, then command line).
        options: Vec<u8>,
    },
    /// Run the install command instead.
    Install {
        /// The command as configured (`$CMDLINE_OPTS` not yet substituted).
        command: Vec<u8>,
        /// What `$CMDLINE_OPTS` stands for.
        options: Vec<u8>,
    },
    /// A built-in module: nothing to load.
    Builtin,
    /// A name without a module file (an alias to a module that does not exist): nothing is
    /// shown, and loading it fails with `ENOENT`.
    NoFile,
}

/// One entry of the probe list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadStep {
    /// Module name.
    pub module: Vec<u8>,
    /// Listed in `modules.builtin` (or found through a built-in index): always "in the kernel".
    pub builtin: bool,
    /// The requested module or one of its dependencies: a failure stops the plan.
    pub required: bool,
    /// The requested module itself.
    pub is_target: bool,
    /// What to do.
    pub action: LoadAction,
}

/// The plan for inserting one module found by a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsertPlan {
    /// The requested module's name.
    pub target: Vec<u8>,
    /// The requested module is built in (so it counts as loaded).
    pub target_builtin: bool,
    /// The requested module is blacklisted for this request: nothing happens, successfully.
    pub blacklisted: bool,
    /// Messages produced while planning (failed softdep lookups, corrupt indexes), reported when
    /// the plan is carried out (kmod prints them while it builds the list, after the "already
    /// loaded" check).
    pub messages: Vec<Diagnostic>,
    /// The probe list, in loading order (empty when blacklisted).
    pub steps: Vec<LoadStep>,
}

/// A pending piece of the probe-list walk (an explicit stack instead of recursion, so deep
/// softdep chains cannot overflow the stack).
enum Task {
    /// Visit a module: its dependencies' groups, then its own group.
    Visit {
        module: Candidate,
        required: bool,
        ignore_commands: bool,
    },
    /// A module with its softdeps around it.
    Group(Candidate),
    /// Append a module to the list.
    Append { module: Candidate, ignorecmd: bool },
}

/// The probe-list walk state, per kmod module object.
struct ListBuilder<'p, 'a> {
    prober: &'p Prober<'a>,
    visited: HashSet<Identity>,
    required: HashSet<Identity>,
    ignorecmd: HashMap<Identity, bool>,
    list: Vec<Candidate>,
    messages: Vec<Diagnostic>,
}

impl Prober<'_> {
    /// The insertion plan for `target` (one result of [`Prober::lookup`]).
    pub fn plan_insert(&self, target: &Candidate, request: &InsertRequest<'_>) -> InsertPlan {
        let mut messages = Vec::new();
        let target_builtin = target.builtin || self.is_builtin(&target.name, &mut messages);
        let blacklisted = (target.alias.is_some() || request.use_blacklist)
            && self.config().is_blacklisted(&target.name);
        let mut plan = InsertPlan {
            target: target.name.clone(),
            target_builtin,
            blacklisted,
            messages,
            steps: Vec::new(),
        };
        if blacklisted {
            return plan;
        }
        let mut builder = ListBuilder {
            prober: self,
            visited: HashSet::new(),
            required: HashSet::new(),
            ignorecmd: HashMap::new(),
            list: Vec::new(),
            messages: Vec::new(),
        };
        builder.walk(target.clone(), request.ignore_commands);
        let target_id = target.identity();
        let ListBuilder {
            list,
            required,
            ignorecmd,
            messages,
            ..
        } = builder;
        plan.messages.extend(messages);
        for module in list {
            let id = module.identity();
            let is_target = id == target_id;
            let ignore_command = ignorecmd.get(&id).copied().unwrap_or(false);
            let step = self.load_step(
                module,
                is_target,
                required.contains(&id),
                ignore_command,
                if is_target { request.params } else { None },
                &mut plan.messages,
            );
            plan.steps.push(step);
        }
        plan
    }

    /// What to do for one listed module.
    fn load_step(
        &self,
        module: Candidate,
        is_target: bool,
        required: bool,
        ignore_command: bool,
        params: Option<&[u8]>,
        messages: &mut Vec<Diagnostic>,
    ) -> LoadStep {
        let config_options: Vec<&[u8]> = self
            .config()
            .options
            .iter()
            .filter(|o| o.module == module.name || module.alias.as_ref() == Some(&o.module))
            .map(|o| o.options.as_slice())
            .collect();
        let options = merge_options(&config_options, params);
        let builtin = module.builtin || self.is_builtin(&module.name, messages);
        let command = match &module.install {
            Some(c) => Some(c.clone()),
            None => self.config().install_for(&module.name).map(<[u8]>::to_vec),
        };
        let action = match command {
            Some(command) if !ignore_command => LoadAction::Install { command, options },
            _ => match self.module_path(&module, messages) {
                Some(path) => LoadAction::Insert { path, options },
                None if builtin => LoadAction::Builtin,
                None => LoadAction::NoFile,
            },
        };
        LoadStep {
            module: module.name,
            builtin,
            required,
            is_target,
            action,
        }
    }

    /// The module file: the path it was named by, else its `modules.dep` entry.
    pub(crate) fn module_path(
        &self,
        module: &Candidate,
        messages: &mut Vec<Diagnostic>,
    ) -> Option<PathBuf> {
        if let Some(path) = &module.path {
            return Some(path.clone());
        }
        let dep = self.dep_entry(&module.name, messages)?;
        Some(self.context().module_path(&dep.path))
    }

    /// The dependencies of a module in kmod's loading order (the reverse of `modules.dep`), each
    /// as a module known by name with its file.
    pub(crate) fn dependencies(
        &self,
        module: &Candidate,
        messages: &mut Vec<Diagnostic>,
    ) -> Vec<Candidate> {
        let Some(dep) = self.dep_entry(&module.name, messages) else {
            return Vec::new();
        };
        dep.deps
            .iter()
            .rev()
            .map(|p| {
                let mut d = Candidate::by_name(modname::modname_normalize(p));
                d.path = Some(self.context().module_path(p));
                d
            })
            .collect()
    }

    /// The `pre:` and `post:` softdeps of a module (first matching `softdep` line), each target
    /// looked up like a name; targets that cannot be looked up are reported and skipped.
    pub(crate) fn softdeps(
        &self,
        module: &Candidate,
        messages: &mut Vec<Diagnostic>,
    ) -> (Vec<Candidate>, Vec<Candidate>) {
        let Some(softdep) = self.config().softdep_for(&module.name) else {
            return (Vec::new(), Vec::new());
        };
        let mut resolve = |targets: &[Vec<u8>]| {
            let mut found = Vec::new();
            for target in targets {
                match self.lookup(target, messages) {
                    Ok(list) => found.extend(list),
                    Err(_) => messages.push(Diagnostic::error(
                        [
                            &b"failed to lookup soft dependency '"[..],
                            target,
                            b"', continuing anyway.",
                        ]
                        .concat(),
                    )),
                }
            }
            found
        };
        let pre = resolve(&softdep.pre);
        let post = resolve(&softdep.post);
        (pre, post)
    }
}

impl ListBuilder<'_, '_> {
    fn walk(&mut self, target: Candidate, ignore_commands: bool) {
        let mut stack = vec![Task::Visit {
            module: target,
            required: true,
            ignore_commands,
        }];
        while let Some(task) = stack.pop() {
            match task {
                Task::Visit {
                    module,
                    required,
                    ignore_commands,
                } => self.visit(module, required, ignore_commands, &mut stack),
                Task::Group(module) => self.group(module, &mut stack),
                Task::Append { module, ignorecmd } => {
                    // Appending does not mark a module visited: a dependency listed here is
                    // listed again if it is also reached as a softdep.
                    self.ignorecmd.insert(module.identity(), ignorecmd);
                    self.list.push(module);
                }
            }
        }
    }

    /// A module not visited yet: its dependencies' groups, then its own group (or just the
    /// module, ignoring its commands and softdeps).
    fn visit(
        &mut self,
        module: Candidate,
        required: bool,
        ignore_commands: bool,
        stack: &mut Vec<Task>,
    ) {
        if !self.visited.insert(module.identity()) {
            return;
        }
        let deps = self.prober.dependencies(&module, &mut self.messages);
        if required {
            self.required.insert(module.identity());
            self.required.extend(deps.iter().map(Candidate::identity));
        }
        // Pushed in reverse: the stack pops the dependencies first, in order.
        stack.push(if ignore_commands {
            Task::Append {
                module,
                ignorecmd: true,
            }
        } else {
            Task::Group(module)
        });
        stack.extend(deps.into_iter().rev().map(Task::Group));
    }

    /// `pre:` softdeps (visited), the module, `post:` softdeps (visited).
    fn group(&mut self, module: Candidate, stack: &mut Vec<Task>) {
        let (pre, post) = self.prober.softdeps(&module, &mut self.messages);
        let ignorecmd = !pre.is_empty() || !post.is_empty();
        let visit = |m: Candidate| Task::Visit {
            module: m,
            required: false,
            ignore_commands: false,
        };
        stack.extend(post.into_iter().rev().map(visit));
        stack.push(Task::Append { module, ignorecmd });
        stack.extend(pre.into_iter().rev().map(visit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::lookup::tests::{config, shown, text, tree};
    use crate::Context;

    /// The plan as lines, bytes other than printable ASCII escaped (`\xff`).
    fn plan_lines(
        ctx: &Context,
        cfg_text: impl AsRef<[u8]>,
        name: impl AsRef<[u8]>,
        request: InsertRequest<'_>,
    ) -> Vec<String> {
        let cfg = config(cfg_text);
        let p = Prober::new(ctx, &cfg);
        let mut diags = Vec::new();
        let mut out = Vec::new();
        for c in p.lookup(name.as_ref(), &mut diags).unwrap() {
            let plan = p.plan_insert(&c, &request);
            out.extend(plan.messages.iter().map(|m| m.to_string()));
            for s in plan.steps {
                let dir = ctx.dirname().display().to_string();
                out.push(match s.action {
                    LoadAction::Insert { path, options } => format!(
                        "insmod {} {}",
                        path.display().to_string().replace(&dir, ""),
                        shown(&options)
                    ),
                    LoadAction::Install { command, options } => {
                        format!("install {} {}", shown(&command), shown(&options))
                    }
                    LoadAction::Builtin => format!("builtin {}", shown(&s.module)),
                    LoadAction::NoFile => format!("nofile {}", shown(&s.module)),
                });
            }
        }
        out
    }

    const CLI: InsertRequest<'static> = InsertRequest {
        params: Some(b""),
        ignore_commands: false,
        use_blacklist: false,
    };

    #[test]
    fn dependencies_in_reverse_dep_order_with_softdeps() {
        let (_d, ctx) = tree();
        let cfg = "softdep ext4 pre: crypto-crc32c\nsoftdep jbd2 pre: crypto-crc32c\n";
        // jbd2's softdep brings crc32c in first; ext4's identical softdep is already visited.
        assert_eq!(
            plan_lines(&ctx, cfg, "ext4", CLI),
            [
                "insmod /kernel/crypto/crc32c_generic.ko ",
                "insmod /kernel/arch/crc32c-intel.ko ",
                "insmod /kernel/fs/jbd2.ko ",
                "insmod /kernel/fs/mbcache.ko ",
                "insmod /kernel/lib/crc16.ko ",
                "insmod /kernel/fs/ext4.ko ",
            ]
        );
    }

    #[test]
    fn dependencies_of_softdeps_are_listed_again() {
        let (_d, ctx) = tree();
        let cfg = "softdep vfat pre: ext4 post: crc16\noptions ext4 foo=1\n";
        assert_eq!(
            plan_lines(&ctx, cfg, "vfat", CLI),
            [
                "insmod /kernel/lib/crc16.ko ",
                "insmod /kernel/fs/fat.ko ",
                "insmod /kernel/fs/jbd2.ko ",
                "insmod /kernel/fs/mbcache.ko ",
                "insmod /kernel/lib/crc16.ko ",
                "insmod /kernel/fs/ext4.ko foo=1 ",
                "insmod /kernel/fs/vfat.ko ",
                "insmod /kernel/lib/crc16.ko ",
            ]
        );
    }

    #[test]
    fn softdep_loops_end() {
        let (_d, ctx) = tree();
        let cfg = "softdep loop pre: xfs\nsoftdep xfs pre: loop\n";
        assert_eq!(
            plan_lines(&ctx, cfg, "loop", CLI),
            ["insmod /kernel/fs/xfs.ko ", "insmod /kernel/block/loop.ko "]
        );
    }

    #[test]
    fn install_commands_and_softdeps() {
        let (_d, ctx) = tree();
        let cfg = "install e1000e /bin/echo $CMDLINE_OPTS\nsoftdep loop pre: missing\n\
install loop /bin/loop\nsoftdep xfs post: loop\ninstall xfs /bin/xfs\nsoftdep fat pre: a]\n";
        assert_eq!(
            plan_lines(
                &ctx,
                cfg,
                "e1000e",
                InsertRequest {
                    params: Some(b"x=1"),
                    ..CLI
                }
            ),
            ["install /bin/echo $CMDLINE_OPTS x=1"]
        );
        assert_eq!(
            plan_lines(
                &ctx,
                cfg,
                "e1000e",
                InsertRequest {
                    ignore_commands: true,
                    ..CLI
                }
            ),
            ["insmod /kernel/net/e1000e.ko "]
        );
        // Softdeps that resolve to nothing do not silence the install command...
        assert_eq!(plan_lines(&ctx, cfg, "loop", CLI), ["install /bin/loop "]);
        // ...resolvable ones do (loop keeps its own command).
        assert_eq!(
            plan_lines(&ctx, cfg, "xfs", CLI),
            ["insmod /kernel/fs/xfs.ko ", "install /bin/loop "]
        );
        assert_eq!(
            plan_lines(&ctx, cfg, "fat", CLI),
            [
                "ERROR: failed to lookup soft dependency 'a]', continuing anyway.",
                "insmod /kernel/lib/crc16.ko ",
                "insmod /kernel/fs/fat.ko "
            ]
        );
    }

    #[test]
    fn options_through_aliases_and_names() {
        let (_d, ctx) = tree();
        let cfg = "alias my-ext ext4\nalias wild* xfs\noptions ext4 foo=1\noptions my-ext bar=2\n\
options wild* w=1\noptions xfs x=3\noptions fs-ext4 idx=1\n";
        let last = |name: &str, params| {
            plan_lines(&ctx, cfg, name, InsertRequest { params, ..CLI })
                .pop()
                .unwrap()
        };
        assert_eq!(
            last("my-ext", Some(b"")),
            "insmod /kernel/fs/ext4.ko foo=1 bar=2 "
        );
        assert_eq!(
            last("wild7", Some(b"a")),
            "insmod /kernel/fs/xfs.ko w=1 x=3 a"
        );
        assert_eq!(
            last("fs-ext4", None),
            "insmod /kernel/fs/ext4.ko foo=1 idx=1 "
        );
        assert_eq!(
            last("jbd2", Some(b"p=\"a b\"")),
            "insmod /kernel/fs/jbd2.ko p=\"a b\""
        );
    }

    #[test]
    fn configuration_bytes_reach_the_plan() {
        let (_d, ctx) = tree();
        let cfg = b"options ext4 x=\xff\t\xe9\noptions caf\xe9 a=\xfe\nalias caf\xe9 ext4\n\
install loop /bin/echo \xe9 $CMDLINE_OPTS\nsoftdep xfs pre: caf\xe9 post: m\xe9\nalias m\xe9 d\xff\n\
softdep fat pre: \xe9]\n";
        assert!(
            plan_lines(&ctx, cfg, "caf\u{e9}", CLI).is_empty(),
            "the UTF-8 encoding of U+00E9 is not the byte 0xe9"
        );
        assert_eq!(
            plan_lines(&ctx, cfg, b"caf\xe9", CLI).pop().unwrap(),
            "insmod /kernel/fs/ext4.ko x=\\xff \\xe9 a=\\xfe "
        );
        assert_eq!(
            plan_lines(
                &ctx,
                cfg,
                "loop",
                InsertRequest {
                    params: Some(b"p=\xe9"),
                    ..CLI
                }
            ),
            ["install /bin/echo \\xe9 $CMDLINE_OPTS p=\\xe9"]
        );
        assert_eq!(
            plan_lines(&ctx, cfg, "xfs", CLI),
            [
                "insmod /kernel/fs/jbd2.ko ",
                "insmod /kernel/fs/mbcache.ko ",
                "insmod /kernel/lib/crc16.ko ",
                "insmod /kernel/fs/ext4.ko x=\\xff \\xe9 a=\\xfe ",
                "insmod /kernel/fs/xfs.ko ",
                "nofile d\\xff",
            ]
        );
        assert_eq!(
            plan_lines(&ctx, cfg, "fat", CLI)[0],
            "ERROR: failed to lookup soft dependency '\u{fffd}]', continuing anyway."
        );
        let cfg = config(cfg);
        let p = Prober::new(&ctx, &cfg);
        let plan = p.plan_insert(&Candidate::by_name("fat"), &CLI);
        assert_eq!(
            plan.messages[0].message,
            b"failed to lookup soft dependency '\xe9]', continuing anyway."
        );
    }

    #[test]
    fn builtin_missing_and_blacklisted() {
        let (_d, ctx) = tree();
        let cfg = "alias dead deaddood\nalias beep loop\nblacklist loop\n";
        assert_eq!(plan_lines(&ctx, cfg, "unix", CLI), ["builtin unix"]);
        assert_eq!(plan_lines(&ctx, cfg, "net-pf-1", CLI), ["builtin unix"]);
        assert_eq!(plan_lines(&ctx, cfg, "dead", CLI), ["nofile deaddood"]);
        assert!(plan_lines(&ctx, cfg, "beep", CLI).is_empty());
        assert_eq!(
            plan_lines(&ctx, cfg, "loop", CLI),
            ["insmod /kernel/block/loop.ko "]
        );
        let b = InsertRequest {
            use_blacklist: true,
            ..CLI
        };
        assert!(plan_lines(&ctx, cfg, "loop", b).is_empty());
    }

    #[test]
    fn required_marks_target_and_dependencies_only() {
        let (_d, ctx) = tree();
        let cfg = config("softdep vfat pre: loop\n");
        let p = Prober::new(&ctx, &cfg);
        let plan = p.plan_insert(&Candidate::by_name("vfat"), &CLI);
        let req: Vec<(String, bool, bool)> = plan
            .steps
            .iter()
            .map(|s| (text(&s.module), s.required, s.is_target))
            .collect();
        assert_eq!(
            req,
            [
                ("crc16".to_string(), true, false),
                ("fat".to_string(), true, false),
                ("loop".to_string(), false, false),
                ("vfat".to_string(), true, true)
            ]
        );
    }
}
