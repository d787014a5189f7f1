/* eval/text_util: UTF-8, Python-compatible whitespace and case, string buffers, token interning.
 * See text_util.h. */
#include "eval/text_util.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

uint32_t qa_utf8_next(const char *s, size_t n, size_t *i) {
    const unsigned char *u = (const unsigned char *)s;
    size_t k = *i;
    unsigned c = u[k];
    if (c < 0x80) { *i = k + 1; return c; }
    int len = (c >= 0xF0 && c <= 0xF4) ? 4 : (c >= 0xE0) ? 3 : (c >= 0xC2 && c < 0xE0) ? 2 : 0;
    if (c >= 0xF5) len = 0;
    if (len == 0 || k + (size_t)len > n) { *i = k + 1; return 0xFFFD; }
    uint32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (int j = 1; j < len; j++) {
        unsigned d = u[k + (size_t)j];
        if ((d & 0xC0) != 0x80) { *i = k + 1; return 0xFFFD; }
        cp = (cp << 6) | (d & 0x3F);
    }
    /* reject overlong forms, surrogates and values past U+10FFFF */
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
        *i = k + 1;
        return 0xFFFD;
    }
    *i = k + (size_t)len;
    return cp;
}

int qa_utf8_put(char *out, uint32_t cp) {
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) { o[0] = (unsigned char)(0xC0 | (cp >> 6)); o[1] = (unsigned char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

int qa_text_is_space(uint32_t cp) {
    if (cp <= 0x20) return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20);
    if (cp < 0x85) return 0;
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

static qa_status strbuf_reserve(qa_strbuf *b, size_t extra) {
    if (b->len + extra + 1 <= b->cap) return QA_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) cap *= 2;
    char *p = realloc(b->s, cap);
    if (!p) return qa_error(QA_ERR_NOMEM, "out of memory growing a text buffer to %zu bytes", cap);
    b->s = p;
    b->cap = cap;
    return QA_OK;
}

qa_status qa_strbuf_putn(qa_strbuf *b, const char *s, size_t n) {
    qa_status st = strbuf_reserve(b, n);
    if (st) return st;
    if (n) memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
    return QA_OK;
}
qa_status qa_strbuf_puts(qa_strbuf *b, const char *s) { return qa_strbuf_putn(b, s, strlen(s)); }
qa_status qa_strbuf_putc(qa_strbuf *b, char c) { return qa_strbuf_putn(b, &c, 1); }
qa_status qa_strbuf_put_cp(qa_strbuf *b, uint32_t cp) {
    char tmp[4];
    int k = qa_utf8_put(tmp, cp);
    return qa_strbuf_putn(b, tmp, (size_t)k);
}
void qa_strbuf_clear(qa_strbuf *b) {
    b->len = 0;
    if (b->s) b->s[0] = 0;
}
void qa_strbuf_free(qa_strbuf *b) {
    if (!b) return;
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

qa_status qa_text_lower(qa_strbuf *dst, const char *s, size_t n) {
    qa_status st = strbuf_reserve(dst, n);
    if (st) return st;
    size_t i = 0;
    while (i < n) {
        if ((unsigned char)s[i] < 0x80) {
            char c = s[i++];
            if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
            if ((st = qa_strbuf_putc(dst, c))) return st;
            continue;
        }
        uint32_t cp = qa_utf8_next(s, n, &i);
        if ((st = qa_strbuf_put_cp(dst, (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp)))) return st;
    }
    return QA_OK;
}

qa_status qa_word_ids_push(qa_word_ids *a, int32_t x) {
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        int32_t *p = realloc(a->v, cap * sizeof *p);
        if (!p) return qa_error(QA_ERR_NOMEM, "out of memory growing an id array to %zu", cap);
        a->v = p;
        a->cap = cap;
    }
    a->v[a->n++] = x;
    return QA_OK;
}
void qa_word_ids_free(qa_word_ids *a) {
    if (!a) return;
    free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}

uint64_t qa_text_hash(const void *p, size_t n) {
    const unsigned char *u = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ u[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

/* Open addressing over (offset, len, hash) slots; strings live in one growing pool. */
typedef struct {
    size_t off;
    uint32_t len;
    int32_t id; /* -1 = empty */
    uint64_t hash;
} intern_slot;

struct qa_interner {
    intern_slot *slots;
    size_t cap, count;
    char *pool;
    size_t pool_len, pool_cap;
};

qa_interner *qa_interner_new(void) {
    qa_interner *in = calloc(1, sizeof *in);
    if (!in) return NULL;
    in->cap = 1024;
    in->slots = malloc(in->cap * sizeof *in->slots);
    if (!in->slots) { free(in); return NULL; }
    for (size_t i = 0; i < in->cap; i++) in->slots[i].id = -1;
    return in;
}

void qa_interner_free(qa_interner *in) {
    if (!in) return;
    free(in->slots);
    free(in->pool);
    free(in);
}

size_t qa_interner_size(const qa_interner *in) { return in->count; }

static int interner_grow(qa_interner *in) {
    size_t cap = in->cap * 2;
    intern_slot *s = malloc(cap * sizeof *s);
    if (!s) return -1;
    for (size_t i = 0; i < cap; i++) s[i].id = -1;
    for (size_t i = 0; i < in->cap; i++) {
        if (in->slots[i].id < 0) continue;
        size_t j = in->slots[i].hash & (cap - 1);
        while (s[j].id >= 0) j = (j + 1) & (cap - 1);
        s[j] = in->slots[i];
    }
    free(in->slots);
    in->slots = s;
    in->cap = cap;
    return 0;
}

int32_t qa_interner_id(qa_interner *in, const char *str, size_t n) {
    uint64_t h = qa_text_hash(str, n);
    size_t j = h & (in->cap - 1);
    while (in->slots[j].id >= 0) {
        intern_slot *sl = &in->slots[j];
        if (sl->hash == h && sl->len == n && memcmp(in->pool + sl->off, str, n) == 0) return sl->id;
        j = (j + 1) & (in->cap - 1);
    }
    if (n > UINT32_MAX || in->count >= INT32_MAX) return -1;
    if (in->pool_len + n > in->pool_cap) {
        size_t cap = in->pool_cap ? in->pool_cap : 4096;
        while (cap < in->pool_len + n) cap *= 2;
        char *p = realloc(in->pool, cap);
        if (!p) return -1;
        in->pool = p;
        in->pool_cap = cap;
    }
    if (n) memcpy(in->pool + in->pool_len, str, n);
    intern_slot *sl = &in->slots[j];
    sl->off = in->pool_len;
    sl->len = (uint32_t)n;
    sl->hash = h;
    sl->id = (int32_t)in->count++;
    in->pool_len += n;
    int32_t id = sl->id;
    if (in->count * 2 > in->cap && interner_grow(in)) return -1;
    return id;
}

int qa_text_next_word(const char *s, size_t n, size_t *i, size_t *start, size_t *end) {
    size_t k = *i, first;
    do { /* skip whitespace */
        if (k >= n) { *i = n; return 0; }
        first = k;
    } while (qa_text_is_space(qa_utf8_next(s, n, &k)));
    size_t last = k;
    while (k < n && !qa_text_is_space(qa_utf8_next(s, n, &k))) last = k;
    *start = first;
    *end = last;
    *i = last;
    return 1;
}

qa_status qa_text_split_ids(qa_word_ids *dst, qa_interner *in, const char *s, size_t n) {
    size_t i = 0, start, end;
    while (qa_text_next_word(s, n, &i, &start, &end)) {
        int32_t id = qa_interner_id(in, s + start, end - start);
        if (id < 0) return qa_error(QA_ERR_NOMEM, "out of memory interning tokens");
        qa_status st = qa_word_ids_push(dst, id);
        if (st) return st;
    }
    return QA_OK;
}

qa_status qa_text_char_ids(qa_word_ids *dst, qa_interner *in, const char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        uint32_t cp = qa_utf8_next(s, n, &i);
        if (qa_text_is_space(cp)) continue;
        int32_t id = qa_interner_id(in, s + start, i - start);
        if (id < 0) return qa_error(QA_ERR_NOMEM, "out of memory interning characters");
        qa_status st = qa_word_ids_push(dst, id);
        if (st) return st;
    }
    return QA_OK;
}
