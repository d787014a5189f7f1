/* model/init: fresh and assembled starting points for training.
 *
 * qa_model_init_random writes a randomly initialised checkpoint: Linear/Embedding/Conv weights
 * normal(0, initializer_range) (Qwen's c_proj weights std/sqrt(2 L)), biases 0, norm weights 1,
 * positional_embedding = Whisper sinusoids. Values come from a counter-based generator keyed by
 * (seed, tensor name, element index), so they do not depend on the tensor order, the shard
 * layout or the thread count, and the same seed gives the same bytes on every run.
 *
 * qa_model_init_assemble writes the stage-1 starting point from a Hugging Face Whisper
 * checkpoint (model.encoder.* -> transformer.audio.*) and a Hugging Face Qwen-7B checkpoint
 * (same names; embedding rows beyond the source vocabulary are initialised like new weights),
 * initialising the new parts (proj, audio_bos_eos_token). Sources are mapped, never copied whole.
 *
 *   qa_checkpoint_save_opts o = qa_checkpoint_save_defaults();
 *   s = qa_model_init_random(dir, &cfg, 1234, &o);
 *   s = qa_model_init_assemble(dir, &cfg, whisper_dir, qwen_dir, 1234, &o);
 */
#ifndef QA_MODEL_INIT_H
#define QA_MODEL_INIT_H

#include <stdint.h>

#include "core/status.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "model/params.h"

/* normal(0, 1) value number `index` of the stream (seed, key): deterministic, order-free. */
float qa_init_normal(uint64_t seed, uint64_t key, uint64_t index);
/* 64-bit FNV-1a hash of a tensor name (the stream key). */
uint64_t qa_init_key(const char *name);
/* Fills dst (p->numel) with p's fresh initial values. */
void qa_init_param(float *dst, const qa_param_info *p, uint64_t seed);

qa_status qa_model_init_random(const char *dir, const qa_model_config *cfg, uint64_t seed,
                               const qa_checkpoint_save_opts *opts);

/* The HF Whisper name of a transformer.audio.* parameter ("model.encoder.layers.3.fc1.weight"),
 * or 0 when the parameter is new in Qwen-Audio. */
int qa_init_whisper_name(char *dst, int len, const char *qwen_audio_name);

qa_status qa_model_init_assemble(const char *dir, const qa_model_config *cfg, const char *whisper_dir,
                                 const char *qwen_dir, uint64_t seed, const qa_checkpoint_save_opts *opts);

#endif
