/* bench/bench_data: loader throughput over a shard directory: samples/s with the prefetch thread
 * (and without, and with SpecAugment, and with 0/1/2 decode threads), batch 8, reading every
 * sample of E epochs; also the process CPU time per sample (steadier than wall time when other
 * jobs share the cores).
 * Usage: bench_data SHARD_DIR [EPOCHS]. Prints "QAUDIO_LOADER_SPS <samples/s>" for the script. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "data/loader.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double run(const char *dir, int epochs, int prefetch, int decode, int aug, int *F, double *cpu_us)
{
    qa_loader_opts o = qa_loader_opts_default;
    o.batch_size = 8;
    o.seed = 1;
    o.prefetch = prefetch;
    o.decode_threads = decode;
    if (aug) o.specaug = qa_specaug_lb;
    const char *paths[1] = {dir};
    qa_loader *l;
    if (qa_loader_new(&l, paths, 1, &o)) {
        fprintf(stderr, "bench_data: %s\n", qa_error_message());
        exit(1);
    }
    int64_t steps = qa_loader_steps_per_epoch(l) * epochs, n = 0;
    double t0 = now_s(), c0 = cpu_s();
    for (int64_t k = 0; k < steps; k++) {
        const qa_batch *b;
        if (qa_loader_next(l, &b)) {
            fprintf(stderr, "bench_data: %s\n", qa_error_message());
            exit(1);
        }
        n += b->n;
        *F = b->F;
    }
    double dt = now_s() - t0;
    if (cpu_us) *cpu_us = (cpu_s() - c0) * 1e6 / (double)n;
    qa_loader_free(l);
    return (double)n / dt;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_data SHARD_DIR [EPOCHS]\n");
        return 2;
    }
    int epochs = argc > 2 ? atoi(argv[2]) : 3, F = 0;
    double cpu = 0;
    double sync = run(argv[1], epochs, 0, 0, 0, &F, NULL);
    double pf = run(argv[1], epochs, 2, 2, 0, &F, &cpu);
    double aug = run(argv[1], epochs, 2, 2, 1, &F, NULL);
    double d0 = run(argv[1], epochs, 2, 0, 0, &F, NULL);
    double d1 = run(argv[1], epochs, 2, 1, 0, &F, NULL);
    printf("loader, batch 8, %d frames per audio: %.0f samples/s without prefetch or decode threads, %.0f with "
           "prefetch + 2 decode threads (default; %.0f us CPU per sample), %.0f with prefetch + SpecAugment; "
           "prefetch with 0 / 1 decode threads: %.0f / %.0f\n", F, sync, pf, cpu, aug, d0, d1);
    printf("QAUDIO_LOADER_SPS %.1f\n", pf);
    return 0;
}
