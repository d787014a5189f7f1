#!/usr/bin/env python3
"""Checks safetensors files the way the reference `safetensors` library (Rust core) reads them,
with only the Python standard library and numpy (the library itself is not installed here).
Run by hand, never by CI:

    python3 tests/reference/check_safetensors.py DIR_OR_FILE [...]

For a checkpoint directory it also checks config.json (the Qwen-Audio keys and audio block) and,
when sharded, model.safetensors.index.json (weight_map points at the file holding each tensor,
metadata.total_size = the sum of the tensor byte sizes).

Rules enforced (from safetensors' `Metadata::validate` / `SafeTensors::deserialize`):
- 8-byte little-endian header size N, N <= file size - 8, header is UTF-8 JSON starting with '{';
- every entry has dtype (known name), shape (non-negative ints), data_offsets [begin, end];
- sorted by begin, each begins where the previous ended (first at 0): no gap, no overlap;
- end - begin == prod(shape) * element size; the last end == file size - 8 - N;
- __metadata__, when present, maps strings to strings.
Also reported (not errors for the library, but what its writer does and what we promise): header
padded with spaces to a multiple of 8, tensors ordered by element size (desc) then name.
Finally every float tensor is loaded with numpy and checked for NaN/Inf.
"""
import json
import os
import struct
import sys

import numpy as np

SIZES = {"BOOL": 1, "U8": 1, "I8": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2, "I32": 4, "U32": 4,
         "F32": 4, "I64": 8, "U64": 8, "F64": 8}


def check_file(path):
    errors, notes = [], []
    data = open(path, "rb").read()
    if len(data) < 8:
        return [f"{path}: shorter than 8 bytes"], notes, {}
    n = struct.unpack("<Q", data[:8])[0]
    if n > len(data) - 8:
        return [f"{path}: header size {n} > file size - 8"], notes, {}
    raw = data[8:8 + n]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return [f"{path}: header is not UTF-8: {e}"], notes, {}
    if not text.startswith("{"):
        errors.append(f"{path}: header does not start with '{{'")
    try:
        header = json.loads(text)
    except json.JSONDecodeError as e:
        return [f"{path}: header JSON: {e}"], notes, {}
    meta = header.pop("__metadata__", None)
    if meta is not None and not (isinstance(meta, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items())):
        errors.append(f"{path}: __metadata__ is not a str->str map")
    entries = []
    for name, e in header.items():
        if not isinstance(e, dict) or set(e) - {"dtype", "shape", "data_offsets"}:
            errors.append(f"{path}: {name}: bad entry keys {e}")
            continue
        dt, shape, off = e.get("dtype"), e.get("shape"), e.get("data_offsets")
        if dt not in SIZES:
            errors.append(f"{path}: {name}: unknown dtype {dt}")
            continue
        if not isinstance(shape, list) or any((not isinstance(d, int)) or d < 0 for d in shape):
            errors.append(f"{path}: {name}: bad shape {shape}")
            continue
        if not (isinstance(off, list) and len(off) == 2 and all(isinstance(o, int) for o in off) and off[0] <= off[1]):
            errors.append(f"{path}: {name}: bad data_offsets {off}")
            continue
        numel = int(np.prod(shape)) if shape else 1
        if off[1] - off[0] != numel * SIZES[dt]:
            errors.append(f"{path}: {name}: {off[1]-off[0]} bytes, shape {shape} {dt} needs {numel*SIZES[dt]}")
        entries.append((off[0], off[1], name, dt, shape))
    entries.sort()
    pos = 0
    for b, e, name, _, _ in entries:
        if b != pos:
            errors.append(f"{path}: {name}: starts at {b}, previous data ends at {pos} (gap or overlap)")
        pos = e
    if pos != len(data) - 8 - n:
        errors.append(f"{path}: tensors end at {pos}, data area is {len(data) - 8 - n} bytes")
    # what the reference writer does (and what qaudio promises)
    if n % 8:
        notes.append(f"{path}: header size {n} is not a multiple of 8")
    if len(text) - len(text.rstrip(" ")) >= 8:
        notes.append(f"{path}: more padding than needed")
    want = sorted(entries, key=lambda x: (-SIZES[x[3]], x[2]))
    if [x[2] for x in want] != [x[2] for x in entries]:
        notes.append(f"{path}: tensors not ordered by (element size desc, name)")
    arrays = {}
    if errors:  # do not read data through a broken layout
        return errors, notes, arrays
    np_dt = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}
    for b, e, name, dt, shape in entries:
        buf = data[8 + n + b:8 + n + e]
        if dt == "BF16":
            a = (np.frombuffer(buf, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)
        elif dt in np_dt:
            a = np.frombuffer(buf, dtype=np_dt[dt])
        else:
            continue
        a = a.reshape(shape)
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            errors.append(f"{path}: {name}: NaN or Inf values")
        arrays[name] = (dt, shape)
    return errors, notes, arrays


def check_dir(d):
    errors, notes, tensors = [], [], {}
    cfg = json.load(open(os.path.join(d, "config.json")))
    for k in ["vocab_size", "hidden_size", "num_attention_heads", "kv_channels", "num_hidden_layers",
              "intermediate_size", "audio"]:
        if k not in cfg:
            errors.append(f"{d}/config.json: missing {k}")
    idx = os.path.join(d, "model.safetensors.index.json")
    if os.path.exists(idx):
        index = json.load(open(idx))
        files = sorted(set(index["weight_map"].values()))
        total = 0
        for f in files:
            e, n, a = check_file(os.path.join(d, f))
            errors += e
            notes += n
            for name, v in a.items():
                tensors[name] = v
                total += int(np.prod(v[1]) if v[1] else 1) * SIZES[v[0]]
                if index["weight_map"].get(name) != f:
                    errors.append(f"{idx}: {name} is in {f} but mapped to {index['weight_map'].get(name)}")
        if set(index["weight_map"]) != set(tensors):
            errors.append(f"{idx}: weight_map names differ from the shards' tensors")
        if index.get("metadata", {}).get("total_size") != total:
            errors.append(f"{idx}: total_size {index.get('metadata', {}).get('total_size')} != {total}")
    else:
        e, n, tensors = check_file(os.path.join(d, "model.safetensors"))
        errors += e
        notes += n
    return errors, notes, tensors


def main():
    bad = 0
    for p in sys.argv[1:]:
        errors, notes, tensors = check_dir(p) if os.path.isdir(p) else check_file(p)
        for e in errors:
            print("ERROR", e)
        for n in notes:
            print("note ", n)
        dts = {}
        for dt, _ in tensors.values():
            dts[dt] = dts.get(dt, 0) + 1
        print(f"{'FAIL' if errors else 'OK  '} {p}: {len(tensors)} tensors {dts}")
        bad += bool(errors)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
