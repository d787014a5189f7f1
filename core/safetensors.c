/* core/safetensors: see safetensors.h. Reading (mmap + validation) and writing (streamed,
 * converted, atomic). The header JSON is parsed with cJSON; the written header is generated
 * here with a fixed, compact key order (so that saving twice gives identical bytes). */
#include "core/safetensors.h"
#include "core/tensor.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cJSON.h"
#include "core/fileio.h"

static const struct {
    const char *name;
    size_t size;
} dtypes[QA_ST_DTYPE_COUNT] = {
    [QA_ST_F32] = {"F32", 4}, [QA_ST_F16] = {"F16", 2}, [QA_ST_BF16] = {"BF16", 2},
    [QA_ST_F64] = {"F64", 8}, [QA_ST_I64] = {"I64", 8}, [QA_ST_I32] = {"I32", 4},
    [QA_ST_I16] = {"I16", 2}, [QA_ST_I8] = {"I8", 1},   [QA_ST_U8] = {"U8", 1},
    [QA_ST_BOOL] = {"BOOL", 1},
};

const char *qa_st_dtype_name(qa_st_dtype d)
{
    return (int)d >= 0 && d < QA_ST_DTYPE_COUNT ? dtypes[d].name : "?";
}

int qa_st_dtype_parse(const char *name)
{
    for (int i = 0; i < QA_ST_DTYPE_COUNT; i++)
        if (!strcmp(dtypes[i].name, name)) return i;
    return -1;
}

size_t qa_st_dtype_size(qa_st_dtype d) { return (int)d >= 0 && d < QA_ST_DTYPE_COUNT ? dtypes[d].size : 0; }

int64_t qa_st_numel(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    return n;
}

/* ---- element conversions ---- */

float qa_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, u;
    if (exp == 0) {
        if (man == 0) {
            u = sign;
        } else { /* subnormal: renormalise */
            int e = -1;
            do { man <<= 1; e++; } while (!(man & 0x400u));
            u = sign | (uint32_t)(127 - 15 - e) << 23 | (man & 0x3ffu) << 13;
        }
    } else if (exp == 31) {
        u = sign | 0x7f800000u | man << 13;
    } else {
        u = sign | (exp + 127 - 15) << 23 | man << 13;
    }
    float f;
    memcpy(&f, &u, 4);
    return f;
}

uint16_t qa_f32_to_f16(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return sign | 0x7e00u;
    if (a >= 0x477ff000u) return sign | 0x7c00u; /* overflow (after rounding) -> inf */
    if (a < 0x38800000u) {                        /* subnormal or zero in f16 */
        float m = fabsf(f) * 16777216.0f;         /* 2^24: f16 subnormal unit is 2^-24 */
        float r = nearbyintf(m);                  /* current rounding mode: nearest even */
        return sign | (uint16_t)r;
    }
    uint32_t e = (a >> 23) - 127 + 15, man = a & 0x7fffffu;
    uint32_t h = e << 10 | man >> 13, rest = man & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;
    return sign | (uint16_t)h;
}

static int is_float_dtype(qa_st_dtype d) { return d == QA_ST_F32 || d == QA_ST_F16 || d == QA_ST_BF16 || d == QA_ST_F64; }

qa_status qa_st_to_f32(float *dst, const qa_st_tensor *t, int64_t start, int64_t count)
{
    if (start < 0 || count < 0 || start + count > t->numel)
        return qa_error(QA_ERR_ARG, "tensor %s: elements [%lld, %lld) out of range (%lld elements)", t->name,
                        (long long)start, (long long)(start + count), (long long)t->numel);
    const unsigned char *p = (const unsigned char *)t->data;
    switch (t->dtype) {
    case QA_ST_F32:
        memcpy(dst, p + start * 4, (size_t)count * 4);
        return QA_OK;
    case QA_ST_BF16:
    case QA_ST_F16:
        for (int64_t i = 0; i < count; i++) {
            uint16_t h;
            memcpy(&h, p + (start + i) * 2, 2);
            dst[i] = t->dtype == QA_ST_BF16 ? qa_f32_from_bf16(h) : qa_f16_to_f32(h);
        }
        return QA_OK;
    case QA_ST_F64:
        for (int64_t i = 0; i < count; i++) {
            double d;
            memcpy(&d, p + (start + i) * 8, 8);
            dst[i] = (float)d;
        }
        return QA_OK;
    default:
        return qa_error(QA_ERR_DTYPE, "tensor %s has dtype %s: expected a float dtype (F32, BF16, F16, F64)",
                        t->name, qa_st_dtype_name(t->dtype));
    }
}

/* ---- reading ---- */

void qa_safetensors_close(qa_safetensors *st)
{
    if (!st) return;
    for (int i = 0; i < st->n; i++) free(st->t[i].name);
    for (int i = 0; i < st->nmeta; i++) {
        free(st->meta[i].key);
        free(st->meta[i].value);
    }
    free(st->t);
    free(st->meta);
    if (st->map) munmap(st->map, st->size);
    free(st->path);
    free(st);
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static int cmp_by_offset(const void *a, const void *b)
{
    const qa_st_tensor *x = *(const qa_st_tensor *const *)a, *y = *(const qa_st_tensor *const *)b;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    return x->nbytes < y->nbytes ? -1 : x->nbytes > y->nbytes;
}

/* Parses one tensor entry of the header into t (name already set). */
static qa_status parse_entry(qa_safetensors *st, const cJSON *e, qa_st_tensor *t, uint64_t data_len)
{
    const char *what = st->path;
    if (!cJSON_IsObject(e)) return qa_error(QA_ERR_FORMAT, "%s: header entry for tensor %s is not an object", what, t->name);
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!cJSON_IsString(dt) || !cJSON_IsArray(sh) || !cJSON_IsArray(off) || cJSON_GetArraySize(off) != 2)
        return qa_error(QA_ERR_FORMAT, "%s: tensor %s: header entry needs \"dtype\" (string), \"shape\" (array) and "
                        "\"data_offsets\" ([begin, end])", what, t->name);
    int d = qa_st_dtype_parse(dt->valuestring);
    if (d < 0) return qa_error(QA_ERR_FORMAT, "%s: tensor %s: unsupported dtype \"%s\"", what, t->name, dt->valuestring);
    t->dtype = (qa_st_dtype)d;
    int nd = cJSON_GetArraySize(sh);
    if (nd > QA_ST_MAX_DIMS) return qa_error(QA_ERR_FORMAT, "%s: tensor %s: %d dimensions (at most %d)", what, t->name, nd, QA_ST_MAX_DIMS);
    t->ndim = nd;
    int64_t numel = 1;
    for (int i = 0; i < nd; i++) {
        const cJSON *v = cJSON_GetArrayItem(sh, i);
        if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9.0e15 || v->valuedouble != floor(v->valuedouble))
            return qa_error(QA_ERR_FORMAT, "%s: tensor %s: shape[%d] is not a non-negative integer", what, t->name, i);
        t->shape[i] = (int64_t)v->valuedouble;
        if (t->shape[i] && numel > INT64_MAX / 16 / t->shape[i])
            return qa_error(QA_ERR_FORMAT, "%s: tensor %s: shape too large", what, t->name);
        numel *= t->shape[i];
    }
    t->numel = numel;
    double b = cJSON_GetArrayItem(off, 0)->valuedouble, en = cJSON_GetArrayItem(off, 1)->valuedouble;
    if (!cJSON_IsNumber(cJSON_GetArrayItem(off, 0)) || !cJSON_IsNumber(cJSON_GetArrayItem(off, 1)) || b < 0 ||
        en < b || b != floor(b) || en != floor(en) || en > 1.8e19)
        return qa_error(QA_ERR_FORMAT, "%s: tensor %s: bad data_offsets", what, t->name);
    uint64_t ub = (uint64_t)b, ue = (uint64_t)en;
    if (ue > data_len)
        return qa_error(QA_ERR_FORMAT, "%s: tensor %s: data ends at byte %llu of the file but the file has %llu bytes "
                        "(truncated file?)", what, t->name, (unsigned long long)(st->data_start + ue),
                        (unsigned long long)st->size);
    t->nbytes = ue - ub;
    if (t->nbytes != (uint64_t)numel * qa_st_dtype_size(t->dtype))
        return qa_error(QA_ERR_FORMAT, "%s: tensor %s: data_offsets span %llu bytes but shape and dtype %s need %llu",
                        what, t->name, (unsigned long long)t->nbytes, qa_st_dtype_name(t->dtype),
                        (unsigned long long)((uint64_t)numel * qa_st_dtype_size(t->dtype)));
    t->offset = st->data_start + ub;
    t->data = st->bytes + t->offset;
    return QA_OK;
}

static qa_status parse_header(qa_safetensors *st)
{
    const char *what = st->path;
    if (st->size < 8) return qa_error(QA_ERR_FORMAT, "%s: %zu bytes, too short for a safetensors file (8-byte header length)", what, st->size);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | st->bytes[i];
    if (hlen > st->size - 8)
        return qa_error(QA_ERR_FORMAT, "%s: header length %llu at byte 0 exceeds the file size %zu (truncated or not a "
                        "safetensors file)", what, (unsigned long long)hlen, st->size);
    if (hlen > 100u * 1024 * 1024) return qa_error(QA_ERR_FORMAT, "%s: header length %llu is too large", what, (unsigned long long)hlen);
    if (hlen < 2 || st->bytes[8] != '{')
        return qa_error(QA_ERR_FORMAT, "%s: the JSON header at byte 8 does not start with '{'", what);
    st->data_start = 8 + hlen;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts((const char *)st->bytes + 8, (size_t)hlen, &end, 0);
    if (!root || !cJSON_IsObject(root)) {
        size_t at = end ? (size_t)(end - (const char *)st->bytes) : 8;
        cJSON_Delete(root);
        return qa_error(QA_ERR_FORMAT, "%s: the JSON header is malformed near byte %zu", what, at);
    }
    for (const char *p = end; p < (const char *)st->bytes + 8 + hlen; p++)
        if (*p != ' ' && *p != '\0' && *p != '\n' && *p != '\t' && *p != '\r') {
            cJSON_Delete(root);
            return qa_error(QA_ERR_FORMAT, "%s: unexpected bytes after the JSON header at byte %zu", what,
                            (size_t)(p - (const char *)st->bytes));
        }
    qa_status s = QA_OK;
    int count = cJSON_GetArraySize(root);
    st->t = calloc((size_t)count + 1, sizeof *st->t);
    if (!st->t) { cJSON_Delete(root); return qa_error(QA_ERR_NOMEM, "%s: out of memory for the header", what); }
    uint64_t data_len = st->size - st->data_start;
    for (const cJSON *e = root->child; e && !s; e = e->next) {
        if (!e->string) { s = qa_error(QA_ERR_FORMAT, "%s: header entry without a name", what); break; }
        if (!strcmp(e->string, "__metadata__")) {
            if (!cJSON_IsObject(e)) { s = qa_error(QA_ERR_FORMAT, "%s: __metadata__ is not an object", what); break; }
            int nm = cJSON_GetArraySize(e);
            st->meta = calloc((size_t)nm + 1, sizeof *st->meta);
            if (!st->meta) { s = qa_error(QA_ERR_NOMEM, "%s: out of memory", what); break; }
            for (const cJSON *m = e->child; m; m = m->next) {
                if (!cJSON_IsString(m)) { s = qa_error(QA_ERR_FORMAT, "%s: __metadata__ value of \"%s\" is not a string", what, m->string); break; }
                st->meta[st->nmeta].key = dupstr(m->string);
                st->meta[st->nmeta].value = dupstr(m->valuestring);
                st->nmeta++;
            }
            continue;
        }
        qa_st_tensor *t = &st->t[st->n];
        if (!(t->name = dupstr(e->string))) { s = qa_error(QA_ERR_NOMEM, "%s: out of memory", what); break; }
        st->n++;
        s = parse_entry(st, e, t, data_len);
    }
    cJSON_Delete(root);
    if (s) return s;
    /* The reference library: sorted by offset, each tensor starts where the previous ended, the
     * first at 0, the last at the end of the file (no gaps, no overlaps, nothing after). */
    qa_st_tensor **order = malloc(((size_t)st->n + 1) * sizeof *order);
    if (!order) return qa_error(QA_ERR_NOMEM, "%s: out of memory", what);
    for (int i = 0; i < st->n; i++) order[i] = &st->t[i];
    qsort(order, (size_t)st->n, sizeof *order, cmp_by_offset);
    uint64_t pos = st->data_start;
    for (int i = 0; i < st->n && !s; i++) {
        if (order[i]->offset != pos)
            s = qa_error(QA_ERR_FORMAT, "%s: tensor %s starts at byte %llu but the previous data ends at byte %llu "
                         "(overlapping or non-contiguous data_offsets)", what, order[i]->name,
                         (unsigned long long)order[i]->offset, (unsigned long long)pos);
        pos = order[i]->offset + order[i]->nbytes;
        if (!s && i > 0 && !strcmp(order[i]->name, order[i - 1]->name))
            s = qa_error(QA_ERR_FORMAT, "%s: tensor %s appears twice", what, order[i]->name);
    }
    free(order);
    if (s) return s;
    if (pos != st->size)
        return qa_error(QA_ERR_FORMAT, "%s: the tensors end at byte %llu but the file has %zu bytes (%s)", what,
                        (unsigned long long)pos, st->size, pos < st->size ? "trailing bytes" : "truncated");
    /* duplicate names at different offsets */
    for (int i = 0; i < st->n; i++)
        for (int j = i + 1; j < st->n && st->n < 4096; j++)
            if (!strcmp(st->t[i].name, st->t[j].name))
                return qa_error(QA_ERR_FORMAT, "%s: tensor %s appears twice", what, st->t[i].name);
    return QA_OK;
}

qa_status qa_safetensors_parse(qa_safetensors **out, const void *bytes, size_t len, const char *what)
{
    *out = NULL;
    qa_safetensors *st = calloc(1, sizeof *st);
    if (!st || !(st->path = dupstr(what ? what : "(memory)"))) {
        free(st);
        return qa_error(QA_ERR_NOMEM, "out of memory");
    }
    st->bytes = bytes;
    st->size = len;
    qa_status s = parse_header(st);
    if (s) { qa_safetensors_close(st); return s; }
    *out = st;
    return QA_OK;
}

qa_status qa_safetensors_open(qa_safetensors **out, const char *path)
{
    *out = NULL;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return qa_error(QA_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return qa_error(QA_ERR_IO, "%s is not a regular file", path);
    }
    qa_safetensors *st = calloc(1, sizeof *st);
    if (!st || !(st->path = dupstr(path))) {
        free(st);
        close(fd);
        return qa_error(QA_ERR_NOMEM, "out of memory");
    }
    st->size = (size_t)sb.st_size;
    if (st->size > 0) {
        void *m = mmap(NULL, st->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            qa_status s = qa_error(QA_ERR_IO, "cannot map %s: %s", path, strerror(errno));
            close(fd);
            qa_safetensors_close(st);
            return s;
        }
        st->map = m;
        st->bytes = m;
    }
    close(fd);
    qa_status s = parse_header(st);
    if (s) { qa_safetensors_close(st); return s; }
    *out = st;
    return QA_OK;
}

const qa_st_tensor *qa_safetensors_find(const qa_safetensors *st, const char *name)
{
    for (int i = 0; i < st->n; i++)
        if (!strcmp(st->t[i].name, name)) return &st->t[i];
    return NULL;
}

const char *qa_safetensors_meta(const qa_safetensors *st, const char *key)
{
    for (int i = 0; i < st->nmeta; i++)
        if (!strcmp(st->meta[i].key, key)) return st->meta[i].value;
    return NULL;
}

/* ---- writing ---- */

typedef struct {
    char *s;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->n + n + 1) cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns) { b->oom = 1; return; }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}
static void sb_str(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }
static void sb_json_str(sbuf *b, const char *s)
{
    sb_add(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') { esc[0] = '\\'; esc[1] = (char)*p; sb_add(b, esc, 2); }
        else if (*p < 0x20) { snprintf(esc, sizeof esc, "\\u%04x", *p); sb_add(b, esc, 6); }
        else sb_add(b, (const char *)p, 1);
    }
    sb_add(b, "\"", 1);
}

typedef struct {
    const qa_st_entry *e;
    int index;
} ordered;

static int cmp_write_order(const void *a, const void *b)
{
    const ordered *x = a, *y = b;
    size_t sx = qa_st_dtype_size(x->e->dtype), sy = qa_st_dtype_size(y->e->dtype);
    if (sx != sy) return sx > sy ? -1 : 1;
    return strcmp(x->e->name, y->e->name);
}

/* Builds the padded header and the write order. */
static qa_status build_header(const qa_st_entry *entries, int n, const qa_st_write_opts *opts, sbuf *hb,
                              ordered **order_out, uint64_t *data_bytes)
{
    ordered *ord = malloc(((size_t)n + 1) * sizeof *ord);
    if (!ord) return qa_error(QA_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) ord[i] = (ordered){&entries[i], i};
    qsort(ord, (size_t)n, sizeof *ord, cmp_write_order);
    for (int i = 1; i < n; i++)
        if (!strcmp(ord[i].e->name, ord[i - 1].e->name)) {
            qa_status s = qa_error(QA_ERR_ARG, "tensor %s given twice", ord[i].e->name);
            free(ord);
            return s;
        }
    sb_str(hb, "{\"__metadata__\":{");
    if (opts && opts->meta) {
        for (int i = 0; i < opts->nmeta; i++) {
            if (i) sb_str(hb, ",");
            sb_json_str(hb, opts->meta[i].key);
            sb_str(hb, ":");
            sb_json_str(hb, opts->meta[i].value);
        }
    } else {
        sb_str(hb, "\"format\":\"pt\"");
    }
    sb_str(hb, "}");
    uint64_t pos = 0;
    for (int i = 0; i < n; i++) {
        const qa_st_entry *e = ord[i].e;
        uint64_t nb = (uint64_t)qa_st_numel(e->ndim, e->shape) * qa_st_dtype_size(e->dtype);
        char num[64];
        sb_str(hb, ",");
        sb_json_str(hb, e->name);
        sb_str(hb, ":{\"dtype\":\"");
        sb_str(hb, qa_st_dtype_name(e->dtype));
        sb_str(hb, "\",\"shape\":[");
        for (int d = 0; d < e->ndim; d++) {
            snprintf(num, sizeof num, d ? ",%lld" : "%lld", (long long)e->shape[d]);
            sb_str(hb, num);
        }
        snprintf(num, sizeof num, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)pos,
                 (unsigned long long)(pos + nb));
        sb_str(hb, num);
        pos += nb;
    }
    sb_str(hb, "}");
    while (hb->n % 8) sb_str(hb, " "); /* data area 8-byte aligned, as the reference writer does */
    if (hb->oom) { free(ord); return qa_error(QA_ERR_NOMEM, "out of memory building a safetensors header"); }
    *order_out = ord;
    *data_bytes = pos;
    return QA_OK;
}

uint64_t qa_safetensors_file_size(const qa_st_entry *entries, int n, const qa_st_write_opts *opts)
{
    sbuf hb = {0};
    ordered *ord = NULL;
    uint64_t data = 0;
    if (build_header(entries, n, opts, &hb, &ord, &data)) { free(hb.s); return 0; }
    uint64_t total = 8 + hb.n + data;
    free(hb.s);
    free(ord);
    return total;
}

#define CHUNK 65536 /* elements converted per write */

/* Writes numel elements of src (src_dtype) as dtype. */
static qa_status write_converted(FILE *f, const qa_st_entry *e, const void *src, qa_st_dtype src_dtype,
                                 int64_t numel, void *tmp)
{
    size_t osz = qa_st_dtype_size(e->dtype);
    if (src_dtype == e->dtype) {
        size_t nb = (size_t)numel * osz;
        if (nb && fwrite(src, 1, nb, f) != nb) return qa_error(QA_ERR_IO, "write failed (disk full?)");
        return QA_OK;
    }
    if (!is_float_dtype(src_dtype) || !is_float_dtype(e->dtype) || src_dtype == QA_ST_F64 || e->dtype == QA_ST_F64)
        return qa_error(QA_ERR_DTYPE, "tensor %s: cannot convert %s to %s", e->name, qa_st_dtype_name(src_dtype),
                        qa_st_dtype_name(e->dtype));
    float buf[CHUNK];
    qa_st_tensor view = {.name = (char *)e->name, .dtype = src_dtype, .numel = numel, .data = src};
    for (int64_t i = 0; i < numel; i += CHUNK) {
        int64_t c = numel - i < CHUNK ? numel - i : CHUNK;
        qa_status s = qa_st_to_f32(buf, &view, i, c);
        if (s) return s;
        unsigned char *o = tmp;
        for (int64_t k = 0; k < c; k++) {
            if (e->dtype == QA_ST_F32) memcpy(o + k * 4, &buf[k], 4);
            else {
                uint16_t h = e->dtype == QA_ST_BF16 ? qa_bf16_from_f32(buf[k]) : qa_f32_to_f16(buf[k]);
                memcpy(o + k * 2, &h, 2);
            }
        }
        if (fwrite(tmp, osz, (size_t)c, f) != (size_t)c) return qa_error(QA_ERR_IO, "write failed (disk full?)");
    }
    return QA_OK;
}

qa_status qa_safetensors_write(const char *path, const qa_st_entry *entries, int n, const qa_st_write_opts *opts)
{
    for (int i = 0; i < n; i++) {
        const qa_st_entry *e = &entries[i];
        if (!e->name || !e->name[0] || (int)e->dtype < 0 || e->dtype >= QA_ST_DTYPE_COUNT || e->ndim < 0 ||
            e->ndim > QA_ST_MAX_DIMS)
            return qa_error(QA_ERR_ARG, "%s: bad tensor entry %d", path, i);
        for (int d = 0; d < e->ndim; d++)
            if (e->shape[d] < 0) return qa_error(QA_ERR_ARG, "%s: tensor %s has a negative dimension", path, e->name);
        if (!e->src && !(opts && opts->fill))
            return qa_error(QA_ERR_ARG, "%s: tensor %s has no data and no fill callback", path, e->name);
    }
    sbuf hb = {0};
    ordered *ord = NULL;
    uint64_t data = 0;
    qa_status s = build_header(entries, n, opts, &hb, &ord, &data);
    if (s) { free(hb.s); return qa_error_wrap(s, "writing %s", path); }
    unsigned char *tmp = malloc((size_t)CHUNK * 8);
    float *fillbuf = NULL;
    qa_atomic_file af;
    if (!tmp) { s = qa_error(QA_ERR_NOMEM, "out of memory"); goto done; }
    if ((s = qa_atomic_file_open(&af, path))) goto done;
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)hb.n >> (8 * i));
    if (fwrite(len8, 1, 8, af.f) != 8 || fwrite(hb.s, 1, hb.n, af.f) != hb.n)
        s = qa_error(QA_ERR_IO, "write failed (disk full?)");
    for (int i = 0; i < n && !s; i++) {
        const qa_st_entry *e = ord[i].e;
        int64_t numel = qa_st_numel(e->ndim, e->shape);
        if (e->src) {
            s = write_converted(af.f, e, e->src, e->src_dtype, numel, tmp);
        } else {
            float *fb = realloc(fillbuf, (size_t)(numel ? numel : 1) * sizeof(float));
            if (!fb) { s = qa_error(QA_ERR_NOMEM, "out of memory for tensor %s (%lld elements)", e->name, (long long)numel); break; }
            fillbuf = fb;
            s = opts->fill(opts->fill_ctx, ord[i].index, fillbuf, numel);
            if (!s) s = write_converted(af.f, e, fillbuf, QA_ST_F32, numel, tmp);
        }
        if (s) s = qa_error_wrap(s, "tensor %s", e->name);
    }
    if (s) qa_atomic_file_abort(&af);
    else s = qa_atomic_file_commit(&af);
    if (s) s = qa_error_wrap(s, "writing %s", path);
done:
    free(tmp);
    free(fillbuf);
    free(hb.s);
    free(ord);
    return s;
}
