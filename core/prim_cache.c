/* core/prim_cache: see prim_cache.h. */
#include "core/prim_cache.h"

#include <dnnl_debug.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"

/* OpenMP runtime calls (libgomp, the runtime Debian's oneDNN is built with), declared here rather
 * than through <omp.h>, which clang installs only with libomp-dev: the fuzz build compiles this file
 * with clang. They read and set the calling thread's nthreads ICV, not process state. */
extern int omp_get_max_threads(void);
extern void omp_set_num_threads(int n);

/* Memory-bound primitives (everything but matmul, convolution, inner product) whose arguments total
 * less than this run on the calling thread alone: a 1500 x 384 f32 residual add or layer norm takes
 * about 0.1-0.3 ms on one core, less than an OpenMP fork/join costs when the machine is shared and
 * the second thread waits for a core (docs/benchmarks.md, Engine). */
#define QA_SINGLE_THREAD_BYTES ((size_t)8 << 20)

void qa_key_init(qa_prim_key *k, int op, int variant)
{
    k->op = op;
    k->variant = variant;
    k->n = 0;
}

void qa_key_add(qa_prim_key *k, int64_t v)
{
    if (k->n < 0) return;
    if (k->n >= QA_KEY_MAX) {
        k->n = -1;
        return;
    }
    k->v[k->n++] = v;
}

void qa_key_add_f(qa_prim_key *k, double v)
{
    int64_t bits;
    memcpy(&bits, &v, sizeof bits);
    qa_key_add(k, bits);
}

void qa_key_add_tensor(qa_prim_key *k, const qa_tensor *t)
{
    qa_key_add(k, (int64_t)t->dtype * 16 + t->ndim);
    for (int i = 0; i < t->ndim; i++) {
        qa_key_add(k, t->shape[i]);
        qa_key_add(k, t->stride[i]);
    }
}

static uint64_t key_hash(const qa_prim_key *k)
{
    /* field by field: the struct has padding before v, which must not be hashed */
    uint64_t h = 1469598103934665603ull;
    int64_t head[3] = {k->op, k->variant, k->n};
    for (int i = 0; i < 3 + k->n; i++) {
        uint64_t x = (uint64_t)(i < 3 ? head[i] : k->v[i - 3]);
        for (int b = 0; b < 8; b++, x >>= 8) h = (h ^ (x & 0xff)) * 1099511628211ull;
    }
    return h;
}

static bool key_eq(const qa_prim_key *a, const qa_prim_key *b)
{
    return a->op == b->op && a->variant == b->variant && a->n == b->n &&
           !memcmp(a->v, b->v, (size_t)a->n * sizeof(int64_t));
}

static void prim_destroy(qa_prim *p)
{
    if (!p) return;
    for (int i = 0; i < p->nargs; i++)
        if (p->mem[i]) dnnl_memory_destroy(p->mem[i]);
    if (p->scratch) dnnl_memory_destroy(p->scratch);
    if (p->prim) dnnl_primitive_destroy(p->prim);
    if (p->pd) dnnl_primitive_desc_destroy(p->pd);
    free(p);
}

void qa_prim_cache_deinit(qa_prim_cache *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->cap; i++) prim_destroy(c->slots[i]);
    free(c->slots);
    memset(c, 0, sizeof *c);
}

qa_prim *qa_prim_find(qa_ctx *ctx, const qa_prim_key *k)
{
    qa_prim_cache *c = &ctx->cache;
    if (k->n < 0 || !c->cap) return NULL;
    for (size_t i = key_hash(k) & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
        qa_prim *p = c->slots[i];
        if (!p) return NULL;
        if (key_eq(&p->key, k)) {
            ctx->counters.primitive_hits++;
            return p;
        }
    }
}

static qa_status cache_insert(qa_ctx *ctx, qa_prim *p)
{
    qa_prim_cache *c = &ctx->cache;
    if (2 * (c->n + 1) > c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        qa_prim **slots = calloc(cap, sizeof *slots);
        if (!slots) return qa_error(QA_ERR_NOMEM, "cannot grow the primitive cache to %zu slots", cap);
        ctx->counters.allocations++;
        for (size_t i = 0; i < c->cap; i++) {
            qa_prim *q = c->slots[i];
            if (!q) continue;
            size_t j = key_hash(&q->key) & (cap - 1);
            while (slots[j]) j = (j + 1) & (cap - 1);
            slots[j] = q;
        }
        free(c->slots);
        c->slots = slots;
        c->cap = cap;
    }
    size_t j = key_hash(&p->key) & (c->cap - 1);
    while (c->slots[j]) j = (j + 1) & (c->cap - 1);
    c->slots[j] = p;
    c->n++;
    return QA_OK;
}

qa_status qa_prim_create_from_pd(qa_ctx *ctx, qa_prim **out, const qa_prim_key *k, dnnl_primitive_desc_t pd,
                                 const int *args, int nargs)
{
    *out = NULL;
    if (k->n < 0) {
        dnnl_primitive_desc_destroy(pd);
        return qa_error(QA_ERR_INTERNAL, "primitive key overflow (more than %d values) for op %d", QA_KEY_MAX, k->op);
    }
    if (nargs > QA_PRIM_MAX_ARGS) {
        dnnl_primitive_desc_destroy(pd);
        return qa_error(QA_ERR_INTERNAL, "too many primitive arguments (%d)", nargs);
    }
    qa_prim *p = calloc(1, sizeof *p);
    if (!p) {
        dnnl_primitive_desc_destroy(pd);
        return qa_error(QA_ERR_NOMEM, "cannot allocate a primitive cache entry");
    }
    ctx->counters.allocations++;
    p->key = *k;
    p->pd = pd;
    qa_status s = qa_dnnl_check(dnnl_primitive_create(&p->prim, pd), "creating a oneDNN primitive");
    for (int i = 0; !s && i < nargs; i++) {
        const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, args[i]);
        if (!md) {
            s = qa_error(QA_ERR_INTERNAL, "primitive has no argument %d", args[i]);
            break;
        }
        p->arg[i] = args[i];
        s = qa_dnnl_check(dnnl_memory_create(&p->mem[i], md, ctx->engine, DNNL_MEMORY_NONE), "creating a memory");
        p->nargs = i + 1;
    }
    if (!s) {
        dnnl_primitive_kind_t kind = dnnl_undefined_primitive;
        dnnl_primitive_desc_query(pd, dnnl_query_primitive_kind, 0, &kind);
        size_t arg_bytes = 0;
        for (int i = 0; i < p->nargs; i++) {
            const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, p->arg[i]);
            arg_bytes += md ? dnnl_memory_desc_get_size(md) : 0;
        }
        p->single_thread = kind != dnnl_matmul && kind != dnnl_convolution && kind != dnnl_inner_product &&
                           arg_bytes < QA_SINGLE_THREAD_BYTES;
    }
    if (!s) {
        const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
        size_t bytes = smd ? dnnl_memory_desc_get_size(smd) : 0;
        if (bytes) {
            p->scratch_bytes = bytes;
            s = qa_ctx_reserve_scratch(ctx, bytes);
            if (!s) s = qa_dnnl_check(dnnl_memory_create(&p->scratch, smd, ctx->engine, DNNL_MEMORY_NONE),
                                      "creating the scratchpad memory");
        }
    }
    if (!s) s = cache_insert(ctx, p);
    if (s) {
        prim_destroy(p);
        return s;
    }
    ctx->counters.primitives_created++;
    *out = p;
    return QA_OK;
}

qa_status qa_prim_create(qa_ctx *ctx, qa_prim **out, const qa_prim_key *k, const void *op_desc,
                         dnnl_primitive_attr_t attr, const int *args, int nargs)
{
    return qa_prim_create_hinted(ctx, out, k, op_desc, attr, args, nargs, NULL);
}

qa_status qa_prim_create_hinted(qa_ctx *ctx, qa_prim **out, const qa_prim_key *k, const void *op_desc,
                                dnnl_primitive_attr_t attr, const int *args, int nargs,
                                const_dnnl_primitive_desc_t hint)
{
    *out = NULL;
    qa_status s = QA_OK;
    if (!attr) {
        s = qa_attr_new(&attr, 0.f);
        if (s) return s;
    }
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t st = dnnl_primitive_desc_create(&pd, op_desc, attr, ctx->engine, hint);
    dnnl_primitive_attr_destroy(attr);
    if (st != dnnl_success) return qa_dnnl_check(st, "creating a oneDNN primitive descriptor (unsupported shapes or dtypes?)");
    return qa_prim_create_from_pd(ctx, out, k, pd, args, nargs);
}

qa_status qa_prim_run(qa_ctx *ctx, qa_prim *p, void *const *handles)
{
    dnnl_exec_arg_t ea[QA_PRIM_MAX_ARGS + 1];
    int n = 0;
    for (int i = 0; i < p->nargs; i++) {
        dnnl_status_t st = dnnl_memory_set_data_handle(p->mem[i], handles[i]);
        if (st != dnnl_success) return qa_dnnl_check(st, "setting a memory handle");
        ea[n].arg = p->arg[i];
        ea[n].memory = p->mem[i];
        n++;
    }
    if (p->scratch) {
        if (p->scratch_bytes > ctx->scratch_bytes)
            return qa_error(QA_ERR_INTERNAL, "scratchpad smaller than a cached primitive needs");
        dnnl_memory_set_data_handle(p->scratch, ctx->scratch);
        ea[n].arg = DNNL_ARG_SCRATCHPAD;
        ea[n].memory = p->scratch;
        n++;
    }
    /* oneDNN's memory-bound kernels take their thread count from the caller's OpenMP setting at
     * execution time; restored right after */
    int threads = p->single_thread ? omp_get_max_threads() : 1;
    if (threads > 1) omp_set_num_threads(1);
    qa_status s = qa_dnnl_check(dnnl_primitive_execute(p->prim, ctx->stream, n, ea), "executing a oneDNN primitive");
    if (threads > 1) omp_set_num_threads(threads);
    if (!s) s = qa_dnnl_check(dnnl_stream_wait(ctx->stream), "waiting for the oneDNN stream");
    return s;
}

qa_status qa_dnnl_check(dnnl_status_t st, const char *what)
{
    if (st == dnnl_success) return QA_OK;
    return qa_error(QA_ERR_DNNL, "%s: oneDNN says %s", what, dnnl_status2str(st));
}

dnnl_data_type_t qa_dnnl_dtype(qa_dtype t)
{
    switch (t) {
    case QA_F32: return dnnl_f32;
    case QA_BF16: return dnnl_bf16;
    case QA_I32: return dnnl_s32;
    default: return dnnl_data_type_undef;
    }
}

qa_status qa_md_from_tensor(dnnl_memory_desc_t *md, const qa_tensor *t)
{
    dnnl_data_type_t dt = qa_dnnl_dtype(t->dtype);
    if (dt == dnnl_data_type_undef)
        return qa_error(QA_ERR_DTYPE, "dtype %s cannot be used in a oneDNN primitive", qa_dtype_name(t->dtype));
    dnnl_dims_t dims, strides;
    int nd = t->ndim;
    if (nd == 0) {
        dims[0] = 1;
        strides[0] = 1;
        nd = 1;
    } else {
        /* A size-1 dim's stride never addresses anything, but oneDNN checks that a layout does not
         * overlap, and views (a transposed column) can carry any value there, so it is rewritten:
         * - leading size-1 dims (a batch of one) get the outermost stride, the span of the other
         *   dims. A permuted-dense view with a batch of one (a (1, H, T, Dh) head-major view of
         *   (1, T, H, Dh) memory, a (1, C, T) view of time-major data) then keeps a recognisable
         *   layout ("acbd", "acb"); with the row-major value its batch stride equals another dim's,
         *   oneDNN 2.6 cannot name the layout and falls back to its reference convolution /
         *   pooling or a generic gemm, 3-50x slower. For a dense tensor both values are the same.
         * - other size-1 dims get the row-major value (next dim's stride times its size), which
         *   leaves dense layouts plain: the span there turned a dense (4, 1, 3, 3) into a "bacd"
         *   layout on which oneDNN 2.6's bf16 binary kernel with a broadcast operand computed
         *   wrong values (tests/unit/test_ops_elementwise.c, broadcast_sweep). */
        int64_t span = 1;
        for (int i = 0; i < nd; i++)
            if (t->shape[i] > 1 && t->stride[i] * t->shape[i] > span) span = t->stride[i] * t->shape[i];
        int lead = 0;
        while (lead < nd && t->shape[lead] == 1) lead++;
        for (int i = nd - 1; i >= 0; i--) {
            dims[i] = t->shape[i];
            if (t->shape[i] != 1) strides[i] = t->stride[i];
            else if (i < lead) strides[i] = span;
            else strides[i] = i == nd - 1 ? 1 : strides[i + 1] * dims[i + 1];
        }
    }
    return qa_dnnl_check(dnnl_memory_desc_init_by_strides(md, nd, dims, dt, strides), "describing a tensor to oneDNN");
}

qa_status qa_attr_new(dnnl_primitive_attr_t *attr, float sum_scale)
{
    qa_status s = qa_dnnl_check(dnnl_primitive_attr_create(attr), "creating primitive attributes");
    if (s) return s;
    s = qa_dnnl_check(dnnl_primitive_attr_set_scratchpad_mode(*attr, dnnl_scratchpad_mode_user), "user scratchpad");
    if (!s && sum_scale != 0.f) {
        dnnl_post_ops_t po;
        s = qa_dnnl_check(dnnl_post_ops_create(&po), "creating post-ops");
        if (!s) {
            s = qa_dnnl_check(dnnl_post_ops_append_sum(po, sum_scale), "appending a sum post-op");
            if (!s) s = qa_dnnl_check(dnnl_primitive_attr_set_post_ops(*attr, po), "setting post-ops");
            dnnl_post_ops_destroy(po);
        }
    }
    if (s) dnnl_primitive_attr_destroy(*attr);
    return s;
}

qa_status qa_pd_create(qa_ctx *ctx, dnnl_primitive_desc_t *pd, const void *op_desc, const_dnnl_primitive_desc_t hint)
{
    dnnl_primitive_attr_t attr;
    qa_status s = qa_attr_new(&attr, 0.f);
    if (s) return s;
    s = qa_dnnl_check(dnnl_primitive_desc_create(pd, op_desc, attr, ctx->engine, hint), "creating a primitive descriptor");
    dnnl_primitive_attr_destroy(attr);
    return s;
}
