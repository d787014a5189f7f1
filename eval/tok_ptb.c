/* eval/tok_ptb: a PTB-style caption tokeniser standing in for the Stanford PTBTokenizer that the
 * COCO caption evaluation runs (java, `-preserveLines -lowerCase`), followed by pycocoevalcap's
 * removal of the punctuation tokens '' ' `` ` -LRB- -RRB- -LCB- -RCB- . ? ! , : - -- ... ;
 *
 * Rules (a subset of PTB's, enough for captions; docs/metrics.md lists what differs):
 *   - lower-case (utf8proc simple mapping); split on whitespace;
 *   - peel leading  " ' ` ( [ {  and trailing  . , ! ? ; : " ' ) ] }  and "..." off each chunk;
 *     a trailing '.' stays on chunks that have another '.' inside (u.s., a.m.), unless a digit precedes it (3.5.);
 *   - split clitics at the end of a word: n't 's 're 've 'll 'd 'm (PTB: "don't" -> do n't), and
 *     cannot gonna gotta wanna gimme lemme -> can not, gon na, ... as PTBLexer does;
 *   - Unicode quotes, en/em dashes and the ellipsis become their ASCII forms first (ptb3Escaping);
 *   - split commas, semicolons and '!'/'?' inside a chunk unless between digits;
 *   - a hyphen not between two letters/digits ("high-", "hum--then") is a token (dropped);
 *   - a leading '$' and a trailing '%' become tokens;
 *   - brackets become -lrb- -rrb- -lsb- -rsb- -lcb- -rcb- (kept: after lower-casing they no
 *     longer equal the upper-case names in the drop list, exactly as in the reference);
 *   - quotes and the other listed punctuation tokens are dropped. */
#include <string.h>

#include "eval/metrics.h"

static int dropped(const char *t, size_t n) {
    static const char *const drop[] = {"''", "'", "``", "`", ".", "?", "!", ",", ":", "-", "--", "...", ";", "\""};
    for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
        if (strlen(drop[i]) == n && !memcmp(drop[i], t, n)) return 1;
    return 0;
}

static const char *bracket_name(char c) {
    switch (c) {
    case '(': return "-lrb-";
    case ')': return "-rrb-";
    case '[': return "-lsb-";
    case ']': return "-rsb-";
    case '{': return "-lcb-";
    case '}': return "-rcb-";
    default: return NULL;
    }
}

static qa_status emit(qa_strbuf *dst, const char *t, size_t n) {
    if (n == 0 || dropped(t, n)) return QA_OK;
    qa_status st = QA_OK;
    if (dst->len) st = qa_strbuf_putc(dst, ' ');
    if (!st) st = qa_strbuf_putn(dst, t, n);
    return st;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* PTB splits these words in two (PTBLexer) */
static const char *const kSplitWords[][2] = {{"cannot", "can not"}, {"gonna", "gon na"}, {"gotta", "got ta"},
                                             {"wanna", "wan na"}, {"gimme", "gim me"}, {"lemme", "lem me"}};

/* the middle of a chunk: splits clitics and inner , ; ! ? (not between digits) */
static qa_status emit_core(qa_strbuf *dst, const char *t, size_t n) {
    qa_status st = QA_OK;
    for (size_t k = 0; k < sizeof kSplitWords / sizeof kSplitWords[0]; k++)
        if (strlen(kSplitWords[k][0]) == n && !memcmp(t, kSplitWords[k][0], n)) {
            const char *sp = strchr(kSplitWords[k][1], ' ');
            st = emit(dst, kSplitWords[k][1], (size_t)(sp - kSplitWords[k][1]));
            return st ? st : emit(dst, sp + 1, strlen(sp + 1));
        }
    size_t start = 0;
    for (size_t i = 0; i < n && !st; i++) {
        char c = t[i];
        if ((c == ',' || c == ';' || c == '!' || c == '?') &&
            !(c == ',' && i > 0 && i + 1 < n && is_digit(t[i - 1]) && is_digit(t[i + 1]))) {
            st = emit(dst, t + start, i - start);
            if (!st) st = emit(dst, t + i, 1);
            start = i + 1;
        }
    }
    if (st) return st;
    t += start;
    n -= start;
    static const char *const clitics[] = {"n't", "'s", "'re", "'ve", "'ll", "'d", "'m"};
    for (size_t k = 0; k < sizeof clitics / sizeof clitics[0]; k++) {
        size_t cl = strlen(clitics[k]);
        if (n > cl && !memcmp(t + n - cl, clitics[k], cl)) {
            st = emit(dst, t, n - cl);
            if (!st) st = emit(dst, t + n - cl, cl);
            return st;
        }
    }
    return emit(dst, t, n);
}

static int lead_punct(char c) { return c == '"' || c == '\'' || c == '`' || c == '(' || c == '[' || c == '{' || c == '$'; }
static int trail_punct(char c) {
    return c == '.' || c == ',' || c == '!' || c == '?' || c == ';' || c == ':' || c == '"' || c == '\'' ||
           c == ')' || c == ']' || c == '}' || c == '%';
}

static qa_status chunk(qa_strbuf *dst, const char *t, size_t n) {
    qa_status st = QA_OK;
    size_t b = 0, e = n;
    while (b < e && lead_punct(t[b]) && !st) {
        const char *br = bracket_name(t[b]);
        st = br ? emit(dst, br, strlen(br)) : emit(dst, t + b, 1);
        b++;
    }
    if (st) return st;
    /* trailing punctuation, collected right to left, emitted left to right */
    size_t tail_start = e;
    while (tail_start > b && trail_punct(t[tail_start - 1])) {
        char c = t[tail_start - 1];
        if (c == '.') {
            /* keep the period of an abbreviation with inner periods (u.s., a.m.), but not of a
             * decimal number ("3.5." is "3.5" "."): PTB numbers need a digit after each '.' */
            int inner = 0;
            for (size_t k = b; k + 1 < tail_start; k++) inner |= t[k] == '.';
            if (inner && tail_start - 1 > b && t[tail_start - 2] != '.' && !is_digit(t[tail_start - 2])) break;
        }
        tail_start--;
    }
    if ((st = emit_core(dst, t + b, tail_start - b))) return st;
    for (size_t k = tail_start; k < e && !st;) {
        if (t[k] == '.' && k + 2 < e && t[k + 1] == '.' && t[k + 2] == '.') {
            st = emit(dst, "...", 3);
            k += 3;
            continue;
        }
        const char *br = bracket_name(t[k]);
        st = br ? emit(dst, br, strlen(br)) : emit(dst, t + k, 1);
        k++;
    }
    return st;
}

static int word_byte(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || (unsigned char)c >= 0x80;
}

/* PTBLexer joins words by single hyphens only between letters/digits ("low-pitched",
 * "5-year-old"); a hyphen at a word's edge ("high-") or a run ("hum--then") is a token of its
 * own (runs of 3-4 become "--", ptb3Dashes), which the drop list then removes. A leading "-"
 * before a digit ("-5") is left to chunk(). */
static qa_status chunk_hyphens(qa_strbuf *dst, const char *t, size_t n) {
    qa_status st = QA_OK;
    size_t piece = 0;
    for (size_t i = 0; i < n && !st;) {
        if (t[i] != '-') { i++; continue; }
        size_t j = i;
        while (j < n && t[j] == '-') j++;
        int joined = j - i == 1 && i > 0 && word_byte(t[i - 1]) && j < n && word_byte(t[j]);
        int sign = i == 0 && j - i == 1 && j < n && is_digit(t[j]);
        if (!joined && !sign) {
            if (i > piece) st = chunk(dst, t + piece, i - piece);
            if (!st) st = (j - i == 3 || j - i == 4) ? emit(dst, "--", 2) : emit(dst, t + i, j - i);
            piece = j;
        }
        i = j;
    }
    if (!st && n > piece) st = chunk(dst, t + piece, n - piece);
    return st;
}

/* Stanford's ptb3Escaping turns Unicode quotes, dashes and the ellipsis into the ASCII forms
 * of its drop list; map them before the ASCII rules ("dog’s" -> "dog's") */
static qa_status ascii_punct(qa_strbuf *dst, const char *s, size_t n) {
    qa_status st = QA_OK;
    for (size_t i = 0; i < n && !st;) {
        size_t b = i;
        uint32_t c = qa_utf8_next(s, n, &i);
        switch (c) {
        case 0x2019: st = qa_strbuf_putc(dst, '\''); break;        /* right single quote / apostrophe */
        case 0x2018: st = qa_strbuf_putc(dst, '`'); break;         /* left single quote */
        case 0x201C: case 0x201D: st = qa_strbuf_putc(dst, '"'); break;
        case 0x2013: case 0x2014: st = qa_strbuf_puts(dst, " -- "); break;
        case 0x2026: st = qa_strbuf_puts(dst, " ... "); break;
        default: st = qa_strbuf_putn(dst, s + b, i - b);
        }
    }
    return st;
}

qa_status qa_ptb_tokenize(qa_strbuf *dst, const char *s) {
    qa_strbuf low = {0}, asc = {0};
    qa_strbuf out = {0};
    qa_status st = qa_text_lower(&asc, s, strlen(s));
    if (!st) st = ascii_punct(&low, asc.s ? asc.s : "", asc.len);
    qa_strbuf_free(&asc);
    const char *p = low.s ? low.s : "";
    size_t n = low.len, i = 0, start, end;
    while (!st && qa_text_next_word(p, n, &i, &start, &end)) {
        st = chunk_hyphens(&out, p + start, end - start);
    }
    if (!st && out.len) st = qa_strbuf_putn(dst, out.s, out.len);
    qa_strbuf_free(&low);
    qa_strbuf_free(&out);
    return st;
}
