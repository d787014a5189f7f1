/* Gradient checks for core/ops/elementwise (add, mul, scale with broadcasting: bias, residual,
 * operand order swapped) and core/ops/activation (GELU erf, SiLU), f32 and bf16, odd sizes,
 * including a strided (transposed) input. */
#include <string.h>

#include "core/ctx.h"
#include "core/ops/activation.h"
#include "core/ops/elementwise.h"
#include "tests/support/gradcheck.h"
#include "tests/support/test.h"

typedef struct {
    int op; /* 0 add, 1 mul */
    int nd;
    int64_t full[4], bshape[4]; /* bshape expanded to nd */
    int swap;                   /* engine called as (b, a): the broadcast operand comes first */
} bin_p;

static void bin_fwd(const void *pp, double *const *in, double *out)
{
    const bin_p *p = pp;
    const double *a = in[p->swap], *b = in[1 - p->swap];
    if (p->op == 0) qa_ref_add(out, a, b, p->nd, p->full, p->bshape);
    else qa_ref_mul(out, a, b, p->nd, p->full, p->bshape);
}
static void bin_bwd(const void *pp, double *const *in, const double *dout, double **din)
{
    const bin_p *p = pp;
    const double *a = in[p->swap], *b = in[1 - p->swap];
    double *da = din[p->swap], *db = din[1 - p->swap];
    if (p->op == 0) qa_ref_add_backward(da, db, dout, p->nd, p->full, p->bshape);
    else qa_ref_mul_backward(da, db, dout, a, b, p->nd, p->full, p->bshape);
}
static qa_status bin_eng(qa_ctx *ctx, const void *pp, qa_tensor *out, qa_tensor *in)
{
    const bin_p *p = pp;
    return p->op == 0 ? qa_add(ctx, out, &in[0], &in[1]) : qa_mul(ctx, out, &in[0], &in[1]);
}

/* full shape (nd dims), b given with bnd dims (trailing-aligned) */
static void check_bin(qa_t *t, qa_ctx *ctx, int op, int nd, const int64_t *full, int bnd, const int64_t *b, int swap)
{
    bin_p p = {op, nd, {0}, {0}, swap};
    memcpy(p.full, full, sizeof(int64_t) * (size_t)nd);
    for (int i = 0; i < nd; i++) p.bshape[i] = i < nd - bnd ? 1 : b[i - (nd - bnd)];
    qa_gc_spec s = {.op = op ? "mul" : "add", .n_in = 2, .p = &p, .ref_fwd = bin_fwd, .ref_bwd = bin_bwd,
                    .eng = bin_eng, .out_ndim = nd};
    memcpy(s.out_shape, full, sizeof(int64_t) * (size_t)nd);
    qa_gc_input *ia = &s.in[swap], *ib = &s.in[1 - swap];
    ia->ndim = nd;
    memcpy(ia->shape, full, sizeof(int64_t) * (size_t)nd);
    ib->ndim = bnd;
    memcpy(ib->shape, b, sizeof(int64_t) * (size_t)bnd);
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

static void run_binary_family(qa_t *t, int op)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    check_bin(t, ctx, op, 3, (int64_t[]){2, 5, 7}, 3, (int64_t[]){2, 5, 7}, 0);  /* residual */
    check_bin(t, ctx, op, 2, (int64_t[]){9, 13}, 1, (int64_t[]){13}, 0);         /* bias */
    check_bin(t, ctx, op, 2, (int64_t[]){9, 13}, 1, (int64_t[]){13}, 1);         /* bias first */
    check_bin(t, ctx, op, 3, (int64_t[]){3, 5, 7}, 3, (int64_t[]){3, 1, 7}, 0);  /* middle dim */
    check_bin(t, ctx, op, 4, (int64_t[]){2, 3, 5, 7}, 4, (int64_t[]){1, 3, 1, 1}, 1);
    check_bin(t, ctx, op, 3, (int64_t[]){1, 9, 13}, 1, (int64_t[]){13}, 0);        /* leading 1 in full */
    check_bin(t, ctx, op, 2, (int64_t[]){9, 13}, 2, (int64_t[]){1, 1}, 1);         /* scalar-like */
    qa_ctx_free(ctx);
}
static void test_add(qa_t *t) { run_binary_family(t, 0); }
static void test_mul(qa_t *t) { run_binary_family(t, 1); }

/* A seeded sweep: random ranks, sizes (including 1), broadcast masks, dropped leading dims and
 * operand order, for add and mul. */
static void test_broadcast_sweep(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    uint64_t rng = 77;
    for (int i = 0; i < 40; i++) {
        int nd = 1 + (int)(qa_gc_uniform(&rng) * 4);
        int64_t full[4], b[4];
        for (int d = 0; d < nd; d++) full[d] = 1 + (int64_t)(qa_gc_uniform(&rng) * 6);
        int bnd = nd - (int)(qa_gc_uniform(&rng) * nd); /* 1..nd trailing dims */
        for (int d = 0; d < bnd; d++) b[d] = qa_gc_uniform(&rng) < 0.5 ? 1 : full[nd - bnd + d];
        int op = qa_gc_uniform(&rng) < 0.5, swap = qa_gc_uniform(&rng) < 0.5;
        int before = t->failures;
        check_bin(t, ctx, op, nd, full, bnd, b, swap);
        CHECK_MSG(t, t->failures == before, "sweep case %d: %s full (%lld %lld %lld %lld) rank %d, b (%lld %lld %lld %lld) rank %d, swap %d",
                  i, op ? "mul" : "add", (long long)full[0], (long long)(nd > 1 ? full[1] : 0), (long long)(nd > 2 ? full[2] : 0),
                  (long long)(nd > 3 ? full[3] : 0), nd, (long long)b[0], (long long)(bnd > 1 ? b[1] : 0),
                  (long long)(bnd > 2 ? b[2] : 0), (long long)(bnd > 3 ? b[3] : 0), bnd, swap);
    }
    qa_ctx_free(ctx);
}

/* strided operands: y (5, 7) = op(transpose(a (7, 5)), b (7)); the backward must land in a's layout */
static void st_fwd(const void *pp, double *const *in, double *out)
{
    const bin_p *p = pp;
    for (int r = 0; r < 5; r++)
        for (int c = 0; c < 7; c++) {
            double a = in[0][c * 5 + r], b = in[1][c];
            out[r * 7 + c] = p->op ? a * b : a + b;
        }
}
static void st_bwd(const void *pp, double *const *in, const double *dout, double **din)
{
    const bin_p *p = pp;
    for (int r = 0; r < 5; r++)
        for (int c = 0; c < 7; c++) {
            double g = dout[r * 7 + c], a = in[0][c * 5 + r], b = in[1][c];
            din[0][c * 5 + r] += p->op ? g * b : g;
            din[1][c] += p->op ? g * a : g;
        }
}
static qa_status st_eng(qa_ctx *ctx, const void *pp, qa_tensor *out, qa_tensor *in)
{
    const bin_p *p = pp;
    qa_tensor at;
    qa_tensor_view_transpose(&at, &in[0], 0, 1);
    return p->op ? qa_mul(ctx, out, &at, &in[1]) : qa_add(ctx, out, &at, &in[1]);
}
static void test_strided_operands(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    for (int op = 0; op < 2; op++) {
        bin_p p = {.op = op};
        qa_gc_spec s = {.op = op ? "mul" : "add", .n_in = 2, .in = {{.ndim = 2, .shape = {7, 5}}, {.ndim = 1, .shape = {7}}}, .out_ndim = 2,
                        .out_shape = {5, 7}, .p = &p, .ref_fwd = st_fwd, .ref_bwd = st_bwd, .eng = st_eng};
        qa_gradcheck(t, ctx, &s, QA_F32);
        qa_gradcheck(t, ctx, &s, QA_BF16);
    }
    qa_ctx_free(ctx);
}

/* ---- scale ---- */
static void sc_fwd(const void *pp, double *const *in, double *out)
{
    for (int i = 0; i < 5 * 7; i++) out[i] = -0.37 * in[0][i];
}
static void sc_bwd(const void *pp, double *const *in, const double *dout, double **din)
{
    for (int i = 0; i < 5 * 7; i++) din[0][i] += -0.37 * dout[i];
}
static qa_status sc_eng(qa_ctx *ctx, const void *pp, qa_tensor *out, qa_tensor *in)
{
    return qa_scale(ctx, out, &in[0], (float)-0.37);
}
static void test_scale(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    qa_gc_spec s = {.op = "scale", .n_in = 1, .in = {{.ndim = 2, .shape = {5, 7}}}, .out_ndim = 2, .out_shape = {5, 7},
                    .ref_fwd = sc_fwd, .ref_bwd = sc_bwd, .eng = sc_eng};
    qa_gradcheck(t, ctx, &s, QA_F32);
    qa_gradcheck(t, ctx, &s, QA_BF16);
    qa_ctx_free(ctx);
}

/* ---- activations; `transposed`: the engine sees the (R, C) input through a (C, R) view ---- */
typedef struct {
    int silu, transposed;
    int64_t R, C;
} act_p;

static void act_fwd(const void *pp, double *const *in, double *out)
{
    const act_p *p = pp;
    int64_t n = p->R * p->C;
    double tmp[1024];
    if (p->silu) qa_ref_silu(tmp, in[0], n);
    else qa_ref_gelu(tmp, in[0], n);
    for (int64_t r = 0; r < p->R; r++)
        for (int64_t c = 0; c < p->C; c++) {
            if (p->transposed) out[c * p->R + r] = tmp[r * p->C + c];
            else out[r * p->C + c] = tmp[r * p->C + c];
        }
}
static void act_bwd(const void *pp, double *const *in, const double *dout, double **din)
{
    const act_p *p = pp;
    int64_t n = p->R * p->C;
    double dy[1024];
    for (int64_t r = 0; r < p->R; r++)
        for (int64_t c = 0; c < p->C; c++) dy[r * p->C + c] = p->transposed ? dout[c * p->R + r] : dout[r * p->C + c];
    if (p->silu) qa_ref_silu_backward(din[0], dy, in[0], n);
    else qa_ref_gelu_backward(din[0], dy, in[0], n);
}
static qa_status act_eng(qa_ctx *ctx, const void *pp, qa_tensor *out, qa_tensor *in)
{
    const act_p *p = pp;
    qa_tensor x = in[0];
    if (p->transposed) qa_tensor_view_transpose(&x, &in[0], 0, 1);
    return p->silu ? qa_silu(ctx, out, &x) : qa_gelu(ctx, out, &x);
}
static void check_act(qa_t *t, qa_ctx *ctx, int silu, int transposed)
{
    act_p p = {silu, transposed, 9, 13};
    qa_gc_spec s = {.op = silu ? "silu" : "gelu", .n_in = 1, .in = {{.ndim = 2, .shape = {9, 13}, .lo = -4, .hi = 4}}, .out_ndim = 2,
                    .p = &p, .ref_fwd = act_fwd, .ref_bwd = act_bwd, .eng = act_eng};
    s.out_shape[0] = transposed ? 13 : 9;
    s.out_shape[1] = transposed ? 9 : 13;
    qa_gradcheck(t, ctx, &s, QA_F32);
    qa_gradcheck(t, ctx, &s, QA_BF16);
}
static void test_gelu(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    check_act(t, ctx, 0, 0);
    check_act(t, ctx, 0, 1);
    qa_ctx_free(ctx);
}
static void test_silu(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    check_act(t, ctx, 1, 0);
    check_act(t, ctx, 1, 1);
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
    CHECK_STATUS(t, qa_add(ctx, &y, &a, &b), QA_ERR_SHAPE);
    CHECK(t, strstr(qa_error_message(), "broadcast") != NULL);
    CHECK_STATUS(t, qa_mul(ctx, &y, &a, &c), QA_ERR_DTYPE);
    CHECK_STATUS(t, qa_gelu(ctx, &y, &ids), QA_ERR_DTYPE);
    CHECK_STATUS(t, qa_scale(ctx, &y, NULL, 2.f), QA_ERR_ARG);
    qa_ctx_free(ctx);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {
        {"add", test_add},   {"mul", test_mul}, {"broadcast_sweep", test_broadcast_sweep},
        {"strided_operands", test_strided_operands},   {"scale", test_scale},         {"gelu", test_gelu},
        {"silu", test_silu}, {"bad_input", test_bad_input}, {0},
    };
    return qa_test_main(argc, argv, cases);
}
