/* bench/bench_model: forward + backward (no optimizer) of the audio encoder on 30 s of audio
 * (1500 positions, batch 1) or of the Qwen LM at sequence 512, batch 4, on a checkpoint made by
 * `qaudio init` (bench/bench_model.sh makes them). Prints the median step time and the peak RSS;
 * bench/bench_model.sh runs the PyTorch twin (bench/model_twin.py) in the same run.
 * Usage: bench_model encoder|decoder CHECKPOINT_DIR [ITERATIONS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/ctx.h"
#include "core/tape.h"
#include "data/mel.h"
#include "model/audio_encoder.h"
#include "model/checkpoint.h"
#include "model/qwen_audio.h"
#include "model/weights.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int fail(const char *what, qa_status s)
{
    fprintf(stderr, "bench_model: %s: %s\n", what, qa_error_message());
    return s ? 1 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "encoder") && strcmp(argv[1], "decoder"))) {
        fprintf(stderr, "usage: bench_model encoder|decoder CHECKPOINT_DIR [ITERATIONS]\n");
        return 2;
    }
    bool enc = !strcmp(argv[1], "encoder");
    int iters = argc > 3 ? atoi(argv[3]) : 5;
    if (iters < 1 || iters > 1000) return 2;
    qa_checkpoint *ck;
    qa_status s;
    if ((s = qa_checkpoint_open(&ck, argv[2]))) return fail("checkpoint", s);
    qa_weights *w;
    if ((s = qa_weights_load(&w, ck, &(qa_weights_opts){.train = enc ? QA_TRAIN_ENCODER : QA_TRAIN_LLM,
                                                           .skip = enc ? QA_TRAIN_LLM : QA_TRAIN_ENCODER})))
        return fail("weights", s);
    qa_ctx *ctx;
    if ((s = qa_ctx_new(&ctx, &(qa_ctx_config){.step_arena_bytes = (size_t)(enc ? 1536 : 3072) << 20})))
        return fail("ctx", s);

    /* inputs: a deterministic pseudo-random mel in [-1, 1] / ids below the vocabulary */
    int B = 4, T = 512;
    float *mel = malloc(sizeof(float) * QA_MEL_BINS * QA_MEL_FRAMES);
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)B * T);
    if (!mel || !ids) return 1;
    unsigned r = 1;
    for (int i = 0; i < QA_MEL_BINS * QA_MEL_FRAMES; i++) {
        r = r * 1103515245u + 12345u;
        mel[i] = (float)((double)((r >> 8) & 0xffff) / 32768.0 - 1.0);
    }
    for (int i = 0; i < B * T; i++) {
        r = r * 1103515245u + 12345u;
        ids[i] = (int32_t)((r >> 8) % 30000u);
    }
    int32_t t_cnn = 1500, n_audio = 750;
    qa_audio_batch ab = {.n = 1, .mel = mel, .mel_frames = QA_MEL_FRAMES, .t_cnn = &t_cnn, .n_audio = &n_audio};
    qa_qwen_audio_batch lb = {.B = B, .T = T, .ids = ids, .labels = ids};

    double *times = malloc(sizeof(double) * (size_t)iters);
    double checksum = 0;
    qa_counters c1 = {0};
    for (int it = -1; it < iters; it++) { /* one warm-up step */
        double t0 = now_s();
        qa_ctx_step_begin(ctx);
        qa_weights_zero_grad(w);
        if (enc) {
            qa_tensor span;
            if ((s = qa_audio_encoder_forward(ctx, w, &ab, &span))) return fail("encoder", s);
            /* d(mean of the output)/d(output): the same seed gradient the twin uses */
            int64_t n = qa_tensor_numel(&span);
            float *g = span.grad;
            for (int64_t i = 0; i < n; i++) g[i] = 1.0f / (float)n;
            if ((s = qa_tape_replay(ctx))) return fail("backward", s);
        } else {
            qa_tensor logits, loss;
            if ((s = qa_qwen_audio_forward(ctx, w, &lb, &logits, &loss, NULL))) return fail("decoder", s);
            if ((s = qa_tape_backward(ctx, &loss))) return fail("backward", s);
            checksum = *(float *)loss.data;
        }
        if (it >= 0) times[it] = now_s() - t0;
        else c1 = ctx->counters;
    }
    for (size_t i = 0; i < w->n_grads; i += 997) checksum += w->grads[i];
    qsort(times, (size_t)iters, sizeof(double), cmp_double);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("qaudio %s fwd+bwd: median %.1f ms over %d steps (min %.1f), peak RSS %.0f MiB, step arena %.0f MiB, "
           "steady state: %llu new allocations, %llu new primitives (checksum %.6g)\n",
           enc ? "encoder 30 s" : "decoder B4 T512", times[iters / 2] * 1e3, iters, times[0] * 1e3,
           ru.ru_maxrss / 1024.0, ctx->step.high / 1048576.0,
           (unsigned long long)(ctx->counters.allocations - c1.allocations),
           (unsigned long long)(ctx->counters.primitives_created - c1.primitives_created), checksum);
    printf("QAUDIO_MS %.3f\nQAUDIO_RSS_MIB %.0f\n", times[iters / 2] * 1e3, ru.ru_maxrss / 1024.0);
    free(times);
    free(mel);
    free(ids);
    qa_ctx_free(ctx);
    qa_weights_free(w);
    qa_checkpoint_close(ck);
    return 0;
}
