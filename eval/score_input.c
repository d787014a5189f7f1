/* eval/score_input: hypothesis/reference files and results jsonl for `qaudio score`
 * (see score_input.h). */
#include "eval/score_input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "core/fileio.h"

static qa_status own(qa_score_input *in, void *p) {
    if (!p) return qa_error(QA_ERR_NOMEM, "out of memory reading the score input");
    if (in->nowned == in->capowned) {
        size_t cap = in->capowned ? in->capowned * 2 : 64;
        void **o = realloc(in->owned, cap * sizeof *o);
        if (!o) { free(p); return qa_error(QA_ERR_NOMEM, "out of memory reading the score input"); }
        in->owned = o;
        in->capowned = cap;
    }
    in->owned[in->nowned++] = p;
    return QA_OK;
}

static qa_status group_for(qa_score_input *in, const char *source, qa_score_group **out) {
    for (size_t g = 0; g < in->ngroups; g++)
        if (!strcmp(in->groups[g].source, source)) { *out = &in->groups[g]; return QA_OK; }
    qa_score_group *gs = realloc(in->groups, (in->ngroups + 1) * sizeof *gs);
    if (!gs) return qa_error(QA_ERR_NOMEM, "out of memory");
    in->groups = gs;
    qa_score_group *g = &gs[in->ngroups];
    memset(g, 0, sizeof *g);
    char *src = strdup(source);
    qa_status st = own(in, src);
    if (st) return st;
    g->source = src;
    in->ngroups++;
    *out = g;
    return QA_OK;
}

static qa_status group_add(qa_score_group *g, const char *hyp, const char **refs, int nref) {
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 256;
        const char **h = realloc(g->hyp, cap * sizeof *h);
        if (!h) return qa_error(QA_ERR_NOMEM, "out of memory");
        g->hyp = h;
        qa_refset *r = realloc(g->ref, cap * sizeof *r);
        if (!r) return qa_error(QA_ERR_NOMEM, "out of memory");
        g->ref = r;
        g->cap = cap;
    }
    g->hyp[g->n] = hyp;
    g->ref[g->n] = (qa_refset){refs, nref};
    g->n++;
    return QA_OK;
}

static int valid_utf8(const char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        size_t k = i;
        uint32_t cp = qa_utf8_next(s, n, &i);
        if (cp == 0xFFFD && !(i - k == 3 && !memcmp(s + k, "\xEF\xBF\xBD", 3))) return 0;
    }
    return 1;
}

/* splits a file buffer into lines in place; returns the count through *n */
static qa_status split_lines(char *buf, size_t len, const char *path, char ***lines, size_t *n) {
    size_t count = 0, cap = 256;
    char **ls = malloc(cap * sizeof *ls);
    if (!ls) return qa_error(QA_ERR_NOMEM, "out of memory reading %s", path);
    size_t i = 0;
    while (i < len) {
        char *start = buf + i;
        char *nl = memchr(start, '\n', len - i);
        size_t l = nl ? (size_t)(nl - start) : len - i;
        i += l + (nl ? 1 : 0);
        if (l && start[l - 1] == '\r') l--;
        start[l] = 0;
        if (memchr(start, 0, l)) { free(ls); return qa_error(QA_ERR_FORMAT, "%s:%zu: NUL byte in a text line", path, count + 1); }
        if (!valid_utf8(start, l)) {
            free(ls);
            return qa_error(QA_ERR_FORMAT, "%s:%zu: invalid UTF-8 (convert the file to UTF-8)", path, count + 1);
        }
        if (count == cap) {
            cap *= 2;
            char **p = realloc(ls, cap * sizeof *p);
            if (!p) { free(ls); return qa_error(QA_ERR_NOMEM, "out of memory reading %s", path); }
            ls = p;
        }
        ls[count++] = start;
    }
    *lines = ls;
    *n = count;
    return QA_OK;
}

qa_status qa_score_input_read_pair(qa_score_input *in, const char *hyp_path, const char *ref_path) {
    memset(in, 0, sizeof *in);
    char *hb = NULL, *rb = NULL, **hl = NULL, **rl = NULL;
    size_t hlen, rlen, nh = 0, nr = 0;
    qa_status st = qa_file_read_all(hyp_path, &hb, &hlen);
    if (!st) st = own(in, hb);
    if (!st) st = qa_file_read_all(ref_path, &rb, &rlen);
    if (!st) st = own(in, rb);
    if (!st) st = split_lines(hb, hlen, hyp_path, &hl, &nh);
    if (!st) st = split_lines(rb, rlen, ref_path, &rl, &nr);
    if (!st && nh != nr)
        st = qa_error(QA_ERR_FORMAT, "%s has %zu lines but %s has %zu: hypotheses and references must pair line by line",
                      hyp_path, nh, ref_path, nr);
    qa_score_group *g = NULL;
    if (!st) st = group_for(in, "", &g);
    for (size_t i = 0; i < nh && !st; i++) {
        int nref = 1;
        for (char *p = rl[i]; *p; p++) nref += *p == '\t';
        const char **refs = malloc((size_t)nref * sizeof *refs);
        if ((st = own(in, (void *)refs))) break;
        int k = 0;
        refs[k++] = rl[i];
        for (char *p = rl[i]; *p; p++)
            if (*p == '\t') { *p = 0; refs[k++] = p + 1; }
        st = group_add(g, hl[i], refs, nref);
    }
    free(hl);
    free(rl);
    if (st) qa_score_input_free(in);
    return st;
}

/* `where` names the object in messages: "FILE:LINE" (jsonl) or "FILE item N" (JSON list) */
static qa_status json_str(qa_score_input *in, const cJSON *v, const char *where, const char *key, const char **out) {
    if (!cJSON_IsString(v) || !v->valuestring)
        return qa_error(QA_ERR_FORMAT, "%s: \"%s\" must be a string", where, key);
    char *s = strdup(v->valuestring);
    qa_status st = own(in, s);
    if (st) return st;
    if (!valid_utf8(s, strlen(s))) return qa_error(QA_ERR_FORMAT, "%s: \"%s\" is not valid UTF-8", where, key);
    *out = s;
    return QA_OK;
}

/* one result object (a jsonl line or an item of a JSON list) */
static qa_status add_result(qa_score_input *in, const cJSON *o, const char *path, size_t n, int item) {
    char where[4200];
    snprintf(where, sizeof where, item ? "%s item %zu" : "%s:%zu", path, n);
    if (!cJSON_IsObject(o)) return qa_error(QA_ERR_FORMAT, "%s: not a JSON object", where);
    const cJSON *gt = cJSON_GetObjectItemCaseSensitive(o, "gt");
    const cJSON *resp = cJSON_GetObjectItemCaseSensitive(o, "response");
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(o, "source");
    const char *hyp = NULL, *source = "";
    const char **refs = NULL;
    int nref;
    qa_status st = QA_OK;
    if (!gt || !resp) return qa_error(QA_ERR_FORMAT, "%s: \"gt\" and \"response\" are required", where);
    if ((st = json_str(in, resp, where, "response", &hyp))) return st;
    if (src && (st = json_str(in, src, where, "source", &source))) return st;
    nref = cJSON_IsArray(gt) ? cJSON_GetArraySize(gt) : 1;
    if (nref < 1) return qa_error(QA_ERR_FORMAT, "%s: \"gt\" is an empty list", where);
    refs = malloc((size_t)nref * sizeof *refs);
    if ((st = own(in, (void *)refs))) return st;
    if (cJSON_IsArray(gt)) {
        for (int k = 0; k < nref && !st; k++) st = json_str(in, cJSON_GetArrayItem(gt, k), where, "gt[]", &refs[k]);
    } else {
        st = json_str(in, gt, where, "gt", &refs[0]);
    }
    qa_score_group *g = NULL;
    if (!st) st = group_for(in, source, &g);
    if (!st) st = group_add(g, hyp, refs, nref);
    return st;
}

qa_status qa_score_input_read_results(qa_score_input *in, const char *path) {
    memset(in, 0, sizeof *in);
    char *buf = NULL, **lines = NULL;
    size_t len, n = 0;
    qa_status st = qa_file_read_all(path, &buf, &len);
    if (!st) st = own(in, buf);
    const char *first = buf;
    while (!st && (*first == ' ' || *first == '\t' || *first == '\n' || *first == '\r')) first++;
    if (!st && *first == '[') {
        /* the reference harness' json.dump(list) form: one JSON list of result objects */
        if (!valid_utf8(buf, len)) st = qa_error(QA_ERR_FORMAT, "%s: invalid UTF-8", path);
        cJSON *arr = st ? NULL : cJSON_Parse(buf);
        if (!st && !cJSON_IsArray(arr)) {
            const char *e = cJSON_GetErrorPtr();
            size_t line = 1;
            for (const char *p = buf; e && p < e && *p; p++) line += *p == '\n';
            st = qa_error(QA_ERR_FORMAT, "%s:%zu: not a valid JSON list of results", path, line);
        }
        size_t k = 0;
        const cJSON *it;
        if (!st)
            cJSON_ArrayForEach(it, arr) {
                k++;
                if ((st = add_result(in, it, path, k, 1))) break;
            }
        cJSON_Delete(arr);
    } else {
        if (!st) st = split_lines(buf, len, path, &lines, &n);
        for (size_t i = 0; i < n && !st; i++) {
            const char *l = lines[i];
            while (*l == ' ' || *l == '\t') l++;
            if (!*l) continue; /* blank lines are allowed */
            cJSON *o = cJSON_Parse(l);
            if (!o) st = qa_error(QA_ERR_FORMAT, "%s:%zu: not a JSON object", path, i + 1);
            else st = add_result(in, o, path, i + 1, 0);
            cJSON_Delete(o);
        }
    }
    if (!st && in->ngroups == 0) st = qa_error(QA_ERR_FORMAT, "%s: no result lines", path);
    free(lines);
    if (st) qa_score_input_free(in);
    return st;
}

void qa_score_input_free(qa_score_input *in) {
    if (!in) return;
    for (size_t g = 0; g < in->ngroups; g++) {
        free(in->groups[g].hyp);
        free(in->groups[g].ref);
    }
    free(in->groups);
    for (size_t k = 0; k < in->nowned; k++) free(in->owned[k]);
    free(in->owned);
    memset(in, 0, sizeof *in);
}
