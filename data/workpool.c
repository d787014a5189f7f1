/* data/workpool: thread pool with a FIFO of jobs (see workpool.h). Workers sleep until the queue
 * holds a job with unclaimed items, claim items one by one under the mutex (items are coarse: one
 * audio's chunks), and signal waiters when a job's last item is done. A job leaves the queue when
 * its last item is claimed; it is finished when its last item is done. */
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
    int stop;
    qa_workpool_job *head, *tail; /* jobs with unclaimed items, oldest first */
};

typedef struct {
    qa_workpool *p;
    int id;
} worker_arg;

/* Claims the next item of the oldest job (mu held); returns the job or NULL. */
static qa_workpool_job *claim(qa_workpool *p, int64_t *item)
{
    qa_workpool_job *j = p->head;
    if (!j) return NULL;
    *item = j->next++;
    if (j->next == j->n_items) {
        p->head = j->queue_next;
        if (!p->head) p->tail = NULL;
    }
    return j;
}

/* Runs one claimed item (called with mu held, returns with it held). */
static void run_item(qa_workpool *p, qa_workpool_job *j, int64_t item, int id)
{
    pthread_mutex_unlock(&p->mu);
    qa_status st = j->fn(j->ctx, item, id);
    char msg[1024];
    if (st) snprintf(msg, sizeof msg, "%s", qa_error_message());
    pthread_mutex_lock(&p->mu);
    if (st && item < j->err_item) {
        j->err_item = item;
        j->err = st;
        snprintf(j->msg, sizeof j->msg, "%s", msg);
    }
    if (++j->done == j->n_items) pthread_cond_broadcast(&p->cv_done);
}

static void *worker_main(void *arg)
{
    worker_arg *wa = arg;
    qa_workpool *p = wa->p;
    int id = wa->id;
    free(wa);
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && !p->head) pthread_cond_wait(&p->cv_work, &p->mu);
        if (p->stop) break;
        int64_t item;
        qa_workpool_job *j = claim(p, &item);
        if (j) run_item(p, j, item, id);
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

void qa_workpool_submit(qa_workpool *p, qa_workpool_job *j, int64_t n_items, qa_workpool_fn fn, void *ctx)
{
    *j = (qa_workpool_job){.fn = fn, .ctx = ctx, .n_items = n_items > 0 ? n_items : 0, .err_item = INT64_MAX};
    if (j->n_items == 0) return;
    pthread_mutex_lock(&p->mu);
    if (p->n == 0) { /* no threads: run everything here, now */
        for (int64_t i = 0; i < j->n_items; i++) {
            j->next++;
            run_item(p, j, i, 0);
        }
    } else {
        if (p->tail) p->tail->queue_next = j;
        else p->head = j;
        p->tail = j;
        pthread_cond_broadcast(&p->cv_work);
    }
    pthread_mutex_unlock(&p->mu);
}

qa_status qa_workpool_wait(qa_workpool *p, qa_workpool_job *j)
{
    pthread_mutex_lock(&p->mu);
    while (j->done < j->n_items) pthread_cond_wait(&p->cv_done, &p->mu);
    qa_status st = j->err;
    pthread_mutex_unlock(&p->mu);
    return st ? qa_error(st, "%s", j->msg) : QA_OK;
}

qa_status qa_workpool_run(qa_workpool *p, int64_t n_items, qa_workpool_fn fn, void *ctx)
{
    qa_workpool_job j;
    qa_workpool_submit(p, &j, n_items, fn, ctx);
    return qa_workpool_wait(p, &j);
}
