#!/usr/bin/env bash
# Loads the shell completions of completions/ into bash, zsh and fish and completes partial command
# lines for every tool: options, option arguments (fields, formats, kernel versions under -b/-d),
# module names from a fake modules.dep, loaded modules from a fake /proc/modules, module files.
# Installs zsh and fish from Debian's packages when missing (as root). Prints
# "completions: N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top" || exit 1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

missing=()
command -v zsh >/dev/null || missing+=(zsh)
command -v fish >/dev/null || missing+=(fish)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") \
        >/dev/null 2>&1
fi
for shell in bash zsh fish; do
    command -v $shell >/dev/null || bad "$shell is not installed"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A module tree and a list of loaded modules to complete from.
root=$work/root kver=9.9.9-test
mkdir -p "$root/lib/modules/$kver/kernel"
cat >"$root/lib/modules/$kver/modules.dep" <<'EOF'
kernel/fs/ext4/ext4.ko.xz: kernel/lib/crc16.ko.xz kernel/fs/jbd2/jbd2.ko.xz
kernel/lib/crc16.ko.xz:
kernel/fs/jbd2/jbd2.ko.xz:
kernel/sound/pci/hda/snd-hda-intel.ko.xz:
EOF
printf 'snd_hda_intel 57344 0 - Live 0x0\nloop 32768 0 - Live 0x0\n' >"$work/proc-modules"
# The scripts under test, reading the fake list instead of /proc/modules.
cp -r completions "$work/comp"
sed -i "s|/proc/modules|$work/proc-modules|g" "$work"/comp/*/*

# Syntax of every file.
for f in completions/bash/*; do bash -n "$f" && ok || bad "bash -n $f"; done
for f in completions/zsh/_*; do zsh -n "$f" && ok || bad "zsh -n $f"; done
for f in completions/fish/*.fish; do fish -n "$f" && ok || bad "fish -n $f"; done

# Cases: "<command line ending in the word to complete>|<a candidate that must be offered>".
cases=(
    "kmod st|static-nodes"
    "kmod --vers|--version"
    "kmod list --sys|--syslog"
    "kmod static-nodes --form|--format"
    "kmod static-nodes --format tmpf|tmpfiles"
    "insmod --force-v|--force-vermagic"
    "insmod fixtures/example_h|fixtures/example_helper.ko"
    "rmmod --fo|--force"
    "rmmod lo|loop"
    "lsmod --sys|--syslog"
    "modinfo --au|--author"
    "modinfo -F vermag|vermagic"
    "modinfo -b $root -k 9.9|$kver"
    "modinfo -b $root -k $kver snd|snd-hda-intel"
    "modinfo --basedir $root --set-version $kver ext|ext4"
    "modinfo fixtures/example_h|fixtures/example_helper.ko"
    "modprobe --show-dep|--show-depends"
    "modprobe -d $root -S 9.9|$kver"
    "modprobe -d $root -S $kver cr|crc16"
    "modprobe -r snd|snd_hda_intel"
    "modprobe --remove lo|loop"
    "depmod --symv|--symvers"
    "depmod -b $root 9.9|$kver"
)

# bash: call the completion function as readline would (the line split at spaces).
for case in "${cases[@]}"; do
    line=${case%|*} want=${case##*|}
    got=$(bash -c '
        line=$1 file=$2
        read -ra COMP_WORDS <<<"$line"
        [[ $line == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
        COMP_LINE=$line COMP_POINT=${#line}
        source "$file" || exit 1
        "_kmod_rs_${COMP_WORDS[0]}"
        printf "%s\n" "${COMPREPLY[@]}"' _ "$line" "$work/comp/bash/${line%% *}")
    if grep -qxF -- "$want" <<<"$got"; then ok; else bad "bash: '$line' did not offer '$want' (got: $(echo $got))"; fi
done
# bash: "--opt=value" arrives split at "=".
got=$(bash -c 'source "$1"; COMP_WORDS=(modinfo --field = sig); COMP_CWORD=3; _kmod_rs_modinfo; printf "%s\n" "${COMPREPLY[@]}"' _ "$work/comp/bash/modinfo")
if grep -qxF signer <<<"$got"; then ok; else bad "bash: 'modinfo --field=sig' (got: $(echo $got))"; fi

# fish: complete -C prints "candidate<TAB>description" lines.
for case in "${cases[@]}"; do
    line=${case%|*} want=${case##*|}
    got=$(fish -c 'set fish_complete_path $argv[1] $fish_complete_path; complete -C $argv[2]' \
        "$work/comp/fish" "$line" 2>&1 | cut -f1)
    if grep -qxF -- "$want" <<<"$got"; then ok; else bad "fish: '$line' did not offer '$want' (got: $(echo $got))"; fi
done

# zsh: an interactive shell on a pseudo-terminal (zpty) with compinit; each line is typed with a
# TAB and the screen output must show the candidate (inserted, or listed when ambiguous).
zsh -f -s "$work/comp/zsh" "${cases[@]}" >"$work/zsh.out" 2>&1 <<'EOF'
zmodload zsh/zpty || { print "FAIL zpty"; exit; }
dir=$1; shift
zpty z 'zsh -f -i'
zpty -w z "fpath=($dir \$fpath); autoload -Uz compinit; compinit -u -D; PS1='%% '; unsetopt beep; setopt autolist nolistambiguous; LISTMAX=100000; zstyle ':completion:*' list-prompt ''"
typeset out screen
drain() { screen=; while zpty -r -t z out; do screen+=$out; done }
sleep 0.5; drain
for case; do
  line=${case%|*} want=${case##*|}
  zpty -w -n z "$line"$'\t'
  screen=
  for i in {1..40}; do
    sleep 0.1
    while zpty -r -t z out; do screen+=$out; done
    [[ $screen == *$want* ]] && break
  done
  if [[ $screen == *$want* ]]; then print "PASS"; else print -r "FAIL zsh: '$line' did not offer '$want'"; fi
  zpty -w -n z $'\C-u'
  sleep 0.1; drain
done
zpty -d z
EOF
while IFS= read -r result; do
    if [ "$result" = PASS ]; then ok; else bad "${result#FAIL }"; fi
done <"$work/zsh.out"
[ "$(grep -c . "$work/zsh.out")" -eq ${#cases[@]} ] && ok || bad "zsh: ran $(grep -c . "$work/zsh.out") of ${#cases[@]} cases"

echo "completions: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
