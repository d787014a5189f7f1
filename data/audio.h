/* data/audio: decode an audio file (or a memory buffer) to mono 16 kHz float PCM.
 *
 * Decoding is libsndfile (WAV 16/24/32-bit PCM and float, FLAC, Ogg Vorbis/Opus, MP3 when the
 * linked libsndfile has it), downmix averages the channels in float, and any other rate is
 * resampled to 16 kHz with libsamplerate (SRC_SINC_BEST_QUALITY). Integer PCM becomes exactly
 * sample / 2^(bits-1) (int16 / 32768, int24 / 2^23), as the reference front end reads it.
 *
 * Usage:
 *   qa_audio a = {0};
 *   if ((s = qa_audio_load("clip.flac", &a))) { fprintf(stderr, "%s\n", qa_error_message()); ... }
 *   ... a.pcm[0 .. a.n) ...
 *   qa_audio_free(&a);
 * Errors (missing, empty, truncated, unsupported files) are statuses whose message names the file.
 * See docs/audio.md. */
#ifndef QA_DATA_AUDIO_H
#define QA_DATA_AUDIO_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef struct {
    float *pcm;        /* (n,) mono, 16 kHz, float in [-1,1] (malloc'd) */
    size_t n;          /* number of 16 kHz samples */
    int src_rate;      /* sample rate of the file */
    int src_channels;  /* channels of the file */
    int64_t src_frames; /* frames (samples per channel) in the file */
} qa_audio;

/* Decodes `path`, downmixes (average of channels) and resamples to 16 kHz. */
qa_status qa_audio_load(const char *path, qa_audio *out);
/* Same from a memory buffer holding a whole file (fuzzing, embedded data); `name` is used in
 * messages. */
qa_status qa_audio_decode_memory(const void *buf, size_t len, const char *name, qa_audio *out);
/* qa_audio_decode_memory with a limit on decoded frames (at the source rate; 0 = the default
 * limit of 6 hours at 192 kHz): a tiny compressed buffer can expand to gigabytes (fuzzing). */
qa_status qa_audio_decode_memory_max(const void *buf, size_t len, const char *name, int64_t max_frames,
                                     qa_audio *out);
/* Frees a.pcm and zeroes the struct; NULL-safe. */
void qa_audio_free(qa_audio *a);
/* 1 when the linked libsndfile can decode MP3 (checked through SFC_GET_FORMAT_MAJOR). */
int qa_audio_has_mp3(void);
/* The linked libsndfile's version string ("libsndfile-1.2.0"). */
const char *qa_audio_backend_version(void);

#endif
