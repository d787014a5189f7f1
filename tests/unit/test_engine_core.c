/* Unit tests for the engine core: arena (too small -> status), tensor views, the op registry
 * (every op has a backward or an explicit flag), the tape (no-grad scopes record nothing,
 * gradients accumulate and are zeroed only when asked), the steady state (no allocation and no
 * new primitive after warm-up) and the gradient-check harness itself (a wrong reference fails). */
#include <string.h>

#include "core/arena.h"
#include "core/ctx.h"
#include "core/ops/activation.h"
#include "core/ops/elementwise.h"
#include "core/ops/matmul.h"
#include "core/ops/ops.h"
#include "core/tape.h"
#include "core/tensor.h"
#include "tests/support/gradcheck.h"
#include "tests/support/test.h"

static void test_arena(qa_t *t)
{
    qa_counters c = {0};
    qa_arena a;
    CHECK_OK(t, qa_arena_init(&a, "step", 1000, &c));
    CHECK(t, c.allocations == 1);
    void *p, *q;
    CHECK_OK(t, qa_arena_alloc(&a, &p, 100));
    CHECK(t, ((uintptr_t)p % QA_ARENA_ALIGN) == 0);
    CHECK_OK(t, qa_arena_alloc(&a, &q, 1));
    CHECK(t, (uint8_t *)q - (uint8_t *)p == 128);
    CHECK_STATUS(t, qa_arena_alloc(&a, &p, 5000), QA_ERR_NOMEM);
    CHECK(t, strstr(qa_error_message(), "step arena too small") != NULL);
    CHECK(t, a.high >= 5000);
    qa_arena_reset(&a);
    CHECK(t, a.used == 0 && a.high >= 5000);
    CHECK(t, c.allocations == 1);
    qa_arena_deinit(&a);
    qa_arena_deinit(NULL);
}

static void test_tensor_views(qa_t *t)
{
    float buf[2 * 3 * 4], gbuf[24];
    for (int i = 0; i < 24; i++) buf[i] = (float)i, gbuf[i] = 0;
    qa_tensor x, v, s;
    CHECK_OK(t, qa_tensor_init(&x, QA_F32, 3, (int64_t[]){2, 3, 4}, buf));
    x.grad = gbuf;
    CHECK(t, qa_tensor_is_contiguous(&x) && qa_tensor_numel(&x) == 24);
    CHECK_OK(t, qa_tensor_view_transpose(&v, &x, 1, 2)); /* (2, 4, 3) */
    CHECK(t, !qa_tensor_is_contiguous(&v) && v.shape[1] == 4 && v.shape[2] == 3);
    CHECK(t, qa_tensor_get(&v, 1, false) == 4.0); /* v[0,0,1] = x[0,1,0] */
    CHECK_OK(t, qa_tensor_view_slice(&s, &x, 1, 1, 2)); /* (2, 2, 4) rows 1..2 */
    CHECK(t, qa_tensor_get(&s, 0, false) == 4.0 && qa_tensor_get(&s, 8, false) == 16.0);
    qa_tensor_set(&s, 0, 7.0, true); /* gradient aliases the base */
    CHECK(t, gbuf[4] == 7.0f);
    CHECK_STATUS(t, qa_tensor_view_reshape(&v, &v, 2, (int64_t[]){8, 3}), QA_ERR_SHAPE); /* non-contiguous */
    CHECK_OK(t, qa_tensor_view_reshape(&v, &x, 2, (int64_t[]){6, 4}));
    CHECK_STATUS(t, qa_tensor_view_reshape(&v, &x, 2, (int64_t[]){5, 4}), QA_ERR_SHAPE);
    CHECK_STATUS(t, qa_tensor_view_slice(&s, &x, 2, 3, 2), QA_ERR_SHAPE);
    CHECK_STATUS(t, qa_tensor_init(&v, QA_F32, 5, (int64_t[]){1, 1, 1, 1, 1}, buf), QA_ERR_SHAPE);
    CHECK_STATUS(t, qa_tensor_init(&v, QA_F32, 1, (int64_t[]){0}, buf), QA_ERR_SHAPE);
    CHECK_STATUS(t, qa_tensor_init(&v, QA_F32, 3, (int64_t[]){1 << 20, 1 << 20, 1 << 20}, buf), QA_ERR_SHAPE);
    /* bf16 rounding: nearest even */
    CHECK(t, qa_f32_from_bf16(qa_bf16_from_f32(1.0f)) == 1.0f);
    CHECK(t, qa_bf16_from_f32(1.00390625f) == 0x3f80); /* halfway -> even */
    CHECK(t, qa_bf16_from_f32(1.01171875f) == 0x3f82);
}

static void test_registry(qa_t *t)
{
    int n_backward = 0;
    for (int i = 0; i < QA_OP_COUNT; i++) {
        const qa_op_info *op = &qa_op_table[i];
        CHECK_MSG(t, op->backward != NULL, "op %s has neither a backward nor QA_NO_GRADIENT/QA_GRAD_ALIASES",
                  op->name);
        CHECK_MSG(t, op->name && op->family && op->name[0], "op %d has no name or family", i);
        if (op->backward && op->backward != QA_NO_GRADIENT && op->backward != QA_GRAD_ALIASES) n_backward++;
        for (int j = 0; j < i; j++) CHECK_MSG(t, strcmp(op->name, qa_op_table[j].name), "op %s listed twice", op->name);
    }
    CHECK(t, n_backward >= 2);
    CHECK(t, !strcmp(qa_op_table[QA_OP_matmul].name, "matmul"));
}

/* Two linear layers y = W2 (W1 x) with x used twice (fan-out through a shared weight). */
static void test_nograd_and_accumulate(qa_t *t)
{
    qa_ctx *ctx;
    CHECK_OK(t, qa_ctx_new(&ctx, NULL));
    if (!ctx) return;
    float wbuf[3 * 4], gw[12], xbuf[2 * 4];
    for (int i = 0; i < 12; i++) wbuf[i] = (float)(i % 5) * 0.25f - 0.5f, gw[i] = 0;
    for (int i = 0; i < 8; i++) xbuf[i] = (float)i * 0.1f;
    qa_tensor w, x, y, ones, l;
    qa_tensor_init(&w, QA_F32, 2, (int64_t[]){3, 4}, wbuf);
    w.grad = gw;
    w.requires_grad = true;
    qa_tensor_init(&x, QA_F32, 2, (int64_t[]){2, 4}, xbuf);

    /* no-grad: nothing recorded, output needs no gradient */
    qa_ctx_step_begin(ctx);
    qa_nograd_begin(ctx);
    CHECK_OK(t, qa_linear(ctx, &y, &x, &w, NULL));
    qa_nograd_end(ctx);
    CHECK(t, ctx->tape.n == 0 && !y.requires_grad && y.grad == NULL);
    CHECK_STATUS(t, qa_tape_backward(ctx, &y), QA_ERR_STATE);

    /* L = ones(1,2) . (x W^T) . ones(3,1): dW[o][i] = sum_r x[r][i]; run twice: gradients add up */
    for (int rep = 0; rep < 2; rep++) {
        qa_ctx_step_begin(ctx);
        CHECK_OK(t, qa_linear(ctx, &y, &x, &w, NULL));
        CHECK_OK(t, qa_tensor_alloc(&ones, &ctx->step, QA_F32, 2, (int64_t[]){1, 2}, false));
        for (int i = 0; i < 2; i++) qa_tensor_set(&ones, i, 1.0, false);
        qa_tensor h, o3, lt;
        CHECK_OK(t, qa_matmul(ctx, &h, &ones, &y, 0)); /* (1, 3) */
        CHECK_OK(t, qa_tensor_alloc(&o3, &ctx->step, QA_F32, 2, (int64_t[]){3, 1}, false));
        for (int i = 0; i < 3; i++) qa_tensor_set(&o3, i, 1.0, false);
        CHECK_OK(t, qa_matmul(ctx, &lt, &h, &o3, 0)); /* (1, 1) */
        l = lt;
        CHECK(t, ctx->tape.n == 3);
        CHECK_OK(t, qa_tape_backward(ctx, &l));
        for (int o = 0; o < 3; o++)
            for (int i = 0; i < 4; i++)
                CHECK_NEAR(t, gw[o * 4 + i], (rep + 1) * (xbuf[i] + xbuf[4 + i]), 1e-5);
    }
    qa_tensor_zero_grad(&w);
    for (int i = 0; i < 12; i++) CHECK(t, gw[i] == 0.0f);
    qa_ctx_free(ctx);
}

static void test_steady_state(qa_t *t)
{
    qa_ctx *ctx;
    CHECK_OK(t, qa_ctx_new(&ctx, NULL));
    if (!ctx) return;
    qa_arena model;
    CHECK_OK(t, qa_arena_init(&model, "model", 1 << 20, &ctx->counters));
    qa_tensor w1, b1, w2, x;
    CHECK_OK(t, qa_tensor_alloc(&w1, &model, QA_F32, 2, (int64_t[]){19, 13}, true));
    CHECK_OK(t, qa_tensor_alloc(&b1, &model, QA_F32, 1, (int64_t[]){19}, true));
    CHECK_OK(t, qa_tensor_alloc(&w2, &model, QA_F32, 2, (int64_t[]){1, 19}, true));
    CHECK_OK(t, qa_tensor_alloc(&x, &model, QA_F32, 2, (int64_t[]){7, 13}, false));
    for (int64_t i = 0; i < 19 * 13; i++) qa_tensor_set(&w1, i, 0.01 * (double)(i % 7), false);
    for (int64_t i = 0; i < 7 * 13; i++) qa_tensor_set(&x, i, 0.02 * (double)(i % 5), false);
    qa_counters after_first = {0};
    for (int step = 0; step < 4; step++) {
        qa_ctx_step_begin(ctx);
        qa_tensor h, y, ones, l;
        CHECK_OK(t, qa_linear(ctx, &h, &x, &w1, &b1));
        CHECK_OK(t, qa_linear(ctx, &y, &h, &w2, NULL)); /* (7, 1) */
        CHECK_OK(t, qa_tensor_alloc(&ones, &ctx->step, QA_F32, 2, (int64_t[]){1, 7}, false));
        for (int i = 0; i < 7; i++) qa_tensor_set(&ones, i, 1.0, false);
        CHECK_OK(t, qa_matmul(ctx, &l, &ones, &y, 0));
        CHECK_OK(t, qa_tape_backward(ctx, &l));
        if (step == 0) after_first = ctx->counters;
    }
    CHECK_MSG(t, ctx->counters.allocations == after_first.allocations, "allocations grew after warm-up: %llu -> %llu",
              (unsigned long long)after_first.allocations, (unsigned long long)ctx->counters.allocations);
    CHECK_MSG(t, ctx->counters.primitives_created == after_first.primitives_created,
              "primitives created after warm-up: %llu -> %llu", (unsigned long long)after_first.primitives_created,
              (unsigned long long)ctx->counters.primitives_created);
    CHECK(t, ctx->counters.primitive_hits > 0 && ctx->step.high > 0);
    qa_arena_deinit(&model);
    qa_ctx_free(ctx);
}

static void test_arena_too_small_in_op(qa_t *t)
{
    qa_ctx *ctx;
    qa_ctx_config cfg = {.step_arena_bytes = 4096};
    CHECK_OK(t, qa_ctx_new(&ctx, &cfg));
    if (!ctx) return;
    float a[64 * 64] = {0};
    qa_tensor x, y;
    qa_tensor_init(&x, QA_F32, 2, (int64_t[]){64, 64}, a);
    CHECK_STATUS(t, qa_matmul(ctx, &y, &x, &x, 0), QA_ERR_NOMEM);
    CHECK(t, strstr(qa_error_message(), "arena too small") != NULL);
    qa_ctx_free(ctx);
}

/* The step arena is sized from a measured forward: forward fits, the backward's temporary does not:
 * the replay reports the op and the arena, and nothing crashes. */
static void test_arena_too_small_in_backward(qa_t *t)
{
    size_t need = 0;
    for (int pass = 0; pass < 2; pass++) {
        qa_ctx *ctx;
        qa_ctx_config cfg = {.step_arena_bytes = pass ? need : (size_t)1 << 20};
        CHECK_OK(t, qa_ctx_new(&ctx, &cfg));
        if (!ctx) return;
        qa_arena model;
        CHECK_OK(t, qa_arena_init(&model, "model", 1 << 16, NULL));
        qa_tensor x, y, z;
        CHECK_OK(t, qa_tensor_alloc(&x, &model, QA_F32, 2, (int64_t[]){31, 17}, true));
        qa_tensor_zero_grad(&x);
        memset(x.data, 0, 31 * 17 * 4);
        CHECK_OK(t, qa_gelu(ctx, &y, &x));
        CHECK_OK(t, qa_scale(ctx, &z, &y, 2.f));
        qa_tensor_set(&z, 0, 1.0, true);
        if (pass == 0) {
            need = ctx->step.high;
            CHECK_OK(t, qa_tape_replay(ctx));
        } else {
            CHECK_STATUS(t, qa_tape_replay(ctx), QA_ERR_NOMEM);
            CHECK_MSG(t, strstr(qa_error_message(), "backward of gelu") && strstr(qa_error_message(), "step arena too small"),
                      "message: %s", qa_error_message());
        }
        qa_arena_deinit(&model);
        qa_ctx_free(ctx);
    }
}

static void test_backward_bad_loss(qa_t *t)
{
    qa_ctx *ctx;
    CHECK_OK(t, qa_ctx_new(&ctx, NULL));
    if (!ctx) return;
    qa_tensor x, y;
    CHECK_OK(t, qa_tensor_alloc(&x, &ctx->step, QA_F32, 1, (int64_t[]){3}, true));
    CHECK_OK(t, qa_scale(ctx, &y, &x, 2.f));
    CHECK_STATUS(t, qa_tape_backward(ctx, &y), QA_ERR_STATE); /* 3 elements: not a loss */
    CHECK(t, strstr(qa_error_message(), "one-element") != NULL);
    CHECK_STATUS(t, qa_tape_backward(ctx, NULL), QA_ERR_STATE);
    /* a tape is replayed once */
    qa_tensor l;
    CHECK_OK(t, qa_tensor_alloc(&l, &ctx->step, QA_F32, 0, NULL, true));
    CHECK_OK(t, qa_tape_backward(ctx, &l));
    CHECK_STATUS(t, qa_tape_backward(ctx, &l), QA_ERR_STATE);
    CHECK(t, strstr(qa_error_message(), "already ran") != NULL);
    CHECK_STATUS(t, qa_tape_replay(ctx), QA_ERR_STATE);
    qa_ctx_step_begin(ctx);
    CHECK_OK(t, qa_tape_replay(ctx));
    qa_ctx_free(ctx);
}

/* The harness must be able to fail: a reference backward that is off by a factor fails step 1. */
static void wrong_fwd(const void *p, double *const *in, double *out)
{
    qa_ref_matmul(out, in[0], in[1], 1, 3, 5, 4, 0, 0);
}
static void wrong_bwd(const void *p, double *const *in, const double *dout, double **din)
{
    qa_ref_matmul_backward(din[0], din[1], dout, in[0], in[1], 1, 3, 5, 4, 0, 0);
    din[0][2] *= 1.01;
}
static qa_status mm_eng(qa_ctx *ctx, const void *p, qa_tensor *out, qa_tensor *in)
{
    return qa_matmul(ctx, out, &in[0], &in[1], 0);
}
static void test_harness_can_fail(qa_t *t)
{
    qa_ctx *ctx;
    CHECK_OK(t, qa_ctx_new(&ctx, NULL));
    if (!ctx) return;
    qa_gc_spec s = {.op = "matmul", .n_in = 2, .in = {{.ndim = 2, .shape = {3, 5}}, {.ndim = 2, .shape = {5, 4}}}, .out_ndim = 2, .out_shape = {3, 4},
                    .ref_fwd = wrong_fwd, .ref_bwd = wrong_bwd, .eng = mm_eng};
    qa_t inner = {"inner", 0, 0, 0};
    qa_gradcheck(&inner, ctx, &s, QA_F32);
    CHECK_MSG(t, inner.failures >= 2, "a wrong reference gave only %d failures", inner.failures);
    qa_error_clear();
    qa_ctx_free(ctx);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {
        {"arena", test_arena},
        {"tensor_views", test_tensor_views},
        {"registry", test_registry},
        {"nograd_and_accumulate", test_nograd_and_accumulate},
        {"steady_state", test_steady_state},
        {"arena_too_small_in_op", test_arena_too_small_in_op},
        {"arena_too_small_in_backward", test_arena_too_small_in_backward},
        {"backward_bad_loss", test_backward_bad_loss},
        {"harness_can_fail", test_harness_can_fail},
        {0},
    };
    return qa_test_main(argc, argv, cases);
}
