/* Unit tests for data/shard: write and read back (mel and PCM), truncated and corrupt files, and
 * the consistency checks on open (lengths and audio spans against the ids, audio ids attributes). */
#include "tests/unit/data_synth.h"

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


int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {
        {"shard_roundtrip", test_shard_roundtrip},
        {"shard_pcm", test_shard_pcm},
        {"shard_errors", test_shard_errors},
        {"shard_consistency", test_shard_consistency},
        {"shard_consistency_layouts", test_shard_consistency_layouts},
        {"shard_audio_ids", test_shard_audio_ids},
        {0}};
    return qa_test_main(argc, argv, cases);
}
