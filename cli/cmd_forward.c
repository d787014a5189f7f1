/* cli/cmd_forward: `qaudio forward --model DIR --input SAMPLE.json [-o LOGITS.npy] [--loss]`
 * runs the whole model (log-mel, encoder, splice, LLM) on one sample and writes the logits (T, V)
 * as float32 .npy; --loss prints {"loss": ..., "tokens": ...}, the reference's shift-by-one
 * cross-entropy over the positions from labels_from on (the target). This is how a user checks
 * that a converted checkpoint behaves like the reference (docs/model.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/fileio.h"
#include "core/ctx.h"
#include "core/npy.h"
#include "core/ops/loss.h"
#include "core/tape.h"
#include "data/forward_sample.h"
#include "data/tokenizer.h"
#include "model/checkpoint.h"
#include "model/qwen_audio.h"
#include "model/weights.h"

/* Runs the forward in a fresh context whose step arena is grown until the step fits (the arena
 * never grows behind the caller's back: its high-water mark says what a failed try needed). */
static qa_status run(const qa_weights *w, const qa_qwen_audio_batch *b, const char *out, int want_loss)
{
    /* first guess: the logits (f32, a bf16 copy, the loss's saved log-softmax) + 256 MiB of layers */
    size_t arena = ((size_t)256 << 20) + (size_t)b->B * (size_t)b->T * (size_t)w->cfg.vocab_size * 10;
    qa_status s = QA_OK;
    for (int attempt = 0; attempt < 8; attempt++) {
        qa_ctx *ctx = NULL;
        qa_ctx_config cc = {.step_arena_bytes = arena};
        if ((s = qa_ctx_new(&ctx, &cc))) return s;
        qa_ctx_step_begin(ctx);
        qa_nograd_begin(ctx);
        qa_tensor logits, loss;
        int64_t tokens = 0;
        s = qa_qwen_audio_forward(ctx, w, b, &logits, want_loss ? &loss : NULL, &tokens);
        qa_nograd_end(ctx);
        if (s == QA_ERR_NOMEM && ctx->step.high > ctx->step.capacity) {
            size_t need = ctx->step.high + ctx->step.high / 2;
            arena = need > 2 * arena ? need : 2 * arena;
            qa_ctx_free(ctx);
            continue;
        }
        if (!s && out)
            s = qa_npy_write(out, QA_NPY_F32, 2, (int64_t[]){logits.shape[1], logits.shape[2]}, logits.data);
        if (!s && want_loss) printf("{\"loss\": %.9g, \"tokens\": %lld}\n", *(float *)loss.data, (long long)tokens);
        qa_ctx_free(ctx);
        return s;
    }
    return s;
}

static int cmd_forward(int argc, char **argv)
{
    const char *model = NULL, *input = NULL, *out = NULL, *tokpath = NULL;
    int loss = 0, bf16 = 0;
    qa_cli_opt opts[] = {
        {NULL, "--model", QA_OPT_STR, &model, "DIR", "checkpoint directory (Hugging Face layout)"},
        {NULL, "--input", QA_OPT_STR, &input, "SAMPLE.json", "{\"prompt\", \"target\"} or {\"input_ids\", \"audios\", \"labels_from\"}"},
        {"-o", "--output", QA_OPT_STR, &out, "LOGITS.npy", "write the logits (T, V) float32"},
        {NULL, "--loss", QA_OPT_FLAG, &loss, NULL, "print {\"loss\": ..., \"tokens\": ...}"},
        {NULL, "--tokenizer", QA_OPT_STR, &tokpath, "FILE", "tokenizer (default: qwen.tiktoken in DIR)"},
        {NULL, "--bf16", QA_OPT_FLAG, &bf16, NULL, "keep the weight matrices in bf16 (half the memory; bf16 products)"},
        {0}};
    int npos = 0;
    int rc = qa_cli_parse(argc, argv, opts, "", NULL, 0, &npos);
    if (rc >= 0) return rc;
    if (!model || !input) return qa_cli_usage_error(argv[0], "--model DIR and --input SAMPLE.json are required");
    if (!out && !loss) return qa_cli_usage_error(argv[0], "nothing to do: give -o LOGITS.npy and/or --loss");

    qa_checkpoint *ck = NULL;
    qa_tokenizer *tok = NULL;
    qa_weights *w = NULL;
    qa_forward_sample fs = {0};
    int32_t *labels = NULL;
    /* fail before minutes of forward on a 7B model, not after */
    qa_status s = out ? qa_check_writable(out) : QA_OK;
    if (!s) s = qa_checkpoint_open(&ck, model);
    if (!s && (tokpath || ck->tokenizer_path)) s = qa_tokenizer_load(tokpath ? tokpath : ck->tokenizer_path, &tok);
    if (!s) s = qa_forward_sample_load(&fs, input, tok);
    if (!s) s = qa_weights_load(&w, ck, &(qa_weights_opts){.train = QA_TRAIN_NONE, .frozen_bf16 = bf16 != 0});
    if (!s) {
        int T = (int)fs.ids.n;
        labels = malloc(sizeof(int32_t) * (size_t)T);
        if (!labels) s = qa_error(QA_ERR_NOMEM, "out of memory");
        for (int t = 0; !s && t < T; t++) labels[t] = t < fs.labels_from ? QA_IGNORE_INDEX : fs.ids.ids[t];
        qa_qwen_audio_batch b = {.B = 1, .T = T, .ids = fs.ids.ids, .labels = labels};
        b.audio = (qa_audio_batch){.n = fs.n_audio, .mel = fs.mel, .mel_frames = QA_MEL_FRAMES, .t_cnn = fs.t_cnn,
                                   .n_audio = fs.n_tok};
        if (!s) s = qa_qwen_audio_check(&b, &w->cfg);
        if (s) s = qa_error_wrap(s, "%s", input);
        if (!s) s = run(w, &b, out, loss);
    }
    free(labels);
    qa_forward_sample_deinit(&fs);
    qa_weights_free(w);
    qa_tokenizer_free(tok);
    qa_checkpoint_close(ck);
    return s ? qa_cli_fail(argv[0], s) : 0;
}

const qa_cli_cmd qa_cmd_forward = {"forward", "run the model on one sample: logits (.npy) and/or the loss", cmd_forward};
