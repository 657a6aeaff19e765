//! Turning each module's needed symbols into direct dependencies (formats.md §4.1 step 6).

use super::record::ModuleInfo;
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

/// Resolves the needed symbols of `info` against `table`. Weak symbols still create
/// dependencies when provided but are never reported. A module providing its own needed symbol
/// depends on itself (a cycle, as in depmod).
pub fn resolve(info: &ModuleInfo, table: &SymbolTable<'_>, checks: ResolveChecks) -> Resolution {
    let mut out = Resolution::default();
    for need in &info.needs {
        let name = info.name(need.name);
        let Some(provider) = table.find(name) else {
            if checks.unknown && !need.weak {
                out.events.push(Event::Unknown(name.to_string()));
            }
            continue;
        };
        if checks.versions && !need.weak && provider.crc != need.crc {
            out.events.push(Event::Disagrees(name.to_string()));
        }
        if let Some(owner) = provider.owner {
            if !out.deps.contains(&owner) {
                out.deps.push(owner);
                out.events.push(Event::Needs {
                    symbol: table.lookup_name(name).to_string(),
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

    fn needs(list: &[(&str, u64, bool)]) -> ModuleInfo {
        let mut info = ModuleInfo::default();
        for &(name, crc, weak) in list {
            info.add_need(name.as_bytes(), crc, weak);
        }
        info
    }

    #[test]
    fn dependencies_once_in_first_need_order() {
        let mut t = SymbolTable::new(None);
        t.add_export("sb", 0x23, 1);
        t.add_export("sb2", 0, 1);
        t.add_export("sc", 0, 2);
        let r = resolve(
            &needs(&[("sc", 0, false), ("sb", 0x22, false), ("sb2", 0, false)]),
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
        let info = needs(&[
            ("printk", 0x99, false),
            ("sb", 0x22, false),
            ("nothere", 1, false),
            ("weakmissing", 0, true),
            ("sb", 0x1, true),
            (".dotsym", 0, false),
        ]);
        let r = resolve(
            &info,
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
        let quiet = resolve(&info, &t, ResolveChecks::default());
        assert_eq!(quiet.events.len(), 1);
    }

    #[test]
    fn weak_symbols_still_depend_and_self_needs_are_kept() {
        let mut t = SymbolTable::new(None);
        t.add_export("x", 0, 0);
        let r = resolve(&needs(&[("x", 0, true)]), &t, ResolveChecks::default());
        assert_eq!(r.deps, [0]);
    }
}
