/* The double-precision references of the conv1d, norm, softmax, attention, rope and pooling
 * families (core/ops/ref_nn.h): each analytic backward against central finite differences of
 * loss = sum(y * g) for a random g, on small odd shapes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ops/ref_nn.h"
#include "tests/support/test.h"

/* Tiny deterministic generator (xorshift) so the test needs no global state. */
static double rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (double)(*s >> 11) / (double)(1ull << 53) * 2.0 - 1.0;
}
static double *rand_arr(int64_t n, uint64_t *s, double lo_abs)
{
    double *a = malloc(sizeof(double) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) {
        a[i] = rnd(s);
        if (lo_abs > 0 && fabs(a[i]) < lo_abs) a[i] = a[i] < 0 ? -lo_abs : lo_abs;
    }
    return a;
}
static double *zeros(int64_t n) { return calloc((size_t)(n ? n : 1), sizeof(double)); }

/* The op under test: computes y from the inputs in in[]. */
typedef struct fd_op fd_op;
struct fd_op {
    void (*fwd)(const fd_op *op, double *y);
    double *in[4];
    int64_t in_n[4];
    int n_in;
    int64_t y_n;
    const void *p; /* op parameters */
};

static double loss(const fd_op *op, double *y, const double *g)
{
    op->fwd(op, y);
    double l = 0;
    for (int64_t i = 0; i < op->y_n; i++) l += y[i] * g[i];
    return l;
}

/* Compares grad[k] (analytic, for input k) with central differences; returns max rel error. */
static double fd_check(const fd_op *op, const double *g, double *const grad[4])
{
    double *y = zeros(op->y_n), worst = 0;
    const double h = 1e-6;
    for (int k = 0; k < op->n_in; k++) {
        if (!grad[k]) continue;
        for (int64_t i = 0; i < op->in_n[k]; i++) {
            double keep = op->in[k][i];
            op->in[k][i] = keep + h;
            double lp = loss(op, y, g);
            op->in[k][i] = keep - h;
            double lm = loss(op, y, g);
            op->in[k][i] = keep;
            double num = (lp - lm) / (2 * h), err = fabs(num - grad[k][i]) / (1.0 + fabs(num));
            if (err > worst) worst = err;
        }
    }
    free(y);
    return worst;
}

#define FD_TOL 1e-7

/* ---- conv1d ---- */
typedef struct { int64_t B, Cin, Cout, T, K, s, p; } conv_p;
static void conv_fwd(const fd_op *op, double *y)
{
    const conv_p *c = op->p;
    qa_ref_conv1d_fwd(y, op->in[0], op->in[1], op->in[2], c->B, c->Cin, c->Cout, c->T, c->K, c->s, c->p);
}
static void test_conv1d(qa_t *t)
{
    uint64_t s = 11;
    conv_p cases[] = {{2, 3, 5, 7, 3, 1, 1}, {2, 3, 4, 9, 3, 2, 1}, {1, 2, 3, 8, 3, 2, 1}};
    for (int c = 0; c < 3; c++) {
        conv_p *cp = &cases[c];
        int64_t To = qa_ref_conv1d_out_len(cp->T, cp->K, cp->s, cp->p);
        CHECK(t, To == (cp->s == 1 ? cp->T : (cp->T - 1) / 2 + 1));
        fd_op op = {conv_fwd, {0}, {cp->B * cp->Cin * cp->T, cp->Cout * cp->Cin * cp->K, cp->Cout}, 3,
                    cp->B * cp->Cout * To, cp};
        for (int k = 0; k < 3; k++) op.in[k] = rand_arr(op.in_n[k], &s, 0);
        double *g = rand_arr(op.y_n, &s, 0), *gr[4] = {zeros(op.in_n[0]), zeros(op.in_n[1]), zeros(op.in_n[2]), 0};
        qa_ref_conv1d_bwd(gr[0], gr[1], gr[2], g, op.in[0], op.in[1], cp->B, cp->Cin, cp->Cout, cp->T,
                          cp->K, cp->s, cp->p);
        double e = fd_check(&op, g, gr);
        CHECK_MSG(t, e < FD_TOL, "conv1d case %d: fd rel err %g", c, e);
        for (int k = 0; k < 3; k++) free(op.in[k]), free(gr[k]);
        free(g);
    }
}

/* ---- layer norm, rms norm ---- */
typedef struct { int64_t N, D; double eps; } norm_p;
static void ln_fwd(const fd_op *op, double *y)
{
    const norm_p *n = op->p;
    qa_ref_layer_norm_fwd(y, op->in[0], op->in[1], op->in[2], n->N, n->D, n->eps);
}
static void rms_fwd(const fd_op *op, double *y)
{
    const norm_p *n = op->p;
    qa_ref_rms_norm_fwd(y, op->in[0], op->in[1], n->N, n->D, n->eps);
}
static void test_norms(qa_t *t)
{
    uint64_t s = 12;
    norm_p np = {5, 13, 1e-5};
    fd_op op = {ln_fwd, {0}, {np.N * np.D, np.D, np.D}, 3, np.N * np.D, &np};
    for (int k = 0; k < 3; k++) op.in[k] = rand_arr(op.in_n[k], &s, 0);
    double *g = rand_arr(op.y_n, &s, 0), *gr[4] = {zeros(op.in_n[0]), zeros(op.in_n[1]), zeros(op.in_n[2]), 0};
    qa_ref_layer_norm_bwd(gr[0], gr[1], gr[2], g, op.in[0], op.in[1], np.N, np.D, np.eps);
    double e = fd_check(&op, g, gr);
    CHECK_MSG(t, e < FD_TOL, "layer norm: fd rel err %g", e);
    /* the normalised output has zero mean per row when w = 1, b = 0 */
    for (int64_t i = 0; i < np.D; i++) op.in[1][i] = 1, op.in[2][i] = 0;
    double *y = zeros(op.y_n), m = 0;
    ln_fwd(&op, y);
    for (int64_t i = 0; i < np.D; i++) m += y[i];
    CHECK_NEAR(t, m, 0.0, 1e-12);
    free(y);
    for (int k = 0; k < 3; k++) free(op.in[k]), free(gr[k]);

    norm_p rp = {4, 11, 1e-6};
    fd_op ro = {rms_fwd, {0}, {rp.N * rp.D, rp.D}, 2, rp.N * rp.D, &rp};
    for (int k = 0; k < 2; k++) ro.in[k] = rand_arr(ro.in_n[k], &s, 0);
    double *gr2[4] = {zeros(ro.in_n[0]), zeros(ro.in_n[1]), 0, 0};
    qa_ref_rms_norm_bwd(gr2[0], gr2[1], g, ro.in[0], ro.in[1], rp.N, rp.D, rp.eps);
    e = fd_check(&ro, g, gr2);
    CHECK_MSG(t, e < FD_TOL, "rms norm: fd rel err %g", e);
    for (int k = 0; k < 2; k++) free(ro.in[k]), free(gr2[k]);
    free(g);
}

/* ---- softmax ---- */
typedef struct { int64_t N, D; } sm_p;
static void sm_fwd(const fd_op *op, double *y)
{
    const sm_p *p = op->p;
    qa_ref_softmax_fwd(y, op->in[0], p->N, p->D);
}
static void test_softmax(qa_t *t)
{
    uint64_t s = 13;
    sm_p p = {3, 17};
    fd_op op = {sm_fwd, {0}, {p.N * p.D}, 1, p.N * p.D, &p};
    op.in[0] = rand_arr(op.in_n[0], &s, 0);
    for (int64_t i = 0; i < op.in_n[0]; i++) op.in[0][i] *= 4;
    double *g = rand_arr(op.y_n, &s, 0), *gr[4] = {zeros(op.in_n[0]), 0, 0, 0}, *y = zeros(op.y_n);
    sm_fwd(&op, y);
    double sum = 0;
    for (int64_t i = 0; i < p.D; i++) sum += y[i];
    CHECK_NEAR(t, sum, 1.0, 1e-12);
    qa_ref_softmax_bwd(gr[0], g, y, p.N, p.D);
    double e = fd_check(&op, g, gr);
    CHECK_MSG(t, e < FD_TOL, "softmax: fd rel err %g", e);
    free(op.in[0]), free(gr[0]), free(g), free(y);
}

/* ---- attention ---- */
typedef struct { int64_t B, H, Tq, Tk, Dh; double scale; int causal; const int32_t *kvl, *kvs; } at_p;
static void at_fwd(const fd_op *op, double *y)
{
    const at_p *a = op->p;
    qa_ref_attention_fwd(y, op->in[0], op->in[1], op->in[2], a->B, a->H, a->Tq, a->Tk, a->Dh, a->scale,
                         a->causal, a->kvl, a->kvs);
}
static void test_attention(qa_t *t)
{
    uint64_t s = 14;
    static const int32_t kvl[2] = {5, 3}, kvs[2] = {0, 2};
    at_p cases[] = {
        {2, 3, 7, 7, 5, 0.4472135955, 0, NULL, NULL}, /* plain */
        {2, 2, 7, 7, 4, 0.5, 1, NULL, NULL},    /* causal */
        {2, 2, 6, 6, 3, 0.7, 0, kvl, NULL},     /* key padding (Whisper) */
        {2, 1, 3, 6, 4, 0.5, 1, kvl, NULL},     /* causal with Tq < Tk, plus padding */
        {2, 2, 6, 6, 3, 0.6, 1, NULL, kvs},     /* left padding, causal: empty query rows */
    };
    for (int c = 0; c < 5; c++) {
        at_p *a = &cases[c];
        fd_op op = {at_fwd, {0}, {a->B * a->Tq * a->H * a->Dh, a->B * a->Tk * a->H * a->Dh,
                                  a->B * a->Tk * a->H * a->Dh}, 3, a->B * a->Tq * a->H * a->Dh, a};
        for (int k = 0; k < 3; k++) op.in[k] = rand_arr(op.in_n[k], &s, 0);
        double *g = rand_arr(op.y_n, &s, 0), *gr[4] = {zeros(op.in_n[0]), zeros(op.in_n[1]), zeros(op.in_n[2]), 0};
        qa_ref_attention_bwd(gr[0], gr[1], gr[2], g, op.in[0], op.in[1], op.in[2], a->B, a->H, a->Tq,
                             a->Tk, a->Dh, a->scale, a->causal, a->kvl, a->kvs);
        double e = fd_check(&op, g, gr);
        CHECK_MSG(t, e < FD_TOL, "attention case %d: fd rel err %g", c, e);
        if (a->kvl) { /* masked keys get no gradient and do not move the output */
            int64_t j = a->kvl[1], row = ((1 * a->Tk + j) * a->H) * a->Dh;
            CHECK(t, gr[1][row] == 0 && gr[2][row] == 0);
        }
        for (int k = 0; k < 3; k++) free(op.in[k]), free(gr[k]);
        free(g);
    }
}

/* ---- rope ---- */
typedef struct { int64_t B, T, H, Dh; double base; int64_t pos0; } rope_p;
static void rope_fwd(const fd_op *op, double *y)
{
    const rope_p *r = op->p;
    qa_ref_rope_fwd(y, op->in[0], r->B, r->T, r->H, r->Dh, r->base, r->pos0);
}
static void test_rope(qa_t *t)
{
    uint64_t s = 15;
    rope_p rp[] = {{2, 5, 3, 8, 10000.0, 0}, {1, 4, 2, 6, 10000.0, 7}};
    for (int c = 0; c < 2; c++) {
        rope_p *r = &rp[c];
        fd_op op = {rope_fwd, {0}, {r->B * r->T * r->H * r->Dh}, 1, r->B * r->T * r->H * r->Dh, r};
        op.in[0] = rand_arr(op.in_n[0], &s, 0);
        double *g = rand_arr(op.y_n, &s, 0), *gr[4] = {zeros(op.in_n[0]), 0, 0, 0}, *y = zeros(op.y_n);
        qa_ref_rope_bwd(gr[0], g, r->B, r->T, r->H, r->Dh, r->base, r->pos0);
        double e = fd_check(&op, g, gr);
        CHECK_MSG(t, e < FD_TOL, "rope case %d: fd rel err %g", c, e);
        /* position 0 is the identity; a rotation keeps each pair's norm */
        rope_fwd(&op, y);
        if (r->pos0 == 0) CHECK(t, y[0] == op.in[0][0] && y[r->Dh - 1] == op.in[0][r->Dh - 1]);
        int64_t o = (1 * r->H) * r->Dh, hf = r->Dh / 2;
        CHECK_NEAR(t, y[o] * y[o] + y[o + hf] * y[o + hf],
                   op.in[0][o] * op.in[0][o] + op.in[0][o + hf] * op.in[0][o + hf], 1e-12);
        free(op.in[0]), free(gr[0]), free(g), free(y);
    }
}

/* ---- average pooling ---- */
typedef struct { int64_t B, T, D; } pool_p;
static void pool_fwd(const fd_op *op, double *y)
{
    const pool_p *p = op->p;
    qa_ref_avgpool_time_fwd(y, op->in[0], p->B, p->T, p->D);
}
static void test_pool(qa_t *t)
{
    uint64_t s = 16;
    pool_p pp[] = {{2, 7, 5}, {1, 8, 3}};
    for (int c = 0; c < 2; c++) {
        pool_p *p = &pp[c];
        fd_op op = {pool_fwd, {0}, {p->B * p->T * p->D}, 1, p->B * (p->T / 2) * p->D, p};
        op.in[0] = rand_arr(op.in_n[0], &s, 0);
        double *g = rand_arr(op.y_n, &s, 0), *gr[4] = {zeros(op.in_n[0]), 0, 0, 0};
        qa_ref_avgpool_time_bwd(gr[0], g, p->B, p->T, p->D);
        double e = fd_check(&op, g, gr);
        CHECK_MSG(t, e < FD_TOL, "avgpool case %d: fd rel err %g", c, e);
        if (p->T % 2) CHECK(t, gr[0][(p->T - 1) * p->D] == 0); /* dropped odd frame */
        free(op.in[0]), free(gr[0]), free(g);
    }
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {
        {"ref_conv1d_fd", test_conv1d},     {"ref_norms_fd", test_norms}, {"ref_softmax_fd", test_softmax},
        {"ref_attention_fd", test_attention}, {"ref_rope_fd", test_rope},   {"ref_avgpool_fd", test_pool},
        {0}};
    return qa_test_main(argc, argv, cases);
}
