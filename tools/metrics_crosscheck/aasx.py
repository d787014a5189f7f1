import sys, os, random, json, subprocess
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refimpl import *
Q=os.environ.get('QAUDIO', 'build/qaudio'); D = os.environ.get('CROSSCHECK_TMP', '/tmp/qaudio_crosscheck')
os.makedirs(D, exist_ok=True)
CH = list("打开空调关闭灯光音乐播放下一首") + ['<|sil|>', ' 你', '好 ', '']
mx = 0
for seed in range(10):
    r = random.Random(2000+seed); n = r.randint(200,260); H=[]; R=[]
    for _ in range(n):
        k = r.randint(1, 12); words = r.sample(CH, min(k, len(CH)))
        ts = sorted(r.randint(0, 3000) / 100 for _ in range(len(words)+1))
        ref = ''.join(f'<|{ts[i]:.2f}|>{words[i]}' for i in range(len(words))) + f'<|{ts[-1]:.2f}|>'
        w2 = [w if r.random() < .8 else '替%d' % r.randint(0, 999) for w in words]
        t2 = sorted(min(30, max(0, x + r.randint(-8, 8) / 100)) for x in ts)
        hyp = ''.join(f'<|{t2[i]:.2f}|>{w2[i]}' for i in range(len(w2))) + f'<|{t2[-1]:.2f}|>'
        if r.random() < .1: hyp += '尾'
        R.append(ref); H.append(hyp)
    open(f'{D}/ax.hyp','w').write('\n'.join(H)+'\n'); open(f'{D}/ax.ref','w').write('\n'.join(R)+'\n')
    o = json.loads(subprocess.run([Q,'score','--metric','aas','--lang','zh','--hyp',f'{D}/ax.hyp','--ref',f'{D}/ax.ref'],capture_output=True,text=True).stdout)['value']
    e = aas(H, R); d = abs(o-e)/e; mx = max(mx, d)
    if d > 1e-9: print('MISMATCH', seed, o, e)
print('aas 10 sets max rel diff', mx)
