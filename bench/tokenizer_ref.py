#!/usr/bin/env python3
"""Pure-Python reference twin of qaudio's Qwen tokenizer (data/tokenizer*.c), for benchmarks and
by-hand cross-checks; never run by CI. Written from the spec (qwen-audio-spec.md section 5): NFC,
special strings split out (tiktoken's rule: find the next special match; if it is not allowed, search
again one character later), the split regex run with the `regex` module, rank-ordered byte-pair
merging (leftmost on ties) after a whole-piece lookup.

usage:
  tokenizer_ref.py gen OUT_FILE MEGABYTES          deterministic mixed English/Chinese text
  tokenizer_ref.py bench VOCAB TEXT_FILE           encode line by line; prints MB/s, count, checksum
  tokenizer_ref.py encode VOCAB MODE < text        prints ids (MODE all|audio|none)
  tokenizer_ref.py cases VOCAB IN.jsonl            re-computes ids of {"text","special"} lines
"""
import base64
import json
import sys
import time
import unicodedata

import regex

PAT = regex.compile(r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""")


def special_list():
    extras = [f"<|extra_{i}|>" for i in range(205)]
    audio = (["[[[AUDIO:modality]]]"] +
             [f"<|{t}|>" for t in "startoftranscript startofanalysis translate transcribe caption keyword unknown "
              "en zh de es ko fr ja it zh_tr notimestamps sil timestamps".split()] +
             [f"<|{i * 0.01:.2f}|>" for i in range(3001)] +
             [f"<|{t}|>" for t in "caption_audiocaps caption_clotho audioset_ontology caption_plain itn wo_itn "
              "startofentityvalue endofentityvalue startofentitytype endofentitytype named_entity_recognition "
              "audio_grounding startofword endofword delim emotion_recognition music_description note_analysis "
              "pitch".split()] +
             [f"<|midi_pitch_{i}|>" for i in range(128)] + ["<|velocity|>"] +
             [f"<|midi_velocity_{i}|>" for i in range(128)] +
             [f"<|{t}|>" for t in "sonic instrument speaker_meta song_meta question answer choice scene event "
              "vocal_classification speech_understanding scenario action entities speech_edit".split()] +
             ["<audio>", "</audio>"])
    return ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] + extras, audio


class Ref:
    def __init__(self, vocab):
        self.ranks = {}
        with open(vocab, "rb") as f:
            for line in f.read().splitlines():
                if line:
                    tok, rank = line.split()
                    self.ranks[base64.b64decode(tok)] = int(rank)
        base, audio = special_list()
        self.special = {s: 151643 + i for i, s in enumerate(base + audio)}
        self.audio = set(audio)
        self.sp_re = regex.compile("|".join(regex.escape(s) for s in self.special))

    def bpe(self, piece):
        r = self.ranks.get(piece)
        if r is not None:
            return [r]
        parts = [piece[i:i + 1] for i in range(len(piece))]
        while len(parts) > 1:
            best, bi = None, -1
            for i in range(len(parts) - 1):
                r = self.ranks.get(parts[i] + parts[i + 1])
                if r is not None and (best is None or r < best):
                    best, bi = r, i
            if best is None:
                break
            parts[bi:bi + 2] = [parts[bi] + parts[bi + 1]]
        return [self.ranks[p] for p in parts]

    def ordinary(self, text, out):
        for m in PAT.findall(text):
            out.extend(self.bpe(m.encode("utf-8")))

    def encode(self, text, mode="all"):
        text = unicodedata.normalize("NFC", text)
        allowed = (lambda s: True) if mode == "all" else (lambda s: s in self.audio) if mode == "audio" else None
        out, start = [], 0
        while True:
            m = None
            if allowed is not None:
                pos = start
                while True:
                    m = self.sp_re.search(text, pos)
                    if m is None or allowed(m.group(0)):
                        break
                    pos = m.start() + 1
            end = m.start() if m else len(text)
            self.ordinary(text[start:end], out)
            if m is None:
                return out
            out.append(self.special[m.group(0)])
            start = m.end()


EN = ("the of and to in is was that for on with as by at from it this be are have not but had his they "
      "which one you were her all she there would their we him been has when who will more no if out so "
      "said what up its about into than them can only other new some could time these two may then do first "
      "any my now such like our over man me even most made after also did many before must through back years "
      "where much your way well down should because each just those people Mr how too little state good very "
      "make world still own see men work long get here between both life being under never day same another know "
      "while last might us great old year off come since against go came right used take three audio speech model "
      "don't it's we'll they're I'm 2023 42 3.14 $5 e-mail https://example.com/path?q=1").split()


def gen(path, megabytes):
    x = 12345
    out, size = [], 0
    target = int(megabytes * 1e6)

    def rnd(n):
        nonlocal x
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        return (x >> 8) % n

    while size < target:
        if rnd(2):
            words = [EN[rnd(len(EN))] for _ in range(5 + rnd(25))]
            words[0] = words[0].capitalize()
            line = " ".join(words) + rnd(3) * "," + ". "
        else:
            line = "".join(chr(0x4E00 + rnd(3000)) if rnd(8) else "，。、？"[rnd(4)] for _ in range(10 + rnd(40)))
        line += "\n" if rnd(3) else " "
        out.append(line)
        size += len(line.encode("utf-8"))
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("".join(out))


def main():
    cmd = sys.argv[1]
    if cmd == "gen":
        gen(sys.argv[2], float(sys.argv[3]))
    elif cmd == "bench":
        ref = Ref(sys.argv[2])
        data = open(sys.argv[3], "rb").read()
        lines = regex.findall(r"[^\n]*\n|[^\n]+$", data.decode("utf-8"))  # split on "\n" only, like the C side
        t0 = time.perf_counter()
        n, chk = 0, 0
        for line in lines:
            ids = ref.encode(line, "all")
            n += len(ids)
            for i in ids:
                chk = (chk * 31 + i) & 0xFFFFFFFF
        dt = time.perf_counter() - t0
        print(f"python-ref: {len(data) / 1e6:.2f} MB in {dt:.3f} s = {len(data) / 1e6 / dt:.3f} MB/s, "
              f"{n} ids, checksum {chk}")
    elif cmd == "encode":
        ref = Ref(sys.argv[2])
        text = sys.stdin.buffer.read().decode("utf-8")
        print(" ".join(map(str, ref.encode(text, sys.argv[3]))))
    elif cmd == "cases":
        ref = Ref(sys.argv[2])
        for line in open(sys.argv[3], encoding="utf-8"):
            c = json.loads(line)
            c["ids"] = ref.encode(c["text"], c["special"])
            print(json.dumps(c, ensure_ascii=False))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
