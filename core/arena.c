/* core/arena: see arena.h. */
#include "core/arena.h"

#include <stdlib.h>
#include <string.h>

qa_status qa_arena_init(qa_arena *a, const char *name, size_t capacity, qa_counters *counters)
{
    memset(a, 0, sizeof *a);
    a->name = name ? name : "arena";
    a->counters = counters;
    capacity = (capacity + QA_ARENA_ALIGN - 1) / QA_ARENA_ALIGN * QA_ARENA_ALIGN;
    if (capacity == 0) capacity = QA_ARENA_ALIGN;
    a->base = aligned_alloc(QA_ARENA_ALIGN, capacity);
    if (!a->base)
        return qa_error(QA_ERR_NOMEM, "cannot allocate %zu bytes for the %s arena: lower its size", capacity, a->name);
    a->capacity = capacity;
    if (counters) counters->allocations++;
    return QA_OK;
}

void qa_arena_deinit(qa_arena *a)
{
    if (!a) return;
    free(a->base);
    memset(a, 0, sizeof *a);
}

qa_status qa_arena_alloc(qa_arena *a, void **out, size_t bytes)
{
    *out = NULL;
    size_t need = (bytes + QA_ARENA_ALIGN - 1) / QA_ARENA_ALIGN * QA_ARENA_ALIGN;
    if (need < bytes || need > a->capacity - a->used) {
        size_t want = a->used + need;
        if (want > a->high) a->high = want;
        return qa_error(QA_ERR_NOMEM,
                        "%s arena too small: %zu bytes requested with %zu of %zu in use (need at least %zu): "
                        "raise the %s arena size",
                        a->name, bytes, a->used, a->capacity, want, a->name);
    }
    *out = a->base + a->used;
    a->used += need;
    if (a->used > a->high) a->high = a->used;
    return QA_OK;
}

qa_status qa_arena_calloc(qa_arena *a, void **out, size_t bytes)
{
    qa_status s = qa_arena_alloc(a, out, bytes);
    if (!s && bytes) memset(*out, 0, bytes);
    return s;
}

void qa_arena_reset(qa_arena *a) { a->used = 0; }
size_t qa_arena_mark(const qa_arena *a) { return a->used; }
void qa_arena_rewind(qa_arena *a, size_t mark)
{
    if (mark <= a->used) a->used = mark;
}
