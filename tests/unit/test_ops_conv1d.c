/* Gradient checks for core/ops/conv1d: stride 1 and 2, padding 1, kernel 3, with and without
 * bias, odd and even lengths, f32 and bf16; a time-major (transposed view) input gives the same
 * result and gradients as a channels-first copy; bad input. */
#include <math.h>
#include <string.h>

#include "core/ctx.h"
#include "core/ops/conv1d.h"
#include "core/ops/ref_nn.h"
#include "tests/support/gradcheck.h"
#include "tests/support/test.h"

typedef struct {
    int64_t B, Cin, Cout, T, K;
    int stride, pad, bias;
} conv_p;

static void conv_fwd(const void *pp, double *const *in, double *out)
{
    const conv_p *p = pp;
    qa_ref_conv1d_fwd(out, in[0], in[1], p->bias ? in[2] : NULL, p->B, p->Cin, p->Cout, p->T, p->K, p->stride, p->pad);
}
static void conv_bwd(const void *pp, double *const *in, const double *dout, double **din)
{
    const conv_p *p = pp;
    qa_ref_conv1d_bwd(din[0], din[1], p->bias ? din[2] : NULL, dout, in[0], in[1], p->B, p->Cin, p->Cout, p->T, p->K,
                      p->stride, p->pad);
}
static qa_status conv_eng(qa_ctx *ctx, const void *pp, qa_tensor *out, qa_tensor *in)
{
    const conv_p *p = pp;
    return qa_conv1d(ctx, out, &in[0], &in[1], p->bias ? &in[2] : NULL, p->stride, p->pad);
}

static qa_ctx *new_ctx(qa_t *t)
{
    qa_ctx *ctx = NULL;
    qa_ctx_config cfg = {.step_arena_bytes = 16 << 20};
    CHECK_OK(t, qa_ctx_new(&ctx, &cfg));
    return ctx;
}

static void test_conv1d(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    conv_p cases[] = {
        {2, 3, 5, 7, 3, 1, 1, 1},   /* conv1-like: k3 s1 p1 */
        {2, 5, 7, 9, 3, 2, 1, 1},   /* conv2-like: k3 s2 p1, odd T */
        {1, 6, 5, 10, 3, 2, 1, 1},  /* even T */
        {1, 17, 19, 11, 3, 1, 1, 0}, /* no bias, widths no block divides */
        {2, 3, 5, 11, 3, 2, 0, 1},  /* no padding, stride 2 */
        {1, 4, 3, 8, 5, 1, 2, 1},   /* kernel 5, padding 2 */
    };
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        conv_p *p = &cases[c];
        qa_gc_spec s = {.op = "conv1d", .n_in = p->bias ? 3 : 2, .p = p, .ref_fwd = conv_fwd, .ref_bwd = conv_bwd,
                        .eng = conv_eng, .seed = 60 + (uint64_t)c};
        s.in[0].ndim = 3, s.in[0].shape[0] = p->B, s.in[0].shape[1] = p->Cin, s.in[0].shape[2] = p->T;
        s.in[1].ndim = 3, s.in[1].shape[0] = p->Cout, s.in[1].shape[1] = p->Cin, s.in[1].shape[2] = p->K;
        s.in[2].ndim = 1, s.in[2].shape[0] = p->Cout;
        s.out_ndim = 3, s.out_shape[0] = p->B, s.out_shape[1] = p->Cout;
        s.out_shape[2] = qa_ref_conv1d_out_len(p->T, p->K, p->stride, p->pad);
        qa_gradcheck(t, ctx, &s, QA_F32);
        qa_gradcheck(t, ctx, &s, QA_BF16);
    }
    qa_ctx_free(ctx);
}

/* The second stem conv reads the first one's output through a transposed view. */
static void test_time_major_input(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    const int64_t B = 2, C = 6, T = 9, Co = 4;
    qa_tensor xt, xv, xc, w, b, y1, y2;
    CHECK_OK(t, qa_tensor_alloc(&xt, &ctx->step, QA_F32, 3, (int64_t[]){B, T, C}, true));
    CHECK_OK(t, qa_tensor_alloc(&xc, &ctx->step, QA_F32, 3, (int64_t[]){B, C, T}, true));
    CHECK_OK(t, qa_tensor_alloc(&w, &ctx->step, QA_F32, 3, (int64_t[]){Co, C, 3}, true));
    CHECK_OK(t, qa_tensor_alloc(&b, &ctx->step, QA_F32, 1, (int64_t[]){Co}, true));
    CHECK_OK(t, qa_tensor_view_transpose(&xv, &xt, 1, 2));
    uint64_t st = 3;
    for (int64_t i = 0; i < B * C * T; i++) qa_tensor_set(&xv, i, 2 * qa_gc_uniform(&st) - 1, false);
    for (int64_t i = 0; i < B * C * T; i++) qa_tensor_set(&xc, i, qa_tensor_get(&xv, i, false), false);
    for (int64_t i = 0; i < Co * C * 3; i++) qa_tensor_set(&w, i, qa_gc_uniform(&st) - 0.5, false);
    for (int64_t i = 0; i < Co; i++) qa_tensor_set(&b, i, qa_gc_uniform(&st) - 0.5, false);
    CHECK_OK(t, qa_conv1d(ctx, &y1, &xv, &w, &b, 2, 1));
    CHECK_OK(t, qa_conv1d(ctx, &y2, &xc, &w, &b, 2, 1));
    if (!y1.grad || !y2.grad) return;
    double worst = 0;
    for (int64_t i = 0; i < qa_tensor_numel(&y1); i++) {
        worst = fmax(worst, fabs(qa_tensor_get(&y1, i, false) - qa_tensor_get(&y2, i, false)));
        double g = qa_gc_uniform(&st) - 0.5;
        qa_tensor_set(&y1, i, g, true);
        qa_tensor_set(&y2, i, g, true);
    }
    CHECK_NEAR(t, worst, 0, 1e-6);
    /* the output is a view of time-major memory: transposing it gives a contiguous (B, To, Co) */
    qa_tensor h;
    CHECK_OK(t, qa_tensor_view_transpose(&h, &y1, 1, 2));
    CHECK(t, qa_tensor_is_contiguous(&h));
    CHECK_OK(t, qa_tape_replay(ctx));
    worst = 0;
    for (int64_t i = 0; i < B * C * T; i++)
        worst = fmax(worst, fabs(qa_tensor_get(&xv, i, true) - qa_tensor_get(&xc, i, true)));
    CHECK_NEAR(t, worst, 0, 1e-6);
    qa_ctx_free(ctx);
}

static void test_bad_input(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    float buf[64] = {0};
    qa_tensor x, w, wb, y;
    CHECK_OK(t, qa_tensor_init(&x, QA_F32, 3, (int64_t[]){1, 2, 1}, buf));
    CHECK_OK(t, qa_tensor_init(&w, QA_F32, 3, (int64_t[]){3, 2, 3}, buf));
    CHECK_OK(t, qa_tensor_init(&wb, QA_F32, 3, (int64_t[]){3, 4, 3}, buf));
    CHECK_STATUS(t, qa_conv1d(ctx, &y, &x, &wb, NULL, 1, 1), QA_ERR_SHAPE);
    CHECK_STATUS(t, qa_conv1d(ctx, &y, &x, &w, NULL, 0, 1), QA_ERR_ARG);
    CHECK_STATUS(t, qa_conv1d(ctx, &y, &x, &w, NULL, 1, 0), QA_ERR_SHAPE); /* 1 frame, kernel 3, no padding */
    CHECK(t, strstr(qa_error_message(), "too short") != NULL);
    CHECK_OK(t, qa_conv1d(ctx, &y, &x, &w, NULL, 1, 1));
    /* wrong dtypes: integer input, weight dtype different from the input's */
    qa_tensor xi = x, wh = w;
    xi.dtype = QA_I32;
    wh.dtype = QA_BF16;
    CHECK_STATUS(t, qa_conv1d(ctx, &y, &xi, &w, NULL, 1, 1), QA_ERR_DTYPE);
    CHECK_STATUS(t, qa_conv1d(ctx, &y, &x, &wh, NULL, 1, 1), QA_ERR_DTYPE);
    qa_ctx_free(ctx);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {{"conv1d", test_conv1d},
                                         {"conv1d_time_major_input", test_time_major_input},
                                         {"conv1d_bad_input", test_bad_input},
                                         {0}};
    return qa_test_main(argc, argv, cases);
}
