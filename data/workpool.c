/* data/workpool: fork-join thread pool (see workpool.h). Workers sleep on a condition variable
 * until the generation counter moves, then claim items one by one under the mutex (items are
 * coarse: one audio's chunks), so any worker may take any item; the submitter waits until every
 * item of its generation is done. */
#include "data/workpool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct qa_workpool {
    int n;
    pthread_t *th;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done;
    uint64_t gen;
    int stop;
    qa_workpool_fn fn;
    void *ctx;
    int64_t n_items, next, done;
    int64_t err_item; /* lowest failing item, INT64_MAX: none */
    qa_status err;
    char msg[1024];
};

typedef struct {
    qa_workpool *p;
    int id;
} worker_arg;

/* Claims and runs items of the current generation; called with mu held, returns with mu held. */
static void drain(qa_workpool *p, int id)
{
    while (p->next < p->n_items) {
        int64_t item = p->next++;
        qa_workpool_fn fn = p->fn;
        void *ctx = p->ctx;
        pthread_mutex_unlock(&p->mu);
        qa_status st = fn(ctx, item, id);
        char msg[1024];
        if (st) snprintf(msg, sizeof msg, "%s", qa_error_message());
        pthread_mutex_lock(&p->mu);
        if (st && item < p->err_item) {
            p->err_item = item;
            p->err = st;
            snprintf(p->msg, sizeof p->msg, "%s", msg);
        }
        if (++p->done == p->n_items) pthread_cond_signal(&p->cv_done);
    }
}

static void *worker_main(void *arg)
{
    worker_arg *wa = arg;
    qa_workpool *p = wa->p;
    int id = wa->id;
    free(wa);
    uint64_t seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->gen == seen) pthread_cond_wait(&p->cv_work, &p->mu);
        if (p->stop) break;
        seen = p->gen;
        drain(p, id);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

void qa_workpool_free(qa_workpool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv_work);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->started; i++) pthread_join(p->th[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv_work);
    pthread_cond_destroy(&p->cv_done);
    free(p->th);
    free(p);
}

qa_status qa_workpool_new(qa_workpool **out, int threads)
{
    *out = NULL;
    if (threads < 0 || threads > 256) return qa_error(QA_ERR_CONFIG, "decode threads %d: use 0..256", threads);
    qa_workpool *p = calloc(1, sizeof *p);
    if (!p) return qa_error(QA_ERR_NOMEM, "out of memory");
    p->n = threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv_work, NULL);
    pthread_cond_init(&p->cv_done, NULL);
    p->th = calloc((size_t)(threads ? threads : 1), sizeof *p->th);
    if (!p->th) {
        qa_workpool_free(p);
        return qa_error(QA_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < threads; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (wa) *wa = (worker_arg){p, i};
        if (!wa || pthread_create(&p->th[i], NULL, worker_main, wa) != 0) {
            free(wa);
            qa_workpool_free(p);
            return qa_error(QA_ERR_INTERNAL, "cannot start decode thread %d of %d", i + 1, threads);
        }
        p->started++;
    }
    *out = p;
    return QA_OK;
}

int qa_workpool_workers(const qa_workpool *p)
{
    return p->n > 0 ? p->n : 1;
}

qa_status qa_workpool_run(qa_workpool *p, int64_t n_items, qa_workpool_fn fn, void *ctx)
{
    if (n_items <= 0) return QA_OK;
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n_items = n_items;
    p->next = p->done = 0;
    p->err_item = INT64_MAX;
    p->err = QA_OK;
    if (p->n == 0) {
        drain(p, 0);
    } else {
        p->gen++;
        pthread_cond_broadcast(&p->cv_work);
        while (p->done < p->n_items) pthread_cond_wait(&p->cv_done, &p->mu);
    }
    qa_status st = p->err;
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", p->msg);
    p->n_items = 0; /* late-waking workers find nothing to claim */
    pthread_mutex_unlock(&p->mu);
    return st ? qa_error(st, "%s", msg) : QA_OK;
}
