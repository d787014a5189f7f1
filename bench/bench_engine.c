/* bench/bench_engine: forward + backward of one linear layer and of one pre-LN transformer block
 * (Whisper-encoder style: LN -> q/k/v -> attention -> out-proj -> residual -> LN -> MLP(GELU)
 * -> residual), f32, batch 1, heads D/64, through qaudio's ops and tape, against a bare oneDNN f32
 * matmul of the same GEMM shapes measured in the same run.
 *
 *   build/bench/bench_engine [--reps N] [--shapes 384x1500,1280x1500,512x2048]
 *                            [--attn-rows N] [--recompute] [--block-only] [--cpu-time]
 *                            [--stem DxF]   (also the Whisper conv stem: 80 mel bins -> D, F frames)
 *
 * Prints one line per case:
 *   qaudio <case> D= T= ms= gflops= bare_ms= bare_gflops= ratio=
 * gflops counts the useful matmul FLOPs of forward + backward (3x the forward GEMMs: forward, input
 * gradient, weight gradient; attention: 2 forward and 4 backward batched products); bare_ms is the
 * time the same GEMMs take as bare oneDNN matmul primitives (plain row-major f32, created once,
 * executed back to back), and ratio = bare_ms / ms, the fraction of the bare matmul speed the
 * engine reaches on the whole layer. Not a test: run by bench/bench_engine.sh. */
#include <dnnl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ctx.h"
#include "core/ops/activation.h"
#include "core/ops/attention.h"
#include "core/ops/conv1d.h"
#include "core/ops/elementwise.h"
#include "core/ops/matmul.h"
#include "core/ops/norm.h"

/* Wall-clock time; with --cpu-time the process CPU time instead, which with OMP_NUM_THREADS=1
 * ignores the time other processes hold the core (for comparing variants on a busy machine). */
static clockid_t bench_clock = CLOCK_MONOTONIC;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(bench_clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define TRY(x)                                                                                     \
    do {                                                                                           \
        qa_status s_ = (x);                                                                        \
        if (s_) {                                                                                  \
            fprintf(stderr, "bench_engine: %s: %s\n", #x, qa_error_message());                     \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* ---- bare oneDNN matmul: batch x (M, K) @ (K, N), plain f32, the reference speed ---- */

typedef struct {
    int64_t batch, M, K, N, count; /* count: how many times the block runs this shape */
} gemm_shape;

static double bare_gemm_ms(dnnl_engine_t eng, dnnl_stream_t st, const gemm_shape *g, int reps)
{
    dnnl_memory_desc_t a, b, c;
    dnnl_memory_desc_init_by_tag(&a, 3, (dnnl_dims_t){g->batch, g->M, g->K}, dnnl_f32, dnnl_abc);
    dnnl_memory_desc_init_by_tag(&b, 3, (dnnl_dims_t){g->batch, g->K, g->N}, dnnl_f32, dnnl_abc);
    dnnl_memory_desc_init_by_tag(&c, 3, (dnnl_dims_t){g->batch, g->M, g->N}, dnnl_f32, dnnl_abc);
    dnnl_matmul_desc_t d;
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t p;
    if (dnnl_matmul_desc_init(&d, &a, &b, NULL, &c) || dnnl_primitive_desc_create(&pd, &d, NULL, eng, NULL) ||
        dnnl_primitive_create(&p, pd)) {
        fprintf(stderr, "bench_engine: cannot create a bare matmul\n");
        exit(1);
    }
    dnnl_memory_t ma, mb, mc;
    dnnl_memory_create(&ma, &a, eng, DNNL_MEMORY_ALLOCATE);
    dnnl_memory_create(&mb, &b, eng, DNNL_MEMORY_ALLOCATE);
    dnnl_memory_create(&mc, &c, eng, DNNL_MEMORY_ALLOCATE);
    float *pa, *pb;
    dnnl_memory_get_data_handle(ma, (void **)&pa);
    dnnl_memory_get_data_handle(mb, (void **)&pb);
    for (int64_t i = 0; i < g->batch * g->M * g->K; i++) pa[i] = (float)((i * 7) % 13) * 0.01f;
    for (int64_t i = 0; i < g->batch * g->K * g->N; i++) pb[i] = (float)((i * 5) % 11) * 0.01f;
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}};
    dnnl_primitive_execute(p, st, 3, args);
    dnnl_stream_wait(st);
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        dnnl_primitive_execute(p, st, 3, args);
        dnnl_stream_wait(st);
        best = fmin(best, now_s() - t0);
    }
    dnnl_memory_destroy(ma);
    dnnl_memory_destroy(mb);
    dnnl_memory_destroy(mc);
    dnnl_primitive_destroy(p);
    dnnl_primitive_desc_destroy(pd);
    return best * 1e3;
}

static void bare_total(qa_ctx *ctx, const gemm_shape *g, int n, int reps, double *ms, double *flops)
{
    *ms = 0;
    *flops = 0;
    for (int i = 0; i < n; i++) {
        *ms += (double)g[i].count * bare_gemm_ms(ctx->engine, ctx->stream, &g[i], reps);
        *flops += (double)g[i].count * 2.0 * (double)(g[i].batch * g[i].M * g[i].K * g[i].N);
    }
}

/* ---- the layers under test ---- */

typedef struct {
    qa_tensor w, b; /* (Out, In), (Out) */
} lin;

static void lin_init(lin *l, qa_arena *a, int64_t out, int64_t in, int bias, uint64_t *seed)
{
    TRY(qa_tensor_alloc(&l->w, a, QA_F32, 2, (int64_t[]){out, in}, true));
    float *w = l->w.data, sc = 1.0f / sqrtf((float)in);
    for (int64_t i = 0; i < out * in; i++) {
        *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
        w[i] = sc * ((float)(*seed >> 40) / (float)(1 << 24) * 2.f - 1.f);
    }
    memset(&l->b, 0, sizeof l->b);
    if (bias) TRY(qa_tensor_alloc(&l->b, a, QA_F32, 1, (int64_t[]){out}, true));
}

typedef struct {
    int64_t D, T, H;
    int64_t attn_rows; /* qa_attention_opts.block_rows (0 = automatic) */
    bool recompute;    /* qa_attention_opts.recompute_probs */
    qa_tensor ln1w, ln1b, ln2w, ln2b;
    lin q, k, v, o, fc1, fc2;
} block;

static void block_init(block *b, qa_arena *a, int64_t D, int64_t T)
{
    uint64_t seed = 42;
    b->D = D, b->T = T, b->H = D / 64;
    qa_tensor *lnp[4] = {&b->ln1w, &b->ln1b, &b->ln2w, &b->ln2b};
    for (int i = 0; i < 4; i++) {
        TRY(qa_tensor_alloc(lnp[i], a, QA_F32, 1, (int64_t[]){D}, true));
        for (int64_t j = 0; j < D; j++) ((float *)lnp[i]->data)[j] = (i % 2) ? 0.f : 1.f;
    }
    lin_init(&b->q, a, D, D, 1, &seed);
    lin_init(&b->k, a, D, D, 0, &seed); /* Whisper: key has no bias */
    lin_init(&b->v, a, D, D, 1, &seed);
    lin_init(&b->o, a, D, D, 1, &seed);
    lin_init(&b->fc1, a, 4 * D, D, 1, &seed);
    lin_init(&b->fc2, a, D, 4 * D, 1, &seed);
}

static const qa_tensor *bias_of(const lin *l) { return l->b.data ? &l->b : NULL; }

static void block_fwd(qa_ctx *ctx, block *b, qa_tensor *y, const qa_tensor *x)
{
    int64_t T = b->T, D = b->D, H = b->H;
    qa_tensor h, q, k, v, q4, k4, v4, a4, a, o, x1, h2, f, g, m;
    TRY(qa_layer_norm(ctx, &h, x, &b->ln1w, &b->ln1b, 1e-5f));
    TRY(qa_linear(ctx, &q, &h, &b->q.w, bias_of(&b->q)));
    TRY(qa_linear(ctx, &k, &h, &b->k.w, NULL));
    TRY(qa_linear(ctx, &v, &h, &b->v.w, bias_of(&b->v)));
    int64_t s4[4] = {1, T, H, D / H};
    TRY(qa_tensor_view_reshape(&q4, &q, 4, s4));
    TRY(qa_tensor_view_reshape(&k4, &k, 4, s4));
    TRY(qa_tensor_view_reshape(&v4, &v, 4, s4));
    qa_attention_opts ao = {.scale = 1.0 / sqrt((double)(D / H)), .block_rows = b->attn_rows,
                            .recompute_probs = b->recompute};
    TRY(qa_attention(ctx, &a4, &q4, &k4, &v4, &ao));
    TRY(qa_tensor_view_reshape(&a, &a4, 3, (int64_t[]){1, T, D}));
    TRY(qa_linear(ctx, &o, &a, &b->o.w, bias_of(&b->o)));
    TRY(qa_add(ctx, &x1, x, &o));
    TRY(qa_layer_norm(ctx, &h2, &x1, &b->ln2w, &b->ln2b, 1e-5f));
    TRY(qa_linear(ctx, &f, &h2, &b->fc1.w, bias_of(&b->fc1)));
    TRY(qa_gelu(ctx, &g, &f));
    TRY(qa_linear(ctx, &m, &g, &b->fc2.w, bias_of(&b->fc2)));
    TRY(qa_add(ctx, y, &x1, &m));
}

/* One timed forward + backward: fresh step, input x (requires grad), y.grad = gy, replay. */
static double run_once(qa_ctx *ctx, block *b, const lin *l, const float *xv, const float *gy)
{
    int64_t T = b->T, D = b->D;
    double t0 = now_s();
    qa_ctx_step_begin(ctx);
    qa_tensor x, y;
    TRY(qa_tensor_alloc(&x, &ctx->step, QA_F32, 3, (int64_t[]){1, T, D}, true));
    memcpy(x.data, xv, sizeof(float) * (size_t)(T * D));
    if (l)
        TRY(qa_linear(ctx, &y, &x, &l->w, &l->b));
    else
        block_fwd(ctx, b, &y, &x);
    memcpy(y.grad, gy, sizeof(float) * (size_t)(T * D));
    TRY(qa_tape_replay(ctx));
    return now_s() - t0;
}

static void bench_shape(qa_ctx *ctx, qa_arena *model, int64_t D, int64_t T, int reps, int64_t attn_rows,
                        bool recompute, bool block_only)
{
    block b;
    lin l;
    uint64_t seed = 7;
    qa_arena_reset(model);
    block_init(&b, model, D, T);
    b.attn_rows = attn_rows;
    b.recompute = recompute;
    lin_init(&l, model, D, D, 1, &seed);
    float *xv = malloc(sizeof(float) * (size_t)(T * D)), *gy = malloc(sizeof(float) * (size_t)(T * D));
    if (!xv || !gy) exit(1);
    for (int64_t i = 0; i < T * D; i++) {
        xv[i] = (float)sin(0.37 * (double)i);
        gy[i] = (float)cos(0.11 * (double)i) * 1e-2f;
    }
    int64_t H = D / 64, Dh = 64;
    for (int which = block_only ? 1 : 0; which < 2; which++) {
        const lin *lp = which == 0 ? &l : NULL;
        run_once(ctx, &b, lp, xv, gy); /* warm-up: creates the primitives */
        /* the GEMMs of forward + backward, as bare matmuls */
        gemm_shape g_lin[] = {{1, T, D, D, 3}};
        gemm_shape g_blk[] = {
            {1, T, D, D, 4 * 3},      /* q, k, v, out-proj: forward, dX, dW */
            {1, T, D, 4 * D, 3},      /* fc1 */
            {1, T, 4 * D, D, 3},      /* fc2 */
            {H, T, Dh, T, 2},         /* Q K^T forward; dP = dO V^T */
            {H, T, T, Dh, 4},         /* P V forward; dV, dQ, dK */
        };
        /* layer and bare GEMMs alternate, and each keeps its best time, so that a busy machine
         * (other processes on the two cores) disturbs both alike */
        double best = 1e30, bare_ms = 1e30, flops = 0;
        for (int r = 0; r < reps; r++) {
            best = fmin(best, run_once(ctx, &b, lp, xv, gy));
            double bm;
            if (which == 0)
                bare_total(ctx, g_lin, 1, 1, &bm, &flops);
            else
                bare_total(ctx, g_blk, 5, 1, &bm, &flops);
            bare_ms = fmin(bare_ms, bm);
        }
        double ms = best * 1e3;
        printf("qaudio %s D=%lld T=%lld ms=%.2f gflops=%.1f bare_ms=%.2f bare_gflops=%.1f ratio=%.3f\n",
               which == 0 ? "linear" : "block", (long long)D, (long long)T, ms, flops / best / 1e9, bare_ms,
               flops / bare_ms / 1e6, bare_ms / ms);
        fflush(stdout);
    }
    printf("qaudio step-arena high-water %.1f MiB\n", (double)ctx->step.high / (1 << 20));
    free(xv);
    free(gy);
}

/* ---- the Whisper conv stem: conv1 (M=80 -> D, k3 s1 p1) + GELU + conv2 (D -> D, k3 s2 p1) + GELU ---- */

typedef struct {
    qa_tensor w1, b1, w2, b2; /* (D, 80, 3), (D), (D, D, 3), (D) */
} stem;

static double stem_once(qa_ctx *ctx, stem *st, int64_t F, const float *mel)
{
    double t0 = now_s();
    qa_ctx_step_begin(ctx);
    qa_tensor x, y1, h1, g1, g1v, y2, h2, g2;
    TRY(qa_tensor_alloc(&x, &ctx->step, QA_F32, 3, (int64_t[]){1, 80, F}, false));
    memcpy(x.data, mel, sizeof(float) * (size_t)(80 * F));
    TRY(qa_conv1d(ctx, &y1, &x, &st->w1, &st->b1, 1, 1));
    TRY(qa_tensor_view_transpose(&h1, &y1, 1, 2)); /* (1, F, D), contiguous */
    TRY(qa_gelu(ctx, &g1, &h1));
    TRY(qa_tensor_view_transpose(&g1v, &g1, 1, 2)); /* (1, D, F) view of time-major memory */
    TRY(qa_conv1d(ctx, &y2, &g1v, &st->w2, &st->b2, 2, 1));
    TRY(qa_tensor_view_transpose(&h2, &y2, 1, 2));
    TRY(qa_gelu(ctx, &g2, &h2));
    for (int64_t i = 0; i < qa_tensor_numel(&g2); i++) ((float *)g2.grad)[i] = 1e-3f;
    TRY(qa_tape_replay(ctx));
    return now_s() - t0;
}

static void bench_stem(qa_ctx *ctx, qa_arena *model, int64_t D, int64_t F, int reps)
{
    stem st;
    uint64_t seed = 11;
    lin a, b;
    qa_arena_reset(model);
    lin_init(&a, model, D, 80 * 3, 1, &seed);
    lin_init(&b, model, D, D * 3, 1, &seed);
    /* the (D, In*3) weights seen as (D, In, 3) conv kernels */
    TRY(qa_tensor_view_reshape(&st.w1, &a.w, 3, (int64_t[]){D, 80, 3}));
    TRY(qa_tensor_view_reshape(&st.w2, &b.w, 3, (int64_t[]){D, D, 3}));
    st.b1 = a.b;
    st.b2 = b.b;
    float *mel = malloc(sizeof(float) * (size_t)(80 * F));
    if (!mel) exit(1);
    for (int64_t i = 0; i < 80 * F; i++) mel[i] = (float)sin(0.013 * (double)i);
    int64_t To = (F - 1) / 2 + 1;
    /* the same work as bare GEMMs (im2col view of each convolution): forward, data and weight
     * gradients */
    gemm_shape g[] = {{1, F, 80 * 3, D, 3}, {1, To, D * 3, D, 3}};
    stem_once(ctx, &st, F, mel);
    double best = 1e30, bare_ms = 1e30, flops = 0;
    for (int r = 0; r < reps; r++) {
        best = fmin(best, stem_once(ctx, &st, F, mel));
        double bm;
        bare_total(ctx, g, 2, 1, &bm, &flops);
        bare_ms = fmin(bare_ms, bm);
    }
    double ms = best * 1e3;
    printf("qaudio stem D=%lld F=%lld ms=%.2f gflops=%.1f bare_ms=%.2f bare_gflops=%.1f ratio=%.3f\n", (long long)D,
           (long long)F, ms, flops / best / 1e9, bare_ms, flops / bare_ms / 1e6, bare_ms / ms);
    fflush(stdout);
    free(mel);
}

int main(int argc, char **argv)
{
    int reps = 3;
    int64_t attn_rows = 0;
    bool recompute = false, block_only = false;
    const char *shapes = "384x1500,1280x1500,512x2048", *stem_shape = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--shapes") && i + 1 < argc) shapes = argv[++i];
        else if (!strcmp(argv[i], "--attn-rows") && i + 1 < argc) attn_rows = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--recompute")) recompute = true;
        else if (!strcmp(argv[i], "--block-only")) block_only = true;
        else if (!strcmp(argv[i], "--cpu-time")) bench_clock = CLOCK_PROCESS_CPUTIME_ID;
        else if (!strcmp(argv[i], "--stem") && i + 1 < argc) stem_shape = argv[++i];
        else {
            fprintf(stderr, "usage: bench_engine [--reps N] [--shapes DxT,...] [--attn-rows N] [--recompute] "
                            "[--block-only] [--cpu-time] [--stem DxF]\n");
            return 2;
        }
    }
    qa_ctx *ctx;
    qa_ctx_config cfg = {.step_arena_bytes = (size_t)3 << 30};
    TRY(qa_ctx_new(&ctx, &cfg));
    qa_arena model;
    TRY(qa_arena_init(&model, "model", (size_t)1 << 30, &ctx->counters));
    char buf[256];
    snprintf(buf, sizeof buf, "%s", shapes);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        long long D, T;
        if (sscanf(tok, "%lldx%lld", &D, &T) != 2 || D % 64 || T < 2) {
            fprintf(stderr, "bench_engine: bad shape %s (want DxT, D a multiple of 64)\n", tok);
            return 2;
        }
        bench_shape(ctx, &model, D, T, reps, attn_rows, recompute, block_only);
    }
    long long sd, sf;
    if (stem_shape) {
        if (sscanf(stem_shape, "%lldx%lld", &sd, &sf) != 2 || sd < 1 || sf < 2) {
            fprintf(stderr, "bench_engine: bad stem shape %s (want DxF, F mel frames)\n", stem_shape);
            return 2;
        }
        bench_stem(ctx, &model, sd, sf, reps);
    }
    qa_arena_deinit(&model);
    qa_ctx_free(ctx);
    return 0;
}
