/* data/specaugment: SpecAugment on one log-mel (80, F) matrix, applied by the loader during
 * training. Default policy "LibriSpeech Basic" (LB, spec section 1): one frequency mask of width
 * U[0, 27], one time mask of width U[0, 100]; time warping (W = 80 in LB) is off by default
 * because the reference's use of it is not documented. Masks are drawn inside the valid frames
 * only (the first mel_len frames); the padding the encoder sees is left untouched. Masked cells
 * take the mean of the valid region (SpecAugment masks to the mean of a normalised spectrogram).
 * Deterministic: the same seed gives the same masks.
 *
 * Usage: qa_specaug_opts o = qa_specaug_lb; o.enabled = 1;
 *        qa_specaug_apply(&o, mel, F, mel_len, seed); */
#ifndef QA_DATA_SPECAUGMENT_H
#define QA_DATA_SPECAUGMENT_H

#include <stdint.h>

typedef struct {
    int enabled;
    int freq_mask;  /* F: maximum width of a frequency mask, in mel bins */
    int n_freq;     /* number of frequency masks */
    int time_mask;  /* T: maximum width of a time mask, in frames */
    int n_time;     /* number of time masks */
    double time_p;  /* a time mask covers at most time_p * valid frames (LB: 1.0) */
    int time_warp;  /* W: maximum warp distance in frames; 0 = off */
} qa_specaug_opts;

/* LibriSpeech Basic, enabled, without time warp. */
extern const qa_specaug_opts qa_specaug_lb;

/* Augments mel (80 bins, row stride F) in place on frames [0, valid). No-op when disabled or
 * when valid < 2. */
void qa_specaug_apply(const qa_specaug_opts *o, float *mel, int64_t F, int64_t valid, uint64_t seed);

/* splitmix64-based generator shared by the data modules (seeded, no global state). */
typedef struct {
    uint64_t s;
} qa_data_rng;
static inline uint64_t qa_data_rng_next(qa_data_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
/* Uniform integer in [0, n] (inclusive), n >= 0. */
static inline int64_t qa_data_rng_upto(qa_data_rng *r, int64_t n)
{
    return n <= 0 ? 0 : (int64_t)(qa_data_rng_next(r) % (uint64_t)(n + 1));
}
/* Mixes several values into one seed. */
static inline uint64_t qa_data_seed(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    qa_data_rng r = {a};
    uint64_t x = qa_data_rng_next(&r) ^ b;
    r.s = x;
    x = qa_data_rng_next(&r) ^ c;
    r.s = x;
    x = qa_data_rng_next(&r) ^ d;
    r.s = x;
    return qa_data_rng_next(&r);
}

#endif
