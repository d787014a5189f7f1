#!/usr/bin/env python3
"""Pure-Python twins of qaudio's WER (Qwen-Audio remove_sp + corpus Levenshtein) and BLEU
(sacrebleu corpus_bleu, 13a, exp smoothing), written for bench/bench_score.sh from the same
definitions (docs/metrics.md). Usage: bench_score_twin.py wer|bleu HYP REF  -> prints the value."""
import math
import re
import sys
from collections import Counter


def remove_sp(text):
    t = re.sub(r"<\|.*?\|>", " ", text)
    t = re.sub(r"\s+", " ", t)
    t = re.sub(r" ?([!,.?;:])", r"\1", t)
    return t.lstrip(" ")


def levenshtein(a, b):
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]


def wer(hyps, refs):
    err = n = 0
    for h, r in zip(hyps, refs):
        rw = remove_sp(r).lower().split()
        hw = remove_sp(h).lower().split()
        err += levenshtein(rw, hw)
        n += len(rw)
    return 100.0 * err / n


RE13A = [(re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "), (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),
         (re.compile(r"([\.,])([^0-9])"), r" \1 \2"), (re.compile(r"([0-9])(-)"), r"\1 \2 ")]


def tok13a(line):
    line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in line:
        line = line.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    line = " " + line + " "
    for r, s in RE13A:
        line = r.sub(s, line)
    return line.split()


def ngrams(ws):
    c = Counter()
    for n in range(1, 5):
        for i in range(len(ws) - n + 1):
            c[tuple(ws[i:i + n])] += 1
    return c


def bleu(hyps, refs):
    correct = [0] * 4
    total = [0] * 4
    sys_len = ref_len = 0
    for h, r in zip(hyps, refs):
        hw = tok13a(h.rstrip())
        rws = [tok13a(x.rstrip()) for x in r.split("\t")]
        sys_len += len(hw)
        ref_len += min((abs(len(x) - len(hw)), len(x)) for x in rws)[1]
        hc = ngrams(hw)
        mx = Counter()
        for x in rws:
            for g, c in ngrams(x).items():
                mx[g] = max(mx[g], c)
        for g, c in hc.items():
            correct[len(g) - 1] += min(c, mx[g])
        for n in range(4):
            total[n] += max(0, len(hw) - n)
    prec = [0.0] * 4
    smooth = 1.0
    for n in range(4):
        if total[n] == 0:
            break
        if correct[n] == 0:
            smooth *= 2
            prec[n] = 100.0 / (smooth * total[n])
        else:
            prec[n] = 100.0 * correct[n] / total[n]
    bp = 1.0 if sys_len >= ref_len else (math.exp(1 - ref_len / sys_len) if sys_len else 0.0)
    return bp * math.exp(sum(math.log(p) if p else -9999999999 for p in prec) / 4)


if __name__ == "__main__":
    metric, hp, rp = sys.argv[1:4]
    hyps = open(hp, encoding="utf-8").read().split("\n")[:-1]
    refs = open(rp, encoding="utf-8").read().split("\n")[:-1]
    print(repr(wer(hyps, refs) if metric == "wer" else bleu(hyps, refs)))
