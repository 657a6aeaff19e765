#!/usr/bin/env bash
# Lints the ten man pages in man/ with mandoc (Debian package mandoc, installed when missing and
# run as root): `mandoc -Tlint` must report nothing at all, and every page must render.
# Their OPTIONS sections are compared with the tools' option tables by
# crates/cli/tests/man_options.rs. Prints "manpages: N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top" || exit 1
if ! command -v mandoc >/dev/null && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mandoc) >/dev/null 2>&1
fi
pass=0 fail=0
if ! command -v mandoc >/dev/null; then
    echo "FAIL: mandoc is not installed"
    echo "manpages: 0 passed, 1 failed"
    exit 1
fi
pages=(kmod.8 insmod.8 rmmod.8 lsmod.8 modprobe.8 modinfo.8 depmod.8 modprobe.d.5 depmod.d.5 modules.dep.5)
for page in "${pages[@]}"; do
    lint=$(mandoc -Tlint "man/$page" 2>&1)
    if [ $? -eq 0 ] && [ -z "$lint" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: mandoc -Tlint man/$page"
        echo "$lint" | head -n 10
    fi
    if [ "$(mandoc -Tutf8 "man/$page" 2>/dev/null | wc -l)" -gt 20 ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: man/$page does not render"
    fi
done
# No page in man/ that is not one of the ten (and so not installed).
for file in man/*; do
    case " ${pages[*]} " in
        *" ${file#man/} "*) pass=$((pass + 1)) ;;
        *) fail=$((fail + 1)); echo "FAIL: unexpected $file" ;;
    esac
done
echo "manpages: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
