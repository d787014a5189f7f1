/* Gradient checks for core/ops/embedding (gather, scatter-add backward with repeated ids) and
 * core/ops/loss (cross-entropy with ignore index), plus the full Qwen vocabulary width
 * (V = 155947) against the double reference, and bad labels/ids. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/ops/embedding.h"
#include "core/ops/loss.h"
#include "tests/support/gradcheck.h"
#include "tests/support/test.h"

static qa_ctx *new_ctx(qa_t *t, size_t bytes)
{
    qa_ctx *ctx = NULL;
    qa_ctx_config cfg = {.step_arena_bytes = bytes};
    CHECK_OK(t, qa_ctx_new(&ctx, &cfg));
    return ctx;
}

/* table (11, 7), ids (3, 5) drawn in [0, 11) -> repeated ids are certain (15 draws of 11) */
static void em_fwd(const void *p, double *const *in, double *out) { qa_ref_embedding(out, in[0], in[1], 15, 7); }
static void em_bwd(const void *p, double *const *in, const double *dout, double **din)
{
    qa_ref_embedding_backward(din[0], dout, in[1], 15, 7);
}
static qa_status em_eng(qa_ctx *ctx, const void *p, qa_tensor *out, qa_tensor *in)
{
    return qa_embedding(ctx, out, &in[0], &in[1]);
}
static void test_embedding(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t, 16 << 20);
    if (!ctx) return;
    for (int i64 = 0; i64 < 2; i64++) {
        qa_gc_spec s = {.op = "embedding", .n_in = 2, .out_ndim = 3, .out_shape = {3, 5, 7}, .ref_fwd = em_fwd,
                        .ref_bwd = em_bwd, .eng = em_eng};
        s.in[0] = (qa_gc_input){.ndim = 2, .shape = {11, 7}};
        s.in[1] = (qa_gc_input){.ndim = 2, .shape = {3, 5}, .kind = QA_GC_IDS, .id_dtype = i64 ? QA_I64 : QA_I32, .id_lo = 0, .id_hi = 11};
        qa_gradcheck(t, ctx, &s, QA_F32);
        qa_gradcheck(t, ctx, &s, QA_BF16);
    }
    /* an id outside the table is an error naming it */
    qa_tensor table, ids, y;
    CHECK_OK(t, qa_tensor_alloc(&table, &ctx->step, QA_F32, 2, (int64_t[]){11, 7}, false));
    CHECK_OK(t, qa_tensor_alloc(&ids, &ctx->step, QA_I32, 1, (int64_t[]){3}, false));
    qa_tensor_set(&ids, 0, 1, false);
    qa_tensor_set(&ids, 1, 11, false);
    qa_tensor_set(&ids, 2, 2, false);
    CHECK_STATUS(t, qa_embedding(ctx, &y, &table, &ids), QA_ERR_ARG);
    CHECK(t, strstr(qa_error_message(), "id 11 at position 1") != NULL);
    CHECK_STATUS(t, qa_embedding(ctx, &y, &table, &table), QA_ERR_DTYPE);
    qa_ctx_free(ctx);
}

/* cross-entropy: logits (2, 3, 13), labels drawn in [0, 14) with 13 as the ignore index */
typedef struct {
    int64_t T, V, ignore;
} ce_p;
static void ce_fwd(const void *pp, double *const *in, double *out)
{
    const ce_p *p = pp;
    out[0] = qa_ref_cross_entropy(in[0], in[1], p->T, p->V, p->ignore);
}
static void ce_bwd(const void *pp, double *const *in, const double *dout, double **din)
{
    const ce_p *p = pp;
    qa_ref_cross_entropy_backward(din[0], dout[0], in[0], in[1], p->T, p->V, p->ignore);
}
static qa_status ce_eng(qa_ctx *ctx, const void *pp, qa_tensor *out, qa_tensor *in)
{
    const ce_p *p = pp;
    return qa_cross_entropy(ctx, out, &in[0], &in[1], p->ignore);
}
static void test_cross_entropy(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t, 16 << 20);
    if (!ctx) return;
    ce_p p = {6, 13, 13};
    qa_gc_spec s = {.op = "cross_entropy", .n_in = 2, .out_ndim = 0, .p = &p, .ref_fwd = ce_fwd, .ref_bwd = ce_bwd,
                    .eng = ce_eng, .seed = 7};
    s.in[0] = (qa_gc_input){.ndim = 3, .shape = {2, 3, 13}, .lo = -4, .hi = 4};
    s.in[1] = (qa_gc_input){.ndim = 2, .shape = {2, 3}, .kind = QA_GC_IDS, .id_lo = 0, .id_hi = 14};
    for (uint64_t seed = 1; seed <= 3; seed++) {
        s.seed = seed;
        qa_gradcheck(t, ctx, &s, QA_F32);
        qa_gradcheck(t, ctx, &s, QA_BF16);
    }
    qa_ctx_free(ctx);
}

/* The full vocabulary width against the double reference: -100 ignore index, a negative upstream
 * gradient; f32 with T = 3, bf16 with T = 29 (more rows than one 4M-element backward chunk). */
static void check_big_vocab(qa_t *t, qa_ctx *ctx, qa_dtype dt, int64_t T)
{
    const int64_t V = 155947;
    double *x = malloc(sizeof(double) * (size_t)(T * V)), *dref = calloc((size_t)(T * V), sizeof(double));
    double *labels = malloc(sizeof(double) * (size_t)T);
    uint64_t rng = 99;
    qa_tensor lg, lb, loss;
    qa_ctx_step_begin(ctx);
    CHECK_OK(t, qa_tensor_alloc(&lg, &ctx->step, dt, 2, (int64_t[]){T, V}, true));
    CHECK_OK(t, qa_tensor_alloc(&lb, &ctx->step, QA_I64, 1, (int64_t[]){T}, false));
    if (!x || !dref || !labels || !lg.data || !lb.data) goto out;
    for (int64_t i = 0; i < T * V; i++) {
        float f = (float)(8 * qa_gc_uniform(&rng) - 4);
        if (dt == QA_BF16) {
            ((uint16_t *)lg.data)[i] = qa_bf16_from_f32(f);
            x[i] = qa_f32_from_bf16(((uint16_t *)lg.data)[i]);
        } else {
            ((float *)lg.data)[i] = f;
            x[i] = f;
        }
    }
    for (int64_t i = 0; i < T; i++) {
        labels[i] = i % 3 == 1 ? QA_IGNORE_INDEX : (double)((i * 151643) % V);
        qa_tensor_set(&lb, i, labels[i], false);
    }
    CHECK_OK(t, qa_cross_entropy(ctx, &loss, &lg, &lb, QA_IGNORE_INDEX));
    const qa_gc_tolerance *tol = qa_gc_tolerance_for("cross_entropy", dt);
    double want = qa_ref_cross_entropy(x, labels, T, V, QA_IGNORE_INDEX);
    CHECK_NEAR(t, qa_tensor_get(&loss, 0, false), want, tol->fwd_atol + tol->fwd_rtol * fabs(want));
    qa_tensor_set(&loss, 0, -0.5, true); /* d(-0.5 * loss) */
    CHECK_OK(t, qa_tape_replay(ctx));
    qa_ref_cross_entropy_backward(dref, -0.5, x, labels, T, V, QA_IGNORE_INDEX);
    int bad = 0;
    for (int64_t i = 0; i < T * V && bad < 3; i++) {
        double g = qa_tensor_get(&lg, i, true);
        if (!(fabs(g - dref[i]) <= tol->bwd_atol + tol->bwd_rtol * fabs(dref[i]))) {
            CHECK_MSG(t, 0, "%s dlogits[%lld] = %.9g, reference %.9g", qa_dtype_name(dt), (long long)i, g, dref[i]);
            bad++;
        }
        if ((i / V) % 3 == 1 && g != 0.0) {
            CHECK_MSG(t, 0, "ignored row %lld has gradient %g", (long long)(i / V), g);
            bad++;
        }
    }
    CHECK(t, bad == 0);
out:
    free(x);
    free(dref);
    free(labels);
}

static void test_cross_entropy_qwen_vocab(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t, (size_t)160 << 20);
    if (!ctx) return;
    check_big_vocab(t, ctx, QA_F32, 3);
    check_big_vocab(t, ctx, QA_BF16, 29);
    /* every position ignored: loss 0, gradient 0 */
    qa_tensor lg, lb, loss;
    qa_ctx_step_begin(ctx);
    CHECK_OK(t, qa_tensor_alloc(&lg, &ctx->step, QA_F32, 2, (int64_t[]){2, 5}, true));
    CHECK_OK(t, qa_tensor_alloc(&lb, &ctx->step, QA_I32, 1, (int64_t[]){2}, false));
    for (int i = 0; i < 10; i++) qa_tensor_set(&lg, i, i, false);
    qa_tensor_set(&lb, 0, -100, false);
    qa_tensor_set(&lb, 1, -100, false);
    CHECK_OK(t, qa_cross_entropy(ctx, &loss, &lg, &lb, QA_IGNORE_INDEX));
    CHECK(t, qa_tensor_get(&loss, 0, false) == 0.0);
    CHECK_OK(t, qa_tape_backward(ctx, &loss));
    for (int i = 0; i < 10; i++) CHECK(t, qa_tensor_get(&lg, i, true) == 0.0);
    /* bad labels and shapes */
    qa_tensor_set(&lb, 1, 5, false);
    CHECK_STATUS(t, qa_cross_entropy(ctx, &loss, &lg, &lb, QA_IGNORE_INDEX), QA_ERR_ARG);
    CHECK(t, strstr(qa_error_message(), "label 5 at position 1") != NULL);
    qa_tensor lb3;
    CHECK_OK(t, qa_tensor_alloc(&lb3, &ctx->step, QA_I32, 1, (int64_t[]){3}, false));
    CHECK_STATUS(t, qa_cross_entropy(ctx, &loss, &lg, &lb3, QA_IGNORE_INDEX), QA_ERR_SHAPE);
    CHECK_STATUS(t, qa_cross_entropy(ctx, &loss, &lg, &lg, QA_IGNORE_INDEX), QA_ERR_DTYPE);
    qa_ctx_free(ctx);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {
        {"embedding", test_embedding},
        {"cross_entropy", test_cross_entropy},
        {"cross_entropy_qwen_vocab", test_cross_entropy_qwen_vocab},
        {0},
    };
    return qa_test_main(argc, argv, cases);
}
