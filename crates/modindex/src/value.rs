//! Values stored under a key, and the ordering rule kmod applies to them.

/// One value of a key: the string and its priority (depmod uses the module's position in its module
/// array, so lower numbers come first).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Value {
    /// Ordering key: lists are kept in ascending priority.
    pub priority: u32,
    /// The stored string.
    pub value: String,
}

/// Where a value of `priority` goes in a list sorted by ascending priority: before the first value
/// whose priority is greater than *or equal to* it, so that among equal priorities the most recently
/// inserted value comes first (kmod's rule, formats.md §2.3).
pub fn insert_position<T>(list: &[T], priority: u32, priority_of: impl Fn(&T) -> u32) -> usize {
    list.partition_point(|v| priority_of(v) < priority)
}

/// Collects the values found by a wildcard search in kmod's merge order: ascending priority; among
/// equal priorities, the values of a node found later come before those of nodes found earlier, while
/// the values of one node keep their stored order (verified against kmod 30's `modprobe -R`).
/// Values are numbered as they come and sorted once at the end, so merging is O(n log n).
#[derive(Debug, Default)]
pub struct MergedValues {
    /// (priority, group number, position in group, value).
    added: Vec<(u32, usize, usize, String)>,
    /// Number of the current group (one group per node whose values are added).
    group: usize,
    /// Values added to the current group so far.
    in_group: usize,
}

impl MergedValues {
    /// Starts a new group: the values of the next node.
    pub fn start_group(&mut self) {
        self.group += 1;
        self.in_group = 0;
    }

    /// Adds one value to the current group.
    pub fn add(&mut self, priority: u32, value: String) {
        self.added
            .push((priority, self.group, self.in_group, value));
        self.in_group += 1;
    }

    /// The values in merge order.
    pub fn into_values(mut self) -> Vec<Value> {
        self.added.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| b.1.cmp(&a.1))
                .then_with(|| a.2.cmp(&b.2))
        });
        self.added
            .into_iter()
            .map(|(priority, _, _, value)| Value { priority, value })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(priority: u32, value: &str) -> Value {
        Value {
            priority,
            value: value.to_string(),
        }
    }

    #[test]
    fn position_goes_before_equal_priorities() {
        let list = [v(1, "a"), v(3, "b"), v(3, "c"), v(5, "d")];
        assert_eq!(insert_position(&list, 3, |x| x.priority), 1);
        assert_eq!(insert_position(&list, 0, |x| x.priority), 0);
        assert_eq!(insert_position(&list, 4, |x| x.priority), 3);
        assert_eq!(insert_position(&list, 9, |x| x.priority), 4);
    }

    #[test]
    fn merged_values_put_later_groups_first_and_keep_group_order() {
        // The `modprobe -R kk` experiment: nodes `k*` [c2 b5 a5], `k?` [dup1 d5], `kk*` [dup1].
        let mut m = MergedValues::default();
        for group in [
            &[(2, "c"), (5, "b"), (5, "a")][..],
            &[(1, "dup"), (5, "d")],
            &[(1, "dup2")],
        ] {
            m.start_group();
            for &(p, s) in group {
                m.add(p, s.to_string());
            }
        }
        let got: Vec<_> = m
            .into_values()
            .into_iter()
            .map(|v| (v.priority, v.value))
            .collect();
        let want = [
            (1, "dup2"),
            (1, "dup"),
            (2, "c"),
            (5, "d"),
            (5, "b"),
            (5, "a"),
        ];
        assert_eq!(got, want.map(|(p, s)| (p, s.to_string())));
    }

    #[test]
    fn empty_merge() {
        assert!(MergedValues::default().into_values().is_empty());
    }
}
