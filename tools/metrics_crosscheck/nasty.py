import sys, os, random, json, subprocess
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refimpl import *
Q=os.environ.get('QAUDIO', 'build/qaudio'); D = os.environ.get('CROSSCHECK_TMP', '/tmp/qaudio_crosscheck')
os.makedirs(D, exist_ok=True)
POOL = list("abcXYZ0123456789 .,-'\"!?;:&<>/()[]{}@#$%^*+=~`|\\_") + ["&quot;", "&amp;", "&lt;", "&gt;", "&amp;quot;", "<skipped>", "-", "--", " ", "  ", "，", "。", "“", "”", "—", "…", "中", "文", "é", "\u00a0", "\u3000", "\u2009", "\x1f", "\x0b", "\x0c", "１", "Ａ", "€", "☃", "\U00020000"]
def line(r, maxlen):
    return ''.join(r.choice(POOL) for _ in range(r.randint(0, maxlen)))
mx = {}
for seed in range(12):
    r = random.Random(900 + seed); n = r.randint(200, 260)
    maxlen = 2000 if seed % 4 == 3 else 60
    refs = [line(r, maxlen) or 'x' for _ in range(n)]
    hyps = [(a[: len(a) * r.randint(1, 3) // 2] if r.random() < 0.5 else a + line(r, 20)) if r.random() < 0.8 else line(r, maxlen) for a in refs]
    for tok in ('13a', 'zh', 'none'):
        open(f'{D}/n.hyp', 'w').write('\n'.join(hyps) + '\n'); open(f'{D}/n.ref', 'w').write('\n'.join(refs) + '\n')
        p = subprocess.run([Q, 'score', '--metric', 'bleu', '--tokenize', tok, '--hyp', f'{D}/n.hyp', '--ref', f'{D}/n.ref'], capture_output=True, text=True)
        if p.returncode: print('ERR', p.stderr[:300]); continue
        o = json.loads(p.stdout)['value']; e = bleu(hyps, [refs], tok)
        d = abs(o - e); mx[tok] = max(mx.get(tok, 0), d)
        if d > 0.01: print('MISMATCH', seed, tok, o, e)
print(mx)
