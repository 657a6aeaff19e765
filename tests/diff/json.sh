#!/usr/bin/env bash
# --json output: validates every document against its JSON Schema in docs/schema/ (python3's
# jsonschema, Debian package python3-jsonschema) and checks that the JSON says what the text says:
# a small Python script renders the text form from the JSON and compares it with the same tool's
# text output byte for byte (modinfo: the -0 records of each module, grouped by field, since
# JSON groups the values of a field; see docs/json.md). Messages on stderr are checked the same way
# against the text messages. Covered, on the real Debian tree (setup-tree.sh):
#   * modinfo of every module by path and by name (built-ins included), the full object and
#     several -F fields;
#   * modprobe --show-depends of every module name and every built-in module, default and sample
#     configuration, and dry runs with -v (batched with -a);
#   * modprobe -c with the sample configuration of the modprobe diff (fixtures/modprobe.d);
#   * lsmod on this machine, and on a made-up /proc/modules and /sys/module where a private
#     mount namespace is possible;
#   * depmod -n (and -n -v) on the tree;
#   * error messages of each tool.
# Prints "json: N passed, M failed"; exits non-zero on failure.
# Usage: tests/diff/json.sh [directory-of-our-binaries]  (default: $KMOD_RS_BIN, else
# target/release; built if missing)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=$("$here/setup-tree.sh") || exit 1
kver=$(cat "$cache/kver")
bin=${1:-${KMOD_RS_BIN:-$top/target/release}}
if [ ! -x "$bin/modinfo" ]; then
    (cd "$top" && cargo build --release -q) || exit 1
fi
if ! python3 -c 'import jsonschema' 2>/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-jsonschema) \
            >/dev/null 2>&1
    fi
fi
if ! python3 -c 'import jsonschema' 2>/dev/null; then
    echo "FAIL: python3's jsonschema module is not installed (Debian package python3-jsonschema)"
    echo "json: 0 passed, 1 failed"
    exit 1
fi
schemas="$top/docs/schema"
root="$cache/plain"
dir="$root/lib/modules/$kver"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0

# The checker: check.py <kind> <schema> <json stdout> <json stderr> <text stdout> <text stderr>,
# with words in $CHECK_EXTRA (a modinfo field, "usage" for command-line errors, which the text
# prints without a level). Validates the JSON streams, renders them as text, compares them with
# the text streams; prints what differs.
cat >"$work/check.py" <<'PY'
import json, os, sys
import jsonschema

kind, schema_path, jout, jerr, tout, terr = sys.argv[1:7]
extra = os.environ.get('CHECK_EXTRA', '').split()
problems = []

def load_schema(path):
    with open(path) as f:
        schema = json.load(f)
    return jsonschema.Draft202012Validator(schema)

def validate(validator, doc, what):
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errors[:5]:
        problems.append(f"{what}: schema: {'/'.join(map(str, e.absolute_path))}: {e.message[:200]}")

def read(path):
    with open(path, 'rb') as f:
        return f.read()

# --- stderr: one message object per line, rendered as "prog: LEVEL: message" ---
message_schema = load_schema(schema_path.rsplit('/', 1)[0] + '/message.schema.json')
rendered_err = []
error_files = set()
for n, line in enumerate(read(jerr).decode('utf-8').splitlines(), 1):
    try:
        obj = json.loads(line)
    except ValueError as e:
        problems.append(f"stderr line {n} is not JSON: {line[:200]}")
        continue
    validate(message_schema, obj, f"stderr line {n}")
    for body in obj.values():
        error_files.add(body['file'])
        level = '' if 'usage' in extra else body['level'].upper() + ': '
        rendered_err.append(f"{body['program']}: {level}{body['message']}\n")
if ''.join(rendered_err).encode() != read(terr):
    problems.append("stderr differs:\n  json: " + repr(''.join(rendered_err)[:600]) +
                    "\n  text: " + repr(read(terr)[:600]))

# --- stdout: exactly one document on one line ---
raw = read(jout)
if kind == 'none':
    doc = None
    if raw:
        problems.append(f"stdout should be empty: {raw[:200]!r}")
else:
    if not raw.endswith(b'\n') or raw.count(b'\n') != 1:
        problems.append("stdout is not one line ended by a newline")
    doc = json.loads(raw.decode('utf-8'))
    validate(load_schema(schema_path), doc, "stdout")

def wrap_hex(value):
    parts = value.split(':') if value else []
    out = ''
    for i, p in enumerate(parts):
        if i > 0:
            out += ':'
            if i % 20 == 0:
                out += '\n\t\t'
        out += p
    return out

SIG = ('sig_id', 'signer', 'sig_key', 'sig_hashalgo', 'signature')
IDENTITY = ('operand', 'builtin', 'filename')

def padded(key, value):
    return key + ':' + ' ' * (15 - min(len(key), 15)) + value

def sig_value(key, value):
    return wrap_hex(value) if key in ('sig_key', 'signature') else value

def parm_line(p, field_form):
    name, d, t = p['name'], p['description'], p['type']
    if d is not None and t is not None:
        return f"{name}:{d} ({t})"
    if d is not None:
        return f"{name}:{d}"
    return f"{name}: ({t})" if field_form else f"{name}:{t}"

def modinfo_records(obj):
    """The -0 records of one module: (group key, record text)."""
    recs = []
    names = list(obj.get('name', []))
    if obj['builtin']:
        recs.append(('name', padded('name', names.pop(0))))
        recs.append(('filename', padded('filename', '(builtin)')))
    else:
        recs.append(('filename', padded('filename', obj['filename'])))
    for key, value in obj.items():
        if key in IDENTITY:
            continue
        if key == 'name':
            recs += [('name', f"name={v}") for v in names]
        elif key == 'depends':
            recs.append(('depends', 'depends=' + ','.join(value)))
        elif key in SIG:
            recs.append((key, f"{key}={sig_value(key, value)}"))
        elif key == 'parm':
            recs += [('parm', padded('parm', parm_line(p, False))) for p in reversed(value)]
        elif key == 'shadowed':
            for k, vs in value.items():
                recs += [(k, f"{k}={v}") for v in vs]
        else:
            recs += [(key, f"{key}={v}") for v in value]
    return recs

def group(recs):
    order, groups = [], {}
    for key, rec in recs:
        if key not in groups:
            order.append(key)
            groups[key] = []
        groups[key].append(rec)
    return [(k, groups[k]) for k in order]

def text_modules(text):
    """Splits modinfo -0 output into modules: lists of (group key, record)."""
    mods = []
    pending_builtin = False
    for rec in text.split('\0')[:-1]:
        if rec.startswith('name:' + ' ' * 11):
            mods.append([('name', rec)])
            pending_builtin = True
            continue
        if rec.startswith('filename:' + ' ' * 7):
            if not pending_builtin:
                mods.append([])
            pending_builtin = False
            mods[-1].append(('filename', rec))
            continue
        pending_builtin = False
        if rec.startswith('parm:' + ' ' * 11):
            key = 'parm'
        else:
            key = rec.split('=', 1)[0]
        mods[-1].append((key, rec))
    return mods

def field_values(obj, field):
    if field == 'filename':
        return [obj['filename'] if obj['filename'] is not None else '(builtin)']
    if field == 'parm':
        return [parm_line(p, True) for p in reversed(obj.get('parm', []))]
    out = list(obj.get('shadowed', {}).get(field, []))
    value = obj.get(field)
    if value is None:
        return out
    if field == 'depends':
        return out + [','.join(value)]
    if field in SIG:
        return out + [sig_value(field, value)]
    return out + list(value)

def action_line(a):
    act = a['action']
    if act == 'insmod':
        return f"insmod {a['path']} {a['options']}"
    if act == 'install':
        return f"install {a['command']} {a['options']}"
    if act in ('builtin', 'rmmod'):
        return f"{act} {a['module']}"
    return f"remove {a['command']}"

def depmod_text(doc):
    out = [f"{n['module']} needs \"{n['symbol']}\": {n['provider']}\n" for n in doc.get('needs', [])]
    if 'modules.dep' in doc:
        out += [d['module'] + ':' + ''.join(' ' + x for x in d['deps']) + '\n' for d in doc['modules.dep']]
        out.append("# Aliases extracted from modules themselves.\n")
        out += [f"alias {a['pattern']} {a['module']}\n" for a in doc['modules.alias']]
        out.append("# Soft dependencies extracted from modules themselves.\n")
        out += [f"softdep {s['module']} {s['value']}\n" for s in doc['modules.softdep']]
        out.append("# Weak dependencies extracted from modules themselves.\n")
        out += [f"weakdep {w['module']} {' '.join(w['deps'])}\n" for w in doc['modules.weakdep']]
        out.append("# Aliases for symbols, used by symbol_request().\n")
        out += [f"alias symbol:{s['symbol']} {s['module']}\n" for s in doc['modules.symbols']]
        if doc['modules.devname']:
            out.append("# Device nodes to trigger on-demand module loading.\n")
            out += [f"{d['module']} {d['devname']} {d['type']}{d['major']}:{d['minor']}\n"
                    for d in doc['modules.devname']]
    return ''.join(out)

def config_lines(doc):
    """-c's text lines from the JSON, and which of them are softdep lines."""
    out = [(f"blacklist {m}", None) for m in doc['blacklist']]
    out += [(f"install {c['module']} {c['command']}", None) for c in doc['install']]
    out += [(f"remove {c['module']} {c['command']}", None) for c in doc['remove']]
    out += [(f"alias {a['pattern']} {a['module']}", None) for a in doc['aliases']]
    out += [(f"options {o['module']} {o['options']}", None) for o in doc['options']]
    for s in doc['softdeps']:
        # kmod's text runs the pre list into "post:" without a space.
        line = f"softdep {s['module']} "
        if s['pre']:
            line += "pre: " + ' '.join(s['pre'])
        if s['post']:
            line += "post: " + ' '.join(s['post'])
        out.append((line, s))
    out += [(f"weakdep {w['module']} {' '.join(w['deps'])}", None) for w in doc['weakdeps']]
    out += [("", None), ("# End of configuration files. Dumping indexes now:", None), ("", None)]
    out += [(f"alias {a['pattern']} {a['module']}", None) for a in doc['indexes']['aliases']]
    out += [(f"alias symbol:{s['symbol']} {s['module']}", None) for s in doc['indexes']['symbols']]
    return out

def softdep_quirk(text_line, s):
    """kmod prints, for a softdep whose pre: and post: lists interleave, every word written
    between the first and the last of each list (words leak from one list into the other). Such a
    line matches the JSON when each list's words are among the words it shows for that list."""
    if not (s['pre'] and s['post']):
        return False
    rest = text_line[len(f"softdep {s['module']} "):]
    if not rest.startswith('pre: ') or 'post: ' not in rest:
        return False
    pre_part, post_part = rest[len('pre: '):].rsplit('post: ', 1)
    return set(s['pre']) <= set(pre_part.split()) and set(s['post']) <= set(post_part.split())

text_out = read(tout)
if kind == 'modinfo':
    jmods = [group(modinfo_records(o)) for o in doc]
    # A module file that cannot be read prints its "filename:" record before the error in the
    # text; JSON shows no object for it (the error names the file).
    tmods = [group(m) for m in text_modules(text_out.decode('utf-8', 'replace'))
             if not (len(m) == 1 and m[0][0] == 'filename'
                     and m[0][1][16:] in error_files)]
    if len(jmods) != len(tmods):
        problems.append(f"{len(jmods)} modules in JSON, {len(tmods)} in the text")
    for n, (j, t) in enumerate(zip(jmods, tmods)):
        if j != t:
            problems.append(f"module {n} ({doc[n].get('filename') or doc[n].get('name')}) differs:\n"
                            f"  json: {repr(j)[:500]}\n  text: {repr(t)[:500]}")
            if len(problems) > 10:
                break
elif kind == 'modinfo-field':
    field = extra[0]
    rendered = ''.join(v + '\0' for o in doc for v in field_values(o, field))
    for o in doc:
        extra_keys = set(o) - set(IDENTITY) - {field}
        if extra_keys:
            problems.append(f"-F {field}: unexpected members {sorted(extra_keys)}")
            break
    if rendered.encode() != text_out:
        problems.append(f"-F {field} differs: json {rendered[:300]!r}\n  text {text_out[:300]!r}")
elif kind == 'actions':
    rendered = ''.join(action_line(a) + '\n' for a in doc)
    if rendered.encode() != text_out:
        problems.append(f"actions differ: json {rendered[:400]!r}\n  text {text_out[:400]!r}")
elif kind == 'depmod':
    rendered = depmod_text(doc)
    if rendered.encode() != text_out:
        r, t = rendered.encode().split(b'\n'), text_out.split(b'\n')
        first = next((i for i, (a, b) in enumerate(zip(r, t)) if a != b), min(len(r), len(t)))
        problems.append(f"depmod text differs at line {first + 1}: json {r[first:first+2]!r} text {t[first:first+2]!r}")
elif kind == 'lsmod':
    lines = text_out.decode().splitlines()
    if not lines or lines[0] != "Module                  Size  Used by":
        problems.append("text has no header")
    rows = lines[1:]
    if len(rows) != len(doc):
        problems.append(f"{len(doc)} modules in JSON, {len(rows)} in the text")
    for row, m in zip(rows, doc):
        words = row.split()
        used = words[3].split(',') if len(words) > 3 else []
        num = lambda v: None if int(v) < 0 else int(v)
        if words[0] != m['name'] or num(words[1]) != m['size'] or num(words[2]) != m['refcount'] \
                or used != m['used_by']:
            problems.append(f"lsmod row differs: json {m} text {row!r}")
elif kind == 'config':
    rendered = config_lines(doc)
    text_lines = text_out.decode('utf-8', 'replace').split('\n')
    if text_lines and text_lines[-1] == '':
        text_lines.pop()
    if len(rendered) != len(text_lines):
        problems.append(f"-c: {len(rendered)} lines from JSON, {len(text_lines)} in the text")
    for n, ((line, softdep), t) in enumerate(zip(rendered, text_lines), 1):
        if line != t and not (softdep and softdep_quirk(t, softdep)):
            problems.append(f"-c line {n} differs: json {line!r} text {t!r}")
            if len(problems) > 10:
                break
elif kind != 'none':
    problems.append(f"unknown kind {kind}")

for p in problems[:12]:
    print(p)
sys.exit(1 if problems else 0)
PY

# check <label> <kind> <schema> <tool> <args...>: runs the tool with --json and without, and
# compares (the exit statuses must be equal too). $CHECK_EXTRA is passed to the checker.
check() {
    local label=$1 kind=$2 schema=$3 tool=$4; shift 4
    local args=("$@")
    (exec -a "$tool" "$bin/$tool" --json "${args[@]}") >"$work/j.out" 2>"$work/j.err"; local jrc=$?
    (exec -a "$tool" "$bin/$tool" "${args[@]}") >"$work/t.out" 2>"$work/t.err"; local trc=$?
    if [ "$kind" = modinfo ] || [ "$kind" = modinfo-field ]; then
        # The -0 records separate the fields of each module unambiguously.
        (exec -a "$tool" "$bin/$tool" -0 "${args[@]}") >"$work/t.out" 2>"$work/t.err"; trc=$?
    fi
    if [ "$jrc" -ne "$trc" ]; then
        fail=$((fail + 1)); echo "FAIL: $label: exit status --json $jrc, text $trc"; head -n 3 "$work/j.err"
        return
    fi
    if python3 "$work/check.py" "$kind" "$schemas/$schema.schema.json" "$work/j.out" "$work/j.err" \
        "$work/t.out" "$work/t.err" >"$work/check.log" 2>&1; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "FAIL: $label"; head -n 20 "$work/check.log"
    fi
}

# batches <label> <file-of-operands> <size> <check args up to the operands...>
batches() {
    local label=$1 list=$2 size=$3; shift 3
    split -l "$size" -d "$list" "$work/batch."
    for b in "$work"/batch.*; do
        mapfile -t ops <"$b"
        check "$label $(basename "$b")" "$@" "${ops[@]}"
    done
    rm -f "$work"/batch.*
}

(cd "$dir" && find kernel -name '*.ko' | sort) >"$work/rel"
sed "s|^|$dir/|" "$work/rel" >"$work/paths"
sed 's|.*/||; s|\.ko$||' "$work/rel" >"$work/names"
sed 's|.*/||; s|\.ko$||' "$dir/modules.builtin" >"$work/builtins"
cat "$work/names" "$work/builtins" >"$work/all-names"
echo "json: $(wc -l <"$work/paths") modules, $(wc -l <"$work/builtins") built-in"
tree=(-b "$root" -k "$kver")

# modinfo: every module by path and by name (built-ins included), whole objects and fields.
batches "modinfo by path" "$work/paths" 1500 modinfo modinfo modinfo
batches "modinfo by name" "$work/all-names" 1500 modinfo modinfo modinfo "${tree[@]}"
for field in alias parm depends filename name signer sig_key signature license firmware parmtype; do
    CHECK_EXTRA=$field batches "modinfo -F $field" "$work/all-names" 2500 modinfo-field modinfo \
        modinfo "${tree[@]}" -F "$field"
done
check "modinfo aliases matching several modules" modinfo modinfo modinfo "${tree[@]}" \
    'pci:v00008086d000010D3sv*sd*bc*sc*i*' 'fs-ext4' 'net-pf-1' 'symbol:jbd2_journal_start'
check "modinfo errors" modinfo modinfo modinfo "${tree[@]}" ext4 nothing-here /nonexistent.ko 'bad]alias'
check "modinfo -m" modinfo modinfo modinfo "${tree[@]}" -m ext4 unix net-pf-1
cp /etc/hostname "$work/not-a-module.ko" 2>/dev/null || echo text >"$work/not-a-module.ko"
check "modinfo not a module" modinfo modinfo modinfo "$work/not-a-module.ko" "$dir/kernel/fs/ext4/ext4.ko"
CHECK_EXTRA=filename check "modinfo -F filename of a broken file" modinfo-field modinfo modinfo \
    -F filename "$work/not-a-module.ko"
check "modinfo no operand" none modinfo modinfo
CHECK_EXTRA=usage check "modinfo bad option" none modinfo modinfo --frobnicate

# modprobe --show-depends: every module name and built-in, default and sample configuration.
fix="$top/fixtures/modprobe.d"
mp=(-d "$root" -S "$kver")
batches "show-depends" "$work/all-names" 1000 actions modprobe modprobe "${mp[@]}" -D -a
batches "show-depends sample" "$work/names" 1000 actions modprobe modprobe "${mp[@]}" -C "$fix/sample" -D -a
# Dry runs with -v: the actions for the modules not loaded here, and more messages.
batches "dry-run verbose" "$work/names" 2000 actions modprobe modprobe "${mp[@]}" -n -v -v -a
for args in "my-ext4" "usb-disk" "dummy-only-install" "-r fat" "-r dummy-only-remove" "-r -i fat" \
    "ghost" "-a nothing-here ext4" "ext4 a=1 b=c"; do
    eval "set -- $args"
    check "show-depends sample $args" actions modprobe modprobe "${mp[@]}" -C "$fix/sample" -D "$@"
done
check "modprobe missing operand" actions modprobe modprobe "${mp[@]}" -D
CHECK_EXTRA=usage check "modprobe bad option" none modprobe modprobe --frobnicate

# lsmod on this machine (exit status and messages, or the list).
if [ -r /proc/modules ]; then
    check "lsmod" lsmod lsmod lsmod
else
    check "lsmod without /proc/modules" none lsmod lsmod
fi
check "lsmod with an operand" none lsmod lsmod extra
# A made-up list in a private mount namespace: readable and unreadable values.
fake="$work/fake"
mkdir -p "$fake/sys/fat/holders/vfat" "$fake/sys/fat/holders/msdos" "$fake/sys/vfat/holders" "$fake/sys/ghost"
echo 1 >"$fake/sys/fat/refcnt"; echo 90112 >"$fake/sys/fat/coresize"; echo 0 >"$fake/sys/vfat/refcnt"
printf 'vfat 24576 0 - Live 0x0\nfat 90112 1 vfat, Live 0x0\nghost 12 - - Live 0x0\nlong_module_name_beyond_nineteen 1 0 - Live 0x0\n' >"$fake/modules"
if unshare -m sh -c "mount -t tmpfs none /proc && cp '$fake/modules' /proc/modules && mount --bind '$fake/sys' /sys/module" 2>/dev/null; then
    in_fake() { unshare -m sh -c "mount -t tmpfs none /proc && cp '$fake/modules' /proc/modules && mount --bind '$fake/sys' /sys/module && exec \"\$@\"" sh "$@"; }
    in_fake "$bin/lsmod" --json >"$work/j.out" 2>"$work/j.err"
    in_fake "$bin/lsmod" >"$work/t.out" 2>"$work/t.err"
    if python3 "$work/check.py" lsmod "$schemas/lsmod.schema.json" "$work/j.out" "$work/j.err" \
        "$work/t.out" "$work/t.err" >"$work/check.log" 2>&1 && grep -q '"refcount":null' "$work/j.out"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "FAIL: lsmod on a made-up /proc/modules"; head -n 10 "$work/check.log"
    fi
else
    echo "json: no private mount namespace: the made-up lsmod list is skipped"
fi

# depmod -n (with and without -v) on the tree; -A -n prints nothing.
check "depmod -n" depmod depmod depmod -n -b "$root" "$kver"
check "depmod -n -v" depmod depmod depmod -n -v -b "$root" "$kver"
check "depmod -A -n" depmod depmod depmod -A -n -b "$root" "$kver"
check "depmod bad version" none depmod depmod -n -b "$root" not-a-version
check "depmod relative module" none depmod depmod -n -b "$root" "$kver" relative.ko

# modprobe -c: the sample configuration, Debian's, none.
mkdir -p "$work/empty"
check "config sample" config modprobe modprobe "${mp[@]}" -C "$fix/sample" -c
check "config none" config modprobe modprobe "${mp[@]}" -C "$work/empty" -c
check "config debian" config modprobe modprobe "${mp[@]}" -c

echo "json: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
