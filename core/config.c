/* core/config: see config.h. YAML is parsed with libyaml's document loader, copied into our own
 * node tree (with file:line on every node), then includes are merged and overrides applied. */
#include "core/config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "core/fileio.h"

#define MAX_INCLUDE_DEPTH 16

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) { memcpy(d, s, n); d[n] = '\0'; }
    return d;
}
static char *dup0(const char *s) { return s ? dupn(s, strlen(s)) : NULL; }

static void node_free(qa_config_node *n)
{
    if (!n) return;
    for (int i = 0; i < n->n; i++) node_free(n->items[i]);
    free(n->items);
    free(n->key);
    free(n->value);
    free(n);
}

void qa_config_free(qa_config *c)
{
    if (!c) return;
    node_free(c->root);
    for (int i = 0; i < c->nfiles; i++) free(c->files[i]);
    free(c->files);
    free(c);
}

static qa_config_node *node_new(qa_config_kind kind, const char *file, int line)
{
    qa_config_node *n = calloc(1, sizeof *n);
    if (n) { n->kind = kind; n->file = file; n->line = line; }
    return n;
}

static int node_push(qa_config_node *p, qa_config_node *c)
{
    if (p->n == p->cap) {
        int cap = p->cap ? p->cap * 2 : 8;
        qa_config_node **ni = realloc(p->items, (size_t)cap * sizeof *ni);
        if (!ni) return -1;
        p->items = ni;
        p->cap = cap;
    }
    p->items[p->n++] = c;
    return 0;
}

/* Interns a file name in c->files and returns the stored copy. */
static const char *intern_file(qa_config *c, const char *name)
{
    for (int i = 0; i < c->nfiles; i++)
        if (!strcmp(c->files[i], name)) return c->files[i];
    char **nf = realloc(c->files, (size_t)(c->nfiles + 1) * sizeof *nf);
    if (!nf) return NULL;
    c->files = nf;
    if (!(nf[c->nfiles] = dup0(name))) return NULL;
    return nf[c->nfiles++];
}

const char *qa_config_where(const qa_config_node *n, char *buf, int len)
{
    if (!n) snprintf(buf, (size_t)len, "(config)");
    else if (n->line > 0) snprintf(buf, (size_t)len, "%s:%d", n->file, n->line);
    else snprintf(buf, (size_t)len, "%s", n->file);
    return buf;
}

/* Copies libyaml node `id` of `doc` into a new tree node. */
static qa_status convert(yaml_document_t *doc, int id, const char *file, int depth, qa_config_node **out)
{
    *out = NULL;
    yaml_node_t *y = yaml_document_get_node(doc, id);
    if (!y) return qa_error(QA_ERR_CONFIG, "%s: broken YAML document", file);
    if (depth > 64) return qa_error(QA_ERR_CONFIG, "%s:%d: nesting too deep", file, (int)y->start_mark.line + 1);
    int line = (int)y->start_mark.line + 1;
    qa_config_node *n;
    switch (y->type) {
    case YAML_SCALAR_NODE:
        if (!(n = node_new(QA_CONFIG_SCALAR, file, line))) break;
        n->value = dupn((const char *)y->data.scalar.value, y->data.scalar.length);
        n->quoted = y->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                    y->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
        if (!n->value) { node_free(n); n = NULL; }
        *out = n;
        return n ? QA_OK : qa_error(QA_ERR_NOMEM, "out of memory reading %s", file);
    case YAML_SEQUENCE_NODE:
        if (!(n = node_new(QA_CONFIG_SEQ, file, line))) break;
        for (yaml_node_item_t *it = y->data.sequence.items.start; it < y->data.sequence.items.top; it++) {
            qa_config_node *c;
            qa_status s = convert(doc, *it, file, depth + 1, &c);
            if (!s && node_push(n, c)) { node_free(c); s = qa_error(QA_ERR_NOMEM, "out of memory"); }
            if (s) { node_free(n); return s; }
        }
        *out = n;
        return QA_OK;
    case YAML_MAPPING_NODE:
        if (!(n = node_new(QA_CONFIG_MAP, file, line))) break;
        for (yaml_node_pair_t *p = y->data.mapping.pairs.start; p < y->data.mapping.pairs.top; p++) {
            yaml_node_t *k = yaml_document_get_node(doc, p->key);
            if (!k || k->type != YAML_SCALAR_NODE) {
                node_free(n);
                return qa_error(QA_ERR_CONFIG, "%s:%d: a map key must be a plain scalar", file,
                                k ? (int)k->start_mark.line + 1 : line);
            }
            const char *key = (const char *)k->data.scalar.value;
            if (strchr(key, '.') || !key[0]) {
                node_free(n);
                return qa_error(QA_ERR_CONFIG, "%s:%d: key '%s' must be non-empty and must not contain '.'", file,
                                (int)k->start_mark.line + 1, key);
            }
            for (int i = 0; i < n->n; i++)
                if (!strcmp(n->items[i]->key, key)) {
                    qa_status s = qa_error(QA_ERR_CONFIG, "%s:%d: key '%s' appears twice in the same map (first at line %d)",
                                           file, (int)k->start_mark.line + 1, key, n->items[i]->line);
                    node_free(n);
                    return s;
                }
            qa_config_node *c;
            qa_status s = convert(doc, p->value, file, depth + 1, &c);
            if (!s && !(c->key = dup0(key))) { node_free(c); s = qa_error(QA_ERR_NOMEM, "out of memory"); }
            if (!s) c->line = (int)k->start_mark.line + 1; /* the key's line is what users look for */
            if (!s && node_push(n, c)) { node_free(c); s = qa_error(QA_ERR_NOMEM, "out of memory"); }
            if (s) { node_free(n); return s; }
        }
        *out = n;
        return QA_OK;
    default:
        return qa_error(QA_ERR_CONFIG, "%s:%d: unsupported YAML node", file, line);
    }
    return qa_error(QA_ERR_NOMEM, "out of memory reading %s", file);
}

/* Parses YAML text into a node tree (an empty document gives an empty map). */
static qa_status parse_text(qa_config *c, const char *text, size_t len, const char *file, qa_config_node **out)
{
    *out = NULL;
    const char *fname = intern_file(c, file);
    if (!fname) return qa_error(QA_ERR_NOMEM, "out of memory");
    yaml_parser_t p;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&p)) return qa_error(QA_ERR_NOMEM, "cannot initialise the YAML parser");
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    if (!yaml_parser_load(&p, &doc)) {
        qa_status s = qa_error(QA_ERR_CONFIG, "%s:%d:%d: YAML error: %s%s%s", fname, (int)p.problem_mark.line + 1,
                               (int)p.problem_mark.column + 1, p.problem ? p.problem : "malformed",
                               p.context ? " " : "", p.context ? p.context : "");
        yaml_parser_delete(&p);
        return s;
    }
    qa_status s = QA_OK;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        *out = node_new(QA_CONFIG_MAP, fname, 1);
        if (!*out) s = qa_error(QA_ERR_NOMEM, "out of memory");
    } else if (root->type != YAML_MAPPING_NODE) {
        s = qa_error(QA_ERR_CONFIG, "%s:%d: the top level must be a map of keys", fname, (int)root->start_mark.line + 1);
    } else {
        s = convert(&doc, 1, fname, 0, out);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&p);
    return s;
}

/* Merges src into dst (both maps); dst's own keys win; src is consumed. */
static qa_status merge_under(qa_config_node *dst, qa_config_node *src)
{
    for (int i = 0; i < src->n; i++) {
        qa_config_node *sc = src->items[i];
        qa_config_node *dc = NULL;
        for (int j = 0; j < dst->n; j++)
            if (!strcmp(dst->items[j]->key, sc->key)) dc = dst->items[j];
        if (!dc) {
            if (node_push(dst, sc)) return qa_error(QA_ERR_NOMEM, "out of memory");
            src->items[i] = NULL;
        } else if (dc->kind == QA_CONFIG_MAP && sc->kind == QA_CONFIG_MAP) {
            qa_status s = merge_under(dc, sc);
            if (s) return s;
        }
    }
    return QA_OK;
}

static qa_status load_file(qa_config *c, const char *path, int depth, const char **stack, qa_config_node **out);

/* Resolves `include:` keys in every map of the tree rooted at n (file `path`). */
static qa_status resolve_includes(qa_config *c, qa_config_node *n, const char *path, int depth, const char **stack)
{
    if (n->kind == QA_CONFIG_SCALAR) return QA_OK;
    for (int i = 0; i < n->n; i++) {
        qa_status s = resolve_includes(c, n->items[i], path, depth, stack);
        if (s) return s;
    }
    if (n->kind != QA_CONFIG_MAP) return QA_OK;
    int at = -1;
    for (int i = 0; i < n->n; i++)
        if (!strcmp(n->items[i]->key, "include")) at = i;
    if (at < 0) return QA_OK;
    qa_config_node *inc = n->items[at];
    memmove(&n->items[at], &n->items[at + 1], (size_t)(n->n - at - 1) * sizeof *n->items);
    n->n--;
    qa_status s = QA_OK;
    int count = inc->kind == QA_CONFIG_SEQ ? inc->n : 1;
    /* later includes win over earlier ones: merge in reverse order under the map's own keys */
    for (int k = count - 1; k >= 0 && !s; k--) {
        qa_config_node *item = inc->kind == QA_CONFIG_SEQ ? inc->items[k] : inc;
        char where[512];
        if (item->kind != QA_CONFIG_SCALAR) {
            s = qa_error(QA_ERR_CONFIG, "%s: include: expected a file name or a list of file names",
                         qa_config_where(item, where, sizeof where));
            break;
        }
        char *full = qa_path_relative_to(path, item->value);
        if (!full) { s = qa_error(QA_ERR_NOMEM, "out of memory"); break; }
        qa_config_node *sub = NULL;
        s = load_file(c, full, depth + 1, stack, &sub);
        if (s) s = qa_error_wrap(s, "%s: included from here", qa_config_where(item, where, sizeof where));
        else s = merge_under(n, sub);
        node_free(sub); /* merged children were moved out (set to NULL) */
        free(full);
    }
    node_free(inc);
    return s;
}

static qa_status load_file(qa_config *c, const char *path, int depth, const char **stack, qa_config_node **out)
{
    *out = NULL;
    if (depth >= MAX_INCLUDE_DEPTH) return qa_error(QA_ERR_CONFIG, "%s: includes nested more than %d deep", path, MAX_INCLUDE_DEPTH);
    for (int i = 0; i < depth; i++)
        if (!strcmp(stack[i], path)) return qa_error(QA_ERR_CONFIG, "%s: include cycle (the file includes itself)", path);
    char *text;
    size_t len;
    qa_status s = qa_file_read_all(path, &text, &len);
    if (s) return s;
    s = parse_text(c, text, len, path, out);
    free(text);
    if (s) return s;
    stack[depth] = path;
    s = resolve_includes(c, *out, path, depth, stack);
    if (s) { node_free(*out); *out = NULL; }
    return s;
}

qa_status qa_config_new(qa_config **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out) return qa_error(QA_ERR_NOMEM, "out of memory");
    const char *f = intern_file(*out, "(empty)");
    if (!f || !((*out)->root = node_new(QA_CONFIG_MAP, f, 0))) {
        qa_config_free(*out);
        *out = NULL;
        return qa_error(QA_ERR_NOMEM, "out of memory");
    }
    return QA_OK;
}

qa_status qa_config_load(qa_config **out, const char *path)
{
    *out = NULL;
    qa_config *c = calloc(1, sizeof *c);
    if (!c) return qa_error(QA_ERR_NOMEM, "out of memory");
    const char *stack[MAX_INCLUDE_DEPTH];
    qa_status s = load_file(c, path, 0, stack, &c->root);
    if (s) { qa_config_free(c); return s; }
    *out = c;
    return QA_OK;
}

qa_status qa_config_load_string(qa_config **out, const char *text, const char *name)
{
    *out = NULL;
    qa_config *c = calloc(1, sizeof *c);
    if (!c) return qa_error(QA_ERR_NOMEM, "out of memory");
    const char *stack[MAX_INCLUDE_DEPTH];
    qa_status s = parse_text(c, text, strlen(text), name, &c->root);
    if (!s) {
        stack[0] = name;
        s = resolve_includes(c, c->root, name, 0, stack);
    }
    if (s) { qa_config_free(c); return s; }
    *out = c;
    return QA_OK;
}

/* ---- lookup ---- */

qa_config_node *qa_config_child(qa_config_node *n, const char *key)
{
    if (!n) return NULL;
    if (n->kind == QA_CONFIG_MAP) {
        for (int i = 0; i < n->n; i++)
            if (!strcmp(n->items[i]->key, key)) { n->items[i]->used = 1; return n->items[i]; }
    } else if (n->kind == QA_CONFIG_SEQ) {
        char *end;
        long idx = strtol(key, &end, 10);
        if (*key && !*end && idx >= 0 && idx < n->n) { n->items[idx]->used = 1; return n->items[idx]; }
    }
    return NULL;
}

qa_config_node *qa_config_get(qa_config *c, const char *path)
{
    char part[256];
    qa_config_node *n = c->root;
    const char *p = path;
    while (n && *p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (len >= sizeof part) return NULL;
        memcpy(part, p, len);
        part[len] = '\0';
        n = qa_config_child(n, part);
        p += len + (dot ? 1 : 0);
    }
    return n;
}

static int is_null_scalar(const qa_config_node *n)
{
    return n->kind == QA_CONFIG_SCALAR && !n->quoted &&
           (!n->value[0] || !strcmp(n->value, "~") || !strcmp(n->value, "null") || !strcmp(n->value, "Null") ||
            !strcmp(n->value, "NULL"));
}

static qa_status expected(const qa_config_node *n, const char *path, const char *what)
{
    char where[512];
    if (n->kind != QA_CONFIG_SCALAR)
        return qa_error(QA_ERR_CONFIG, "%s: key %s: expected %s, found a %s", qa_config_where(n, where, sizeof where),
                        path, what, n->kind == QA_CONFIG_MAP ? "map" : "list");
    return qa_error(QA_ERR_CONFIG, "%s: key %s: expected %s, found '%.80s'", qa_config_where(n, where, sizeof where),
                    path, what, n->value);
}

qa_status qa_config_node_int(const qa_config_node *n, const char *path, long long *out)
{
    if (n->kind != QA_CONFIG_SCALAR || n->quoted) return expected(n, path, "an integer");
    const char *v = n->value;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 0);
    if (!*v || *end || errno) {
        /* accept integral numbers written like 1e6 or 1_000 is not YAML 1.1 core; keep it strict but
         * allow exponent notation when the value is an exact integer */
        double d = strtod(v, &end);
        if (!*v || *end || d != floor(d) || fabs(d) > 9.0e18) return expected(n, path, "an integer");
        x = (long long)d;
    }
    *out = x;
    return QA_OK;
}

qa_status qa_config_node_double(const qa_config_node *n, const char *path, double *out)
{
    if (n->kind != QA_CONFIG_SCALAR || n->quoted) return expected(n, path, "a number");
    const char *v = n->value;
    if (!strcasecmp(v, ".inf") || !strcasecmp(v, "+.inf")) { *out = INFINITY; return QA_OK; }
    if (!strcasecmp(v, "-.inf")) { *out = -INFINITY; return QA_OK; }
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (!*v || *end || errno == ERANGE || isnan(d) || !strcasecmp(v, "inf") || !strcasecmp(v, "infinity"))
        return expected(n, path, "a number");
    *out = d;
    return QA_OK;
}

qa_status qa_config_node_bool(const qa_config_node *n, const char *path, int *out)
{
    if (n->kind == QA_CONFIG_SCALAR && !n->quoted) {
        static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "on", NULL};
        static const char *const no[] = {"false", "False", "FALSE", "no", "No", "off", NULL};
        for (int i = 0; yes[i]; i++)
            if (!strcmp(n->value, yes[i])) { *out = 1; return QA_OK; }
        for (int i = 0; no[i]; i++)
            if (!strcmp(n->value, no[i])) { *out = 0; return QA_OK; }
    }
    return expected(n, path, "true or false");
}

qa_status qa_config_int(qa_config *c, const char *path, long long def, long long *out)
{
    qa_config_node *n = qa_config_get(c, path);
    if (!n || is_null_scalar(n)) { *out = def; return QA_OK; }
    return qa_config_node_int(n, path, out);
}

qa_status qa_config_double(qa_config *c, const char *path, double def, double *out)
{
    qa_config_node *n = qa_config_get(c, path);
    if (!n || is_null_scalar(n)) { *out = def; return QA_OK; }
    return qa_config_node_double(n, path, out);
}

qa_status qa_config_bool(qa_config *c, const char *path, int def, int *out)
{
    qa_config_node *n = qa_config_get(c, path);
    if (!n || is_null_scalar(n)) { *out = def; return QA_OK; }
    return qa_config_node_bool(n, path, out);
}

qa_status qa_config_str(qa_config *c, const char *path, const char *def, const char **out)
{
    qa_config_node *n = qa_config_get(c, path);
    if (!n || is_null_scalar(n)) { *out = def; return QA_OK; }
    if (n->kind != QA_CONFIG_SCALAR) return expected(n, path, "a string");
    *out = n->value;
    return QA_OK;
}

qa_status qa_config_require(qa_config *c, const char *path, qa_config_node **out)
{
    *out = qa_config_get(c, path);
    if (!*out || is_null_scalar(*out)) {
        char where[512];
        return qa_error(QA_ERR_CONFIG, "%s: required key %s is missing", qa_config_where(c->root, where, sizeof where), path);
    }
    return QA_OK;
}

/* ---- --set ---- */

qa_status qa_config_set(qa_config *c, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return qa_error(QA_ERR_CONFIG, "--set %s: expected KEY=VALUE (e.g. train.lr=1e-4)", assignment);
    /* parse the value as YAML ("k: VALUE") so that quoting and flow lists work as in files */
    size_t vlen = strlen(eq + 1);
    char *doc = malloc(vlen + 8);
    if (!doc) return qa_error(QA_ERR_NOMEM, "out of memory");
    memcpy(doc, "v: ", 3);
    memcpy(doc + 3, eq + 1, vlen + 1);
    qa_config_node *tree = NULL;
    qa_status s = parse_text(c, doc, strlen(doc), "--set", &tree);
    free(doc);
    if (s) return qa_error_wrap(s, "--set %s", assignment);
    qa_config_node *val = tree->items[0];
    tree->items[0] = NULL;
    tree->n = 0;
    node_free(tree);
    val->line = 0;
    free(val->key);
    val->key = NULL;
    /* walk/create the path */
    qa_config_node *n = c->root;
    const char *p = assignment;
    while (p < eq) {
        const char *dot = memchr(p, '.', (size_t)(eq - p));
        size_t len = dot ? (size_t)(dot - p) : (size_t)(eq - p);
        char *key = dupn(p, len);
        if (!key) { node_free(val); return qa_error(QA_ERR_NOMEM, "out of memory"); }
        if (!len) { free(key); node_free(val); return qa_error(QA_ERR_CONFIG, "--set %s: empty key part", assignment); }
        int last = !dot;
        qa_config_node *child = NULL;
        int idx = -1;
        if (n->kind == QA_CONFIG_MAP) {
            for (int i = 0; i < n->n; i++)
                if (!strcmp(n->items[i]->key, key)) { child = n->items[i]; idx = i; }
        } else if (n->kind == QA_CONFIG_SEQ) {
            char *end;
            long k = strtol(key, &end, 10);
            if (*end || k < 0 || k >= n->n) {
                qa_status e = qa_error(QA_ERR_CONFIG, "--set %s: '%s' is not an index of that list (0..%d)", assignment, key, n->n - 1);
                free(key);
                node_free(val);
                return e;
            }
            child = n->items[k];
            idx = (int)k;
        } else {
            free(key);
            node_free(val);
            return qa_error(QA_ERR_CONFIG, "--set %s: a parent of this key holds a value, not a map", assignment);
        }
        if (last) {
            val->key = n->kind == QA_CONFIG_MAP ? key : (free(key), (char *)NULL);
            if (child) { node_free(child); n->items[idx] = val; }
            else if (node_push(n, val)) { node_free(val); return qa_error(QA_ERR_NOMEM, "out of memory"); }
            return QA_OK;
        }
        if (!child) {
            child = node_new(QA_CONFIG_MAP, val->file, 0);
            if (!child || node_push(n, child)) { free(child); free(key); node_free(val); return qa_error(QA_ERR_NOMEM, "out of memory"); }
            child->key = key;
        } else {
            free(key);
        }
        n = child;
        p += len + 1;
    }
    node_free(val);
    return qa_error(QA_ERR_CONFIG, "--set %s: empty key", assignment);
}

/* ---- unknown keys ---- */

static const qa_config_node *find_unused(const qa_config_node *n, char *path, size_t cap)
{
    for (int i = 0; i < n->n; i++) {
        const qa_config_node *c = n->items[i];
        size_t len = strlen(path);
        if (n->kind == QA_CONFIG_MAP) snprintf(path + len, cap - len, "%s%s", len ? "." : "", c->key);
        else snprintf(path + len, cap - len, "%s%d", len ? "." : "", i);
        if (!c->used) return c;
        if (c->kind != QA_CONFIG_SCALAR) {
            const qa_config_node *u = find_unused(c, path, cap);
            if (u) return u;
        }
        path[len] = '\0';
    }
    return NULL;
}

qa_status qa_config_check_unused(qa_config *c, const char *prefix)
{
    char path[1024] = "";
    const qa_config_node *n = c->root;
    if (prefix && *prefix) {
        n = qa_config_get(c, prefix);
        if (!n) return QA_OK;
        snprintf(path, sizeof path, "%s", prefix);
    }
    if (n->kind == QA_CONFIG_SCALAR) return QA_OK;
    const qa_config_node *u = find_unused(n, path, sizeof path);
    if (!u) return QA_OK;
    char where[512];
    return qa_error(QA_ERR_CONFIG, "%s: unknown key %s (misspelt? remove it or check the documentation)",
                    qa_config_where(u, where, sizeof where), path);
}
