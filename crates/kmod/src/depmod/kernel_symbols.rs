//! Symbols of the kernel image itself: `System.map` (`depmod -F`) and `Module.symvers`
//! (`depmod -E`), parsed the way depmod 30 parses them (verified line by line as a black box).

/// What a kernel symbol file yields: symbols in file order and the messages about bad lines
/// (already worded, without the `ERROR:` prefix).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KernelSymbols {
    /// `(name, crc)` pairs, in file order (CRC 0 for `System.map`).
    pub symbols: Vec<(String, u64)>,
    /// One message per rejected line.
    pub errors: Vec<String>,
}

/// Lines of `data` with their terminating `\n` (the last one may lack it), numbered from 1.
fn numbered_lines(data: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    data.split_inclusive(|&b| b == b'\n')
        .zip(1..)
        .map(|(l, n)| (n, l))
}

/// `System.map`: `<address> <type> <name>` separated by single spaces. Every name that starts
/// with the prefix character (if any) followed by `__ksymtab_` is an exported kernel symbol; the
/// rest of the line after it (without the `\n`) is the symbol, kept as is. A line without two
/// spaces is reported as `<file>:<n>: invalid line: <line>` (the line with its newline).
pub fn parse_system_map(file: &str, data: &[u8], prefix: Option<u8>) -> KernelSymbols {
    let mut marker = Vec::with_capacity(11);
    marker.extend(prefix);
    marker.extend_from_slice(b"__ksymtab_");
    let mut out = KernelSymbols::default();
    for (number, line) in numbered_lines(data) {
        let name = line.iter().position(|&b| b == b' ').and_then(|first| {
            let rest = line.get(first + 1..)?;
            let second = rest.iter().position(|&b| b == b' ')?;
            rest.get(second + 1..)
        });
        let Some(name) = name else {
            out.errors.push(format!(
                "{file}:{number}: invalid line: {}",
                String::from_utf8_lossy(line)
            ));
            continue;
        };
        let name = name.strip_suffix(b"\n").unwrap_or(name);
        if let Some(symbol) = name.strip_prefix(marker.as_slice()) {
            out.symbols
                .push((String::from_utf8_lossy(symbol).into_owned(), 0));
        }
    }
    out
}

/// Parses a CRC the way `strtoull(s, &end, 16)` with a full-match check does.
fn parse_crc(token: &[u8]) -> Result<u64, &'static str> {
    let digits = token
        .strip_prefix(b"0x")
        .or_else(|| token.strip_prefix(b"0X"))
        .filter(|d| d.first().is_some_and(u8::is_ascii_hexdigit))
        .unwrap_or(token);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_hexdigit) {
        return Err("Success");
    }
    let text = std::str::from_utf8(digits).map_err(|_| "Success")?;
    u64::from_str_radix(text, 16).map_err(|_| "Numerical result out of range")
}

/// `Module.symvers`: `<crc> <symbol> <module> <export type> [namespace]` separated by spaces or
/// tabs. Only symbols whose module field is exactly `vmlinux` (and not the last field of its
/// line) are kernel symbols. A bad CRC on such a line is reported as
/// `<file>:<n> Invalid symbol version <crc>: <strerror>` and the line skipped.
pub fn parse_symvers(file: &str, data: &[u8]) -> KernelSymbols {
    let mut out = KernelSymbols::default();
    for (number, line) in numbered_lines(data) {
        let mut tokens = line
            .split(|&b| b == b' ' || b == b'\t')
            .filter(|t| !t.is_empty());
        let (Some(crc), Some(symbol), Some(owner)) = (tokens.next(), tokens.next(), tokens.next())
        else {
            continue;
        };
        // Without a following field, the owner token still carries the line's newline.
        if owner != b"vmlinux" {
            continue;
        }
        match parse_crc(crc) {
            Ok(crc) => out
                .symbols
                .push((String::from_utf8_lossy(symbol).into_owned(), crc)),
            Err(why) => out.errors.push(format!(
                "{file}:{number} Invalid symbol version {}: {why}",
                String::from_utf8_lossy(crc)
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_map_lines_as_depmod_reads_them() {
        let map = b"0 r\t__ksymtab_t1\n0\tr\t__ksymtab_t2\n0 r __ksymtab_t3 extra\n__ksymtab_t4\n\
0 __ksymtab_t5\n0 r x__ksymtab_t6\n  0 r __ksymtab_t7\n0 r  __ksymtab_t8\n0 r __ksymtab_t9\r\n\
ffffffff81000000 T printk\n0 r __ksymtab_t10";
        let got = parse_system_map("/S", map, None);
        let names: Vec<&str> = got.symbols.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["t3 extra", "t9\r", "t10"]);
        assert_eq!(
            got.errors,
            [
                "/S:1: invalid line: 0 r\t__ksymtab_t1\n",
                "/S:2: invalid line: 0\tr\t__ksymtab_t2\n",
                "/S:4: invalid line: __ksymtab_t4\n",
                "/S:5: invalid line: 0 __ksymtab_t5\n",
            ]
        );
    }

    #[test]
    fn system_map_with_prefix() {
        let map = b"0 r __ksymtab_k1\n0 r __ksymtab__k2\n0 r ___ksymtab_k3\n0 r ___ksymtab__k4\n";
        let names = |p| -> Vec<String> {
            parse_system_map("m", map, p)
                .symbols
                .into_iter()
                .map(|(n, _)| n)
                .collect()
        };
        assert_eq!(names(None), ["k1", "_k2"]);
        assert_eq!(names(Some(b'_')), ["k3", "_k4"]);
    }

    #[test]
    fn symvers_lines_as_depmod_reads_them() {
        let data = b"0x1\tt1\tvmlinux\tE\n1\tt2\tvmlinux\tE\nzz\tt3\tvmlinux\tE\n0x4\tt4\n\n\
0x5  t5  vmlinux  E\n0x6\tt6\tvmlinux\n0x0000000000000007\tt7\tvmlinux\tE\n0x8 t8 vmlinux\t\n\
0x9\tt9\tdrivers/x\tE\n0x10\tt10\tvmlinux";
        let got = parse_symvers("/M", data);
        assert_eq!(
            got.symbols,
            [
                ("t1".to_string(), 1),
                ("t2".to_string(), 1),
                ("t5".to_string(), 5),
                ("t7".to_string(), 7),
                ("t8".to_string(), 8),
                ("t10".to_string(), 0x10),
            ]
        );
        assert_eq!(got.errors, ["/M:3 Invalid symbol version zz: Success"]);
    }

    #[test]
    fn crc_parsing() {
        assert_eq!(parse_crc(b"0x1f"), Ok(0x1f));
        assert_eq!(parse_crc(b"0XFF"), Ok(0xff));
        assert_eq!(parse_crc(b"abc"), Ok(0xabc));
        assert!(parse_crc(b"0x").is_err());
        assert!(parse_crc(b"").is_err());
        assert!(parse_crc(b"1g").is_err());
        assert_eq!(
            parse_crc(b"0x11111111111111111"),
            Err("Numerical result out of range")
        );
    }
}
