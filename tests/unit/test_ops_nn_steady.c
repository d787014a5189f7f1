/* A small Whisper/Qwen-like chain of the conv1d, norm, rope, attention, pool and softmax families,
 * run forward and backward for several steps of the same shapes: after the first step no heap
 * allocation and no new oneDNN primitive may happen (counted by the context), and every step gives
 * the same gradients (nothing leaks from one step into the next). */
#include <math.h>
#include <string.h>

#include "core/ctx.h"
#include "core/ops/attention.h"
#include "core/ops/conv1d.h"
#include "core/ops/norm.h"
#include "core/ops/pool.h"
#include "core/ops/rope.h"
#include "core/ops/softmax.h"
#include "tests/support/gradcheck.h"
#include "tests/support/test.h"

enum { B = 2, M = 8, F = 13, C = 12, H = 3, DH = 4 };

typedef struct {
    qa_tensor w, b, lnw, lnb, rmsw;
} params;

static qa_status step(qa_ctx *ctx, params *p, const float *mel, double *gsum)
{
    qa_ctx_step_begin(ctx);
    qa_tensor x, y, yt, h, h4, q, a, a3, r, pl, sm;
    qa_status s = qa_tensor_alloc(&x, &ctx->step, QA_F32, 3, (int64_t[]){B, M, F}, false);
    if (s) return s;
    memcpy(x.data, mel, sizeof(float) * B * M * F);
    static const int32_t kvl[B] = {7, 4};
    qa_attention_opts o = {.scale = 0.5, .kv_len = kvl};
    if ((s = qa_conv1d(ctx, &y, &x, &p->w, &p->b, 2, 1)) || (s = qa_tensor_view_transpose(&yt, &y, 1, 2)) ||
        (s = qa_layer_norm(ctx, &h, &yt, &p->lnw, &p->lnb, 1e-5f)) ||
        (s = qa_tensor_view_reshape(&h4, &h, 4, (int64_t[]){B, h.shape[1], H, DH})) ||
        (s = qa_rope(ctx, &q, &h4, 10000.0, 0)) || (s = qa_attention(ctx, &a, &q, &q, &h4, &o)) ||
        (s = qa_tensor_view_reshape(&a3, &a, 3, h.shape)) || (s = qa_rms_norm(ctx, &r, &a3, &p->rmsw, 1e-6f)) ||
        (s = qa_avg_pool(ctx, &pl, &r)) || (s = qa_softmax(ctx, &sm, &pl)))
        return s;
    for (int64_t i = 0; i < qa_tensor_numel(&sm); i++) qa_tensor_set(&sm, i, sin((double)i), true);
    qa_tensor_zero_grad(&p->w);
    if ((s = qa_tape_replay(ctx))) return s;
    *gsum = 0;
    for (int64_t i = 0; i < qa_tensor_numel(&p->w); i++) *gsum += fabs(qa_tensor_get(&p->w, i, true));
    return QA_OK;
}

static void test_steady_state(qa_t *t)
{
    qa_ctx *ctx = NULL;
    qa_ctx_config cfg = {.step_arena_bytes = 8 << 20};
    CHECK_OK(t, qa_ctx_new(&ctx, &cfg));
    if (!ctx) return;
    qa_arena model;
    CHECK_OK(t, qa_arena_init(&model, "model", 1 << 20, &ctx->counters));
    params p;
    CHECK_OK(t, qa_tensor_alloc(&p.w, &model, QA_F32, 3, (int64_t[]){C, M, 3}, true));
    CHECK_OK(t, qa_tensor_alloc(&p.b, &model, QA_F32, 1, (int64_t[]){C}, true));
    CHECK_OK(t, qa_tensor_alloc(&p.lnw, &model, QA_F32, 1, (int64_t[]){C}, true));
    CHECK_OK(t, qa_tensor_alloc(&p.lnb, &model, QA_F32, 1, (int64_t[]){C}, true));
    CHECK_OK(t, qa_tensor_alloc(&p.rmsw, &model, QA_F32, 1, (int64_t[]){C}, true));
    uint64_t st = 1;
    for (int64_t i = 0; i < C * M * 3; i++) qa_tensor_set(&p.w, i, qa_gc_uniform(&st) - 0.5, false);
    for (int64_t i = 0; i < C; i++) {
        qa_tensor_set(&p.b, i, 0.1 * (double)i, false);
        qa_tensor_set(&p.lnw, i, 1.0, false);
        qa_tensor_set(&p.lnb, i, 0.0, false);
        qa_tensor_set(&p.rmsw, i, 1.0 + 0.01 * (double)i, false);
    }
    float mel[B * M * F];
    for (int i = 0; i < B * M * F; i++) mel[i] = (float)cos(0.3 * i);
    double g1 = 0, g = 0;
    CHECK_OK(t, step(ctx, &p, mel, &g1));
    uint64_t allocs = ctx->counters.allocations, prims = ctx->counters.primitives_created;
    CHECK(t, prims > 0 && g1 > 0);
    for (int i = 0; i < 3; i++) {
        CHECK_OK(t, step(ctx, &p, mel, &g));
        CHECK_NEAR(t, g, g1, 0); /* bit-identical steps */
    }
    CHECK_MSG(t, ctx->counters.allocations == allocs, "allocations grew from %llu to %llu after warm-up",
              (unsigned long long)allocs, (unsigned long long)ctx->counters.allocations);
    CHECK_MSG(t, ctx->counters.primitives_created == prims, "primitives grew from %llu to %llu after warm-up",
              (unsigned long long)prims, (unsigned long long)ctx->counters.primitives_created);
    qa_arena_deinit(&model);
    qa_ctx_free(ctx);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {{"nn_steady_state", test_steady_state}, {0}};
    return qa_test_main(argc, argv, cases);
}
