/* eval/normalize_whisper: Whisper's BasicTextNormalizer and EnglishTextNormalizer
 * (openai/whisper whisper/normalizers/basic.py and english.py), step by step:
 *
 * basic:   lower; remove [<[]...[>]] spans; remove "(...)" spans (non-empty); NFKC and every
 *          character of Unicode category M*, S* or P* -> " "; lower; \s+ -> " ".
 * english: lower; the two bracket removals; remove the fillers hmm mm mhm mmm uh um (\b...\b);
 *          "\s+'" -> "'"; the contraction/title/perfect-tense replacers in their order;
 *          "(\d),(\d)" -> "\1\2"; "\.([^0-9]|$)" -> " \1"; NFKD with ".%$¢€£" kept, the
 *          ADDITIONAL_DIACRITICS map (œ->oe, ß->ss, ...), category Mn dropped and other M*, S*,
 *          P* -> " "; EnglishNumberNormalizer; the British->American spelling map per word;
 *          "([$¢€£])\s+([0-9])" -> "\1\2"; "([0-9])\s+%" -> "\1%"; "[.$¢€£]([^0-9])" -> " \1";
 *          "([^0-9])%" -> "\1 "; \s+ -> " ".
 * Regexes run on PCRE2 with UTF+UCP (Unicode \b \s \d like Python's re); Unicode data come
 * from utf8proc, whose Unicode version may differ from the Python that made a reference. */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "eval/normalize.h"

#define N_REPLACERS 43
static const char *const kReplacers[N_REPLACERS][2] = {
    {"\\bwon't\\b", "will not"}, {"\\bcan't\\b", "can not"}, {"\\blet's\\b", "let us"}, {"\\bain't\\b", "aint"},
    {"\\by'all\\b", "you all"}, {"\\bwanna\\b", "want to"}, {"\\bgotta\\b", "got to"}, {"\\bgonna\\b", "going to"},
    {"\\bi'ma\\b", "i am going to"}, {"\\bimma\\b", "i am going to"}, {"\\bwoulda\\b", "would have"},
    {"\\bcoulda\\b", "could have"}, {"\\bshoulda\\b", "should have"}, {"\\bma'am\\b", "madam"},
    {"\\bmr\\b", "mister "}, {"\\bmrs\\b", "missus "}, {"\\bst\\b", "saint "}, {"\\bdr\\b", "doctor "},
    {"\\bprof\\b", "professor "}, {"\\bcapt\\b", "captain "}, {"\\bgov\\b", "governor "}, {"\\bald\\b", "alderman "},
    {"\\bgen\\b", "general "}, {"\\bsen\\b", "senator "}, {"\\brep\\b", "representative "},
    {"\\bpres\\b", "president "}, {"\\brev\\b", "reverend "}, {"\\bhon\\b", "honorable "},
    {"\\basst\\b", "assistant "}, {"\\bassoc\\b", "associate "}, {"\\blt\\b", "lieutenant "},
    {"\\bcol\\b", "colonel "}, {"\\bjr\\b", "junior "}, {"\\bsr\\b", "senior "}, {"\\besq\\b", "esquire "},
    {"'d been\\b", " had been"}, {"'s been\\b", " has been"}, {"'d gone\\b", " had gone"},
    {"'s gone\\b", " has gone"}, {"'d done\\b", " had done"}, {"'s got\\b", " has got"},
    {"n't\\b", " not"}, {"'re\\b", " are"},
};
#define N_REPLACERS2 6
static const char *const kReplacers2[N_REPLACERS2][2] = {
    {"'s\\b", " is"}, {"'d\\b", " would"}, {"'ll\\b", " will"}, {"'t\\b", " not"}, {"'ve\\b", " have"}, {"'m\\b", " am"},
};

struct qa_normalizer {
    qa_norm which;
    qa_re brackets, parens, fillers, space_apos, digit_comma, period, attach_cur, attach_pct, strip_cur, strip_pct, spaces;
    qa_re repl[N_REPLACERS + N_REPLACERS2];
    int nrepl;
    qa_num_norm num;
    int num_ok;
};

void qa_normalizer_free(qa_normalizer *nz) {
    if (!nz) return;
    qa_re *all[] = {&nz->brackets, &nz->parens, &nz->fillers, &nz->space_apos, &nz->digit_comma, &nz->period,
                    &nz->attach_cur, &nz->attach_pct, &nz->strip_cur, &nz->strip_pct, &nz->spaces};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) qa_re_free(all[k]);
    for (int k = 0; k < nz->nrepl; k++) qa_re_free(&nz->repl[k]);
    if (nz->num_ok) qa_num_norm_deinit(&nz->num);
    free(nz);
}

qa_status qa_normalizer_new(qa_normalizer **out, qa_norm which) {
    *out = NULL;
    qa_normalizer *nz = calloc(1, sizeof *nz);
    if (!nz) return qa_error(QA_ERR_NOMEM, "out of memory");
    nz->which = which;
    qa_status r = QA_OK;
    if (which != QA_NORM_NONE) {
        r = qa_re_compile(&nz->brackets, "[<\\[][^>\\]]*[>\\]]");
        if (!r) r = qa_re_compile(&nz->parens, "\\(([^)]+?)\\)");
        if (!r) r = qa_re_compile(&nz->spaces, "\\s+");
    }
    if (!r && which == QA_NORM_WHISPER_EN) {
        r = qa_re_compile(&nz->fillers, "\\b(hmm|mm|mhm|mmm|uh|um)\\b");
        if (!r) r = qa_re_compile(&nz->space_apos, "\\s+'");
        for (int k = 0; k < N_REPLACERS + N_REPLACERS2 && !r; k++) {
            r = qa_re_compile(&nz->repl[k], k < N_REPLACERS ? kReplacers[k][0] : kReplacers2[k - N_REPLACERS][0]);
            if (!r) nz->nrepl++;
        }
        if (!r) r = qa_re_compile(&nz->digit_comma, "(\\d),(\\d)");
        if (!r) r = qa_re_compile(&nz->period, "\\.([^0-9]|$)");
        if (!r) r = qa_re_compile(&nz->attach_cur, "([$¢€£])\\s+([0-9])");
        if (!r) r = qa_re_compile(&nz->attach_pct, "([0-9])\\s+%");
        if (!r) r = qa_re_compile(&nz->strip_cur, "[.$¢€£]([^0-9])");
        if (!r) r = qa_re_compile(&nz->strip_pct, "([^0-9])%");
        if (!r) {
            r = qa_num_norm_init(&nz->num);
            nz->num_ok = !r;
        }
    }
    if (r) {
        qa_normalizer_free(nz);
        return r;
    }
    *out = nz;
    return QA_OK;
}

static int cat_msp(utf8proc_int32_t c) {
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_SM: case UTF8PROC_CATEGORY_SC: case UTF8PROC_CATEGORY_SK: case UTF8PROC_CATEGORY_SO:
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS: case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF: case UTF8PROC_CATEGORY_PO:
        return 1;
    default:
        return 0;
    }
}

static const char *extra_diacritic(uint32_t c) {
    switch (c) {
    case 0x0153: return "oe"; case 0x0152: return "OE"; case 0x00F8: return "o"; case 0x00D8: return "O";
    case 0x00E6: return "ae"; case 0x00C6: return "AE"; case 0x00DF: return "ss"; case 0x1E9E: return "SS";
    case 0x0111: return "d"; case 0x0110: return "D"; case 0x00F0: return "d"; case 0x00D0: return "D";
    case 0x00FE: return "th"; case 0x00DE: return "th"; case 0x0142: return "l"; case 0x0141: return "L";
    default: return NULL;
    }
}

/* remove_symbols (NFKC, M/S/P -> " ") when diacritics = 0; remove_symbols_and_diacritics
 * (NFKD, keep ".%$¢€£", extra map, Mn dropped, other M/S/P -> " ") when 1 */
static qa_status clean_symbols(qa_strbuf *dst, const char *s, size_t n, int diacritics) {
    utf8proc_uint8_t *norm = NULL;
    utf8proc_ssize_t len = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &norm,
                                        UTF8PROC_STABLE | UTF8PROC_COMPAT |
                                            (diacritics ? UTF8PROC_DECOMPOSE : UTF8PROC_COMPOSE));
    if (len < 0) return qa_error(QA_ERR_FORMAT, "text is not valid UTF-8: %s", utf8proc_errmsg(len));
    qa_status r = QA_OK;
    const char *p = (const char *)norm;
    size_t i = 0, pn = (size_t)len;
    while (i < pn && !r) {
        size_t st = i;
        uint32_t c = qa_utf8_next(p, pn, &i);
        if (diacritics && (c == '.' || c == '%' || c == '$' || c == 0xA2 || c == 0x20AC || c == 0xA3)) {
            r = qa_strbuf_putn(dst, p + st, i - st);
            continue;
        }
        const char *x = diacritics ? extra_diacritic(c) : NULL;
        if (x) r = qa_strbuf_puts(dst, x);
        else if (diacritics && utf8proc_category((utf8proc_int32_t)c) == UTF8PROC_CATEGORY_MN) continue;
        else if (cat_msp((utf8proc_int32_t)c)) r = qa_strbuf_putc(dst, ' ');
        else r = qa_strbuf_putn(dst, p + st, i - st);
    }
    free(norm);
    return r;
}

/* " ".join(mapping.get(w, w) for w in s.split()) */
static qa_status spellings(qa_strbuf *dst, const char *s, size_t n) {
    qa_status r = QA_OK;
    int first = 1;
    size_t i = 0, st, end;
    while (!r && qa_text_next_word(s, n, &i, &st, &end)) {
        if (!first) r = qa_strbuf_putc(dst, ' ');
        first = 0;
        const char *us = qa_normalize_spelling(s + st, end - st);
        if (!r) r = us ? qa_strbuf_puts(dst, us) : qa_strbuf_putn(dst, s + st, end - st);
    }
    return r;
}

#define SUB(re, tmpl)                                                                 \
    do {                                                                              \
        if (!r) r = qa_re_sub(&nz->re, &b, a.s, a.len, tmpl, NULL, NULL);             \
        qa_strbuf t_ = a; a = b; b = t_;                                              \
    } while (0)

qa_status qa_normalizer_apply(qa_normalizer *nz, qa_strbuf *dst, const char *s) {
    if (nz->which == QA_NORM_NONE) return qa_strbuf_puts(dst, s);
    size_t sn = strlen(s);
    if (utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)sn, NULL, 0, 0) < 0)
        return qa_error(QA_ERR_FORMAT, "text to normalise is not valid UTF-8: '%.40s'", s);
    qa_strbuf a = {0}, b = {0};
    qa_status r = qa_text_lower(&a, s, sn);
    if (!r) r = qa_strbuf_putn(&a, "", 0);
    SUB(brackets, "");
    SUB(parens, "");
    if (nz->which == QA_NORM_WHISPER_BASIC) {
        qa_strbuf_clear(&b);
        if (!r) r = clean_symbols(&b, a.s, a.len, 0);
        qa_strbuf_clear(&a);
        if (!r) r = qa_text_lower(&a, b.s ? b.s : "", b.len);
        if (!r) r = qa_strbuf_putn(&a, "", 0);
        SUB(spaces, " ");
    } else {
        SUB(fillers, "");
        SUB(space_apos, "'");
        for (int k = 0; k < nz->nrepl; k++) {
            const char *tmpl = k < N_REPLACERS ? kReplacers[k][1] : kReplacers2[k - N_REPLACERS][1];
            if (!r) r = qa_re_sub(&nz->repl[k], &b, a.s, a.len, tmpl, NULL, NULL);
            qa_strbuf t = a; a = b; b = t;
        }
        SUB(digit_comma, "\\1\\2");
        SUB(period, " \\1");
        qa_strbuf_clear(&b);
        if (!r) r = clean_symbols(&b, a.s, a.len, 1);
        if (!r) r = qa_strbuf_putn(&b, "", 0);
        qa_strbuf_clear(&a);
        if (!r) r = qa_num_norm_apply(&nz->num, &a, b.s, b.len);
        if (!r) r = qa_strbuf_putn(&a, "", 0);
        qa_strbuf_clear(&b);
        if (!r) r = spellings(&b, a.s, a.len);
        if (!r) r = qa_strbuf_putn(&b, "", 0);
        { qa_strbuf t = a; a = b; b = t; }
        SUB(attach_cur, "\\1\\2");
        SUB(attach_pct, "\\1%");
        SUB(strip_cur, " \\1");
        SUB(strip_pct, "\\1 ");
        SUB(spaces, " ");
    }
    if (!r) r = qa_strbuf_putn(dst, a.s ? a.s : "", a.len);
    qa_strbuf_free(&a);
    qa_strbuf_free(&b);
    return r;
}

qa_status qa_normalize_whisper(qa_strbuf *dst, const char *s, qa_norm which) {
    qa_normalizer *nz;
    qa_status r = qa_normalizer_new(&nz, which);
    if (r) return r;
    r = qa_normalizer_apply(nz, dst, s);
    qa_normalizer_free(nz);
    return r;
}
