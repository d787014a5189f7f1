/* eval/normalize_numbers: Whisper's EnglishNumberNormalizer (whisper/normalizers/english.py),
 * rule for rule: spelled-out numbers become digits ("twenty one" -> "21", "one oh one" -> "101",
 * "two thousand and five" -> "2005"), ordinals and plurals keep their suffix ("twentieth" ->
 * "20th"), currency words become prefixes ("twenty dollars" -> "$20"), "percent" -> "%",
 * then the pre- and post-processing regexes ("and a half", "half a million", letter/digit
 * boundaries, "$2 and ¢7" -> "$2.07", "1" -> "one").
 *
 * Python integers are unbounded; we use 128-bit integers (up to 1.7e38, which covers every
 * "... decillion" phrase of three-digit groups). A longer digit string keeps its digits as text,
 * so arithmetic on it (rare: a 39-digit number followed by "million") differs from Python. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/normalize.h"

typedef __int128 i128;

static const char *const kOnes[20] = {NULL, "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                                      "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
                                      "eighteen", "nineteen"};
static const char *const kTens[10] = {NULL, NULL, "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"};
static const char *const kMult[12] = {"hundred", "thousand", "million", "billion", "trillion", "quadrillion",
                                      "quintillion", "sextillion", "septillion", "octillion", "nonillion", "decillion"};
static const int kMultExp[12] = {2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33};

static int eq(const char *a, const char *b) { return a && b && !strcmp(a, b); }
/* ones_plural / ones_ordinal: value and suffix, or -1 */
static int ones_suffixed(const char *w, const char **suffix) {
    static const struct { const char *w; int v; const char *s; } special[] = {
        {"zeroth", 0, "th"}, {"first", 1, "st"}, {"second", 2, "nd"}, {"third", 3, "rd"}, {"fifth", 5, "th"}, {"twelfth", 12, "th"}};
    if (!w) return -1;
    for (size_t k = 0; k < sizeof special / sizeof special[0]; k++)
        if (eq(w, special[k].w)) { *suffix = special[k].s; return special[k].v; }
    char buf[32];
    for (int i = 1; i < 20; i++) {
        snprintf(buf, sizeof buf, "%s", i == 6 ? "sixes" : kOnes[i]);
        if (i != 6) strcat(buf, "s");
        if (eq(w, buf)) { *suffix = "s"; return i; }
        if (i > 3 && i != 5 && i != 12) {
            size_t l = strlen(kOnes[i]);
            snprintf(buf, sizeof buf, "%s%s", kOnes[i], kOnes[i][l - 1] == 't' ? "h" : "th");
            if (eq(w, buf)) { *suffix = "th"; return i; }
        }
    }
    return -1;
}
static const char *preceding_prefix(const char *w) {
    if (eq(w, "minus") || eq(w, "negative")) return "-";
    if (eq(w, "plus") || eq(w, "positive")) return "+";
    return NULL;
}
static const char *following_prefix(const char *w) {
    if (eq(w, "pound") || eq(w, "pounds")) return "£";
    if (eq(w, "euro") || eq(w, "euros")) return "€";
    if (eq(w, "dollar") || eq(w, "dollars")) return "$";
    if (eq(w, "cent") || eq(w, "cents")) return "¢";
    return NULL;
}
/* ^\d+(\.\d+)?$ with ASCII digits */
static int is_numeric(const char *w) {
    if (!w) return 0;
    const char *p = w;
    if (!(*p >= '0' && *p <= '9')) return 0;
    while (*p >= '0' && *p <= '9') p++;
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9')) return 0;
        while (*p >= '0' && *p <= '9') p++;
    }
    return *p == 0;
}
/* the first code point of w is one of - + £ € $ ¢: returns its byte length, else 0 */
static size_t prefix_len(const char *w) {
    if (w[0] == '-' || w[0] == '+' || w[0] == '$') return 1;
    if (!strncmp(w, "£", 2) || !strncmp(w, "¢", 2)) return 2;
    if (!strncmp(w, "€", 3)) return 3;
    return 0;
}

enum { K_ZERO = 1, K_ONES, K_ONES_SFX, K_TENS, K_TENS_SFX, K_MULT, K_MULT_SFX, K_PRE, K_FOL, K_SUFFIXER, K_SPECIAL };

static int word_cmp(const void *a, const void *b) { return strcmp(((const qa_num_word *)a)->w, ((const qa_num_word *)b)->w); }

static void add_word(qa_num_norm *nn, const char *w, int kind, int value, const char *sym) {
    if (nn->nwords >= (int)(sizeof nn->words / sizeof nn->words[0])) return;
    qa_num_word *e = &nn->words[nn->nwords++];
    size_t l = strlen(w);
    if (l >= sizeof e->w) l = sizeof e->w - 1; /* never: the longest word is 14 bytes */
    memcpy(e->w, w, l);
    e->w[l] = 0;
    e->kind = kind;
    e->value = value;
    snprintf(e->sym, sizeof e->sym, "%s", sym ? sym : "");
}

/* the vocabulary of EnglishNumberNormalizer.__init__, built from the rules above */
static void build_words(qa_num_norm *nn) {
    static const char *const zeros[] = {"o", "oh", "zero"};
    static const char *const specials[] = {"and", "double", "triple", "point"};
    static const char *const allw[] = {"minus", "negative", "plus", "positive", "pound", "pounds", "euro", "euros",
                                       "dollar", "dollars", "cent", "cents", "per", "percent"};
    nn->nwords = 0;
    for (int i = 0; i < 3; i++) add_word(nn, zeros[i], K_ZERO, 0, NULL);
    for (int i = 1; i < 20; i++) add_word(nn, kOnes[i], K_ONES, i, NULL);
    for (int i = 2; i < 10; i++) add_word(nn, kTens[i], K_TENS, i * 10, NULL);
    for (int i = 0; i < 12; i++) add_word(nn, kMult[i], K_MULT, kMultExp[i], NULL);
    for (int i = 0; i < 4; i++) add_word(nn, specials[i], K_SPECIAL, 0, NULL);
    for (int i = 0; i < 14; i++) {
        const char *w = allw[i], *sym;
        if ((sym = preceding_prefix(w))) add_word(nn, w, K_PRE, 0, sym);
        else if ((sym = following_prefix(w))) add_word(nn, w, K_FOL, 0, sym);
        else add_word(nn, w, K_SUFFIXER, 0, NULL);
    }
    /* suffixed forms: enumerate candidate spellings through the generators */
    char buf[32];
    const char *sfx;
    for (int i = 0; i < 20; i++) {
        const char *base = i ? kOnes[i] : "zero";
        const char *forms[4] = {"s", "es", "th", "h"};
        for (int f = 0; f < 4; f++) {
            snprintf(buf, sizeof buf, "%s%s", base, forms[f]);
            int v = ones_suffixed(buf, &sfx);
            if (v >= 0) add_word(nn, buf, K_ONES_SFX, v, sfx);
        }
    }
    static const char *const ordinals[] = {"first", "second", "third", "fifth", "twelfth"};
    for (int k = 0; k < 5; k++) {
        int v = ones_suffixed(ordinals[k], &sfx);
        add_word(nn, ordinals[k], K_ONES_SFX, v, sfx);
    }
    for (int i = 2; i < 10; i++) {
        size_t l = strlen(kTens[i]) - 1;
        snprintf(buf, sizeof buf, "%.*sies", (int)l, kTens[i]);
        add_word(nn, buf, K_TENS_SFX, i * 10, "s");
        snprintf(buf, sizeof buf, "%.*sieth", (int)l, kTens[i]);
        add_word(nn, buf, K_TENS_SFX, i * 10, "th");
    }
    for (int i = 0; i < 12; i++) {
        snprintf(buf, sizeof buf, "%ss", kMult[i]);
        add_word(nn, buf, K_MULT_SFX, kMultExp[i], "s");
        snprintf(buf, sizeof buf, "%sth", kMult[i]);
        add_word(nn, buf, K_MULT_SFX, kMultExp[i], "th");
    }
    qsort(nn->words, (size_t)nn->nwords, sizeof nn->words[0], word_cmp);
}

static const qa_num_word *lookup(const qa_num_norm *nn, const char *w) {
    if (!w) return NULL;
    size_t lo = 0, hi = (size_t)nn->nwords;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(nn->words[mid].w, w);
        if (c == 0) return &nn->words[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}
#define KIND(p, k) ((p) && (p)->kind == (k))
#define VAL(p, k) (KIND(p, k) ? (p)->value : -1)
#define SYM(p, k) (KIND(p, k) ? (p)->sym : NULL)

enum { V_NONE = 0, V_INT, V_STR };
typedef struct {
    int kind;
    i128 i;
    qa_strbuf s;
    char prefix[8]; /* "" = None */
    int has_prefix;
    qa_strbuf *out;
    qa_strbuf tmp;
} numstate;

static void i128_str(char *buf, i128 v) {
    char t[48];
    int k = 0;
    if (v == 0) t[k++] = '0';
    while (v > 0) { t[k++] = (char)('0' + (int)(v % 10)); v /= 10; }
    for (int j = 0; j < k; j++) buf[j] = t[k - 1 - j];
    buf[k] = 0;
}

/* value as text (str(value)); into st->tmp */
static qa_status value_text(numstate *st) {
    qa_strbuf_clear(&st->tmp);
    if (st->kind == V_INT) {
        char b[48];
        i128_str(b, st->i);
        return qa_strbuf_puts(&st->tmp, b);
    }
    return qa_strbuf_putn(&st->tmp, st->s.s ? st->s.s : "", st->s.len);
}

/* output(result): prefix + result, then value = prefix = None */
static qa_status emit(numstate *st, const char *txt, size_t n) {
    qa_status r = QA_OK;
    if (st->out->len) r = qa_strbuf_putc(st->out, ' ');
    if (!r && st->has_prefix) r = qa_strbuf_puts(st->out, st->prefix);
    if (!r) r = qa_strbuf_putn(st->out, txt, n);
    st->kind = V_NONE;
    st->has_prefix = 0;
    return r;
}
static qa_status emit_value(numstate *st) {
    qa_status r = value_text(st);
    if (r) return r;
    qa_strbuf x = st->tmp; /* emit may not touch tmp */
    return emit(st, x.s ? x.s : "", x.len);
}
static qa_status emit_value_suffix(numstate *st, const char *extra, const char *suffix) {
    qa_status r = value_text(st);
    if (!r && extra) r = qa_strbuf_puts(&st->tmp, extra);
    if (!r && suffix) r = qa_strbuf_puts(&st->tmp, suffix);
    if (r) return r;
    qa_strbuf x = st->tmp;
    return emit(st, x.s ? x.s : "", x.len);
}
static void set_int(numstate *st, i128 v) { st->kind = V_INT; st->i = v; }
/* value = str(value) + text  (value None -> "" first when `or_empty`) */
static qa_status set_str_append(numstate *st, const char *text) {
    qa_status r = value_text(st);
    if (r) return r;
    qa_strbuf_clear(&st->s);
    r = qa_strbuf_putn(&st->s, st->tmp.s ? st->tmp.s : "", st->tmp.len);
    if (!r) r = qa_strbuf_puts(&st->s, text);
    st->kind = V_STR;
    return r;
}
/* str(value or ""): None and int 0 are falsy */
static qa_status set_str_or_empty_append(numstate *st, const char *text) {
    if (st->kind == V_NONE || (st->kind == V_INT && st->i == 0)) {
        qa_strbuf_clear(&st->s);
        st->kind = V_STR;
        return qa_strbuf_puts(&st->s, text);
    }
    return set_str_append(st, text);
}

/* Fraction(value) * 10^exp when it is an integer: returns 1 and *out; 0 otherwise (not a
 * number, not integral, or beyond 128 bits) */
static int frac_times(const char *v, int exp, i128 *out) {
    const char *p = v, *dot = strchr(v, '.');
    if (!*p || (p[0] == '.' && !(p[1] >= '0' && p[1] <= '9'))) return 0;
    for (const char *q = v; *q; q++)
        if (!((*q >= '0' && *q <= '9') || (q == dot))) return 0;
    size_t il = dot ? (size_t)(dot - v) : strlen(v);
    const char *dec = dot ? dot + 1 : "";
    size_t dl = strlen(dec);
    while (dl > 0 && dec[dl - 1] == '0') dl--;
    if ((int)dl > exp) return 0;
    i128 r = 0;
    const i128 lim = (((i128)1) << 126);
    for (size_t k = 0; k < il; k++) {
        if (r > lim / 10) return 0;
        r = r * 10 + (v[k] - '0');
    }
    for (int k = 0; k < exp; k++) {
        if (r > lim / 10) return 0;
        r = r * 10 + ((size_t)k < dl ? dec[k] - '0' : 0);
    }
    *out = r;
    return 1;
}
static i128 pow10_i128(int e) {
    i128 r = 1;
    while (e-- > 0) r *= 10;
    return r;
}

static qa_status process_words(const qa_num_norm *nn, qa_strbuf *out, char **w, size_t nw) {
    numstate st = {0};
    st.out = out;
    qa_status r = QA_OK;
    int skip = 0;
    for (size_t i = 0; i < nw && !r; i++) {
        if (skip) { skip = 0; continue; }
        const char *prev = i > 0 ? w[i - 1] : NULL, *cur = w[i], *next = i + 1 < nw ? w[i + 1] : NULL;
        int next_is_numeric = is_numeric(next);
        const qa_num_word *pp = lookup(nn, prev), *cw = lookup(nn, cur), *np = lookup(nn, next);
        size_t pl = prefix_len(cur);
        const char *cwp = cur + pl;
        const char *sfx = NULL;
        int v;
        if (is_numeric(cwp)) {
            if (st.kind != V_NONE) {
                if (st.kind == V_STR && st.s.len && st.s.s[st.s.len - 1] == '.') {
                    r = set_str_append(&st, cur); /* decimals / ip address parts */
                    continue;
                }
                if ((r = emit_value(&st))) break;
            }
            if (pl) { memcpy(st.prefix, cur, pl); st.prefix[pl] = 0; st.has_prefix = 1; }
            i128 iv;
            if (frac_times(cwp, 0, &iv)) set_int(&st, iv); /* integral (also "3.0") */
            else {
                qa_strbuf_clear(&st.s);
                st.kind = V_STR;
                const char *dot = strchr(cwp, '.');
                int integral = 1;
                for (const char *q = dot ? dot + 1 : ""; *q; q++) integral &= *q == '0';
                if (integral) { /* too long for 128 bits: keep the digits (documented) */
                    const char *q = cwp;
                    while (*q == '0' && q[1] && q[1] != '.') q++;
                    r = qa_strbuf_putn(&st.s, q, dot ? (size_t)(dot - q) : strlen(q));
                } else {
                    r = qa_strbuf_puts(&st.s, cwp);
                }
            }
        } else if (!cw) {
            if (st.kind != V_NONE && (r = emit_value(&st))) break;
            r = emit(&st, cur, strlen(cur));
        } else if (KIND(cw, K_ZERO)) {
            r = set_str_or_empty_append(&st, "0");
        } else if ((v = VAL(cw, K_ONES)) >= 0) {
            char d[16];
            snprintf(d, sizeof d, "%d", v);
            if (st.kind == V_NONE) set_int(&st, v);
            else if (st.kind == V_STR || VAL(pp, K_ONES) >= 0) {
                if (VAL(pp, K_TENS) >= 0 && v < 10 && st.kind == V_STR && st.s.len && st.s.s[st.s.len - 1] == '0')
                    st.s.s[st.s.len - 1] = d[0]; /* replace the last zero with the digit */
                else r = set_str_append(&st, d);
            } else if (v < 10) {
                if (st.i % 10 == 0) st.i += v;
                else r = set_str_append(&st, d);
            } else {
                if (st.i % 100 == 0) st.i += v;
                else r = set_str_append(&st, d);
            }
        } else if ((v = (sfx = SYM(cw, K_ONES_SFX), VAL(cw, K_ONES_SFX))) >= 0) {
            char d[16];
            snprintf(d, sizeof d, "%d", v);
            if (st.kind == V_NONE) {
                char b[32];
                snprintf(b, sizeof b, "%d%s", v, sfx);
                r = emit(&st, b, strlen(b));
            } else if (st.kind == V_STR || VAL(pp, K_ONES) >= 0) {
                if (VAL(pp, K_TENS) >= 0 && v < 10 && st.kind == V_STR && st.s.len && st.s.s[st.s.len - 1] == '0') {
                    st.s.s[st.s.len - 1] = d[0];
                    r = emit_value_suffix(&st, NULL, sfx);
                } else {
                    r = emit_value_suffix(&st, d, sfx);
                }
            } else if (v < 10) {
                if (st.i % 10 == 0) { st.i += v; r = emit_value_suffix(&st, NULL, sfx); }
                else r = emit_value_suffix(&st, d, sfx);
            } else {
                if (st.i % 100 == 0) { st.i += v; r = emit_value_suffix(&st, NULL, sfx); }
                else r = emit_value_suffix(&st, d, sfx);
            }
            st.kind = V_NONE;
        } else if ((v = VAL(cw, K_TENS)) >= 0) {
            char d[16];
            snprintf(d, sizeof d, "%d", v);
            if (st.kind == V_NONE) set_int(&st, v);
            else if (st.kind == V_STR) r = set_str_append(&st, d);
            else if (st.i % 100 == 0) st.i += v;
            else r = set_str_append(&st, d);
        } else if ((v = (sfx = SYM(cw, K_TENS_SFX), VAL(cw, K_TENS_SFX))) >= 0) {
            char d[16];
            snprintf(d, sizeof d, "%d", v);
            if (st.kind == V_NONE) {
                char b[32];
                snprintf(b, sizeof b, "%d%s", v, sfx);
                r = emit(&st, b, strlen(b));
            } else if (st.kind == V_STR) r = emit_value_suffix(&st, d, sfx);
            else if (st.i % 100 == 0) { st.i += v; r = emit_value_suffix(&st, NULL, sfx); }
            else r = emit_value_suffix(&st, d, sfx);
        } else if ((v = VAL(cw, K_MULT)) >= 0) {
            i128 m = pow10_i128(v), p;
            if (st.kind == V_NONE) set_int(&st, m);
            else if (st.kind == V_STR || st.i == 0) {
                int ok = st.kind == V_INT ? (p = 0, 1) : frac_times(st.s.s ? st.s.s : "", v, &p);
                if (ok) set_int(&st, p);
                else {
                    if ((r = emit_value(&st))) break;
                    set_int(&st, m);
                }
            } else {
                i128 before = st.i / 1000 * 1000, residual = st.i % 1000;
                st.i = before + residual * m;
            }
        } else if ((v = (sfx = SYM(cw, K_MULT_SFX), VAL(cw, K_MULT_SFX))) >= 0) {
            i128 m = pow10_i128(v), p;
            char b[48];
            if (st.kind == V_NONE) {
                i128_str(b, m);
                strcat(b, sfx);
                r = emit(&st, b, strlen(b));
            } else if (st.kind == V_STR) {
                if (frac_times(st.s.s ? st.s.s : "", v, &p)) {
                    i128_str(b, p);
                    strcat(b, sfx);
                    r = emit(&st, b, strlen(b));
                } else {
                    if ((r = emit_value(&st))) break;
                    i128_str(b, m);
                    strcat(b, sfx);
                    r = emit(&st, b, strlen(b));
                }
            } else {
                i128 before = st.i / 1000 * 1000, residual = st.i % 1000;
                st.i = before + residual * m;
                r = emit_value_suffix(&st, NULL, sfx);
            }
            st.kind = V_NONE;
        } else if (SYM(cw, K_PRE)) {
            if (st.kind != V_NONE && (r = emit_value(&st))) break;
            if ((np != NULL) || next_is_numeric) {
                snprintf(st.prefix, sizeof st.prefix, "%s", SYM(cw, K_PRE));
                st.has_prefix = 1;
            } else {
                r = emit(&st, cur, strlen(cur));
            }
        } else if (SYM(cw, K_FOL)) {
            if (st.kind != V_NONE) {
                snprintf(st.prefix, sizeof st.prefix, "%s", SYM(cw, K_FOL));
                st.has_prefix = 1;
                r = emit_value(&st);
            } else {
                r = emit(&st, cur, strlen(cur));
            }
        } else if (KIND(cw, K_SUFFIXER)) {
            if (st.kind != V_NONE) {
                if (eq(cur, "per")) {
                    if (eq(next, "cent")) {
                        r = emit_value_suffix(&st, NULL, "%");
                        skip = 1;
                    } else {
                        if ((r = emit_value(&st))) break;
                        r = emit(&st, cur, strlen(cur));
                    }
                } else {
                    r = emit_value_suffix(&st, NULL, "%");
                }
            } else {
                r = emit(&st, cur, strlen(cur));
            }
        } else { /* specials: and, double, triple, point */
            if (!(np != NULL) && !next_is_numeric) {
                if (st.kind != V_NONE && (r = emit_value(&st))) break;
                r = emit(&st, cur, strlen(cur));
            } else if (eq(cur, "and")) {
                if (VAL(pp, K_MULT) < 0) { /* "and" after hundred/thousand/... is dropped */
                    if (st.kind != V_NONE && (r = emit_value(&st))) break;
                    r = emit(&st, cur, strlen(cur));
                }
            } else if (eq(cur, "double") || eq(cur, "triple")) {
                if (VAL(np, K_ONES) >= 0 || KIND(np, K_ZERO)) {
                    int reps = eq(cur, "double") ? 2 : 3, o = VAL(np, K_ONES) >= 0 ? VAL(np, K_ONES) : 0;
                    char d[64] = "";
                    for (int k = 0; k < reps; k++) snprintf(d + strlen(d), sizeof d - strlen(d), "%d", o);
                    r = set_str_or_empty_append(&st, d);
                    skip = 1;
                } else {
                    if (st.kind != V_NONE && (r = emit_value(&st))) break;
                    r = emit(&st, cur, strlen(cur));
                }
            } else if (eq(cur, "point")) {
                if ((KIND(np, K_ONES) || KIND(np, K_TENS) || KIND(np, K_ZERO)) || next_is_numeric) r = set_str_or_empty_append(&st, ".");
            }
        }
    }
    if (!r && st.kind != V_NONE) r = emit_value(&st);
    qa_strbuf_free(&st.s);
    qa_strbuf_free(&st.tmp);
    return r;
}

qa_status qa_num_norm_init(qa_num_norm *nn) {
    memset(nn, 0, sizeof *nn);
    build_words(nn);
    qa_status r = qa_re_compile(&nn->half_split, "\\band\\s+a\\s+half\\b");
    if (!r) r = qa_re_compile(&nn->half_mult,
                              "\\b(?:a\\s+half\\s+|half\\s+(?:a\\s+)?)(quadrillion|quintillion|sextillion|septillion|octillion|"
                              "nonillion|decillion|thousand|trillion|hundred|million|billion)\\b");
    if (!r) r = qa_re_compile(&nn->let_dig, "([a-z])([0-9])");
    if (!r) r = qa_re_compile(&nn->dig_let, "([0-9])([a-z])");
    if (!r) r = qa_re_compile(&nn->suffix, "([0-9])\\s+(st|nd|rd|th|s)\\b");
    if (!r) r = qa_re_compile(&nn->cents, "([€£$])([0-9]+) (?:and )?¢([0-9]{1,2})\\b");
    if (!r) r = qa_re_compile(&nn->cents2, "[€£$]0.([0-9]{1,2})\\b");
    if (!r) r = qa_re_compile(&nn->one, "\\b1(s?)\\b");
    if (r) qa_num_norm_deinit(nn);
    return r;
}

void qa_num_norm_deinit(qa_num_norm *nn) {
    if (!nn) return;
    qa_re_free(&nn->half_split);
    qa_re_free(&nn->half_mult);
    qa_re_free(&nn->let_dig);
    qa_re_free(&nn->dig_let);
    qa_re_free(&nn->suffix);
    qa_re_free(&nn->cents);
    qa_re_free(&nn->cents2);
    qa_re_free(&nn->one);
}

static int py_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

static qa_status combine_cents(qa_strbuf *dst, const char *s, const PCRE2_SIZE *ov, int ng, void *ud) {
    (void)ng;
    (void)ud;
    qa_status r = qa_strbuf_putn(dst, s + ov[2], ov[3] - ov[2]);
    if (!r) r = qa_strbuf_putn(dst, s + ov[4], ov[5] - ov[4]);
    int cents = 0;
    for (PCRE2_SIZE k = ov[6]; k < ov[7]; k++) cents = cents * 10 + (s[k] - '0');
    char b[8];
    snprintf(b, sizeof b, ".%02d", cents);
    if (!r) r = qa_strbuf_puts(dst, b);
    return r;
}
static qa_status extract_cents(qa_strbuf *dst, const char *s, const PCRE2_SIZE *ov, int ng, void *ud) {
    (void)ng;
    (void)ud;
    int cents = 0;
    for (PCRE2_SIZE k = ov[2]; k < ov[3]; k++) cents = cents * 10 + (s[k] - '0');
    char b[16];
    snprintf(b, sizeof b, "¢%d", cents);
    return qa_strbuf_puts(dst, b);
}

qa_status qa_num_norm_apply(qa_num_norm *nn, qa_strbuf *dst, const char *s, size_t n) {
    qa_strbuf a = {0}, b = {0};
    qa_status r = qa_strbuf_putn(&a, "", 0);
    /* "<number> and a half" -> "<number> point five" */
    size_t pos = 0, ms, me;
    int first = 1, done = 0;
    while (!r && !done) {
        int found = qa_re_search(&nn->half_split, s, n, pos, &ms, &me);
        size_t end = found ? ms : n;
        const char *seg = s + pos;
        size_t sl = end - pos, k = 0;
        while (k < sl && py_space(seg[k])) k++;
        if (k < sl) { /* segment.strip() is not empty */
            if (!first) r = qa_strbuf_putc(&a, ' ');
            first = 0;
            if (!r) r = qa_strbuf_putn(&a, seg, sl);
            if (!r && found) {
                size_t e = sl;
                while (e > 0 && py_space(seg[e - 1])) e--;
                size_t b0 = e;
                while (b0 > 0 && !py_space(seg[b0 - 1])) b0--;
                char last[64];
                snprintf(last, sizeof last, "%.*s", (int)(e - b0 < 63 ? e - b0 : 63), seg + b0);
                const qa_num_word *lw = lookup(nn, last);
                r = qa_strbuf_puts(&a, KIND(lw, K_ONES) || KIND(lw, K_TENS) || KIND(lw, K_ZERO) || KIND(lw, K_MULT)
                                           ? " point five" : " and a half");
            }
        }
        if (!found) done = 1;
        else pos = me;
    }
    if (!r) r = qa_re_sub(&nn->half_mult, &b, a.s, a.len, "0.5 \\1", NULL, NULL);
    if (!r) r = qa_re_sub(&nn->let_dig, &a, b.s, b.len, "\\1 \\2", NULL, NULL);
    if (!r) r = qa_re_sub(&nn->dig_let, &b, a.s, a.len, "\\1 \\2", NULL, NULL);
    if (!r) r = qa_re_sub(&nn->suffix, &a, b.s, b.len, "\\1\\2", NULL, NULL);
    /* split into words (Python whitespace) and run the state machine */
    char **words = NULL;
    size_t nw = 0, cap = 0;
    qa_strbuf wordbuf = {0};
    if (!r) r = qa_strbuf_putn(&wordbuf, a.s, a.len);
    size_t i = 0, st0, end;
    while (!r && qa_text_next_word(wordbuf.s, wordbuf.len, &i, &st0, &end)) {
        if (nw == cap) {
            cap = cap ? cap * 2 : 32;
            char **p = realloc(words, cap * sizeof *p);
            if (!p) { r = qa_error(QA_ERR_NOMEM, "out of memory"); break; }
            words = p;
        }
        words[nw++] = wordbuf.s + st0;
        if (end < wordbuf.len) {
            /* terminate the word: overwrite the first byte of the following whitespace */
            size_t j = end;
            (void)qa_utf8_next(wordbuf.s, wordbuf.len, &j);
            memset(wordbuf.s + end, 0, j - end);
            i = j;
        }
    }
    qa_strbuf_clear(&b);
    if (!r) r = qa_strbuf_putn(&b, "", 0);
    if (!r) r = process_words(nn, &b, words, nw);
    free(words);
    qa_strbuf_free(&wordbuf);
    /* post-processing */
    if (!r) r = qa_re_sub(&nn->cents, &a, b.s, b.len, NULL, combine_cents, NULL);
    if (!r) r = qa_re_sub(&nn->cents2, &b, a.s, a.len, NULL, extract_cents, NULL);
    if (!r) r = qa_re_sub(&nn->one, &a, b.s, b.len, "one\\1", NULL, NULL);
    if (!r) r = qa_strbuf_putn(dst, a.s, a.len);
    qa_strbuf_free(&a);
    qa_strbuf_free(&b);
    return r;
}
