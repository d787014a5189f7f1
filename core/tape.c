/* core/tape: see tape.h. */
#include "core/tape.h"

#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/ops/ops.h"

void qa_tape_deinit(qa_tape *t)
{
    if (!t) return;
    free(t->entries);
    t->entries = NULL;
    t->n = t->cap = 0;
}

void qa_tape_clear(qa_tape *t)
{
    t->n = 0;
    t->replayed = false;
}

bool qa_grad_enabled(const qa_ctx *ctx) { return ctx->nograd_depth == 0; }
void qa_nograd_begin(qa_ctx *ctx) { ctx->nograd_depth++; }
void qa_nograd_end(qa_ctx *ctx)
{
    if (ctx->nograd_depth > 0) ctx->nograd_depth--;
}

bool qa_needs_grad(const qa_ctx *ctx, const qa_tensor *a, const qa_tensor *b, const qa_tensor *c)
{
    if (!qa_grad_enabled(ctx)) return false;
    return (a && a->requires_grad && a->grad) || (b && b->requires_grad && b->grad) ||
           (c && c->requires_grad && c->grad);
}

qa_status qa_tape_record(qa_ctx *ctx, qa_tape_entry **e, int op, const qa_tensor *out)
{
    *e = NULL;
    if (!qa_grad_enabled(ctx) || !out->requires_grad) return QA_OK;
    qa_tape *t = &ctx->tape;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        qa_tape_entry *p = realloc(t->entries, cap * sizeof *p);
        if (!p) return qa_error(QA_ERR_NOMEM, "cannot grow the tape to %zu entries", cap);
        t->entries = p;
        t->cap = cap;
        if (t->counters) t->counters->allocations++;
    }
    qa_tape_entry *x = &t->entries[t->n++];
    memset(x, 0, sizeof *x);
    x->op = op;
    x->out = *out;
    *e = x;
    return QA_OK;
}

qa_status qa_tape_record_unary(qa_ctx *ctx, qa_tape_entry **e, int op, const qa_tensor *out, const qa_tensor *x)
{
    qa_tape_entry *entry;
    qa_status s = qa_tape_record(ctx, &entry, op, out);
    if (!s && entry) {
        entry->nin = 1;
        entry->in[0] = *x;
    }
    if (e) *e = entry;
    return s;
}

qa_status qa_tape_replay(qa_ctx *ctx)
{
    qa_tape *t = &ctx->tape;
    if (t->replayed)
        return qa_error(QA_ERR_STATE, "backward already ran on this tape: run the forward again after "
                                      "qa_ctx_step_begin (activation gradients would be counted twice)");
    t->replayed = true;
    for (size_t i = t->n; i-- > 0;) {
        const qa_tape_entry *e = &t->entries[i];
        if ((unsigned)e->op >= QA_OP_COUNT)
            return qa_error(QA_ERR_INTERNAL, "tape entry %zu has unknown op %d", i, e->op);
        qa_status s = qa_op_table[e->op].backward(ctx, e);
        if (s) return qa_error_wrap(s, "backward of %s (tape entry %zu)", qa_op_table[e->op].name, i);
    }
    return QA_OK;
}

qa_status qa_tape_backward(qa_ctx *ctx, const qa_tensor *loss)
{
    if (ctx->tape.replayed)
        return qa_error(QA_ERR_STATE, "backward already ran on this tape: run the forward again after "
                                      "qa_ctx_step_begin (activation gradients would be counted twice)");
    if (!loss || !loss->grad || qa_tensor_numel(loss) != 1)
        return qa_error(QA_ERR_STATE, "backward: the loss must be a one-element tensor that requires a gradient "
                                      "(was it computed inside a no-grad scope, or from inputs without gradients?)");
    qa_tensor_set(loss, 0, qa_tensor_get(loss, 0, true) + 1.0, true);
    return qa_tape_replay(ctx);
}
