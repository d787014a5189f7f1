/* libFuzzer target for data/tokenizer: arbitrary bytes are encoded in all three special-token
 * modes; valid UTF-8 must encode, and decode back to exactly NFC(input); invalid UTF-8 must be
 * rejected with QA_ERR_ARG. The bytes are also read as token ids and decoded (the result must be
 * valid UTF-8). Inputs starting with byte 0x01 exercise the vocabulary parser instead.
 * Uses the real qwen.tiktoken from $QAUDIO_SHARED/assets or ../shared/assets when present, else a
 * small synthetic vocabulary written to a temporary file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utf8proc.h>

#include "data/special_tokens.h"
#include "data/tokenizer.h"
#include "data/tokenizer_internal.h"

/* The harness's one loaded vocabulary (read-only after LLVMFuzzerInitialize). */
static qa_tokenizer *g_tok;

static const char *synthetic_vocab(void)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/qaudio-fuzz-vocab-%ld.tiktoken", (long)getpid());
    FILE *f = fopen(path, "w");
    if (!f) return NULL;
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char *merges[] = {"  ", "    ", "he", "ll", "hello", "\xe4\xbd", "\xe4\xbd\xa0", "ab", "abc", "\r\n", NULL};
    int r = 0;
    for (int c = 0; c < 256; c++, r++)
        fprintf(f, "%c%c== %d\n", b64[c >> 2], b64[(c & 3) << 4], r);
    for (int i = 0; merges[i]; i++, r++) {
        const uint8_t *p = (const uint8_t *)merges[i];
        size_t n = strlen(merges[i]);
        char enc[64];
        size_t o = 0;
        for (size_t k = 0; k < n; k += 3) {
            uint32_t x = (uint32_t)p[k] << 16 | (k + 1 < n ? (uint32_t)p[k + 1] << 8 : 0) | (k + 2 < n ? p[k + 2] : 0);
            enc[o++] = b64[x >> 18 & 63];
            enc[o++] = b64[x >> 12 & 63];
            enc[o++] = k + 1 < n ? b64[x >> 6 & 63] : '=';
            enc[o++] = k + 2 < n ? b64[x & 63] : '=';
        }
        enc[o] = 0;
        fprintf(f, "%s %d\n", enc, r);
    }
    fclose(f);
    return path;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char path[512];
    const char *shared = getenv("QAUDIO_SHARED");
    snprintf(path, sizeof path, "%s/assets/qwen.tiktoken", shared && *shared ? shared : "../shared");
    if (access(path, R_OK) == 0 && qa_tokenizer_load(path, &g_tok) == QA_OK) {
        fprintf(stderr, "fuzz_tokenizer: using %s\n", path);
        return 0;
    }
    const char *syn = synthetic_vocab();
    if (!syn || qa_tokenizer_load(syn, &g_tok) != QA_OK) {
        fprintf(stderr, "fuzz_tokenizer: cannot load a vocabulary: %s\n", qa_error_message());
        abort();
    }
    remove(syn);
    fprintf(stderr, "fuzz_tokenizer: qwen.tiktoken not found, using a synthetic vocabulary\n");
    return 0;
}

/* Inputs starting with byte 0x01 are vocabulary files for the tiktoken parser instead: it must
 * either load them or fail with QA_ERR_FORMAT. */
static int fuzz_vocab(const uint8_t *data, size_t size)
{
    qa_bpe *b = NULL;
    qa_status s = qa_bpe_load_buffer("fuzz.tiktoken", data, size, &b);
    if (s != QA_OK && s != QA_ERR_FORMAT) abort();
    if (s == QA_OK) {
        qa_ids ids = {0};
        static const char probe[] = "Hello world, it's 2023!  \n";
        if (qa_bpe_encode_ordinary(b, (const uint8_t *)probe, sizeof probe - 1, &ids) != QA_OK) abort();
        qa_ids_free(&ids);
    }
    qa_bpe_free(b);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0 && data[0] == 0x01) return fuzz_vocab(data + 1, size - 1);
    const char *text = (const char *)data;
    int valid = qa_utf8_invalid_at(data, size) == size;
    utf8proc_uint8_t *nfc = NULL;
    utf8proc_ssize_t nfc_len = -1;
    if (valid) nfc_len = utf8proc_map(data, (utf8proc_ssize_t)size, &nfc, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (valid && nfc_len < 0) abort(); /* our UTF-8 check and utf8proc disagree */
    static const qa_special_mode modes[3] = {QA_SPECIAL_ALL, QA_SPECIAL_AUDIO, QA_SPECIAL_NONE};
    for (int m = 0; m < 3; m++) {
        qa_ids ids = {0};
        qa_status s = qa_tokenizer_encode(g_tok, text, size, modes[m], &ids);
        if (!valid) {
            if (s != QA_ERR_ARG) abort();
            qa_ids_free(&ids);
            continue;
        }
        if (s != QA_OK) abort();
        char *back = NULL;
        size_t bl = 0;
        if (qa_tokenizer_decode(g_tok, ids.ids, ids.n, 0, &back, &bl) != QA_OK) abort();
        if (bl != (size_t)nfc_len || memcmp(back, nfc, bl)) abort(); /* decode(encode(x)) != NFC(x) */
        free(back);
        qa_ids_free(&ids);
    }
    free(nfc);
    /* the same bytes as ids (mod the vocabulary) decode to valid UTF-8, with and without specials */
    size_t n = size / 4, vocab = qa_tokenizer_vocab_size(g_tok);
    int32_t *ids = malloc((n ? n : 1) * sizeof *ids);
    if (!ids) return 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t v;
        memcpy(&v, data + 4 * i, 4);
        ids[i] = (int32_t)(v % vocab);
    }
    for (int skip = 0; skip < 2; skip++) {
        char *out = NULL;
        size_t ol = 0;
        qa_status s = qa_tokenizer_decode(g_tok, ids, n, skip, &out, &ol);
        /* the synthetic vocabulary has holes between its last rank and 151643: those ids are errors */
        if (s == QA_OK && qa_utf8_invalid_at((const uint8_t *)out, ol) != ol) abort();
        if (s != QA_OK && s != QA_ERR_ARG) abort();
        free(out);
    }
    free(ids);
    return 0;
}
