/* Gradient checks for core/ops/shape: copy (and dtype conversion), concat, row scatter (the audio
 * splice), argmax, and gradients flowing through views (transpose, slice, reshape) by aliasing. */
#include <string.h>

#include "core/ctx.h"
#include "core/ops/activation.h"
#include "core/ops/shape.h"
#include "tests/support/gradcheck.h"
#include "tests/support/test.h"

static qa_ctx *new_ctx(qa_t *t)
{
    qa_ctx *ctx = NULL;
    qa_ctx_config cfg = {.step_arena_bytes = 16 << 20};
    CHECK_OK(t, qa_ctx_new(&ctx, &cfg));
    return ctx;
}

/* copy of a transposed (5, 7) view of a (7, 5) input */
static void cp_fwd(const void *p, double *const *in, double *out)
{
    for (int r = 0; r < 7; r++)
        for (int c = 0; c < 5; c++) out[c * 7 + r] = in[0][r * 5 + c];
}
static void cp_bwd(const void *p, double *const *in, const double *dout, double **din)
{
    for (int r = 0; r < 7; r++)
        for (int c = 0; c < 5; c++) din[0][r * 5 + c] += dout[c * 7 + r];
}
static qa_status cp_eng(qa_ctx *ctx, const void *p, qa_tensor *out, qa_tensor *in)
{
    qa_tensor v;
    qa_status s = qa_transpose(ctx, &v, &in[0], 0, 1);
    return s ? s : qa_copy(ctx, out, &v, in[0].dtype);
}
static void test_copy(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    qa_gc_spec s = {.op = "copy", .n_in = 1, .in = {{.ndim = 2, .shape = {7, 5}}}, .out_ndim = 2, .out_shape = {5, 7},
                    .ref_fwd = cp_fwd, .ref_bwd = cp_bwd, .eng = cp_eng};
    qa_gradcheck(t, ctx, &s, QA_F32);
    qa_gradcheck(t, ctx, &s, QA_BF16);
    /* f32 -> bf16 conversion rounds to nearest even, gradient flows back converted */
    qa_ctx_step_begin(ctx);
    qa_tensor x, y;
    CHECK_OK(t, qa_tensor_alloc(&x, &ctx->step, QA_F32, 1, (int64_t[]){3}, true));
    qa_tensor_set(&x, 0, 1.00390625, false);
    qa_tensor_set(&x, 1, -2.5, false);
    qa_tensor_set(&x, 2, 1e-3, false);
    CHECK_OK(t, qa_copy(ctx, &y, &x, QA_BF16));
    CHECK(t, y.dtype == QA_BF16 && ((uint16_t *)y.data)[0] == 0x3f80);
    CHECK(t, qa_tensor_get(&y, 1, false) == -2.5);
    for (int i = 0; i < 3; i++) qa_tensor_set(&y, i, 0.5 * (i + 1), true);
    CHECK_OK(t, qa_tape_replay(ctx));
    CHECK(t, qa_tensor_get(&x, 2, true) == 1.5);
    qa_ctx_free(ctx);
}

/* concat of 3 inputs along `dim` of rank-3 tensors */
typedef struct {
    int dim;
    int64_t shapes[3][3];
} cat_p;
static void cat_dims(const cat_p *p, int64_t *outer, int64_t *inner)
{
    *outer = 1;
    for (int d = 0; d < p->dim; d++) *outer *= p->shapes[0][d];
    for (int i = 0; i < 3; i++) {
        inner[i] = 1;
        for (int d = p->dim; d < 3; d++) inner[i] *= p->shapes[i][d];
    }
}
static void cat_fwd(const void *pp, double *const *in, double *out)
{
    int64_t outer, inner[3];
    cat_dims(pp, &outer, inner);
    qa_ref_concat(out, (const double *const *)in, 3, outer, inner);
}
static void cat_bwd(const void *pp, double *const *in, const double *dout, double **din)
{
    int64_t outer, inner[3];
    cat_dims(pp, &outer, inner);
    qa_ref_concat_backward(din, dout, 3, outer, inner);
}
static qa_status cat_eng(qa_ctx *ctx, const void *pp, qa_tensor *out, qa_tensor *in)
{
    const cat_p *p = pp;
    return qa_concat(ctx, out, 3, in, p->dim);
}
static void test_concat(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    for (int dim = 0; dim < 3; dim++) {
        cat_p p = {dim, {{3, 5, 7}, {3, 5, 7}, {3, 5, 7}}};
        int64_t add[3] = {2, 1, 4};
        for (int i = 0; i < 3; i++) p.shapes[i][dim] = add[i];
        qa_gc_spec s = {.op = "concat", .n_in = 3, .out_ndim = 3, .p = &p, .ref_fwd = cat_fwd, .ref_bwd = cat_bwd,
                        .eng = cat_eng};
        for (int i = 0; i < 3; i++) {
            s.in[i].ndim = 3;
            memcpy(s.in[i].shape, p.shapes[i], sizeof p.shapes[i]);
        }
        memcpy(s.out_shape, p.shapes[0], sizeof p.shapes[0]);
        s.out_shape[dim] = 7;
        qa_gradcheck(t, ctx, &s, QA_F32);
        qa_gradcheck(t, ctx, &s, QA_BF16);
    }
    qa_ctx_free(ctx);
}

/* row scatter: x (2, 11, 5), src (2, 4, 5), starts {3, 7} */
static const int64_t rs_r0[2] = {3, 7};
static void rs_fwd(const void *p, double *const *in, double *out)
{
    qa_ref_row_scatter(out, in[0], in[1], 2, 11, 5, 4, rs_r0);
}
static void rs_bwd(const void *p, double *const *in, const double *dout, double **din)
{
    qa_ref_row_scatter_backward(din[0], din[1], dout, 2, 11, 5, 4, rs_r0);
}
static qa_status rs_eng(qa_ctx *ctx, const void *p, qa_tensor *out, qa_tensor *in)
{
    return qa_row_scatter(ctx, out, &in[0], &in[1], rs_r0);
}
static void test_row_scatter(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    qa_gc_spec s = {.op = "row_scatter", .n_in = 2, .in = {{.ndim = 3, .shape = {2, 11, 5}}, {.ndim = 3, .shape = {2, 4, 5}}}, .out_ndim = 3,
                    .out_shape = {2, 11, 5}, .ref_fwd = rs_fwd, .ref_bwd = rs_bwd, .eng = rs_eng};
    qa_gradcheck(t, ctx, &s, QA_F32);
    qa_gradcheck(t, ctx, &s, QA_BF16);
    /* bad start rows and shapes are errors */
    qa_ctx_step_begin(ctx);
    qa_tensor x, src, y;
    CHECK_OK(t, qa_tensor_alloc(&x, &ctx->step, QA_F32, 2, (int64_t[]){11, 5}, false));
    CHECK_OK(t, qa_tensor_alloc(&src, &ctx->step, QA_F32, 2, (int64_t[]){4, 5}, false));
    CHECK_STATUS(t, qa_row_scatter(ctx, &y, &x, &src, (int64_t[]){8}), QA_ERR_SHAPE);
    CHECK(t, strstr(qa_error_message(), "must fit") != NULL);
    CHECK_STATUS(t, qa_row_scatter(ctx, &y, &x, &src, (int64_t[]){-1}), QA_ERR_SHAPE);
    CHECK_STATUS(t, qa_row_scatter(ctx, &y, &src, &x, (int64_t[]){0}), QA_ERR_SHAPE);
    CHECK_OK(t, qa_row_scatter(ctx, &y, &x, &src, (int64_t[]){7}));
    qa_ctx_free(ctx);
}

/* views: y = gelu(slice(transpose(reshape(x)))) checks that gradients reach x through aliasing */
static void vw_fwd(const void *p, double *const *in, double *out)
{
    /* x (6, 7) -> reshape (3, 2, 7) -> transpose(0, 2) (7, 2, 3) -> slice dim 0 [2, 6) (4, 2, 3) */
    double g[1];
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 3; c++) {
                qa_ref_gelu(g, &in[0][(c * 2 + b) * 7 + (a + 2)], 1);
                out[(a * 2 + b) * 3 + c] = g[0];
            }
}
static void vw_bwd(const void *p, double *const *in, const double *dout, double **din)
{
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 3; c++) {
                int64_t i = (c * 2 + b) * 7 + (a + 2);
                qa_ref_gelu_backward(&din[0][i], &dout[(a * 2 + b) * 3 + c], &in[0][i], 1);
            }
}
static qa_status vw_eng(qa_ctx *ctx, const void *p, qa_tensor *out, qa_tensor *in)
{
    qa_tensor r, tr, sl;
    qa_status s = qa_reshape(ctx, &r, &in[0], 3, (int64_t[]){3, 2, 7});
    if (!s) s = qa_transpose(ctx, &tr, &r, 0, 2);
    if (!s) s = qa_slice(ctx, &sl, &tr, 0, 2, 4);
    if (!s && ctx->tape.n != 0) s = qa_error(QA_ERR_INTERNAL, "a view recorded a tape entry");
    if (!s) s = qa_gelu(ctx, out, &sl);
    return s;
}
static void test_views(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    qa_gc_spec s = {.op = "gelu", .n_in = 1, .in = {{.ndim = 2, .shape = {6, 7}}}, .out_ndim = 3, .out_shape = {4, 2, 3},
                    .ref_fwd = vw_fwd, .ref_bwd = vw_bwd, .eng = vw_eng};
    qa_gradcheck(t, ctx, &s, QA_F32);
    qa_gradcheck(t, ctx, &s, QA_BF16);
    qa_ctx_free(ctx);
}

static void test_argmax(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    qa_tensor x, y, xt;
    CHECK_OK(t, qa_tensor_alloc(&x, &ctx->step, QA_F32, 2, (int64_t[]){3, 7}, true));
    static const double v[21] = {0, 5, 3, 1, 6, 4, 2, /* -> 4 */
                                 2, 0, 5, 3, 1, 6, 4, /* -> 5 */
                                 -9, -8, -9, -7, -9, -8, -7}; /* -> 3 (first of equal maxima wins) */
    for (int i = 0; i < 21; i++) qa_tensor_set(&x, i, v[i], false);
    CHECK_OK(t, qa_argmax(ctx, &y, &x));
    CHECK(t, y.dtype == QA_I32 && y.ndim == 1 && y.shape[0] == 3 && !y.requires_grad);
    const int32_t *ids = y.data;
    CHECK(t, ids[0] == 4 && ids[1] == 5 && ids[2] == 3);
    CHECK(t, ctx->tape.n == 0);
    /* over a strided view: argmax along dim 0 of x via its transpose */
    CHECK_OK(t, qa_transpose(ctx, &xt, &x, 0, 1));
    CHECK_OK(t, qa_argmax(ctx, &y, &xt));
    CHECK(t, y.shape[0] == 7 && ((int32_t *)y.data)[0] == 1 && ((int32_t *)y.data)[4] == 0);
    qa_ctx_free(ctx);
}

/* 9 inputs (more than one tape entry holds): values in order, every input's gradient routed back */
static void test_concat_many(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    qa_tensor xs[9], y;
    for (int i = 0; i < 9; i++) {
        CHECK_OK(t, qa_tensor_alloc(&xs[i], &ctx->step, QA_F32, 2, (int64_t[]){1 + i % 3, 5}, true));
        for (int64_t j = 0; j < qa_tensor_numel(&xs[i]); j++) qa_tensor_set(&xs[i], j, 100 * i + j, false);
    }
    CHECK_OK(t, qa_concat(ctx, &y, 9, xs, 0));
    CHECK(t, y.shape[0] == 18 && y.shape[1] == 5);
    int64_t off = 0;
    for (int i = 0; i < 9; i++)
        for (int64_t j = 0; j < qa_tensor_numel(&xs[i]); j++, off++) {
            CHECK(t, qa_tensor_get(&y, off, false) == 100.0 * i + (double)j);
            qa_tensor_set(&y, off, 0.5 * (double)off, true);
        }
    CHECK_OK(t, qa_tape_replay(ctx));
    off = 0;
    for (int i = 0; i < 9; i++)
        for (int64_t j = 0; j < qa_tensor_numel(&xs[i]); j++, off++) CHECK(t, qa_tensor_get(&xs[i], j, true) == 0.5 * (double)off);
    qa_ctx_free(ctx);
}

static void test_bad_input(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    qa_tensor a, b, c, ids, y;
    CHECK_OK(t, qa_tensor_alloc(&a, &ctx->step, QA_F32, 2, (int64_t[]){3, 4}, false));
    CHECK_OK(t, qa_tensor_alloc(&b, &ctx->step, QA_F32, 2, (int64_t[]){3, 5}, false));
    CHECK_OK(t, qa_tensor_alloc(&c, &ctx->step, QA_BF16, 2, (int64_t[]){3, 4}, false));
    CHECK_OK(t, qa_tensor_alloc(&ids, &ctx->step, QA_I32, 2, (int64_t[]){3, 4}, false));
    qa_tensor ab[2] = {a, b}, ac[2] = {a, c}, many[5] = {a, a, a, a, a};
    CHECK_STATUS(t, qa_concat(ctx, &y, 2, ab, 0), QA_ERR_SHAPE);  /* differ outside dim 0 */
    CHECK(t, strstr(qa_error_message(), "outside the concat dim") != NULL);
    CHECK_OK(t, qa_concat(ctx, &y, 2, ab, 1));                     /* (3, 9) */
    CHECK(t, y.shape[1] == 9);
    CHECK_STATUS(t, qa_concat(ctx, &y, 2, ac, 0), QA_ERR_DTYPE);
    CHECK_STATUS(t, qa_concat(ctx, &y, 0, many, 0), QA_ERR_ARG);
    CHECK_STATUS(t, qa_concat(ctx, &y, 2, NULL, 0), QA_ERR_ARG);
    CHECK_STATUS(t, qa_concat(ctx, NULL, 2, ab, 1), QA_ERR_ARG);
    CHECK_STATUS(t, qa_concat(ctx, &y, 2, ab, 3), QA_ERR_SHAPE);
    CHECK_STATUS(t, qa_copy(ctx, &y, &a, QA_I32), QA_ERR_DTYPE);
    CHECK_STATUS(t, qa_copy(ctx, &y, &ids, QA_F32), QA_ERR_DTYPE);
    CHECK_STATUS(t, qa_reshape(ctx, &y, &a, 2, (int64_t[]){5, 3}), QA_ERR_SHAPE);
    CHECK_STATUS(t, qa_transpose(ctx, &y, &a, 0, 2), QA_ERR_SHAPE);
    CHECK_STATUS(t, qa_slice(ctx, &y, &a, 1, 2, 3), QA_ERR_SHAPE);
    CHECK_STATUS(t, qa_argmax(ctx, &y, &ids), QA_ERR_DTYPE);
    CHECK_STATUS(t, qa_row_scatter(ctx, &y, &a, &c, (int64_t[]){0}), QA_ERR_DTYPE);
    CHECK_STATUS(t, qa_row_scatter(ctx, &y, &a, &a, NULL), QA_ERR_ARG);
    qa_ctx_free(ctx);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {
        {"copy", test_copy},   {"concat", test_concat}, {"row_scatter", test_row_scatter},
        {"views", test_views}, {"argmax", test_argmax}, {"concat_many", test_concat_many}, {"bad_input", test_bad_input}, {0},
    };
    return qa_test_main(argc, argv, cases);
}
