/* Unit tests for data/loader (directory index, coverage, rank slices, shuffles, drop_last, resume,
 * decode threads) and data/specaugment, on synthetic shards (tests/unit/data_synth.h). */
#include "tests/unit/data_synth.h"

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
    static const qa_test_case cases[] = {
        {"loader_dir_index", test_loader_dir_index},
        {"loader_epoch_covers", test_loader_epoch_covers},
        {"loader_shuffles", test_loader_shuffles},
        {"loader_drop_last_and_empty", test_loader_drop_last_and_empty},
        {"loader_resume", test_loader_resume},
        {"loader_decode_threads", test_loader_decode_threads},
        {"specaug", test_specaug},
        {0}};
    return qa_test_main(argc, argv, cases);
}
