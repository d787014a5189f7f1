/* core/arena: bump allocators for tensors. Owns fixed-capacity, 64-byte aligned memory blocks.
 *
 * Two uses (both are plain qa_arena values):
 *   - the model arena: parameters, gradients, optimizer state; filled once, never reset;
 *   - the step arena: activations and what backward saves; qa_arena_reset() at the start of each
 *     step. Its high-water mark (`high`) is measured so a recipe can size it from a real run.
 *
 *   qa_arena a; qa_arena_init(&a, "step", 256 << 20, &ctx->counters);   // one malloc, counted
 *   void *p; if ((s = qa_arena_alloc(&a, &p, bytes))) return s;          // never crashes
 *   qa_arena_reset(&a);                                                  // keeps `high`
 *   qa_arena_deinit(&a);
 *
 * An arena never grows behind the caller's back: when a request does not fit, qa_arena_alloc
 * returns QA_ERR_NOMEM with a message naming the arena, the capacity and the size that would
 * have been needed, and `high` still records that need so the caller can re-size. Allocation
 * from an arena is not counted as a heap allocation; creating the arena's block is. */
#ifndef QA_CORE_ARENA_H
#define QA_CORE_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#define QA_ARENA_ALIGN 64

/* Counters a test reads to assert a steady state (no allocation, no new primitive after warm-up).
 * Owned by qa_ctx; arenas created with a counters pointer bump `allocations`. */
typedef struct {
    uint64_t allocations;       /* heap allocations made by the engine (arena blocks, caches, tape) */
    uint64_t primitives_created; /* oneDNN primitives created (cache misses) */
    uint64_t primitive_hits;     /* primitive cache hits */
} qa_counters;

typedef struct {
    const char *name;   /* for messages: "step", "model" */
    uint8_t *base;      /* capacity bytes, QA_ARENA_ALIGN aligned */
    size_t capacity;
    size_t used;        /* bytes handed out since the last reset */
    size_t high;        /* largest `used` ever requested (including failed requests) */
    qa_counters *counters; /* may be NULL */
} qa_arena;

/* Allocates the block (capacity bytes). counters may be NULL. */
qa_status qa_arena_init(qa_arena *a, const char *name, size_t capacity, qa_counters *counters);
void qa_arena_deinit(qa_arena *a);
/* Hands out `bytes` (rounded up to QA_ARENA_ALIGN) uninitialised bytes; QA_ERR_NOMEM if full. */
qa_status qa_arena_alloc(qa_arena *a, void **out, size_t bytes);
/* Same, zero-filled. */
qa_status qa_arena_calloc(qa_arena *a, void **out, size_t bytes);
/* Forgets every allocation (memory is reused); `high` is kept. */
void qa_arena_reset(qa_arena *a);
/* Position markers, to release temporaries in LIFO order (qa_arena_rewind(a, mark)). */
size_t qa_arena_mark(const qa_arena *a);
void qa_arena_rewind(qa_arena *a, size_t mark);

#endif
