/* eval/pyre: re.sub over PCRE2 (see pyre.h). */
#include "eval/pyre.h"

#include <string.h>

qa_status qa_re_compile(qa_re *re, const char *pattern) {
    int err;
    PCRE2_SIZE off;
    re->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &err, &off, NULL);
    if (!re->code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        return qa_error(QA_ERR_INTERNAL, "regex '%s' does not compile at %zu: %s", pattern, (size_t)off, (char *)msg);
    }
    (void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE); /* falls back to the interpreter when JIT is unavailable */
    re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
    if (!re->md) {
        pcre2_code_free(re->code);
        re->code = NULL;
        return qa_error(QA_ERR_NOMEM, "out of memory compiling a regex");
    }
    return QA_OK;
}

void qa_re_free(qa_re *re) {
    if (!re) return;
    pcre2_match_data_free(re->md);
    pcre2_code_free(re->code);
    re->md = NULL;
    re->code = NULL;
}

static qa_status expand(qa_strbuf *dst, const char *tmpl, const char *s, const PCRE2_SIZE *ov, int ng) {
    qa_status st = QA_OK;
    for (const char *p = tmpl; *p && !st; p++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '9') {
            int g = p[1] - '0';
            p++;
            if (g < ng && ov[2 * g] != PCRE2_UNSET) st = qa_strbuf_putn(dst, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
        } else {
            st = qa_strbuf_putc(dst, *p);
        }
    }
    return st;
}

int qa_re_search(qa_re *re, const char *s, size_t n, size_t start, size_t *ms, size_t *me) {
    int rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, start, PCRE2_NO_UTF_CHECK, re->md, NULL);
    if (rc < 0) return 0;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);
    *ms = ov[0];
    *me = ov[1];
    return 1;
}

qa_status qa_re_sub(qa_re *re, qa_strbuf *dst, const char *s, size_t n, const char *tmpl, qa_re_repl_fn fn, void *ud) {
    qa_strbuf_clear(dst);
    qa_status st = qa_strbuf_putn(dst, "", 0);
    size_t pos = 0;
    while (!st && pos <= n) {
        int rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, pos, PCRE2_NO_UTF_CHECK, re->md, NULL);
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) return qa_error(QA_ERR_FORMAT, "regex match failed (code %d) on '%.40s'", rc, s);
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);
        int ng = (int)pcre2_get_ovector_count(re->md);
        if (ov[0] < pos || ov[1] < ov[0]) break; /* \K tricks are not used; be safe */
        st = qa_strbuf_putn(dst, s + pos, ov[0] - pos);
        if (!st) st = fn ? fn(dst, s, ov, rc > ng ? ng : rc, ud) : expand(dst, tmpl, s, ov, rc);
        if (st) break;
        if (ov[1] == ov[0]) { /* empty match: copy one character and move on */
            if (ov[1] >= n) { pos = n + 1; break; }
            size_t i = ov[1];
            (void)qa_utf8_next(s, n, &i);
            st = qa_strbuf_putn(dst, s + ov[1], i - ov[1]);
            pos = i;
        } else {
            pos = ov[1];
        }
    }
    if (!st && pos < n) st = qa_strbuf_putn(dst, s + pos, n - pos);
    return st;
}
