/* core/ctx: see ctx.h. */
#include "core/ctx.h"

#include <stdlib.h>
#include <string.h>

qa_status qa_ctx_new(qa_ctx **out, const qa_ctx_config *cfg)
{
    *out = NULL;
    qa_ctx *c = calloc(1, sizeof *c);
    if (!c) return qa_error(QA_ERR_NOMEM, "cannot allocate the engine context");
    c->counters.allocations = 1;
    qa_status s = qa_dnnl_check(dnnl_engine_create(&c->engine, dnnl_cpu, 0), "creating the oneDNN CPU engine");
    if (!s) s = qa_dnnl_check(dnnl_stream_create(&c->stream, c->engine, dnnl_stream_default_flags),
                              "creating the oneDNN stream");
    size_t step = cfg && cfg->step_arena_bytes ? cfg->step_arena_bytes : (size_t)64 << 20;
    if (!s) s = qa_arena_init(&c->step, "step", step, &c->counters);
    c->tape.counters = &c->counters;
    size_t cap = cfg && cfg->tape_entries ? cfg->tape_entries : 256;
    if (!s) {
        c->tape.entries = malloc(cap * sizeof *c->tape.entries);
        if (!c->tape.entries) s = qa_error(QA_ERR_NOMEM, "cannot allocate a tape of %zu entries", cap);
        c->tape.cap = cap;
        c->counters.allocations++;
    }
    if (s) {
        qa_ctx_free(c);
        return s;
    }
    *out = c;
    return QA_OK;
}

void qa_ctx_free(qa_ctx *c)
{
    if (!c) return;
    qa_prim_cache_deinit(&c->cache);
    qa_tape_deinit(&c->tape);
    qa_arena_deinit(&c->step);
    free(c->scratch);
    if (c->stream) dnnl_stream_destroy(c->stream);
    if (c->engine) dnnl_engine_destroy(c->engine);
    free(c);
}

void qa_ctx_step_begin(qa_ctx *c)
{
    qa_arena_reset(&c->step);
    qa_tape_clear(&c->tape);
}

qa_status qa_ctx_reserve_scratch(qa_ctx *c, size_t bytes)
{
    if (bytes <= c->scratch_bytes) return QA_OK;
    size_t n = (bytes + 4095) / 4096 * 4096;
    void *p = aligned_alloc(64, n);
    if (!p) return qa_error(QA_ERR_NOMEM, "cannot allocate a %zu-byte oneDNN scratchpad", n);
    free(c->scratch);
    c->scratch = p;
    c->scratch_bytes = n;
    c->counters.allocations++;
    return QA_OK;
}
