//! The kernel's lists of built-in modules: `modules.builtin` (one object path per line) and
//! `modules.builtin.modinfo` (`<module>.<key>=<value>` records separated by NULs), read for
//! `modules.builtin.bin` and `modules.builtin.alias.bin` (formats.md §2.4, §3.1).

use modname::modname_normalize;

/// Module names listed in `modules.builtin`, in file order, and the messages about lines that do
/// not start with a letter (`Invalid modules.builtin line: <line with its newline>`).
pub fn builtin_names(data: &[u8]) -> (Vec<String>, Vec<String>) {
    let mut names = Vec::new();
    let mut errors = Vec::new();
    for line in data.split_inclusive(|&b| b == b'\n') {
        if !line.first().is_some_and(u8::is_ascii_alphabetic) {
            errors.push(format!(
                "Invalid modules.builtin line: {}",
                String::from_utf8_lossy(line)
            ));
            continue;
        }
        let path = line.strip_suffix(b"\n").unwrap_or(line);
        names.push(modname_normalize(&String::from_utf8_lossy(path)));
    }
    (names, errors)
}

/// `(module, alias)` for every `<module>.alias=<value>` record of `modules.builtin.modinfo` with
/// a non-empty module name and value, in file order.
pub fn builtin_aliases(data: &[u8]) -> Vec<(&[u8], &[u8])> {
    data.split(|&b| b == 0)
        .filter_map(|record| {
            let dot = record.iter().position(|&b| b == b'.')?;
            let (module, rest) = record.split_at(dot);
            let value = rest.strip_prefix(b".alias=")?;
            (!module.is_empty() && !value.is_empty()).then_some((module, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_lines() {
        let (names, errors) = builtin_names(
            b"kernel/a.ko\n\n# x\n9abc\nkernel/../foo-bar.ko\n_x.ko\nZ/x.ko\nkernel/last.ko",
        );
        assert_eq!(names, ["a", "foo_bar", "x", "last"]);
        assert_eq!(
            errors,
            [
                "Invalid modules.builtin line: \n",
                "Invalid modules.builtin line: # x\n",
                "Invalid modules.builtin line: 9abc\n",
                "Invalid modules.builtin line: _x.ko\n",
            ]
        );
    }

    #[test]
    fn builtin_alias_records() {
        let data =
            b"x.alias=foo-bar\0x.alias=pci:v[a-b]*\0y.license=GPL\0y.alias=yy\0x.alias=late\0\
nodot\0.alias=noname\0z.alias\0w.alias=\0q.aliasx=3\0";
        let got: Vec<(String, String)> = builtin_aliases(data)
            .into_iter()
            .map(|(m, a)| {
                (
                    String::from_utf8_lossy(m).into_owned(),
                    String::from_utf8_lossy(a).into_owned(),
                )
            })
            .collect();
        let want = [
            ("x", "foo-bar"),
            ("x", "pci:v[a-b]*"),
            ("y", "yy"),
            ("x", "late"),
        ];
        assert_eq!(
            got,
            want.map(|(m, a)| (m.to_string(), a.to_string())).to_vec()
        );
    }
}
