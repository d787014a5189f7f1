/* core/ops/ops: the op registry generated from core/ops/ops.def (the one list of ops), and the
 * declarations of every backward function it names. Public forward entry points live in one header
 * per family (core/ops/matmul.h, ...); include core/ops/all.h for all of them.
 *
 *   const qa_op_info *info = &qa_op_table[QA_OP_matmul];   // name, family, backward
 *
 * To add an op: append QA_OP(name, family, qa_name_backward) to ops.def, write qa_name (forward,
 * recording a tape entry with op QA_OP_name) and qa_name_backward in core/ops/<family>.c, declare
 * the forward in core/ops/<family>.h, add a gradient check in tests/unit/test_ops_<family>.c and
 * a tolerance row in tests/support/gradcheck.c. See docs/engine.md. */
#ifndef QA_CORE_OPS_OPS_H
#define QA_CORE_OPS_OPS_H

#include "core/status.h"
#include "core/tape.h"

struct qa_ctx;

typedef enum {
#define QA_OP(name, family, backward) QA_OP_##name,
#include "core/ops/ops.def"
#undef QA_OP
    QA_OP_COUNT
} qa_op_id;

/* Sentinels for ops.def (never called during replay: their ops record no tape entry). */
qa_status qa_op_no_gradient(struct qa_ctx *ctx, const qa_tape_entry *e);
qa_status qa_op_grad_aliases(struct qa_ctx *ctx, const qa_tape_entry *e);
#define QA_NO_GRADIENT qa_op_no_gradient
#define QA_GRAD_ALIASES qa_op_grad_aliases

#define QA_OP(name, family, backward) qa_status backward(struct qa_ctx *ctx, const qa_tape_entry *e);
#include "core/ops/ops.def"
#undef QA_OP

typedef struct {
    const char *name;
    const char *family;
    qa_backward_fn backward; /* a real backward, QA_NO_GRADIENT or QA_GRAD_ALIASES; never NULL */
} qa_op_info;

extern const qa_op_info qa_op_table[QA_OP_COUNT];

#endif
