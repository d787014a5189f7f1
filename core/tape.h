/* core/tape: reverse-mode autograd. Owns the list of recorded op applications of one step.
 *
 * While a context records (grad enabled, i.e. outside qa_nograd_begin/end) and at least one input of
 * an op requires a gradient, the op pushes one entry: its op id (which names its backward in the
 * registry generated from core/ops/ops.def), copies of its input and output tensors (small structs
 * pointing at data and gradient memory), scalar arguments, and pointers to state it saved in the
 * step arena. qa_tape_backward seeds d(loss) += 1 and replays the entries in reverse; every backward
 * ADDS (+=) into the gradients of inputs that require them, so fan-out accumulates and so do
 * several forward + backward passes (gradient accumulation). Nothing is zeroed unless asked
 * (qa_tensor_zero_grad, or fresh op outputs, whose gradients start at zero).
 *
 *   qa_nograd_begin(ctx);  ...frozen or eval ops: no entries, outputs need no gradient...  qa_nograd_end(ctx);
 *
 * Inside an op (see core/ops/matmul.c):
 *   qa_tape_entry *e; if ((s = qa_tape_record(ctx, &e, QA_OP_matmul, y))) return s;
 *   if (e) { e->in[0] = *a; e->in[1] = *b; e->nin = 2; e->iarg[0] = flags; }
 * qa_tape_record leaves e NULL when nothing needs recording (no-grad scope, or the output does not
 * require a gradient).
 *
 * Lifetimes: an entry keeps pointers, not copies: every recorded tensor's data and gradient (and
 * ids, labels) must stay valid until the backward ran, i.e. live in the step arena, the model
 * arena or caller memory that outlives the step. A tape is replayed once: activation gradients
 * would otherwise be counted twice; a second replay without a new forward (qa_ctx_step_begin)
 * is a QA_ERR_STATE. */
#ifndef QA_CORE_TAPE_H
#define QA_CORE_TAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/status.h"
#include "core/tensor.h"

struct qa_ctx;

#define QA_TAPE_MAX_IN 4

typedef struct qa_tape_entry {
    int op;                        /* QA_OP_* */
    int nin;
    qa_tensor in[QA_TAPE_MAX_IN];  /* inputs as they were at forward time */
    qa_tensor out;                 /* output (its grad holds dL/dout at replay) */
    int64_t iarg[8];               /* op-specific integer arguments */
    double farg[4];                /* op-specific scalar arguments */
    void *saved[4];                /* op-specific state in the step arena */
    qa_tensor aux[2];              /* op-specific saved tensors (e.g. log-softmax) */
} qa_tape_entry;

/* Backward of one entry: accumulates into e->in[i].grad for inputs with requires_grad. */
typedef qa_status (*qa_backward_fn)(struct qa_ctx *ctx, const qa_tape_entry *e);

typedef struct {
    qa_tape_entry *entries;
    size_t n, cap;
    qa_counters *counters;
    bool replayed; /* set by a replay; a second replay of the same tape is refused */
} qa_tape;

void qa_tape_deinit(qa_tape *t);
void qa_tape_clear(qa_tape *t);

/* True when ops record (no no-grad scope active). */
bool qa_grad_enabled(const struct qa_ctx *ctx);
void qa_nograd_begin(struct qa_ctx *ctx);
void qa_nograd_end(struct qa_ctx *ctx);
/* True when an op with these inputs (NULLs ignored) must produce a requires_grad output. */
bool qa_needs_grad(const struct qa_ctx *ctx, const qa_tensor *a, const qa_tensor *b, const qa_tensor *c);

/* Pushes an entry for `out` when out->requires_grad and recording; *e = NULL otherwise. */
qa_status qa_tape_record(struct qa_ctx *ctx, qa_tape_entry **e, int op, const qa_tensor *out);
/* The same for a one-input op: the entry (if any) gets in = {*x}, nin = 1; e may be NULL when the
 * op saves nothing else, otherwise set its scalar arguments when *e is not NULL. */
qa_status qa_tape_record_unary(struct qa_ctx *ctx, qa_tape_entry **e, int op, const qa_tensor *out,
                               const qa_tensor *x);

/* d(loss) += 1 (loss must be one element with a gradient), then replays the whole tape in reverse. */
qa_status qa_tape_backward(struct qa_ctx *ctx, const qa_tensor *loss);
/* Replays the whole tape in reverse; the caller has already put dL/d(output) in output grads. */
qa_status qa_tape_replay(struct qa_ctx *ctx);

#endif
