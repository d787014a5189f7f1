import sys, os, random, json, subprocess
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refimpl import *
Q=os.environ.get('QAUDIO', 'build/qaudio'); D = os.environ.get('CROSSCHECK_TMP', '/tmp/qaudio_crosscheck')
os.makedirs(D, exist_ok=True)
POOL = list("abcAB 0123 .,!?;:'-\"") + ["<|en|>", "<|", "|>", "<||>", "<|0.50|>", "  ", "\t", "，", "。", "中", "文", "字", "\u00a0", "\u3000", "É", "ß", "ǅ", "Ω", "\x0b", "\x1c"]
def line(r, m): return ''.join(r.choice(POOL) for _ in range(r.randint(0, m)))
mx = {}
for seed in range(10):
    r = random.Random(1300 + seed); n = r.randint(200, 260)
    refs = [line(r, 50).replace("\t", " ") for _ in range(n)]
    if all(not remove_sp(x, 'en').split() for x in refs): continue
    hyps = [line(r, 50) if r.random() < 0.3 else a[: r.randint(0, len(a))] + line(r, 5) for a in refs]
    open(f'{D}/w.hyp', 'w').write('\n'.join(hyps) + '\n'); open(f'{D}/w.ref', 'w').write('\n'.join(refs) + '\n')
    for m, lang in (('wer', 'en'), ('cer', 'en'), ('cer', 'zh'), ('wer', 'zh')):
        p = subprocess.run([Q, 'score', '--metric', m, '--lang', lang, '--hyp', f'{D}/w.hyp', '--ref', f'{D}/w.ref'], capture_output=True, text=True)
        if p.returncode: print('ERR', p.stderr[:300]); continue
        o = json.loads(p.stdout)['value']; e = wer(hyps, refs, lang, m == 'cer')
        d = abs(o - e) / e; mx[m+lang] = max(mx.get(m+lang, 0), d)
        if d > 1e-9: print('MISMATCH', seed, m, lang, o, e)
print(mx)
