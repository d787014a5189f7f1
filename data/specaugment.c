/* data/specaugment: see specaugment.h. */
#include "data/specaugment.h"

#include <stdlib.h>
#include <string.h>

#define BINS 80

const qa_specaug_opts qa_specaug_lb = {
    .enabled = 1, .freq_mask = 27, .n_freq = 1, .time_mask = 100, .n_time = 1, .time_p = 1.0, .time_warp = 0};

/* Piecewise-linear time warp of frames [0, valid): the frame at w0 moves to w0 + w. */
static void time_warp(float *mel, int64_t F, int64_t valid, int W, qa_data_rng *r)
{
    if (valid <= 2 * (int64_t)W + 3) return;
    /* w0 in [W+1, valid-W-2] keeps both pieces at least one frame long */
    int64_t w0 = W + 1 + qa_data_rng_upto(r, valid - 2 * (int64_t)W - 4);
    int64_t w = qa_data_rng_upto(r, 2 * (int64_t)W) - W;
    if (w == 0) return;
    float row[3000];
    int64_t to = w0 + w;
    for (int b = 0; b < BINS; b++) {
        float *x = mel + (int64_t)b * F;
        for (int64_t t = 0; t < valid; t++) {
            double src = t < to ? (double)t * (double)w0 / (double)to
                                : (double)w0 + (double)(t - to) * (double)(valid - 1 - w0) / (double)(valid - 1 - to);
            int64_t i = (int64_t)src;
            double f = src - (double)i;
            row[t] = i + 1 < valid ? (float)((1.0 - f) * x[i] + f * x[i + 1]) : x[valid - 1];
        }
        memcpy(x, row, (size_t)valid * sizeof *x);
    }
}

void qa_specaug_apply(const qa_specaug_opts *o, float *mel, int64_t F, int64_t valid, uint64_t seed)
{
    if (!o || !o->enabled || valid < 2) return;
    if (valid > F) valid = F;
    if (valid > 3000) valid = 3000;
    qa_data_rng r = {seed};
    if (o->time_warp > 0) time_warp(mel, F, valid, o->time_warp, &r);
    double sum = 0;
    for (int b = 0; b < BINS; b++)
        for (int64_t t = 0; t < valid; t++) sum += mel[(int64_t)b * F + t];
    float mean = (float)(sum / (double)(BINS * valid));
    for (int k = 0; k < o->n_freq; k++) {
        int f = (int)qa_data_rng_upto(&r, o->freq_mask < BINS ? o->freq_mask : BINS);
        int f0 = (int)qa_data_rng_upto(&r, BINS - f);
        for (int b = f0; b < f0 + f; b++)
            for (int64_t t = 0; t < valid; t++) mel[(int64_t)b * F + t] = mean;
    }
    int64_t tmax = (int64_t)(o->time_p * (double)valid);
    if (tmax > o->time_mask) tmax = o->time_mask;
    for (int k = 0; k < o->n_time; k++) {
        int64_t t = qa_data_rng_upto(&r, tmax);
        int64_t t0 = qa_data_rng_upto(&r, valid - t);
        for (int b = 0; b < BINS; b++)
            for (int64_t i = t0; i < t0 + t; i++) mel[(int64_t)b * F + i] = mean;
    }
}
