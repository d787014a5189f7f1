/* Tape tests on a small two-layer network with a residual (x fans out to two consumers):
 *     h = gelu(x W1^T + b1);  y = h W2^T + b2 + x;  loss = cross_entropy(y Wo^T, labels)
 * - every gradient (x, W1, b1, W2, b2, Wo) equals the chain of per-op double reference backwards,
 *   with x's gradient the sum of its two paths (fan-out accumulates);
 * - a second backward without zeroing doubles the gradients; zeroing happens only when asked;
 * - after the first step, repeating forward + backward allocates nothing and creates no primitive. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/ops/activation.h"
#include "core/ops/elementwise.h"
#include "core/ops/loss.h"
#include "core/ops/matmul.h"
#include "tests/support/gradcheck.h"
#include "tests/support/test.h"

enum { T = 5, D = 7, H = 9, V = 11 };

typedef struct {
    qa_arena model;
    qa_tensor x, w1, b1, w2, b2, wo, labels; /* x (T, D) w1 (H, D) b1 (H) w2 (D, H) b2 (D) wo (V, D) labels (T) */
} net;

static const double label_v[T] = {3, QA_IGNORE_INDEX, 10, 0, 3};

static qa_status net_init(net *n, qa_ctx *ctx)
{
    qa_status s = qa_arena_init(&n->model, "model", 1 << 20, &ctx->counters);
    if (!s) s = qa_tensor_alloc(&n->x, &n->model, QA_F32, 2, (int64_t[]){T, D}, true);
    if (!s) s = qa_tensor_alloc(&n->w1, &n->model, QA_F32, 2, (int64_t[]){H, D}, true);
    if (!s) s = qa_tensor_alloc(&n->b1, &n->model, QA_F32, 1, (int64_t[]){H}, true);
    if (!s) s = qa_tensor_alloc(&n->w2, &n->model, QA_F32, 2, (int64_t[]){D, H}, true);
    if (!s) s = qa_tensor_alloc(&n->b2, &n->model, QA_F32, 1, (int64_t[]){D}, true);
    if (!s) s = qa_tensor_alloc(&n->wo, &n->model, QA_F32, 2, (int64_t[]){V, D}, true);
    if (!s) s = qa_tensor_alloc(&n->labels, &n->model, QA_I32, 1, (int64_t[]){T}, false);
    if (s) return s;
    uint64_t rng = 5;
    qa_tensor *ps[] = {&n->x, &n->w1, &n->b1, &n->w2, &n->b2, &n->wo};
    for (int i = 0; i < 6; i++)
        for (int64_t j = 0; j < qa_tensor_numel(ps[i]); j++) qa_tensor_set(ps[i], j, qa_gc_uniform(&rng) - 0.5, false);
    for (int i = 0; i < T; i++) qa_tensor_set(&n->labels, i, label_v[i], false);
    return QA_OK;
}

/* The same network written with one variable: every op's output aliases its input struct. */
static qa_status net_step_aliased(qa_ctx *ctx, net *n, qa_tensor *h)
{
    qa_status s = qa_linear(ctx, h, &n->x, &n->w1, &n->b1);
    if (!s) s = qa_gelu(ctx, h, h);
    if (!s) s = qa_linear(ctx, h, h, &n->w2, &n->b2);
    if (!s) s = qa_add(ctx, h, h, &n->x);
    if (!s) s = qa_linear(ctx, h, h, &n->wo, NULL);
    if (!s) s = qa_cross_entropy(ctx, h, h, &n->labels, QA_IGNORE_INDEX);
    if (!s) s = qa_tape_backward(ctx, h);
    return s;
}

static qa_status net_step(qa_ctx *ctx, net *n, qa_tensor *loss)
{
    qa_tensor a, h, z, y, logits;
    qa_status s = qa_linear(ctx, &a, &n->x, &n->w1, &n->b1);
    if (!s) s = qa_gelu(ctx, &h, &a);
    if (!s) s = qa_linear(ctx, &z, &h, &n->w2, &n->b2);
    if (!s) s = qa_add(ctx, &y, &z, &n->x);
    if (!s) s = qa_linear(ctx, &logits, &y, &n->wo, NULL);
    if (!s) s = qa_cross_entropy(ctx, loss, &logits, &n->labels, QA_IGNORE_INDEX);
    if (!s) s = qa_tape_backward(ctx, loss);
    return s;
}

static double *to_d(const qa_tensor *t, bool grad)
{
    int64_t n = qa_tensor_numel(t);
    double *d = malloc(sizeof(double) * (size_t)n);
    for (int64_t i = 0; i < n; i++) d[i] = qa_tensor_get(t, i, grad);
    return d;
}

/* The double chain: forward with references, then per-op reference backwards in reverse. */
typedef struct {
    double loss;
    double dx[T * D], dw1[H * D], db1[H], dw2[D * H], db2[D], dwo[V * D];
    double dx_path2[T * D]; /* dx through the first linear only (without the residual) */
} ref_grads;

static void reference(const net *n, ref_grads *g)
{
    double *x = to_d(&n->x, false), *w1 = to_d(&n->w1, false), *b1 = to_d(&n->b1, false);
    double *w2 = to_d(&n->w2, false), *b2 = to_d(&n->b2, false), *wo = to_d(&n->wo, false);
    double a[T * H], h[T * H], z[T * D], y[T * D], lg[T * V];
    double da[T * H] = {0}, dh[T * H] = {0}, dz[T * D] = {0}, dy[T * D] = {0}, dlg[T * V] = {0};
    memset(g, 0, sizeof *g);
    qa_ref_linear(a, x, w1, b1, T, D, H);
    qa_ref_gelu(h, a, T * H);
    qa_ref_linear(z, h, w2, b2, T, H, D);
    qa_ref_add(y, z, x, 2, (int64_t[]){T, D}, (int64_t[]){T, D});
    qa_ref_linear(lg, y, wo, NULL, T, D, V);
    g->loss = qa_ref_cross_entropy(lg, label_v, T, V, QA_IGNORE_INDEX);
    qa_ref_cross_entropy_backward(dlg, 1.0, lg, label_v, T, V, QA_IGNORE_INDEX);
    qa_ref_linear_backward(dy, g->dwo, NULL, dlg, y, wo, T, D, V);
    qa_ref_add_backward(dz, g->dx, dy, 2, (int64_t[]){T, D}, (int64_t[]){T, D}); /* path 1 into dx */
    qa_ref_linear_backward(dh, g->dw2, g->db2, dz, h, w2, T, H, D);
    qa_ref_gelu_backward(da, dh, a, T * H);
    qa_ref_linear_backward(g->dx, g->dw1, g->db1, da, x, w1, T, D, H); /* path 2 adds into dx */
    qa_ref_linear_backward(g->dx_path2, NULL, NULL, da, x, w1, T, D, H);
    free(x), free(w1), free(b1), free(w2), free(b2), free(wo);
}

static void compare_grad(qa_t *t, const char *name, const qa_tensor *p, const double *want, double factor)
{
    const qa_gc_tolerance *tol = qa_gc_tolerance_for("two_layer_net", QA_F32);
    for (int64_t i = 0; i < qa_tensor_numel(p); i++) {
        double got = qa_tensor_get(p, i, true), w = factor * want[i];
        if (!(fabs(got - w) <= tol->bwd_atol + tol->bwd_rtol * fabs(w))) {
            CHECK_MSG(t, 0, "d%s[%lld] = %.9g, reference chain %.9g", name, (long long)i, got, w);
            return;
        }
    }
    t->checks++;
}

static void test_two_layer_network(qa_t *t)
{
    qa_ctx *ctx;
    CHECK_OK(t, qa_ctx_new(&ctx, NULL));
    if (!ctx) return;
    net n;
    CHECK_OK(t, net_init(&n, ctx));
    ref_grads *g = malloc(sizeof *g);
    reference(&n, g);
    for (int rep = 1; rep <= 2; rep++) { /* the second backward adds the same gradients again */
        qa_ctx_step_begin(ctx);
        qa_tensor loss;
        CHECK_OK(t, net_step(ctx, &n, &loss));
        CHECK(t, ctx->tape.n == 6);
        const qa_gc_tolerance *tol = qa_gc_tolerance_for("two_layer_net", QA_F32);
        CHECK_NEAR(t, qa_tensor_get(&loss, 0, false), g->loss, tol->fwd_atol + tol->fwd_rtol * fabs(g->loss));
        compare_grad(t, "x", &n.x, g->dx, rep);
        compare_grad(t, "w1", &n.w1, g->dw1, rep);
        compare_grad(t, "b1", &n.b1, g->db1, rep);
        compare_grad(t, "w2", &n.w2, g->dw2, rep);
        compare_grad(t, "b2", &n.b2, g->db2, rep);
        compare_grad(t, "wo", &n.wo, g->dwo, rep);
    }
    /* the residual path matters: dx through one path alone is far from the sum, so the comparison
     * above could not pass if fan-out overwrote instead of accumulating */
    double diff = 0;
    for (int i = 0; i < T * D; i++) diff = fmax(diff, fabs(g->dx[i] - g->dx_path2[i]));
    CHECK_MSG(t, diff > 1e-3, "the two paths into x are indistinguishable (max diff %g)", diff);
    /* zeroing happens only when asked */
    qa_tensor *ps[] = {&n.x, &n.w1, &n.b1, &n.w2, &n.b2, &n.wo};
    for (int i = 0; i < 6; i++) qa_tensor_zero_grad(ps[i]);
    for (int i = 0; i < 6; i++)
        for (int64_t j = 0; j < qa_tensor_numel(ps[i]); j++) CHECK(t, qa_tensor_get(ps[i], j, true) == 0.0);
    qa_ctx_step_begin(ctx);
    qa_tensor loss;
    CHECK_OK(t, net_step(ctx, &n, &loss));
    compare_grad(t, "w1 after zeroing", &n.w1, g->dw1, 1);
    /* outputs may alias inputs: h = gelu(h) etc. give the same loss and gradients */
    for (int i = 0; i < 6; i++) qa_tensor_zero_grad(ps[i]);
    qa_ctx_step_begin(ctx);
    CHECK_OK(t, net_step_aliased(ctx, &n, &loss));
    CHECK_NEAR(t, qa_tensor_get(&loss, 0, false), g->loss, 1e-5 * (1 + fabs(g->loss)));
    compare_grad(t, "x (aliased)", &n.x, g->dx, 1);
    compare_grad(t, "w1 (aliased)", &n.w1, g->dw1, 1);
    compare_grad(t, "wo (aliased)", &n.wo, g->dwo, 1);
    free(g);
    qa_arena_deinit(&n.model);
    qa_ctx_free(ctx);
}

static void test_nograd_records_nothing(qa_t *t)
{
    qa_ctx *ctx;
    CHECK_OK(t, qa_ctx_new(&ctx, NULL));
    if (!ctx) return;
    net n;
    CHECK_OK(t, net_init(&n, ctx));
    qa_ctx_step_begin(ctx);
    size_t before = ctx->step.used;
    qa_nograd_begin(ctx);
    qa_tensor a, h, loss, logits;
    CHECK_OK(t, qa_linear(ctx, &a, &n.x, &n.w1, &n.b1));
    CHECK_OK(t, qa_gelu(ctx, &h, &a));
    CHECK_OK(t, qa_linear(ctx, &logits, &n.x, &n.wo, NULL));
    CHECK_OK(t, qa_cross_entropy(ctx, &loss, &logits, &n.labels, QA_IGNORE_INDEX));
    qa_nograd_end(ctx);
    CHECK(t, ctx->tape.n == 0);
    CHECK(t, !a.requires_grad && !a.grad && !h.grad && !loss.grad);
    CHECK(t, ctx->step.used > before);
    CHECK_STATUS(t, qa_tape_backward(ctx, &loss), QA_ERR_STATE);
    for (int64_t j = 0; j < H * D; j++) CHECK(t, qa_tensor_get(&n.w1, j, true) == 0.0);
    /* a frozen weight (no requires_grad) still passes gradients to its input */
    qa_ctx_step_begin(ctx);
    n.w1.requires_grad = false;
    CHECK_OK(t, qa_linear(ctx, &a, &n.x, &n.w1, NULL));
    CHECK(t, a.requires_grad && ctx->tape.n == 1);
    qa_arena_deinit(&n.model);
    qa_ctx_free(ctx);
}

static void test_steady_state(qa_t *t)
{
    qa_ctx *ctx;
    CHECK_OK(t, qa_ctx_new(&ctx, NULL));
    if (!ctx) return;
    net n;
    CHECK_OK(t, net_init(&n, ctx));
    qa_counters first = {0};
    size_t high = 0;
    for (int step = 0; step < 5; step++) {
        qa_ctx_step_begin(ctx);
        qa_tensor loss;
        CHECK_OK(t, net_step(ctx, &n, &loss));
        if (step == 0) first = ctx->counters, high = ctx->step.high;
    }
    CHECK_MSG(t, ctx->counters.allocations == first.allocations, "allocations after warm-up: %llu -> %llu",
              (unsigned long long)first.allocations, (unsigned long long)ctx->counters.allocations);
    CHECK_MSG(t, ctx->counters.primitives_created == first.primitives_created, "primitives after warm-up: %llu -> %llu",
              (unsigned long long)first.primitives_created, (unsigned long long)ctx->counters.primitives_created);
    CHECK(t, ctx->counters.primitive_hits >= 4 * first.primitives_created);
    CHECK(t, ctx->step.high == high && high > 0);
    qa_arena_deinit(&n.model);
    qa_ctx_free(ctx);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {
        {"two_layer_network", test_two_layer_network},
        {"nograd_records_nothing", test_nograd_records_nothing},
        {"steady_state", test_steady_state},
        {0},
    };
    return qa_test_main(argc, argv, cases);
}
