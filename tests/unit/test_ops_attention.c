/* Gradient checks for core/ops/attention: plain, causal, key-padding, causal with Tq < Tk plus
 * padding, and recomputed probabilities; f32 and bf16; odd sizes. Also: strided q/k/v views of a
 * fused projection give the same result and gradients as contiguous copies, and bad input. */
#include <math.h>
#include <string.h>

#include "core/ctx.h"
#include "core/ops/attention.h"
#include "core/ops/ref_nn.h"
#include "tests/support/gradcheck.h"
#include "tests/support/test.h"

typedef struct {
    int64_t B, H, Tq, Tk, Dh;
    qa_attention_opts o;
} at_p;

static void at_fwd(const void *pp, double *const *in, double *out)
{
    const at_p *p = pp;
    qa_ref_attention_fwd(out, in[0], in[1], in[2], p->B, p->H, p->Tq, p->Tk, p->Dh, p->o.scale, p->o.causal,
                         p->o.kv_len, p->o.kv_start);
}
static void at_bwd(const void *pp, double *const *in, const double *dout, double **din)
{
    const at_p *p = pp;
    qa_ref_attention_bwd(din[0], din[1], din[2], dout, in[0], in[1], in[2], p->B, p->H, p->Tq, p->Tk, p->Dh,
                         p->o.scale, p->o.causal, p->o.kv_len, p->o.kv_start);
}
static qa_status at_eng(qa_ctx *ctx, const void *pp, qa_tensor *out, qa_tensor *in)
{
    const at_p *p = pp;
    return qa_attention(ctx, out, &in[0], &in[1], &in[2], &p->o);
}

static qa_ctx *new_ctx(qa_t *t)
{
    qa_ctx *ctx = NULL;
    qa_ctx_config cfg = {.step_arena_bytes = 16 << 20};
    CHECK_OK(t, qa_ctx_new(&ctx, &cfg));
    return ctx;
}

static void check(qa_t *t, qa_ctx *ctx, at_p *p, uint64_t seed)
{
    qa_gc_spec s = {.op = "attention", .n_in = 3, .p = p, .ref_fwd = at_fwd, .ref_bwd = at_bwd, .eng = at_eng,
                    .seed = seed};
    int64_t qs[4] = {p->B, p->Tq, p->H, p->Dh}, ks[4] = {p->B, p->Tk, p->H, p->Dh};
    s.in[0].ndim = s.in[1].ndim = s.in[2].ndim = s.out_ndim = 4;
    memcpy(s.in[0].shape, qs, sizeof qs);
    memcpy(s.in[1].shape, ks, sizeof ks);
    memcpy(s.in[2].shape, ks, sizeof ks);
    memcpy(s.out_shape, qs, sizeof qs);
    for (int i = 0; i < 2; i++) s.in[i].lo = -2, s.in[i].hi = 2; /* peaked enough to test the softmax */
    qa_gradcheck(t, ctx, &s, QA_F32);
    qa_gradcheck(t, ctx, &s, QA_BF16);
}

static void test_plain_and_causal(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    at_p a = {2, 3, 7, 7, 5, {.scale = 1 / sqrt(5.0)}};
    check(t, ctx, &a, 1);
    at_p c = {2, 2, 9, 9, 6, {.scale = 1 / sqrt(6.0), .causal = true}};
    check(t, ctx, &c, 2);
    at_p r = {1, 3, 5, 11, 7, {.scale = 0.3, .causal = true, .recompute_probs = true}}; /* Tq < Tk */
    check(t, ctx, &r, 3);
    /* several query blocks per batch row, the last one shorter, saved and recomputed P */
    at_p bl = {2, 2, 11, 11, 5, {.scale = 0.45, .causal = true, .block_rows = 4}};
    check(t, ctx, &bl, 7);
    bl.o.recompute_probs = true;
    check(t, ctx, &bl, 8);
    qa_ctx_free(ctx);
}

static void test_key_padding(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    static const int32_t kvl[3] = {13, 5, 1};
    at_p a = {3, 2, 13, 13, 5, {.scale = 0.125 * 3, .kv_len = kvl}}; /* Whisper: queries not masked */
    check(t, ctx, &a, 4);
    a.o.recompute_probs = true;
    check(t, ctx, &a, 5);
    a.o.block_rows = 5; /* 13 rows: blocks of 5, 5, 3 */
    check(t, ctx, &a, 9);
    static const int32_t kvl2[2] = {9, 4};
    at_p c = {2, 2, 6, 9, 3, {.scale = 0.5, .causal = true, .kv_len = kvl2}};
    check(t, ctx, &c, 6);
    /* left padding (Qwen's batched evaluation): keys before kv_start hidden; under the causal mask
     * the first queries of row 1 see no key and must output zeros */
    static const int32_t kvs3[2] = {0, 3}, kvl3[2] = {7, 7};
    at_p l = {2, 2, 7, 7, 3, {.scale = 0.5, .causal = true, .kv_start = kvs3}};
    check(t, ctx, &l, 10);
    l.o.kv_len = kvl3;
    l.o.recompute_probs = true;
    l.o.block_rows = 3;
    check(t, ctx, &l, 11);
    qa_ctx_free(ctx);
}

/* q, k, v as strided views of one fused (B, T, 3*H*Dh) projection output, as a model makes them. */
static void test_fused_views(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    const int64_t B = 2, T = 11, H = 3, Dh = 5, W = 3 * H * Dh;
    qa_tensor fused, y1, y2, c[3];
    CHECK_OK(t, qa_tensor_alloc(&fused, &ctx->step, QA_F32, 3, (int64_t[]){B, T, W}, true));
    uint64_t st = 99;
    for (int64_t i = 0; i < B * T * W; i++) qa_tensor_set(&fused, i, 2 * qa_gc_uniform(&st) - 1, false);
    qa_tensor v[3];
    for (int j = 0; j < 3; j++) {
        v[j] = fused;
        v[j].ndim = 4;
        v[j].shape[0] = B, v[j].shape[1] = T, v[j].shape[2] = H, v[j].shape[3] = Dh;
        v[j].stride[0] = T * W, v[j].stride[1] = W, v[j].stride[2] = Dh, v[j].stride[3] = 1;
        v[j].data = (float *)fused.data + j * H * Dh;
        v[j].grad = (float *)fused.grad + j * H * Dh;
        CHECK_OK(t, qa_tensor_alloc(&c[j], &ctx->step, QA_F32, 4, (int64_t[]){B, T, H, Dh}, true));
        for (int64_t i = 0; i < B * T * H * Dh; i++) qa_tensor_set(&c[j], i, qa_tensor_get(&v[j], i, false), false);
    }
    static const int32_t kvl[2] = {11, 6};
    qa_attention_opts o = {.scale = 0.4, .kv_len = kvl, .block_rows = 4};
    CHECK_OK(t, qa_attention(ctx, &y1, &v[0], &v[1], &v[2], &o));
    CHECK_OK(t, qa_attention(ctx, &y2, &c[0], &c[1], &c[2], &o));
    if (!y1.grad || !y2.grad) return;
    double worst = 0;
    for (int64_t i = 0; i < qa_tensor_numel(&y1); i++) {
        double g = qa_gc_uniform(&st) - 0.5;
        qa_tensor_set(&y1, i, g, true);
        qa_tensor_set(&y2, i, g, true);
        worst = fmax(worst, fabs(qa_tensor_get(&y1, i, false) - qa_tensor_get(&y2, i, false)));
    }
    CHECK_NEAR(t, worst, 0, 1e-6);
    CHECK_OK(t, qa_tape_replay(ctx));
    worst = 0;
    for (int j = 0; j < 3; j++)
        for (int64_t i = 0; i < B * T * H * Dh; i++)
            worst = fmax(worst, fabs(qa_tensor_get(&v[j], i, true) - qa_tensor_get(&c[j], i, true)));
    CHECK_NEAR(t, worst, 0, 1e-6);
    /* a padded key (b = 1, t >= 6) receives no gradient */
    CHECK(t, qa_tensor_get(&c[1], (1 * T + 8) * H * Dh + 2, true) == 0);
    qa_ctx_free(ctx);
}

static void test_bad_input(qa_t *t)
{
    qa_ctx *ctx = new_ctx(t);
    if (!ctx) return;
    float buf[2 * 4 * 2 * 3] = {0};
    qa_tensor q, k, kb, y;
    CHECK_OK(t, qa_tensor_init(&q, QA_F32, 4, (int64_t[]){2, 4, 2, 3}, buf));
    CHECK_OK(t, qa_tensor_init(&k, QA_F32, 4, (int64_t[]){2, 2, 2, 3}, buf));
    CHECK_OK(t, qa_tensor_init(&kb, QA_F32, 4, (int64_t[]){2, 4, 2, 2}, buf));
    qa_attention_opts o = {.scale = 0.5};
    CHECK_STATUS(t, qa_attention(ctx, &y, &q, &kb, &kb, &o), QA_ERR_SHAPE);
    o.causal = true;
    CHECK_STATUS(t, qa_attention(ctx, &y, &q, &k, &k, &o), QA_ERR_SHAPE); /* causal, Tq > Tk */
    o.causal = false;
    static const int32_t zero[2] = {4, 0};
    o.kv_len = zero;
    CHECK_STATUS(t, qa_attention(ctx, &y, &q, &q, &q, &o), QA_ERR_ARG);
    CHECK(t, strstr(qa_error_message(), "kv_len[1]") != NULL);
    static const int32_t st[2] = {0, 4};
    o.kv_len = NULL;
    o.kv_start = st; /* start must be below the valid length */
    CHECK_STATUS(t, qa_attention(ctx, &y, &q, &q, &q, &o), QA_ERR_ARG);
    CHECK(t, strstr(qa_error_message(), "kv_start[1]") != NULL);
    o.kv_start = NULL;
    o.scale = 0;
    CHECK_STATUS(t, qa_attention(ctx, &y, &q, &q, &q, &o), QA_ERR_ARG);
    CHECK_STATUS(t, qa_attention(ctx, &y, &q, &q, &q, NULL), QA_ERR_ARG);
    /* wrong dtypes: integer operands, mixed f32 / bf16 */
    o.scale = 0.5;
    qa_tensor qi = q, kh = q;
    qi.dtype = QA_I32;
    kh.dtype = QA_BF16;
    CHECK_STATUS(t, qa_attention(ctx, &y, &qi, &qi, &qi, &o), QA_ERR_DTYPE);
    CHECK_STATUS(t, qa_attention(ctx, &y, &q, &kh, &q, &o), QA_ERR_DTYPE);
    qa_ctx_free(ctx);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {{"attention_plain_causal", test_plain_and_causal},
                                         {"attention_key_padding", test_key_padding},
                                         {"attention_fused_views", test_fused_views},
                                         {"attention_bad_input", test_bad_input},
                                         {0}};
    return qa_test_main(argc, argv, cases);
}
