/* bench/bench_shard_open: what the consistency checks of qa_shard_open cost, against what reading
 * one batch costs, on the same shard in the same run.
 * Without a path (or with a path that does not exist yet), first writes a 1000-sample shard of
 * 10-second samples (mel_len 1000, span 252, 260 tokens per sample, features deflated as
 * `qaudio prepare` does): under /tmp, removed at the end, or at the path given, kept.
 * Usage: bench_shard_open [SHARD.h5] [ROUNDS]. Prints the median open time (open + close) and
 * the median time to read one batch of 8 random samples (tokens and (80, 1000) mels), and their
 * ratio. The loader opens each shard once per run; it reads a batch every step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "data/mel.h"
#include "data/shard.h"
#include "data/special_tokens.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int fail(const char *what)
{
    fprintf(stderr, "bench_shard_open: %s: %s\n", what, qa_error_message());
    return 1;
}

/* 1000 ten-second samples: <audio> 250 x pad </audio>, 8 text tokens; log-mel-like features. */
static qa_status make_shard(const char *path, int n)
{
    qa_shard_writer *w;
    qa_status s = qa_shard_writer_open(&w, path, QA_FEAT_MEL, "pretrain", 1);
    if (s) return s;
    qa_audio_lengths L;
    qa_audio_lengths_compute(160000, &L);
    float *mel = malloc(sizeof(float) * QA_MEL_BINS * QA_MEL_FRAMES);
    int32_t ids[300], lab[300];
    uint64_t st = 88172645463325252ull;
    for (int g = 0; g < n && !s; g++) {
        for (int i = 0; i < QA_MEL_BINS * QA_MEL_FRAMES; i++) {
            st ^= st << 13, st ^= st >> 7, st ^= st << 17;
            mel[i] = -0.5f + 0.3f * (float)((i / QA_MEL_FRAMES + g) % 17) / 17.0f + (float)(st % 1000) * 1e-4f;
        }
        int m = 0;
        for (int k = 0; k < L.span_tokens; k++, m++) {
            ids[m] = k == 0 ? QA_TOK_AUDIO_START : k == L.span_tokens - 1 ? QA_TOK_AUDIO_END : QA_TOK_AUDIO_PAD;
            lab[m] = -100;
        }
        for (int k = 0; k < 8; k++, m++) ids[m] = lab[m] = 1000 + g + k;
        qa_shard_audio au = {.feat = mel, .frames = L.mel_len + 3, .stride = QA_MEL_FRAMES, .samples = 160000,
                             .mel_len = L.mel_len, .span = L.span_tokens, .floor = -0.6f};
        qa_shard_sample smp = {.ids = ids, .labels = lab, .n_tokens = m, .task = 0, .record = "{}", .record_len = 2,
                               .n_audio = 1, .audio = &au};
        s = qa_shard_writer_add(w, &smp);
    }
    free(mel);
    if (s) {
        qa_shard_writer_abort(w);
        return s;
    }
    return qa_shard_writer_commit(w);
}

int main(int argc, char **argv)
{
    char tmp[256] = "";
    const char *path = argc > 1 && argv[1][0] ? argv[1] : NULL;
    int rounds = argc > 2 ? atoi(argv[2]) : 15;
    if (rounds < 1 || rounds > 1000) return 2;
    if (!path) {
        snprintf(tmp, sizeof tmp, "/tmp/qaudio-bench-open-%ld.h5", (long)getpid());
        path = tmp;
    }
    if (access(path, F_OK) != 0) {
        double t0 = now_s();
        if (make_shard(path, 1000)) return fail("writing the shard");
        fprintf(stderr, "wrote %s (1000 x 10 s) in %.1f s\n", path, now_s() - t0);
    }
    double *t_open = malloc(sizeof(double) * (size_t)rounds), *t_batch = malloc(sizeof(double) * (size_t)rounds);
    qa_shard *sh = NULL;
    int64_t n_samples = 0;
    for (int r = 0; r < rounds; r++) {
        double t0 = now_s();
        if (qa_shard_open(&sh, path)) return fail("open");
        t_open[r] = now_s() - t0;
        n_samples = qa_shard_get_index(sh)->n_samples;
        if (r + 1 < rounds) qa_shard_close(sh);
    }
    /* one batch: 8 random samples, their tokens and their audios' (80, 2*t_cnn) mels */
    const qa_shard_index *ix = qa_shard_get_index(sh);
    float *mel = malloc(sizeof(float) * QA_MEL_BINS * QA_MEL_FRAMES);
    int32_t *ids = NULL, *lab = NULL;
    int64_t cap = 0;
    uint64_t st = 7;
    for (int r = 0; r < rounds; r++) {
        double t0 = now_s();
        for (int b = 0; b < 8; b++) {
            st = st * 6364136223846793005ull + 1442695040888963407ull;
            int64_t i = (int64_t)((st >> 33) % (uint64_t)n_samples), nt = ix->tok_off[i + 1] - ix->tok_off[i];
            if (nt > cap) {
                cap = nt;
                ids = realloc(ids, sizeof(int32_t) * (size_t)cap);
                lab = realloc(lab, sizeof(int32_t) * (size_t)cap);
            }
            if (qa_shard_read_tokens(sh, i, ids, lab)) return fail("tokens");
            for (int64_t j = ix->audio_off[i]; j < ix->audio_off[i + 1]; j++)
                if (qa_shard_read_mel(sh, j, mel, 2 * ((ix->mel_len[j] - 1) / 2 + 1))) return fail("mel");
        }
        t_batch[r] = now_s() - t0;
    }
    qa_shard_close(sh);
    qsort(t_open, (size_t)rounds, sizeof(double), cmp_double);
    qsort(t_batch, (size_t)rounds, sizeof(double), cmp_double);
    double o = t_open[rounds / 2], b = t_batch[rounds / 2];
    printf("shard of %lld samples: open (with checks) %.2f ms, one batch of 8 read %.2f ms (single thread); "
           "open = %.2f batches (medians of %d)\n", (long long)n_samples, 1e3 * o, 1e3 * b, o / b, rounds);
    printf("QAUDIO_SHARD_OPEN_MS %.3f\nQAUDIO_BATCH8_MS %.3f\n", 1e3 * o, 1e3 * b);
    free(mel);
    free(ids);
    free(lab);
    free(t_open);
    free(t_batch);
    if (tmp[0]) unlink(tmp);
    return 0;
}
