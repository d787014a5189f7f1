/* data/shard_prepare: the `qaudio prepare` pipeline (see prepare.h). The manifest is read in
 * blocks of lines; worker threads turn the lines of a block into finished samples (features,
 * ids, labels) in parallel; the main thread then appends them to the shards in manifest order, so
 * the output does not depend on the number of workers. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cJSON.h"
#include "core/fileio.h"
#include "data/audio.h"
#include "data/manifest.h"
#include "data/mel.h"
#include "data/prepare.h"
#include "data/tokenizer.h"

const qa_prepare_opts qa_prepare_opts_default = {
    .format = QA_PREPARE_AUTO, .shard_samples = 1000, .features = QA_FEAT_MEL, .workers = 1, .feature_deflate = 1,
    .pretrain_mask = {.start_tag = 0, .audio_lang = 1, .task_tag = 0, .question = 0, .text_lang = 0,
                      .timestamps_tag = 0, .instruction = 0, .target = 1, .eos = 1},
    .pretrain = {.srwt_min_silence = 0.01}, .chat = {.mask = QA_CHAT_MASK_ASSISTANT, .default_system = NULL},
    .progress = 1};

/* One manifest line and, after processing, its sample or its rejection reason. */
typedef struct {
    char *line;
    size_t len;
    long lineno;
    cJSON *rec;  /* parsed by the main thread (cJSON's parser writes a global error pointer) */
    int ok;
    char reason[512];
    qa_ids ids, labels;
    int task, n_audio;
    qa_shard_audio *audio; /* (n_audio) */
    float **feat;          /* (n_audio) owned feature buffers */
    double seconds;
} item_t;

typedef struct {
    const qa_prepare_opts *o;
    const qa_tokenizer *tok;
    item_t *items;
    int n_items;
    int next; /* guarded by mu */
    pthread_mutex_t mu;
} block_t;

typedef struct {
    block_t *blk;
    qa_mel *mel;
} worker_t;

static void item_clear(item_t *it)
{
    free(it->line);
    cJSON_Delete(it->rec);
    qa_ids_free(&it->ids);
    qa_ids_free(&it->labels);
    for (int j = 0; j < it->n_audio; j++) free(it->feat ? it->feat[j] : NULL);
    free(it->feat);
    free(it->audio);
    memset(it, 0, sizeof *it);
}

static qa_status render(const qa_prepare_opts *o, qa_rendered *r, const cJSON *rec, double seconds)
{
    int chat = o->format == QA_PREPARE_CHAT || (o->format == QA_PREPARE_AUTO && qa_manifest_is_chat(rec));
    if (chat) return qa_format_render_chat(r, rec, o->manifest, &o->chat);
    return qa_format_render_pretrain(r, rec, o->manifest, &o->pretrain_mask, &o->pretrain, seconds);
}

/* Loads and featurises audio j of r into it. */
static qa_status do_audio(const qa_prepare_opts *o, qa_mel *mel, const qa_rendered *r, int j, item_t *it, int *span)
{
    qa_audio a = {0};
    qa_status s = qa_audio_load(r->audio[j], &a);
    if (s) return s;
    qa_audio_lengths L;
    if (a.n > QA_N_SAMPLES && o->no_truncate) {
        s = qa_error(QA_ERR_FORMAT, "audio %s is %.2f s long (> 30 s) and truncation is forbidden (--no-truncate)",
                     r->audio_ref[j], (double)a.n / QA_SAMPLE_RATE);
    } else if ((s = qa_audio_lengths_compute((int64_t)a.n, &L))) {
        s = qa_error_wrap(s, "audio %s", r->audio_ref[j]);
    }
    if (s) {
        qa_audio_free(&a);
        return s;
    }
    qa_shard_audio *au = &it->audio[j];
    au->samples = (int64_t)a.n;
    au->mel_len = L.mel_len;
    au->span = L.span_tokens;
    span[j] = L.span_tokens;
    it->seconds += (double)a.n / QA_SAMPLE_RATE;
    if (o->features == QA_FEAT_MEL) {
        float *m = malloc(sizeof(float) * QA_MEL_BINS * QA_MEL_FRAMES);
        if (!m) s = qa_error(QA_ERR_NOMEM, "out of memory");
        else s = qa_mel_compute(mel, a.pcm, a.n, m);
        it->feat[j] = m;
        if (!s) {
            au->feat = m;
            au->stride = QA_MEL_FRAMES;
            au->frames = L.mel_len + 3 < QA_MEL_FRAMES ? L.mel_len + 3 : QA_MEL_FRAMES;
            au->floor = qa_mel_floor_value(m);
        }
    } else {
        /* keep what the model can see: the first 30 s */
        size_t n = a.n < QA_N_SAMPLES ? a.n : QA_N_SAMPLES;
        it->feat[j] = a.pcm;
        a.pcm = NULL;
        au->feat = it->feat[j];
        au->frames = (int64_t)n;
        au->stride = 0;
        au->floor = 0;
    }
    qa_audio_free(&a);
    return s;
}

static qa_status process(const qa_prepare_opts *o, const qa_tokenizer *tok, qa_mel *mel, item_t *it)
{
    const cJSON *rec = it->rec;
    if (!rec || !cJSON_IsObject(rec)) return qa_error(QA_ERR_FORMAT, "bad JSON: the line is not one JSON object");
    qa_rendered r;
    qa_rendered_init(&r);
    qa_status s = render(o, &r, rec, -1.0);
    int *span = NULL;
    if (!s && r.n_audio) {
        it->n_audio = (int)r.n_audio;
        it->audio = calloc(r.n_audio, sizeof *it->audio);
        it->feat = calloc(r.n_audio, sizeof *it->feat);
        span = calloc(r.n_audio, sizeof *span);
        if (!it->audio || !it->feat || !span) s = qa_error(QA_ERR_NOMEM, "out of memory");
    }
    for (int j = 0; !s && j < (int)r.n_audio; j++) s = do_audio(o, mel, &r, j, it, span);
    if (!s && r.task == QA_TASK_SRWT) { /* re-render: the trailing <|sil|> needs the duration */
        qa_rendered_deinit(&r);
        s = render(o, &r, rec, (double)it->audio[0].samples / QA_SAMPLE_RATE);
    }
    if (!s) {
        it->task = r.task;
        s = qa_format_tokenize(&it->ids, &it->labels, tok, &r, span);
    }
    free(span);
    qa_rendered_deinit(&r);
    return s;
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    block_t *b = w->blk;
    for (;;) {
        pthread_mutex_lock(&b->mu);
        int i = b->next++;
        pthread_mutex_unlock(&b->mu);
        if (i >= b->n_items) return NULL;
        item_t *it = &b->items[i];
        qa_status s = process(b->o, b->tok, w->mel, it);
        it->ok = s == QA_OK;
        if (s) snprintf(it->reason, sizeof it->reason, "%s", qa_error_message());
    }
}

/* ---- outputs ---- */

typedef struct {
    const qa_prepare_opts *o;
    qa_shard_writer *w;
    int shard_no;
    cJSON *shards;       /* index.json "shards" */
    int64_t sh_tokens;
    double sh_seconds;
    int64_t task_count[QA_TASK_COUNT];
    int32_t *lens;       /* all token lengths, for the length statistics */
    int64_t n_lens, cap_lens;
    FILE *rej;
    qa_format_ids fids; /* the vocabulary's audio ids, recorded in each shard */
    int have_fids;
} out_t;

static qa_status close_shard(out_t *ot)
{
    if (!ot->w) return QA_OK;
    int64_t n = qa_shard_writer_samples(ot->w);
    qa_status s = qa_shard_writer_commit(ot->w);
    ot->w = NULL;
    if (s) return s;
    char name[32];
    snprintf(name, sizeof name, "shard-%05d.h5", ot->shard_no);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "file", name);
    cJSON_AddNumberToObject(e, "samples", (double)n);
    cJSON_AddNumberToObject(e, "tokens", (double)ot->sh_tokens);
    cJSON_AddNumberToObject(e, "audio_seconds", ot->sh_seconds);
    cJSON_AddItemToArray(ot->shards, e);
    ot->shard_no++;
    ot->sh_tokens = 0;
    ot->sh_seconds = 0;
    return QA_OK;
}

static qa_status write_item(out_t *ot, item_t *it, qa_prepare_stats *st)
{
    const qa_prepare_opts *o = ot->o;
    qa_status s;
    if (!ot->w) {
        char path[4096];
        snprintf(path, sizeof path, "%s/shard-%05d.h5", o->out_dir, ot->shard_no);
        const char *fmt = o->format == QA_PREPARE_CHAT ? "chat" : o->format == QA_PREPARE_PRETRAIN ? "pretrain" : "auto";
        if ((s = qa_shard_writer_open(&ot->w, path, o->features, fmt, o->feature_deflate))) return s;
        if (ot->have_fids) qa_shard_writer_set_audio_ids(ot->w, ot->fids.audio_start, ot->fids.audio_end, ot->fids.audio_pad);
    }
    qa_shard_sample smp = {.ids = it->ids.ids, .labels = it->labels.ids, .n_tokens = (int64_t)it->ids.n,
                           .task = it->task, .record = it->line, .record_len = it->len, .n_audio = it->n_audio,
                           .audio = it->audio};
    if ((s = qa_shard_writer_add(ot->w, &smp))) return s;
    st->samples++;
    st->tokens += (int64_t)it->ids.n;
    st->audio_seconds += it->seconds;
    ot->sh_tokens += (int64_t)it->ids.n;
    ot->sh_seconds += it->seconds;
    if (it->task >= 0 && it->task < QA_TASK_COUNT) ot->task_count[it->task]++;
    if (ot->n_lens == ot->cap_lens) {
        int64_t cap = ot->cap_lens ? ot->cap_lens * 2 : 1024;
        int32_t *p = realloc(ot->lens, (size_t)cap * sizeof *p);
        if (!p) return qa_error(QA_ERR_NOMEM, "out of memory");
        ot->lens = p;
        ot->cap_lens = cap;
    }
    ot->lens[ot->n_lens++] = (int32_t)it->ids.n;
    if (qa_shard_writer_samples(ot->w) >= o->shard_samples) return close_shard(ot);
    return QA_OK;
}

static void write_rejected(out_t *ot, const item_t *it)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "line", (double)it->lineno);
    cJSON_AddStringToObject(e, "reason", it->reason);
    char *rec = strndup(it->line, it->len > 2000 ? 2000 : it->len);
    cJSON_AddStringToObject(e, "record", rec ? rec : "");
    free(rec);
    char *txt = cJSON_PrintUnformatted(e);
    if (txt) fprintf(ot->rej, "%s\n", txt);
    free(txt);
    cJSON_Delete(e);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static qa_status write_index(out_t *ot, const qa_prepare_stats *st)
{
    const qa_prepare_opts *o = ot->o;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "schema_version", QA_SHARD_SCHEMA);
    cJSON_AddStringToObject(root, "features", o->features == QA_FEAT_MEL ? "mel" : "pcm");
    cJSON_AddStringToObject(root, "format", o->format == QA_PREPARE_CHAT       ? "chat"
                                            : o->format == QA_PREPARE_PRETRAIN ? "pretrain"
                                                                               : "auto");
    cJSON_AddStringToObject(root, "manifest", o->manifest);
    char *abs_tok = realpath(o->tokenizer, NULL); /* absolute, so inspect works from anywhere */
    cJSON_AddStringToObject(root, "tokenizer", abs_tok ? abs_tok : o->tokenizer);
    free(abs_tok);
    cJSON_AddNumberToObject(root, "records", (double)st->records);
    cJSON_AddNumberToObject(root, "samples", (double)st->samples);
    cJSON_AddNumberToObject(root, "rejected", (double)st->rejected);
    cJSON_AddNumberToObject(root, "tokens", (double)st->tokens);
    cJSON_AddNumberToObject(root, "audio_seconds", st->audio_seconds);
    cJSON_AddItemToObject(root, "shards", ot->shards);
    ot->shards = NULL;
    cJSON *tasks = cJSON_AddObjectToObject(root, "tasks");
    for (int t = 0; t < QA_TASK_COUNT; t++)
        if (ot->task_count[t]) cJSON_AddNumberToObject(tasks, qa_task_name((qa_task)t), (double)ot->task_count[t]);
    cJSON *lens = cJSON_AddObjectToObject(root, "lengths");
    if (ot->n_lens) {
        qsort(ot->lens, (size_t)ot->n_lens, sizeof *ot->lens, cmp_i32);
        double sum = 0;
        for (int64_t i = 0; i < ot->n_lens; i++) sum += ot->lens[i];
        cJSON_AddNumberToObject(lens, "min", ot->lens[0]);
        cJSON_AddNumberToObject(lens, "max", ot->lens[ot->n_lens - 1]);
        cJSON_AddNumberToObject(lens, "mean", sum / (double)ot->n_lens);
        cJSON_AddNumberToObject(lens, "p50", ot->lens[(ot->n_lens - 1) / 2]);
        cJSON_AddNumberToObject(lens, "p90", ot->lens[(ot->n_lens - 1) * 9 / 10]);
        cJSON_AddNumberToObject(lens, "p99", ot->lens[(ot->n_lens - 1) * 99 / 100]);
        /* histogram over power-of-two upper bounds: "64": samples with 33..64 tokens */
        cJSON *h = cJSON_AddObjectToObject(lens, "histogram");
        int64_t i = 0;
        for (int64_t bound = 32; i < ot->n_lens; bound *= 2) {
            int64_t c = 0;
            while (i < ot->n_lens && ot->lens[i] <= bound) c++, i++;
            if (c) {
                char k[32];
                snprintf(k, sizeof k, "%lld", (long long)bound);
                cJSON_AddNumberToObject(h, k, (double)c);
            }
        }
    }
    char *txt = cJSON_Print(root);
    cJSON_Delete(root);
    if (!txt) return qa_error(QA_ERR_NOMEM, "out of memory writing index.json");
    char path[4096];
    snprintf(path, sizeof path, "%s/index.json", o->out_dir);
    qa_atomic_file af;
    qa_status s = qa_atomic_file_open(&af, path);
    if (!s) {
        fprintf(af.f, "%s\n", txt);
        s = qa_atomic_file_commit(&af);
    }
    free(txt);
    return s;
}

static qa_status check_out_dir(const char *dir)
{
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        if (mkdir(dir, 0777) != 0) return qa_error(QA_ERR_IO, "cannot create output directory %s: %s", dir, strerror(errno));
        return QA_OK;
    }
    if (!S_ISDIR(sb.st_mode)) return qa_error(QA_ERR_ARG, "--out %s exists and is not a directory", dir);
    DIR *d = opendir(dir);
    if (!d) return qa_error(QA_ERR_IO, "cannot read directory %s", dir);
    struct dirent *e;
    int taken = 0;
    while ((e = readdir(d)))
        if (!strcmp(e->d_name, "index.json") || (!strncmp(e->d_name, "shard-", 6) && strstr(e->d_name, ".h5")))
            taken = 1;
    closedir(d);
    if (taken) return qa_error(QA_ERR_ARG, "%s already holds shards or an index.json: remove them or choose another --out", dir);
    return QA_OK;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- the block pipeline ---- */

/* Reads up to cap manifest lines into b (parsing the JSON here: cJSON's parser is not thread-safe). */
static qa_status read_block(qa_manifest *man, block_t *b, int cap)
{
    b->n_items = 0;
    b->next = 0;
    while (b->n_items < cap) {
        const char *line;
        size_t len;
        long ln;
        qa_status s = qa_manifest_next(man, &line, &len, &ln);
        if (s || !line) return s;
        item_t *it = &b->items[b->n_items++];
        it->line = strndup(line, len);
        it->len = len;
        it->lineno = ln;
        if (!it->line) return qa_error(QA_ERR_NOMEM, "out of memory");
        it->rec = cJSON_ParseWithLength(it->line, len);
    }
    return QA_OK;
}

/* Starts up to nw threads on b; returns how many started. */
static int start_workers(worker_t *ws, pthread_t *th, int nw, block_t *b)
{
    int started = 0;
    for (; started < nw; started++) {
        ws[started].blk = b;
        if (pthread_create(&th[started], NULL, worker_main, &ws[started])) break;
    }
    return started;
}

static void join_workers(worker_t *ws, pthread_t *th, int started)
{
    (void)ws;
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
}

/* Writes the processed items of b in manifest order, and clears them. */
static qa_status write_block(out_t *ot, block_t *b, qa_prepare_stats *st)
{
    qa_status s = QA_OK;
    for (int i = 0; i < b->n_items; i++) {
        item_t *it = &b->items[i];
        st->records++;
        if (!s) {
            if (it->ok) {
                s = write_item(ot, it, st);
            } else {
                st->rejected++;
                write_rejected(ot, it);
                if (ot->o->progress)
                    fprintf(stderr, "prepare: %s line %ld rejected: %s\n", ot->o->manifest, it->lineno, it->reason);
            }
        }
        item_clear(it);
    }
    b->n_items = 0;
    return s;
}

qa_status qa_prepare_run(const qa_prepare_opts *o, qa_prepare_stats *st)
{
    memset(st, 0, sizeof *st);
    if (!o->manifest || !o->out_dir || !o->tokenizer) return qa_error(QA_ERR_ARG, "prepare needs a manifest, an output directory and a tokenizer");
    if (o->shard_samples < 1) return qa_error(QA_ERR_ARG, "--shard-samples %d: must be >= 1", o->shard_samples);
    if (o->workers < 1 || o->workers > 256)
        return qa_error(QA_ERR_ARG, "--workers %d: must be in 1..256", o->workers);
    double t0 = now_s();
    qa_status s;
    qa_tokenizer *tok = NULL;
    qa_manifest *man = NULL;
    if ((s = check_out_dir(o->out_dir)) || (s = qa_tokenizer_load(o->tokenizer, &tok)) ||
        (s = qa_manifest_open(&man, o->manifest))) {
        qa_tokenizer_free(tok);
        return s;
    }
    out_t ot = {.o = o, .shards = cJSON_CreateArray()};
    /* a vocabulary without the audio tokens fails every record in qa_format_tokenize anyway */
    ot.have_fids = qa_format_ids_resolve(&ot.fids, tok) == QA_OK;
    char rpath[4096];
    snprintf(rpath, sizeof rpath, "%s/rejected.jsonl", o->out_dir);
    qa_atomic_file rej;
    int nw = o->workers, cap = 16 * nw;
    worker_t *ws = calloc((size_t)nw, sizeof *ws);
    pthread_t *th = calloc((size_t)nw, sizeof *th);
    block_t blk[2] = {{.o = o, .tok = tok, .items = calloc((size_t)cap, sizeof(item_t))},
                      {.o = o, .tok = tok, .items = calloc((size_t)cap, sizeof(item_t))}};
    pthread_mutex_init(&blk[0].mu, NULL);
    pthread_mutex_init(&blk[1].mu, NULL);
    if (!ws || !th || !blk[0].items || !blk[1].items) s = qa_error(QA_ERR_NOMEM, "out of memory");
    for (int i = 0; !s && i < nw; i++) s = qa_mel_new(&ws[i].mel);
    if (!s && !(s = qa_atomic_file_open(&rej, rpath))) ot.rej = rej.f;
    int rej_open = ot.rej != NULL;
    double last_report = t0;
    /* Pipeline: the workers process block k+1 while this thread writes block k. */
    int cur = 0;
    if (!s && !(s = read_block(man, &blk[0], cap)) && blk[0].n_items) {
        int started = start_workers(ws, th, nw, &blk[0]);
        join_workers(ws, th, started);
    }
    while (!s && blk[cur].n_items > 0) {
        int nxt = 1 - cur, started = 0;
        s = read_block(man, &blk[nxt], cap);
        if (!s && blk[nxt].n_items) started = start_workers(ws, th, nw, &blk[nxt]);
        qa_status ws_ = write_block(&ot, &blk[cur], st);
        join_workers(ws, th, started);
        if (!s) s = ws_;
        if (!s && blk[nxt].n_items && !started) worker_main(&ws[0]); /* no thread could start: do it here */
        cur = nxt;
        double t = now_s();
        if (o->progress && t - last_report > 5.0) {
            last_report = t;
            fprintf(stderr, "prepare: %lld records, %lld samples, %lld rejected, %.2f h of audio, %.2f h/min\n",
                    (long long)st->records, (long long)st->samples, (long long)st->rejected, st->audio_seconds / 3600,
                    st->audio_seconds / 60.0 / fmax(t - t0, 1e-9));
        }
    }
    if (!s) s = close_shard(&ot);
    st->shards = ot.shard_no;
    if (!s) s = write_index(&ot, st);
    if (rej_open) {
        if (!s) s = qa_atomic_file_commit(&rej);
        else qa_atomic_file_abort(&rej);
    }
    if (ot.w) qa_shard_writer_abort(ot.w);
    for (int i = 0; ws && i < nw; i++) qa_mel_free(ws[i].mel);
    for (int b = 0; b < 2; b++) {
        for (int i = 0; blk[b].items && i < cap; i++) item_clear(&blk[b].items[i]);
        free(blk[b].items);
        pthread_mutex_destroy(&blk[b].mu);
    }
    free(ws);
    free(th);
    cJSON_Delete(ot.shards);
    free(ot.lens);
    qa_manifest_close(man);
    qa_tokenizer_free(tok);
    st->wall_seconds = now_s() - t0;
    if (o->progress)
        fprintf(stderr, "prepare: done: %lld records, %lld samples in %lld shards, %lld rejected, %.3f h of audio in %.1f s "
                "(%.2f audio h/min)\n", (long long)st->records, (long long)st->samples, (long long)st->shards,
                (long long)st->rejected, st->audio_seconds / 3600, st->wall_seconds,
                st->audio_seconds / 60.0 / fmax(st->wall_seconds, 1e-9));
    if (!s && st->rejected && !o->skip_bad)
        return qa_error(QA_ERR_FORMAT, "%lld of %lld records rejected (reasons in %s); the other samples were written; "
                        "use --skip-bad to accept this", (long long)st->rejected, (long long)st->records, rpath);
    /* an empty dataset is never what was asked for: the loader would only fail later */
    if (!s && st->samples == 0)
        return qa_error(QA_ERR_FORMAT, "no sample written: %s has %lld records, %lld rejected (reasons in %s)",
                        o->manifest, (long long)st->records, (long long)st->rejected, rpath);
    return s;
}
