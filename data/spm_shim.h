/* data/spm_shim: sentencepiece (C++) behind a plain C interface. The implementation, spm_shim.cc,
 * is the only C++ file in the tree; every entry point catches all exceptions and reports failures
 * as qa_status with a message. Used by data/tokenizer.c for `*.model` tokenizers and by
 * `qaudio spm-train`. */
#ifndef QA_DATA_SPM_SHIM_H
#define QA_DATA_SPM_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "core/status.h" /* inside extern "C": core/status.h is a plain C header */

typedef struct qa_spm qa_spm;

qa_status qa_spm_load(const char *path, qa_spm **out);
void qa_spm_free(qa_spm *m);
/* Appends ids via the callback-free growable array (ids, n, cap as in qa_ids). */
qa_status qa_spm_encode(const qa_spm *m, const char *text, size_t len, int32_t **ids, size_t *n, size_t *cap);
/* malloc'd NUL-terminated text. */
qa_status qa_spm_decode(const qa_spm *m, const int32_t *ids, size_t n, char **text, size_t *len);
size_t qa_spm_vocab_size(const qa_spm *m);
/* Id of an exact piece string, -1 when the piece is not in the vocabulary. */
int32_t qa_spm_piece_id(const qa_spm *m, const char *piece, size_t len);
/* Piece string of an id (valid while the model lives), NULL when out of range. */
const char *qa_spm_id_piece(const qa_spm *m, int32_t id, size_t *len);
int qa_spm_is_control(const qa_spm *m, int32_t id);

/* Trains a model: writes prefix.model and prefix.vocab (directly; the caller renames into place).
 * user_symbols: n_user NUL-terminated strings added as user_defined_symbols. */
qa_status qa_spm_train(const char *input, const char *prefix, int vocab_size, const char *model_type,
                       double character_coverage, const char *const *user_symbols, size_t n_user);

#ifdef __cplusplus
}
#endif

#endif
