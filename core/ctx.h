/* core/ctx: the engine context, passed first to every op. Owns the oneDNN CPU engine and stream,
 * the primitive cache, the user scratchpad, the step arena, the tape, and the counters tests read.
 * There is no global mutable state: two contexts are fully independent.
 *
 *   qa_ctx *ctx; qa_ctx_config cfg = {.step_arena_bytes = 512 << 20};
 *   if ((s = qa_ctx_new(&ctx, &cfg))) ...;
 *   for (step...) {
 *       qa_ctx_step_begin(ctx);              // reset step arena + clear tape
 *       qa_linear(ctx, &h, &x, &w, &b);      // ops record onto ctx->tape while grad is enabled
 *       ...; qa_tape_backward(ctx, &loss);   // accumulates into every requires_grad tensor
 *   }
 *   printf("step arena high-water: %zu\n", ctx->step.high);
 *   qa_ctx_free(ctx);
 *
 * oneDNN runs its primitives on OpenMP threads (OMP_NUM_THREADS); the context itself must be
 * used from one thread at a time. */
#ifndef QA_CORE_CTX_H
#define QA_CORE_CTX_H

#include <dnnl.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/prim_cache.h"
#include "core/status.h"
#include "core/tape.h"

typedef struct {
    size_t step_arena_bytes; /* 0 = 64 MiB */
    size_t tape_entries;     /* initial tape capacity; 0 = 256 (grows, counted) */
} qa_ctx_config;

typedef struct qa_ctx {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    qa_counters counters;
    qa_arena step;        /* activations, saved-for-backward, op temporaries; reset each step */
    qa_prim_cache cache;
    void *scratch;        /* user scratchpad shared by all primitives (one stream, in order) */
    size_t scratch_bytes;
    qa_tape tape;
    int nograd_depth;     /* > 0: ops record nothing (qa_nograd_begin/end) */
} qa_ctx;

qa_status qa_ctx_new(qa_ctx **out, const qa_ctx_config *cfg);
void qa_ctx_free(qa_ctx *ctx);
/* Starts a step: resets the step arena and clears the tape. */
void qa_ctx_step_begin(qa_ctx *ctx);
/* Makes sure the scratchpad holds `bytes` (grows, counted). */
qa_status qa_ctx_reserve_scratch(qa_ctx *ctx, size_t bytes);

#endif
