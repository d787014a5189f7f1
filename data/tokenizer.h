/* data/tokenizer: the text <-> token-id gate. One interface, two backends:
 *   - a `*.tiktoken` path loads the Qwen byte-level BPE (qwen.tiktoken: base64 token, space, rank per
 *     line) plus the fixed Qwen-Audio special-token table (data/special_tokens.h, spec appendix A);
 *     encoding is exactly tiktoken's: NFC, special strings split out per mode, the split regex
 *     (PCRE2, UTF+UCP, JIT), rank-ordered byte-pair merging inside each piece.
 *   - a `*.model` path loads a sentencepiece model through the C shim data/spm_shim.h.
 *
 * Usage:
 *   qa_tokenizer *tok; qa_ids ids = {0};
 *   if ((s = qa_tokenizer_load("../shared/assets/qwen.tiktoken", &tok))) return s;
 *   s = qa_tokenizer_encode(tok, text, strlen(text), QA_SPECIAL_ALL, &ids);   // appends
 *   char *back; size_t n; s = qa_tokenizer_decode(tok, ids.ids, ids.n, 0, &back, &n);
 *   free(back); qa_ids_free(&ids); qa_tokenizer_free(tok);
 *
 * A loaded tokenizer is immutable: encode/decode may be called from many threads at once. */
#ifndef QA_DATA_TOKENIZER_H
#define QA_DATA_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef struct qa_tokenizer qa_tokenizer; /* immutable after load; encode/decode are thread-safe */

/* Which special-token surface strings encode recognises; the others are encoded as plain text. */
typedef enum {
    QA_SPECIAL_NONE = 0,  /* no special string is recognised */
    QA_SPECIAL_AUDIO = 1, /* only the audio list (tags, languages, timestamps, midi, audio markers):
                             what Qwen's make_context allows */
    QA_SPECIAL_ALL = 2    /* every special string (tokenize()'s default) */
} qa_special_mode;

typedef struct {
    int32_t *ids;
    size_t n, cap;
} qa_ids; /* growable id array; zero-initialise, free with qa_ids_free */

qa_status qa_ids_push(qa_ids *v, int32_t id);
void qa_ids_free(qa_ids *v);

/* *.model -> sentencepiece; any other file -> Qwen BPE (tiktoken format); a directory (a checkpoint)
 * -> its qwen.tiktoken, else its tokenizer.model. Errors name the file (and line). */
qa_status qa_tokenizer_load(const char *path, qa_tokenizer **out);
void qa_tokenizer_free(qa_tokenizer *tok);

/* Encodes `len` bytes of UTF-8 `text` (invalid UTF-8 -> QA_ERR_ARG) and APPENDS the ids to out;
 * on failure out->n is left as it was. */
qa_status qa_tokenizer_encode(const qa_tokenizer *tok, const char *text, size_t len, qa_special_mode mode,
                              qa_ids *out);
/* Decodes ids to malloc'd, NUL-terminated UTF-8 (*len excludes the NUL); invalid byte sequences
 * become U+FFFD (Python errors="replace"). skip_special drops special tokens (ids >= 151643 for
 * Qwen; control/user-defined symbols for sentencepiece). Out-of-range ids -> QA_ERR_ARG. */
qa_status qa_tokenizer_decode(const qa_tokenizer *tok, const int32_t *ids, size_t n, int skip_special,
                              char **text, size_t *len);

/* Id of a special token given its surface string ("<|endoftext|>"), -1 if there is none. */
int32_t qa_tokenizer_special_id(const qa_tokenizer *tok, const char *surface);
/* Number of ids (Qwen: 155165 = 151643 BPE ranks + 3522 specials). */
size_t qa_tokenizer_vocab_size(const qa_tokenizer *tok);

/* ---- additions beyond the frozen interface ---- */

typedef enum { QA_TOKENIZER_TIKTOKEN = 1, QA_TOKENIZER_SPM = 2 } qa_tokenizer_kind;
qa_tokenizer_kind qa_tokenizer_get_kind(const qa_tokenizer *tok);

/* Is `id` a special token (Qwen: id >= 151643; spm: control or user-defined symbol)? */
int qa_tokenizer_is_special(const qa_tokenizer *tok, int32_t id);

/* Raw bytes of one id (BPE bytes or the special surface string) without UTF-8 repair. Points into
 * the tokenizer (valid while it lives); NULL for ids out of range. For sentencepiece, the piece
 * string (with U+2581 for spaces). */
const char *qa_tokenizer_id_bytes(const qa_tokenizer *tok, int32_t id, size_t *len);

/* Trains a sentencepiece model (unigram unless model_type says "bpe"/"char"/"word") from a text
 * file, one sentence per line, with the Qwen-Audio special tokens as user-defined symbols; writes
 * PREFIX.model and PREFIX.vocab atomically. */
typedef struct {
    const char *input;      /* corpus text file */
    const char *prefix;     /* output prefix */
    int vocab_size;         /* must exceed the number of special symbols + a few hundred */
    const char *model_type; /* NULL = "unigram" */
    double character_coverage; /* 0 = default 0.9995 */
    int with_qwen_specials; /* add the Qwen-Audio special strings as user-defined symbols */
} qa_spm_train_opts;
qa_status qa_tokenizer_spm_train(const qa_spm_train_opts *opts);

/* Writes the `i`-th Qwen special-token surface string (i in 0..QA_TOK_N_SPECIAL-1, id = 151643 + i)
 * into buf (NUL-terminated); returns its length, or 0 when i is out of range or buf too small. */
size_t qa_tokenizer_qwen_special_surface(size_t i, char *buf, size_t cap);
/* Whether Qwen special i belongs to the audio list (allowed in QA_SPECIAL_AUDIO mode). */
int qa_tokenizer_qwen_special_is_audio(size_t i);

#endif
