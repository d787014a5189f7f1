/* data/workpool: a fixed set of threads running jobs of independent items (the loader decodes a
 * batch's feature chunks on it while its prefetch thread already reads the next batch).
 *
 *   qa_workpool *p; qa_workpool_new(&p, 2);          // 0 threads: items run on the submitter
 *   qa_workpool_job job;
 *   qa_workpool_submit(p, &job, n_items, fn, ctx);  // returns at once; fn(ctx, item, worker)
 *   ...                                             // for every item, on the pool's threads
 *   s = qa_workpool_wait(p, &job);                  // blocks until all items of job are done
 *   s = qa_workpool_run(p, n_items, fn, ctx);       // submit + wait
 *   qa_workpool_free(p);                            // after every submitted job was waited for
 * Jobs are served in submission order. `worker` is in 0..qa_workpool_workers(p)-1 and lets fn use
 * per-worker scratch. Every item runs even if one fails; wait returns the error of the job's
 * lowest failing item (deterministic). The job struct must stay alive until waited for. */
#ifndef QA_DATA_WORKPOOL_H
#define QA_DATA_WORKPOOL_H

#include <stdint.h>

#include "core/status.h"

typedef qa_status (*qa_workpool_fn)(void *ctx, int64_t item, int worker);
typedef struct qa_workpool qa_workpool;

/* A submitted job; fields are the pool's (read them only through qa_workpool_wait). */
typedef struct qa_workpool_job {
    qa_workpool_fn fn;
    void *ctx;
    int64_t n_items, next, done;
    int64_t err_item; /* lowest failing item, INT64_MAX: none */
    qa_status err;
    char msg[1024];
    struct qa_workpool_job *queue_next;
} qa_workpool_job;

qa_status qa_workpool_new(qa_workpool **out, int threads);
void qa_workpool_free(qa_workpool *p);
void qa_workpool_submit(qa_workpool *p, qa_workpool_job *job, int64_t n_items, qa_workpool_fn fn, void *ctx);
qa_status qa_workpool_wait(qa_workpool *p, qa_workpool_job *job);
qa_status qa_workpool_run(qa_workpool *p, int64_t n_items, qa_workpool_fn fn, void *ctx);
/* Number of distinct `worker` values fn may see (per-worker scratch count). */
int qa_workpool_workers(const qa_workpool *p);

#endif
