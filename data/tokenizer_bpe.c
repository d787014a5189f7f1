/* data/tokenizer_bpe: the Qwen byte-level BPE (tiktoken semantics) over a `qwen.tiktoken` file.
 *
 * Owns: parsing the vocabulary (base64 token, space, rank per line) into one byte blob ordered by
 * rank plus a hash table bytes -> rank; the pre-tokenisation regex (spec section 5) compiled once
 * with PCRE2 (UTF + UCP, JIT); and the rank-ordered merge loop. Everything here is read-only after
 * qa_bpe_load, so encoding from many threads is safe: each call creates its own PCRE2 match data.
 *
 * Merging follows tiktoken's rule: repeatedly merge the adjacent pair whose concatenation has the
 * lowest rank, leftmost first on ties; a piece that is itself a vocabulary entry maps straight to
 * its rank. Short pieces use tiktoken's quadratic scan; long ones (a line of Chinese is a single
 * \p{L}+ piece) a heap, which makes the same choices in O(n log n). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "data/special_tokens.h"
#include "data/tokenizer_internal.h"

/* Unicode White_Space, spelled out: PCRE2's \s under UCP is "Z or h/v space" and misses U+0085,
 * while the reference engines (Python regex, Rust regex) use White_Space. */
#define WS "\\t\\n\\x0B\\f\\r\\x20\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}"
/* (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
static const char split_pattern[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^" WS "\\p{L}\\p{N}]+[\\r\\n]*"
    "|[" WS "]*[\\r\\n]+|[" WS "]+(?![^" WS "])|[" WS "]+";

#define MAX_TOKEN_BYTES 4096 /* longest accepted vocabulary entry (qwen.tiktoken: 128) */
#define QUADRATIC_MAX 256    /* pieces up to this many bytes use the simple scan */

struct qa_bpe {
    uint8_t *blob;   /* token bytes in rank order */
    uint32_t *off;   /* (n_ranks + 1) offsets; an unused rank has an empty entry */
    int32_t n_ranks; /* highest rank + 1 */
    qa_bytes_map map;
    int32_t *pair2; /* (65536) rank of each 2-byte token, -1 if none: the first merge round without hashing */
    int32_t rank1[256]; /* rank of each single byte */
    pcre2_code *re;
};

/* ---- hash table ---- */

uint64_t qa_bytes_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)n, w;
    while (n >= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    w = 0;
    memcpy(&w, p, n);
    h = (h ^ w) * 0x94D049BB133111EBull;
    h ^= h >> 29;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
    return h;
}

qa_status qa_bytes_map_build(qa_bytes_map *m, const uint8_t *blob, const uint32_t *off, int32_t n, int32_t *dup)
{
    memset(m, 0, sizeof *m);
    *dup = -1;
    size_t cap = 16;
    while (cap < 3 * (size_t)n) cap <<= 1; /* load <= 1/3: short probe runs */
    m->slot = malloc(cap * sizeof *m->slot);
    if (!m->slot) {
        qa_bytes_map_free(m);
        return qa_error(QA_ERR_NOMEM, "out of memory building a %zu-slot token table", cap);
    }
    for (size_t i = 0; i < cap; i++) m->slot[i] = (qa_bytes_slot){0, -1};
    m->cap = cap;
    m->blob = blob;
    m->off = off;
    for (int32_t v = 0; v < n; v++) {
        size_t len = off[v + 1] - off[v];
        if (len == 0) continue;
        if (qa_bytes_map_get(m, blob + off[v], len) >= 0) {
            if (*dup < 0) *dup = v;
            continue;
        }
        uint64_t h = qa_bytes_hash(blob + off[v], len);
        size_t i = (size_t)h & (cap - 1);
        while (m->slot[i].val >= 0) i = (i + 1) & (cap - 1);
        m->slot[i] = (qa_bytes_slot){(uint32_t)(h >> 32), v};
    }
    return QA_OK;
}

void qa_bytes_map_free(qa_bytes_map *m)
{
    if (!m) return;
    free(m->slot);
    m->slot = NULL;
    m->cap = 0;
}

int32_t qa_bytes_map_get(const qa_bytes_map *m, const uint8_t *p, size_t n)
{
    if (!m->cap) return -1;
    uint64_t h = qa_bytes_hash(p, n);
    uint32_t hi = (uint32_t)(h >> 32);
    for (size_t i = (size_t)h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        int32_t v = m->slot[i].val;
        if (v < 0) return -1;
        if (m->slot[i].hi == hi && m->off[v + 1] - m->off[v] == n && !memcmp(m->blob + m->off[v], p, n)) return v;
    }
}

/* ---- loading ---- */

static int b64_value(uint8_t c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Strict base64 (padded) of s[0..n) into out; returns decoded length or -1. */
static long b64_decode(const uint8_t *s, size_t n, uint8_t *out, size_t cap)
{
    if (n == 0 || n % 4) return -1;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            if (s[i + k] == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
            } else {
                if (pad) return -1; /* data after '=' */
                v[k] = b64_value(s[i + k]);
                if (v[k] < 0) return -1;
            }
        }
        uint32_t x = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        uint8_t b[3] = {(uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x};
        if (o + 3 - (size_t)pad > cap) return -1;
        for (int k = 0; k < 3 - pad; k++) out[o++] = b[k];
    }
    return (long)o;
}

void qa_bpe_free(qa_bpe *b)
{
    if (!b) return;
    qa_bytes_map_free(&b->map);
    free(b->pair2);
    if (b->re) pcre2_code_free(b->re);
    free(b->blob);
    free(b->off);
    free(b);
}

static qa_status compile_regex(qa_bpe *b)
{
    int err;
    PCRE2_SIZE erroff;
    b->re = pcre2_compile((PCRE2_SPTR)split_pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &err, &erroff,
                          NULL);
    if (!b->re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        return qa_error(QA_ERR_INTERNAL, "cannot compile the split regex at offset %zu: %s", (size_t)erroff,
                        (const char *)msg);
    }
    /* JIT is an accelerator only: when the platform lacks it, pcre2_match interprets. */
    (void)pcre2_jit_compile(b->re, PCRE2_JIT_COMPLETE);
    return QA_OK;
}

/* Parses the vocabulary text; errors name path:line. */
static qa_status parse_vocab(qa_bpe *b, const char *path, const uint8_t *data, size_t len)
{
    if (len >= UINT32_MAX) return qa_error(QA_ERR_FORMAT, "%s: %zu bytes is too large for a vocabulary file", path, len);
    size_t nlines = 1;
    for (size_t i = 0; i < len; i++) nlines += data[i] == '\n';
    /* Per token: start in tmp, length, file line. Decoded bytes are never longer than the base64. */
    uint8_t *tmp = malloc(len + 1);
    uint32_t *tstart = malloc(nlines * sizeof *tstart), *tlen = malloc(nlines * sizeof *tlen);
    int32_t *tline = malloc(nlines * sizeof *tline);
    int32_t *by_rank = malloc((size_t)QA_TOK_N_BPE * sizeof *by_rank);
    qa_status s = QA_OK;
    if (!tmp || !tstart || !tlen || !tline || !by_rank) {
        s = qa_error(QA_ERR_NOMEM, "out of memory reading %s", path);
        goto done;
    }
    for (int32_t r = 0; r < QA_TOK_N_BPE; r++) by_rank[r] = -1;
    size_t ntok = 0, used = 0, lineno = 0;
    int32_t max_rank = -1;
    for (size_t pos = 0; pos < len;) {
        lineno++;
        const uint8_t *ln = data + pos, *nl = memchr(ln, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - ln) : len - pos;
        pos += n + (nl != NULL);
        if (n && ln[n - 1] == '\r') n--;
        if (n == 0) continue; /* tiktoken skips empty lines */
        const uint8_t *sp = memchr(ln, ' ', n);
        if (!sp || sp == ln) {
            s = qa_error(QA_ERR_FORMAT, "%s:%zu: expected 'BASE64TOKEN RANK', found no token/space", path, lineno);
            goto done;
        }
        size_t tn = (size_t)(sp - ln);
        long dl = b64_decode(ln, tn, tmp + used, MAX_TOKEN_BYTES);
        if (dl <= 0) {
            s = qa_error(QA_ERR_FORMAT, "%s:%zu: token '%.*s' is not valid base64 (or longer than %d bytes)", path,
                         lineno, (int)(tn > 40 ? 40 : tn), (const char *)ln, MAX_TOKEN_BYTES);
            goto done;
        }
        const uint8_t *rp = sp + 1, *re = ln + n;
        long rank = 0;
        if (rp == re) {
            s = qa_error(QA_ERR_FORMAT, "%s:%zu: missing rank after the token", path, lineno);
            goto done;
        }
        for (; rp < re; rp++) {
            if (*rp < '0' || *rp > '9' || rank > QA_TOK_N_BPE) {
                s = qa_error(QA_ERR_FORMAT, "%s:%zu: rank '%.*s' is not an integer in 0..%d", path, lineno,
                             (int)(re - sp - 1 > 20 ? 20 : re - sp - 1), (const char *)sp + 1, QA_TOK_N_BPE - 1);
                goto done;
            }
            rank = rank * 10 + (*rp - '0');
        }
        if (rank >= QA_TOK_N_BPE) {
            s = qa_error(QA_ERR_FORMAT, "%s:%zu: rank %ld is not below %d (where the special tokens start)", path,
                         lineno, rank, QA_TOK_N_BPE);
            goto done;
        }
        if (by_rank[rank] >= 0) {
            s = qa_error(QA_ERR_FORMAT, "%s:%zu: rank %ld already given on an earlier line", path, lineno, rank);
            goto done;
        }
        by_rank[rank] = (int32_t)ntok;
        tstart[ntok] = (uint32_t)used;
        tlen[ntok] = (uint32_t)dl;
        tline[ntok] = (int32_t)lineno; /* kept for the duplicate-token message */
        used += (size_t)dl;
        ntok++;
        if (rank > max_rank) max_rank = (int32_t)rank;
    }
    if (ntok == 0) {
        s = qa_error(QA_ERR_FORMAT, "%s: no tokens (empty vocabulary file?)", path);
        goto done;
    }
    b->n_ranks = max_rank + 1;
    b->blob = malloc(used ? used : 1);
    b->off = malloc(((size_t)b->n_ranks + 1) * sizeof *b->off);
    if (!b->blob || !b->off) {
        s = qa_error(QA_ERR_NOMEM, "out of memory reading %s", path);
        goto done;
    }
    size_t o = 0;
    for (int32_t r = 0; r < b->n_ranks; r++) {
        b->off[r] = (uint32_t)o;
        if (by_rank[r] >= 0) {
            memcpy(b->blob + o, tmp + tstart[by_rank[r]], tlen[by_rank[r]]);
            o += tlen[by_rank[r]];
        }
    }
    b->off[b->n_ranks] = (uint32_t)o;
    int32_t dup;
    if ((s = qa_bytes_map_build(&b->map, b->blob, b->off, b->n_ranks, &dup))) goto done;
    if (dup >= 0) {
        s = qa_error(QA_ERR_FORMAT, "%s:%d: the token of rank %d repeats the bytes of a lower-ranked token", path, tline[by_rank[dup]], dup);
        goto done;
    }
    b->pair2 = malloc(65536 * sizeof *b->pair2);
    if (!b->pair2) {
        s = qa_error(QA_ERR_NOMEM, "out of memory reading %s", path);
        goto done;
    }
    for (int k = 0; k < 65536; k++) {
        uint8_t two[2] = {(uint8_t)(k >> 8), (uint8_t)k};
        b->pair2[k] = qa_bytes_map_get(&b->map, two, 2);
    }
    for (int c = 0; c < 256; c++) {
        uint8_t byte = (uint8_t)c;
        if ((b->rank1[c] = qa_bytes_map_get(&b->map, &byte, 1)) < 0) {
            s = qa_error(QA_ERR_FORMAT, "%s: the vocabulary lacks the single byte 0x%02x (byte-level BPE needs all 256)",
                         path, c);
            goto done;
        }
    }
done:
    free(tmp);
    free(tstart);
    free(tlen);
    free(tline);
    free(by_rank);
    return s;
}

qa_status qa_bpe_load_buffer(const char *name, const void *data, size_t len, qa_bpe **out)
{
    *out = NULL;
    qa_bpe *b = calloc(1, sizeof *b);
    if (!b) return qa_error(QA_ERR_NOMEM, "out of memory loading %s", name);
    qa_status s = parse_vocab(b, name, (const uint8_t *)data, len);
    if (!s) s = compile_regex(b);
    if (s) {
        qa_bpe_free(b);
        return s;
    }
    *out = b;
    return QA_OK;
}

qa_status qa_bpe_load(const char *path, qa_bpe **out)
{
    *out = NULL;
    char *data;
    size_t len;
    qa_status s = qa_file_read_all(path, &data, &len);
    if (s) return s;
    s = qa_bpe_load_buffer(path, data, len, out);
    free(data);
    return s;
}

const uint8_t *qa_bpe_token_bytes(const qa_bpe *b, int32_t rank, size_t *len)
{
    if (rank < 0 || rank >= b->n_ranks || b->off[rank + 1] == b->off[rank]) return NULL;
    *len = b->off[rank + 1] - b->off[rank];
    return b->blob + b->off[rank];
}

int32_t qa_bpe_rank(const qa_bpe *b, const uint8_t *p, size_t n)
{
    return qa_bytes_map_get(&b->map, p, n);
}

/* ---- merging ---- */

#define NO_RANK INT32_MAX

static int32_t pair_rank(const qa_bpe *b, const uint8_t *p, size_t from, size_t to)
{
    int32_t r = to - from == 2 ? b->pair2[p[from] << 8 | p[from + 1]] : qa_bytes_map_get(&b->map, p + from, to - from);
    return r < 0 ? NO_RANK : r;
}

static qa_status emit(const int32_t *ranks, size_t n, qa_ids *out)
{
    for (size_t k = 0; k < n; k++) {
        qa_status s = qa_ids_push(out, ranks[k]);
        if (s) return s;
    }
    return QA_OK;
}

/* tiktoken's loop: start[i] = start of part i, rank[i] = rank of parts i and i+1 joined,
 * prank[i] = rank of part i itself (known from the merge that made it). */
static qa_status merge_quadratic(const qa_bpe *b, const uint8_t *p, size_t n, qa_ids *out)
{
    uint32_t sbuf[QUADRATIC_MAX + 2];
    int32_t rbuf[QUADRATIC_MAX + 2], pbuf[QUADRATIC_MAX + 2];
    int small = n <= QUADRATIC_MAX;
    uint32_t *start = small ? sbuf : malloc((n + 2) * sizeof *start);
    int32_t *rank = small ? rbuf : malloc((n + 2) * sizeof *rank);
    int32_t *prank = small ? pbuf : malloc((n + 2) * sizeof *prank);
    if (!start || !rank || !prank) {
        if (!small) {
            free(start);
            free(rank);
            free(prank);
        }
        return qa_error(QA_ERR_NOMEM, "out of memory in BPE (piece of %zu bytes)", n);
    }
    size_t np = n; /* parts; start[np] = n */
    for (size_t i = 0; i <= n; i++) start[i] = (uint32_t)i;
    for (size_t i = 0; i < n; i++) prank[i] = b->rank1[p[i]];
    for (size_t i = 0; i + 1 < np; i++) rank[i] = pair_rank(b, p, start[i], start[i + 2]);
    while (np > 1) {
        int32_t best = NO_RANK;
        size_t bi = 0;
        for (size_t i = 0; i + 1 < np; i++)
            if (rank[i] < best) {
                best = rank[i];
                bi = i;
            }
        if (best == NO_RANK) break;
        /* remove part bi+1 */
        memmove(start + bi + 1, start + bi + 2, (np - bi - 1) * sizeof *start);
        prank[bi] = best;
        if (bi + 2 < np) memmove(prank + bi + 1, prank + bi + 2, (np - bi - 2) * sizeof *prank);
        if (bi + 3 <= np) memmove(rank + bi + 1, rank + bi + 2, (np - bi - 3) * sizeof *rank);
        np--;
        rank[bi] = bi + 1 < np ? pair_rank(b, p, start[bi], start[bi + 2]) : NO_RANK;
        if (bi > 0) rank[bi - 1] = pair_rank(b, p, start[bi - 1], start[bi + 1]);
    }
    qa_status s = emit(prank, np, out);
    if (!small) {
        free(start);
        free(rank);
        free(prank);
    }
    return s;
}

typedef struct {
    int32_t rank;
    uint32_t left;  /* start offset of the left part: the tie-break (leftmost first) */
    uint32_t stamp; /* version of the left part's pair when pushed */
} heap_ent;

static int ent_less(heap_ent a, heap_ent b)
{
    return a.rank < b.rank || (a.rank == b.rank && a.left < b.left);
}

static void heap_push(heap_ent *h, size_t *n, heap_ent e)
{
    size_t i = (*n)++;
    while (i > 0 && ent_less(e, h[(i - 1) / 2])) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = e;
}

static heap_ent heap_pop(heap_ent *h, size_t *n)
{
    heap_ent top = h[0], last = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && ent_less(h[c + 1], h[c])) c++;
        if (!ent_less(h[c], last)) break;
        h[i] = h[c];
        i = c;
    }
    if (*n) h[i] = last;
    return top;
}

/* Parts are a linked list over byte offsets: part at offset i ends at nxt[i]. */
static qa_status merge_heap(const qa_bpe *b, const uint8_t *p, size_t n, qa_ids *out)
{
    uint32_t *nxt = malloc((n + 1) * sizeof *nxt), *prv = malloc((n + 1) * sizeof *prv);
    uint32_t *stamp = calloc(n + 1, sizeof *stamp);
    int32_t *prank = malloc((n + 1) * sizeof *prank);
    heap_ent *h = malloc(3 * (n + 1) * sizeof *h);
    qa_status s = QA_OK;
    if (!nxt || !prv || !stamp || !prank || !h) {
        s = qa_error(QA_ERR_NOMEM, "out of memory in BPE (piece of %zu bytes)", n);
        goto done;
    }
    size_t hn = 0;
    for (size_t i = 0; i < n; i++) {
        nxt[i] = (uint32_t)(i + 1);
        prv[i] = (uint32_t)(i ? i - 1 : UINT32_MAX);
        prank[i] = b->rank1[p[i]];
    }
    for (size_t i = 0; i + 1 < n; i++) {
        int32_t r = pair_rank(b, p, i, i + 2);
        if (r != NO_RANK) heap_push(h, &hn, (heap_ent){r, (uint32_t)i, 0});
    }
    while (hn) {
        heap_ent e = heap_pop(h, &hn);
        uint32_t i = e.left;
        if (e.stamp != stamp[i]) continue; /* stale: the part or its right neighbour changed */
        uint32_t j = nxt[i];
        /* merge parts i and j */
        nxt[i] = nxt[j];
        if (nxt[j] < n) prv[nxt[j]] = i;
        stamp[j] = UINT32_MAX; /* j no longer starts a part */
        stamp[i]++;
        prank[i] = e.rank;
        if (nxt[i] < n) {
            int32_t r = pair_rank(b, p, i, nxt[nxt[i]]);
            if (r != NO_RANK) heap_push(h, &hn, (heap_ent){r, i, stamp[i]});
        }
        if (prv[i] != UINT32_MAX) {
            uint32_t k = prv[i];
            stamp[k]++;
            int32_t r = pair_rank(b, p, k, nxt[i]);
            if (r != NO_RANK) heap_push(h, &hn, (heap_ent){r, k, stamp[k]});
        }
    }
    /* Collect the part ranks in order into prv (reused) and emit. */
    size_t np = 0;
    for (uint32_t i = 0; i < n; i = nxt[i]) prank[np++] = prank[i]; /* np <= i: in place is safe */
    s = emit(prank, np, out);
done:
    free(nxt);
    free(prv);
    free(stamp);
    free(prank);
    free(h);
    return s;
}

qa_status qa_bpe_encode_piece(const qa_bpe *b, const uint8_t *p, size_t n, int algo, qa_ids *out)
{
    if (n == 0) return QA_OK;
    if (algo == 0) {
        int32_t r = qa_bytes_map_get(&b->map, p, n);
        if (r >= 0) return qa_ids_push(out, r);
        algo = n <= QUADRATIC_MAX ? 1 : 2;
    }
    if (n > UINT32_MAX / 4) return qa_error(QA_ERR_ARG, "text piece of %zu bytes is too long to encode", n);
    return algo == 1 ? merge_quadratic(b, p, n, out) : merge_heap(b, p, n, out);
}

qa_status qa_bpe_encode_ordinary(const qa_bpe *b, const uint8_t *text, size_t len, qa_ids *out)
{
    if (len == 0) return QA_OK;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(b->re, NULL);
    if (!md) return qa_error(QA_ERR_NOMEM, "out of memory creating regex match data");
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    qa_status s = QA_OK;
    size_t pos = 0;
    uint32_t opts = PCRE2_NO_UTF_CHECK; /* checked once by the caller */
    while (pos < len) {
        int rc = pcre2_match(b->re, text, len, pos, opts, md, NULL);
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT && !(opts & PCRE2_NO_JIT)) {
            opts |= PCRE2_NO_JIT; /* pathological input: the interpreter keeps its stack on the heap */
            continue;
        }
        if (rc == PCRE2_ERROR_NOMATCH) break; /* like findall: unmatched text yields no piece */
        if (rc < 0) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(rc, msg, sizeof msg);
            s = qa_error(QA_ERR_INTERNAL, "split regex failed at byte %zu: %s", pos, (const char *)msg);
            break;
        }
        size_t a = ov[0], e = ov[1];
        if (e <= a) { /* the pattern cannot match empty; guard against looping anyway */
            pos = a + 1;
            while (pos < len && (text[pos] & 0xC0) == 0x80) pos++;
            continue;
        }
        if ((s = qa_bpe_encode_piece(b, text + a, e - a, 0, out))) break;
        pos = e;
    }
    pcre2_match_data_free(md);
    return s;
}
