/* Unit tests for the direct chunk path of data/shard (data/shard_chunk.c): raw chunk reads decoded
 * outside HDF5 must equal H5Dread bit for bit, for our chunks and for chunks HDF5 compressed
 * itself, and a corrupt chunk must give a clear error. */
#include "tests/unit/data_synth.h"

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


int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {
        {"shard_direct_chunks", test_shard_direct_chunks},
        {"shard_foreign_chunks", test_shard_foreign_chunks},
        {"shard_corrupt_chunk", test_shard_corrupt_chunk},
        {0}};
    return qa_test_main(argc, argv, cases);
}
