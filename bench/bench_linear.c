/* bench/bench_linear: forward + backward of one linear layer (x (T, D) -> (T, Dout), with bias)
 * through the tape, against a bare oneDNN f32 matmul of the same shapes in the same run.
 *
 *   build/bench/bench_linear [T D Dout]...    default: 1500 384 1536, 1500 1280 5120, 2048 512 2048
 * Prints one line per shape: GFLOP/s of linear fwd+bwd (3 matmuls' worth: 6 T D Dout flops), of the
 * bare matmul (2 T D Dout per call), and their ratio. Timing: the best of 7 repeats after 2 warm-up runs (the machine is shared; the minimum is the
 * least disturbed figure), the same rule as the PyTorch twin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ctx.h"
#include "core/ops/common.h"
#include "core/ops/matmul.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double best(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return v[0];
}

static int run(qa_ctx *ctx, int64_t T, int64_t D, int64_t Dout)
{
    enum { REPS = 7 };
    qa_arena model;
    qa_status s = qa_arena_init(&model, "model", (size_t)(8 * (T * D + 2 * D * Dout + Dout + T * Dout)) + (1 << 20), NULL);
    qa_tensor x, w, b, wt, y0;
    if (!s) s = qa_tensor_alloc(&x, &model, QA_F32, 2, (int64_t[]){T, D}, true);
    if (!s) s = qa_tensor_alloc(&w, &model, QA_F32, 2, (int64_t[]){Dout, D}, true);
    if (!s) s = qa_tensor_alloc(&b, &model, QA_F32, 1, (int64_t[]){Dout}, true);
    if (!s) s = qa_tensor_alloc(&wt, &model, QA_F32, 2, (int64_t[]){D, Dout}, false);
    if (!s) s = qa_tensor_alloc(&y0, &model, QA_F32, 2, (int64_t[]){T, Dout}, false);
    if (s) {
        fprintf(stderr, "bench_linear: %s\n", qa_error_message());
        return 1;
    }
    for (int64_t i = 0; i < T * D; i++) ((float *)x.data)[i] = (float)((i % 13) - 6) * 0.01f;
    for (int64_t i = 0; i < D * Dout; i++) ((float *)w.data)[i] = (float)((i % 7) - 3) * 0.01f;
    memcpy(wt.data, w.data, (size_t)(D * Dout) * 4);
    memset(b.data, 0, (size_t)Dout * 4);
    double tl[REPS], tm[REPS];
    for (int r = -2; r < REPS; r++) {
        qa_ctx_step_begin(ctx);
        double t0 = now();
        qa_tensor y;
        s = qa_linear(ctx, &y, &x, &w, &b);
        double t1 = now(), t2 = t1;
        if (!s) { /* dL/dy is set outside the timed region */
            for (int64_t i = 0; i < T * Dout; i++) ((float *)y.grad)[i] = 1e-3f;
            t2 = now();
            s = qa_tape_replay(ctx);
        }
        double t3 = now();
        if (s) {
            fprintf(stderr, "bench_linear: %s\n", qa_error_message());
            return 1;
        }
        if (r >= 0) tl[r] = (t1 - t0) + (t3 - t2);
    }
    for (int r = -2; r < REPS; r++) {
        double t0 = now();
        s = qa_mm_exec(ctx, &y0, &x, &wt, NULL, 0);
        double t1 = now();
        if (s) {
            fprintf(stderr, "bench_linear: %s\n", qa_error_message());
            return 1;
        }
        if (r >= 0) tm[r] = t1 - t0;
    }
    double fl = 2.0 * (double)T * (double)D * (double)Dout;
    double g_lin = 3 * fl / best(tl, REPS) * 1e-9, g_mm = fl / best(tm, REPS) * 1e-9;
    printf("linear T=%lld D=%lld Dout=%lld: fwd+bwd %.1f GFLOP/s, bare matmul %.1f GFLOP/s, ratio %.2f\n",
           (long long)T, (long long)D, (long long)Dout, g_lin, g_mm, g_lin / g_mm);
    qa_arena_deinit(&model);
    return 0;
}

int main(int argc, char **argv)
{
    qa_ctx *ctx;
    qa_ctx_config cfg = {.step_arena_bytes = (size_t)512 << 20};
    if (qa_ctx_new(&ctx, &cfg)) {
        fprintf(stderr, "bench_linear: %s\n", qa_error_message());
        return 1;
    }
    int rc = 0;
    if (argc >= 4) {
        for (int i = 1; i + 2 < argc; i += 3) rc |= run(ctx, atoll(argv[i]), atoll(argv[i + 1]), atoll(argv[i + 2]));
    } else {
        rc |= run(ctx, 1500, 384, 1536);
        rc |= run(ctx, 1500, 1280, 5120);
        rc |= run(ctx, 2048, 512, 2048);
    }
    qa_ctx_free(ctx);
    return rc;
}
