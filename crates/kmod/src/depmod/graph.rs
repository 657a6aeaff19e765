//! The dependency graph: depmod's topological order, the transitive dependency lists written to
//! `modules.dep`, and the report of dependency cycles (formats.md §4.1 steps 7–8).
//!
//! `deps[m]` lists the direct dependencies of module `m` (array indices, each once, in the
//! order they were first needed).

/// Positions of the modules in depmod's topological order (`dep_sort_idx`): Kahn's algorithm
/// with a stack, seeded with the modules nobody depends on in array order, so modules with no
/// users come first and the most basic dependencies last. `Err` holds, per module, whether it
/// could not be placed (it is in or below a dependency cycle).
pub fn topological_positions(deps: &[Vec<usize>]) -> Result<Vec<usize>, Vec<bool>> {
    let n = deps.len();
    let mut users = vec![0usize; n];
    for list in deps {
        for &d in list {
            if let Some(u) = users.get_mut(d) {
                *u += 1;
            }
        }
    }
    // Seeded in array order; the last pushed is placed first.
    let mut stack: Vec<usize> = (0..n).filter(|&m| users[m] == 0).collect();
    let mut position = vec![usize::MAX; n];
    let mut placed = 0usize;
    while let Some(m) = stack.pop() {
        position[m] = placed;
        placed += 1;
        for &d in deps.get(m).map(Vec::as_slice).unwrap_or_default() {
            if let Some(u) = users.get_mut(d) {
                *u -= 1;
                if *u == 0 {
                    stack.push(d);
                }
            }
        }
    }
    if placed == n {
        Ok(position)
    } else {
        Err(position.iter().map(|&p| p == usize::MAX).collect())
    }
}

/// Every module `m` depends on, directly or not, ordered by topological position (the list
/// written after `m:` in `modules.dep`). `seen` is scratch space of `deps.len()` entries whose
/// contents must differ from `m + 1` everywhere on entry (a fresh `vec![0; n]` reused for
/// increasing `m` works).
pub fn transitive_deps(
    deps: &[Vec<usize>],
    position: &[usize],
    m: usize,
    seen: &mut [usize],
) -> Vec<usize> {
    let stamp = m + 1;
    let mut out = Vec::new();
    let mut stack: Vec<usize> = deps.get(m).cloned().unwrap_or_default();
    while let Some(d) = stack.pop() {
        match seen.get_mut(d) {
            Some(s) if *s != stamp => *s = stamp,
            _ => continue,
        }
        out.push(d);
        if let Some(next) = deps.get(d) {
            stack.extend(next.iter().copied());
        }
    }
    out.sort_by_key(|&d| position.get(d).copied().unwrap_or(usize::MAX));
    out
}

/// Upper bound on search steps per starting module when looking for cycles (the search walks
/// simple paths, which can explode in dense cyclic graphs; real trees have no cycles at all).
const CYCLE_SEARCH_BUDGET: usize = 1 << 18;
/// Upper bound on the cycles reported through one starting module.
const MAX_CYCLES_PER_ROOT: usize = 1 << 12;

/// The dependency cycles among the modules `stuck` (as returned by [`topological_positions`]),
/// each as a path `root -> ... -> root`, in depmod's reporting order: every stuck module not yet
/// part of a reported cycle, in array order, starts a depth-first search (last dependency
/// explored first) that reports each path leading back to it. Paths through another cycle are
/// not followed (depmod 30 loops forever on them; that cycle is reported from its own members).
pub fn find_cycles(deps: &[Vec<usize>], stuck: &[bool]) -> Vec<Vec<usize>> {
    let mut in_cycle = vec![false; deps.len()];
    let mut cycles = Vec::new();
    for root in 0..deps.len() {
        if !stuck.get(root).copied().unwrap_or(false) || in_cycle[root] {
            continue;
        }
        for cycle in cycles_through(deps, root) {
            for &m in &cycle {
                if let Some(flag) = in_cycle.get_mut(m) {
                    *flag = true;
                }
            }
            cycles.push(cycle);
        }
    }
    cycles
}

/// The simple cycles through `root`, in depmod's discovery order.
fn cycles_through(deps: &[Vec<usize>], root: usize) -> Vec<Vec<usize>> {
    // Search tree: (module, parent entry).
    let mut entries: Vec<(usize, Option<usize>)> = vec![(root, None)];
    let mut stack = vec![0usize];
    let mut found = Vec::new();
    let mut steps = 0usize;
    let path_of = |entries: &[(usize, Option<usize>)], mut e: usize| {
        let mut path = Vec::new();
        while let Some(&(m, parent)) = entries.get(e) {
            path.push(m);
            match parent {
                Some(p) => e = p,
                None => break,
            }
        }
        path.reverse();
        path
    };
    while let Some(e) = stack.pop() {
        steps += 1;
        if steps > CYCLE_SEARCH_BUDGET || found.len() >= MAX_CYCLES_PER_ROOT {
            break;
        }
        let Some(&(m, parent)) = entries.get(e) else {
            continue;
        };
        if let Some(parent) = parent {
            if m == root {
                found.push(path_of(&entries, e));
                continue;
            }
            if path_of(&entries, parent).contains(&m) {
                continue;
            }
        }
        for &d in deps.get(m).map(Vec::as_slice).unwrap_or_default() {
            entries.push((d, Some(e)));
            stack.push(entries.len() - 1);
        }
    }
    found
}

/// The number of distinct modules in `cycles` (depmod's "Found N modules in dependency cycles").
pub fn modules_in_cycles(cycles: &[Vec<usize>]) -> usize {
    let mut all: Vec<usize> = cycles.iter().flatten().copied().collect();
    all.sort_unstable();
    all.dedup();
    all.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds `deps` from "a:b,c b: c:a"-style specs over single-letter module names, in the
    /// given array order.
    fn graph(spec: &str, order: &str) -> (Vec<Vec<usize>>, Vec<char>) {
        let names: Vec<char> = order.chars().filter(|c| *c != ' ').collect();
        let idx = |c: char| names.iter().position(|&n| n == c).unwrap();
        let mut deps = vec![Vec::new(); names.len()];
        for item in spec.split_whitespace() {
            let (m, ds) = item.split_once(':').unwrap();
            for d in ds.split(',').filter(|d| !d.is_empty()) {
                deps[idx(m.chars().next().unwrap())].push(idx(d.chars().next().unwrap()));
            }
        }
        (deps, names)
    }

    fn cycle_text(spec: &str, order: &str) -> Vec<String> {
        let (deps, names) = graph(spec, order);
        let stuck = topological_positions(&deps).unwrap_err();
        find_cycles(&deps, &stuck)
            .iter()
            .map(|c| {
                c.iter()
                    .map(|&m| names[m].to_string())
                    .collect::<Vec<_>>()
                    .join(" -> ")
            })
            .collect()
    }

    #[test]
    fn cycles_reported_like_depmod_30() {
        // Each expectation is depmod 30's output for the same graph and modules.order.
        assert_eq!(cycle_text("a:b,h b:a h:", "abh"), ["a -> b -> a"]);
        assert_eq!(cycle_text("a:b,h b:a h:", "hba"), ["b -> a -> b"]);
        assert_eq!(
            cycle_text("a:b b:a,c c:a", "abc"),
            ["a -> b -> c -> a", "a -> b -> a"]
        );
        assert_eq!(
            cycle_text("a:b b:c,a c:a", "abc"),
            ["a -> b -> a", "a -> b -> c -> a"]
        );
        assert_eq!(
            cycle_text("a:b,c b:c c:a", "abc"),
            ["a -> c -> a", "a -> b -> c -> a"]
        );
        assert_eq!(
            cycle_text("a:c,b b:c c:a", "abc"),
            ["a -> b -> c -> a", "a -> c -> a"]
        );
        assert_eq!(cycle_text("a:b b:c c:b", "abc"), ["b -> c -> b"]);
        assert_eq!(cycle_text("a:b b:c c:b", "bca"), ["b -> c -> b"]);
        assert_eq!(
            cycle_text("a:b,c b:a c:a", "abc"),
            ["a -> c -> a", "a -> b -> a"]
        );
        assert_eq!(
            cycle_text("a:b b:a c:d d:e e:c f:a g:f", "gfedcba"),
            ["e -> c -> d -> e", "b -> a -> b"]
        );
        assert_eq!(cycle_text("a:a", "a"), ["a -> a"]);
    }

    #[test]
    fn cycles_behind_other_cycles_terminate_and_are_reported() {
        // depmod 30 loops forever here; every cycle is still reported once.
        // a <-> b lies inside the reported cycle, so all three modules are already named.
        assert_eq!(cycle_text("c:a a:b b:a,c", "cba"), ["c -> a -> b -> c"]);
        assert_eq!(
            cycle_text("a:b,x b:a x:c c:d d:c", "abxcd"),
            ["a -> b -> a", "c -> d -> c"]
        );
        let (deps, _) = graph("a:b,x b:a x:c c:d d:c", "abxcd");
        let stuck = topological_positions(&deps).unwrap_err();
        assert_eq!(modules_in_cycles(&find_cycles(&deps, &stuck)), 4);
    }

    #[test]
    fn dense_cycles_stay_bounded() {
        let n = 40;
        let deps: Vec<Vec<usize>> = (0..n)
            .map(|m| (0..n).filter(|&d| d != m).collect())
            .collect();
        let stuck = topological_positions(&deps).unwrap_err();
        assert!(!find_cycles(&deps, &stuck).is_empty());
    }

    #[test]
    fn topological_order_and_closure() {
        // c -> b -> a, d -> a, e alone; array order a b c d e.
        let (deps, _) = graph("b:a c:b d:a", "abcde");
        let pos = topological_positions(&deps).unwrap();
        // Roots c, d, e pushed in array order and popped last-first: e, d, c, then b, then a.
        assert_eq!(pos, [4, 3, 2, 1, 0]);
        let mut seen = vec![0; 5];
        assert_eq!(transitive_deps(&deps, &pos, 2, &mut seen), [1, 0]);
        assert_eq!(transitive_deps(&deps, &pos, 3, &mut seen), [0]);
        assert!(transitive_deps(&deps, &pos, 4, &mut seen).is_empty());
        assert!(transitive_deps(&deps, &pos, 0, &mut seen).is_empty());
    }

    #[test]
    fn closure_is_deduplicated_and_sorted() {
        // a -> b, a -> c, b -> c, c -> d.
        let (deps, _) = graph("a:b,c b:c c:d", "abcd");
        let pos = topological_positions(&deps).unwrap();
        let mut seen = vec![0; 4];
        assert_eq!(transitive_deps(&deps, &pos, 0, &mut seen), [1, 2, 3]);
    }
}
