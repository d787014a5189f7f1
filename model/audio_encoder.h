/* model/audio_encoder: the Qwen-Audio audio encoder (Whisper-style; spec section 2), forward on the
 * engine, so that the tape gives its backward.
 *
 *   conv1 (M->E, k3 s1 p1) + exact GELU, conv2 (E->E, k3 s2 p1) + GELU, + positional_embedding[:T],
 *   zero positions >= T_cnn_i, n_layer pre-LN blocks (LN eps 1e-5; query/value/out with bias, key
 *   without; scores scaled by Dh^-0.5 = Dh^-0.25 on q and on k; keys >= T_cnn_i masked; MLP E->4E->E
 *   with exact GELU), AvgPool1d(2, 2), ln_post (after the pooling), proj E->D, and per audio i:
 *   [audio_bos_eos_token[0], the first n_audio_i pooled frames, audio_bos_eos_token[1]].
 *
 * All audios of a batch are encoded together: the input is each audio's FULL padded (M, 3000) mel,
 * cut to 2 * max_i T_cnn_i frames, so a shorter audio's stem sees its own padded-spectrogram frames
 * (spec section 2, exactness notes), never zeros.
 *
 *   qa_audio_batch a = {.n = 2, .mel = mels, .mel_frames = 3000, .t_cnn = tc, .n_audio = na};
 *   qa_tensor spans[2];                        // spans[i]: (n_audio_i + 2, D)
 *   s = qa_audio_encoder_forward(ctx, w, &a, spans);
 * `mel` must stay valid until the step's backward has run (conv1 saves no copy of it). */
#ifndef QA_MODEL_AUDIO_ENCODER_H
#define QA_MODEL_AUDIO_ENCODER_H

#include <stdint.h>

#include "core/ctx.h"
#include "core/status.h"
#include "core/tensor.h"
#include "model/weights.h"

typedef struct {
    int n;                  /* number of audios (batch of the encoder) */
    const float *mel;       /* (n, M, mel_frames) full padded log-mels, row-major */
    int64_t mel_frames;     /* frames per mel (3000 for qa_mel_compute output) */
    const int32_t *t_cnn;   /* (n) frames after the conv stem: (mel_len - 1) / 2 + 1 */
    const int32_t *n_audio; /* (n) audio tokens kept: (t_cnn - 2) / 2 + 1 */
} qa_audio_batch;

/* Checks lengths against the config and the mel width (clear errors, nothing computed). */
qa_status qa_audio_batch_check(const qa_audio_batch *a, const qa_model_config *cfg);

/* spans[i] (n_audio_i + 2, D) for every audio, in the step arena. */
qa_status qa_audio_encoder_forward(qa_ctx *ctx, const qa_weights *w, const qa_audio_batch *a, qa_tensor *spans);

#endif
