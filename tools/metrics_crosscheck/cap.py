import random, json, subprocess, sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refimpl import *
Q = os.environ.get('QAUDIO', 'build/qaudio'); D = os.environ.get('CROSSCHECK_TMP', '/tmp/qaudio_crosscheck')
os.makedirs(D, exist_ok=True)
def score(metric, hyps, refs, name):
    hp = f'{D}/{name}.hyp'; rp = f'{D}/{name}.ref'
    open(hp, 'w', encoding='utf-8').write('\n'.join(hyps) + '\n')
    open(rp, 'w', encoding='utf-8').write('\n'.join(refs) + '\n')
    p = subprocess.run([Q, 'score', '--metric', metric, '--hyp', hp, '--ref', rp], capture_output=True, text=True)
    if p.returncode: return ('ERR', p.stderr)
    return json.loads(p.stdout)['value']
W = ("a the dog dog's bird birds' car engine is are running loudly while water flows over rocks "
     "high-pitched low-pitched man woman speaks in background someone's door closes 3.5 1,000 two "
     "don't isn't can't won't people talk and crowd cheers machine whirs 10 seconds wind blows").split()
def cap(r):
    ws = [r.choice(W) for _ in range(r.randint(3, 18))]
    s = ''
    for w in ws:
        s += (' ' if s else '') + (w.capitalize() if r.random() < 0.1 else w)
        if r.random() < 0.1: s += ','
    if r.random() < 0.7: s += '.'
    return s
def ptb(s):
    out = []
    for t in s.lower().split():
        tail = []
        while t and t[-1] in '.,':
            tail.insert(0, t[-1]); t = t[:-1]
        if t.endswith("n't") and len(t) > 3: out += [t[:-3], "n't"]
        elif t.endswith("'s") and len(t) > 2: out += [t[:-2], "'s"]
        elif t.endswith("'"): out += [t[:-1], "'"]
        else: out.append(t)
        out += tail
    return ' '.join(w for w in out if w not in ["''", "'", "``", "`", ".", "?", "!", ",", ":", "-", "--", "...", ";"] and w)
worst = {}
for seed in range(int(os.environ.get('NSEEDS', '4'))):
    r = random.Random(100 + seed)
    n = r.randint(200, 260)
    refs = [[cap(r) for _ in range(5)] for _ in range(n)]
    hyps = [cap(r) if r.random() < 0.5 else rs[0] if r.random() < 0.3 else ' '.join(rs[1].split()[:4]) for rs in refs]
    th = [ptb(h) for h in hyps]; tr = [[ptb(x) for x in rs] for rs in refs]
    for m, f in (('cider', cider), ('rouge', rouge), ('coco-bleu', lambda h, r: coco_bleu(h, r)[3])):
        ours = score(m, hyps, ['\t'.join(rs) for rs in refs], m)
        ref = f(th, tr)
        d = abs(ours - ref) if not isinstance(ours, tuple) else float('inf')
        worst.setdefault(m, []).append(d)
        if d > 1e-4 * abs(ref): print(m, 'MISMATCH', ours, ref)
for k, v in worst.items(): print(f'{k}: {len(v)} sets, max abs diff {max(v):.3g}')
