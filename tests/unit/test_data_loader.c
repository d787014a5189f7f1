/* Unit tests for data/shard (write, read, corrupt files), data/loader (coverage, rank slices,
 * shuffles, buckets, resume, prefetch) and data/specaugment, on synthetic shards whose every value
 * is a known function of (sample, audio, bin, frame). */
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

static int sample_naudio(int64_t g) { return g % 3 == 0 ? 2 : 1; }
static int audio_mel_len(int64_t g, int a) { return 40 + (int)((g * 13 + a * 29) % 230); }
static float mel_value(int64_t g, int a, int b, int t) { return (float)g + 0.5f * (float)a + 0.01f * (float)b + 1e-4f * (float)t; }
static float floor_value(int64_t g, int a) { return -1.0f - 0.001f * (float)g - 0.1f * (float)a; }
static int32_t id_value(int64_t g, int t) { return (int32_t)(g * 1000 + t); }
static int32_t label_value(int64_t g, int t) { return t % 3 == 0 ? -100 : id_value(g, t); }
/* The clip length whose mel_len is ml, and the span prepare would give it. */
static int64_t audio_samples(int ml) { return (int64_t)ml * 160 + 7; }
static int span_of(int64_t samples)
{
    qa_audio_lengths L;
    qa_audio_lengths_compute(samples, &L);
    return L.span_tokens;
}
#define MAX_TOKENS 256
/* Sample g's tokens, laid out as pre-training renders them: each audio's <audio> P..P </audio> run
 * (the first at token 0; one text token between two), then 3 + g % 5 text tokens. Returns the
 * length; ids/labels hold MAX_TOKENS. */
static int synth_tokens(int64_t g, int32_t *ids, int32_t *lab)
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
static qa_status write_synth(const char *path, int64_t g0, int64_t n, qa_feat_kind kind)
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
static int write_index(const char *dir, const char *const *names, const int *samples, int n)
{
    char p[600];
    snprintf(p, sizeof p, "%s/index.json", dir);
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

static void test_shard_roundtrip(qa_t *t)
{
    char p[600];
    snprintf(p, sizeof p, "%s/shard-00001.h5", mel_dir(t));
    qa_shard *sh;
    CHECK_OK(t, qa_shard_open(&sh, p));
    if (!sh) return;
    const qa_shard_index *ix = qa_shard_get_index(sh);
    CHECK(t, ix->n_samples == 26 && ix->kind == QA_FEAT_MEL);
    float *mel = malloc(sizeof(float) * 80 * FULL);
    int bad = 0;
    for (int64_t k = 0; k < ix->n_samples; k++) {
        int64_t g = 37 + k;
        int32_t ids[MAX_TOKENS], lab[MAX_TOKENS], wi[MAX_TOKENS], wl[MAX_TOKENS];
        int L = synth_tokens(g, wi, wl);
        CHECK(t, ix->tok_off[k + 1] - ix->tok_off[k] == L);
        CHECK_OK(t, qa_shard_read_tokens(sh, k, ids, lab));
        for (int i = 0; i < L; i++) bad += ids[i] != wi[i] || lab[i] != wl[i];
        CHECK(t, ix->audio_off[k + 1] - ix->audio_off[k] == sample_naudio(g));
        for (int a = 0; a < sample_naudio(g); a++) {
            int64_t j = ix->audio_off[k] + a;
            int ml = audio_mel_len(g, a), F = 2 * ((ml - 1) / 2 + 1) + 10;
            CHECK(t, ix->mel_len[j] == ml);
            CHECK_OK(t, qa_shard_read_mel(sh, j, mel, F));
            for (int b = 0; b < 80; b++)
                for (int f = 0; f < F; f++) {
                    float want = f < ml + 3 ? mel_value(g, a, b, f) : floor_value(g, a);
                    bad += mel[b * F + f] != want;
                }
        }
        char *rec;
        CHECK_OK(t, qa_shard_read_record(sh, k, &rec));
        char want[64];
        snprintf(want, sizeof want, "{\"g\":%lld}", (long long)g);
        CHECK(t, rec && !strcmp(rec, want));
        free(rec);
    }
    CHECK_MSG(t, bad == 0, "%d values differ", bad);
    CHECK_STATUS(t, qa_shard_read_tokens(sh, 26, NULL, NULL), QA_ERR_ARG);
    free(mel);
    qa_shard_close(sh);
}

static void test_shard_pcm(qa_t *t)
{
    char p[600];
    dir_path(p, sizeof p, "pcm.h5");
    CHECK_OK(t, write_synth(p, 0, 5, QA_FEAT_PCM));
    qa_shard *sh;
    CHECK_OK(t, qa_shard_open(&sh, p));
    if (!sh) return;
    const qa_shard_index *ix = qa_shard_get_index(sh);
    CHECK(t, ix->kind == QA_FEAT_PCM && ix->n_audio == 7);
    CHECK(t, qa_shard_direct(sh) == 1); /* deflate 1: read through the direct chunk path */
    float *pcm = malloc(sizeof(float) * 80 * FULL);
    int bad = 0;
    for (int64_t j = 0; j < ix->n_audio; j++) {
        CHECK_OK(t, qa_shard_read_pcm(sh, j, pcm));
        int64_t n = ix->feat_off[j + 1] - ix->feat_off[j];
        CHECK(t, n == ix->samples[j]);
        /* PCM was taken from the same (80, 3000) buffer, flat */
        int64_t g = 0, k = 0;
        while (ix->audio_off[k + 1] <= j) k++;
        g = k;
        int a = (int)(j - ix->audio_off[k]);
        for (int64_t i = 0; i < n; i++) bad += pcm[i] != mel_value(g, a, (int)(i / FULL), (int)(i % FULL));
    }
    CHECK_MSG(t, bad == 0, "%d samples differ", bad);
    CHECK_STATUS(t, qa_shard_read_mel(sh, 0, pcm, 10), QA_ERR_ARG);
    free(pcm);
    qa_shard_close(sh);
}

static int copy_prefix(const char *src, const char *dst, long n)
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

static long file_size(const char *p)
{
    FILE *f = fopen(p, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static void test_shard_errors(qa_t *t)
{
    char good[600], p[600];
    snprintf(good, sizeof good, "%s/shard-00000.h5", mel_dir(t));
    qa_shard *sh = NULL;
    /* truncated */
    dir_path(p, sizeof p, "trunc.h5");
    CHECK(t, copy_prefix(good, p, file_size(good) / 2) == 0);
    CHECK_STATUS(t, qa_shard_open(&sh, p), QA_ERR_FORMAT);
    CHECK_MSG(t, strstr(qa_error_message(), "trunc.h5") != NULL, "message: %s", qa_error_message());
    CHECK(t, sh == NULL);
    /* missing */
    dir_path(p, sizeof p, "nope.h5");
    CHECK_STATUS(t, qa_shard_open(&sh, p), QA_ERR_IO);
    CHECK(t, strstr(qa_error_message(), "nope.h5") != NULL);
    /* wrong schema version */
    dir_path(p, sizeof p, "schema.h5");
    CHECK(t, copy_prefix(good, p, file_size(good)) == 0);
    hid_t f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t a = H5Aopen(f, "schema_version", H5P_DEFAULT);
    int64_t v = 2;
    CHECK(t, H5Awrite(a, H5T_NATIVE_INT64, &v) >= 0);
    H5Aclose(a);
    H5Fclose(f);
    CHECK_STATUS(t, qa_shard_open(&sh, p), QA_ERR_FORMAT);
    CHECK_MSG(t, strstr(qa_error_message(), "schema version 2") && strstr(qa_error_message(), "schema.h5"),
              "message: %s", qa_error_message());
    /* offsets that do not add up */
    dir_path(p, sizeof p, "offsets.h5");
    CHECK(t, copy_prefix(good, p, file_size(good)) == 0);
    f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "tok_off", H5P_DEFAULT);
    int64_t off[38];
    H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, off);
    off[37] += 5;
    CHECK(t, H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, off) >= 0);
    H5Dclose(d);
    H5Fclose(f);
    CHECK_STATUS(t, qa_shard_open(&sh, p), QA_ERR_FORMAT);
    CHECK_MSG(t, strstr(qa_error_message(), "tok_off") && strstr(qa_error_message(), "offsets.h5"), "message: %s",
              qa_error_message());
    /* the loader reports the same, naming the file */
    const char *paths[] = {good, p};
    qa_loader *l = NULL;
    CHECK_STATUS(t, qa_loader_new(&l, paths, 2, NULL), QA_ERR_FORMAT);
    CHECK(t, strstr(qa_error_message(), "offsets.h5") != NULL);
    /* an interrupted writer leaves no file under the final name */
    qa_shard_writer *w;
    dir_path(p, sizeof p, "aborted.h5");
    CHECK_OK(t, qa_shard_writer_open(&w, p, QA_FEAT_MEL, "test", 1));
    qa_shard_writer_abort(w);
    CHECK_STATUS(t, qa_shard_writer_open(&w, p, QA_FEAT_MEL, "test", 10), QA_ERR_ARG);
    CHECK_OK(t, qa_shard_writer_open(&w, p, QA_FEAT_MEL, "test", 0));
    qa_shard_writer_abort(w);
    CHECK(t, file_size(p) < 0);
}

/* Adds delta to element idx of a 1-d integer dataset (int32 or int64) of a shard, in place. */
static int edit_int(const char *path, const char *name, int64_t idx, int64_t delta)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return -1;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT), sp = H5Dget_space(d);
    hsize_t n = 0;
    H5Sget_simple_extent_dims(sp, &n, NULL);
    int64_t *v = malloc(sizeof(int64_t) * (n ? n : 1));
    herr_t e = (hsize_t)idx < n ? H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) : -1;
    if (e >= 0) {
        v[idx] += delta;
        e = H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v); /* converted to the file type */
    }
    free(v);
    H5Sclose(sp);
    H5Dclose(d);
    H5Fclose(f);
    return e < 0 ? -1 : 0;
}

/* Opening a shard whose small arrays were hand-edited (each edit keeps the offsets monotone and
 * adding up, which the older checks accepted) fails with an error naming the file, the sample and
 * the inconsistency; so does the loader. */
static void test_shard_consistency(qa_t *t)
{
    char good[600], p[600];
    snprintf(good, sizeof good, "%s/shard-00000.h5", mel_dir(t));
    qa_shard *sh = NULL;
    CHECK_OK(t, qa_shard_open(&sh, good)); /* the unedited shard is consistent */
    qa_shard_close(sh);
    static const struct {
        const char *ds;
        int64_t idx, delta;
        const char *sample, *what;
    } edits[] = {
        {"span", 0, 1, "sample 0:", "span"},               /* span[0] += 1: its run is one token short */
        {"span", 0, -1, "sample 0:", "span"},
        {"tok_off", 5, 1, "sample 4:", "<audio>"},         /* sample 4 takes sample 5's <audio> */
        {"tok_off", 5, 3, "sample 4:", "<audio>"},
        {"audio_off", 1, 1, "sample 0:", "audio"},          /* sample 0 claims a third audio */
        {"mel_len", 2, 1, "sample 1:", "mel_len"},
        {"samples", 2, 160, "sample 1:", "mel_len"},
        {"feat_off", 3, 1, "sample 1:", "stored"},          /* audio 2 (sample 1's) one frame longer */
        {"task", 0, 40, "sample 0:", "task"},
    };
    int n_edits = (int)(sizeof edits / sizeof *edits);
    for (int e = 0; e < n_edits; e++) {
        snprintf(p, sizeof p, "%s/edit%d.h5", qa_test_tmpdir(), e);
        CHECK(t, copy_prefix(good, p, file_size(good)) == 0);
        CHECK(t, edit_int(p, edits[e].ds, edits[e].idx, edits[e].delta) == 0);
        sh = NULL;
        qa_status st = qa_shard_open(&sh, p);
        const char *m = qa_error_message();
        char fname[32];
        snprintf(fname, sizeof fname, "edit%d.h5", e);
        CHECK_MSG(t, st == QA_ERR_FORMAT && sh == NULL, "%s[%lld] += %lld: status %d", edits[e].ds,
                  (long long)edits[e].idx, (long long)edits[e].delta, (int)st);
        CHECK_MSG(t, strstr(m, fname) && strstr(m, edits[e].sample) && strstr(m, edits[e].what) &&
                      strstr(m, "re-run qaudio prepare"),
                  "%s[%lld] += %lld: message: %s", edits[e].ds, (long long)edits[e].idx, (long long)edits[e].delta, m);
        qa_shard_close(sh);
    }
    /* the loader reports it too */
    snprintf(p, sizeof p, "%s/edit0.h5", qa_test_tmpdir());
    const char *paths[] = {good, p};
    qa_loader *l = NULL;
    CHECK_STATUS(t, qa_loader_new(&l, paths, 2, NULL), QA_ERR_FORMAT);
    CHECK(t, strstr(qa_error_message(), "edit0.h5") && strstr(qa_error_message(), "sample 0"));
}

/* Rewrites the "ids" of a copy of src as another tool might: chunk width cw (0 = contiguous),
 * pipeline 0 = [shuffle, deflate 6], 1 = [deflate 4], 2 = none, 3 = [shuffle, deflate, fletcher32]. */
static int rewrite_ids(const char *src, const char *dst, int cw, int pipeline)
{
    if (copy_prefix(src, dst, file_size(src)) != 0) return -1;
    hid_t f = H5Fopen(dst, H5F_ACC_RDWR, H5P_DEFAULT), d = H5Dopen2(f, "ids", H5P_DEFAULT), sp = H5Dget_space(d);
    hsize_t n = 0;
    H5Sget_simple_extent_dims(sp, &n, NULL);
    int32_t *all = malloc(sizeof(int32_t) * (n ? n : 1));
    herr_t e = H5Dread(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, all);
    H5Dclose(d);
    H5Ldelete(f, "ids", H5P_DEFAULT);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (cw > 0) {
        hsize_t ch = (hsize_t)cw;
        H5Pset_chunk(dcpl, 1, &ch);
        if (pipeline == 0 || pipeline == 3) H5Pset_shuffle(dcpl);
        if (pipeline != 2) H5Pset_deflate(dcpl, pipeline == 1 ? 4 : 6);
        if (pipeline == 3) H5Pset_fletcher32(dcpl);
    }
    hid_t fixed = H5Screate_simple(1, &n, NULL); /* contiguous datasets cannot be extensible */
    d = H5Dcreate2(f, "ids", H5T_STD_I32LE, fixed, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (e >= 0) e = d < 0 ? -1 : H5Dwrite(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, all);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(fixed);
    H5Sclose(sp);
    H5Fclose(f);
    free(all);
    return e < 0 ? -1 : 0;
}

/* The ids pass reads chunks itself for [shuffle, deflate] and [deflate] (samples straddling
 * chunks, partial last chunk) and through H5Dread otherwise: same verdicts either way. */
static void test_shard_consistency_layouts(qa_t *t)
{
    char good[600], p[600], q[600];
    snprintf(good, sizeof good, "%s/shard-00000.h5", mel_dir(t));
    const int widths[] = {97, 1000, 0, 50, 64};
    const int pipes[] = {0, 1, 2, 3, 2};
    for (int k = 0; k < 5; k++) {
        snprintf(p, sizeof p, "%s/ids_layout%d.h5", qa_test_tmpdir(), k);
        CHECK(t, rewrite_ids(good, p, widths[k], pipes[k]) == 0);
        qa_shard *sh = NULL;
        CHECK_MSG(t, qa_shard_open(&sh, p) == QA_OK, "layout %d: %s", k, qa_error_message());
        qa_shard_close(sh);
        /* sample 20's first <audio> moved into sample 19 */
        snprintf(q, sizeof q, "%s/ids_layout%d_edit.h5", qa_test_tmpdir(), k);
        CHECK(t, copy_prefix(p, q, file_size(p)) == 0);
        CHECK(t, edit_int(q, "tok_off", 20, 1) == 0);
        sh = NULL;
        CHECK_STATUS(t, qa_shard_open(&sh, q), QA_ERR_FORMAT);
        CHECK_MSG(t, strstr(qa_error_message(), "sample 19:") && strstr(qa_error_message(), "<audio>"),
                  "layout %d: message: %s", k, qa_error_message());
        /* a flipped token in the last sample, past several chunk edges */
        CHECK(t, copy_prefix(p, q, file_size(p)) == 0);
        hid_t f = H5Fopen(q, H5F_ACC_RDWR, H5P_DEFAULT), d = H5Dopen2(f, "ids", H5P_DEFAULT), sp = H5Dget_space(d);
        hsize_t n = 0, pos;
        H5Sget_simple_extent_dims(sp, &n, NULL);
        int64_t last;
        hid_t od = H5Dopen2(f, "tok_off", H5P_DEFAULT), osp = H5Dget_space(od), ms1 = H5Screate_simple(1, (hsize_t[]){1}, NULL);
        pos = 36;
        H5Sselect_elements(osp, H5S_SELECT_SET, 1, &pos);
        H5Dread(od, H5T_NATIVE_INT64, ms1, osp, H5P_DEFAULT, &last); /* sample 36 starts with its <audio> */
        int32_t v = 12345;
        pos = (hsize_t)last;
        H5Sselect_elements(sp, H5S_SELECT_SET, 1, &pos);
        CHECK(t, H5Dwrite(d, H5T_NATIVE_INT32, ms1, sp, H5P_DEFAULT, &v) >= 0);
        H5Sclose(ms1);
        H5Sclose(osp);
        H5Dclose(od);
        H5Sclose(sp);
        H5Dclose(d);
        H5Fclose(f);
        sh = NULL;
        CHECK_STATUS(t, qa_shard_open(&sh, q), QA_ERR_FORMAT);
        CHECK_MSG(t, strstr(qa_error_message(), "sample 36:"), "layout %d: message: %s", k, qa_error_message());
    }
}

/* Another vocabulary: the shard records its audio ids and the reader checks the runs with them. */
static void test_shard_audio_ids(qa_t *t)
{
    char p[600];
    dir_path(p, sizeof p, "vocab.h5");
    qa_shard_writer *w;
    CHECK_OK(t, qa_shard_writer_open(&w, p, QA_FEAT_PCM, "test", 1));
    if (!w) return;
    qa_shard_writer_set_audio_ids(w, 5, 6, 7);
    int64_t n = 800;
    float *pcm = calloc((size_t)n, sizeof(float));
    int span = span_of(n);
    int32_t ids[16], lab[16];
    int L = 0;
    ids[L++] = 9; /* a text token, then <audio> P.. </audio> in this vocabulary */
    for (int k = 0; k < span; k++) ids[L++] = k == 0 ? 5 : k == span - 1 ? 6 : 7;
    ids[L++] = 11;
    for (int k = 0; k < L; k++) lab[k] = -100;
    qa_shard_audio au = {.feat = pcm, .frames = n, .samples = n, .mel_len = 5, .span = span};
    qa_shard_sample smp = {.ids = ids, .labels = lab, .n_tokens = L, .record = "{}", .record_len = 2, .n_audio = 1,
                           .audio = &au};
    CHECK_OK(t, qa_shard_writer_add(w, &smp));
    CHECK_OK(t, qa_shard_writer_commit(w));
    free(pcm);
    qa_shard *sh = NULL;
    CHECK_OK(t, qa_shard_open(&sh, p));
    qa_shard_close(sh);
    /* the same ids read as Qwen's (attribute pointing elsewhere): no run where the sample needs one */
    hid_t f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t a = H5Aopen(f, "audio_start_id", H5P_DEFAULT);
    int64_t v = QA_TOK_AUDIO_START;
    CHECK(t, H5Awrite(a, H5T_NATIVE_INT64, &v) >= 0);
    H5Aclose(a);
    H5Fclose(f);
    sh = NULL;
    CHECK_STATUS(t, qa_shard_open(&sh, p), QA_ERR_FORMAT);
    CHECK_MSG(t, strstr(qa_error_message(), "vocab.h5") && strstr(qa_error_message(), "sample 0"), "message: %s",
              qa_error_message());
}

/* A directory must hold the index.json prepare writes last, listing exactly its shards; explicit
 * shard paths and globs need no index. */
static void test_loader_dir_index(qa_t *t)
{
    char dir[600], cmd[2600], p[700];
    const char *src = mel_dir(t);
    dir_path(dir, sizeof dir, "partial");
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cp '%s'/shard-0000*.h5 '%s'/", dir, dir, src, dir);
    CHECK(t, system(cmd) == 0);
    const char *paths[] = {dir};
    qa_loader *l = NULL;
    /* what an interrupted prepare leaves: whole shards, no index.json */
    CHECK_STATUS(t, qa_loader_new(&l, paths, 1, NULL), QA_ERR_FORMAT);
    const char *m = qa_error_message();
    CHECK_MSG(t, strstr(m, dir) && strstr(m, "index.json") && strstr(m, "prepare was interrupted") &&
                  strstr(m, "re-run qaudio prepare"), "message: %s", m);
    CHECK(t, l == NULL);
    /* a glob and explicit paths still work without an index */
    snprintf(p, sizeof p, "%s/shard-*.h5", dir);
    const char *glob_paths[] = {p};
    CHECK_OK(t, qa_loader_new(&l, glob_paths, 1, NULL));
    CHECK(t, l && qa_loader_num_samples(l) == N_TOTAL);
    qa_loader_free(l);
    l = NULL;
    char p0[700], p1[700];
    snprintf(p0, sizeof p0, "%s/shard-00000.h5", dir);
    snprintf(p1, sizeof p1, "%s/shard-00001.h5", dir);
    const char *two[] = {p0, p1};
    CHECK_OK(t, qa_loader_new(&l, two, 2, NULL));
    CHECK(t, l && qa_loader_num_samples(l) == N_TOTAL);
    qa_loader_free(l);
    l = NULL;
    /* the index lists a shard that is missing */
    const char *names3[] = {"shard-00000.h5", "shard-00001.h5", "shard-00002.h5"};
    const int counts3[] = {37, 26, 10};
    CHECK(t, write_index(dir, names3, counts3, 3) == 0);
    CHECK_STATUS(t, qa_loader_new(&l, paths, 1, NULL), QA_ERR_FORMAT);
    CHECK_MSG(t, strstr(qa_error_message(), "shard-00002.h5") && strstr(qa_error_message(), "missing"), "message: %s",
              qa_error_message());
    /* a shard present but not listed */
    CHECK(t, write_index(dir, names3, counts3, 1) == 0);
    CHECK_STATUS(t, qa_loader_new(&l, paths, 1, NULL), QA_ERR_FORMAT);
    CHECK_MSG(t, strstr(qa_error_message(), "shard-00001.h5") && strstr(qa_error_message(), "not listed"),
              "message: %s", qa_error_message());
    /* a listed shard with another sample count */
    const int wrong[] = {37, 25};
    CHECK(t, write_index(dir, names3, wrong, 2) == 0);
    CHECK_STATUS(t, qa_loader_new(&l, paths, 1, NULL), QA_ERR_FORMAT);
    CHECK_MSG(t, strstr(qa_error_message(), "shard-00001.h5") && strstr(qa_error_message(), "25"), "message: %s",
              qa_error_message());
    /* complete again */
    CHECK(t, write_index(dir, names3, counts3, 2) == 0);
    CHECK_OK(t, qa_loader_new(&l, paths, 1, NULL));
    CHECK(t, l && qa_loader_num_samples(l) == N_TOTAL);
    qa_loader_free(l);
}

static qa_loader *make_loader(qa_t *t, int B, int rank, int world, uint64_t seed, int prefetch, int aug)
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
static int check_batch(const qa_batch *b)
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

static void test_loader_epoch_covers(qa_t *t)
{
    int world = 3, B = 4;
    int seen[N_TOTAL] = {0};
    int64_t steps = -1;
    for (int r = 0; r < world; r++) {
        qa_loader *l = make_loader(t, B, r, world, 7, 2, 0);
        if (!l) return;
        if (steps < 0) steps = qa_loader_steps_per_epoch(l);
        CHECK(t, qa_loader_steps_per_epoch(l) == steps);
        int bad = 0;
        for (int64_t k = 0; k < steps; k++) {
            const qa_batch *b;
            CHECK_OK(t, qa_loader_next(l, &b));
            if (!b) break;
            CHECK(t, b->epoch == 0 && b->step == k && b->n <= B);
            CHECK(t, b->T == 40 || b->T == 80 || b->T % 8 == 0);
            bad += check_batch(b);
            for (int i = 0; i < b->n; i++) seen[b->sample[i]]++;
        }
        CHECK_MSG(t, bad == 0, "rank %d: %d mismatches", r, bad);
        const qa_batch *b;
        CHECK_OK(t, qa_loader_next(l, &b)); /* rolls into epoch 1 */
        CHECK(t, b && b->epoch == 1 && b->step == 0);
        qa_loader_free(l);
    }
    int once = 0;
    for (int i = 0; i < N_TOTAL; i++) once += seen[i] == 1;
    CHECK_MSG(t, once == N_TOTAL, "%d of %d samples seen exactly once over the 3 ranks", once, N_TOTAL);
}

/* drop_last: only full batches; without it, the small final batches still give every rank a step
 * (possibly empty) so ranks stay in lockstep. */
static void test_loader_drop_last_and_empty(qa_t *t)
{
    const char *paths[] = {mel_dir(t)};
    qa_loader_opts o = qa_loader_opts_default;
    o.batch_size = 4;
    o.world = 5;
    o.rank = 4;
    o.prefetch = 0;
    o.drop_last = 1;
    qa_loader *l = NULL;
    CHECK_OK(t, qa_loader_new(&l, paths, 1, &o));
    if (!l) return;
    CHECK(t, qa_loader_steps_per_epoch(l) == N_TOTAL / 20);
    for (int64_t k = 0; k < qa_loader_steps_per_epoch(l); k++) {
        const qa_batch *b;
        CHECK_OK(t, qa_loader_next(l, &b));
        CHECK(t, b && b->n == 4);
    }
    qa_loader_free(l);
    /* 63 samples, global batch 20 -> 4 steps; the last global batch has 3 samples, cut into 5
     * slices [r*3/5, (r+1)*3/5): ranks 1, 3, 4 get one each, ranks 0 and 2 an empty step */
    o.drop_last = 0;
    int total = 0, empty = 0;
    for (int r = 0; r < 5; r++) {
        o.rank = r;
        CHECK_OK(t, qa_loader_new(&l, paths, 1, &o));
        if (!l) return;
        CHECK(t, qa_loader_steps_per_epoch(l) == 4);
        for (int64_t k = 0; k < 4; k++) {
            const qa_batch *b;
            CHECK_OK(t, qa_loader_next(l, &b));
            if (!b) break;
            total += b->n;
            empty += b->n == 0;
            if (b->n == 0) CHECK(t, b->n_audio == 0);
        }
        qa_loader_free(l);
    }
    CHECK_MSG(t, total == N_TOTAL && empty == 2, "%d samples, %d empty slices", total, empty);
    o.rank = 5;
    CHECK_STATUS(t, qa_loader_new(&l, paths, 1, &o), QA_ERR_CONFIG);
}

/* Order of samples over a full epoch of a single-rank loader. */
static void epoch_order(qa_t *t, qa_loader *l, int64_t *order)
{
    int n = 0;
    for (int64_t k = 0; k < qa_loader_steps_per_epoch(l); k++) {
        const qa_batch *b;
        CHECK_OK(t, qa_loader_next(l, &b));
        if (!b) return;
        for (int i = 0; i < b->n && n < N_TOTAL; i++) order[n++] = b->sample[i];
    }
}

static void test_loader_shuffles(qa_t *t)
{
    int64_t a0[N_TOTAL], a1[N_TOTAL], b0[N_TOTAL], c0[N_TOTAL];
    qa_loader *a = make_loader(t, 5, 0, 1, 11, 2, 0), *b = make_loader(t, 5, 0, 1, 11, 0, 0);
    qa_loader *c = make_loader(t, 5, 0, 1, 12, 1, 0);
    if (!a || !b || !c) return;
    epoch_order(t, a, a0);
    epoch_order(t, a, a1);
    epoch_order(t, b, b0);
    epoch_order(t, c, c0);
    CHECK_MSG(t, !memcmp(a0, b0, sizeof a0), "same seed, two runs: different orders");
    CHECK_MSG(t, memcmp(a0, a1, sizeof a0) != 0, "epochs 0 and 1 in the same order");
    CHECK_MSG(t, memcmp(a0, c0, sizeof a0) != 0, "seeds 11 and 12 in the same order");
    qa_loader_free(a);
    qa_loader_free(b);
    qa_loader_free(c);
}

static int batches_equal(const qa_batch *x, const qa_batch *y)
{
    if (x->n != y->n || x->T != y->T || x->n_audio != y->n_audio || x->F != y->F || x->epoch != y->epoch ||
        x->step != y->step)
        return 0;
    return !memcmp(x->ids, y->ids, sizeof(int32_t) * (size_t)(x->n * x->T)) &&
           !memcmp(x->labels, y->labels, sizeof(int32_t) * (size_t)(x->n * x->T)) &&
           !memcmp(x->sample, y->sample, sizeof(int64_t) * (size_t)x->n) &&
           !memcmp(x->mel, y->mel, sizeof(float) * (size_t)x->n_audio * 80 * (size_t)x->F);
}

static void test_loader_resume(qa_t *t)
{
    /* with SpecAugment on, to check that the masks resume too */
    qa_loader *a = make_loader(t, 3, 1, 2, 5, 2, 1), *b = make_loader(t, 3, 1, 2, 5, 3, 1);
    if (!a || !b) return;
    int64_t steps = qa_loader_steps_per_epoch(a);
    const qa_batch *x, *y;
    for (int64_t k = 0; k < steps + 2; k++) CHECK_OK(t, qa_loader_next(a, &x));
    int64_t e, c;
    qa_loader_get_position(a, &e, &c);
    CHECK(t, e == 1 && c == 2);
    CHECK_OK(t, qa_loader_next(a, &x));
    CHECK_OK(t, qa_loader_set_position(b, e, c));
    CHECK_OK(t, qa_loader_next(b, &y));
    CHECK_MSG(t, x && y && batches_equal(x, y), "batch after resume differs");
    CHECK_OK(t, qa_loader_next(a, &x));
    CHECK_OK(t, qa_loader_next(b, &y));
    CHECK(t, x && y && batches_equal(x, y));
    CHECK_STATUS(t, qa_loader_set_position(b, 0, steps + 1), QA_ERR_ARG);
    qa_loader_free(a);
    qa_loader_free(b);
}

/* ---- direct chunk path (data/shard_chunk.c) ---- */

/* Mel frames of random bit patterns (NaNs and denormals included: the path must copy bytes, not
 * values) for audios whose stored frames straddle chunk edges in every way. */
static const int rand_ml[] = {3, 253, 254, 509, 1000, 2997, 130, 3000};
#define N_RAND 8

static uint32_t rand_bits(uint64_t *st)
{
    *st ^= *st << 13;
    *st ^= *st >> 7;
    *st ^= *st << 17;
    return (uint32_t)(*st >> 11);
}

static qa_status write_rand(const char *path, int level)
{
    qa_shard_writer *w;
    qa_status s = qa_shard_writer_open(&w, path, QA_FEAT_MEL, "test", level);
    if (s) return s;
    float *feat = malloc(sizeof(float) * 80 * FULL);
    uint64_t st = 0x9E3779B97F4A7C15ull;
    for (int g = 0; g < N_RAND && !s; g++) {
        for (int i = 0; i < 80 * FULL; i++) {
            uint32_t v = rand_bits(&st);
            /* half the samples smooth (compressible), half random (deflate may store them raw) */
            if (g % 2) memcpy(&feat[i], &v, 4);
            else feat[i] = (float)(i % FULL) * 1e-3f - (float)(v % 7);
        }
        int ml = rand_ml[g];
        int span = span_of((int64_t)ml * 160);
        qa_shard_audio au = {.feat = feat, .frames = ml + 3 < FULL ? ml + 3 : FULL, .stride = FULL,
                             .samples = (int64_t)ml * 160, .mel_len = ml, .span = span, .floor = -0.5f - (float)g};
        int32_t ids[800], lab[800];
        for (int k = 0; k < span; k++) {
            ids[k] = k == 0 ? QA_TOK_AUDIO_START : k == span - 1 ? QA_TOK_AUDIO_END : QA_TOK_AUDIO_PAD;
            lab[k] = -100;
        }
        qa_shard_sample smp = {.ids = ids, .labels = lab, .n_tokens = span, .record = "{}", .record_len = 2,
                               .n_audio = 1, .audio = &au};
        s = qa_shard_writer_add(w, &smp);
    }
    free(feat);
    if (s) {
        qa_shard_writer_abort(w);
        return s;
    }
    return qa_shard_writer_commit(w);
}

static void test_shard_direct_chunks(qa_t *t)
{
    char p[600];
    const int levels[] = {1, 9, 0};
    float *a = malloc(sizeof(float) * 80 * FULL), *b = malloc(sizeof(float) * 80 * FULL);
    for (int li = 0; li < 3; li++) {
        snprintf(p, sizeof p, "%s/rand%d.h5", qa_test_tmpdir(), levels[li]);
        CHECK_OK(t, write_rand(p, levels[li]));
        qa_shard *sh = NULL;
        CHECK_OK(t, qa_shard_open(&sh, p));
        if (!sh) break;
        CHECK_MSG(t, qa_shard_direct(sh) == (levels[li] > 0), "level %d: direct %d", levels[li], qa_shard_direct(sh));
        int bad = 0, cases = 0;
        for (int64_t j = 0; j < N_RAND; j++) {
            int64_t stored = qa_shard_get_index(sh)->feat_off[j + 1] - qa_shard_get_index(sh)->feat_off[j];
            int64_t Fs[] = {2, stored - 1, stored, stored + 5, FULL};
            for (int k = 0; k < 5; k++) {
                int64_t F = Fs[k] < 1 ? 1 : Fs[k] > FULL ? FULL : Fs[k];
                memset(a, 0xA5, sizeof(float) * 80 * (size_t)F);
                memset(b, 0x5A, sizeof(float) * 80 * (size_t)F);
                CHECK_OK(t, qa_shard_read_mel(sh, j, a, F));
                CHECK_OK(t, qa_shard_read_mel_hdf5(sh, j, b, F));
                bad += memcmp(a, b, sizeof(float) * 80 * (size_t)F) != 0;
                cases++;
            }
        }
        CHECK_MSG(t, bad == 0, "level %d: %d of %d reads differ from H5Dread", levels[li], bad, cases);
        qa_shard_close(sh);
    }
    free(a);
    free(b);
}

/* Rewrites dst's "feat" (a copy of src) through HDF5's own filters: chunk width `cw`, pipeline
 * 0 = [shuffle, deflate 6], 1 = [deflate 4], 2 = [shuffle, deflate, fletcher32] (not decoded by
 * qaudio: H5Dread fallback). As h5py or another tool would write it. */
static int rewrite_feat(const char *src, const char *dst, int cw, int pipeline)
{
    if (copy_prefix(src, dst, file_size(src)) != 0) return -1;
    hid_t f = H5Fopen(dst, H5F_ACC_RDWR, H5P_DEFAULT), d = H5Dopen2(f, "feat", H5P_DEFAULT), sp = H5Dget_space(d);
    hsize_t dims[2];
    H5Sget_simple_extent_dims(sp, dims, NULL);
    float *all = malloc(sizeof(float) * dims[0] * dims[1]);
    herr_t e = H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, all);
    H5Dclose(d);
    H5Ldelete(f, "feat", H5P_DEFAULT);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hsize_t ch[2] = {80, (hsize_t)cw};
    H5Pset_chunk(dcpl, 2, ch);
    if (pipeline != 1) H5Pset_shuffle(dcpl);
    H5Pset_deflate(dcpl, pipeline == 1 ? 4 : 6);
    if (pipeline == 2) H5Pset_fletcher32(dcpl);
    d = H5Dcreate2(f, "feat", H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (e >= 0) e = H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, all);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(sp);
    H5Fclose(f);
    free(all);
    return e < 0 ? -1 : 0;
}

/* Shards whose feat was compressed by HDF5 itself (other chunk widths, [deflate] alone) decode
 * bit-identically on the direct path; an unknown pipeline falls back to H5Dread. */
static void test_shard_foreign_chunks(qa_t *t)
{
    char src[600], p[600];
    snprintf(src, sizeof src, "%s/rand_foreign_src.h5", qa_test_tmpdir());
    CHECK_OK(t, write_rand(src, 1));
    const int widths[] = {200, 1000, 97};
    float *a = malloc(sizeof(float) * 80 * FULL), *b = malloc(sizeof(float) * 80 * FULL);
    for (int pl = 0; pl < 3; pl++) {
        snprintf(p, sizeof p, "%s/foreign%d.h5", qa_test_tmpdir(), pl);
        CHECK(t, rewrite_feat(src, p, widths[pl], pl) == 0);
        qa_shard *sh = NULL;
        CHECK_OK(t, qa_shard_open(&sh, p));
        if (!sh) break;
        CHECK_MSG(t, qa_shard_direct(sh) == (pl != 2), "pipeline %d: direct %d", pl, qa_shard_direct(sh));
        int bad = 0;
        for (int64_t j = 0; j < N_RAND; j++) {
            memset(a, 0xA5, sizeof(float) * 80 * FULL);
            memset(b, 0x5A, sizeof(float) * 80 * FULL);
            CHECK_OK(t, qa_shard_read_mel(sh, j, a, FULL));
            CHECK_OK(t, qa_shard_read_mel_hdf5(sh, j, b, FULL));
            bad += memcmp(a, b, sizeof(float) * 80 * FULL) != 0;
        }
        CHECK_MSG(t, bad == 0, "pipeline %d: %d audios differ from H5Dread", pl, bad);
        qa_shard_close(sh);
    }
    free(a);
    free(b);
}

/* Overwrites 16 bytes in the middle of the stored feat chunk `idx` of a copy of `src`. */
static int corrupt_chunk(const char *src, const char *dst, int idx)
{
    if (copy_prefix(src, dst, file_size(src)) != 0) return -1;
    hid_t f = H5Fopen(dst, H5F_ACC_RDONLY, H5P_DEFAULT), d = H5Dopen2(f, "feat", H5P_DEFAULT), sp = H5Dget_space(d);
    hsize_t off[2], size = 0;
    haddr_t addr = 0;
    unsigned mask = 0;
    herr_t e = H5Dget_chunk_info(d, sp, (hsize_t)idx, off, &mask, &addr, &size);
    H5Sclose(sp);
    H5Dclose(d);
    H5Fclose(f);
    if (e < 0 || size < 64) return -1;
    FILE *fp = fopen(dst, "r+b");
    if (!fp) return -1;
    unsigned char buf[16];
    fseek(fp, (long)(addr + size / 2), SEEK_SET);
    if (fread(buf, 1, 16, fp) != 16) {
        fclose(fp);
        return -1;
    }
    for (int i = 0; i < 16; i++) buf[i] ^= 0xFF;
    fseek(fp, (long)(addr + size / 2), SEEK_SET);
    fwrite(buf, 1, 16, fp);
    fclose(fp);
    return 0;
}

static void test_shard_corrupt_chunk(qa_t *t)
{
    char good[600], p[600];
    snprintf(good, sizeof good, "%s/rand_src.h5", qa_test_tmpdir());
    CHECK_OK(t, write_rand(good, 1));
    dir_path(p, sizeof p, "badchunk.h5");
    CHECK(t, corrupt_chunk(good, p, 4) == 0); /* chunk 4 of the mel: frames 1024..1279 with 256-frame chunks */
    qa_shard *sh = NULL;
    CHECK_OK(t, qa_shard_open(&sh, p)); /* the index is intact */
    if (!sh) return;
    float *mel = malloc(sizeof(float) * 80 * FULL);
    int failed = 0, ok = 0;
    for (int64_t j = 0; j < N_RAND; j++) {
        qa_status s = qa_shard_read_mel(sh, j, mel, FULL);
        if (s) {
            failed++;
            CHECK(t, s == QA_ERR_FORMAT);
            CHECK_MSG(t, strstr(qa_error_message(), "badchunk.h5") && strstr(qa_error_message(), "corrupt"),
                      "message: %s", qa_error_message());
        } else {
            ok++;
        }
    }
    CHECK_MSG(t, failed >= 1 && ok >= 1, "%d reads failed, %d succeeded", failed, ok);
    qa_shard_close(sh);
    free(mel);
    /* the loader (decode threads, prefetch) reports it too, and can be freed */
    const char *paths[] = {p};
    qa_loader_opts o = qa_loader_opts_default;
    o.batch_size = 4;
    qa_loader *l = NULL;
    CHECK_OK(t, qa_loader_new(&l, paths, 1, &o));
    if (!l) return;
    int errs = 0;
    for (int k = 0; k < 2 * qa_loader_steps_per_epoch(l); k++) {
        const qa_batch *x;
        if (qa_loader_next(l, &x)) {
            errs++;
            CHECK_MSG(t, strstr(qa_error_message(), "badchunk.h5") != NULL, "message: %s", qa_error_message());
        }
    }
    CHECK(t, errs >= 1);
    qa_loader_free(l);
}

/* The number of decode threads and prefetch must not change a single bit of any batch. */
static void test_loader_decode_threads(qa_t *t)
{
    qa_loader_opts o = qa_loader_opts_default;
    o.batch_size = 3;
    o.seed = 4;
    o.specaug = qa_specaug_lb;
    const char *paths[] = {mel_dir(t)};
    qa_loader *a = NULL, *b = NULL;
    o.decode_threads = 0;
    o.prefetch = 0;
    CHECK_OK(t, qa_loader_new(&a, paths, 1, &o));
    o.decode_threads = 3;
    o.prefetch = 2;
    CHECK_OK(t, qa_loader_new(&b, paths, 1, &o));
    if (!a || !b) {
        qa_loader_free(a);
        qa_loader_free(b);
        return;
    }
    int diff = 0, n = 0;
    for (int64_t k = 0; k < qa_loader_steps_per_epoch(a); k++) {
        const qa_batch *x, *y;
        CHECK_OK(t, qa_loader_next(a, &x));
        CHECK_OK(t, qa_loader_next(b, &y));
        diff += !(x && y && batches_equal(x, y));
        n += x ? x->n : 0;
    }
    CHECK_MSG(t, diff == 0 && n == N_TOTAL, "%d batches differ, %d samples", diff, n);
    o.decode_threads = -1;
    qa_loader *c = NULL;
    CHECK_STATUS(t, qa_loader_new(&c, paths, 1, &o), QA_ERR_CONFIG);
    qa_loader_free(a);
    qa_loader_free(b);
}

static void test_specaug(qa_t *t)
{
    int F = 400, valid = 300;
    float *m = malloc(sizeof(float) * 80 * F), *m2 = malloc(sizeof(float) * 80 * F);
    for (int i = 0; i < 80 * F; i++) m[i] = m2[i] = (float)sin(i * 0.37) + 2.0f;
    qa_specaug_opts off = qa_specaug_lb;
    off.enabled = 0;
    qa_specaug_apply(&off, m, F, valid, 3);
    CHECK(t, !memcmp(m, m2, sizeof(float) * 80 * (size_t)F));
    int total_rows = 0, total_cols = 0, outside = 0, runs = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        memcpy(m, m2, sizeof(float) * 80 * (size_t)F);
        qa_specaug_apply(&qa_specaug_lb, m, F, valid, seed);
        int rows = 0, cols = 0;
        for (int b = 0; b < 80; b++) {
            int all = 1;
            for (int f = 0; f < valid; f++) all &= m[b * F + f] != m2[b * F + f];
            rows += all;
        }
        for (int f = 0; f < F; f++) {
            int all = 1, any = 0;
            for (int b = 0; b < 80; b++) {
                all &= m[b * F + f] != m2[b * F + f];
                any |= m[b * F + f] != m2[b * F + f];
            }
            cols += all;
            if (f >= valid) outside += any;
        }
        CHECK(t, rows <= 27 && cols <= 100);
        total_rows += rows;
        total_cols += cols;
        runs++;
        /* same seed, same masks */
        float *m3 = malloc(sizeof(float) * 80 * F);
        memcpy(m3, m2, sizeof(float) * 80 * (size_t)F);
        qa_specaug_apply(&qa_specaug_lb, m3, F, valid, seed);
        CHECK(t, !memcmp(m3, m, sizeof(float) * 80 * (size_t)F));
        free(m3);
    }
    CHECK_MSG(t, outside == 0, "%d padded frames changed", outside);
    /* means over 20 seeds: about 13.5 bins and 50 frames */
    CHECK_MSG(t, total_rows > 5 * runs && total_cols > 25 * runs, "masks too small: %d rows, %d cols over %d runs",
              total_rows, total_cols, runs);
    /* time warp keeps the first and last valid frames and the padding */
    qa_specaug_opts w = qa_specaug_lb;
    w.time_warp = 80;
    w.n_freq = w.n_time = 0;
    memcpy(m, m2, sizeof(float) * 80 * (size_t)F);
    qa_specaug_apply(&w, m, F, valid, 9);
    CHECK(t, m[0] == m2[0] && m[valid - 1] == m2[valid - 1] && m[valid] == m2[valid]);
    CHECK(t, memcmp(m, m2, sizeof(float) * 80 * (size_t)F) != 0);
    free(m);
    free(m2);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {{"shard_roundtrip", test_shard_roundtrip},
                                         {"shard_pcm", test_shard_pcm},
                                         {"shard_errors", test_shard_errors},
                                         {"shard_consistency", test_shard_consistency},
                                         {"shard_consistency_layouts", test_shard_consistency_layouts},
                                         {"shard_audio_ids", test_shard_audio_ids},
                                         {"loader_dir_index", test_loader_dir_index},
                                         {"loader_epoch_covers", test_loader_epoch_covers},
                                         {"loader_shuffles", test_loader_shuffles},
                                         {"loader_drop_last_and_empty", test_loader_drop_last_and_empty},
                                         {"loader_resume", test_loader_resume},
                                         {"shard_direct_chunks", test_shard_direct_chunks},
                                         {"shard_foreign_chunks", test_shard_foreign_chunks},
                                         {"shard_corrupt_chunk", test_shard_corrupt_chunk},
                                         {"loader_decode_threads", test_loader_decode_threads},
                                         {"specaug", test_specaug},
                                         {0}};
    return qa_test_main(argc, argv, cases);
}
