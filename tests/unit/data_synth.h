/* tests/unit/data_synth.h: synthetic shards for the data tests (test_data_shard.c,
 * test_data_loader.c, test_data_chunks.c): every value is a known function of (sample, audio,
 * bin, frame), so a test can check any batch element without keeping the data. Functions are
 * static inline so that each test uses only what it needs. */
#ifndef QA_TESTS_DATA_SYNTH_H
#define QA_TESTS_DATA_SYNTH_H

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/loader.h"
#include "data/mel.h"
#include "data/shard.h"
#include "data/special_tokens.h"
#include "data/specaugment.h"
#include "tests/support/test.h"


#define FULL 3000

static inline int sample_naudio(int64_t g) { return g % 3 == 0 ? 2 : 1; }
static inline int audio_mel_len(int64_t g, int a) { return 40 + (int)((g * 13 + a * 29) % 230); }
static inline float mel_value(int64_t g, int a, int b, int t) { return (float)g + 0.5f * (float)a + 0.01f * (float)b + 1e-4f * (float)t; }
static inline float floor_value(int64_t g, int a) { return -1.0f - 0.001f * (float)g - 0.1f * (float)a; }
static inline int32_t id_value(int64_t g, int t) { return (int32_t)(g * 1000 + t); }
static inline int32_t label_value(int64_t g, int t) { return t % 3 == 0 ? -100 : id_value(g, t); }
/* The clip length whose mel_len is ml, and the span prepare would give it. */
static inline int64_t audio_samples(int ml) { return (int64_t)ml * 160 + 7; }
static inline int span_of(int64_t samples)
{
    qa_audio_lengths L;
    qa_audio_lengths_compute(samples, &L);
    return L.span_tokens;
}
#define MAX_TOKENS 256
/* Sample g's tokens, laid out as pre-training renders them: each audio's <audio> P..P </audio> run
 * (the first at token 0; one text token between two), then 3 + g % 5 text tokens. Returns the
 * length; ids/labels hold MAX_TOKENS. */
static inline int synth_tokens(int64_t g, int32_t *ids, int32_t *lab)
{
    int n = 0;
    for (int a = 0; a < sample_naudio(g); a++) {
        if (a) {
            ids[n] = id_value(g, n);
            lab[n] = label_value(g, n);
            n++;
        }
        int span = span_of(audio_samples(audio_mel_len(g, a)));
        for (int k = 0; k < span; k++, n++) {
            ids[n] = k == 0 ? QA_TOK_AUDIO_START : k == span - 1 ? QA_TOK_AUDIO_END : QA_TOK_AUDIO_PAD;
            lab[n] = -100;
        }
    }
    for (int k = 0; k < 3 + (int)(g % 5); k++, n++) {
        ids[n] = id_value(g, n);
        lab[n] = label_value(g, n);
    }
    return n;
}

/* Writes samples [g0, g0+n) into path (mel or pcm). */
static inline qa_status write_synth(const char *path, int64_t g0, int64_t n, qa_feat_kind kind)
{
    qa_shard_writer *w;
    qa_status s = qa_shard_writer_open(&w, path, kind, "test", g0 ? 0 : 1);
    if (s) return s;
    float *feat = malloc(sizeof(float) * 80 * FULL);
    int32_t ids[MAX_TOKENS], lab[MAX_TOKENS];
    for (int64_t g = g0; g < g0 + n && !s; g++) {
        int L = synth_tokens(g, ids, lab);
        qa_shard_audio au[2];
        int na = sample_naudio(g);
        float *fa[2] = {feat, NULL};
        float *pcm2 = NULL;
        if (na == 2) fa[1] = pcm2 = malloc(sizeof(float) * 80 * FULL);
        for (int a = 0; a < na; a++) {
            int ml = audio_mel_len(g, a);
            int64_t stored = kind == QA_FEAT_MEL ? (ml + 3 < FULL ? ml + 3 : FULL) : audio_samples(ml);
            for (int b = 0; b < 80; b++)
                for (int t = 0; t < FULL; t++) fa[a][b * FULL + t] = mel_value(g, a, b, t);
            au[a] = (qa_shard_audio){.feat = fa[a], .frames = stored, .stride = FULL, .samples = audio_samples(ml),
                                     .mel_len = ml, .span = span_of(audio_samples(ml)), .floor = floor_value(g, a)};
        }
        char rec[64];
        int rl = snprintf(rec, sizeof rec, "{\"g\":%lld}", (long long)g);
        qa_shard_sample smp = {.ids = ids, .labels = lab, .n_tokens = L, .task = (int32_t)(g % 11), .record = rec,
                               .record_len = (size_t)rl, .n_audio = na, .audio = au};
        s = qa_shard_writer_add(w, &smp);
        free(pcm2);
    }
    free(feat);
    if (s) {
        qa_shard_writer_abort(w);
        return s;
    }
    return qa_shard_writer_commit(w);
}

static const char *dir_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", qa_test_tmpdir(), name);
    return buf;
}

/* Writes DIR/index.json listing n shards (name, sample count) as qaudio prepare does. */
static inline int write_index(const char *dir, const char *const *names, const int *samples, int n)
{
    char p[1024];
    if (snprintf(p, sizeof p, "%s/index.json", dir) >= (int)sizeof p) return -1;
    FILE *f = fopen(p, "w");
    if (!f) return -1;
    fprintf(f, "{\"schema_version\": 1, \"shards\": [");
    for (int i = 0; i < n; i++) fprintf(f, "%s{\"file\": \"%s\", \"samples\": %d}", i ? ", " : "", names[i], samples[i]);
    fprintf(f, "]}\n");
    return fclose(f);
}

/* Two mel shards (37 + 26 samples) and their index.json under tmp/mel/, made once. */
static const char *mel_dir(qa_t *t)
{
    static char dir[512];
    if (!dir[0]) {
        dir_path(dir, sizeof dir, "mel");
        char cmd[600], p[600];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
        CHECK(t, system(cmd) == 0);
        snprintf(p, sizeof p, "%s/shard-00000.h5", dir);
        CHECK_OK(t, write_synth(p, 0, 37, QA_FEAT_MEL));
        snprintf(p, sizeof p, "%s/shard-00001.h5", dir);
        CHECK_OK(t, write_synth(p, 37, 26, QA_FEAT_MEL));
        const char *names[] = {"shard-00000.h5", "shard-00001.h5"};
        const int counts[] = {37, 26};
        CHECK(t, write_index(dir, names, counts, 2) == 0);
    }
    return dir;
}
#define N_TOTAL 63


static inline int copy_prefix(const char *src, const char *dst, long n)
{
    FILE *a = fopen(src, "rb"), *b = fopen(dst, "wb");
    if (!a || !b) return -1;
    char buf[4096];
    long left = n;
    while (left > 0) {
        size_t k = fread(buf, 1, left < 4096 ? (size_t)left : 4096, a);
        if (!k) break;
        fwrite(buf, 1, k, b);
        left -= (long)k;
    }
    fclose(a);
    fclose(b);
    return 0;
}

static inline long file_size(const char *p)
{
    FILE *f = fopen(p, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}


static inline qa_loader *make_loader(qa_t *t, int B, int rank, int world, uint64_t seed, int prefetch, int aug)
{
    qa_loader_opts o = qa_loader_opts_default;
    o.batch_size = B;
    o.rank = rank;
    o.world = world;
    o.seed = seed;
    o.prefetch = prefetch;
    o.n_buckets = 2;
    o.bucket_bounds[0] = 40;
    o.bucket_bounds[1] = 80;
    if (aug) o.specaug = qa_specaug_lb;
    const char *paths[] = {mel_dir(t)};
    qa_loader *l = NULL;
    CHECK_OK(t, qa_loader_new(&l, paths, 1, &o));
    return l;
}

/* Checks one batch against the synthetic values. Returns the number of mismatches. */
static inline int check_batch(const qa_batch *b)
{
    int bad = 0, na = 0, maxt = 0;
    for (int a = 0; a < b->n_audio; a++)
        if (2 * b->t_cnn[a] > maxt) maxt = 2 * b->t_cnn[a];
    bad += b->n_audio > 0 && b->F != maxt;
    for (int i = 0; i < b->n; i++) {
        int64_t g = b->sample[i];
        int32_t wi[MAX_TOKENS], wl[MAX_TOKENS];
        int L = synth_tokens(g, wi, wl);
        bad += b->lengths[i] != L || L > b->T;
        for (int k = 0; k < b->T; k++) {
            bad += b->ids[i * b->T + k] != (k < L ? wi[k] : 151643);
            bad += b->labels[i * b->T + k] != (k < L ? wl[k] : -100);
        }
        for (int a = 0; a < sample_naudio(g); a++, na++) {
            bad += b->audio_row[na] != i || b->mel_len[na] != audio_mel_len(g, a);
            const float *m = b->mel + (int64_t)na * 80 * b->F;
            for (int bin = 0; bin < 80; bin += 7)
                for (int f = 0; f < b->F; f++)
                    bad += m[bin * b->F + f] != (f < audio_mel_len(g, a) + 3 ? mel_value(g, a, bin, f) : floor_value(g, a));
        }
    }
    bad += na != b->n_audio;
    return bad;
}


#endif
