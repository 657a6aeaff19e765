import ctypes, random, subprocess, sys
libc = ctypes.CDLL("libc.so.6")
random.seed(int(sys.argv[1]) if len(sys.argv)>1 else 1)
alpha = "ab-_*?[]!^\\:"
cases=[]
for _ in range(60000):
    p = "".join(random.choice(alpha + "[:digit:]"[random.randint(0,8)]) for _ in range(random.randint(0,8)))
    t = "".join(random.choice("ab-_*?[]!^\\:1") for _ in range(random.randint(0,6)))
    cases.append((p,t))
inp = "".join(f"{p}\t{t}\n" for p,t in cases).encode()
out = subprocess.run([sys.argv[2]], input=inp, capture_output=True).stdout.decode().split()
bad=0
for (p,t),o in zip(cases,out):
    r = 1 if libc.fnmatch(p.encode(), t.encode(), 0)==0 else 0
    if r != int(o):
        bad+=1
        if bad<15: print(repr(p), repr(t), "libc",r,"ours",o)
print("mismatches", bad, "of", len(cases), len(out), sum(int(o) for o in out))
