/* eval/datasets/ed_util: CSV/TSV and line readers, directory listing, paths, string map for the
 * benchmark adapters (see ed_util.h). */
#include "eval/datasets/ed_util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/fileio.h"

static char *dup_s(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

char *qa_ed_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* ---------------------------------------------------------------------------------------- CSV */

qa_status qa_ed_csv_open(qa_ed_csv *c, const char *path, char sep, int quoting)
{
    memset(c, 0, sizeof *c);
    qa_status s = qa_file_read_all(path, &c->data, &c->len);
    if (s) return s;
    c->path = dup_s(path);
    if (!c->path) {
        free(c->data);
        c->data = NULL;
        return qa_error(QA_ERR_NOMEM, "out of memory reading %s", path);
    }
    c->sep = sep;
    c->quoting = quoting;
    c->line = 1;
    if (c->len >= 3 && !memcmp(c->data, "\xEF\xBB\xBF", 3)) c->pos = 3; /* UTF-8 BOM */
    return QA_OK;
}

qa_status qa_ed_csv_open_mem(qa_ed_csv *c, const char *name, const char *data, size_t len, char sep, int quoting)
{
    memset(c, 0, sizeof *c);
    c->data = malloc(len + 1);
    c->path = dup_s(name);
    if (!c->data || !c->path) {
        free(c->data);
        free(c->path);
        memset(c, 0, sizeof *c);
        return qa_error(QA_ERR_NOMEM, "out of memory reading %s", name);
    }
    if (len) memcpy(c->data, data, len);
    c->data[len] = '\0';
    c->len = len;
    c->sep = sep;
    c->quoting = quoting;
    c->line = 1;
    if (len >= 3 && !memcmp(c->data, "\xEF\xBB\xBF", 3)) c->pos = 3;
    return QA_OK;
}

void qa_ed_csv_close(qa_ed_csv *c)
{
    free(c->path);
    free(c->data);
    free(c->buf);
    free(c->offs);
    free(c->fields);
    memset(c, 0, sizeof *c);
}

static int csv_putc(qa_ed_csv *c, char ch)
{
    if (c->buf_len + 1 >= c->buf_cap) {
        size_t cap = c->buf_cap ? c->buf_cap * 2 : 256;
        char *nb = realloc(c->buf, cap);
        if (!nb) return -1;
        c->buf = nb;
        c->buf_cap = cap;
    }
    c->buf[c->buf_len++] = ch;
    return 0;
}

static int csv_new_field(qa_ed_csv *c)
{
    if (c->nf == c->cap) {
        int cap = c->cap ? c->cap * 2 : 16;
        size_t *no = realloc(c->offs, (size_t)cap * sizeof *no);
        if (!no) return -1;
        c->offs = no;
        char **nfld = realloc(c->fields, (size_t)cap * sizeof *nfld);
        if (!nfld) return -1;
        c->fields = nfld;
        c->cap = cap;
    }
    c->offs[c->nf++] = c->buf_len;
    return 0;
}

/* At data[pos]: 1 if a line ends here ("\n", "\r\n" or end of data), consuming it. */
static int csv_eol(qa_ed_csv *c)
{
    if (c->pos >= c->len) return 1;
    if (c->data[c->pos] == '\n') {
        c->pos++;
        c->line++;
        return 1;
    }
    if (c->data[c->pos] == '\r' && c->pos + 1 < c->len && c->data[c->pos + 1] == '\n') {
        c->pos += 2;
        c->line++;
        return 1;
    }
    if (c->data[c->pos] == '\r' && c->pos + 1 == c->len) {
        c->pos++;
        return 1;
    }
    return 0;
}

qa_status qa_ed_csv_next(qa_ed_csv *c, int *got)
{
    *got = 0;
    for (;;) {
        if (c->pos >= c->len) return QA_OK;
        /* skip blank lines, as Python's csv.DictReader does */
        if (csv_eol(c)) continue;
        break;
    }
    c->row_line = c->line;
    c->nf = 0;
    c->buf_len = 0;
    for (;;) { /* one field per iteration */
        if (csv_new_field(c)) return qa_error(QA_ERR_NOMEM, "out of memory reading %s", c->path);
        if (c->quoting && c->pos < c->len && c->data[c->pos] == '"') {
            size_t qline = c->line;
            c->pos++;
            for (;;) {
                if (c->pos >= c->len)
                    return qa_error(QA_ERR_FORMAT, "%s:%zu: unterminated quoted field (opened on line %zu): "
                                    "fix the quoting of that row", c->path, c->line, qline);
                char ch = c->data[c->pos];
                if (ch == '"') {
                    if (c->pos + 1 < c->len && c->data[c->pos + 1] == '"') {
                        if (csv_putc(c, '"')) return qa_error(QA_ERR_NOMEM, "out of memory reading %s", c->path);
                        c->pos += 2;
                        continue;
                    }
                    c->pos++;
                    break;
                }
                if (ch == '\n') c->line++;
                if (csv_putc(c, ch)) return qa_error(QA_ERR_NOMEM, "out of memory reading %s", c->path);
                c->pos++;
            }
            if (csv_putc(c, '\0')) return qa_error(QA_ERR_NOMEM, "out of memory reading %s", c->path);
            if (c->pos < c->len && c->data[c->pos] == c->sep) {
                c->pos++;
                continue;
            }
            if (csv_eol(c)) break;
            return qa_error(QA_ERR_FORMAT, "%s:%zu: unexpected character '%c' after a closing quote "
                            "(a quote inside a quoted field must be doubled: \"\")",
                            c->path, c->line, c->data[c->pos]);
        }
        int end_row = 0;
        for (;;) {
            if (csv_eol(c)) {
                end_row = 1;
                break;
            }
            char ch = c->data[c->pos];
            if (ch == c->sep) {
                c->pos++;
                break;
            }
            if (c->escape && ch == c->escape && c->pos + 1 < c->len) {
                ch = c->data[++c->pos];
                if (ch == '\n') c->line++;
            }
            if (csv_putc(c, ch)) return qa_error(QA_ERR_NOMEM, "out of memory reading %s", c->path);
            c->pos++;
        }
        if (csv_putc(c, '\0')) return qa_error(QA_ERR_NOMEM, "out of memory reading %s", c->path);
        if (end_row) break;
    }
    for (int i = 0; i < c->nf; i++) c->fields[i] = c->buf + c->offs[i];
    *got = 1;
    return QA_OK;
}

int qa_ed_csv_col(const qa_ed_csv *c, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < c->nf; i++) {
        const char *f = c->fields[i];
        while (*f == ' ') f++;
        size_t m = strlen(f);
        while (m > 0 && (f[m - 1] == ' ' || f[m - 1] == '\r')) m--;
        if (m == n && !memcmp(f, name, n)) return i;
    }
    return -1;
}

/* -------------------------------------------------------------------------------------- lines */

qa_status qa_ed_csv_header(qa_ed_csv *c, const char *const *names, int n, int *cols, const char *expected)
{
    int got;
    qa_status s = qa_ed_csv_next(c, &got);
    if (s) return s;
    for (int i = 0; i < n; i++) {
        cols[i] = got ? qa_ed_csv_col(c, names[i]) : -1;
        if (cols[i] < 0)
            return qa_error(QA_ERR_FORMAT, "%s:1: header has no column '%s' (expected %s)", c->path, names[i],
                            expected);
    }
    c->nhead = c->nf;
    return QA_OK;
}

qa_status qa_ed_csv_row(qa_ed_csv *c, int *got)
{
    qa_status s = qa_ed_csv_next(c, got);
    if (!s && *got && c->nhead && c->nf != c->nhead)
        s = qa_error(QA_ERR_FORMAT, "%s:%zu: %d fields, the header has %d (an unquoted separator in a field?)",
                     c->path, c->row_line, c->nf, c->nhead);
    return s;
}

qa_status qa_ed_lines_open(qa_ed_lines *r, const char *path)
{
    memset(r, 0, sizeof *r);
    qa_status s = qa_file_read_all(path, &r->data, &r->len);
    if (s) return s;
    r->path = dup_s(path);
    if (!r->path) {
        free(r->data);
        r->data = NULL;
        return qa_error(QA_ERR_NOMEM, "out of memory reading %s", path);
    }
    if (r->len >= 3 && !memcmp(r->data, "\xEF\xBB\xBF", 3)) r->pos = 3;
    return QA_OK;
}

int qa_ed_lines_next(qa_ed_lines *r, char **out)
{
    if (r->pos >= r->len) return 0;
    char *start = r->data + r->pos;
    char *nl = memchr(start, '\n', r->len - r->pos);
    size_t n = nl ? (size_t)(nl - start) : r->len - r->pos;
    r->pos += n + (nl ? 1 : 0);
    start[n] = '\0';
    if (n > 0 && start[n - 1] == '\r') start[n - 1] = '\0';
    r->line++;
    *out = start;
    return 1;
}

void qa_ed_lines_close(qa_ed_lines *r)
{
    free(r->path);
    free(r->data);
    memset(r, 0, sizeof *r);
}

char *qa_ed_trim(char *s)
{
    while (*s && isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

int qa_ed_split_key(char *line, char **key, char **rest)
{
    char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (!*p) return 0;
    *key = p;
    while (*p && *p != ' ' && *p != '\t') p++;
    if (*p) {
        *p++ = '\0';
        while (*p == ' ' || *p == '\t') p++;
    }
    *rest = p;
    size_t n = strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) p[--n] = '\0';
    return 1;
}

/* -------------------------------------------------------------------------------------- paths */

char *qa_ed_join(const char *a, const char *b)
{
    if (b[0] == '/' || !a[0]) return dup_s(b);
    size_t na = strlen(a);
    while (na > 1 && a[na - 1] == '/') na--;
    return qa_ed_fmt("%.*s/%s", (int)na, a, b);
}

char *qa_ed_join3(const char *a, const char *b, const char *c)
{
    char *ab = qa_ed_join(a, b);
    if (!ab) return NULL;
    char *abc = qa_ed_join(ab, c);
    free(ab);
    return abc;
}

int qa_ed_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int qa_ed_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *qa_ed_basename(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Natural order: runs of digits compare by value, everything else bytewise. */
static int natural_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (*a == '0' && isdigit((unsigned char)a[1])) a++;
            while (*b == '0' && isdigit((unsigned char)b[1])) b++;
            size_t la = 0, lb = 0;
            while (isdigit((unsigned char)a[la])) la++;
            while (isdigit((unsigned char)b[lb])) lb++;
            if (la != lb) return la < lb ? -1 : 1;
            int d = memcmp(a, b, la);
            if (d) return d;
            a += la;
            b += lb;
            continue;
        }
        if (*a != *b) return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    return *a ? 1 : (*b ? -1 : 0);
}

static int cmp_names(const void *x, const void *y)
{
    const char *a = *(const char *const *)x, *b = *(const char *const *)y;
    int d = natural_cmp(a, b);
    return d ? d : strcmp(a, b);
}

static int has_suffix_ci(const char *name, const char *suffix)
{
    size_t n = strlen(name), m = strlen(suffix);
    return n >= m && !strcasecmp(name + n - m, suffix);
}

void qa_ed_names_free(char **names, int n)
{
    if (!names) return;
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}

qa_status qa_ed_list_dir(const char *dir, int want_dirs, const char *suffix, char ***names, int *n)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return qa_error(QA_ERR_IO, "cannot open folder %s: %s", dir, strerror(errno));
    char **v = NULL;
    int cnt = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (!want_dirs && suffix && !has_suffix_ci(e->d_name, suffix)) continue;
        char *full = qa_ed_join(dir, e->d_name);
        if (!full) goto oom;
        int keep = want_dirs ? qa_ed_is_dir(full) : qa_ed_is_file(full);
        free(full);
        if (!keep) continue;
        if (cnt == cap) {
            cap = cap ? cap * 2 : 64;
            char **nv = realloc(v, (size_t)cap * sizeof *nv);
            if (!nv) goto oom;
            v = nv;
        }
        if (!(v[cnt] = dup_s(e->d_name))) goto oom;
        cnt++;
    }
    closedir(d);
    if (cnt > 1) qsort(v, (size_t)cnt, sizeof *v, cmp_names);
    *names = v;
    *n = cnt;
    return QA_OK;
oom:
    closedir(d);
    qa_ed_names_free(v, cnt);
    return qa_error(QA_ERR_NOMEM, "out of memory listing %s", dir);
}

/* ---------------------------------------------------------------------------------------- map */

qa_status qa_ed_map_put(qa_ed_map *m, const char *key, const char *val)
{
    if (m->n == m->cap) {
        int cap = m->cap ? m->cap * 2 : 256;
        char **nk = realloc(m->keys, (size_t)cap * sizeof *nk);
        if (!nk) return qa_error(QA_ERR_NOMEM, "out of memory");
        m->keys = nk;
        char **nv = realloc(m->vals, (size_t)cap * sizeof *nv);
        if (!nv) return qa_error(QA_ERR_NOMEM, "out of memory");
        m->vals = nv;
        m->cap = cap;
    }
    char *k = dup_s(key), *v = dup_s(val);
    if (!k || !v) {
        free(k);
        free(v);
        return qa_error(QA_ERR_NOMEM, "out of memory");
    }
    m->keys[m->n] = k;
    m->vals[m->n] = v;
    m->n++;
    m->sorted = 0;
    return QA_OK;
}

/* Sorting permutes keys and values together through an index array; stable so that the first
 * of duplicate keys stays first. */
typedef struct {
    char *k, *v;
    int i;
} kv;

static int cmp_kv(const void *x, const void *y)
{
    const kv *a = x, *b = y;
    int d = strcmp(a->k, b->k);
    return d ? d : (a->i > b->i) - (a->i < b->i);
}

const char *qa_ed_map_get(qa_ed_map *m, const char *key)
{
    if (!m->n) return NULL;
    if (!m->sorted) {
        kv *t = malloc((size_t)m->n * sizeof *t);
        if (!t) { /* out of memory: answer by a linear scan rather than fail */
            for (int i = 0; i < m->n; i++)
                if (!strcmp(m->keys[i], key)) return m->vals[i];
            return NULL;
        }
        for (int i = 0; i < m->n; i++) t[i] = (kv){m->keys[i], m->vals[i], i};
        qsort(t, (size_t)m->n, sizeof *t, cmp_kv);
        for (int i = 0; i < m->n; i++) {
            m->keys[i] = t[i].k;
            m->vals[i] = t[i].v;
        }
        free(t);
        m->sorted = 1;
    }
    int lo = 0, hi = m->n - 1, found = -1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int d = strcmp(m->keys[mid], key);
        if (d < 0) lo = mid + 1;
        else {
            if (!d) found = mid;
            hi = mid - 1;
        }
    }
    return found >= 0 ? m->vals[found] : NULL;
}

qa_status qa_ed_load_transcripts(qa_ed_map *m, const char *path)
{
    qa_ed_lines r;
    qa_status s = qa_ed_lines_open(&r, path);
    if (s) return s;
    char *line;
    while (!s && qa_ed_lines_next(&r, &line)) {
        char *id, *text;
        if (!qa_ed_split_key(line, &id, &text)) continue;
        if (!*text) {
            s = qa_error(QA_ERR_FORMAT, "%s:%zu: utterance %s has no transcript text", path, r.line, id);
            break;
        }
        char *flat = qa_ed_strip_spaces(text);
        s = flat ? qa_ed_map_put(m, id, flat) : qa_error(QA_ERR_NOMEM, "out of memory");
        free(flat);
    }
    qa_ed_lines_close(&r);
    return s;
}

void qa_ed_map_free(qa_ed_map *m)
{
    for (int i = 0; i < m->n; i++) {
        free(m->keys[i]);
        free(m->vals[i]);
    }
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

char *qa_ed_strip_spaces(const char *s)
{
    char *d = malloc(strlen(s) + 1);
    if (!d) return NULL;
    size_t j = 0;
    for (; *s; s++)
        if (*s != ' ' && *s != '\t') d[j++] = *s;
    d[j] = '\0';
    return d;
}
