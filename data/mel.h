/* data/mel: the exact Whisper / Qwen-Audio log-mel front end, and the derived lengths.
 *
 * The recipe (spec section 1; docs/audio.md): pad or trim the 16 kHz PCM to 480000 samples,
 * centred STFT (reflect padding 200, periodic Hann window 400, hop 160, 201 bins), power,
 * 80-band Slaney mel filterbank (computed from the formula), log10 floored at 1e-10, clamped to
 * (global max - 8), then (x + 4) / 4; the last STFT frame is dropped, giving (80, 3000).
 *
 * Usage:
 *   qa_mel *m; qa_mel_new(&m);                 // one per thread: it owns scratch buffers
 *   float *mel = malloc(sizeof(float) * QA_MEL_BINS * QA_MEL_FRAMES);
 *   qa_mel_compute(m, pcm, n, mel);            // (80, 3000) row-major
 *   qa_audio_lengths L; qa_audio_lengths_compute(n, &L);  // keep mel[:, :L.mel_len]
 *   qa_mel_free(m);
 */
#ifndef QA_DATA_MEL_H
#define QA_DATA_MEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#define QA_SAMPLE_RATE 16000
#define QA_MEL_BINS 80
#define QA_MEL_FRAMES 3000
#define QA_N_SAMPLES 480000
#define QA_N_FFT 400
#define QA_HOP 160
#define QA_FFT_BINS 201
/* The shortest clip the reference model can encode (spec section 1): 30 ms. */
#define QA_MIN_SAMPLES 480

typedef struct {
    int64_t samples;  /* input samples at 16 kHz (before pad/trim) */
    int mel_len;      /* floor(min(samples, 480000) / 160) */
    int t_cnn;        /* (mel_len - 1) // 2 + 1: frames after the conv stem */
    int n_audio;      /* (t_cnn - 2) // 2 + 1: audio tokens after the average pool */
    int span_tokens;  /* n_audio + 2: audio-bos + frames + audio-eos */
} qa_audio_lengths;

/* Lengths for a clip of `samples` 16 kHz samples (Python floor division, spec section 1).
 * Returns QA_ERR_ARG with a clear message for samples < 480, which the reference encoder cannot
 * encode (see docs/audio.md: reject, or pad to 480 by choice); `out` is filled in any case
 * (mel_len is valid for every samples >= 0). */
qa_status qa_audio_lengths_compute(int64_t samples, qa_audio_lengths *out);

/* Number of leading frames of the full (80, 3000) log-mel whose STFT window overlaps a clip of
 * `samples` samples: min(3000, ceil((min(samples, 480000) + 200) / 160)), 0 for an empty clip.
 * Every later frame equals qa_mel_floor_value(). A store that keeps only these frames plus the
 * floor value can rebuild the full matrix exactly (the encoder needs 2*t_cnn <= this many frames,
 * and batched encoding reads the floor value past the clip: spec section 2, exactness notes). */
int qa_mel_frames_overlapping(int64_t samples);

typedef struct qa_mel qa_mel; /* window, filterbank, FFT tables, scratch: one per thread */
qa_status qa_mel_new(qa_mel **out);
void qa_mel_free(qa_mel *m);

/* Whisper log-mel of the 30-s padded/trimmed buffer: out is the FULL (80, 3000) row-major matrix;
 * callers keep the first mel_len frames (or 2*t_cnn for the encoder). */
qa_status qa_mel_compute(qa_mel *m, const float *pcm, size_t n, float *out);

/* (80, 201) float32 Slaney filterbank, row-major (mel band, FFT bin). */
const float *qa_mel_filterbank(const qa_mel *m);

/* The constant value of fully padded frames: (max(gmax-8,-10)+4)/4, given the full (80, 3000)
 * output of qa_mel_compute. */
float qa_mel_floor_value(const float *mel_full);

/* Rebuilds the full (80, 3000) matrix from its first k frames `kept` ((80, k) row-major, as a
 * shard stores them, k = qa_mel_frames_overlapping(samples)) and the audio's floor value: columns
 * [k, 3000) are filled with floor_value. Bit-identical to qa_mel_compute's output. */
qa_status qa_mel_rebuild(const float *kept, int k, float floor_value, float *out);

#endif
