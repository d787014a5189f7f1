/* data/shard: HDF5 training shards (schema in docs/shard-format.md): writing (shard_write.c) and
 * reading (shard_read.c).
 *
 * A shard holds many samples as flat arrays plus offsets (no variable-length HDF5 types): token
 * ids and labels, each audio's features (log-mel frames or 16 kHz PCM), per-audio lengths and the
 * mel floor value, and the source manifest record. Big arrays are chunked and compressed
 * (shuffle + deflate). Writers create "NAME.tmp.PID" and rename it to NAME only when complete.
 *
 * Writing:
 *   qa_shard_writer *w; qa_shard_writer_open(&w, "out/shard-00000.h5", QA_FEAT_MEL, "pretrain");
 *   qa_shard_writer_add(w, &sample);  ...  qa_shard_writer_commit(w);   (or _abort on error)
 * Reading:
 *   qa_shard *sh; qa_shard_open(&sh, path);       // validates schema, offsets, lengths, audio spans
 *   int64_t n = qa_shard_sample_tokens(sh, i);
 *   qa_shard_read_tokens(sh, i, ids, labels);       // (n) each
 *   qa_shard_read_mel(sh, audio_j, mel, F);         // (80, F) exact padded log-mel frames
 *   qa_shard_close(sh);
 * A qa_shard may be used by one thread at a time (HDF5 here is built thread-safe).
 * Fast path: compressed feature chunks are fetched raw under HDF5 and inflated outside it
 * (qa_shard_fetch_feat + qa_feat_job_decode, data/shard_chunk.h), so decoding runs on many threads. */
#ifndef QA_DATA_SHARD_H
#define QA_DATA_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "data/shard_chunk.h"

#define QA_SHARD_SCHEMA 1
#define QA_SHARD_MEL_BINS 80

typedef enum { QA_FEAT_MEL = 0, QA_FEAT_PCM = 1 } qa_feat_kind;

typedef struct {
    /* MEL: (80, stride) row-major, the first `frames` columns are stored. PCM: (frames,) samples. */
    const float *feat;
    int64_t frames; /* stored frames (MEL: min(3000, mel_len + 3)) or samples (PCM) */
    int64_t stride; /* MEL row stride of feat in floats (3000 for a full qa_mel_compute output) */
    int64_t samples; /* the clip's length in 16 kHz samples before the 30-s trim */
    int32_t mel_len; /* floor(min(samples, 480000) / 160) */
    int32_t span;    /* audio span tokens (n_audio + 2) */
    float floor;     /* MEL: value of the fully padded frames (qa_mel_floor_value); PCM: 0 */
} qa_shard_audio;

typedef struct {
    const int32_t *ids;    /* (n_tokens) */
    const int32_t *labels; /* (n_tokens) -100 where no loss */
    int64_t n_tokens;
    int32_t task;          /* qa_task */
    const char *record;    /* the manifest line (JSON), not NUL-counted */
    size_t record_len;
    int n_audio;
    const qa_shard_audio *audio; /* (n_audio) */
} qa_shard_sample;

typedef struct qa_shard_writer qa_shard_writer;
/* `format` is a free label stored as an attribute ("pretrain", "chat"). `feat_deflate`: deflate level
 * (1-9, with the shuffle filter) of the features, 0 = stored uncompressed (28% larger, the loader
 * 5-8x faster: docs/benchmarks.md). Compressed features are written chunk by chunk with the
 * low-entropy byte planes deflated and the others stored (shard_chunk.h, qa_feat_encode), which
 * any HDF5 reader decodes with the standard filters. Other arrays always use level 1. */
qa_status qa_shard_writer_open(qa_shard_writer **out, const char *path, qa_feat_kind kind, const char *format,
                               int feat_deflate);
qa_status qa_shard_writer_add(qa_shard_writer *w, const qa_shard_sample *s);
int64_t qa_shard_writer_samples(const qa_shard_writer *w);
/* The ids of <audio>, </audio> and [[[AUDIO:modality]]] in this shard's vocabulary, stored as root
 * attributes so that readers check the audio spans of any vocabulary (qa_format_ids_resolve).
 * Default: the Qwen ids (QA_TOK_AUDIO_START, QA_TOK_AUDIO_END, QA_TOK_AUDIO_PAD). */
void qa_shard_writer_set_audio_ids(qa_shard_writer *w, int32_t audio_start, int32_t audio_end, int32_t audio_pad);
/* Writes the index arrays and attributes, closes, renames into place; frees w in all cases. */
qa_status qa_shard_writer_commit(qa_shard_writer *w);
/* Removes the temporary file and frees w; NULL-safe. */
void qa_shard_writer_abort(qa_shard_writer *w);

typedef struct qa_shard qa_shard;

/* The index loaded at open (all arrays owned by the shard). */
typedef struct {
    const char *path;
    qa_feat_kind kind;
    int64_t n_samples, n_audio, n_tokens, n_feat;
    const int64_t *tok_off;   /* (n_samples+1) */
    const int64_t *audio_off; /* (n_samples+1) first audio of each sample */
    const int32_t *task;      /* (n_samples) */
    const int64_t *feat_off;  /* (n_audio+1) in frames (MEL) or samples (PCM) */
    const int64_t *samples;   /* (n_audio) */
    const int32_t *mel_len;   /* (n_audio) */
    const int32_t *span;      /* (n_audio) */
    const float *floor;       /* (n_audio) */
} qa_shard_index;

/* Opens a shard and checks its consistency (docs/shard-format.md "Consistency checks on open"):
 * schema, array sizes, offsets, every audio's lengths against its sample count
 * (qa_audio_lengths_compute) and stored features, and one pass over the token ids: the
 * <audio> ... </audio> runs of each sample match its audios one for one, span for span. A failed
 * check is QA_ERR_FORMAT naming the file, the sample and what differs. */
qa_status qa_shard_open(qa_shard **out, const char *path);
void qa_shard_close(qa_shard *sh);
const qa_shard_index *qa_shard_get_index(const qa_shard *sh);

/* ids and labels of sample i: (tok_off[i+1]-tok_off[i]) each; either pointer may be NULL. */
qa_status qa_shard_read_tokens(qa_shard *sh, int64_t i, int32_t *ids, int32_t *labels);
/* Log-mel of audio j (a global audio index in this shard) as (80, F) row-major: the stored frames,
 * then the audio's floor value up to F, which rebuilds the reference's padded 30-s spectrogram
 * exactly for any F <= 3000 (docs/shard-format.md). MEL shards only. */
qa_status qa_shard_read_mel(qa_shard *sh, int64_t j, float *mel, int64_t F);
/* The same through H5Dread only (HDF5 decompresses, under its global lock): the reference the
 * direct chunk path is tested against. */
qa_status qa_shard_read_mel_hdf5(qa_shard *sh, int64_t j, float *mel, int64_t F);
/* 1 when the feature chunks are decoded by qaudio (pipeline [deflate] or [shuffle, deflate], see
 * shard_read.c), 0 when they are read with H5Dread (e.g. --feature-deflate 0). */
int qa_shard_direct(const qa_shard *sh);
/* Phase 1 of a feature read (HDF5 calls; this shard's thread): audio j's stored features go to dst
 * (mel: (80, F) as qa_shard_read_mel; pcm: F ignored, feat_off[j+1]-feat_off[j] samples). On the
 * direct path the compressed chunks are appended to arena and *job is left pending: finish with
 * qa_feat_job_decode (any thread) while arena and dst stay alive. Otherwise dst is filled here. */
qa_status qa_shard_fetch_feat(qa_shard *sh, int64_t j, float *dst, int64_t F, qa_byte_arena *arena, qa_feat_job *job);
/* PCM of audio j: feat_off[j+1]-feat_off[j] samples. PCM shards only. */
qa_status qa_shard_read_pcm(qa_shard *sh, int64_t j, float *pcm);
/* The source record of sample i, malloc'd and NUL-terminated. */
qa_status qa_shard_read_record(qa_shard *sh, int64_t i, char **json);

#endif
