/* Unit tests for the sentencepiece backend (data/spm_shim.cc, data/tokenizer_spm.c): train on a
 * small generated corpus, load through qa_tokenizer_load, round-trip text, and check that every
 * Qwen-Audio special string is a single id. Needs no external asset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/special_tokens.h"
#include "data/tokenizer.h"
#include "tests/support/test.h"

static const char *const words[] = {"the", "audio", "model", "speech", "is", "a", "of", "and", "music", "sound",
                                    "person", "says", "hello", "world", "dog", "barks", "loud", "quiet", "train",
                                    "station", "rain", "falls", "on", "roof", "birds", "sing", "morning"};

static const char *corpus_path(void)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/corpus.txt", qa_test_tmpdir());
    FILE *f = fopen(path, "w");
    if (!f) return NULL;
    uint32_t x = 1;
    for (int line = 0; line < 3000; line++) {
        int n = 4 + line % 9;
        for (int i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            fprintf(f, "%s%s", i ? " " : "", words[(x >> 16) % (sizeof words / sizeof *words)]);
        }
        fputc('\n', f);
    }
    fclose(f);
    return path;
}

static qa_tokenizer *trained(qa_t *t, const char *name, int specials, int vocab)
{
    const char *corpus = corpus_path();
    CHECK(t, corpus != NULL);
    if (!corpus) return NULL;
    char prefix[600], model[700];
    snprintf(prefix, sizeof prefix, "%s/%s", qa_test_tmpdir(), name);
    qa_spm_train_opts o = {corpus, prefix, vocab, "unigram", 0, specials};
    qa_status s = qa_tokenizer_spm_train(&o);
    CHECK_OK(t, s);
    if (s) return NULL;
    snprintf(model, sizeof model, "%s.model", prefix);
    struct stat st;
    CHECK(t, stat(model, &st) == 0 && st.st_size > 0);
    snprintf(model, sizeof model, "%s.vocab", prefix);
    CHECK(t, stat(model, &st) == 0 && st.st_size > 0);
    snprintf(model, sizeof model, "%s.tmp.%ld.model", prefix, (long)getpid());
    CHECK(t, stat(model, &st) != 0); /* temporary renamed away */
    snprintf(model, sizeof model, "%s.model", prefix);
    qa_tokenizer *tok = NULL;
    CHECK_OK(t, qa_tokenizer_load(model, &tok));
    if (tok) CHECK(t, qa_tokenizer_get_kind(tok) == QA_TOKENIZER_SPM);
    return tok;
}

static void test_train_roundtrip_specials(qa_t *t)
{
    qa_tokenizer *tok = trained(t, "qwenspm", 1, 4200);
    if (!tok) return;
    size_t v = qa_tokenizer_vocab_size(tok);
    CHECK_MSG(t, v > QA_TOK_N_SPECIAL + 256 && v <= 4200, "vocab %zu", v);
    /* every special string is one user-defined id */
    char buf[64];
    int all_single = 1;
    int32_t prev = -1;
    for (size_t i = 0; i < QA_TOK_N_SPECIAL && all_single; i++) {
        qa_tokenizer_qwen_special_surface(i, buf, sizeof buf);
        int32_t id = qa_tokenizer_special_id(tok, buf);
        qa_ids ids = {0};
        CHECK_OK(t, qa_tokenizer_encode(tok, buf, strlen(buf), QA_SPECIAL_ALL, &ids));
        /* sentencepiece may put a word-boundary piece before the symbol */
        all_single = id >= 0 && id != prev && ids.n >= 1 && ids.n <= 2 && ids.ids[ids.n - 1] == id &&
                     qa_tokenizer_is_special(tok, id);
        if (!all_single) fprintf(stdout, "  special %s: id %d, %zu ids\n", buf, (int)id, ids.n);
        prev = id;
        qa_ids_free(&ids);
    }
    CHECK(t, all_single);
    /* round trip of text in the corpus' alphabet, with specials inside */
    const char *text = "the person says hello world<|en|><|2.33|> dog barks<audio>rain</audio>";
    qa_ids ids = {0};
    CHECK_OK(t, qa_tokenizer_encode(tok, text, strlen(text), QA_SPECIAL_ALL, &ids));
    CHECK(t, ids.n > 5);
    int has_ts = 0;
    for (size_t i = 0; i < ids.n; i++) has_ts |= ids.ids[i] == qa_tokenizer_special_id(tok, "<|2.33|>");
    CHECK(t, has_ts);
    char *back = NULL;
    size_t bl = 0;
    CHECK_OK(t, qa_tokenizer_decode(tok, ids.ids, ids.n, 0, &back, &bl));
    CHECK_MSG(t, back && bl == strlen(text) && !strcmp(back, text), "decoded '%s'", back ? back : "(null)");
    free(back);
    CHECK_OK(t, qa_tokenizer_decode(tok, ids.ids, ids.n, 1, &back, &bl));
    CHECK_MSG(t, back && !strstr(back, "<|") && strstr(back, "dog barks"), "skip_special gave '%s'", back ? back : "");
    free(back);
    int32_t bad[] = {(int32_t)v};
    CHECK_STATUS(t, qa_tokenizer_decode(tok, bad, 1, 0, &back, &bl), QA_ERR_ARG);
    CHECK(t, qa_tokenizer_special_id(tok, "<|nonexistent|>") == -1);
    CHECK(t, qa_tokenizer_special_id(tok, "dog") == -1); /* an ordinary piece is not special */
    qa_ids_free(&ids);
    qa_tokenizer_free(tok);
}

static void test_train_without_specials(qa_t *t)
{
    qa_tokenizer *tok = trained(t, "plain", 0, 400);
    if (!tok) return;
    CHECK(t, qa_tokenizer_special_id(tok, "<|en|>") == -1);
    const char *text = "birds sing on the roof";
    qa_ids ids = {0};
    CHECK_OK(t, qa_tokenizer_encode(tok, text, strlen(text), QA_SPECIAL_ALL, &ids));
    char *back = NULL;
    size_t bl = 0;
    CHECK_OK(t, qa_tokenizer_decode(tok, ids.ids, ids.n, 0, &back, &bl));
    CHECK(t, back && !strcmp(back, text));
    free(back);
    qa_ids_free(&ids);
    qa_tokenizer_free(tok);
}

static void test_bad_input(qa_t *t)
{
    char path[600];
    qa_spm_train_opts o = {"/nonexistent/corpus.txt", "/tmp/x", 5000, NULL, 0, 1};
    CHECK_STATUS(t, qa_tokenizer_spm_train(&o), QA_ERR_IO);
    const char *corpus = corpus_path();
    snprintf(path, sizeof path, "%s/small", qa_test_tmpdir());
    qa_spm_train_opts o2 = {corpus, path, 1000, NULL, 0, 1}; /* below the 3522 specials */
    CHECK_STATUS(t, qa_tokenizer_spm_train(&o2), QA_ERR_ARG);
    CHECK(t, strstr(qa_error_message(), "too small") != NULL);
    qa_spm_train_opts o3 = {corpus, path, 500, "bogus", 0, 0};
    CHECK_STATUS(t, qa_tokenizer_spm_train(&o3), QA_ERR_ARG);
    /* a .model that is not a sentencepiece model */
    snprintf(path, sizeof path, "%s/garbage.model", qa_test_tmpdir());
    FILE *f = fopen(path, "w");
    CHECK(t, f != NULL);
    if (f) {
        fputs("this is not a protobuf\n", f);
        fclose(f);
    }
    qa_tokenizer *tok = (qa_tokenizer *)1;
    CHECK_STATUS(t, qa_tokenizer_load(path, &tok), QA_ERR_FORMAT);
    CHECK(t, tok == NULL && strstr(qa_error_message(), "garbage.model") != NULL);
    snprintf(path, sizeof path, "%s/missing.model", qa_test_tmpdir());
    CHECK_STATUS(t, qa_tokenizer_load(path, &tok), QA_ERR_IO);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {{"train_roundtrip_specials", test_train_roundtrip_specials},
                                         {"train_without_specials", test_train_without_specials},
                                         {"bad_input", test_bad_input},
                                         {0}};
    return qa_test_main(argc, argv, cases);
}
