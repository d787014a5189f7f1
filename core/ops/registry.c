/* core/ops/registry: the op table generated from ops.def, and the two sentinel "backwards". */
#include "core/ops/ops.h"

#include "core/ctx.h"

const qa_op_info qa_op_table[QA_OP_COUNT] = {
#define QA_OP(name, family, backward) {#name, #family, backward},
#include "core/ops/ops.def"
#undef QA_OP
};

qa_status qa_op_no_gradient(struct qa_ctx *ctx, const qa_tape_entry *e)
{
    (void)ctx;
    return qa_error(QA_ERR_INTERNAL, "op %s has no gradient but was recorded on the tape",
                    (unsigned)e->op < QA_OP_COUNT ? qa_op_table[e->op].name : "?");
}

qa_status qa_op_grad_aliases(struct qa_ctx *ctx, const qa_tape_entry *e)
{
    (void)ctx;
    return qa_error(QA_ERR_INTERNAL, "view op %s was recorded on the tape (views alias gradients)",
                    (unsigned)e->op < QA_OP_COUNT ? qa_op_table[e->op].name : "?");
}
