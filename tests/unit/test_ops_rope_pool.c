/* Gradient checks for core/ops/rope (rotary embedding, with and without a position offset, on a
 * strided view) and core/ops/pool (average pooling over time, odd and even T), f32 and bf16. */
#include <math.h>
#include <string.h>

#include "core/ctx.h"
#include "core/ops/pool.h"
#include "core/ops/ref_nn.h"
#include "core/ops/rope.h"
#include "tests/support/gradcheck.h"
#include "tests/support/test.h"

typedef struct {
    int64_t B, T, H, Dh;
    double base;
    int64_t pos0;
} rope_p;

static void rope_fwd(const void *pp, double *const *in, double *out)
{
    const rope_p *p = pp;
    qa_ref_rope_fwd(out, in[0], p->B, p->T, p->H, p->Dh, p->base, p->pos0);
}
static void rope_bwd(const void *pp, double *const *in, const double *dout, double **din)
{
    const rope_p *p = pp;
    qa_ref_rope_bwd(din[0], dout, p->B, p->T, p->H, p->Dh, p->base, p->pos0);
}
static qa_status rope_eng(qa_ctx *ctx, const void *pp, qa_tensor *out, qa_tensor *in)
{
    const rope_p *p = pp;
    return qa_rope(ctx, out, &in[0], p->base, p->pos0);
}

typedef struct {
    int64_t B, T, D;
} pool_p;

static void pool_fwd(const void *pp, double *const *in, double *out)
{
    const pool_p *p = pp;
    qa_ref_avgpool_time_fwd(out, in[0], p->B, p->T, p->D);
}
static void pool_bwd(const void *pp, double *const *in, const double *dout, double **din)
{
    const pool_p *p = pp;
    qa_ref_avgpool_time_bwd(din[0], dout, p->B, p->T, p->D);
}
static qa_status pool_eng(qa_ctx *ctx, const void *pp, qa_tensor *out, qa_tensor *in)
{
    (void)pp;
    return qa_avg_pool(ctx, out, &in[0]);
}

static qa_ctx *new_ctx(qa_t *t)
{
    qa_ctx *ctx = NULL;
    qa_ctx_config cfg = {.step_arena_bytes = 16 << 20};
    CHECK_OK(t, qa_ctx_new(&ctx, &cfg));
    return ctx;
}

static void test_rope(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    rope_p cases[] = {{2, 7, 3, 10, 10000.0, 0}, {1, 5, 2, 6, 10000.0, 11}, {1, 9, 1, 34, 500.0, 3}};
    for (int c = 0; c < 3; c++) {
        rope_p *p = &cases[c];
        qa_gc_spec s = {.op = "rope", .n_in = 1, .p = p, .ref_fwd = rope_fwd, .ref_bwd = rope_bwd, .eng = rope_eng,
                        .seed = 40 + (uint64_t)c};
        int64_t sh[4] = {p->B, p->T, p->H, p->Dh};
        s.in[0].ndim = s.out_ndim = 4;
        memcpy(s.in[0].shape, sh, sizeof sh);
        memcpy(s.out_shape, sh, sizeof sh);
        qa_gradcheck(t, ctx, &s, QA_F32);
        qa_gradcheck(t, ctx, &s, QA_BF16);
    }
    /* a strided view (a slice of a wider row, as in a fused projection) gives the same rows, and
     * position pos0 on token 0 equals position 0 on token pos0 */
    qa_ctx_step_begin(ctx);
    const int64_t T = 6, H = 2, Dh = 8, W = 3 * H * Dh;
    qa_tensor wide, view, y1, y2, y3, cont;
    CHECK_OK(t, qa_tensor_alloc(&wide, &ctx->step, QA_F32, 3, (int64_t[]){1, T, W}, false));
    uint64_t st = 5;
    for (int64_t i = 0; i < T * W; i++) qa_tensor_set(&wide, i, 2 * qa_gc_uniform(&st) - 1, false);
    view = wide;
    view.ndim = 4;
    view.shape[0] = 1, view.shape[1] = T, view.shape[2] = H, view.shape[3] = Dh;
    view.stride[0] = T * W, view.stride[1] = W, view.stride[2] = Dh, view.stride[3] = 1;
    view.data = (float *)wide.data + H * Dh;
    CHECK_OK(t, qa_tensor_alloc(&cont, &ctx->step, QA_F32, 4, (int64_t[]){1, T, H, Dh}, false));
    for (int64_t i = 0; i < T * H * Dh; i++) qa_tensor_set(&cont, i, qa_tensor_get(&view, i, false), false);
    CHECK_OK(t, qa_rope(ctx, &y1, &view, 10000.0, 0));
    CHECK_OK(t, qa_rope(ctx, &y2, &cont, 10000.0, 0));
    qa_tensor last;
    CHECK_OK(t, qa_tensor_view_slice(&last, &cont, 1, T - 1, 1));
    CHECK_OK(t, qa_rope(ctx, &y3, &last, 10000.0, T - 1));
    double worst = 0, worst3 = 0;
    for (int64_t i = 0; i < T * H * Dh; i++) worst = fmax(worst, fabs(qa_tensor_get(&y1, i, false) - qa_tensor_get(&y2, i, false)));
    for (int64_t i = 0; i < H * Dh; i++)
        worst3 = fmax(worst3, fabs(qa_tensor_get(&y3, i, false) - qa_tensor_get(&y2, (T - 1) * H * Dh + i, false)));
    CHECK(t, worst == 0);
    CHECK(t, worst3 == 0);
    /* bad input */
    qa_tensor odd;
    CHECK_OK(t, qa_tensor_alloc(&odd, &ctx->step, QA_F32, 4, (int64_t[]){1, 2, 1, 5}, false));
    CHECK_STATUS(t, qa_rope(ctx, &y1, &odd, 10000.0, 0), QA_ERR_SHAPE);
    CHECK_STATUS(t, qa_rope(ctx, &y1, &cont, 10000.0, -1), QA_ERR_ARG);
    CHECK_STATUS(t, qa_rope(ctx, &y1, &wide, 10000.0, 0), QA_ERR_SHAPE);
    qa_tensor ints = cont;
    ints.dtype = QA_I32; /* wrong dtype */
    CHECK_STATUS(t, qa_rope(ctx, &y1, &ints, 10000.0, 0), QA_ERR_DTYPE);
    qa_ctx_free(ctx);
}

static void test_pool(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    pool_p cases[] = {{2, 9, 7}, {1, 12, 19}, {3, 2, 5}, {1, 3, 33}};
    for (int c = 0; c < 4; c++) {
        pool_p *p = &cases[c];
        qa_gc_spec s = {.op = "avg_pool", .n_in = 1, .p = p, .ref_fwd = pool_fwd, .ref_bwd = pool_bwd, .eng = pool_eng,
                        .seed = 50 + (uint64_t)c};
        s.in[0].ndim = s.out_ndim = 3;
        s.in[0].shape[0] = p->B, s.in[0].shape[1] = p->T, s.in[0].shape[2] = p->D;
        s.out_shape[0] = p->B, s.out_shape[1] = p->T / 2, s.out_shape[2] = p->D;
        qa_gradcheck(t, ctx, &s, QA_F32);
        qa_gradcheck(t, ctx, &s, QA_BF16);
    }
    qa_ctx_step_begin(ctx);
    qa_tensor x, y;
    CHECK_OK(t, qa_tensor_alloc(&x, &ctx->step, QA_F32, 3, (int64_t[]){1, 1, 4}, false));
    CHECK_STATUS(t, qa_avg_pool(ctx, &y, &x), QA_ERR_SHAPE);
    CHECK(t, strstr(qa_error_message(), "fewer than 2 frames") != NULL);
    qa_tensor xi;
    CHECK_OK(t, qa_tensor_alloc(&xi, &ctx->step, QA_I32, 3, (int64_t[]){1, 4, 4}, false));
    CHECK_STATUS(t, qa_avg_pool(ctx, &y, &xi), QA_ERR_DTYPE); /* wrong dtype */
    qa_ctx_free(ctx);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {{"rope", test_rope}, {"avg_pool", test_pool}, {0}};
    return qa_test_main(argc, argv, cases);
}
