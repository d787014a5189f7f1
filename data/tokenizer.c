/* data/tokenizer: the public tokenizer interface (data/tokenizer.h) over its two backends.
 *
 * Owns: choosing the backend from the file name, the growable id array, UTF-8 validation and
 * repair, NFC normalisation (utf8proc, skipped for text that is provably NFC already), and the
 * tiktoken encode loop: find the next *allowed* special-token surface string, BPE-encode the text
 * before it (data/tokenizer_bpe.c), emit the special id, go on after it. The BPE backend and the
 * special table are read-only after load, so encode/decode are thread-safe. */
#include "data/tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <utf8proc.h>

#include "data/special_tokens.h"
#include "data/tokenizer_internal.h"

/* ---- qa_ids ---- */

qa_status qa_ids_push(qa_ids *v, int32_t id)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 64;
        int32_t *p = realloc(v->ids, cap * sizeof *p);
        if (!p) return qa_error(QA_ERR_NOMEM, "out of memory growing an id array to %zu ids", cap);
        v->ids = p;
        v->cap = cap;
    }
    v->ids[v->n++] = id;
    return QA_OK;
}

void qa_ids_free(qa_ids *v)
{
    if (!v) return;
    free(v->ids);
    v->ids = NULL;
    v->n = v->cap = 0;
}

/* ---- UTF-8 ---- */

/* Length of the valid sequence starting at p[0] (1..4), or 0 when invalid; *sub gets the length of
 * the maximal invalid subpart (what one U+FFFD replaces). */
static size_t utf8_seq(const uint8_t *p, size_t n, size_t *sub, uint32_t *cp)
{
    uint8_t c = p[0];
    *sub = 1;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t need;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c == 0xE0) need = 2, lo = 0xA0;
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) need = 2;
    else if (c == 0xED) need = 2, hi = 0x9F;
    else if (c == 0xF0) need = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) need = 3;
    else if (c == 0xF4) need = 3, hi = 0x8F;
    else return 0;
    uint32_t v = c & (0x3F >> need);
    for (size_t k = 1; k <= need; k++) {
        if (k >= n || p[k] < lo || p[k] > hi) {
            *sub = k;
            return 0;
        }
        v = v << 6 | (p[k] & 0x3F);
        lo = 0x80, hi = 0xBF;
    }
    *cp = v;
    return need + 1;
}

size_t qa_utf8_invalid_at(const uint8_t *p, size_t len)
{
    size_t i = 0, sub;
    uint32_t cp;
    while (i < len) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_seq(p + i, len - i, &sub, &cp);
        if (!k) return i;
        i += k;
    }
    return len;
}

qa_status qa_utf8_repair(const uint8_t *p, size_t n, char **out, size_t *out_len)
{
    /* Worst case: every byte becomes U+FFFD (3 bytes). */
    if (n > (SIZE_MAX - 1) / 3) return qa_error(QA_ERR_NOMEM, "decoded text too large");
    uint8_t *o = malloc(3 * n + 1);
    if (!o) return qa_error(QA_ERR_NOMEM, "out of memory decoding %zu bytes", n);
    size_t i = 0, w = 0, sub;
    uint32_t cp;
    while (i < n) {
        size_t k = p[i] < 0x80 ? 1 : utf8_seq(p + i, n - i, &sub, &cp);
        if (k) {
            memcpy(o + w, p + i, k);
            w += k;
            i += k;
        } else {
            o[w++] = 0xEF, o[w++] = 0xBF, o[w++] = 0xBD;
            i += sub;
        }
    }
    o[w] = 0;
    *out = (char *)o;
    *out_len = w;
    return QA_OK;
}

int qa_nfc_inert_codepoint(uint32_t cp)
{
    /* Each range holds only characters with combining class 0 and NFC_QC=Yes that never compose
     * with a preceding character (checked against utf8proc by tests/unit/test_tokenizer.c). */
    return cp < 0x300 || (cp >= 0x3000 && cp <= 0x3029) || (cp >= 0x3030 && cp <= 0x3098) ||
           (cp >= 0x309B && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
           (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xFF00 && cp <= 0xFFEF);
}

/* ---- load / free ---- */

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

static qa_status build_special_table(qa_tokenizer *t)
{
    char buf[64];
    size_t total = 0;
    for (size_t i = 0; i < QA_TOK_N_SPECIAL; i++) total += qa_tokenizer_qwen_special_surface(i, buf, sizeof buf);
    t->sp_blob = malloc(total);
    t->sp_off = malloc((QA_TOK_N_SPECIAL + 1) * sizeof *t->sp_off);
    if (!t->sp_blob || !t->sp_off) return qa_error(QA_ERR_NOMEM, "out of memory building the special-token table");
    size_t o = 0;
    for (size_t i = 0; i < QA_TOK_N_SPECIAL; i++) {
        size_t n = qa_tokenizer_qwen_special_surface(i, buf, sizeof buf);
        t->sp_off[i] = (uint32_t)o;
        memcpy(t->sp_blob + o, buf, n);
        o += n;
        if (n > t->sp_maxlen) t->sp_maxlen = n;
    }
    t->sp_off[QA_TOK_N_SPECIAL] = (uint32_t)o;
    int32_t dup;
    qa_status s = qa_bytes_map_build(&t->sp_map, t->sp_blob, t->sp_off, QA_TOK_N_SPECIAL, &dup);
    if (!s && dup >= 0) s = qa_error(QA_ERR_INTERNAL, "special token %d repeats an earlier one", dup);
    return s;
}

static qa_status load_spm(qa_tokenizer *t, const char *path)
{
    qa_status s = qa_spm_load(path, &t->spm);
    if (s) return s;
    t->spm_vocab = qa_spm_vocab_size(t->spm);
    t->spm_special = calloc(t->spm_vocab ? t->spm_vocab : 1, 1);
    if (!t->spm_special) return qa_error(QA_ERR_NOMEM, "out of memory loading %s", path);
    for (size_t i = 0; i < t->spm_vocab; i++) t->spm_special[i] = (uint8_t)qa_spm_is_control(t->spm, (int32_t)i);
    /* The Qwen special strings, when the model has them as pieces (added by qa_tokenizer_spm_train). */
    char buf[64];
    for (size_t i = 0; i < QA_TOK_N_SPECIAL; i++) {
        size_t n = qa_tokenizer_qwen_special_surface(i, buf, sizeof buf);
        int32_t id = qa_spm_piece_id(t->spm, buf, n);
        if (id >= 0 && (size_t)id < t->spm_vocab) t->spm_special[id] = 1;
    }
    return QA_OK;
}

/* A checkpoint directory holds its tokenizer file: qwen.tiktoken, else tokenizer.model. */
static qa_status load_from_dir(const char *dir, qa_tokenizer **out)
{
    static const char *const names[] = {"qwen.tiktoken", "tokenizer.model"};
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(dir) + strlen(names[i]) + 2;
        char *p = malloc(n);
        if (!p) return qa_error(QA_ERR_NOMEM, "out of memory");
        snprintf(p, n, "%s/%s", dir, names[i]);
        struct stat st;
        qa_status s = QA_ERR_IO;
        if (stat(p, &st) == 0) s = qa_tokenizer_load(p, out);
        free(p);
        if (s != QA_ERR_IO || *out) return s;
    }
    return qa_error(QA_ERR_IO, "directory %s holds no tokenizer (looked for qwen.tiktoken and tokenizer.model)", dir);
}

qa_status qa_tokenizer_load(const char *path, qa_tokenizer **out)
{
    *out = NULL;
    if (!path || !*path) return qa_error(QA_ERR_ARG, "no tokenizer path given");
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return load_from_dir(path, out);
    qa_tokenizer *t = calloc(1, sizeof *t);
    if (!t) return qa_error(QA_ERR_NOMEM, "out of memory loading %s", path);
    qa_status s;
    if (ends_with(path, ".model")) {
        t->kind = QA_TOKENIZER_SPM;
        s = load_spm(t, path);
    } else {
        t->kind = QA_TOKENIZER_TIKTOKEN;
        s = qa_bpe_load(path, &t->bpe);
        if (!s) s = build_special_table(t);
    }
    if (s) {
        qa_tokenizer_free(t);
        return s;
    }
    *out = t;
    return QA_OK;
}

void qa_tokenizer_free(qa_tokenizer *t)
{
    if (!t) return;
    qa_bpe_free(t->bpe);
    qa_bytes_map_free(&t->sp_map);
    free(t->sp_blob);
    free(t->sp_off);
    qa_spm_free(t->spm);
    free(t->spm_special);
    free(t);
}

/* ---- encode ---- */

/* Special index whose surface starts at p (and fits in n bytes), or -1. Surfaces start with '<' or
 * '[' and end with '>' or ']'; no surface is a prefix of another, so at most one can match. */
static int32_t special_at(const qa_tokenizer *t, const uint8_t *p, size_t n)
{
    size_t maxl = n < t->sp_maxlen ? n : t->sp_maxlen;
    for (size_t k = 2; k <= maxl; k++) {
        if (p[k - 1] != '>' && p[k - 1] != ']') continue;
        int32_t i = qa_bytes_map_get(&t->sp_map, p, k);
        if (i >= 0) return i;
    }
    return -1;
}

static qa_status encode_tiktoken(const qa_tokenizer *t, const uint8_t *s, size_t len, qa_special_mode mode,
                                 qa_ids *out)
{
    size_t start = 0;
    if (mode != QA_SPECIAL_NONE) {
        for (size_t p = 0; p < len; p++) {
            if (s[p] != '<' && s[p] != '[') continue;
            int32_t i = special_at(t, s + p, len - p);
            if (i < 0 || (mode == QA_SPECIAL_AUDIO && !qa_tokenizer_qwen_special_is_audio((size_t)i))) continue;
            qa_status st = qa_bpe_encode_ordinary(t->bpe, s + start, p - start, out);
            if (!st) st = qa_ids_push(out, QA_TOK_SPECIAL_BASE + i);
            if (st) return st;
            p += t->sp_off[i + 1] - t->sp_off[i];
            start = p;
            p--; /* the loop's p++ */
        }
    }
    return qa_bpe_encode_ordinary(t->bpe, s + start, len - start, out);
}

qa_status qa_tokenizer_encode(const qa_tokenizer *tok, const char *text, size_t len, qa_special_mode mode,
                              qa_ids *out)
{
    if (!tok || !out || (!text && len)) return qa_error(QA_ERR_ARG, "qa_tokenizer_encode: NULL argument");
    if (mode != QA_SPECIAL_NONE && mode != QA_SPECIAL_AUDIO && mode != QA_SPECIAL_ALL)
        return qa_error(QA_ERR_ARG, "unknown special-token mode %d", (int)mode);
    const uint8_t *u = (const uint8_t *)text;
    /* One pass: validate UTF-8 and find whether NFC could change anything. */
    int inert = 1;
    for (size_t i = 0; i < len;) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        size_t sub;
        uint32_t cp;
        size_t k = utf8_seq(u + i, len - i, &sub, &cp);
        if (!k)
            return qa_error(QA_ERR_ARG, "text is not valid UTF-8: bad byte 0x%02x at byte offset %zu; re-encode it as UTF-8",
                            u[i], i);
        if (inert && !qa_nfc_inert_codepoint(cp)) inert = 0;
        i += k;
    }
    size_t n0 = out->n;
    qa_status s;
    if (tok->kind == QA_TOKENIZER_SPM) {
        s = qa_spm_encode(tok->spm, text, len, &out->ids, &out->n, &out->cap);
    } else if (inert) {
        s = encode_tiktoken(tok, u, len, mode, out);
    } else {
        utf8proc_uint8_t *nfc = NULL;
        utf8proc_ssize_t n = utf8proc_map(u, (utf8proc_ssize_t)len, &nfc, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
        if (n < 0) return qa_error(n == UTF8PROC_ERROR_NOMEM ? QA_ERR_NOMEM : QA_ERR_ARG,
                                   "NFC normalisation failed: %s", utf8proc_errmsg(n));
        s = encode_tiktoken(tok, nfc, (size_t)n, mode, out);
        free(nfc);
    }
    if (s) out->n = n0; /* all or nothing: no partial ids left appended */
    return s;
}

/* ---- decode ---- */

qa_status qa_tokenizer_decode(const qa_tokenizer *tok, const int32_t *ids, size_t n, int skip_special, char **text,
                              size_t *len)
{
    *text = NULL;
    if (len) *len = 0;
    if (!tok || (!ids && n)) return qa_error(QA_ERR_ARG, "qa_tokenizer_decode: NULL argument");
    size_t vocab = qa_tokenizer_vocab_size(tok);
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || (size_t)ids[i] >= vocab)
            return qa_error(QA_ERR_ARG, "token id %d (position %zu) is out of range: the vocabulary has ids 0..%zu",
                            (int)ids[i], i, vocab - 1);
    if (tok->kind == QA_TOKENIZER_SPM) {
        int32_t *keep = malloc((n ? n : 1) * sizeof *keep);
        if (!keep) return qa_error(QA_ERR_NOMEM, "out of memory decoding %zu ids", n);
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (!skip_special || !tok->spm_special[ids[i]]) keep[m++] = ids[i];
        size_t l = 0;
        qa_status s = qa_spm_decode(tok->spm, keep, m, text, &l);
        free(keep);
        if (len) *len = l;
        return s;
    }
    size_t total = 0, bl;
    for (size_t i = 0; i < n; i++) {
        if (skip_special && ids[i] >= QA_TOK_SPECIAL_BASE) continue;
        if (!qa_tokenizer_id_bytes(tok, ids[i], &bl))
            return qa_error(QA_ERR_ARG, "token id %d (position %zu) has no entry in this vocabulary", (int)ids[i], i);
        total += bl;
    }
    uint8_t *raw = malloc(total ? total : 1);
    if (!raw) return qa_error(QA_ERR_NOMEM, "out of memory decoding %zu ids", n);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (skip_special && ids[i] >= QA_TOK_SPECIAL_BASE) continue;
        const char *b = qa_tokenizer_id_bytes(tok, ids[i], &bl);
        memcpy(raw + o, b, bl);
        o += bl;
    }
    size_t l = 0;
    qa_status s = qa_utf8_repair(raw, o, text, &l);
    free(raw);
    if (len) *len = l;
    return s;
}

/* ---- queries ---- */

int32_t qa_tokenizer_special_id(const qa_tokenizer *tok, const char *surface)
{
    if (!tok || !surface) return -1;
    size_t n = strlen(surface);
    if (tok->kind == QA_TOKENIZER_SPM) {
        int32_t id = qa_spm_piece_id(tok->spm, surface, n);
        return id >= 0 && (size_t)id < tok->spm_vocab && tok->spm_special[id] ? id : -1;
    }
    int32_t i = qa_bytes_map_get(&tok->sp_map, (const uint8_t *)surface, n);
    return i < 0 ? -1 : QA_TOK_SPECIAL_BASE + i;
}

size_t qa_tokenizer_vocab_size(const qa_tokenizer *tok)
{
    if (!tok) return 0;
    return tok->kind == QA_TOKENIZER_SPM ? tok->spm_vocab : (size_t)QA_TOK_VOCAB_SIZE;
}

qa_tokenizer_kind qa_tokenizer_get_kind(const qa_tokenizer *tok)
{
    return tok->kind;
}

int qa_tokenizer_is_special(const qa_tokenizer *tok, int32_t id)
{
    if (!tok || id < 0 || (size_t)id >= qa_tokenizer_vocab_size(tok)) return 0;
    return tok->kind == QA_TOKENIZER_SPM ? tok->spm_special[id] : id >= QA_TOK_SPECIAL_BASE;
}

const char *qa_tokenizer_id_bytes(const qa_tokenizer *tok, int32_t id, size_t *len)
{
    size_t dummy;
    if (!len) len = &dummy;
    if (!tok || id < 0) return NULL;
    if (tok->kind == QA_TOKENIZER_SPM) return qa_spm_id_piece(tok->spm, id, len);
    if (id >= QA_TOK_SPECIAL_BASE) {
        if (id >= QA_TOK_VOCAB_SIZE) return NULL;
        size_t i = (size_t)(id - QA_TOK_SPECIAL_BASE);
        *len = tok->sp_off[i + 1] - tok->sp_off[i];
        return (const char *)tok->sp_blob + tok->sp_off[i];
    }
    return (const char *)qa_bpe_token_bytes(tok->bpe, id, len);
}
