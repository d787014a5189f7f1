/* bench/bench_mel: log-mel of 30 s of audio on one thread (qa_mel_compute on the full 480000-
 * sample buffer, no padding shortcut). Prints the median time per call and the speed in
 * multiples of real time; bench/bench_mel.sh runs it beside the PyTorch twin (bench/mel_twin.py).
 * Usage: bench_mel [ITERATIONS] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "data/mel.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int iters = argc > 1 ? atoi(argv[1]) : 30;
    if (iters < 1 || iters > 100000) {
        fprintf(stderr, "bench_mel: ITERATIONS must be 1..100000\n");
        return 2;
    }
    /* (480000,) speech-like signal: harmonics of a wandering pitch plus noise from an LCG */
    float *pcm = malloc(sizeof(float) * QA_N_SAMPLES);
    float *mel = malloc(sizeof(float) * QA_MEL_BINS * QA_MEL_FRAMES);
    double *times = malloc(sizeof(double) * (size_t)iters);
    if (!pcm || !mel || !times) return 1;
    unsigned s = 1;
    double phase = 0;
    for (int i = 0; i < QA_N_SAMPLES; i++) {
        double f0 = 120.0 + 40.0 * sin(2 * M_PI * 0.3 * i / QA_SAMPLE_RATE);
        phase += 2 * M_PI * f0 / QA_SAMPLE_RATE;
        s = s * 1103515245u + 12345u;
        double noise = ((double)((s >> 8) & 0xffff) / 32768.0 - 1.0) * 0.02;
        pcm[i] = (float)(0.2 * sin(phase) + 0.1 * sin(3 * phase) + 0.05 * sin(7 * phase) + noise);
    }
    qa_mel *m;
    if (qa_mel_new(&m)) return 1;
    for (int i = 0; i < 3; i++) qa_mel_compute(m, pcm, QA_N_SAMPLES, mel); /* warm-up */
    for (int i = 0; i < iters; i++) {
        double t0 = now_s();
        qa_mel_compute(m, pcm, QA_N_SAMPLES, mel);
        times[i] = now_s() - t0;
    }
    qsort(times, (size_t)iters, sizeof(double), cmp_double);
    double med = times[iters / 2];
    printf("qaudio log-mel 30 s, 1 thread: median %.2f ms over %d runs (min %.2f ms), %.0fx real time (checksum %.6f)\n",
           med * 1e3, iters, times[0] * 1e3, 30.0 / med, (double)mel[12345]);
    printf("QAUDIO_MEL_MS %.4f\n", med * 1e3);
    qa_mel_free(m);
    free(pcm);
    free(mel);
    free(times);
    return 0;
}
