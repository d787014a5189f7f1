/* core/npy: see npy.h. The header is a Python dict literal; we parse the three keys we need
 * ('descr', 'fortran_order', 'shape') with a small scanner rather than a general parser. */
#include "core/npy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"

static const struct { qa_npy_dtype t; const char *descr; size_t size; } dtype_table[] = {
    {QA_NPY_F32, "<f4", 4}, {QA_NPY_F64, "<f8", 8}, {QA_NPY_F16, "<f2", 2}, {QA_NPY_I8, "|i1", 1},
    {QA_NPY_U8, "|u1", 1},  {QA_NPY_I16, "<i2", 2}, {QA_NPY_I32, "<i4", 4}, {QA_NPY_I64, "<i8", 8},
    {QA_NPY_BOOL, "|b1", 1},
};
#define DTYPE_COUNT (sizeof dtype_table / sizeof dtype_table[0])

size_t qa_npy_dtype_size(qa_npy_dtype t)
{
    for (size_t i = 0; i < DTYPE_COUNT; i++)
        if (dtype_table[i].t == t) return dtype_table[i].size;
    return 0;
}

void qa_npy_free(qa_npy *a)
{
    if (!a) return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* Finds the value that follows 'key': in the header dict; NULL if absent. */
static const char *find_key(const char *hdr, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(hdr, pat);
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ') p++;
    if (*p != ':') return NULL;
    p++;
    while (*p == ' ') p++;
    return p;
}

qa_status qa_npy_parse(const void *buf, size_t len, const char *name, qa_npy *out)
{
    const unsigned char *b = buf;
    memset(out, 0, sizeof *out);
    if (len < 10 || memcmp(b, "\x93NUMPY", 6) != 0)
        return qa_error(QA_ERR_FORMAT, "%s: not a .npy file (bad magic)", name);
    int major = b[6];
    size_t hlen, hstart;
    if (major == 1) {
        hlen = (size_t)b[8] | ((size_t)b[9] << 8);
        hstart = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12) return qa_error(QA_ERR_FORMAT, "%s: truncated .npy header", name);
        hlen = (size_t)b[8] | ((size_t)b[9] << 8) | ((size_t)b[10] << 16) | ((size_t)b[11] << 24);
        hstart = 12;
    } else {
        return qa_error(QA_ERR_FORMAT, "%s: unsupported .npy version %d", name, major);
    }
    if (hlen > len - hstart) return qa_error(QA_ERR_FORMAT, "%s: truncated .npy header", name);
    char *hdr = malloc(hlen + 1);
    if (!hdr) return qa_error(QA_ERR_NOMEM, "out of memory reading %s", name);
    memcpy(hdr, b + hstart, hlen);
    hdr[hlen] = '\0';

    qa_status s = QA_OK;
    const char *d = find_key(hdr, "descr");
    const char *fo = find_key(hdr, "fortran_order");
    const char *sh = find_key(hdr, "shape");
    if (!d || !fo || !sh) { s = qa_error(QA_ERR_FORMAT, "%s: .npy header lacks descr/fortran_order/shape", name); goto done; }
    if (strncmp(fo, "False", 5) != 0) { s = qa_error(QA_ERR_UNSUPPORTED, "%s: Fortran-order arrays are not supported; save with np.ascontiguousarray", name); goto done; }
    int found = 0;
    for (size_t i = 0; i < DTYPE_COUNT; i++) {
        char q[8];
        snprintf(q, sizeof q, "'%s'", dtype_table[i].descr);
        /* '<u1' and '|u1' are the same for one-byte types */
        if (!strncmp(d, q, 5) || (dtype_table[i].size == 1 && d[0] == '\'' && !strncmp(d + 2, dtype_table[i].descr + 1, 2))) {
            out->dtype = dtype_table[i].t;
            found = 1;
            break;
        }
    }
    if (!found) { s = qa_error(QA_ERR_UNSUPPORTED, "%s: unsupported dtype %.8s (expected little-endian f2/f4/f8/i1/u1/i2/i4/i8/b1)", name, d); goto done; }
    if (*sh != '(') { s = qa_error(QA_ERR_FORMAT, "%s: bad shape in .npy header", name); goto done; }
    const char *p = sh + 1;
    size_t count = 1;
    while (*p && *p != ')') {
        while (*p == ' ' || *p == ',') p++;
        if (*p == ')') break;
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v < 0) { s = qa_error(QA_ERR_FORMAT, "%s: bad shape in .npy header", name); goto done; }
        if (out->ndim == QA_NPY_MAX_DIMS) { s = qa_error(QA_ERR_UNSUPPORTED, "%s: more than %d dimensions", name, QA_NPY_MAX_DIMS); goto done; }
        out->shape[out->ndim++] = v;
        if (v != 0 && count > SIZE_MAX / (size_t)v) { s = qa_error(QA_ERR_FORMAT, "%s: shape too large", name); goto done; }
        count *= (size_t)v;
        p = end;
    }
    if (*p != ')') { s = qa_error(QA_ERR_FORMAT, "%s: bad shape in .npy header", name); goto done; }
    size_t esz = qa_npy_dtype_size(out->dtype);
    size_t dstart = hstart + hlen;
    if (count > (SIZE_MAX - 1) / esz || len - dstart < count * esz) {
        s = qa_error(QA_ERR_FORMAT, "%s: truncated .npy data (need %zu bytes at offset %zu, file has %zu)",
                     name, count * esz, dstart, len);
        goto done;
    }
    out->count = count;
    out->data = malloc(count * esz != 0 ? count * esz : 1);
    if (!out->data) { s = qa_error(QA_ERR_NOMEM, "out of memory reading %s", name); goto done; }
    memcpy(out->data, b + dstart, count * esz);
done:
    free(hdr);
    if (s) { free(out->data); memset(out, 0, sizeof *out); }
    return s;
}

qa_status qa_npy_read(const char *path, qa_npy *out)
{
    char *buf;
    size_t len;
    qa_status s = qa_file_read_all(path, &buf, &len);
    if (s) return s;
    s = qa_npy_parse(buf, len, path, out);
    free(buf);
    return s;
}

qa_status qa_npy_write(const char *path, qa_npy_dtype dtype, int ndim, const int64_t *shape, const void *data)
{
    const char *descr = NULL;
    size_t esz = 0;
    for (size_t i = 0; i < DTYPE_COUNT; i++)
        if (dtype_table[i].t == dtype) { descr = dtype_table[i].descr; esz = dtype_table[i].size; }
    if (!descr) return qa_error(QA_ERR_ARG, "qa_npy_write: unknown dtype");
    if (ndim < 0 || ndim > QA_NPY_MAX_DIMS) return qa_error(QA_ERR_ARG, "qa_npy_write: bad ndim %d", ndim);
    char hdr[512];
    int n = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        n += snprintf(hdr + n, sizeof hdr - (size_t)n, "%lld%s", (long long)shape[i], (ndim == 1 || i + 1 < ndim) ? ", " : "");
        count *= (size_t)shape[i];
    }
    if (ndim == 1) n -= 1; /* "(5,)" not "(5, )" */
    n += snprintf(hdr + n, sizeof hdr - (size_t)n, "), }");
    /* pad with spaces so that magic(6)+version(2)+len(2)+header+'\n' is a multiple of 64 */
    size_t total = 10 + (size_t)n + 1;
    size_t pad = (64 - total % 64) % 64;
    memset(hdr + n, ' ', pad);
    n += (int)pad;
    hdr[n++] = '\n';
    qa_atomic_file af;
    qa_status s = qa_atomic_file_open(&af, path);
    if (s) return s;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(n & 0xff), (unsigned char)(n >> 8)};
    fwrite(pre, 1, 10, af.f);
    fwrite(hdr, 1, (size_t)n, af.f);
    if (count) fwrite(data, esz, count, af.f);
    return qa_atomic_file_commit(&af);
}
