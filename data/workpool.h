/* data/workpool: a fixed set of threads that run fork-join jobs of independent items (the loader
 * decodes a batch's feature chunks on it).
 *
 *   qa_workpool *p; qa_workpool_new(&p, 2);          // 0 threads: items run on the caller
 *   s = qa_workpool_run(p, n_items, fn, ctx);         // fn(ctx, item, worker) for every item; blocks
 *   qa_workpool_free(p);
 * `worker` is in 0..max(1, threads)-1 and lets fn use per-worker scratch. Every item runs even if
 * one fails; the error returned is that of the lowest failing item (deterministic). One run at a
 * time per pool (the pool has one submitting thread). */
#ifndef QA_DATA_WORKPOOL_H
#define QA_DATA_WORKPOOL_H

#include <stdint.h>

#include "core/status.h"

typedef qa_status (*qa_workpool_fn)(void *ctx, int64_t item, int worker);
typedef struct qa_workpool qa_workpool;

qa_status qa_workpool_new(qa_workpool **out, int threads);
void qa_workpool_free(qa_workpool *p);
qa_status qa_workpool_run(qa_workpool *p, int64_t n_items, qa_workpool_fn fn, void *ctx);
/* Number of distinct `worker` values fn may see (per-worker scratch count). */
int qa_workpool_workers(const qa_workpool *p);

#endif
