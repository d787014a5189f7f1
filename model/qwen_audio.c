/* model/qwen_audio: encoder + splice + LM + loss (spec sections 2-4). See model/qwen_audio.h. */
#include "model/qwen_audio.h"

#include "core/ops/loss.h"
#include "core/ops/shape.h"
#include "model/qwen_lm.h"

qa_status qa_qwen_audio_check(const qa_qwen_audio_batch *b, const qa_model_config *cfg)
{
    if (b->B < 1 || b->T < 1) return qa_error(QA_ERR_ARG, "qwen-audio: empty batch (B %d, T %d)", b->B, b->T);
    int32_t as = cfg->audio_start_id, ae = cfg->audio_start_id + 1;
    int k = 0; /* audios consumed so far (batch-major) */
    for (int r = 0; r < b->B; r++) {
        int64_t n = b->len ? b->len[r] : b->T;
        if (n < 1 || n > b->T) return qa_error(QA_ERR_ARG, "row %d: length %lld outside 1..%d", r, (long long)n, b->T);
        int64_t open = -1;
        for (int64_t t = 0; t < b->T; t++) {
            int32_t id = b->ids[(int64_t)r * b->T + t];
            if (id < 0 || id >= cfg->vocab_size)
                return qa_error(QA_ERR_ARG, "row %d position %lld: token id %d outside the vocabulary [0, %d)", r,
                                (long long)t, id, cfg->vocab_size);
            if (t >= n) continue;
            if (id == as) {
                if (open >= 0)
                    return qa_error(QA_ERR_ARG, "row %d position %lld: <audio> inside the audio span opened at %lld", r,
                                    (long long)t, (long long)open);
                open = t;
            } else if (id == ae) {
                if (open < 0)
                    return qa_error(QA_ERR_ARG, "row %d position %lld: </audio> without a matching <audio>", r,
                                    (long long)t);
                if (k >= b->audio.n)
                    return qa_error(QA_ERR_ARG, "row %d: audio span %d has no audio (%d given)", r, k + 1, b->audio.n);
                int64_t span = t - open + 1;
                if (span != (int64_t)b->audio.n_audio[k] + 2)
                    return qa_error(QA_ERR_ARG,
                                    "row %d positions %lld..%lld: audio span of %lld tokens, but audio %d gives %d "
                                    "(n_audio %d + 2)",
                                    r, (long long)open, (long long)t, (long long)span, k, b->audio.n_audio[k] + 2,
                                    b->audio.n_audio[k]);
                k++;
                open = -1;
            }
        }
        if (open >= 0)
            return qa_error(QA_ERR_ARG, "row %d position %lld: <audio> without a closing </audio>", r, (long long)open);
    }
    if (k != b->audio.n)
        return qa_error(QA_ERR_ARG, "%d audio spans in the ids but %d audios given", k, b->audio.n);
    if (b->labels) {
        for (int64_t i = 0; i < (int64_t)b->B * b->T; i++) {
            int32_t l = b->labels[i];
            if (l != QA_IGNORE_INDEX && (l < 0 || l >= cfg->vocab_size))
                return qa_error(QA_ERR_ARG, "label %d at row %lld position %lld outside the vocabulary", l,
                                (long long)(i / b->T), (long long)(i % b->T));
        }
    }
    return QA_OK;
}

qa_status qa_qwen_audio_forward(qa_ctx *ctx, const qa_weights *w, const qa_qwen_audio_batch *b, qa_tensor *logits,
                                qa_tensor *loss, int64_t *tokens)
{
    const qa_model_config *c = &w->cfg;
    qa_status s;
    if ((s = qa_qwen_audio_check(b, c))) return s;
    int64_t B = b->B, T = b->T, D = c->hidden_size;

    qa_tensor ids, x;
    if ((s = qa_tensor_init(&ids, QA_I32, 2, (int64_t[]){B, T}, (void *)b->ids))) return s;
    if ((s = qa_qwen_lm_embed(ctx, w, &x, &ids))) return s; /* (B, T, D) */

    if (b->audio.n > 0) {
        qa_tensor *spans;
        if ((s = qa_arena_alloc(&ctx->step, (void **)&spans, sizeof(qa_tensor) * (size_t)b->audio.n))) return s;
        if ((s = qa_audio_encoder_forward(ctx, w, &b->audio, spans))) return s;
        /* splice each span into the flat (B T, D) embeddings, batch-major, in order of appearance */
        qa_tensor flat;
        if ((s = qa_reshape(ctx, &flat, &x, 2, (int64_t[]){B * T, D}))) return s;
        int k = 0;
        for (int64_t r = 0; r < B; r++) {
            int64_t n = b->len ? b->len[r] : T;
            for (int64_t t = 0; t < n; t++) {
                if (b->ids[r * T + t] != c->audio_start_id) continue;
                qa_tensor y;
                int64_t r0 = r * T + t;
                if ((s = qa_row_scatter(ctx, &y, &flat, &spans[k], &r0))) return s;
                flat = y;
                t += spans[k].shape[0] - 1;
                k++;
            }
        }
        if ((s = qa_reshape(ctx, &x, &flat, 3, (int64_t[]){B, T, D}))) return s;
    }

    const int32_t *kv_len = NULL;
    if (b->len) {
        int32_t *kl;
        if ((s = qa_arena_alloc(&ctx->step, (void **)&kl, sizeof(int32_t) * (size_t)B))) return s;
        for (int64_t r = 0; r < B; r++) kl[r] = b->len[r];
        kv_len = kl;
    }
    if ((s = qa_qwen_lm_forward(ctx, w, logits, &x, kv_len))) return s;

    if (tokens) *tokens = 0;
    if (!loss || !b->labels) return QA_OK;
    /* shift by one: the logits at t predict labels[t + 1]; the last position of a row predicts nothing */
    qa_tensor shifted;
    if ((s = qa_tensor_alloc(&shifted, &ctx->step, QA_I32, 2, (int64_t[]){B, T}, false))) return s;
    int32_t *sl = shifted.data;
    int64_t kept = 0;
    for (int64_t r = 0; r < B; r++)
        for (int64_t t = 0; t < T; t++) {
            int32_t l = t + 1 < T ? b->labels[r * T + t + 1] : QA_IGNORE_INDEX;
            sl[r * T + t] = l;
            kept += l != QA_IGNORE_INDEX;
        }
    if (tokens) *tokens = kept;
    return qa_cross_entropy(ctx, loss, logits, &shifted, QA_IGNORE_INDEX);
}
