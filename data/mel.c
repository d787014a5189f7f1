/* data/mel: the Whisper / Qwen-Audio log-mel front end (see mel.h and docs/audio.md).
 *
 * Per 10-ms frame: 400 samples of the reflect-padded 30-s buffer times a periodic Hann window,
 * a 400-point real DFT in double (data/fft), power |X|^2 over 201 bins, the 80 Slaney mel
 * bands (float32 weights, as the reference stores them, applied in double), log10 floored at
 * 1e-10 rounded to float32. Then the whole (80, 3000) matrix is clamped to (global max - 8) and
 * mapped by (x + 4) / 4 in float32, the order of operations of the reference.
 * Frames whose window lies entirely in the zero padding skip the DFT: their power is exactly 0. */
#include "data/mel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/fft.h"

#define PAD (QA_N_FFT / 2)                   /* reflect padding on each side (center=True) */
#define PADDED_LEN (QA_N_SAMPLES + 2 * PAD)  /* 480400 */

struct qa_mel {
    qa_fft_plan *fft;
    double window[QA_N_FFT];           /* (400,) periodic Hann */
    float filters[QA_MEL_BINS * QA_FFT_BINS]; /* (80, 201) Slaney, float32 like mel_filters.npz */
    double filters_d[QA_MEL_BINS * QA_FFT_BINS]; /* the same values in double for the products */
    int band_lo[QA_MEL_BINS], band_hi[QA_MEL_BINS]; /* non-zero bin range [lo, hi) of each band */
    float *padded;                     /* (480400,) reflect-padded 30-s buffer */
    double frame[QA_N_FFT];            /* (400,) windowed frame */
    double spec[2 * QA_FFT_BINS];      /* (201, 2) DFT re/im */
    double power[QA_FFT_BINS];         /* (201,) |X|^2 */
};

/* Python floor division for the length formulas (numerator may be negative). */
static int64_t floordiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

qa_status qa_audio_lengths_compute(int64_t samples, qa_audio_lengths *out) {
    memset(out, 0, sizeof *out);
    if (samples < 0) return qa_error(QA_ERR_ARG, "audio length %lld samples: must not be negative", (long long)samples);
    out->samples = samples;
    int64_t l = samples < QA_N_SAMPLES ? samples : QA_N_SAMPLES;
    out->mel_len = (int)(l / QA_HOP);
    out->t_cnn = (int)(floordiv(out->mel_len - 1, 2) + 1);
    out->n_audio = (int)(floordiv(out->t_cnn - 2, 2) + 1);
    out->span_tokens = out->n_audio + 2;
    if (samples < QA_MIN_SAMPLES)
        return qa_error(QA_ERR_ARG,
                        "audio of %lld samples (%.4f s at 16 kHz) is shorter than %d samples (30 ms), the shortest "
                        "clip the Qwen-Audio encoder can encode: drop it, or pad it to %d samples (--short pad)",
                        (long long)samples, (double)samples / QA_SAMPLE_RATE, QA_MIN_SAMPLES, QA_MIN_SAMPLES);
    return QA_OK;
}

int qa_mel_frames_overlapping(int64_t samples) {
    if (samples <= 0) return 0;
    int64_t l = samples < QA_N_SAMPLES ? samples : QA_N_SAMPLES;
    /* frame t's window covers original samples [160 t - 200, 160 t + 200) */
    int64_t k = (l + PAD + QA_HOP - 1) / QA_HOP;
    return k > QA_MEL_FRAMES ? QA_MEL_FRAMES : (int)k;
}

/* Slaney mel scale (librosa htk=False): linear below 1 kHz (200/3 Hz per mel), log above. */
static double hz_to_mel(double f) {
    const double f_sp = 200.0 / 3, min_log_hz = 1000.0, min_log_mel = (min_log_hz - 0.0) / f_sp;
    const double logstep = log(6.4) / 27.0;
    if (f >= min_log_hz) return min_log_mel + log(f / min_log_hz) / logstep;
    return (f - 0.0) / f_sp;
}

static double mel_to_hz(double m) {
    const double f_sp = 200.0 / 3, min_log_hz = 1000.0, min_log_mel = (min_log_hz - 0.0) / f_sp;
    const double logstep = log(6.4) / 27.0;
    if (m >= min_log_mel) return min_log_hz * exp(logstep * (m - min_log_mel));
    return 0.0 + f_sp * m;
}

/* librosa.filters.mel(sr=16000, n_fft=400, n_mels=80) with its defaults (fmin 0, fmax sr/2,
 * Slaney area norm), following its float32/float64 steps so the result matches mel_filters.npz:
 * the triangle is stored in float32 first, then scaled by 2/(f[i+2]-f[i]) in double. */
static void slaney_filterbank(float *fb /* (80, 201) */) {
    double fftfreqs[QA_FFT_BINS], mels[QA_MEL_BINS + 2], mel_f[QA_MEL_BINS + 2], fdiff[QA_MEL_BINS + 1];
    const double val = 1.0 / (QA_N_FFT * (1.0 / QA_SAMPLE_RATE)); /* numpy rfftfreq */
    for (int k = 0; k < QA_FFT_BINS; k++) fftfreqs[k] = k * val;
    const double min_mel = hz_to_mel(0.0), max_mel = hz_to_mel(QA_SAMPLE_RATE / 2.0);
    const double step = (max_mel - min_mel) / (QA_MEL_BINS + 1); /* numpy linspace */
    for (int i = 0; i < QA_MEL_BINS + 2; i++) mels[i] = i * step + min_mel;
    mels[QA_MEL_BINS + 1] = max_mel;
    for (int i = 0; i < QA_MEL_BINS + 2; i++) mel_f[i] = mel_to_hz(mels[i]);
    for (int i = 0; i < QA_MEL_BINS + 1; i++) fdiff[i] = mel_f[i + 1] - mel_f[i];
    for (int i = 0; i < QA_MEL_BINS; i++) {
        const double enorm = 2.0 / (mel_f[i + 2] - mel_f[i]);
        for (int k = 0; k < QA_FFT_BINS; k++) {
            double lower = -(mel_f[i] - fftfreqs[k]) / fdiff[i];
            double upper = (mel_f[i + 2] - fftfreqs[k]) / fdiff[i + 1];
            double w = fmax(0.0, fmin(lower, upper));
            fb[i * QA_FFT_BINS + k] = (float)((double)(float)w * enorm);
        }
    }
}

void qa_mel_free(qa_mel *m) {
    if (!m) return;
    qa_fft_plan_free(m->fft);
    free(m->padded);
    free(m);
}

qa_status qa_mel_new(qa_mel **out) {
    *out = NULL;
    qa_mel *m = calloc(1, sizeof *m);
    if (!m) return qa_error(QA_ERR_NOMEM, "log-mel state: out of memory");
    m->padded = malloc(sizeof(float) * PADDED_LEN);
    if (!m->padded) {
        qa_mel_free(m);
        return qa_error(QA_ERR_NOMEM, "log-mel state: out of memory");
    }
    qa_status s = qa_fft_plan_new(&m->fft, QA_N_FFT);
    if (s) {
        qa_mel_free(m);
        return qa_error_wrap(s, "log-mel state");
    }
    for (int i = 0; i < QA_N_FFT; i++) m->window[i] = 0.5 - 0.5 * cos(2.0 * M_PI * i / QA_N_FFT);
    slaney_filterbank(m->filters);
    for (int b = 0; b < QA_MEL_BINS; b++) {
        const float *row = m->filters + b * QA_FFT_BINS;
        int lo = 0, hi = QA_FFT_BINS;
        while (lo < hi && row[lo] == 0.0f) lo++;
        while (hi > lo && row[hi - 1] == 0.0f) hi--;
        m->band_lo[b] = lo;
        m->band_hi[b] = hi;
        for (int k = 0; k < QA_FFT_BINS; k++) m->filters_d[b * QA_FFT_BINS + k] = row[k];
    }
    *out = m;
    return QA_OK;
}

const float *qa_mel_filterbank(const qa_mel *m) { return m->filters; }

qa_status qa_mel_compute(qa_mel *m, const float *pcm, size_t n, float *out) {
    if (!m || !out || (n && !pcm)) return qa_error(QA_ERR_ARG, "qa_mel_compute: NULL argument");
    /* pad_or_trim to 480000, then reflect-pad 200 on each side: padded[j] = x[|j - 200|] at the
     * start and x[2*479999 - (j - 200)] at the end (numpy/torch "reflect": edge not repeated) */
    float *xp = m->padded;
    const size_t len = n < QA_N_SAMPLES ? n : QA_N_SAMPLES;
    if (len) memcpy(xp + PAD, pcm, sizeof(float) * len);
    memset(xp + PAD + len, 0, sizeof(float) * (QA_N_SAMPLES - len));
    for (int j = 0; j < PAD; j++) {
        xp[j] = xp[2 * PAD - j];
        xp[PAD + QA_N_SAMPLES + j] = xp[PAD + QA_N_SAMPLES - 2 - j];
    }
    /* last frame whose window can hold a non-zero sample (the tail reflection may too) */
    const int nonzero_frames = qa_mel_frames_overlapping((int64_t)len);
    const float log_zero = (float)log10(1e-10);
    float gmax = -INFINITY;
    for (int t = 0; t < QA_MEL_FRAMES; t++) {
        const float *src = xp + (size_t)t * QA_HOP;
        int any = 0;
        if (t < nonzero_frames) {
            for (int i = 0; i < QA_N_FFT; i++) {
                m->frame[i] = (double)src[i] * m->window[i];
                any |= src[i] != 0.0f;
            }
        }
        if (!any) {
            /* all-zero window: power 0, every band at the 1e-10 floor */
            for (int b = 0; b < QA_MEL_BINS; b++) out[(size_t)b * QA_MEL_FRAMES + t] = log_zero;
            if (log_zero > gmax) gmax = log_zero;
            continue;
        }
        qa_fft_real_forward(m->fft, m->frame, m->spec);
        for (int k = 0; k < QA_FFT_BINS; k++)
            m->power[k] = m->spec[2 * k] * m->spec[2 * k] + m->spec[2 * k + 1] * m->spec[2 * k + 1];
        for (int b = 0; b < QA_MEL_BINS; b++) {
            const double *w = m->filters_d + b * QA_FFT_BINS;
            double acc = 0.0;
            for (int k = m->band_lo[b]; k < m->band_hi[b]; k++) acc += w[k] * m->power[k];
            float v = (float)log10(acc > 1e-10 ? acc : 1e-10);
            out[(size_t)b * QA_MEL_FRAMES + t] = v;
            if (v > gmax) gmax = v;
        }
    }
    const float lo = gmax - 8.0f;
    const size_t total = (size_t)QA_MEL_BINS * QA_MEL_FRAMES;
    for (size_t i = 0; i < total; i++) {
        float v = out[i] > lo ? out[i] : lo;
        out[i] = (v + 4.0f) / 4.0f;
    }
    return QA_OK;
}

float qa_mel_floor_value(const float *mel_full) {
    const size_t total = (size_t)QA_MEL_BINS * QA_MEL_FRAMES;
    float vmax = -INFINITY, vmin = INFINITY;
    for (size_t i = 0; i < total; i++) {
        if (mel_full[i] > vmax) vmax = mel_full[i];
        if (mel_full[i] < vmin) vmin = mel_full[i];
    }
    /* floor = (max(gmax - 8, -10) + 4) / 4 = max(vmax - 2, -1.5) up to rounding; every entry is
     * >= the floor and padded entries equal it exactly, so the minimum gives the exact value
     * whenever the matrix holds a clamped entry */
    float approx = vmax - 2.0f > -1.5f ? vmax - 2.0f : -1.5f;
    return vmin <= approx + 1e-5f ? vmin : approx;
}

qa_status qa_mel_rebuild(const float *kept, int k, float floor_value, float *out) {
    if (k < 0 || k > QA_MEL_FRAMES || !out || (k && !kept))
        return qa_error(QA_ERR_ARG, "qa_mel_rebuild: %d kept frames: expected 0..%d and non-NULL buffers", k,
                        QA_MEL_FRAMES);
    for (int b = 0; b < QA_MEL_BINS; b++) {
        float *row = out + (size_t)b * QA_MEL_FRAMES;
        if (k) memcpy(row, kept + (size_t)b * (size_t)k, sizeof(float) * (size_t)k);
        for (int f = k; f < QA_MEL_FRAMES; f++) row[f] = floor_value;
    }
    return QA_OK;
}
