/* data/loader: shuffled, rank-sliced, length-bucketed batches from HDF5 shards with a prefetch
 * thread (see loader.h for the contract). Layout of this file: shard discovery, the per-epoch
 * schedule (a pure function of seed, epoch, rank and the sample lengths), filling one batch, and
 * the producer/consumer ring. Filling a batch = reading its tokens and its features' raw chunks
 * (HDF5, on the prefetch thread) then a decode job on the pool (data/workpool.h) that overlaps
 * the next batch's reads; the consumer waits for that job before handing the batch out. */
#include "data/loader.h"

#include <glob.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cJSON.h"
#include "core/fileio.h"
#include "core/log.h"
#include "data/special_tokens.h"
#include "data/workpool.h"

const qa_loader_opts qa_loader_opts_default = {.batch_size = 1, .rank = 0, .world = 1, .seed = 0, .shuffle = 1,
                                               .n_buckets = 0, .pad_multiple = 8, .frame_multiple = 2,
                                               .prefetch = 2, .decode_threads = 2, .drop_last = 0, .pad_id = QA_TOK_ENDOFTEXT,
                                               .specaug = {0}};

struct qa_loader;

typedef struct {
    qa_batch b;
    struct qa_loader *owner;
    int *row_shard;     /* (batch_size) shard of each row, found in the first pass of fill */
    int64_t *row_local; /* (batch_size) sample index inside that shard */
    qa_byte_arena arena; /* compressed feature chunks fetched for this batch */
    qa_feat_job *jobs;   /* (A_cap) one per audio */
    uint64_t *aug_seed;  /* (A_cap) SpecAugment seed of each audio */
    qa_workpool_job job; /* this batch's decode, running while the next batch is fetched */
    int submitted;       /* job submitted and not yet waited for */
    qa_status st;
    char err[512];
} slot_t;

typedef struct {
    int64_t epoch;      /* -1: none */
    int64_t n_steps;
    int64_t *start;     /* (n_steps+1) into items */
    int32_t *T;         /* (n_steps) */
    int64_t *items;     /* this rank's samples, step-major */
    int64_t *perm;      /* (N) scratch */
    int64_t *pending;   /* ((n_buckets+1) * global batch) scratch */
    int64_t *n_pending; /* (n_buckets+1) */
} sched_t;

struct qa_loader {
    qa_loader_opts o;
    int n_shards;
    qa_shard **sh;
    int64_t N, *shard_start; /* (n_shards+1) global index of each shard's first sample */
    int32_t *len;            /* (N) token counts */
    int64_t steps;           /* per epoch, every epoch */
    int T_cap, A_cap, F_cap;
    int64_t pcm_cap;
    qa_feat_kind kind;
    sched_t sc;
    qa_workpool *pool;         /* decode threads */
    qa_feat_scratch **scratch; /* (n_scratch) one per decode worker */
    int n_scratch;
    int K; /* ring slots */
    slot_t *slots;
    /* ring state (guarded by mu when the thread runs) */
    pthread_t th;
    int running, stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int64_t start_lin, produced, consumed;
    int holding;
};

static int has_glob_chars(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

static qa_status add_shard(qa_loader *l, const char *path)
{
    qa_shard **p = realloc(l->sh, (size_t)(l->n_shards + 1) * sizeof *p);
    if (!p) return qa_error(QA_ERR_NOMEM, "out of memory");
    l->sh = p;
    qa_status s = qa_shard_open(&l->sh[l->n_shards], path);
    if (s) return s;
    const qa_shard_index *ix = qa_shard_get_index(l->sh[l->n_shards]);
    if (l->n_shards > 0 && ix->kind != l->kind)
        return qa_error(QA_ERR_FORMAT, "shard %s holds %s features but %s holds %s: use one kind per run", path,
                        ix->kind == QA_FEAT_MEL ? "mel" : "pcm", qa_shard_get_index(l->sh[0])->path,
                        l->kind == QA_FEAT_MEL ? "mel" : "pcm");
    l->kind = ix->kind;
    l->n_shards++;
    return QA_OK;
}

static qa_status incomplete(const char *dir, const char *what)
{
    return qa_error(QA_ERR_FORMAT, "shard directory %s: %s: prepare was interrupted or the directory is incomplete: "
                    "re-run qaudio prepare", dir, what);
}

/* A directory from `qaudio prepare`: DIR/index.json (written last) must exist and list exactly the
 * DIR/shard-*.h5 files present, each with the sample count it holds. Opens them in file order. */
static qa_status open_dir(qa_loader *l, const char *dir)
{
    char p[4096], m[512];
    snprintf(p, sizeof p, "%s/index.json", dir);
    char *txt = NULL;
    size_t len = 0;
    struct stat st;
    if (stat(p, &st) != 0) return incomplete(dir, "no index.json");
    qa_status s = qa_file_read_all(p, &txt, &len);
    if (s) return s;
    cJSON *root = cJSON_ParseWithLength(txt, len);
    free(txt);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "shards");
    int n_list = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : -1;
    for (int k = 0; k < n_list; k++) {
        const cJSON *e = cJSON_GetArrayItem(list, k);
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "file")) ||
            !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(e, "samples")))
            n_list = -1;
    }
    if (n_list < 0) {
        cJSON_Delete(root);
        return incomplete(dir, "index.json is not valid JSON or has no \"shards\" list of {\"file\", \"samples\"}");
    }
    snprintf(p, sizeof p, "%s/shard-*.h5", dir);
    glob_t g;
    int rc = glob(p, 0, NULL, &g);
    size_t n_found = rc == 0 ? g.gl_pathc : 0;
    s = QA_OK;
    /* listed in index.json but absent */
    for (int k = 0; k < n_list && !s; k++) {
        const char *name = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(list, k), "file")->valuestring;
        int found = 0;
        for (size_t q = 0; q < n_found && !found; q++) {
            const char *b = strrchr(g.gl_pathv[q], '/');
            found = !strcmp(b ? b + 1 : g.gl_pathv[q], name);
        }
        if (!found) {
            snprintf(m, sizeof m, "index.json lists %.200s, which is missing", name);
            s = incomplete(dir, m);
        }
    }
    /* present but not listed; then open, checking each one's sample count */
    for (size_t q = 0; q < n_found && !s; q++) {
        const char *b = strrchr(g.gl_pathv[q], '/');
        b = b ? b + 1 : g.gl_pathv[q];
        const cJSON *entry = NULL;
        for (int k = 0; k < n_list && !entry; k++) {
            const cJSON *e = cJSON_GetArrayItem(list, k);
            if (!strcmp(cJSON_GetObjectItemCaseSensitive(e, "file")->valuestring, b)) entry = e;
        }
        if (!entry) {
            snprintf(m, sizeof m, "%.200s is not listed in index.json", b);
            s = incomplete(dir, m);
            break;
        }
        if ((s = add_shard(l, g.gl_pathv[q]))) break;
        double want = cJSON_GetObjectItemCaseSensitive(entry, "samples")->valuedouble;
        int64_t got = qa_shard_get_index(l->sh[l->n_shards - 1])->n_samples;
        if ((double)got != want) {
            snprintf(m, sizeof m, "%.200s holds %lld samples but index.json says %.0f", b, (long long)got, want);
            s = incomplete(dir, m);
        }
    }
    if (rc == 0) globfree(&g);
    cJSON_Delete(root);
    if (!s && n_found == 0) s = qa_error(QA_ERR_ARG, "shard directory %s: index.json lists no shards", dir);
    return s;
}

static qa_status open_paths(qa_loader *l, const char *const *paths, int n)
{
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            qa_status s = open_dir(l, paths[i]);
            if (s) return s;
            continue;
        }
        if (!has_glob_chars(paths[i])) {
            qa_status s = add_shard(l, paths[i]);
            if (s) return s;
            continue;
        }
        glob_t g;
        int rc = glob(paths[i], 0, NULL, &g);
        if (rc != 0) {
            if (rc != GLOB_NOMATCH) globfree(&g);
            return qa_error(QA_ERR_IO, "no shard matches %s", paths[i]);
        }
        for (size_t k = 0; k < g.gl_pathc; k++) { /* glob sorts its results */
            qa_status s = add_shard(l, g.gl_pathv[k]);
            if (s) {
                globfree(&g);
                return s;
            }
        }
        globfree(&g);
    }
    if (l->n_shards == 0) return qa_error(QA_ERR_ARG, "no shards given to the loader");
    return QA_OK;
}

static int round_up(int64_t x, int m)
{
    return (int)(m > 1 ? (x + m - 1) / m * m : x);
}

static int bucket_of(const qa_loader *l, int32_t len)
{
    for (int b = 0; b < l->o.n_buckets; b++)
        if (len <= l->o.bucket_bounds[b]) return b;
    return l->o.n_buckets;
}

static void locate(const qa_loader *l, int64_t g, int *shard, int64_t *local)
{
    int lo = 0, hi = l->n_shards - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (l->shard_start[mid] <= g) lo = mid;
        else hi = mid - 1;
    }
    *shard = lo;
    *local = g - l->shard_start[lo];
}

/* ---- schedule ---- */

static void emit(qa_loader *l, int bucket, const int64_t *items, int64_t m, int64_t *n_items)
{
    sched_t *sc = &l->sc;
    int32_t maxlen = 0;
    for (int64_t i = 0; i < m; i++)
        if (l->len[items[i]] > maxlen) maxlen = l->len[items[i]];
    int T = bucket < l->o.n_buckets ? l->o.bucket_bounds[bucket] : round_up(maxlen, l->o.pad_multiple);
    int64_t W = l->o.world, r = l->o.rank;
    int64_t lo = r * m / W, hi = (r + 1) * m / W;
    sc->start[sc->n_steps] = *n_items;
    sc->T[sc->n_steps] = T;
    for (int64_t i = lo; i < hi; i++) sc->items[(*n_items)++] = items[i];
    sc->n_steps++;
    sc->start[sc->n_steps] = *n_items;
}

static void build_schedule(qa_loader *l, int64_t epoch)
{
    sched_t *sc = &l->sc;
    if (sc->epoch == epoch) return;
    int64_t N = l->N, GB = (int64_t)l->o.batch_size * l->o.world;
    int nb = l->o.n_buckets + 1;
    for (int64_t i = 0; i < N; i++) sc->perm[i] = i;
    if (l->o.shuffle) {
        qa_data_rng r = {qa_data_seed(l->o.seed, (uint64_t)epoch, 0x5348554646ull, 0)};
        for (int64_t i = N - 1; i > 0; i--) {
            int64_t j = qa_data_rng_upto(&r, i), t = sc->perm[i];
            sc->perm[i] = sc->perm[j];
            sc->perm[j] = t;
        }
    }
    memset(sc->n_pending, 0, (size_t)nb * sizeof *sc->n_pending);
    sc->n_steps = 0;
    int64_t n_items = 0;
    sc->start[0] = 0;
    for (int64_t i = 0; i < N; i++) {
        int64_t g = sc->perm[i];
        int b = bucket_of(l, l->len[g]);
        int64_t *p = sc->pending + (int64_t)b * GB;
        p[sc->n_pending[b]++] = g;
        if (sc->n_pending[b] == GB) {
            emit(l, b, p, GB, &n_items);
            sc->n_pending[b] = 0;
        }
    }
    if (!l->o.drop_last)
        for (int b = 0; b < nb; b++)
            if (sc->n_pending[b]) emit(l, b, sc->pending + (int64_t)b * GB, sc->n_pending[b], &n_items);
    sc->epoch = epoch;
}

/* ---- one batch ---- */

/* Decode-thread item: audio `a` of the slot's batch. */
static qa_status decode_one(void *arg, int64_t a, int worker)
{
    slot_t *sl = arg;
    qa_batch *b = &sl->b;
    qa_status st = qa_feat_job_decode(&sl->jobs[a], sl->arena.p, sl->owner->scratch[worker]);
    if (!st && b->kind == QA_FEAT_MEL)
        qa_specaug_apply(&sl->owner->o.specaug, b->mel + a * QA_SHARD_MEL_BINS * b->F, b->F, b->mel_len[a],
                         sl->aug_seed[a]);
    return st;
}

static qa_status fill(qa_loader *l, slot_t *sl, int64_t lin)
{
    int64_t epoch = lin / l->steps, step = lin % l->steps;
    build_schedule(l, epoch);
    qa_batch *b = &sl->b;
    const sched_t *sc = &l->sc;
    const int64_t *items = sc->items + sc->start[step];
    int n = (int)(sc->start[step + 1] - sc->start[step]), T = sc->T[step];
    b->epoch = epoch;
    b->step = step;
    b->n = n;
    b->T = T;
    b->kind = l->kind;
    int na = 0, maxt = 0;
    int64_t pcm_n = 0;
    for (int i = 0; i < n; i++) {
        int s;
        int64_t k;
        locate(l, items[i], &s, &k);
        sl->row_shard[i] = s;
        sl->row_local[i] = k;
        qa_shard *sh = l->sh[s];
        const qa_shard_index *ix = qa_shard_get_index(sh);
        int64_t nt = ix->tok_off[k + 1] - ix->tok_off[k];
        int32_t *ids = b->ids + (int64_t)i * T, *lab = b->labels + (int64_t)i * T;
        qa_status st = qa_shard_read_tokens(sh, k, ids, lab);
        if (st) return st;
        for (int64_t t = nt; t < T; t++) {
            ids[t] = l->o.pad_id;
            lab[t] = -100;
        }
        b->lengths[i] = (int32_t)nt;
        b->task[i] = ix->task[k];
        b->sample[i] = items[i];
        for (int64_t j = ix->audio_off[k]; j < ix->audio_off[k + 1]; j++, na++) {
            b->audio_row[na] = i;
            b->mel_len[na] = ix->mel_len[j];
            b->t_cnn[na] = (ix->mel_len[j] - 1) / 2 + 1;
            b->span[na] = ix->span[j];
            b->n_samples[na] = ix->samples[j];
            if (2 * b->t_cnn[na] > maxt) maxt = 2 * b->t_cnn[na];
            if (l->kind == QA_FEAT_PCM) {
                b->pcm_off[na] = pcm_n;
                pcm_n += ix->feat_off[j + 1] - ix->feat_off[j];
            }
        }
    }
    b->n_audio = na;
    if (l->kind == QA_FEAT_PCM) b->pcm_off[na] = pcm_n;
    int F = round_up(maxt, l->o.frame_multiple);
    if (F > 3000) F = 3000;
    b->F = l->kind == QA_FEAT_MEL ? F : 0;
    /* second pass: fetch every audio's features (HDF5, this thread: raw compressed chunks on the
     * direct path, H5Dread otherwise), then decode + SpecAugment on the decode threads */
    na = 0;
    sl->arena.n = 0;
    for (int i = 0; i < n; i++) {
        int64_t k = sl->row_local[i];
        qa_shard *sh = l->sh[sl->row_shard[i]];
        const qa_shard_index *ix = qa_shard_get_index(sh);
        for (int64_t j = ix->audio_off[k]; j < ix->audio_off[k + 1]; j++, na++) {
            float *dst = l->kind == QA_FEAT_MEL ? b->mel + (int64_t)na * QA_SHARD_MEL_BINS * F : b->pcm + b->pcm_off[na];
            qa_status st = qa_shard_fetch_feat(sh, j, dst, F, &sl->arena, &sl->jobs[na]);
            if (st) return st;
            sl->aug_seed[na] = qa_data_seed(l->o.seed, (uint64_t)epoch, (uint64_t)items[i], (uint64_t)(j - ix->audio_off[k]));
        }
    }
    /* decoded on the pool while this thread goes on with the next batch; qa_loader_next waits */
    qa_workpool_submit(l->pool, &sl->job, na, decode_one, sl);
    sl->submitted = 1;
    return QA_OK;
}

static void fill_slot(qa_loader *l, slot_t *sl, int64_t lin)
{
    sl->submitted = 0;
    sl->st = fill(l, sl, lin);
    if (sl->st) snprintf(sl->err, sizeof sl->err, "%s", qa_error_message());
}

/* ---- producer thread and ring ---- */

static void *producer(void *arg)
{
    qa_loader *l = arg;
    for (;;) {
        pthread_mutex_lock(&l->mu);
        while (!l->stop && l->produced - l->consumed >= l->K) pthread_cond_wait(&l->cv, &l->mu);
        if (l->stop) {
            pthread_mutex_unlock(&l->mu);
            return NULL;
        }
        int64_t i = l->produced;
        pthread_mutex_unlock(&l->mu);
        fill_slot(l, &l->slots[i % l->K], l->start_lin + i);
        pthread_mutex_lock(&l->mu);
        l->produced++;
        pthread_cond_broadcast(&l->cv);
        pthread_mutex_unlock(&l->mu);
    }
}

/* Waits for a slot's decode job; its error becomes the slot's. */
static void finish_decode(qa_loader *l, slot_t *sl)
{
    if (!sl->submitted) return;
    sl->submitted = 0;
    qa_status st = qa_workpool_wait(l->pool, &sl->job);
    if (st && !sl->st) {
        sl->st = st;
        snprintf(sl->err, sizeof sl->err, "%s", qa_error_message());
    }
}

/* Stops the prefetch thread, then waits for the decodes it submitted (they write into the slots). */
static void stop_thread(qa_loader *l)
{
    if (l->running) {
        pthread_mutex_lock(&l->mu);
        l->stop = 1;
        pthread_cond_broadcast(&l->cv);
        pthread_mutex_unlock(&l->mu);
        pthread_join(l->th, NULL);
        l->running = 0;
        l->stop = 0;
    }
    if (l->slots)
        for (int k = 0; k < l->K; k++) finish_decode(l, &l->slots[k]);
}

static qa_status restart(qa_loader *l, int64_t lin)
{
    stop_thread(l);
    l->start_lin = lin;
    l->produced = l->consumed = 0;
    l->holding = 0;
    if (l->o.prefetch <= 0) return QA_OK;
    if (pthread_create(&l->th, NULL, producer, l) != 0)
        return qa_error(QA_ERR_INTERNAL, "cannot start the loader's prefetch thread");
    l->running = 1;
    return QA_OK;
}

qa_status qa_loader_next(qa_loader *l, const qa_batch **batch)
{
    *batch = NULL;
    slot_t *sl;
    if (l->o.prefetch <= 0) {
        if (l->holding) l->consumed++;
        sl = &l->slots[0];
        fill_slot(l, sl, l->start_lin + l->consumed);
        l->holding = 1;
    } else {
        pthread_mutex_lock(&l->mu);
        if (l->holding) {
            l->consumed++;
            l->holding = 0;
            pthread_cond_broadcast(&l->cv);
        }
        while (l->produced <= l->consumed) pthread_cond_wait(&l->cv, &l->mu);
        sl = &l->slots[l->consumed % l->K];
        l->holding = 1;
        pthread_mutex_unlock(&l->mu);
    }
    finish_decode(l, sl);
    if (sl->st) return qa_error(sl->st, "%s", sl->err);
    *batch = &sl->b;
    return QA_OK;
}

void qa_loader_get_position(const qa_loader *l, int64_t *epoch, int64_t *cursor)
{
    int64_t lin = l->start_lin + l->consumed + l->holding;
    *epoch = lin / l->steps;
    *cursor = lin % l->steps;
}

qa_status qa_loader_set_position(qa_loader *l, int64_t epoch, int64_t cursor)
{
    if (epoch < 0 || cursor < 0 || cursor > l->steps)
        return qa_error(QA_ERR_ARG, "loader position (epoch %lld, cursor %lld) out of range (%lld steps per epoch)",
                        (long long)epoch, (long long)cursor, (long long)l->steps);
    return restart(l, epoch * l->steps + cursor);
}

int64_t qa_loader_num_samples(const qa_loader *l)
{
    return l->N;
}

int64_t qa_loader_steps_per_epoch(qa_loader *l)
{
    return l->steps;
}

/* ---- construction ---- */

static qa_status alloc_slots(qa_loader *l)
{
    int64_t B = l->o.batch_size, A = l->A_cap, T = l->T_cap;
    l->K = l->o.prefetch > 0 ? l->o.prefetch + 1 : 1;
    /* compressed chunks of a full batch: about the raw size of its features plus one chunk per
     * audio at each end; the arena grows if a batch needs more */
    size_t arena_bytes = (size_t)(l->kind == QA_FEAT_MEL ? A * QA_SHARD_MEL_BINS * (l->F_cap + 1024) : l->pcm_cap + A * 262144) * 4;
    l->slots = calloc((size_t)l->K, sizeof *l->slots);
    if (!l->slots) return qa_error(QA_ERR_NOMEM, "out of memory");
    for (int k = 0; k < l->K; k++) {
        qa_batch *b = &l->slots[k].b;
        l->slots[k].row_shard = malloc((size_t)B * sizeof(int));
        l->slots[k].row_local = malloc((size_t)B * sizeof(int64_t));
        b->ids = malloc((size_t)(B * T) * 4 + 4);
        b->labels = malloc((size_t)(B * T) * 4 + 4);
        b->lengths = malloc((size_t)B * 4);
        b->task = malloc((size_t)B * 4);
        b->sample = malloc((size_t)B * 8);
        b->audio_row = malloc((size_t)A * 4 + 4);
        b->mel_len = malloc((size_t)A * 4 + 4);
        b->t_cnn = malloc((size_t)A * 4 + 4);
        b->span = malloc((size_t)A * 4 + 4);
        b->n_samples = malloc((size_t)A * 8 + 8);
        l->slots[k].jobs = malloc((size_t)A * sizeof(qa_feat_job) + sizeof(qa_feat_job));
        l->slots[k].aug_seed = malloc((size_t)A * 8 + 8);
        if (!l->slots[k].jobs || !l->slots[k].aug_seed || qa_byte_arena_reserve(&l->slots[k].arena, arena_bytes))
            return qa_error(QA_ERR_NOMEM, "out of memory allocating loader buffers");
        if (l->kind == QA_FEAT_MEL) b->mel = malloc((size_t)(A * QA_SHARD_MEL_BINS * l->F_cap) * 4 + 4);
        else {
            b->pcm = malloc((size_t)l->pcm_cap * 4 + 4);
            b->pcm_off = malloc((size_t)(A + 1) * 8);
        }
        if (!l->slots[k].row_shard || !l->slots[k].row_local || !b->ids || !b->labels || !b->lengths || !b->task || !b->sample || !b->audio_row || !b->mel_len ||
            !b->t_cnn || !b->span || !b->n_samples || (l->kind == QA_FEAT_MEL ? !b->mel : (!b->pcm || !b->pcm_off)))
            return qa_error(QA_ERR_NOMEM, "out of memory allocating loader buffers (batch %lld x %lld tokens, %lld "
                            "audios)", (long long)B, (long long)T, (long long)A);
    }
    return QA_OK;
}

qa_status qa_loader_new(qa_loader **out, const char *const *paths, int n_paths, const qa_loader_opts *opts)
{
    *out = NULL;
    const qa_loader_opts *o = opts ? opts : &qa_loader_opts_default;
    if (o->batch_size < 1 || o->world < 1 || o->rank < 0 || o->rank >= o->world || o->n_buckets < 0 ||
        o->n_buckets > QA_LOADER_MAX_BUCKETS || o->pad_multiple < 1 || o->frame_multiple < 2 ||
        o->frame_multiple % 2 || o->decode_threads < 0 || o->decode_threads > 256)
        return qa_error(QA_ERR_CONFIG, "loader options: need batch_size >= 1, 0 <= rank < world, 0..%d buckets, "
                        "pad_multiple >= 1, even frame_multiple >= 2, 0..256 decode threads", QA_LOADER_MAX_BUCKETS);
    for (int b = 0; b < o->n_buckets; b++)
        if (o->bucket_bounds[b] < 1 || (b && o->bucket_bounds[b] <= o->bucket_bounds[b - 1]))
            return qa_error(QA_ERR_CONFIG, "loader bucket bounds must be positive and strictly ascending");
    qa_loader *l = calloc(1, sizeof *l);
    if (!l) return qa_error(QA_ERR_NOMEM, "out of memory");
    l->o = *o;
    l->sc.epoch = -1;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    qa_status s = open_paths(l, paths, n_paths);
    if (s) goto fail;
    l->shard_start = malloc((size_t)(l->n_shards + 1) * sizeof *l->shard_start);
    if (!l->shard_start) goto oom;
    l->shard_start[0] = 0;
    for (int i = 0; i < l->n_shards; i++)
        l->shard_start[i + 1] = l->shard_start[i] + qa_shard_get_index(l->sh[i])->n_samples;
    l->N = l->shard_start[l->n_shards];
    if (l->N == 0) {
        s = qa_error(QA_ERR_ARG, "the shards hold no samples");
        goto fail;
    }
    l->len = malloc((size_t)l->N * sizeof *l->len);
    if (!l->len) goto oom;
    int32_t maxlen = 0;
    int max_audio = 0, maxt = 0;
    int64_t max_pcm = 0;
    for (int i = 0; i < l->n_shards; i++) {
        const qa_shard_index *ix = qa_shard_get_index(l->sh[i]);
        for (int64_t k = 0; k < ix->n_samples; k++) {
            int32_t len = (int32_t)(ix->tok_off[k + 1] - ix->tok_off[k]);
            l->len[l->shard_start[i] + k] = len;
            if (len > maxlen) maxlen = len;
            int na = (int)(ix->audio_off[k + 1] - ix->audio_off[k]);
            if (na > max_audio) max_audio = na;
            int64_t pcm = ix->feat_off[ix->audio_off[k + 1]] - ix->feat_off[ix->audio_off[k]];
            if (pcm > max_pcm) max_pcm = pcm;
        }
        for (int64_t j = 0; j < ix->n_audio; j++) {
            int t = 2 * ((ix->mel_len[j] - 1) / 2 + 1);
            if (t > maxt) maxt = t;
        }
    }
    l->T_cap = round_up(maxlen, o->pad_multiple);
    if (o->n_buckets && o->bucket_bounds[o->n_buckets - 1] > l->T_cap) l->T_cap = o->bucket_bounds[o->n_buckets - 1];
    l->A_cap = o->batch_size * max_audio;
    l->F_cap = round_up(maxt, o->frame_multiple);
    if (l->F_cap > 3000) l->F_cap = 3000;
    l->pcm_cap = (int64_t)o->batch_size * max_pcm;
    /* steps per epoch: each bucket yields ceil(count / global batch) batches (floor with drop_last) */
    int nb = o->n_buckets + 1;
    int64_t GB = (int64_t)o->batch_size * o->world, cnt[QA_LOADER_MAX_BUCKETS + 1] = {0};
    for (int64_t g = 0; g < l->N; g++) cnt[bucket_of(l, l->len[g])]++;
    for (int b = 0; b < nb; b++) l->steps += o->drop_last ? cnt[b] / GB : (cnt[b] + GB - 1) / GB;
    if (l->steps == 0) {
        s = qa_error(QA_ERR_CONFIG, "drop_last with a global batch of %lld leaves no batch from %lld samples",
                     (long long)GB, (long long)l->N);
        goto fail;
    }
    sched_t *sc = &l->sc;
    sc->start = malloc((size_t)(l->steps + 1) * sizeof *sc->start);
    sc->T = malloc((size_t)l->steps * sizeof *sc->T);
    sc->items = malloc((size_t)l->N * sizeof *sc->items);
    sc->perm = malloc((size_t)l->N * sizeof *sc->perm);
    sc->pending = malloc((size_t)(nb * GB) * sizeof *sc->pending);
    sc->n_pending = malloc((size_t)nb * sizeof *sc->n_pending);
    if (!sc->start || !sc->T || !sc->items || !sc->perm || !sc->pending || !sc->n_pending) goto oom;
    if ((s = alloc_slots(l)) || (s = qa_workpool_new(&l->pool, o->decode_threads))) goto fail;
    for (int k = 0; k < l->K; k++) l->slots[k].owner = l;
    l->n_scratch = qa_workpool_workers(l->pool);
    l->scratch = calloc((size_t)l->n_scratch, sizeof *l->scratch);
    if (!l->scratch) goto oom;
    for (int w = 0; w < l->n_scratch; w++)
        if ((s = qa_feat_scratch_new(&l->scratch[w]))) goto fail;
    int direct = 0;
    for (int i = 0; i < l->n_shards; i++) direct += qa_shard_direct(l->sh[i]);
    qa_log_debug("loader: %d of %d shards decoded on %d decode thread(s) (direct chunk reads), the rest by "
                 "H5Dread", direct, l->n_shards, o->decode_threads);
    if ((s = restart(l, 0))) goto fail;
    *out = l;
    return QA_OK;
oom:
    s = qa_error(QA_ERR_NOMEM, "out of memory creating the loader");
fail:
    qa_loader_free(l);
    return s;
}

void qa_loader_free(qa_loader *l)
{
    if (!l) return;
    stop_thread(l);
    for (int i = 0; i < l->n_shards; i++) qa_shard_close(l->sh[i]);
    free(l->sh);
    free(l->shard_start);
    free(l->len);
    free(l->sc.start);
    free(l->sc.T);
    free(l->sc.items);
    free(l->sc.perm);
    free(l->sc.pending);
    free(l->sc.n_pending);
    if (l->slots)
        for (int k = 0; k < l->K; k++) {
            qa_batch *b = &l->slots[k].b;
            free(l->slots[k].row_shard);
            free(l->slots[k].row_local);
            free(l->slots[k].jobs);
            free(l->slots[k].aug_seed);
            free(l->slots[k].arena.p);
            free(b->ids);
            free(b->labels);
            free(b->lengths);
            free(b->task);
            free(b->sample);
            free(b->audio_row);
            free(b->mel_len);
            free(b->t_cnn);
            free(b->span);
            free(b->n_samples);
            free(b->mel);
            free(b->pcm);
            free(b->pcm_off);
        }
    free(l->slots);
    qa_workpool_free(l->pool);
    if (l->scratch)
        for (int w = 0; w < l->n_scratch; w++) qa_feat_scratch_free(l->scratch[w]);
    free(l->scratch);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    free(l);
}
