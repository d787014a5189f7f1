/* Gradient checks for core/ops/norm (layer norm, RMS norm) and core/ops/softmax, f32 and bf16, on
 * odd widths no block layout divides, plus bad-input statuses. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/ops/norm.h"
#include "core/ops/ref_nn.h"
#include "core/ops/softmax.h"
#include "tests/support/gradcheck.h"
#include "tests/support/test.h"

typedef struct {
    int64_t N, D;
    double eps;
} norm_p;

static void ln_fwd(const void *pp, double *const *in, double *out)
{
    const norm_p *p = pp;
    qa_ref_layer_norm_fwd(out, in[0], in[1], in[2], p->N, p->D, p->eps);
}
static void ln_bwd(const void *pp, double *const *in, const double *dout, double **din)
{
    const norm_p *p = pp;
    qa_ref_layer_norm_bwd(din[0], din[1], din[2], dout, in[0], in[1], p->N, p->D, p->eps);
}
static qa_status ln_eng(qa_ctx *ctx, const void *pp, qa_tensor *out, qa_tensor *in)
{
    const norm_p *p = pp;
    return qa_layer_norm(ctx, out, &in[0], &in[1], &in[2], (float)p->eps);
}

static void rms_fwd(const void *pp, double *const *in, double *out)
{
    const norm_p *p = pp;
    qa_ref_rms_norm_fwd(out, in[0], in[1], p->N, p->D, p->eps);
}
static void rms_bwd(const void *pp, double *const *in, const double *dout, double **din)
{
    const norm_p *p = pp;
    qa_ref_rms_norm_bwd(din[0], din[1], dout, in[0], in[1], p->N, p->D, p->eps);
}
static qa_status rms_eng(qa_ctx *ctx, const void *pp, qa_tensor *out, qa_tensor *in)
{
    const norm_p *p = pp;
    return qa_rms_norm(ctx, out, &in[0], &in[1], (float)p->eps);
}

static void sm_fwd(const void *pp, double *const *in, double *out)
{
    const norm_p *p = pp;
    qa_ref_softmax_fwd(out, in[0], p->N, p->D);
}
static void sm_bwd(const void *pp, double *const *in, const double *dout, double **din)
{
    const norm_p *p = pp;
    double *y = calloc((size_t)(p->N * p->D), sizeof *y);
    qa_ref_softmax_fwd(y, in[0], p->N, p->D);
    qa_ref_softmax_bwd(din[0], dout, y, p->N, p->D);
    free(y);
}
static qa_status sm_eng(qa_ctx *ctx, const void *pp, qa_tensor *out, qa_tensor *in)
{
    (void)pp;
    return qa_softmax(ctx, out, &in[0]);
}

static qa_ctx *new_ctx(qa_t *t)
{
    qa_ctx *ctx = NULL;
    qa_ctx_config cfg = {.step_arena_bytes = 16 << 20};
    CHECK_OK(t, qa_ctx_new(&ctx, &cfg));
    return ctx;
}

/* x is 3-d (2, R, D): the ops normalise the last axis of any rank. */
static void fill_spec(qa_gc_spec *s, const norm_p *p, int n_in)
{
    s->n_in = n_in;
    s->in[0].ndim = 3;
    s->in[0].shape[0] = 2;
    s->in[0].shape[1] = p->N / 2;
    s->in[0].shape[2] = p->D;
    for (int i = 1; i < n_in; i++) {
        s->in[i].ndim = 1;
        s->in[i].shape[0] = p->D;
        s->in[i].lo = 0.5; /* weights around 1, as after init */
        s->in[i].hi = 1.5;
    }
    s->out_ndim = 3;
    memcpy(s->out_shape, s->in[0].shape, sizeof s->out_shape);
    s->p = p;
}

static void test_layer_norm(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    static const int64_t widths[] = {1, 7, 33, 130};
    for (int i = 0; i < 4; i++) {
        norm_p p = {6, widths[i], 1e-5};
        qa_gc_spec s = {.op = "layer_norm", .ref_fwd = ln_fwd, .ref_bwd = ln_bwd, .eng = ln_eng, .seed = 7 + (uint64_t)i};
        fill_spec(&s, &p, 3);
        s.in[2].lo = -0.5, s.in[2].hi = 0.5;
        if (widths[i] == 1) continue; /* D = 1: output is the bias; checked below */
        qa_gradcheck(t, ctx, &s, QA_F32);
        qa_gradcheck(t, ctx, &s, QA_BF16);
    }
    qa_ctx_free(ctx);
}

static void test_rms_norm(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    static const int64_t widths[] = {5, 19, 37, 131};
    for (int i = 0; i < 4; i++) {
        norm_p p = {6, widths[i], 1e-6};
        qa_gc_spec s = {.op = "rms_norm", .ref_fwd = rms_fwd, .ref_bwd = rms_bwd, .eng = rms_eng, .seed = 17 + (uint64_t)i};
        fill_spec(&s, &p, 2);
        qa_gradcheck(t, ctx, &s, QA_F32);
        qa_gradcheck(t, ctx, &s, QA_BF16);
    }
    qa_ctx_free(ctx);
}

static void test_softmax(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    static const int64_t widths[] = {3, 17, 67};
    for (int i = 0; i < 3; i++) {
        norm_p p = {10, widths[i], 0};
        qa_gc_spec s = {.op = "softmax", .ref_fwd = sm_fwd, .ref_bwd = sm_bwd, .eng = sm_eng, .seed = 27 + (uint64_t)i};
        fill_spec(&s, &p, 1);
        s.in[0].lo = -4, s.in[0].hi = 4;
        qa_gradcheck(t, ctx, &s, QA_F32);
        qa_gradcheck(t, ctx, &s, QA_BF16);
    }
    /* -inf entries get probability 0 */
    qa_ctx_step_begin(ctx);
    float xv[4] = {1.f, -INFINITY, 2.f, -INFINITY};
    qa_tensor x, y;
    CHECK_OK(t, qa_tensor_init(&x, QA_F32, 2, (int64_t[]){1, 4}, xv));
    CHECK_OK(t, qa_softmax(ctx, &y, &x));
    if (y.data) {
        const float *yv = y.data;
        CHECK(t, yv[1] == 0.f && yv[3] == 0.f);
        CHECK_NEAR(t, yv[0], 1.0 / (1.0 + exp(1.0)), 1e-6);
    }
    qa_ctx_free(ctx);
}

static void test_bad_input(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    float xv[12] = {0}, wv[4] = {1, 1, 1, 1};
    int32_t iv[12] = {0};
    qa_tensor x, w3, w4, xi, y;
    CHECK_OK(t, qa_tensor_init(&x, QA_F32, 2, (int64_t[]){3, 4}, xv));
    CHECK_OK(t, qa_tensor_init(&w3, QA_F32, 1, (int64_t[]){3}, wv));
    CHECK_OK(t, qa_tensor_init(&w4, QA_F32, 1, (int64_t[]){4}, wv));
    CHECK_OK(t, qa_tensor_init(&xi, QA_I32, 2, (int64_t[]){3, 4}, iv));
    CHECK_STATUS(t, qa_layer_norm(ctx, &y, &x, &w3, &w4, 1e-5f), QA_ERR_SHAPE);
    CHECK(t, strstr(qa_error_message(), "weight length") != NULL);
    CHECK_STATUS(t, qa_layer_norm(ctx, &y, &x, &w4, NULL, 1e-5f), QA_ERR_ARG);
    CHECK_STATUS(t, qa_rms_norm(ctx, &y, &xi, &w4, 1e-6f), QA_ERR_DTYPE);
    CHECK_STATUS(t, qa_rms_norm(ctx, &y, &x, &w3, 1e-6f), QA_ERR_SHAPE);
    CHECK_STATUS(t, qa_softmax(ctx, &y, &xi), QA_ERR_DTYPE);
    /* the output may be the input tensor itself (h = norm(h)) */
    float hv[12];
    for (int i = 0; i < 12; i++) hv[i] = (float)i * 0.3f - 1.f;
    qa_tensor h, ref;
    CHECK_OK(t, qa_tensor_init(&h, QA_F32, 2, (int64_t[]){3, 4}, hv));
    CHECK_OK(t, qa_layer_norm(ctx, &ref, &h, &w4, &w4, 1e-5f));
    CHECK_OK(t, qa_layer_norm(ctx, &h, &h, &w4, &w4, 1e-5f));
    CHECK(t, h.data != (void *)hv && !memcmp(h.data, ref.data, sizeof(float) * 12));
    /* a strided (transposed) input is copied, not refused */
    qa_tensor xt;
    CHECK_OK(t, qa_tensor_view_transpose(&xt, &x, 0, 1));
    CHECK_OK(t, qa_rms_norm(ctx, &y, &xt, &w3, 1e-6f));
    qa_ctx_free(ctx);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {{"layer_norm", test_layer_norm},
                                         {"rms_norm", test_rms_norm},
                                         {"softmax", test_softmax},
                                         {"bad_input", test_bad_input},
                                         {0}};
    return qa_test_main(argc, argv, cases);
}
