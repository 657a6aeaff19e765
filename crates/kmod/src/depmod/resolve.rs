//! Turning each module's needed symbols into direct dependencies (formats.md §4.1 step 6).

use super::record::Need;
use super::symbols::SymbolTable;

/// Which checks to report while resolving.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResolveChecks {
    /// Report needed symbols nobody provides (`-e` with `-E` or `-F`).
    pub unknown: bool,
    /// Report CRC mismatches (`-e -E`).
    pub versions: bool,
}

/// Something worth telling about one needed symbol, in the order found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A new direct dependency (`-v`: `<path> needs "<sym>": <provider path>`); `symbol` is the
    /// looked-up name (prefix and leading `.` removed).
    Needs {
        /// The symbol as looked up.
        symbol: String,
        /// Array index of the provider.
        provider: usize,
    },
    /// `<path> needs unknown symbol <sym>` (the name as in the module).
    Unknown(String),
    /// `<path> disagrees about version of symbol <sym>` (the name as in the module).
    Disagrees(String),
}

/// The direct dependencies of one module and the events met on the way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolution {
    /// Array indices of the providers, each once, in the order first needed.
    pub deps: Vec<usize>,
    /// What happened, in symbol order.
    pub events: Vec<Event>,
}

/// Resolves `needs` against `table`. Weak symbols still create dependencies when provided but
/// are never reported. A module providing its own needed symbol depends on itself (a cycle, as
/// in depmod).
pub fn resolve(needs: &[Need], table: &SymbolTable, checks: ResolveChecks) -> Resolution {
    let mut out = Resolution::default();
    for need in needs {
        let Some(provider) = table.find(&need.name) else {
            if checks.unknown && !need.weak {
                out.events.push(Event::Unknown(need.name.clone()));
            }
            continue;
        };
        if checks.versions && !need.weak && provider.crc != need.crc {
            out.events.push(Event::Disagrees(need.name.clone()));
        }
        if let Some(owner) = provider.owner {
            if !out.deps.contains(&owner) {
                out.deps.push(owner);
                out.events.push(Event::Needs {
                    symbol: table.lookup_name(&need.name).to_string(),
                    provider: owner,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need(name: &str, crc: u64, weak: bool) -> Need {
        Need {
            name: name.into(),
            crc,
            weak,
        }
    }

    #[test]
    fn dependencies_once_in_first_need_order() {
        let mut t = SymbolTable::new(None);
        t.add_export("sb", 0x23, 1);
        t.add_export("sb2", 0, 1);
        t.add_export("sc", 0, 2);
        let r = resolve(
            &[
                need("sc", 0, false),
                need("sb", 0x22, false),
                need("sb2", 0, false),
            ],
            &t,
            ResolveChecks::default(),
        );
        assert_eq!(r.deps, [2, 1]);
        assert_eq!(
            r.events,
            [
                Event::Needs {
                    symbol: "sc".into(),
                    provider: 2
                },
                Event::Needs {
                    symbol: "sb".into(),
                    provider: 1
                }
            ]
        );
    }

    #[test]
    fn checks_as_depmod_e() {
        let mut t = SymbolTable::new(None);
        t.add_kernel("printk", 0x99);
        t.add_kernel("dotsym", 0);
        t.add_export("sb", 0x23, 1);
        let needs = [
            need("printk", 0x99, false),
            need("sb", 0x22, false),
            need("nothere", 1, false),
            need("weakmissing", 0, true),
            need("sb", 0x1, true),
            need(".dotsym", 0, false),
        ];
        let r = resolve(
            &needs,
            &t,
            ResolveChecks {
                unknown: true,
                versions: true,
            },
        );
        assert_eq!(r.deps, [1]);
        assert_eq!(
            r.events,
            [
                Event::Disagrees("sb".into()),
                Event::Needs {
                    symbol: "sb".into(),
                    provider: 1
                },
                Event::Unknown("nothere".into()),
            ]
        );
        let quiet = resolve(&needs, &t, ResolveChecks::default());
        assert_eq!(quiet.events.len(), 1);
    }

    #[test]
    fn weak_symbols_still_depend_and_self_needs_are_kept() {
        let mut t = SymbolTable::new(None);
        t.add_export("x", 0, 0);
        let r = resolve(&[need("x", 0, true)], &t, ResolveChecks::default());
        assert_eq!(r.deps, [0]);
    }
}
