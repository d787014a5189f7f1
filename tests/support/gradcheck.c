/* tests/support/gradcheck: see gradcheck.h. Holds THE tolerance table of every op and dtype. */
#include "tests/support/gradcheck.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tape.h"

/* Why these numbers: f32 engine results differ from the double reference by rounding of the
 * inputs' products and sums (relative ~1e-7 per term, growing with the reduction length); the
 * shapes used are small (reductions < 100 terms). bf16 stores 8 significant bits, so a bf16 output
 * carries a relative rounding error up to 2^-8 = 0.0039 on top of f32 accumulation; gradients
 * written to bf16 buffers that already hold g0 are rounded once more. The embedding's bf16
 * backward adds repeated ids into the bf16 table gradient one by one (one rounding per
 * occurrence), hence its wider atol. */
static const qa_gc_tolerance tolerances[] = {
    /* op              dtype    fwd atol  fwd rtol  bwd atol  bwd rtol */
    /* second helper's families (conv1d, norm, softmax, attention, rope, pool): normalisations and
     * softmax reduce over <= 131 terms in f32; their bf16 outputs are rounded once (2^-8 relative). */
    {"layer_norm",    QA_F32,  1e-5,     1e-5,     1e-5,     1e-5},
    {"layer_norm",    QA_BF16, 2e-2,     1e-2,     3e-2,     2e-2},
    {"rms_norm",      QA_F32,  1e-5,     1e-5,     1e-5,     1e-5},
    {"rms_norm",      QA_BF16, 2e-2,     1e-2,     3e-2,     2e-2},
    {"softmax",       QA_F32,  1e-6,     1e-5,     1e-6,     1e-5},
    {"softmax",       QA_BF16, 4e-3,     1e-2,     1e-2,     1e-2},
    {"attention",     QA_F32,  1e-5,     1e-5,     1e-5,     1e-5},
    {"attention",     QA_BF16, 3e-2,     2e-2,     5e-2,     3e-2},
    {"rope",          QA_F32,  2e-6,     1e-5,     2e-6,     1e-5},
    {"rope",          QA_BF16, 2e-2,     1e-2,     2e-2,     1e-2},
    {"avg_pool",      QA_F32,  1e-6,     1e-6,     1e-6,     1e-6},
    {"avg_pool",      QA_BF16, 1e-2,     8e-3,     1e-2,     8e-3},
    {"conv1d",        QA_F32,  1e-5,     1e-5,     1e-5,     1e-5},
    {"conv1d",        QA_BF16, 3e-2,     1e-2,     5e-2,     2e-2},
    {"matmul",        QA_F32,  1e-5,     1e-5,     1e-5,     1e-5},
    {"matmul",        QA_BF16, 1e-3,     1e-2,     1e-3,     1e-2},
    {"linear",        QA_F32,  1e-5,     1e-5,     1e-5,     1e-5},
    {"linear",        QA_BF16, 1e-3,     1e-2,     1e-3,     1e-2},
    {"add",           QA_F32,  1e-6,     1e-6,     1e-5,     1e-6},
    {"add",           QA_BF16, 1e-3,     8e-3,     1e-3,     8e-3},
    {"mul",           QA_F32,  1e-6,     1e-6,     1e-5,     1e-6},
    {"mul",           QA_BF16, 1e-3,     8e-3,     1e-3,     8e-3},
    {"scale",         QA_F32,  1e-6,     1e-6,     1e-6,     1e-6},
    {"scale",         QA_BF16, 1e-3,     8e-3,     1e-3,     8e-3},
    {"gelu",          QA_F32,  1e-6,     1e-5,     1e-6,     1e-5},
    {"gelu",          QA_BF16, 1e-3,     8e-3,     1e-3,     8e-3},
    {"silu",          QA_F32,  1e-6,     1e-5,     1e-6,     1e-5},
    {"silu",          QA_BF16, 1e-3,     8e-3,     1e-3,     8e-3},
    {"copy",          QA_F32,  0,        0,        1e-7,     1e-7},
    {"copy",          QA_BF16, 0,        0,        1e-3,     8e-3},
    {"concat",        QA_F32,  0,        0,        1e-7,     1e-7},
    {"concat",        QA_BF16, 0,        0,        1e-3,     8e-3},
    {"row_scatter",   QA_F32,  0,        0,        1e-7,     1e-7},
    {"row_scatter",   QA_BF16, 0,        0,        1e-3,     8e-3},
    {"embedding",     QA_F32,  0,        0,        1e-6,     1e-6},
    {"embedding",     QA_BF16, 0,        0,        1e-2,     8e-3},
    /* log-softmax of f32 logits: absolute error ~ ulp(log-sum-exp); softmax entries keep ~1e-6 relative */
    {"cross_entropy", QA_F32,  1e-6,     1e-5,     1e-7,     1e-5},
    {"cross_entropy", QA_BF16, 1e-5,     1e-5,     1e-6,     8e-3},
    /* composite: tests/unit/test_tape.c, a two-layer network checked against a double chain */
    {"two_layer_net", QA_F32,  1e-5,     1e-5,     1e-6,     1e-5},
    {NULL, QA_F32, 0, 0, 0, 0},
};

const qa_gc_tolerance *qa_gc_tolerance_for(const char *op, qa_dtype dt)
{
    for (const qa_gc_tolerance *r = tolerances; r->op; r++)
        if (!strcmp(r->op, op) && r->dtype == dt) return r;
    return NULL;
}

double qa_gc_uniform(uint64_t *state)
{
    /* splitmix64 */
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static double round_to(double v, qa_dtype dt)
{
    if (dt == QA_BF16) return qa_f32_from_bf16(qa_bf16_from_f32((float)v));
    return (double)(float)v;
}

static int64_t numel(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    return n;
}

/* n doubles, zeroed; n <= 0 gives one element so that callers never see NULL for empty shapes */
static double *dalloc(int64_t n)
{
    size_t k = n > 0 ? (size_t)n : 1;
    return calloc(k, sizeof(double));
}

static double loss_of(const qa_gc_spec *s, double *const *in, double *out, const double *w, int64_t n_out)
{
    s->ref_fwd(s->p, in, out);
    double L = 0;
    for (int64_t i = 0; i < n_out; i++) L += out[i] * w[i];
    return L;
}

/* Compares got with want element-wise: |got - want| <= atol + rtol * scale_i, where scale_i is
 * |want_i|, or for gradients |g0_i| + |dref_i| (the magnitudes of the two terms the engine added:
 * the rounding error of a sum follows its operands, not its possibly cancelling result).
 * Reports the worst element. */
static void compare(qa_t *t, const char *what, const char *op, qa_dtype dt, const double *got, const double *want,
                    const double *scale, int64_t n, double atol, double rtol)
{
    int64_t worst = -1;
    double worst_excess = 0, max_err = 0;
    for (int64_t i = 0; i < n; i++) {
        double err = fabs(got[i] - want[i]);
        if (!(err == err)) err = INFINITY;
        if (err > max_err) max_err = err;
        double excess = err - (atol + rtol * (scale ? scale[i] : fabs(want[i])));
        if (excess > worst_excess || (worst < 0 && excess > 0)) {
            worst_excess = excess;
            worst = i;
        }
    }
    t->checks++;
    if (worst >= 0)
        qa_test_fail(t, __FILE__, __LINE__, "%s %s %s: element %lld got %.9g want %.9g (atol %g rtol %g)", op,
                     qa_dtype_name(dt), what, (long long)worst, got[worst], want[worst], atol, rtol);
    else if (getenv("QAUDIO_GC_VERBOSE"))
        fprintf(stderr, "  %s %s %s: max |err| %.3g over %lld values\n", op, qa_dtype_name(dt), what, max_err,
                (long long)n);
}

void qa_gradcheck(qa_t *t, qa_ctx *ctx, const qa_gc_spec *s, qa_dtype dt)
{
    const qa_gc_tolerance *tol = qa_gc_tolerance_for(s->op, dt);
    t->checks++;
    if (!tol) {
        qa_test_fail(t, __FILE__, __LINE__, "no tolerance row for op %s dtype %s in tests/support/gradcheck.c", s->op,
                     qa_dtype_name(dt));
        return;
    }
    uint64_t rng = s->seed ? s->seed : 12345;
    int64_t n_in[4] = {0}, n_out = numel(s->out_ndim, s->out_shape);
    double *x[4] = {0}, *dref[4] = {0}, *g0[4] = {0};
    double *out = dalloc(n_out), *out2 = dalloc(n_out), *w = dalloc(n_out), *got = NULL;
    int64_t max_n = n_out;
    for (int i = 0; i < s->n_in; i++) {
        const qa_gc_input *in = &s->in[i];
        n_in[i] = numel(in->ndim, in->shape);
        if (n_in[i] > max_n) max_n = n_in[i];
        x[i] = dalloc(n_in[i]);
        double lo = in->lo, hi = in->hi;
        if (lo == 0 && hi == 0) lo = -1, hi = 1;
        for (int64_t j = 0; j < n_in[i]; j++) {
            if (in->kind == QA_GC_IDS)
                x[i][j] = (double)(in->id_lo + (int64_t)(qa_gc_uniform(&rng) * (double)(in->id_hi - in->id_lo)));
            else
                x[i][j] = round_to(lo + (hi - lo) * qa_gc_uniform(&rng), dt);
        }
        if (in->kind == QA_GC_FLOAT) {
            dref[i] = dalloc(n_in[i]);
            g0[i] = dalloc(n_in[i]);
            for (int64_t j = 0; j < n_in[i]; j++) g0[i][j] = round_to(qa_gc_uniform(&rng) - 0.5, dt);
        }
    }
    got = dalloc(max_n);
    for (int64_t j = 0; j < n_out; j++) w[j] = round_to(2 * qa_gc_uniform(&rng) - 1, dt);

    /* 1. reference backward vs central finite differences, in double */
    s->ref_bwd(s->p, x, w, dref);
    double eps = s->fd_eps ? s->fd_eps : 1e-6;
    for (int i = 0; i < s->n_in; i++) {
        if (!dref[i]) continue;
        int64_t bad = -1;
        double fd_bad = 0;
        for (int64_t j = 0; j < n_in[i]; j++) {
            double keep = x[i][j];
            x[i][j] = keep + eps;
            double lp = loss_of(s, x, out2, w, n_out);
            x[i][j] = keep - eps;
            double lm = loss_of(s, x, out2, w, n_out);
            x[i][j] = keep;
            double fd = (lp - lm) / (2 * eps);
            if (!(fabs(fd - dref[i][j]) <= QA_GC_FD_TOL * (1 + fabs(dref[i][j])))) {
                bad = j;
                fd_bad = fd;
                break;
            }
        }
        t->checks++;
        if (bad >= 0)
            qa_test_fail(t, __FILE__, __LINE__, "%s reference backward vs finite differences: input %d element %lld: "
                         "reference %.12g, finite difference %.12g", s->op, i, (long long)bad, dref[i][bad], fd_bad);
    }
    s->ref_fwd(s->p, x, out);

    /* 2. engine forward and backward vs the reference */
    qa_ctx_step_begin(ctx);
    qa_tensor tin[4];
    qa_status st = QA_OK;
    for (int i = 0; i < s->n_in && !st; i++) {
        const qa_gc_input *in = &s->in[i];
        qa_dtype tdt = in->kind == QA_GC_IDS ? (in->id_dtype == QA_I64 ? QA_I64 : QA_I32) : dt;
        st = qa_tensor_alloc(&tin[i], &ctx->step, tdt, in->ndim, in->shape, in->kind == QA_GC_FLOAT);
        for (int64_t j = 0; !st && j < n_in[i]; j++) {
            qa_tensor_set(&tin[i], j, x[i][j], false);
            if (g0[i]) qa_tensor_set(&tin[i], j, g0[i][j], true);
        }
    }
    qa_tensor y;
    memset(&y, 0, sizeof y);
    if (!st) st = s->eng(ctx, s->p, &y, tin);
    t->checks++;
    if (st) {
        qa_test_fail(t, __FILE__, __LINE__, "%s %s engine forward: %s: %s", s->op, qa_dtype_name(dt), qa_status_name(st),
                     qa_error_message());
        goto done;
    }
    t->checks++;
    if (y.ndim != s->out_ndim || numel(y.ndim, y.shape) != n_out || memcmp(y.shape, s->out_shape, sizeof(int64_t) * (size_t)y.ndim)) {
        qa_test_fail(t, __FILE__, __LINE__, "%s: engine output has the wrong shape", s->op);
        goto done;
    }
    for (int64_t j = 0; j < n_out; j++) got[j] = qa_tensor_get(&y, j, false);
    compare(t, "forward", s->op, dt, got, out, NULL, n_out, tol->fwd_atol, tol->fwd_rtol);
    t->checks++;
    if (!y.grad) {
        qa_test_fail(t, __FILE__, __LINE__, "%s: output has no gradient although inputs require one", s->op);
        goto done;
    }
    for (int64_t j = 0; j < n_out; j++) qa_tensor_set(&y, j, w[j], true);
    st = qa_tape_replay(ctx);
    t->checks++;
    if (st) {
        qa_test_fail(t, __FILE__, __LINE__, "%s %s engine backward: %s: %s", s->op, qa_dtype_name(dt),
                     qa_status_name(st), qa_error_message());
        goto done;
    }
    for (int i = 0; i < s->n_in; i++) {
        if (!dref[i]) continue;
        for (int64_t j = 0; j < n_in[i]; j++) {
            got[j] = qa_tensor_get(&tin[i], j, true);
        }
        double *want = dalloc(n_in[i]), *scale = dalloc(n_in[i]);
        for (int64_t j = 0; j < n_in[i]; j++) {
            want[j] = g0[i][j] + dref[i][j];
            scale[j] = fabs(g0[i][j]) + fabs(dref[i][j]);
        }
        char what[64];
        snprintf(what, sizeof what, "backward d(input %d)", i);
        compare(t, what, s->op, dt, got, want, scale, n_in[i], tol->bwd_atol, tol->bwd_rtol);
        free(want);
        free(scale);
    }
done:
    qa_ctx_step_begin(ctx);
    for (int i = 0; i < 4; i++) {
        free(x[i]);
        free(dref[i]);
        free(g0[i]);
    }
    free(out);
    free(out2);
    free(w);
    free(got);
}
