/* core/prim_cache: the oneDNN primitive cache and the glue every op uses to run a primitive.
 * Owns the created primitives, their primitive descriptors, one dnnl_memory_t per argument (created
 * once with no buffer; each run only swaps data handles) and the hash table that finds them.
 *
 * A primitive is keyed by (op, variant, shapes, strides, dtypes, attributes): build a qa_prim_key,
 * look it up, create it on a miss, run it with one data pointer per argument:
 *
 *   qa_prim_key k; qa_key_init(&k, QA_OP_matmul, 0);
 *   qa_key_add_tensor(&k, a); qa_key_add_tensor(&k, b); qa_key_add(&k, accumulate);
 *   qa_prim *p = qa_prim_find(ctx, &k);
 *   if (!p) {
 *       dnnl_matmul_desc_t d; ... dnnl_matmul_desc_init(&d, &amd, &bmd, NULL, &ymd) ...
 *       dnnl_primitive_attr_t attr; qa_attr_new(&attr, accumulate ? 1.f : 0.f);   // sum post-op
 *       static const int args[] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST};
 *       if ((s = qa_prim_create(ctx, &p, &k, &d, attr, args, 3))) return s;   // takes attr
 *   }
 *   return qa_prim_run(ctx, p, (void *[]){a->data, b->data, y->data});
 *
 * Every primitive uses a user scratchpad: the context keeps one buffer, grown (and counted as an
 * allocation) only when a newly created primitive needs more, so running a cached primitive never
 * allocates. ctx->counters.primitives_created counts misses; tests assert it stays flat after
 * warm-up. */
#ifndef QA_CORE_PRIM_CACHE_H
#define QA_CORE_PRIM_CACHE_H

#include <dnnl.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "core/tensor.h"

struct qa_ctx;

#define QA_KEY_MAX 64
#define QA_PRIM_MAX_ARGS 10

typedef struct {
    int32_t op;      /* QA_OP_* (or any family-private id) */
    int32_t variant; /* forward / backward-data / ... chosen by the family file */
    int32_t n;       /* values used; -1 after an overflow (then lookups fail loudly) */
    int64_t v[QA_KEY_MAX];
} qa_prim_key;

void qa_key_init(qa_prim_key *k, int op, int variant);
void qa_key_add(qa_prim_key *k, int64_t v);
void qa_key_add_f(qa_prim_key *k, double v);          /* bit pattern of v */
void qa_key_add_tensor(qa_prim_key *k, const qa_tensor *t); /* dtype, ndim, shape, strides */

typedef struct qa_prim {
    qa_prim_key key;
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t prim;
    int nargs;
    int arg[QA_PRIM_MAX_ARGS];          /* DNNL_ARG_* */
    dnnl_memory_t mem[QA_PRIM_MAX_ARGS]; /* handles replaced on each run */
    dnnl_memory_t scratch;              /* NULL when no scratchpad needed */
    size_t scratch_bytes;
    bool single_thread; /* small memory-bound primitive: run on the calling thread (prim_cache.c) */
} qa_prim;

typedef struct {
    qa_prim **slots; /* open addressing, power-of-two capacity */
    size_t cap, n;
} qa_prim_cache;

void qa_prim_cache_deinit(qa_prim_cache *c);

qa_prim *qa_prim_find(struct qa_ctx *ctx, const qa_prim_key *k);
/* Creates the primitive desc from op_desc (a dnnl_*_desc_t) and attr (taken: destroyed here, may
 * be NULL), then the primitive, and caches it. */
qa_status qa_prim_create(struct qa_ctx *ctx, qa_prim **out, const qa_prim_key *k, const void *op_desc,
                         dnnl_primitive_attr_t attr, const int *args, int nargs);
/* Same, with the forward primitive desc a backward desc needs as its hint (not taken). Build the
 * hint with qa_pd_create (user scratchpad, no primitive) and destroy it after this call. */
qa_status qa_prim_create_hinted(struct qa_ctx *ctx, qa_prim **out, const qa_prim_key *k, const void *op_desc,
                                dnnl_primitive_attr_t attr, const int *args, int nargs,
                                const_dnnl_primitive_desc_t hint);
/* A bare primitive desc (e.g. a forward hint); caller destroys it. */
qa_status qa_pd_create(struct qa_ctx *ctx, dnnl_primitive_desc_t *pd, const void *op_desc,
                       const_dnnl_primitive_desc_t hint);
/* Same from an existing primitive desc (taken), e.g. reorder, concat, sum. */
qa_status qa_prim_create_from_pd(struct qa_ctx *ctx, qa_prim **out, const qa_prim_key *k, dnnl_primitive_desc_t pd,
                                 const int *args, int nargs);
/* Runs with handles[i] for args[i] and waits for completion. */
qa_status qa_prim_run(struct qa_ctx *ctx, qa_prim *p, void *const *handles);

/* ---- small oneDNN glue ---- */
/* QA_ERR_DNNL with "what: oneDNN status" when st is not dnnl_success. */
qa_status qa_dnnl_check(dnnl_status_t st, const char *what);
dnnl_data_type_t qa_dnnl_dtype(qa_dtype t);
/* Memory desc with the tensor's dims and strides (0-d becomes a 1-element 1-d desc). */
qa_status qa_md_from_tensor(dnnl_memory_desc_t *md, const qa_tensor *t);
/* Attr with user scratchpad; a sum post-op with scale sum_scale when sum_scale != 0 (accumulate). */
qa_status qa_attr_new(dnnl_primitive_attr_t *attr, float sum_scale);

#endif
