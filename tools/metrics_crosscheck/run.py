import random, json, subprocess, sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refimpl import *
Q = os.environ.get('QAUDIO', 'build/qaudio')
D = os.environ.get('CROSSCHECK_TMP', '/tmp/qaudio_crosscheck'); os.makedirs(D, exist_ok=True)
def score(metric, args, hyps, refs, name):
    hp = f'{D}/{name}.hyp'; rp = f'{D}/{name}.ref'
    open(hp, 'w', encoding='utf-8').write('\n'.join(hyps) + '\n')
    open(rp, 'w', encoding='utf-8').write('\n'.join(refs) + '\n')
    p = subprocess.run([Q, 'score', '--metric', metric, *args, '--hyp', hp, '--ref', rp], capture_output=True, text=True)
    if p.returncode: return ('ERR', p.stderr.strip())
    return json.loads(p.stdout)['value']

EN = "the a dog's dogs' don't can't it's we're I'm you'll they've he'd cannot gonna high-pitched well-known 5-year-old 3.5 1,000 12 2024 U.S. e.g. rain car engine loudly birds chirp water flows a.m. O'Neil rock'n'roll".split()
PUN = list(".,!?;:\"'()-/&%$#@*+=<>[]{}|\\^_`~") + ["--", "...", "&quot;", "&amp;", "&lt;", "&gt;", "<skipped>", "&#39;", "，", "。", "！", "？", "、", "“", "”", "‘", "’", "—", "–", "…", "«", "»", "·", "\u3000", "\xa0"]
ZH = list("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严")

def en_line(r, lo=0, hi=25):
    w = []
    for _ in range(r.randint(lo, hi)):
        x = r.random()
        if x < 0.6: w.append(r.choice(EN))
        elif x < 0.8: w.append(r.choice(EN) + r.choice(PUN))
        elif x < 0.9: w.append(r.choice(PUN))
        else: w.append(r.choice(PUN) + r.choice(EN))
    s = ' '.join(w)
    if r.random() < 0.1: s = s.upper()
    return s

def mutate(r, s, zh=False):
    toks = list(s) if zh else s.split(' ')
    out = []
    for t in toks:
        x = r.random()
        if x < 0.08: continue
        if x < 0.14: out.append(r.choice(ZH) if zh else r.choice(EN)); continue
        if x < 0.18: out.append(t); out.append(t); continue
        out.append(t)
    if r.random() < 0.2: out = out[: len(out) // 2]
    if r.random() < 0.15: out = out + out
    return ('' if zh else ' ').join(out)

def zh_line(r, lo=0, hi=40):
    s = ''
    for _ in range(r.randint(lo, hi)):
        x = r.random()
        if x < 0.75: s += r.choice(ZH)
        elif x < 0.85: s += r.choice(["，", "。", "！", "？", "、", "“", "”", "：", "；", "（", "）", "《", "》", "…", "—"])
        elif x < 0.9: s += r.choice(["1,000", "3.5", "2024年", "50%", "-", ".5", ",", ".", "A.I.", " iPhone ", " GPU", "\u3000", " "])
        else: s += ' ' + r.choice(EN) + ' '
    return s

def special(r, s):
    if r.random() < 0.3:
        return r.choice(["<|en|>", "<|startoftranscript|>", "<|endoftext|>", "<|zh|> "]) + s + r.choice(["", "<|endoftext|>", " <|notimestamps|>"])
    return s

worst = {}
def rec(name, ours, ref, tol_rel=1e-4, tol_abs=None):
    if isinstance(ours, tuple):
        print(name, 'ERROR', ours[1][:200]); worst.setdefault(name, []).append(float('inf')); return
    d = abs(ours - ref)
    bad = (d > tol_abs) if tol_abs is not None else (d > tol_rel * max(abs(ref), 1e-12))
    worst.setdefault(name, []).append(d)
    if bad: print(name, 'MISMATCH ours', ours, 'ref', ref)

NS = int(os.environ.get('NSEEDS', '4'))
for seed in range(NS):
    r = random.Random(seed)
    n = r.randint(200, 260)
    # WER en
    refs = [special(r, en_line(r, 1)) for _ in range(n)]
    hyps = [special(r, mutate(r, x)) if r.random() > 0.05 else '' for x in refs]
    rec('wer_en', score('wer', ['--lang', 'en'], hyps, refs, 'wer'), wer(hyps, refs, 'en'))
    rec('cer_en', score('cer', ['--lang', 'en'], hyps, refs, 'cer_en'), wer(hyps, refs, 'en', True))
    # CER zh
    refs = [special(r, zh_line(r, 1)) for _ in range(n)]
    hyps = [special(r, mutate(r, x, True)) if r.random() > 0.05 else '' for x in refs]
    rec('cer_zh', score('cer', ['--lang', 'zh'], hyps, refs, 'cer'), wer(hyps, refs, 'zh'))
    rec('wer_zh', score('wer', ['--lang', 'zh'], hyps, refs, 'werzh'), wer(hyps, refs, 'zh'))
    # BLEU 13a, 1 and 2 refs
    refs = [en_line(r, 1, 40) for _ in range(n)]
    hyps = [mutate(r, x) if r.random() > 0.03 else '' for x in refs]
    rec('bleu_13a', score('bleu', ['--tokenize', '13a'], hyps, refs, 'b13'), bleu(hyps, [refs], '13a'), tol_abs=0.01)
    refs2 = [mutate(r, x) or 'x' for x in refs]
    rec('bleu_13a_2ref', score('bleu', ['--tokenize', '13a'], hyps, [a + '\t' + b for a, b in zip(refs, refs2)], 'b13b'),
        bleu(hyps, [refs, refs2], '13a'), tol_abs=0.01)
    rec('bleu_none', score('bleu', ['--tokenize', 'none'], hyps, refs, 'bnone'), bleu(hyps, [refs], 'none'), tol_abs=0.01)
    # short hyps (bp < 1)
    hs = [' '.join(x.split()[: max(1, len(x.split()) // 2)]) for x in refs]
    rec('bleu_13a_short', score('bleu', ['--tokenize', '13a'], hs, refs, 'b13s'), bleu(hs, [refs], '13a'), tol_abs=0.01)
    # BLEU zh
    refs = [zh_line(r, 1) for _ in range(n)]
    hyps = [mutate(r, x, True) for x in refs]
    rec('bleu_zh', score('bleu', ['--tokenize', 'zh'], hyps, refs, 'bzh'), bleu(hyps, [refs], 'zh'), tol_abs=0.01)
    rec('bleu_zh_13a', score('bleu', ['--tokenize', '13a'], hyps, refs, 'bzh13'), bleu(hyps, [refs], '13a'), tol_abs=0.01)
    # acc / yes-no
    labs = ['neutral', 'joy', 'sadness', 'anger', 'surprise', 'fear', 'disgust', 'Joy', 'joy ', 'yes', 'no', 'Yes', 'NO', 'maybe', 'bus', 'park']
    refs = [r.choice(labs) for _ in range(n)]
    hyps = [x if r.random() < 0.6 else r.choice(labs) for x in refs]
    rec('acc', score('acc', [], hyps, refs, 'acc'), acc(hyps, refs))
    rec('acc_yesno', score('acc-yesno', [], hyps, refs, 'accyn'), acc_yesno(hyps, refs))
    # map
    def note(rr):
        q = rr.sample(sorted(QUAL) + ['weird', 'Bright'], rr.randint(0, 3))
        return f"<|pitch|><|midi_pitch_{rr.randint(0,127)}|><|velocity|><|midi_velocity_{rr.randint(0,127)}|><|instrument|>{rr.choice(['bass','guitar','keyboard'])}<|sonic|>{', '.join(q)}"
    refs = [note(r) for _ in range(n)]
    hyps = [x if r.random() < 0.4 else note(r) for x in refs]
    rec('map', score('map', [], hyps, refs, 'map'), mAP(hyps, refs))
    # aas
    def srwt(rr):
        words = rr.sample(ZH + ['<|sil|>'] * 5, rr.randint(1, 15))
        t = 0.0; s = ''
        ts = []
        for w in words:
            ts.append(t); t += rr.randint(1, 80) / 100
        ts.append(t)
        s = ''.join(f'<|{ts[i]:.2f}|>{words[i]}' for i in range(len(words))) + f'<|{ts[-1]:.2f}|>'
        return words, ts, s
    refs = []; hyps = []
    for _ in range(n):
        words, ts, s = srwt(r)
        refs.append(s)
        w2 = [w if r.random() < 0.85 else ('替' + str(r.randint(0, 9999))) for w in words]
        ts2 = [max(0, x + r.randint(-5, 5) / 100) for x in ts]
        ts2 = sorted(ts2)
        hyps.append(''.join(f'<|{ts2[i]:.2f}|>{w2[i]}' for i in range(len(w2))) + f'<|{ts2[-1]:.2f}|>')
    rec('aas', score('aas', ['--lang', 'zh'], hyps, refs, 'aas'), aas(hyps, refs))
for k, v in worst.items():
    print(f'{k}: {len(v)} sets, max abs diff {max(v):.3g}')
