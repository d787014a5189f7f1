/* tests/support/gradcheck: the gradient-check harness every op test uses (design.md section 9).
 *
 * For one op on given (odd) shapes it
 *   1. draws random inputs (rounded to the dtype under test, so reference and engine see the same
 *      values) and a random upstream gradient w = dL/dout, with L = sum(out * w);
 *   2. checks the plain-C double reference backward against central finite differences of the
 *      double reference forward (every element of every differentiable input);
 *   3. runs the engine forward (oneDNN) in the dtype under test and compares it with the reference
 *      forward, then replays the tape with out.grad = w and compares every input gradient with the
 *      reference backward. Input gradients start at a random value g0, and the check expects
 *      g0 + reference, which proves backward accumulates (+=) instead of overwriting; the tolerance
 *      scales with |g0| + |reference| (the operands of that sum).
 * Tolerances come from ONE table (gradcheck.c, qa_gc_tolerances): per op name and dtype.
 *
 *   static void ref_fwd(const void *p, double *const *in, double *out) {...}
 *   static void ref_bwd(const void *p, double *const *in, const double *dout, double **din) {...} // +=
 *   static qa_status eng(qa_ctx *ctx, const void *p, qa_tensor *out, qa_tensor *in) {...}
 *   qa_gc_spec s = {.op = "matmul", .n_in = 2, .in = {{.ndim = 2, .shape = {7, 9}}, {.ndim = 2, .shape = {9, 11}}},
 *                   .out_ndim = 2, .out_shape = {7, 11}, .ref_fwd = ref_fwd,
 *                   .ref_bwd = ref_bwd, .eng = eng, .p = &params};
 *   qa_gradcheck(t, ctx, &s, QA_F32);
 */
#ifndef QA_TESTS_GRADCHECK_H
#define QA_TESTS_GRADCHECK_H

#include <stdint.h>

#include "core/ctx.h"
#include "tests/support/test.h"

typedef struct {
    int ndim;
    int64_t shape[QA_MAX_DIMS];
    int kind;        /* QA_GC_FLOAT (default, differentiable), QA_GC_CONST (float, no gradient), QA_GC_IDS */
    qa_dtype id_dtype; /* QA_GC_IDS: QA_I64, anything else means QA_I32 */
    int64_t id_lo, id_hi; /* QA_GC_IDS: values drawn in [id_lo, id_hi) */
    double lo, hi;   /* float range (default [-1, 1]) */
} qa_gc_input;

enum { QA_GC_FLOAT = 0, QA_GC_CONST = 1, QA_GC_IDS = 2 };

typedef struct {
    const char *op;  /* tolerance table row */
    int n_in;
    qa_gc_input in[4];
    int out_ndim;    /* output shape (reference) */
    int64_t out_shape[QA_MAX_DIMS];
    const void *p;   /* op parameters for the three callbacks */
    void (*ref_fwd)(const void *p, double *const *in, double *out);
    /* ADDS d(sum(out*dout))/d(in[i]) into din[i]; din[i] NULL for inputs that are not QA_GC_FLOAT */
    void (*ref_bwd)(const void *p, double *const *in, const double *dout, double **din);
    /* engine forward: in[] are tensors of the dtype under test (ids keep their integer dtype) */
    qa_status (*eng)(qa_ctx *ctx, const void *p, qa_tensor *out, qa_tensor *in);
    uint64_t seed;
    double fd_eps;   /* finite-difference step (default 1e-6) */
} qa_gc_spec;

typedef struct {
    const char *op;
    qa_dtype dtype;
    double fwd_atol, fwd_rtol; /* engine forward vs reference */
    double bwd_atol, bwd_rtol; /* engine backward vs reference */
} qa_gc_tolerance;

/* Finite differences vs the reference backward: |fd - ref| <= QA_GC_FD_TOL * (1 + |ref|). */
#define QA_GC_FD_TOL 1e-6

const qa_gc_tolerance *qa_gc_tolerance_for(const char *op, qa_dtype dt);

/* Runs the three checks; failures are reported on t. dtype: QA_F32 or QA_BF16. */
void qa_gradcheck(qa_t *t, qa_ctx *ctx, const qa_gc_spec *s, qa_dtype dtype);

/* Deterministic uniform double in [0, 1) from a 64-bit state. */
double qa_gc_uniform(uint64_t *state);

#endif
