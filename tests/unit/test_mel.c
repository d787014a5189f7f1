/* Unit tests for data/fft and data/mel internals: the FFT against a direct DFT, the Slaney
 * filterbank against mel_filters.npz (tests/data/mel/mel_80.npy, key mel_80 copied out of the
 * npz), the length formulas against the spec's examples, the floor value and the
 * frames-overlapping rule that lets a shard rebuild the padded frames exactly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/npy.h"
#include "data/fft.h"
#include "data/mel.h"
#include "tests/support/test.h"

/* direct DFT in long double: the reference for the FFT */
static void naive_real_dft(const double *x, int n, double *out) {
    for (int k = 0; k <= n / 2; k++) {
        long double re = 0, im = 0;
        for (int t = 0; t < n; t++) {
            long double a = 2.0L * 3.14159265358979323846264338327950288L * (long double)((long)k * t % n) / n;
            re += x[t] * cosl(a);
            im -= x[t] * sinl(a);
        }
        out[2 * k] = (double)re;
        out[2 * k + 1] = (double)im;
    }
}

static void test_fft_vs_dft(qa_t *t) {
    const int sizes[] = {2, 4, 6, 10, 14, 30, 50, 64, 98, 200, 400, 406, 1000};
    unsigned s = 7;
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        int n = sizes[i];
        qa_fft_plan *p = NULL;
        CHECK_OK(t, qa_fft_plan_new(&p, n));
        if (!p) return;
        CHECK(t, qa_fft_plan_size(p) == n);
        double *x = malloc(sizeof(double) * (size_t)n), *a = malloc(sizeof(double) * (size_t)(n + 2)),
               *b = malloc(sizeof(double) * (size_t)(n + 2));
        for (int j = 0; j < n; j++) {
            s = s * 1103515245u + 12345u;
            x[j] = (double)(s >> 8) / (1 << 24) - 0.5;
        }
        qa_fft_real_forward(p, x, a);
        naive_real_dft(x, n, b);
        double maxd = 0;
        for (int j = 0; j < n + 2; j++) maxd = fmax(maxd, fabs(a[j] - b[j]));
        CHECK_MSG(t, maxd < 1e-12 * n, "n=%d: max |fft - dft| = %g", n, maxd);
        free(x);
        free(a);
        free(b);
        qa_fft_plan_free(p);
    }
    qa_fft_plan *p = NULL;
    CHECK_STATUS(t, qa_fft_plan_new(&p, 7), QA_ERR_ARG);            /* odd */
    CHECK_STATUS(t, qa_fft_plan_new(&p, 2 * 101), QA_ERR_UNSUPPORTED); /* prime factor > 97 */
    CHECK(t, p == NULL);
    qa_fft_plan_free(NULL);
}

static void test_filterbank_matches_npz(qa_t *t) {
    qa_npy ref;
    CHECK_OK(t, qa_npy_read("tests/data/mel/mel_80.npy", &ref));
    if (ref.count == 0) return;
    CHECK(t, ref.dtype == QA_NPY_F32 && ref.ndim == 2 && ref.shape[0] == 80 && ref.shape[1] == 201);
    qa_mel *m = NULL;
    CHECK_OK(t, qa_mel_new(&m));
    if (m && ref.count == 80 * 201) {
        const float *fb = qa_mel_filterbank(m), *want = ref.data;
        double maxd = 0;
        int differ = 0;
        for (int i = 0; i < 80 * 201; i++) {
            maxd = fmax(maxd, fabs((double)fb[i] - want[i]));
            differ += fb[i] != want[i];
        }
        CHECK_MSG(t, maxd <= 1e-6, "filterbank max |d| = %g", maxd);
        printf("  filterbank vs mel_filters.npz: max |d| = %g, %d of 16080 entries differ\n", maxd, differ);
        /* shape sanity: every band is a single non-empty triangle */
        for (int b = 0; b < 80; b++) {
            int nz = 0;
            for (int k = 0; k < 201; k++) nz += fb[b * 201 + k] > 0;
            CHECK_MSG(t, nz >= 1, "band %d is empty", b);
        }
    }
    qa_mel_free(m);
    qa_npy_free(&ref);
}

static void test_lengths_spec_examples(qa_t *t) {
    struct { int64_t samples; int mel, tcnn, naudio, span; } ex[] = {
        {480000, 3000, 1500, 750, 752}, {160000, 1000, 500, 250, 252}, {16000, 100, 50, 25, 27},
        {16160, 101, 51, 25, 27},       {480, 3, 2, 1, 3},             {488000, 3000, 1500, 750, 752},
        {93680, 585, 293, 146, 148},    {639, 3, 2, 1, 3},             {640, 4, 2, 1, 3},
    };
    for (size_t i = 0; i < sizeof ex / sizeof *ex; i++) {
        qa_audio_lengths L;
        CHECK_OK(t, qa_audio_lengths_compute(ex[i].samples, &L));
        CHECK_MSG(t, L.samples == ex[i].samples && L.mel_len == ex[i].mel && L.t_cnn == ex[i].tcnn &&
                         L.n_audio == ex[i].naudio && L.span_tokens == ex[i].span,
                  "samples %lld: got %d/%d/%d/%d, want %d/%d/%d/%d", (long long)ex[i].samples, L.mel_len, L.t_cnn,
                  L.n_audio, L.span_tokens, ex[i].mel, ex[i].tcnn, ex[i].naudio, ex[i].span);
    }
    /* under 480 samples: a clear error, but mel_len still filled */
    qa_audio_lengths L;
    CHECK_STATUS(t, qa_audio_lengths_compute(479, &L), QA_ERR_ARG);
    CHECK(t, strstr(qa_error_message(), "479 samples") != NULL);
    CHECK(t, L.mel_len == 2);
    CHECK_STATUS(t, qa_audio_lengths_compute(250, &L), QA_ERR_ARG);
    CHECK(t, L.mel_len == 1);
    CHECK_STATUS(t, qa_audio_lengths_compute(-1, &L), QA_ERR_ARG);
}

static void test_silence_and_floor(qa_t *t) {
    qa_mel *m = NULL;
    CHECK_OK(t, qa_mel_new(&m));
    float *mel = malloc(sizeof(float) * QA_MEL_BINS * QA_MEL_FRAMES);
    float zeros[1000] = {0};
    CHECK_OK(t, qa_mel_compute(m, zeros, 1000, mel));
    int bad = 0;
    for (int i = 0; i < QA_MEL_BINS * QA_MEL_FRAMES; i++) bad += mel[i] != -1.5f;
    CHECK_MSG(t, bad == 0, "%d entries of digital silence differ from -1.5", bad);
    CHECK(t, qa_mel_floor_value(mel) == -1.5f);
    CHECK_OK(t, qa_mel_compute(m, NULL, 0, mel)); /* empty input: all padding */
    CHECK(t, mel[0] == -1.5f && mel[QA_MEL_BINS * QA_MEL_FRAMES - 1] == -1.5f);
    CHECK_STATUS(t, qa_mel_compute(m, NULL, 10, mel), QA_ERR_ARG);
    qa_mel_free(m);
    qa_mel_free(NULL);
    free(mel);
}

/* Frames at or after qa_mel_frames_overlapping(n) equal the floor value exactly; the frame just
 * before it does not (for a loud clip): the rule is tight, and a store keeping that many frames
 * plus the floor value rebuilds the (80, 3000) matrix bit for bit. */
static void test_frames_overlapping_rebuild(qa_t *t) {
    qa_mel *m = NULL;
    CHECK_OK(t, qa_mel_new(&m));
    float *mel = malloc(sizeof(float) * QA_MEL_BINS * QA_MEL_FRAMES);
    const int lens[] = {480, 1000, 16000, 16159, 16161, 93680, 479700, 479800, 480000, 500000};
    float *pcm = malloc(sizeof(float) * 500000);
    unsigned s = 3;
    for (int i = 0; i < 500000; i++) {
        s = s * 1103515245u + 12345u;
        pcm[i] = 0.5f * ((float)(s >> 8) / (float)(1 << 24) - 0.5f) + 0.3f * (float)sin(0.05 * i);
    }
    for (size_t c = 0; c < sizeof lens / sizeof *lens; c++) {
        int n = lens[c];
        CHECK_OK(t, qa_mel_compute(m, pcm, (size_t)n, mel));
        int keep = qa_mel_frames_overlapping(n);
        float fl = qa_mel_floor_value(mel);
        qa_audio_lengths L;
        qa_audio_lengths_compute(n, &L);
        CHECK_MSG(t, keep >= 2 * L.t_cnn, "n=%d: keep %d < 2*t_cnn %d", n, keep, 2 * L.t_cnn);
        int bad = 0;
        for (int b = 0; b < QA_MEL_BINS; b++)
            for (int f = keep; f < QA_MEL_FRAMES; f++) bad += mel[b * QA_MEL_FRAMES + f] != fl;
        CHECK_MSG(t, bad == 0, "n=%d: %d entries past frame %d differ from the floor %g", n, bad, keep, fl);
        if (keep < QA_MEL_FRAMES) {
            int above = 0;
            for (int b = 0; b < QA_MEL_BINS; b++) above += mel[b * QA_MEL_FRAMES + keep - 1] != fl;
            CHECK_MSG(t, above > 0, "n=%d: frame %d (last overlapping) is all floor", n, keep - 1);
        }
        /* store (80, keep) + floor, rebuild, compare bit for bit */
        float *kept = malloc(sizeof(float) * QA_MEL_BINS * (size_t)keep);
        float *re = malloc(sizeof(float) * QA_MEL_BINS * QA_MEL_FRAMES);
        for (int b = 0; b < QA_MEL_BINS; b++)
            memcpy(kept + (size_t)b * keep, mel + (size_t)b * QA_MEL_FRAMES, sizeof(float) * (size_t)keep);
        CHECK_OK(t, qa_mel_rebuild(kept, keep, fl, re));
        CHECK_MSG(t, !memcmp(re, mel, sizeof(float) * QA_MEL_BINS * QA_MEL_FRAMES), "n=%d: rebuilt matrix differs", n);
        free(kept);
        free(re);
    }
    CHECK_STATUS(t, qa_mel_rebuild(NULL, 3001, 0.0f, mel), QA_ERR_ARG);
    CHECK(t, qa_mel_frames_overlapping(0) == 0);
    CHECK(t, qa_mel_frames_overlapping(1) == 2);
    CHECK(t, qa_mel_frames_overlapping(16000) == 102);
    CHECK(t, qa_mel_frames_overlapping(10000000) == 3000);
    free(pcm);
    free(mel);
    qa_mel_free(m);
}

/* the clamp: no value is more than 2 (= 8/4) below the maximum, and the maximum is attained */
static void test_clamp_and_range(qa_t *t) {
    qa_mel *m = NULL;
    CHECK_OK(t, qa_mel_new(&m));
    float *mel = malloc(sizeof(float) * QA_MEL_BINS * QA_MEL_FRAMES);
    float *pcm = malloc(sizeof(float) * 32000);
    for (int i = 0; i < 32000; i++) pcm[i] = (float)(0.5 * sin(2 * M_PI * 440.0 * i / 16000.0));
    CHECK_OK(t, qa_mel_compute(m, pcm, 32000, mel));
    float mx = -INFINITY, mn = INFINITY;
    for (int i = 0; i < QA_MEL_BINS * QA_MEL_FRAMES; i++) {
        mx = fmaxf(mx, mel[i]);
        mn = fminf(mn, mel[i]);
    }
    CHECK_NEAR(t, mx - mn, 2.0, 1e-6);
    CHECK(t, qa_mel_floor_value(mel) == mn);
    /* 440 Hz lies in band 9 or so: the loudest band of a middle frame is below 1 kHz */
    int best = 0;
    for (int b = 1; b < QA_MEL_BINS; b++)
        if (mel[b * QA_MEL_FRAMES + 100] > mel[best * QA_MEL_FRAMES + 100]) best = b;
    CHECK_MSG(t, best >= 5 && best <= 12, "loudest band of a 440 Hz tone is %d", best);
    free(pcm);
    free(mel);
    qa_mel_free(m);
}

int main(int argc, char **argv) {
    static const qa_test_case cases[] = {
        {"fft_vs_dft", test_fft_vs_dft},
        {"filterbank_matches_npz", test_filterbank_matches_npz},
        {"lengths_spec_examples", test_lengths_spec_examples},
        {"silence_and_floor", test_silence_and_floor},
        {"frames_overlapping_rebuild", test_frames_overlapping_rebuild},
        {"clamp_and_range", test_clamp_and_range},
        {0}};
    return qa_test_main(argc, argv, cases);
}
