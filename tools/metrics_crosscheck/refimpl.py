# independent pure-Python implementations of the reference definitions (review of issue 6)
import re, math
from collections import defaultdict, Counter

# ---------- WER / CER (Qwen-Audio evaluate_asr.py) ----------
PUNCS = '!,.?;:'
def remove_sp(text, lang):
    gt = re.sub(r"<\|.*?\|>", " ", text)
    gt = re.sub(r"\s+", r" ", gt)
    gt = re.sub(f" ?([{PUNCS}])", r"\1", gt)
    gt = gt.lstrip(" ")
    if lang == "zh":
        gt = re.sub(r"\s+", r"", gt)
    return gt

def lev(a, b):
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]

def wer(hyps, refs, lang, chars=False):
    dist = 0; rl = 0
    for h, r in zip(hyps, refs):
        r = remove_sp(r, lang).lower(); h = remove_sp(h, lang).lower()
        ri = r.split(); hi = h.split()
        if lang == "zh" or chars:
            ri = list("".join(ri)); hi = list("".join(hi))
        dist += lev(ri, hi); rl += len(ri)
    return 100.0 * dist / rl

# ---------- sacrebleu ----------
_RE = [(re.compile(r'([\{-\~\[-\` -\&\(-\+\:-\@\/])'), r' \1 '),
       (re.compile(r'([^0-9])([\.,])'), r'\1 \2 '),
       (re.compile(r'([\.,])([^0-9])'), r' \1 \2'),
       (re.compile(r'([0-9])(-)'), r'\1 \2 ')]
def tok_re(line):
    for r, s in _RE:
        line = r.sub(s, line)
    return ' '.join(line.strip().split())
def tok_13a(line):
    line = line.replace('<skipped>', '')
    line = line.replace('-\n', '')
    line = line.replace('\n', ' ')
    if '&' in line:
        line = line.replace('&quot;', '"').replace('&amp;', '&').replace('&lt;', '<').replace('&gt;', '>')
    return tok_re(f' {line} ')
_UR = [('\u3400', '\u4db5'), ('\u4e00', '\u9fa5'), ('\u9fa6', '\u9fbb'), ('\uf900', '\ufa2d'),
       ('\ufa30', '\ufa6a'), ('\ufa70', '\ufad9'), ('\u20000', '\u2a6d6'), ('\u2f800', '\u2fa1d'),
       ('\uff00', '\uffef'), ('\u2e80', '\u2eff'), ('\u3000', '\u303f'), ('\u31c0', '\u31ef'),
       ('\u2f00', '\u2fdf'), ('\u2ff0', '\u2fff'), ('\u3100', '\u312f'), ('\u31a0', '\u31bf'),
       ('\ufe10', '\ufe1f'), ('\ufe30', '\ufe4f'), ('\u2600', '\u26ff'), ('\u2700', '\u27bf'),
       ('\u3200', '\u32ff'), ('\u3300', '\u33ff')]
def is_zh(c):
    return any(a <= c <= b for a, b in _UR)
def tok_zh(line):
    line = line.strip()
    out = ""
    for c in line:
        out += (" " + c + " ") if is_zh(c) else c
    return tok_re(out)
TOK = {'13a': tok_13a, 'zh': tok_zh, 'none': lambda s: s}

def ngrams(words, n=4):
    c = Counter()
    for k in range(1, n + 1):
        for i in range(len(words) - k + 1):
            c[tuple(words[i:i + k])] += 1
    return c

def bleu(hyps, refstreams, tok):
    T = TOK[tok]
    sys_len = ref_len = 0
    correct = [0] * 4; total = [0] * 4
    for i, h in enumerate(hyps):
        refs = [s[i] for s in refstreams if s[i] is not None and s[i] != ""]
        hw = T(h.rstrip()).split()
        rws = [T(r.rstrip()).split() for r in refs]
        hl = len(hw)
        best = None; bd = None
        for rw in rws:
            d = abs(hl - len(rw))
            if bd is None or d < bd or (d == bd and len(rw) < best):
                bd = d; best = len(rw)
        sys_len += hl; ref_len += best
        maxc = Counter()
        for rw in rws:
            for g, c in ngrams(rw).items():
                maxc[g] = max(maxc[g], c)
        for g, c in ngrams(hw).items():
            n = len(g) - 1
            total[n] += c
            correct[n] += min(c, maxc.get(g, 0))
    prec = [0.0] * 4; sm = 1.0
    if sys_len == 0:
        return 0.0
    bp = 1.0 if sys_len >= ref_len else math.exp(1 - ref_len / sys_len)
    for n in range(4):
        if total[n] == 0:
            break
        if correct[n] == 0:
            sm *= 2; prec[n] = 100.0 / (sm * total[n])
        else:
            prec[n] = 100.0 * correct[n] / total[n]
    def mylog(x): return -9999999999 if x == 0 else math.log(x)
    return bp * math.exp(sum(mylog(p) for p in prec) / 4)

# ---------- CIDEr-D / ROUGE-L on already-tokenised strings ----------
def cider(hyps, refs):  # refs: list of list of str
    def pre(s):
        return ngrams(s.split())
    crefs = [[pre(r) for r in rs] for rs in refs]
    ctest = [pre(h) for h in hyps]
    df = defaultdict(float)
    for rs in crefs:
        for g in set(g for r in rs for g in r):
            df[g] += 1
    rl = math.log(float(len(crefs)))
    def vec(c):
        v = [defaultdict(float) for _ in range(4)]; norm = [0.0] * 4; length = 0
        for g, tf in c.items():
            d = math.log(max(1.0, df[g])); n = len(g) - 1
            v[n][g] = float(tf) * (rl - d); norm[n] += v[n][g] ** 2
            if n == 1: length += tf
        return v, [math.sqrt(x) for x in norm], length
    def sim(vh, vr, nh, nr, lh, lr):
        delta = float(lh - lr); val = [0.0] * 4
        for n in range(4):
            for g in vh[n]:
                val[n] += min(vh[n][g], vr[n][g]) * vr[n][g]
            if nh[n] != 0 and nr[n] != 0:
                val[n] /= nh[n] * nr[n]
            val[n] *= math.e ** (-(delta ** 2) / (2 * 6.0 ** 2))
        return val
    scores = []
    for t, rs in zip(ctest, crefs):
        v, nm, l = vec(t); sc = [0.0] * 4
        for r in rs:
            vr, nr, lr = vec(r)
            s = sim(v, vr, nm, nr, l, lr)
            sc = [a + b for a, b in zip(sc, s)]
        scores.append(sum(sc) / 4 / len(rs) * 10.0)
    return sum(scores) / len(scores)

def lcs(a, b):
    if len(a) < len(b): a, b = b, a
    L = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for j in range(1, len(b) + 1):
        for i in range(1, len(a) + 1):
            L[i][j] = L[i-1][j-1] + 1 if a[i-1] == b[j-1] else max(L[i-1][j], L[i][j-1])
    return L[len(a)][len(b)]
def rouge(hyps, refs):
    tot = []
    for h, rs in zip(hyps, refs):
        tc = h.split(" "); P = []; R = []
        for r in rs:
            tr = r.split(" "); l = lcs(tr, tc)
            P.append(l / len(tc)); R.append(l / len(tr))
        p = max(P); r = max(R); b = 1.2
        tot.append(((1 + b*b) * p * r) / (r + b*b * p) if p != 0 and r != 0 else 0.0)
    return sum(tot) / len(tot)

# ---------- acc / yes-no / map / aas ----------
def acc(h, r): return sum(a == b for a, b in zip(h, r)) / len(h)
def acc_yesno(h, r):
    idx = [i for i in range(len(r)) if r[i].lower() in ("yes", "no")]
    return sum(h[i] == r[i] for i in idx) / len(idx)
QUAL = {"bright", "dark", "distortion", "fast_decay", "long_release", "multiphonic", "nonlinear_env",
        "percussive", "reverb", "tempo-synced"}
def qualities(s):
    if "<|sonic|>" not in s: return set()
    t = s.split("<|sonic|>", 1)[1].split("<", 1)[0]
    return set(q for q in t.split(", ") if q in QUAL)
def mAP(h, r):
    H = [qualities(x) for x in h]; R = [qualities(x) for x in r]
    labels = sorted(set().union(*H, *R))
    aps = []
    for L in labels:
        y = [L in x for x in R]; p = [L in x for x in H]
        pos = sum(y); npred = sum(p); tp = sum(a and b for a, b in zip(y, p))
        if pos == 0: aps.append(0.0); continue
        prev = pos / len(y)
        if npred == 0: aps.append(prev); continue
        R1 = tp / pos; P1 = tp / npred
        aps.append(R1 * P1 + (1 - R1) * prev)
    return sum(aps) / len(aps)
TS = r'<\|\d{1,2}\.\d+\|>'
def parse_ts(body):
    ts = [float(t[2:-2]) for t in re.findall(TS, body)]
    words = re.split(TS, body)[1:-1]
    if len(ts) != len(words) + 1: return None
    return [(words[i], ts[i], ts[i+1]) for i in range(len(words))]
def align_equal(a, b):
    # Levenshtein alignment; returns matched index pairs of equal words
    n, m = len(a), len(b)
    D = [[0]*(m+1) for _ in range(n+1)]
    for i in range(n+1): D[i][0] = i
    for j in range(m+1): D[0][j] = j
    for i in range(1, n+1):
        for j in range(1, m+1):
            D[i][j] = min(D[i-1][j]+1, D[i][j-1]+1, D[i-1][j-1] + (a[i-1] != b[j-1]))
    i, j, out = n, m, []
    while i > 0 and j > 0:
        if a[i-1] == b[j-1] and D[i][j] == D[i-1][j-1]:
            out.append((i-1, j-1)); i -= 1; j -= 1
        elif D[i][j] == D[i-1][j-1] + 1: i -= 1; j -= 1
        elif D[i][j] == D[i-1][j] + 1: i -= 1
        else: j -= 1
    return out
def aas(h, r):
    s = 0.0; n = 0
    for hh, rr in zip(h, r):
        a = parse_ts(rr); b = parse_ts(hh)
        if a is None or b is None: continue
        for i, j in align_equal([w for w, _, _ in a], [w for w, _, _ in b]):
            s += abs(a[i][1] - b[j][1]) + abs(a[i][2] - b[j][2]); n += 1
    return s / n * 1000.0

def coco_bleu(hyps, refs):
    tiny = 1e-15; small = 1e-9
    tl = rl = 0; guess = [0]*4; corr = [0]*4
    for h, rs in zip(hyps, refs):
        hw = h.split(); c = ngrams(hw)
        maxc = Counter(); lens = []
        for r in rs:
            rw = r.split(); lens.append(len(rw))
            for g, k in ngrams(rw).items(): maxc[g] = max(maxc[g], k)
        tl += len(hw); rl += min((abs(l - len(hw)), l) for l in lens)[1]
        for k in range(4): guess[k] += max(0, len(hw) - k)
        for g, k in c.items(): corr[len(g)-1] += min(maxc.get(g, 0), k)
    out = []; b = 1.0
    for k in range(4):
        b *= float(corr[k] + tiny) / (guess[k] + small); out.append(b ** (1.0/(k+1)))
    ratio = (tl + tiny) / (rl + small)
    if ratio < 1: out = [x * math.exp(1 - 1.0/ratio) for x in out]
    return out
