/* model/checkpoint: Hugging Face checkpoint directories of Qwen-Audio models.
 *
 * A directory holds config.json (Qwen-Audio keys with the `audio` block), the weights as
 * model.safetensors or as shards model-0000i-of-0000N.safetensors + model.safetensors.index.json,
 * generation_config.json, and the tokenizer file (qwen.tiktoken). See docs/checkpoint-format.md.
 *
 * Loading maps every safetensors file and checks every tensor of the parameter table (name,
 * shape, float dtype) against it; nothing is copied: qa_checkpoint_tensor() points into the
 * mapping, qa_checkpoint_read_f32() converts one tensor into caller memory.
 *   qa_checkpoint *ck;
 *   if ((s = qa_checkpoint_open(&ck, dir))) return s;   // message names the tensor / byte offset
 *   float *w = malloc(ck->table.p[i].numel * 4); qa_checkpoint_read_f32(ck, i, w);
 *   qa_checkpoint_close(ck);
 *
 * Saving streams tensor by tensor (each from a pointer in any float dtype, or produced by a fill
 * callback), converts to the requested dtype (per part: e.g. a frozen LLM in bf16), splits into
 * shards of at most `shard_size` bytes, and writes every file atomically, the index last. */
#ifndef QA_MODEL_CHECKPOINT_H
#define QA_MODEL_CHECKPOINT_H

#include <stdint.h>

#include "core/safetensors.h"
#include "core/status.h"
#include "model/config.h"
#include "model/params.h"

/* A set of safetensors files found in a Hugging Face directory (single file or index + shards). */
typedef struct {
    char *dir;
    qa_safetensors **files; /* [nfiles] */
    int nfiles;
    int sharded;            /* 1 when read through model.safetensors.index.json */
    uint64_t index_total_size; /* metadata.total_size of the index (0 when absent) */
} qa_hf_weights;

/* Opens DIR/model.safetensors.index.json (and its shards) or DIR/model.safetensors. */
qa_status qa_hf_weights_open(qa_hf_weights *w, const char *dir);
void qa_hf_weights_close(qa_hf_weights *w);
/* The tensor named `name` in any file, or NULL. */
const qa_st_tensor *qa_hf_weights_find(const qa_hf_weights *w, const char *name);

typedef struct {
    char *dir;
    qa_model_config cfg;
    qa_param_table table;
    qa_hf_weights weights;
    const qa_st_tensor **tensors; /* [table.n]: table index -> tensor in a mapping */
    char *tokenizer_path;         /* DIR/qwen.tiktoken when present, else NULL */
} qa_checkpoint;

qa_status qa_checkpoint_open(qa_checkpoint **out, const char *dir);
void qa_checkpoint_close(qa_checkpoint *ck);
const qa_st_tensor *qa_checkpoint_tensor(const qa_checkpoint *ck, const char *name);
/* Converts table entry `index` to f32 into dst (table.p[index].numel floats). */
qa_status qa_checkpoint_read_f32(const qa_checkpoint *ck, int index, float *dst);
/* Converts every tensor of `part` (or all parts when part < 0) into a flat f32 buffer laid out by
 * the table (flat[table.p[i].offset ...], table.flat_numel elements); alignment gaps are zeroed. */
qa_status qa_checkpoint_read_flat_f32(const qa_checkpoint *ck, int part, float *flat);

#define QA_DTYPE_KEEP (-1) /* save: keep the source dtype (src[i].dtype, also for filled tensors) */

typedef struct {
    int part_dtype[QA_PART_COUNT]; /* qa_st_dtype per part (F32, BF16, F16) or QA_DTYPE_KEEP */
    uint64_t shard_size;           /* max bytes of tensor data per shard; 0: one model.safetensors */
    const char *tokenizer;         /* file copied into the directory as its own base name; NULL: none */
    int no_generation_config;      /* 1: do not write generation_config.json */
} qa_checkpoint_save_opts;

/* Default options: keep dtypes, one file, no tokenizer, generation config written. */
qa_checkpoint_save_opts qa_checkpoint_save_defaults(void);

typedef struct {
    const void *data;  /* contiguous, `dtype`; NULL: produced by the fill callback as f32 */
    qa_st_dtype dtype;
} qa_tensor_src;

/* Writes a checkpoint directory (created when missing). `src[i]` gives the values of table entry
 * i; entries with data == NULL are produced by fill(fill_ctx, i, dst, numel). Stale weight files
 * of the other layout (single vs sharded) are removed after the new ones are complete. */
qa_status qa_checkpoint_save(const char *dir, const qa_model_config *cfg, const qa_param_table *t,
                             const qa_tensor_src *src, qa_st_fill_fn fill, void *fill_ctx,
                             const qa_checkpoint_save_opts *opts);

/* Saves a flat f32 buffer laid out by `t` (see qa_checkpoint_read_flat_f32). */
qa_status qa_checkpoint_save_flat_f32(const char *dir, const qa_model_config *cfg, const qa_param_table *t,
                                      const float *flat, const qa_checkpoint_save_opts *opts);

/* Writes the Qwen-Audio generation_config.json (base model: chat_format raw, eos/pad 151643). */
qa_status qa_checkpoint_write_generation_config(const char *path);

/* Copies a file atomically (tokenizer files). */
qa_status qa_checkpoint_copy_file(const char *src, const char *dst);

#endif
