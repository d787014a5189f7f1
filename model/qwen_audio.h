/* model/qwen_audio: the whole Qwen-Audio model: audio encoder -> splice into the token embeddings
 * (spec section 4) -> Qwen LM -> logits and the shift-by-one cross-entropy (spec section 3).
 *
 * The splice: in each row, the k-th <audio> (155163 = audio_start_id) is paired with the next
 * </audio> (audio_start_id + 1); embedding rows from <audio> to </audio> inclusive are replaced by
 * the encoder's [start vector, n_audio frames, end vector] of the next audio, audios taken in order
 * of appearance, batch-major. The span length must equal n_audio + 2.
 *
 *   qa_qwen_audio_batch b = {.B = 1, .T = 97, .ids = ids, .labels = labels,
 *                            .audio = {.n = 1, .mel = mel, .mel_frames = 3000, .t_cnn = tc, .n_audio = na}};
 *   qa_ctx_step_begin(ctx);
 *   qa_tensor logits, loss;                        // (B, T, V); 0-d f32
 *   s = qa_qwen_audio_forward(ctx, w, &b, &logits, &loss);
 *   s = qa_tape_backward(ctx, &loss);              // gradients of the trainable parts (model/weights.h)
 * labels are the UNSHIFTED labels (-100 = ignored), as the reference forward takes them: the logits
 * at t predict labels[t + 1]; the loss is the mean over kept positions. labels NULL: no loss.
 * ids, labels, len and the mel must stay valid until the backward has run. */
#ifndef QA_MODEL_QWEN_AUDIO_H
#define QA_MODEL_QWEN_AUDIO_H

#include <stdint.h>

#include "core/ctx.h"
#include "core/status.h"
#include "core/tensor.h"
#include "model/audio_encoder.h"
#include "model/weights.h"

typedef struct {
    int B, T;
    const int32_t *ids;    /* (B, T) token ids, audio spans already expanded */
    const int32_t *labels; /* (B, T) unshifted labels (-100 ignored) or NULL */
    const int32_t *len;    /* (B) valid tokens per row (right padding) or NULL: all T */
    qa_audio_batch audio;  /* every audio of the batch in order of appearance (audio.n = 0: none) */
} qa_qwen_audio_batch;

/* Checks ids (range), audio span pairing and lengths; errors name the row and position. */
qa_status qa_qwen_audio_check(const qa_qwen_audio_batch *b, const qa_model_config *cfg);

/* logits (B, T, V) f32; loss (0-d f32) when loss != NULL and b->labels != NULL; *tokens (may be
 * NULL) gets the number of positions that carry loss. */
qa_status qa_qwen_audio_forward(qa_ctx *ctx, const qa_weights *w, const qa_qwen_audio_batch *b, qa_tensor *logits,
                                qa_tensor *loss, int64_t *tokens);

#endif
