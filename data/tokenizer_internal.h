/* data/tokenizer_internal: the parts of the tokenizer shared between its files (not a public API).
 * tokenizer.c       dispatch, qa_ids, NFC, UTF-8 checks and repair, special-string scanning
 * tokenizer_bpe.c   qwen.tiktoken loading, the byte-string hash table, split regex, rank BPE
 * tokenizer_special.c  the fixed Qwen-Audio special-token table (spec appendix A)
 * spm_shim.cc       sentencepiece behind extern "C" (data/spm_shim.h) */
#ifndef QA_DATA_TOKENIZER_INTERNAL_H
#define QA_DATA_TOKENIZER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "data/spm_shim.h"
#include "data/tokenizer.h"

/* Open-addressing hash table from byte strings (stored elsewhere) to int32 values. Read-only
 * after construction, so lookups from many threads are safe. */
typedef struct {
    uint32_t hi; /* upper hash bits of the key, to skip most memcmp calls */
    int32_t val; /* value, -1 = empty slot */
} qa_bytes_slot;  /* one probe touches one cache line */

typedef struct {
    qa_bytes_slot *slot; /* (cap) */
    size_t cap;      /* power of two */
    const uint8_t *blob;     /* key bytes of value v: blob[off[v] .. off[v+1]) */
    const uint32_t *off;
} qa_bytes_map;

uint64_t qa_bytes_hash(const uint8_t *p, size_t n);
/* Builds a table over values 0..n-1 whose keys are blob[off[v]..off[v+1]) (empty keys are skipped).
 * Returns the value of the first duplicate found in *dup (else -1). */
qa_status qa_bytes_map_build(qa_bytes_map *m, const uint8_t *blob, const uint32_t *off, int32_t n, int32_t *dup);
void qa_bytes_map_free(qa_bytes_map *m);
/* Value for key p[0..n), or -1. */
int32_t qa_bytes_map_get(const qa_bytes_map *m, const uint8_t *p, size_t n);

typedef struct qa_bpe qa_bpe; /* the tiktoken half: ranks + split regex */

struct qa_tokenizer {
    qa_tokenizer_kind kind;
    /* tiktoken backend */
    qa_bpe *bpe;
    uint8_t *sp_blob;        /* special surfaces, concatenated */
    uint32_t *sp_off;        /* (QA_TOK_N_SPECIAL + 1) offsets into sp_blob */
    qa_bytes_map sp_map;     /* surface -> special index (id - 151643) */
    size_t sp_maxlen;        /* longest special surface */
    /* sentencepiece backend */
    qa_spm *spm;
    uint8_t *spm_special;    /* (vocab) 1 = control or Qwen special symbol */
    size_t spm_vocab;
};

/* BPE backend (tokenizer_bpe.c). */
qa_status qa_bpe_load(const char *path, qa_bpe **out);
/* The same from a buffer holding the file's content; `name` is used in error messages. */
qa_status qa_bpe_load_buffer(const char *name, const void *data, size_t len, qa_bpe **out);
void qa_bpe_free(qa_bpe *b);
/* Splits `text` (valid, NFC UTF-8 without special tokens) with the regex and BPE-encodes each piece. */
qa_status qa_bpe_encode_ordinary(const qa_bpe *b, const uint8_t *text, size_t len, qa_ids *out);
/* Byte-pair merging of one piece; algo 0 = pick (by length), 1 = quadratic scan, 2 = heap. Exposed so
 * tests can check the two merge loops agree. */
qa_status qa_bpe_encode_piece(const qa_bpe *b, const uint8_t *p, size_t n, int algo, qa_ids *out);
const uint8_t *qa_bpe_token_bytes(const qa_bpe *b, int32_t rank, size_t *len);
int32_t qa_bpe_rank(const qa_bpe *b, const uint8_t *p, size_t n);

/* Special table (tokenizer_special.c) is declared in tokenizer.h (qa_tokenizer_qwen_special_*). */

/* UTF-8 helpers (tokenizer.c). */
/* Offset of the first invalid UTF-8 byte, or len when all valid. */
size_t qa_utf8_invalid_at(const uint8_t *p, size_t len);
/* Appends p[0..n) to a growable buffer with invalid sequences replaced by U+FFFD per maximal
 * subpart (as Python's errors="replace"). */
qa_status qa_utf8_repair(const uint8_t *p, size_t n, char **out, size_t *out_len);
/* Whether NFC(text) == text is guaranteed because every code point is in a range whose characters
 * have canonical combining class 0 and NFC quick-check Yes (ASCII, Latin-1..U+02FF, CJK, kana,
 * Hangul syllables, fullwidth forms). Other text goes through utf8proc. */
int qa_nfc_inert_codepoint(uint32_t cp);

#endif
