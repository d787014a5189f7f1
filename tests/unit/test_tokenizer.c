/* Unit tests for data/tokenizer (Qwen tiktoken backend): the special table, a synthetic vocabulary
 * (BPE tie-breaking, the two merge loops, corrupt files, UTF-8 repair), and with the real
 * qwen.tiktoken ($QAUDIO_SHARED or ../shared) the 40 golden cases plus our own cases computed by
 * the Python reference bench/tokenizer_ref.py, decode(encode(x)) == NFC(x), and threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <utf8proc.h>

#include "cJSON.h"
#include "core/fileio.h"
#include "data/special_tokens.h"
#include "data/tokenizer.h"
#include "data/tokenizer_internal.h"
#include "tests/support/test.h"

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64(const uint8_t *p, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t x = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        out[o++] = b64chars[x >> 18 & 63];
        out[o++] = b64chars[x >> 12 & 63];
        out[o++] = i + 1 < n ? b64chars[x >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? b64chars[x & 63] : '=';
    }
    out[o] = 0;
}

/* A tiny vocabulary: the 256 bytes (rank = byte value) and then `merges` in rank order. */
static const char *write_vocab(const char *name, const char *const *merges, const char *extra_lines)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/%s", qa_test_tmpdir(), name);
    FILE *f = fopen(path, "w");
    if (!f) return NULL;
    char enc[64];
    int r = 0;
    for (int c = 0; c < 256; c++, r++) {
        uint8_t b = (uint8_t)c;
        b64(&b, 1, enc);
        fprintf(f, "%s %d\n", enc, r);
    }
    for (size_t i = 0; merges && merges[i]; i++, r++) {
        b64((const uint8_t *)merges[i], strlen(merges[i]), enc);
        fprintf(f, "%s %d\n", enc, r);
    }
    if (extra_lines) fputs(extra_lines, f);
    fclose(f);
    return path;
}

static const char *const tiny_merges[] = {"aa", "ab", "bc", "abc", "aab", "  ", "he", "ll", "hell", "hello", "ca", NULL};

static qa_tokenizer *load_tiny(qa_t *t)
{
    qa_tokenizer *tok = NULL;
    const char *p = write_vocab("tiny.tiktoken", tiny_merges, NULL);
    CHECK(t, p != NULL);
    if (p) CHECK_OK(t, qa_tokenizer_load(p, &tok));
    return tok;
}

static qa_tokenizer *load_real(qa_t *t)
{
    char buf[600];
    const char *p = qa_test_shared_path(buf, sizeof buf, "assets/qwen.tiktoken");
    if (!p) {
        SKIP(t, "qwen.tiktoken not found under %s/assets (set QAUDIO_SHARED)", qa_test_shared_dir());
        return NULL;
    }
    qa_tokenizer *tok = NULL;
    CHECK_OK(t, qa_tokenizer_load(p, &tok));
    return tok;
}

static int ids_eq(const qa_ids *a, const int32_t *b, size_t n)
{
    return a->n == n && (n == 0 || !memcmp(a->ids, b, n * sizeof *b));
}

/* ---- special table ---- */

static void test_special_table(qa_t *t)
{
    static const struct {
        int32_t id;
        const char *s;
    } want[] = {{QA_TOK_ENDOFTEXT, "<|endoftext|>"}, {QA_TOK_IM_START, "<|im_start|>"}, {QA_TOK_IM_END, "<|im_end|>"},
                {151646, "<|extra_0|>"}, {151850, "<|extra_204|>"}, {QA_TOK_AUDIO_PAD, "[[[AUDIO:modality]]]"},
                {151852, "<|startoftranscript|>"}, {151853, "<|startofanalysis|>"}, {151854, "<|translate|>"},
                {151855, "<|transcribe|>"}, {151856, "<|caption|>"}, {151857, "<|keyword|>"}, {151858, "<|unknown|>"},
                {151859, "<|en|>"}, {151860, "<|zh|>"}, {151861, "<|de|>"}, {151862, "<|es|>"}, {151863, "<|ko|>"},
                {151864, "<|fr|>"}, {151865, "<|ja|>"}, {151866, "<|it|>"}, {151867, "<|zh_tr|>"},
                {151868, "<|notimestamps|>"}, {151869, "<|sil|>"}, {151870, "<|timestamps|>"}, {151871, "<|0.00|>"},
                {151872, "<|0.01|>"}, {151871 + 233, "<|2.33|>"}, {151871 + 326, "<|3.26|>"}, {151971, "<|1.00|>"},
                {154871, "<|30.00|>"}, {154872, "<|caption_audiocaps|>"}, {154873, "<|caption_clotho|>"},
                {154874, "<|audioset_ontology|>"}, {154875, "<|caption_plain|>"}, {154876, "<|itn|>"},
                {154877, "<|wo_itn|>"}, {154878, "<|startofentityvalue|>"}, {154881, "<|endofentitytype|>"},
                {154882, "<|named_entity_recognition|>"}, {154883, "<|audio_grounding|>"}, {154886, "<|delim|>"},
                {154887, "<|emotion_recognition|>"}, {154889, "<|note_analysis|>"}, {154890, "<|pitch|>"},
                {154891, "<|midi_pitch_0|>"}, {155018, "<|midi_pitch_127|>"}, {155019, "<|velocity|>"},
                {155020, "<|midi_velocity_0|>"}, {155147, "<|midi_velocity_127|>"}, {155148, "<|sonic|>"},
                {155152, "<|question|>"}, {155153, "<|answer|>"}, {155157, "<|vocal_classification|>"},
                {155162, "<|speech_edit|>"}, {QA_TOK_AUDIO_START, "<audio>"}, {QA_TOK_AUDIO_END, "</audio>"}};
    char buf[64];
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        size_t i = (size_t)(want[k].id - QA_TOK_SPECIAL_BASE);
        size_t n = qa_tokenizer_qwen_special_surface(i, buf, sizeof buf);
        CHECK_MSG(t, n == strlen(want[k].s) && !strcmp(buf, want[k].s), "id %d: got '%s', want '%s'", want[k].id,
                  buf, want[k].s);
    }
    CHECK(t, qa_tokenizer_qwen_special_surface(QA_TOK_N_SPECIAL, buf, sizeof buf) == 0);
    CHECK(t, qa_tokenizer_qwen_special_surface(0, buf, 5) == 0); /* too small a buffer */
    /* every timestamp: id = base + round(100 t) */
    int ts_ok = 1;
    for (int k = 0; k <= 3000; k++) {
        char w[32];
        snprintf(w, sizeof w, "<|%.2f|>", k * 0.01);
        qa_tokenizer_qwen_special_surface((size_t)(QA_TOK_TIMESTAMP_BASE - QA_TOK_SPECIAL_BASE + k), buf, sizeof buf);
        if (strcmp(w, buf)) ts_ok = 0;
    }
    CHECK(t, ts_ok);
    /* the audio list is exactly [[[AUDIO:modality]]] .. </audio> */
    CHECK(t, !qa_tokenizer_qwen_special_is_audio(0) && !qa_tokenizer_qwen_special_is_audio(207));
    CHECK(t, qa_tokenizer_qwen_special_is_audio(208) && qa_tokenizer_qwen_special_is_audio(QA_TOK_N_SPECIAL - 1));
    CHECK(t, !qa_tokenizer_qwen_special_is_audio(QA_TOK_N_SPECIAL));

    qa_tokenizer *tok = load_tiny(t);
    if (!tok) return;
    CHECK(t, qa_tokenizer_vocab_size(tok) == QA_TOK_VOCAB_SIZE);
    CHECK(t, qa_tokenizer_special_id(tok, "<|endoftext|>") == QA_TOK_ENDOFTEXT);
    CHECK(t, qa_tokenizer_special_id(tok, "<|2.33|>") == QA_TOK_TIMESTAMP_BASE + 233);
    CHECK(t, qa_tokenizer_special_id(tok, "</audio>") == QA_TOK_AUDIO_END);
    CHECK(t, qa_tokenizer_special_id(tok, "<|startoftranscription|>") == -1); /* README spelling: not special */
    CHECK(t, qa_tokenizer_special_id(tok, "<|30.01|>") == -1);
    CHECK(t, qa_tokenizer_is_special(tok, QA_TOK_ENDOFTEXT) && !qa_tokenizer_is_special(tok, 97));
    qa_tokenizer_free(tok);
}

/* ---- synthetic vocabulary ---- */

static void test_tiny_bpe(qa_t *t)
{
    qa_tokenizer *tok = load_tiny(t);
    if (!tok) return;
    qa_ids ids = {0};
    /* ranks: aa 256, ab 257, bc 258, abc 259, aab 260, "  " 261, he 262, ll 263, hell 264, hello 265, ca 266 */
    CHECK_OK(t, qa_tokenizer_encode(tok, "aaa", 3, QA_SPECIAL_ALL, &ids)); /* tie: leftmost pair first */
    CHECK(t, ids_eq(&ids, (const int32_t[]){256, 'a'}, 2));
    ids.n = 0;
    CHECK_OK(t, qa_tokenizer_encode(tok, "abc", 3, QA_SPECIAL_ALL, &ids)); /* whole-piece lookup */
    CHECK(t, ids_eq(&ids, (const int32_t[]){259}, 1));
    ids.n = 0;
    /* "aabc": aa(256) first -> [aa, b, c]; then bc(258) -> [aa, bc]; "aab" never forms */
    CHECK_OK(t, qa_tokenizer_encode(tok, "aabc", 4, QA_SPECIAL_ALL, &ids));
    CHECK(t, ids_eq(&ids, (const int32_t[]){256, 258}, 2));
    ids.n = 0;
    CHECK_OK(t, qa_tokenizer_encode(tok, "hello", 5, QA_SPECIAL_ALL, &ids));
    CHECK(t, ids_eq(&ids, (const int32_t[]){265}, 1));
    ids.n = 0;
    /* specials by mode: all recognises <|endoftext|>, audio only the audio list, none nothing */
    const char *s = "a<|endoftext|><audio>";
    CHECK_OK(t, qa_tokenizer_encode(tok, s, strlen(s), QA_SPECIAL_ALL, &ids));
    CHECK(t, ids_eq(&ids, (const int32_t[]){'a', QA_TOK_ENDOFTEXT, QA_TOK_AUDIO_START}, 3));
    ids.n = 0;
    CHECK_OK(t, qa_tokenizer_encode(tok, s, strlen(s), QA_SPECIAL_AUDIO, &ids));
    CHECK(t, ids.n > 2 && ids.ids[ids.n - 1] == QA_TOK_AUDIO_START && ids.ids[1] != QA_TOK_ENDOFTEXT);
    ids.n = 0;
    CHECK_OK(t, qa_tokenizer_encode(tok, s, strlen(s), QA_SPECIAL_NONE, &ids));
    int any_special = 0;
    for (size_t i = 0; i < ids.n; i++) any_special |= ids.ids[i] >= QA_TOK_SPECIAL_BASE;
    CHECK(t, !any_special && ids.n > 3);
    /* appends */
    size_t before = ids.n;
    CHECK_OK(t, qa_tokenizer_encode(tok, "ab", 2, QA_SPECIAL_NONE, &ids));
    CHECK(t, ids.n == before + 1 && ids.ids[before] == 257);
    qa_ids_free(&ids);
    qa_tokenizer_free(tok);
}

/* The quadratic scan and the heap must make the same merges on every input. */
static void test_merge_loops_agree(qa_t *t)
{
    qa_tokenizer *tok = load_tiny(t);
    if (!tok) return;
    uint32_t x = 7;
    int same = 1;
    qa_ids a = {0}, b = {0};
    for (int it = 0; it < 300 && same; it++) {
        uint8_t buf[600];
        size_t n = 1 + (size_t)(it * 2 % 599);
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            buf[i] = (uint8_t)"aabcabc hel lo"[(x >> 16) % 14];
        }
        a.n = b.n = 0;
        CHECK_OK(t, qa_bpe_encode_piece(tok->bpe, buf, n, 1, &a));
        CHECK_OK(t, qa_bpe_encode_piece(tok->bpe, buf, n, 2, &b));
        same = a.n == b.n && !memcmp(a.ids, b.ids, a.n * sizeof *a.ids);
        /* the parts concatenate back to the input */
        size_t o = 0, l;
        for (size_t i = 0; i < a.n && same; i++) {
            const char *p = qa_tokenizer_id_bytes(tok, a.ids[i], &l);
            same = p && o + l <= n && !memcmp(buf + o, p, l);
            o += l;
        }
        same = same && o == n;
    }
    CHECK(t, same);
    qa_ids_free(&a);
    qa_ids_free(&b);
    qa_tokenizer_free(tok);
}

static void expect_load_error(qa_t *t, const char *name, const char *content, const char *want_in_msg)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", qa_test_tmpdir(), name);
    FILE *f = fopen(path, "w");
    CHECK(t, f != NULL);
    if (!f) return;
    fputs(content, f);
    fclose(f);
    qa_tokenizer *tok = (qa_tokenizer *)1;
    CHECK_STATUS(t, qa_tokenizer_load(path, &tok), QA_ERR_FORMAT);
    CHECK(t, tok == NULL);
    CHECK_MSG(t, strstr(qa_error_message(), want_in_msg) != NULL, "message '%s' lacks '%s'", qa_error_message(),
              want_in_msg);
}

static void test_corrupt_vocab(qa_t *t)
{
    expect_load_error(t, "bad_b64.tiktoken", "IQ== 0\nIg== 1\nI$== 2\n", "bad_b64.tiktoken:3:");
    expect_load_error(t, "no_rank.tiktoken", "IQ== 0\nIg==\n", "no_rank.tiktoken:2:");
    expect_load_error(t, "bad_rank.tiktoken", "IQ== 0\nIg== x1\n", "bad_rank.tiktoken:2:");
    expect_load_error(t, "big_rank.tiktoken", "IQ== 0\nIg== 151643\n", "big_rank.tiktoken:2:");
    expect_load_error(t, "dup_rank.tiktoken", "IQ== 0\nIg== 0\n", "dup_rank.tiktoken:2:");
    expect_load_error(t, "dup_tok.tiktoken", "IQ== 0\n\nIQ== 1\n", "dup_tok.tiktoken:3:");
    expect_load_error(t, "empty.tiktoken", "", "no tokens");
    expect_load_error(t, "few_bytes.tiktoken", "IQ== 0\nIg== 1\n", "lacks the single byte");
    /* a full byte table followed by a corrupt line 258 */
    const char *p = write_vocab("late.tiktoken", tiny_merges, "QUJD 9x\n");
    qa_tokenizer *tok = NULL;
    CHECK_STATUS(t, qa_tokenizer_load(p, &tok), QA_ERR_FORMAT);
    CHECK_MSG(t, strstr(qa_error_message(), "late.tiktoken:268:") != NULL, "message: %s", qa_error_message());
    char missing[600];
    snprintf(missing, sizeof missing, "%s/nope.tiktoken", qa_test_tmpdir());
    CHECK_STATUS(t, qa_tokenizer_load(missing, &tok), QA_ERR_IO);
    CHECK(t, tok == NULL);
    /* a directory without a tokenizer file */
    CHECK_STATUS(t, qa_tokenizer_load(qa_test_tmpdir(), &tok), QA_ERR_IO);
    CHECK(t, tok == NULL && strstr(qa_error_message(), "holds no tokenizer") != NULL);
}

/* A checkpoint directory: its qwen.tiktoken is found. */
static void test_load_dir(qa_t *t)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/ckpt", qa_test_tmpdir());
    CHECK(t, mkdir(dir, 0755) == 0);
    const char *p = write_vocab("ckpt/qwen.tiktoken", tiny_merges, NULL);
    CHECK(t, p != NULL);
    qa_tokenizer *tok = NULL;
    CHECK_OK(t, qa_tokenizer_load(dir, &tok));
    CHECK(t, tok && qa_tokenizer_get_kind(tok) == QA_TOKENIZER_TIKTOKEN);
    size_t n = 0;
    const char *b = tok ? qa_tokenizer_id_bytes(tok, 265, &n) : NULL;
    CHECK(t, b && n == 5 && !memcmp(b, "hello", 5));
    qa_tokenizer_free(tok);
}

static void test_invalid_utf8(qa_t *t)
{
    qa_tokenizer *tok = load_tiny(t);
    if (!tok) return;
    qa_ids ids = {0};
    static const char *bad[] = {"ab\xff", "\xc0\xaf", "x\xed\xa0\x80", "\xe2\x82", "\xf4\x90\x80\x80", "\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK_STATUS(t, qa_tokenizer_encode(tok, bad[i], strlen(bad[i]), QA_SPECIAL_ALL, &ids), QA_ERR_ARG);
        CHECK(t, strstr(qa_error_message(), "UTF-8") != NULL);
    }
    CHECK(t, ids.n == 0);
    /* a failure leaves earlier ids alone */
    CHECK_OK(t, qa_ids_push(&ids, 5));
    CHECK_STATUS(t, qa_tokenizer_encode(tok, "hello \xff", 7, QA_SPECIAL_ALL, &ids), QA_ERR_ARG);
    CHECK(t, ids.n == 1 && ids.ids[0] == 5);
    ids.n = 0;
    /* embedded NUL is valid UTF-8 */
    CHECK_OK(t, qa_tokenizer_encode(tok, "a\0b", 3, QA_SPECIAL_ALL, &ids));
    CHECK(t, ids.n == 3 && ids.ids[1] == 0);
    qa_ids_free(&ids);
    qa_tokenizer_free(tok);
}

/* Decoding single bytes that do not form UTF-8: one U+FFFD per maximal subpart, like Python. */
static void test_decode_repair(qa_t *t)
{
    qa_tokenizer *tok = load_tiny(t);
    if (!tok) return;
    static const struct {
        int32_t ids[4];
        size_t n;
        const char *want;
    } cases[] = {
        {{0xE2, 0x82}, 2, "\xEF\xBF\xBD"},                      /* truncated 3-byte sequence */
        {{0xE2, 0x82, 'A'}, 3, "\xEF\xBF\xBD" "A"},
        {{0xE2, 0x82, 0xAC}, 3, "\xE2\x82\xAC"},                 /* valid euro sign */
        {{0xC0, 0xAF}, 2, "\xEF\xBF\xBD\xEF\xBF\xBD"},           /* overlong */
        {{0xED, 0xA0, 0x80}, 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, /* surrogate */
        {{0xF0, 0x9F, 0x98}, 3, "\xEF\xBF\xBD"},
        {{0xFF, 'x'}, 2, "\xEF\xBF\xBD" "x"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char *s = NULL;
        size_t n = 0;
        CHECK_OK(t, qa_tokenizer_decode(tok, cases[k].ids, cases[k].n, 0, &s, &n));
        CHECK_MSG(t, s && n == strlen(cases[k].want) && !memcmp(s, cases[k].want, n), "case %zu", k);
        free(s);
    }
    /* specials decode to their surface, or vanish with skip_special; bad ids are errors */
    int32_t ids[] = {'h', QA_TOK_ENDOFTEXT, 'i', QA_TOK_AUDIO_START};
    char *s = NULL;
    size_t n = 0;
    CHECK_OK(t, qa_tokenizer_decode(tok, ids, 4, 0, &s, &n));
    CHECK(t, s && !strcmp(s, "h<|endoftext|>i<audio>") && n == 22);
    free(s);
    CHECK_OK(t, qa_tokenizer_decode(tok, ids, 4, 1, &s, &n));
    CHECK(t, s && !strcmp(s, "hi") && n == 2);
    free(s);
    int32_t bad1[] = {QA_TOK_VOCAB_SIZE}, bad2[] = {-1}, bad3[] = {5000}; /* 5000: no such rank in tiny */
    CHECK_STATUS(t, qa_tokenizer_decode(tok, bad1, 1, 0, &s, &n), QA_ERR_ARG);
    CHECK_STATUS(t, qa_tokenizer_decode(tok, bad2, 1, 0, &s, &n), QA_ERR_ARG);
    CHECK_STATUS(t, qa_tokenizer_decode(tok, bad3, 1, 0, &s, &n), QA_ERR_ARG);
    CHECK_OK(t, qa_tokenizer_decode(tok, NULL, 0, 0, &s, &n));
    CHECK(t, s && n == 0 && s[0] == 0);
    free(s);
    qa_tokenizer_free(tok);
}

/* The NFC shortcut: every code point declared inert must be left alone by utf8proc, alone and
 * after a few starters it could compose with. */
static void test_nfc_inert_ranges(qa_t *t)
{
    static const uint32_t starters[] = {'A', 'e', 0x304B /* ka */, 0xAC00 /* ga (LV) */, 0x1100 /* jamo L */,
                                        0x0915 /* ka, Devanagari */};
    int bad = 0;
    uint32_t first_bad = 0;
    for (uint32_t cp = 0; cp < 0x10000 && bad == 0; cp++) {
        if (!qa_nfc_inert_codepoint(cp) || (cp >= 0xD800 && cp <= 0xDFFF)) continue;
        if (utf8proc_get_property((utf8proc_int32_t)cp)->combining_class != 0) bad++, first_bad = cp;
        for (size_t k = 0; k < sizeof starters / sizeof *starters && !bad; k++) {
            utf8proc_uint8_t in[16];
            utf8proc_ssize_t n = utf8proc_encode_char((utf8proc_int32_t)starters[k], in);
            n += utf8proc_encode_char((utf8proc_int32_t)cp, in + n);
            utf8proc_uint8_t *out = NULL;
            utf8proc_ssize_t m = utf8proc_map(in, n, &out, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
            if (m != n || memcmp(in, out, (size_t)n)) bad++, first_bad = cp;
            free(out);
        }
    }
    CHECK_MSG(t, bad == 0, "U+%04X is declared NFC-inert but is not", first_bad);
    CHECK(t, !qa_nfc_inert_codepoint(0x0301) && !qa_nfc_inert_codepoint(0x3099) && !qa_nfc_inert_codepoint(0x212B));
}

/* ---- real vocabulary ---- */

static void run_cases(qa_t *t, qa_tokenizer *tok, const char *file, size_t want_cases)
{
    char *data = NULL;
    size_t len = 0;
    CHECK_OK(t, qa_file_read_all(file, &data, &len));
    if (!data) return;
    size_t ncase = 0;
    qa_ids ids = {0};
    for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *c = cJSON_Parse(line);
        CHECK_MSG(t, c != NULL, "%s: bad JSON line", file);
        if (!c) continue;
        const cJSON *name = cJSON_GetObjectItem(c, "name"), *text = cJSON_GetObjectItem(c, "text"),
                    *sp = cJSON_GetObjectItem(c, "special"), *want = cJSON_GetObjectItem(c, "ids");
        CHECK(t, cJSON_IsString(name) && cJSON_IsString(text) && cJSON_IsString(sp) && cJSON_IsArray(want));
        if (!cJSON_IsString(text) || !cJSON_IsArray(want) || !cJSON_IsString(sp)) {
            cJSON_Delete(c);
            continue;
        }
        qa_special_mode mode = !strcmp(sp->valuestring, "all") ? QA_SPECIAL_ALL
                               : !strcmp(sp->valuestring, "audio") ? QA_SPECIAL_AUDIO
                                                                   : QA_SPECIAL_NONE;
        /* cJSON strings stop at NUL; none of the cases holds U+0000 except where noted by length */
        const char *s = text->valuestring;
        size_t sl = strlen(s);
        ids.n = 0;
        CHECK_OK(t, qa_tokenizer_encode(tok, s, sl, mode, &ids));
        int n = cJSON_GetArraySize(want), ok = (size_t)n == ids.n;
        for (int i = 0; ok && i < n; i++) ok = cJSON_GetArrayItem(want, i)->valueint == ids.ids[i];
        CHECK_MSG(t, ok, "case %s: %zu ids, expected %d (first difference shown by qaudio tokenize)",
                  name->valuestring, ids.n, n);
        /* decode(encode(x)) == NFC(x) */
        utf8proc_uint8_t *nfc = NULL;
        utf8proc_ssize_t nl = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)sl, &nfc,
                                           UTF8PROC_STABLE | UTF8PROC_COMPOSE);
        char *back = NULL;
        size_t bl = 0;
        CHECK_OK(t, qa_tokenizer_decode(tok, ids.ids, ids.n, 0, &back, &bl));
        CHECK_MSG(t, nl >= 0 && back && (size_t)nl == bl && !memcmp(back, nfc, bl), "case %s: decode != NFC(text)",
                  name->valuestring);
        free(back);
        free(nfc);
        ncase++;
        cJSON_Delete(c);
    }
    CHECK_MSG(t, ncase == want_cases, "%s: %zu cases, expected %zu", file, ncase, want_cases);
    qa_ids_free(&ids);
    free(data);
}

static void test_golden_cases(qa_t *t)
{
    qa_tokenizer *tok = load_real(t);
    if (!tok) return;
    run_cases(t, tok, "tests/data/tokenizer/cases.jsonl", 40);
    qa_tokenizer_free(tok);
}

static void test_own_cases(qa_t *t)
{
    qa_tokenizer *tok = load_real(t);
    if (!tok) return;
    run_cases(t, tok, "tests/data/tokenizer/extra_cases.jsonl", 30);
    qa_tokenizer_free(tok);
}

/* Long inputs: a 200k-space run and a 100 kB line of Chinese (one regex piece: the heap merge). */
static void test_long_inputs(qa_t *t)
{
    qa_tokenizer *tok = load_real(t);
    if (!tok) return;
    size_t n = 200000;
    char *s = malloc(n + 2);
    CHECK(t, s != NULL);
    if (!s) return;
    memset(s, ' ', n);
    s[n] = 'x';
    qa_ids ids = {0};
    CHECK_OK(t, qa_tokenizer_encode(tok, s, n + 1, QA_SPECIAL_ALL, &ids));
    char *back = NULL;
    size_t bl = 0;
    CHECK_OK(t, qa_tokenizer_decode(tok, ids.ids, ids.n, 0, &back, &bl));
    CHECK(t, back && bl == n + 1 && !memcmp(back, s, bl));
    CHECK(t, ids.n > 1 && ids.n < n / 8); /* runs of spaces merge into long tokens */
    free(back);
    free(s);
    const char *zh = "语音识别是人工智能的一个重要方向";
    size_t zl = strlen(zh), reps = 100000 / zl;
    s = malloc(zl * reps + 1);
    for (size_t i = 0; i < reps; i++) memcpy(s + i * zl, zh, zl);
    ids.n = 0;
    CHECK_OK(t, qa_tokenizer_encode(tok, s, zl * reps, QA_SPECIAL_ALL, &ids));
    /* the quadratic loop (slow on long pieces) agrees with the heap on an 8 kB prefix */
    qa_ids q = {0}, h = {0};
    size_t pre = zl * (8000 / zl);
    CHECK_OK(t, qa_bpe_encode_piece(tok->bpe, (const uint8_t *)s, pre, 1, &q));
    CHECK_OK(t, qa_bpe_encode_piece(tok->bpe, (const uint8_t *)s, pre, 2, &h));
    CHECK(t, q.n == h.n && q.n > 100 && !memcmp(q.ids, h.ids, q.n * sizeof *q.ids));
    qa_ids_free(&h);
    CHECK_OK(t, qa_tokenizer_decode(tok, ids.ids, ids.n, 0, &back, &bl));
    CHECK(t, back && bl == zl * reps && !memcmp(back, s, bl));
    free(back);
    free(s);
    qa_ids_free(&q);
    qa_ids_free(&ids);
    qa_tokenizer_free(tok);
}

typedef struct {
    const qa_tokenizer *tok;
    const char *text;
    qa_ids ids;
    qa_status s;
} thread_job;

static void *encode_many(void *arg)
{
    thread_job *j = arg;
    for (int i = 0; i < 200 && !j->s; i++) {
        j->ids.n = 0;
        j->s = qa_tokenizer_encode(j->tok, j->text, strlen(j->text), QA_SPECIAL_AUDIO, &j->ids);
    }
    return NULL;
}

static void test_threads(qa_t *t)
{
    /* the real vocabulary when present, else the tiny one: the property holds for both */
    char buf[600];
    qa_tokenizer *tok = qa_test_shared_path(buf, sizeof buf, "assets/qwen.tiktoken") ? load_real(t) : load_tiny(t);
    if (!tok) return;
    const char *text = "Grüße aus Köln! 你好，世界。<|en|> naïve café <|endoftext|> it's 2023.\r\n  x";
    thread_job j[3] = {{tok, text, {0}, QA_OK}, {tok, text, {0}, QA_OK}, {tok, text, {0}, QA_OK}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) CHECK(t, pthread_create(&th[i], NULL, encode_many, &j[i]) == 0);
    encode_many(&j[2]);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 3; i++) CHECK_OK(t, j[i].s);
    CHECK(t, j[0].ids.n > 10 && j[0].ids.n == j[1].ids.n && j[1].ids.n == j[2].ids.n);
    CHECK(t, !memcmp(j[0].ids.ids, j[1].ids.ids, j[0].ids.n * 4) && !memcmp(j[0].ids.ids, j[2].ids.ids, j[0].ids.n * 4));
    for (int i = 0; i < 3; i++) qa_ids_free(&j[i].ids);
    qa_tokenizer_free(tok);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {{"special_table", test_special_table},
                                         {"tiny_bpe", test_tiny_bpe},
                                         {"merge_loops_agree", test_merge_loops_agree},
                                         {"corrupt_vocab", test_corrupt_vocab},
                                         {"load_dir", test_load_dir},
                                         {"invalid_utf8", test_invalid_utf8},
                                         {"decode_repair", test_decode_repair},
                                         {"nfc_inert_ranges", test_nfc_inert_ranges},
                                         {"golden_cases", test_golden_cases},
                                         {"own_cases", test_own_cases},
                                         {"long_inputs", test_long_inputs},
                                         {"threads", test_threads},
                                         {0}};
    return qa_test_main(argc, argv, cases);
}
