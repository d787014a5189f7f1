/* bench/bench_small_step: what a training step of the `small` model consumes against what the
 * loader delivers (issue 5: the loader must deliver >= 10x). Over shards of 10-second samples:
 *   1. loader alone: samples/s with prefetch (default decode threads), every batch of E epochs;
 *   2. training loop: loader -> forward + backward of the whole model (QA_TRAIN_ALL, no optimizer)
 *      on each batch, median step time -> samples/s consumed, and how long qa_loader_next waited.
 * bench/bench_data.sh runs it on its shards with a `qaudio init` checkpoint of configs/model/small.yaml.
 * Usage: bench_small_step CHECKPOINT_DIR SHARD_DIR [BATCH] [STEPS] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/ctx.h"
#include "core/tape.h"
#include "data/loader.h"
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

static int fail(const char *what)
{
    fprintf(stderr, "bench_small_step: %s: %s\n", what, qa_error_message());
    return 1;
}

static qa_status open_loader(qa_loader **l, const char *dir, int B)
{
    qa_loader_opts o = qa_loader_opts_default;
    o.batch_size = B;
    o.seed = 1;
    const char *paths[1] = {dir};
    return qa_loader_new(l, paths, 1, &o);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_small_step CHECKPOINT_DIR SHARD_DIR [BATCH] [STEPS]\n");
        return 2;
    }
    int B = argc > 3 ? atoi(argv[3]) : 4, steps = argc > 4 ? atoi(argv[4]) : 5;
    if (B < 1 || B > 64 || steps < 1 || steps > 1000) return 2;

    /* 1. loader alone */
    qa_loader *l;
    if (open_loader(&l, argv[2], B)) return fail("loader");
    int64_t n = 0, total = 3 * qa_loader_steps_per_epoch(l);
    double t0 = now_s();
    for (int64_t k = 0; k < total; k++) {
        const qa_batch *b;
        if (qa_loader_next(l, &b)) return fail("loader");
        n += b->n;
    }
    double loader_sps = (double)n / (now_s() - t0);
    qa_loader_free(l);

    /* 2. training loop */
    qa_checkpoint *ck;
    qa_weights *w;
    qa_ctx *ctx;
    if (qa_checkpoint_open(&ck, argv[1])) return fail("checkpoint");
    if (qa_weights_load(&w, ck, &(qa_weights_opts){.train = QA_TRAIN_ALL})) return fail("weights");
    if (qa_ctx_new(&ctx, &(qa_ctx_config){.step_arena_bytes = (size_t)4096 << 20})) return fail("ctx");
    if (open_loader(&l, argv[2], B)) return fail("loader");
    double *times = malloc(sizeof(double) * (size_t)steps), wait = 0;
    int64_t consumed = 0, tokens = 0;
    int F = 0, T = 0;
    for (int it = -1; it < steps; it++) { /* one warm-up step */
        const qa_batch *b;
        double tw = now_s();
        if (qa_loader_next(l, &b)) return fail("loader");
        double ts = now_s();
        if (b->n == 0) {
            it--;
            continue;
        }
        qa_qwen_audio_batch qb = {.B = b->n, .T = b->T, .ids = b->ids, .labels = b->labels, .len = b->lengths,
                                  .audio = {.n = b->n_audio, .mel = b->mel, .mel_frames = b->F, .t_cnn = b->t_cnn}};
        int32_t n_audio[256];
        for (int a = 0; a < b->n_audio && a < 256; a++) n_audio[a] = (b->t_cnn[a] - 2) / 2 + 1;
        qb.audio.n_audio = n_audio;
        qa_ctx_step_begin(ctx);
        qa_weights_zero_grad(w);
        qa_tensor logits, loss;
        if (qa_qwen_audio_forward(ctx, w, &qb, &logits, &loss, NULL)) return fail("forward");
        if (qa_tape_backward(ctx, &loss)) return fail("backward");
        if (it >= 0) {
            times[it] = now_s() - ts;
            wait += ts - tw;
            consumed += b->n;
            tokens += (int64_t)b->n * b->T;
        }
        F = b->F;
        T = b->T;
    }
    qsort(times, (size_t)steps, sizeof(double), cmp_double);
    double med = times[steps / 2], step_sps = B / med;
    printf("small model fwd+bwd (all parameters trained, no optimizer), batch %d x %d tokens, %d mel frames: median "
           "step %.0f ms (min %.0f) = %.1f samples/s consumed; loader waits %.1f ms per step in the loop\n",
           B, T, F, med * 1e3, times[0] * 1e3, step_sps, wait * 1e3 / steps);
    printf("loader alone (prefetch, default decode threads), batch %d: %.0f samples/s = %.0fx what the step "
           "consumes (issue 5 asks >= 10x)\n", B, loader_sps, loader_sps / step_sps);
    printf("QAUDIO_STEP_SPS %.2f\nQAUDIO_LOADER_SPS %.1f\n", step_sps, loader_sps);
    (void)consumed;
    (void)tokens;
    free(times);
    qa_loader_free(l);
    qa_ctx_free(ctx);
    qa_weights_free(w);
    qa_checkpoint_close(ck);
    return 0;
}
