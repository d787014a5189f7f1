/* Gradient checks for core/ops/matmul: matmul (plain, batched, transposed operands, shared b) and
 * linear (with and without bias, 1-d to 3-d input), f32 and bf16, odd sizes. */
#include <string.h>

#include "core/ctx.h"
#include "core/ops/matmul.h"
#include "tests/support/gradcheck.h"
#include "tests/support/test.h"

typedef struct {
    int64_t batch, M, K, N;
    int flags, b_shared;
    int nd; /* rank of a */
} mm_p;

static void mm_fwd(const void *pp, double *const *in, double *out)
{
    const mm_p *p = pp;
    qa_ref_matmul(out, in[0], in[1], p->batch, p->M, p->K, p->N, p->flags, p->b_shared);
}
static void mm_bwd(const void *pp, double *const *in, const double *dout, double **din)
{
    const mm_p *p = pp;
    qa_ref_matmul_backward(din[0], din[1], dout, in[0], in[1], p->batch, p->M, p->K, p->N, p->flags, p->b_shared);
}
static qa_status mm_eng(qa_ctx *ctx, const void *pp, qa_tensor *out, qa_tensor *in)
{
    const mm_p *p = pp;
    return qa_matmul(ctx, out, &in[0], &in[1], p->flags);
}

static void check_mm(qa_t *t, qa_ctx *ctx, int64_t B0, int64_t B1, int64_t M, int64_t K, int64_t N, int flags,
                     int b_shared, int nd)
{
    mm_p p = {B0 * B1, M, K, N, flags, b_shared, nd};
    qa_gc_spec s = {.op = "matmul", .n_in = 2, .p = &p, .ref_fwd = mm_fwd, .ref_bwd = mm_bwd, .eng = mm_eng};
    int64_t batch[2] = {B0, B1};
    int nb = nd - 2;
    qa_gc_input *a = &s.in[0], *b = &s.in[1];
    a->ndim = nd;
    for (int i = 0; i < nb; i++) a->shape[i] = batch[2 - nb + i];
    a->shape[nb] = (flags & QA_TRANS_A) ? K : M;
    a->shape[nb + 1] = (flags & QA_TRANS_A) ? M : K;
    b->ndim = b_shared ? 2 : nd;
    int bb = b_shared ? 0 : nb;
    for (int i = 0; i < bb; i++) b->shape[i] = batch[2 - nb + i];
    b->shape[bb] = (flags & QA_TRANS_B) ? N : K;
    b->shape[bb + 1] = (flags & QA_TRANS_B) ? K : N;
    s.out_ndim = nd;
    for (int i = 0; i < nb; i++) s.out_shape[i] = batch[2 - nb + i];
    s.out_shape[nb] = M;
    s.out_shape[nb + 1] = N;
    qa_gradcheck(t, ctx, &s, QA_F32);
    qa_gradcheck(t, ctx, &s, QA_BF16);
}

static qa_ctx *new_ctx(qa_t *t)
{
    qa_ctx *ctx = NULL;
    qa_ctx_config cfg = {.step_arena_bytes = 16 << 20};
    CHECK_OK(t, qa_ctx_new(&ctx, &cfg));
    return ctx;
}

static void test_matmul_2d(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    for (int flags = 0; flags < 4; flags++) check_mm(t, ctx, 1, 1, 7, 9, 11, flags, 0, 2);
    qa_ctx_free(ctx);
}

static void test_matmul_batched(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    for (int flags = 0; flags < 4; flags++) check_mm(t, ctx, 1, 3, 5, 7, 6, flags, 0, 3);
    check_mm(t, ctx, 2, 3, 5, 7, 9, 0, 0, 4);
    check_mm(t, ctx, 2, 3, 5, 7, 9, QA_TRANS_B, 0, 4);
    qa_ctx_free(ctx);
}

static void test_matmul_shared_b(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    check_mm(t, ctx, 1, 3, 5, 7, 6, 0, 1, 3);
    check_mm(t, ctx, 1, 3, 5, 7, 6, QA_TRANS_B, 1, 3);
    check_mm(t, ctx, 2, 3, 5, 7, 6, 0, 1, 4);
    qa_ctx_free(ctx);
}

typedef struct {
    int64_t R, In, Out;
    int bias;
} lin_p;

static void lin_fwd(const void *pp, double *const *in, double *out)
{
    const lin_p *p = pp;
    qa_ref_linear(out, in[0], in[1], p->bias ? in[2] : NULL, p->R, p->In, p->Out);
}
static void lin_bwd(const void *pp, double *const *in, const double *dout, double **din)
{
    const lin_p *p = pp;
    qa_ref_linear_backward(din[0], din[1], p->bias ? din[2] : NULL, dout, in[0], in[1], p->R, p->In, p->Out);
}
static qa_status lin_eng(qa_ctx *ctx, const void *pp, qa_tensor *out, qa_tensor *in)
{
    const lin_p *p = pp;
    return qa_linear(ctx, out, &in[0], &in[1], p->bias ? &in[2] : NULL);
}

static void check_linear(qa_t *t, qa_ctx *ctx, int nd, const int64_t *xshape, int64_t Out, int bias)
{
    int64_t R = 1;
    for (int i = 0; i < nd - 1; i++) R *= xshape[i];
    int64_t In = xshape[nd - 1];
    lin_p p = {R, In, Out, bias};
    qa_gc_spec s = {.op = "linear", .n_in = bias ? 3 : 2, .p = &p, .ref_fwd = lin_fwd, .ref_bwd = lin_bwd,
                    .eng = lin_eng};
    s.in[0].ndim = nd;
    memcpy(s.in[0].shape, xshape, sizeof(int64_t) * (size_t)nd);
    s.in[1].ndim = 2;
    s.in[1].shape[0] = Out;
    s.in[1].shape[1] = In;
    s.in[2].ndim = 1;
    s.in[2].shape[0] = Out;
    s.out_ndim = nd;
    memcpy(s.out_shape, xshape, sizeof(int64_t) * (size_t)nd);
    s.out_shape[nd - 1] = Out;
    qa_gradcheck(t, ctx, &s, QA_F32);
    qa_gradcheck(t, ctx, &s, QA_BF16);
}

static void test_linear(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    check_linear(t, ctx, 2, (int64_t[]){7, 13}, 11, 1);
    check_linear(t, ctx, 2, (int64_t[]){7, 13}, 11, 0);
    check_linear(t, ctx, 3, (int64_t[]){2, 5, 13}, 17, 1);
    check_linear(t, ctx, 1, (int64_t[]){13}, 5, 1);
    qa_ctx_free(ctx);
}

/* A seeded sweep over random odd sizes, ranks, transpose flags and shared-b batching. */
static void test_matmul_random_sweep(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    uint64_t rng = 2024;
    for (int i = 0; i < 40; i++) {
        int nd = 2 + (int)(qa_gc_uniform(&rng) * 3); /* 2..4 */
        int flags = (int)(qa_gc_uniform(&rng) * 4);
        int shared = nd > 2 && qa_gc_uniform(&rng) < 0.3;
        if (shared && (flags & QA_TRANS_A)) flags &= ~QA_TRANS_A; /* rows of a transposed a cannot merge */
        int64_t d[5];
        for (int j = 0; j < 5; j++) d[j] = 1 + (int64_t)(qa_gc_uniform(&rng) * 12);
        int before = t->failures;
        check_mm(t, ctx, nd == 4 ? d[3] : 1, nd >= 3 ? d[4] : 1, d[0], d[1], d[2], flags, shared, nd);
        CHECK_MSG(t, t->failures == before, "sweep case %d: rank %d flags %d shared %d batch (%lld, %lld) M %lld K %lld N %lld", i, nd,
                  flags, shared, (long long)(nd == 4 ? d[3] : 1), (long long)(nd >= 3 ? d[4] : 1), (long long)d[0],
                  (long long)d[1], (long long)d[2]);
    }
    qa_ctx_free(ctx);
}

static void test_matmul_bad_input(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    qa_tensor a, b, y, ids;
    CHECK_OK(t, qa_tensor_alloc(&a, &ctx->step, QA_F32, 2, (int64_t[]){3, 4}, false));
    CHECK_OK(t, qa_tensor_alloc(&b, &ctx->step, QA_F32, 2, (int64_t[]){5, 6}, false));
    CHECK_OK(t, qa_tensor_alloc(&ids, &ctx->step, QA_I32, 2, (int64_t[]){4, 6}, false));
    CHECK_STATUS(t, qa_matmul(ctx, &y, &a, &b, 0), QA_ERR_SHAPE);
    CHECK(t, strstr(qa_error_message(), "inner dims") != NULL);
    CHECK_STATUS(t, qa_matmul(ctx, &y, &a, &ids, 0), QA_ERR_DTYPE);
    CHECK_STATUS(t, qa_linear(ctx, &y, &a, &b, NULL), QA_ERR_SHAPE);
    CHECK_STATUS(t, qa_matmul(ctx, &y, &a, NULL, 0), QA_ERR_ARG);
    qa_ctx_free(ctx);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {
        {"matmul_2d", test_matmul_2d},         {"matmul_batched", test_matmul_batched},
        {"matmul_shared_b", test_matmul_shared_b}, {"linear", test_linear},
        {"matmul_random_sweep", test_matmul_random_sweep}, {"matmul_bad_input", test_matmul_bad_input}, {0},
    };
    return qa_test_main(argc, argv, cases);
}
