/* core/ops/rope: rotary position embedding (GPT-NeoX rotate-half over the whole head dim,
 * configurable base, positions pos0..pos0+T-1), forward and backward hand-written in fp32, and its
 * double reference. See core/ops/rope.h for the op, core/ops/ref_nn.h for the reference. */
#include "core/ops/rope.h"

#include <math.h>

#include "core/ops/nn_common.h"
#include "core/ops/ref_nn.h"

/* cos/sin tables (T, half) in f32, computed the way the reference model does (f32 inv_freq,
 * f32 product, f32 cos/sin). */
static qa_status rope_tables(qa_ctx *ctx, float **cs, int64_t T, int64_t Dh, double base, int64_t pos0)
{
    int64_t half = Dh / 2;
    float *t;
    qa_status s = qa_arena_alloc(&ctx->step, (void **)&t, sizeof(float) * (size_t)(2 * T * half));
    if (s) return s;
    for (int64_t j = 0; j < half; j++) {
        float inv = 1.0f / powf((float)base, (float)(2 * j) / (float)Dh);
        for (int64_t i = 0; i < T; i++) {
            float ang = (float)(pos0 + i) * inv;
            t[i * half + j] = cosf(ang);
            t[T * half + i * half + j] = sinf(ang);
        }
    }
    *cs = t;
    return QA_OK;
}

/* dst = rot(sign * angle)(src) (accumulate: dst += ...), over every (b, t, h) row. */
static void rope_apply(const qa_tensor *dst, const qa_tensor *src, const float *cs, float sign, int accumulate,
                       float *row, float *out)
{
    int64_t B = src->shape[0], T = src->shape[1], H = src->shape[2], Dh = src->shape[3], half = Dh / 2;
    size_t es = qa_dtype_size(src->dtype);
    const float *cosv = cs, *sinv = cs + T * half;
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < T; t++) {
            const float *c = cosv + t * half, *sn = sinv + t * half;
            for (int64_t h = 0; h < H; h++) {
                const char *sp = (const char *)src->data +
                                 (size_t)(b * src->stride[0] + t * src->stride[1] + h * src->stride[2]) * es;
                char *dp =
                    (char *)dst->data + (size_t)(b * dst->stride[0] + t * dst->stride[1] + h * dst->stride[2]) * es;
                qa_nn_load_row(row, sp, src->dtype, Dh);
                for (int64_t j = 0; j < half; j++) {
                    float x1 = row[j], x2 = row[j + half], si = sign * sn[j];
                    out[j] = x1 * c[j] - x2 * si;
                    out[j + half] = x2 * c[j] + x1 * si;
                }
                qa_nn_store_row(dp, out, dst->dtype, Dh, accumulate);
            }
        }
}

/* Tape entry: in = {x}; farg[0] = base; iarg[0] = pos0. */
static qa_status rope_impl(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, double base, int64_t pos0)
{
    qa_status s = qa_tensor_check(x, "rope", "x", 4, 4, QA_DT_FLOAT);
    if (s) return s;
    int64_t T = x->shape[1], Dh = x->shape[3];
    char d[96];
    if (Dh < 2 || Dh % 2)
        return qa_error(QA_ERR_SHAPE, "rope: head dim of %s must be even (B, T, H, Dh)",
                        qa_tensor_describe(x, d, sizeof d));
    if (x->stride[3] != 1)
        return qa_error(QA_ERR_UNSUPPORTED, "rope: head dim of %s is not dense: copy the view first",
                        qa_tensor_describe(x, d, sizeof d));
    if (!(base > 1) || !isfinite(base)) return qa_error(QA_ERR_ARG, "rope: base %g must be > 1", base);
    if (pos0 < 0) return qa_error(QA_ERR_ARG, "rope: first position %lld must be >= 0", (long long)pos0);
    bool grad = qa_needs_grad(ctx, x, NULL, NULL);
    if ((s = qa_op_output(ctx, y, x->dtype, 4, x->shape, grad))) return s;
    size_t mark = qa_arena_mark(&ctx->step);
    float *cs, *row;
    if (!(s = rope_tables(ctx, &cs, T, Dh, base, pos0)) &&
        !(s = qa_arena_alloc(&ctx->step, (void **)&row, sizeof(float) * (size_t)(2 * Dh))))
        rope_apply(y, x, cs, 1.f, 0, row, row + Dh);
    qa_arena_rewind(&ctx->step, mark);
    if (s) return s;
    qa_tape_entry *e;
    if ((s = qa_tape_record_unary(ctx, &e, QA_OP_rope, y, x))) return s;
    if (e) {
        e->farg[0] = base;
        e->iarg[0] = pos0;
    }
    return QA_OK;
}

qa_status qa_rope(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, double base, int64_t pos0)
{
    qa_tensor out; /* built aside, stored last: y may alias an input */
    qa_status s = qa_op_dst_begin(&out, y, "rope");
    if (!s) s = rope_impl(ctx, &out, x, base, pos0);
    return qa_op_dst_store(y, &out, s);
}

qa_status qa_rope_backward(qa_ctx *ctx, const qa_tape_entry *e)
{
    const qa_tensor *x = &e->in[0];
    if (!qa_wants_grad(x)) return QA_OK;
    size_t mark = qa_arena_mark(&ctx->step);
    qa_tensor gx = qa_grad_view(x), gy = qa_grad_view(&e->out);
    float *cs, *row;
    qa_status s = rope_tables(ctx, &cs, x->shape[1], x->shape[3], e->farg[0], e->iarg[0]);
    if (!s) s = qa_arena_alloc(&ctx->step, (void **)&row, sizeof(float) * (size_t)(2 * x->shape[3]));
    if (!s) rope_apply(&gx, &gy, cs, -1.f, 1, row, row + x->shape[3]);
    qa_arena_rewind(&ctx->step, mark);
    return s;
}

/* ---------------------------------------------------------------------------------------------
 * Double-precision reference (tests only). The backward of a rotation by +angle is the rotation
 * by -angle. */

static void ref_rope(double *y, const double *x, int64_t B, int64_t T, int64_t H, int64_t Dh, double base, int64_t pos0,
                     double sign, int accumulate)
{
    int64_t half = Dh / 2;
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < T; t++)
            for (int64_t h = 0; h < H; h++) {
                const double *xr = x + ((b * T + t) * H + h) * Dh;
                double *yr = y + ((b * T + t) * H + h) * Dh;
                for (int64_t j = 0; j < half; j++) {
                    double ang = (double)(pos0 + t) * pow(base, -2.0 * (double)j / (double)Dh);
                    double c = cos(ang), s = sign * sin(ang);
                    double a = xr[j] * c - xr[j + half] * s, bb = xr[j + half] * c + xr[j] * s;
                    if (accumulate) {
                        yr[j] += a;
                        yr[j + half] += bb;
                    } else {
                        yr[j] = a;
                        yr[j + half] = bb;
                    }
                }
            }
}

void qa_ref_rope_fwd(double *y, const double *x, int64_t B, int64_t T, int64_t H, int64_t Dh, double base, int64_t pos0)
{
    ref_rope(y, x, B, T, H, Dh, base, pos0, 1.0, 0);
}

void qa_ref_rope_bwd(double *dx, const double *dy, int64_t B, int64_t T, int64_t H, int64_t Dh, double base,
                     int64_t pos0)
{
    ref_rope(dx, dy, B, T, H, Dh, base, pos0, -1.0, 1);
}
