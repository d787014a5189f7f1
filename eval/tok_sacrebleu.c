/* eval/tok_sacrebleu: sacrebleu's tokenizers "13a", "zh" and "none" (sacrebleu 1.5.1 = 2.x on
 * these), reproduced rule by rule:
 *   13a: drop "<skipped>", join "-\n", "\n" -> " ", unescape &quot; &amp; &lt; &gt; (in that
 *        order, only when the line has '&'), then the mteval regexps below on " line ".
 *   zh:  Python strip(), a space on both sides of every "Chinese" character (the code-point
 *        ranges below, INCLUDING sacrebleu's mistyped ranges '\u20000'..'\u2a6d6' and
 *        '\u2f800'..'\u2fa1d', which Python reads as two-character strings and which therefore
 *        cover U+2001..U+2A6D and U+2F81..U+2FA1 and NOT the supplementary CJK planes), then
 *        the same regexps on the unpadded line (a leading ".5" stays whole).
 *   regexps, applied in order as re.sub does (left to right, non-overlapping):
 *     ([\{-\~\[-\` -\&\(-\+\:-\@\/]) -> " \1 "
 *     ([^0-9])([\.,])                 -> "\1 \2 "
 *     ([\.,])([^0-9])                 -> " \1 \2"
 *     ([0-9])(-)                      -> "\1 \2 "
 *   then ' '.join(line.split()).
 * The regexps only name ASCII characters, so running them over bytes gives the same result as
 * over code points (a multi-byte character can only play the role of [^0-9]). */
#include <string.h>

#include "eval/metrics.h"

static int in_class13a(unsigned char c) {
    return (c >= '{' && c <= '~') || (c >= '[' && c <= '`') || (c >= ' ' && c <= '&') ||
           (c >= '(' && c <= '+') || (c >= ':' && c <= '@') || c == '/';
}
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_pc(unsigned char c) { return c == '.' || c == ','; }

/* replaces every occurrence of `from` by `to` in b (into tmp, then swaps) */
static qa_status replace_all(qa_strbuf *b, qa_strbuf *tmp, const char *from, const char *to) {
    if (!b->s || !strstr(b->s, from)) return QA_OK;
    qa_strbuf_clear(tmp);
    size_t fl = strlen(from);
    const char *p = b->s, *q;
    qa_status st = QA_OK;
    while (!st && (q = strstr(p, from))) {
        st = qa_strbuf_putn(tmp, p, (size_t)(q - p));
        if (!st) st = qa_strbuf_puts(tmp, to);
        p = q + fl;
    }
    if (!st) st = qa_strbuf_puts(tmp, p);
    qa_strbuf x = *b;
    *b = *tmp;
    *tmp = x;
    return st;
}

static int is_chinese_char(uint32_t c) {
    static const uint32_t r[][2] = {
        {0x3400, 0x4db5}, {0x4e00, 0x9fa5}, {0x9fa6, 0x9fbb}, {0xf900, 0xfa2d}, {0xfa30, 0xfa6a},
        {0xfa70, 0xfad9},
        {0x2001, 0x2a6d}, /* sacrebleu's ('\u20000', '\u2a6d6') as Python compares it */
        {0x2f81, 0x2fa1}, /* sacrebleu's ('\u2f800', '\u2fa1d') as Python compares it */
        {0xff00, 0xffef}, {0x2e80, 0x2eff}, {0x3000, 0x303f}, {0x31c0, 0x31ef}, {0x2f00, 0x2fdf},
        {0x2ff0, 0x2fff}, {0x3100, 0x312f}, {0x31a0, 0x31bf}, {0xfe10, 0xfe1f}, {0xfe30, 0xfe4f},
        {0x2600, 0x26ff}, {0x2700, 0x27bf}, {0x3200, 0x32ff}, {0x3300, 0x33ff},
    };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        if (c >= r[i][0] && c <= r[i][1]) return 1;
    return 0;
}

/* the four mteval regexps, then whitespace normalisation; src -> dst */
static qa_status regexp_post(qa_strbuf *dst, const char *s, size_t n, qa_strbuf *t1, qa_strbuf *t2) {
    qa_status st = QA_OK;
    qa_strbuf_clear(t1);
    for (size_t i = 0; i < n && !st; i++) {
        unsigned char c = (unsigned char)s[i];
        if (in_class13a(c)) {
            char tmp[3] = {' ', (char)c, ' '};
            st = qa_strbuf_putn(t1, tmp, 3);
        } else {
            st = qa_strbuf_putc(t1, (char)c);
        }
    }
    if (st) return st;
    /* ([^0-9])([\.,]) -> "\1 \2 " */
    qa_strbuf_clear(t2);
    const char *a = t1->s ? t1->s : "";
    size_t an = t1->len;
    for (size_t i = 0; i < an && !st;) {
        if (i + 1 < an && !is_digit((unsigned char)a[i]) && is_pc((unsigned char)a[i + 1])) {
            char tmp[4] = {a[i], ' ', a[i + 1], ' '};
            st = qa_strbuf_putn(t2, tmp, 4);
            i += 2;
        } else {
            st = qa_strbuf_putc(t2, a[i++]);
        }
    }
    if (st) return st;
    /* ([\.,])([^0-9]) -> " \1 \2" */
    qa_strbuf_clear(t1);
    a = t2->s ? t2->s : "";
    an = t2->len;
    for (size_t i = 0; i < an && !st;) {
        if (i + 1 < an && is_pc((unsigned char)a[i]) && !is_digit((unsigned char)a[i + 1])) {
            char tmp[4] = {' ', a[i], ' ', a[i + 1]};
            st = qa_strbuf_putn(t1, tmp, 4);
            i += 2;
        } else {
            st = qa_strbuf_putc(t1, a[i++]);
        }
    }
    if (st) return st;
    /* ([0-9])(-) -> "\1 \2 " */
    qa_strbuf_clear(t2);
    a = t1->s ? t1->s : "";
    an = t1->len;
    for (size_t i = 0; i < an && !st;) {
        if (i + 1 < an && is_digit((unsigned char)a[i]) && a[i + 1] == '-') {
            char tmp[4] = {a[i], ' ', '-', ' '};
            st = qa_strbuf_putn(t2, tmp, 4);
            i += 2;
        } else {
            st = qa_strbuf_putc(t2, a[i++]);
        }
    }
    if (st) return st;
    /* ' '.join(line.split()) */
    a = t2->s ? t2->s : "";
    an = t2->len;
    int first = 1;
    size_t i = 0, start, end;
    while (!st && qa_text_next_word(a, an, &i, &start, &end)) {
        if (!first) st = qa_strbuf_putc(dst, ' ');
        if (!st) st = qa_strbuf_putn(dst, a + start, end - start);
        first = 0;
    }
    return st;
}

/* Python str.rstrip() / str.strip() bounds over code points */
static void py_strip(const char *s, size_t n, int left, size_t *b, size_t *e) {
    size_t i = 0, lo = 0, hi = 0;
    int seen = 0;
    while (i < n) {
        size_t start = i;
        uint32_t cp = qa_utf8_next(s, n, &i);
        if (!qa_text_is_space(cp)) {
            if (!seen) lo = start;
            seen = 1;
            hi = i;
        }
    }
    if (!seen) { *b = *e = 0; return; }
    *b = left ? lo : 0;
    *e = hi;
}

qa_status qa_bleu_tokenize(qa_strbuf *dst, const char *s, qa_bleu_tok tok) {
    size_t b, e, n = strlen(s);
    py_strip(s, n, 0, &b, &e); /* BLEU rstrips every segment before tokenizing */
    qa_strbuf line = {0}, t1 = {0}, t2 = {0};
    qa_status st = QA_OK;
    if (tok == QA_BLEU_TOK_NONE) {
        st = qa_strbuf_putn(dst, s + b, e - b);
    } else if (tok == QA_BLEU_TOK_13A) {
        st = qa_strbuf_putc(&line, ' ');
        if (!st) st = qa_strbuf_putn(&line, s + b, e - b);
        if (!st) st = qa_strbuf_putc(&line, ' ');
        if (!st) st = replace_all(&line, &t1, "<skipped>", "");
        if (!st) st = replace_all(&line, &t1, "-\n", "");
        if (!st) st = replace_all(&line, &t1, "\n", " ");
        if (!st && strchr(line.s, '&')) {
            st = replace_all(&line, &t1, "&quot;", "\"");
            if (!st) st = replace_all(&line, &t1, "&amp;", "&");
            if (!st) st = replace_all(&line, &t1, "&lt;", "<");
            if (!st) st = replace_all(&line, &t1, "&gt;", ">");
        }
        if (!st) st = regexp_post(dst, line.s, line.len, &t1, &t2);
    } else {
        size_t lb, le;
        py_strip(s + b, e - b, 1, &lb, &le);
        const char *p = s + b + lb;
        size_t pn = le - lb, i = 0;
        /* no padding space here (13a pads, zh does not): a padded leading ".5" would split */
        while (i < pn && !st) {
            size_t start = i;
            uint32_t cp = qa_utf8_next(p, pn, &i);
            if (is_chinese_char(cp)) {
                st = qa_strbuf_putc(&line, ' ');
                if (!st) st = qa_strbuf_putn(&line, p + start, i - start);
                if (!st) st = qa_strbuf_putc(&line, ' ');
            } else {
                st = qa_strbuf_putn(&line, p + start, i - start);
            }
        }
        if (!st) st = regexp_post(dst, line.s, line.len, &t1, &t2);
    }
    qa_strbuf_free(&line);
    qa_strbuf_free(&t1);
    qa_strbuf_free(&t2);
    return st;
}
