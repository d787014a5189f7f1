/* data/tokenizer_spm: training a sentencepiece tokenizer for from-scratch recipes
 * (`qaudio spm-train`). Adds the Qwen-Audio special strings (tags, languages, timestamps, audio
 * markers, ChatML markers) as user-defined symbols, so the task format of data/format works
 * unchanged with the new vocabulary (ids differ: look them up with qa_tokenizer_special_id).
 * sentencepiece writes PREFIX.model/.vocab itself; we let it write under a temporary prefix and
 * rename both files into place, so an interrupted run leaves no half-written model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/special_tokens.h"
#include "data/spm_shim.h"
#include "data/tokenizer.h"

qa_status qa_tokenizer_spm_train(const qa_spm_train_opts *o)
{
    if (!o || !o->input || !o->prefix || !*o->prefix) return qa_error(QA_ERR_ARG, "spm-train: input and prefix are required");
    if (access(o->input, R_OK) != 0) return qa_error(QA_ERR_IO, "cannot read corpus %s", o->input);
    size_t n_user = o->with_qwen_specials ? QA_TOK_N_SPECIAL : 0;
    if (o->vocab_size <= (int)n_user + 256 + 3)
        return qa_error(QA_ERR_ARG,
                        "vocab size %d is too small: it must exceed the %zu special symbols + 256 byte pieces + 3 "
                        "(unk, bos, eos); use at least %zu",
                        o->vocab_size, n_user, n_user + 256 + 3 + 100);
    const char *mt = o->model_type ? o->model_type : "unigram";
    if (strcmp(mt, "unigram") && strcmp(mt, "bpe") && strcmp(mt, "char") && strcmp(mt, "word"))
        return qa_error(QA_ERR_ARG, "unknown sentencepiece model type '%s' (unigram, bpe, char or word)", mt);
    char **syms = NULL;
    char *store = NULL;
    qa_status s = QA_OK;
    if (n_user) {
        syms = malloc(n_user * sizeof *syms);
        store = malloc(n_user * 64);
        if (!syms || !store) {
            free(syms);
            free(store);
            return qa_error(QA_ERR_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < n_user; i++) {
            syms[i] = store + 64 * i;
            qa_tokenizer_qwen_special_surface(i, syms[i], 64);
        }
    }
    size_t pl = strlen(o->prefix) + 64;
    char *tmp = malloc(pl), *from = malloc(pl + 8), *to = malloc(pl + 8);
    if (!tmp || !from || !to) {
        s = qa_error(QA_ERR_NOMEM, "out of memory");
        goto done;
    }
    snprintf(tmp, pl, "%s.tmp.%ld", o->prefix, (long)getpid());
    s = qa_spm_train(o->input, tmp, o->vocab_size, mt, o->character_coverage, (const char *const *)syms, n_user);
    const char *ext[2] = {".vocab", ".model"}; /* .model last: its presence means complete */
    for (int k = 0; k < 2; k++) {
        snprintf(from, pl + 8, "%s%s", tmp, ext[k]);
        snprintf(to, pl + 8, "%s%s", o->prefix, ext[k]);
        if (!s && rename(from, to) != 0) s = qa_error(QA_ERR_IO, "cannot rename %s to %s", from, to);
        if (s) remove(from);
    }
done:
    free(tmp);
    free(from);
    free(to);
    free(syms);
    free(store);
    return s;
}
