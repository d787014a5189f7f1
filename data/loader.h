/* data/loader: batches from HDF5 shards for training.
 *
 * - Input: shard paths, glob patterns ("out/shard-*.h5") or directories (their shard-*.h5). A
 *   directory needs the index.json `qaudio prepare` writes last, listing exactly the shards present
 *   with their sample counts (else QA_ERR_FORMAT: an interrupted or incomplete prepare); paths
 *   and globs need no index. Each shard is checked on open (qa_shard_open).
 * - Epoch e's order is a shuffle seeded by (seed, e): the same on every run and every rank.
 * - Length buckets: samples go to the first bucket whose bound >= their token count (the last
 *   bucket takes the rest). Walking the shuffled order, a bucket that holds world*batch_size
 *   samples becomes one global batch; leftovers become smaller final batches (or are dropped with
 *   drop_last). Token rows are padded to the bucket bound (beyond the last bound: the batch's
 *   longest row rounded up to pad_multiple), so the number of distinct shapes stays small.
 * - Ranks: global batch k is split into `world` contiguous slices; rank r takes slice r. The
 *   slices of all ranks are disjoint and cover every sample of the epoch; every rank gets the same
 *   number of steps (a slice of a small final batch may be empty: n == 0).
 * - A background thread prefetches `prefetch` batches into buffers allocated once at creation. It
 *   reads the compressed feature chunks raw (HDF5 serialises all its calls) and `decode_threads`
 *   threads inflate them straight into the batch buffers (data/shard_chunk.h) while it goes on
 *   reading the next batch; qa_loader_next waits for its batch's decode.
 * - Position (epoch, cursor = batches already returned in that epoch) can be saved and restored;
 *   the batch after a restore is bit-identical to the one an uninterrupted run would return.
 * - Mel batches hold, per audio, (80, F) frames with F = 2*max(t_cnn) over the batch (rounded up to
 *   frame_multiple): stored frames then the audio's floor value, as the reference encoder sees
 *   them. The encoder must still use only the first 2*max(t_cnn) frames (spec section 2).
 *
 * Usage:
 *   qa_loader_opts o = qa_loader_opts_default; o.batch_size = 8; o.seed = 1;
 *   qa_loader *l; qa_loader_new(&l, paths, n_paths, &o);
 *   const qa_batch *b; while (...) { qa_loader_next(l, &b); ... }   // b valid until the next
 *                                                                    // next/set_position/free
 *   int64_t e, c; qa_loader_get_position(l, &e, &c); ... qa_loader_set_position(l, e, c);
 *   qa_loader_free(l);
 * A loader is used from one thread (plus its own prefetch thread). */
#ifndef QA_DATA_LOADER_H
#define QA_DATA_LOADER_H

#include <stdint.h>

#include "core/status.h"
#include "data/shard.h"
#include "data/specaugment.h"

#define QA_LOADER_MAX_BUCKETS 32

typedef struct {
    int batch_size;       /* samples per rank per step */
    int rank, world;      /* this rank and the number of ranks */
    uint64_t seed;
    int shuffle;          /* 0: file order every epoch */
    int n_buckets;        /* number of bounds in bucket_bounds; 0 = one bucket */
    int bucket_bounds[QA_LOADER_MAX_BUCKETS]; /* ascending token-count bounds */
    int pad_multiple;     /* rows longer than the last bound are padded to a multiple of this */
    int frame_multiple;   /* F is rounded up to a multiple of this (even; 2 = exact 2*max t_cnn) */
    int prefetch;         /* batches prepared ahead by the background thread; 0 = no thread */
    int decode_threads;   /* threads inflating compressed feature chunks (0 = on the filling thread) */
    int drop_last;        /* drop incomplete global batches (then slices do not cover everything) */
    int32_t pad_id;       /* id of padding tokens (Qwen <|endoftext|> 151643; look it up for other vocabularies) */
    qa_specaug_opts specaug; /* applied to mel features (seeded by seed, epoch, sample, audio) */
} qa_loader_opts;

/* batch_size 1, rank 0 of 1, seed 0, shuffle on, no buckets, pad_multiple 8, frame_multiple 2,
 * prefetch 2, 2 decode threads, keep last, pad id 151643, SpecAugment off. */
extern const qa_loader_opts qa_loader_opts_default;

typedef struct {
    int64_t epoch, step;  /* this batch's place: step in 0..steps_per_epoch-1 */
    int n;                /* samples in this batch (may be 0, see above) */
    int T;                /* padded token length */
    int32_t *ids;         /* (n, T) padded with opts.pad_id (<|endoftext|>, 151643) */
    int32_t *labels;      /* (n, T) -100 where no loss and on padding */
    int32_t *lengths;     /* (n) real token counts */
    int32_t *task;        /* (n) qa_task */
    int64_t *sample;      /* (n) global sample index (shard order), for logging and tests */
    int n_audio;          /* audios in the batch, sample-major in order of appearance */
    int32_t *audio_row;   /* (n_audio) row of the sample each audio belongs to */
    int32_t *mel_len;     /* (n_audio) */
    int32_t *t_cnn;       /* (n_audio) (mel_len - 1) / 2 + 1 */
    int32_t *span;        /* (n_audio) audio span tokens */
    int64_t *n_samples;   /* (n_audio) clip length in 16 kHz samples (before the 30-s trim) */
    qa_feat_kind kind;
    int F;                /* MEL: frames per audio */
    float *mel;           /* MEL: (n_audio, 80, F) */
    float *pcm;           /* PCM: all audios concatenated */
    int64_t *pcm_off;     /* PCM: (n_audio + 1) offsets into pcm */
} qa_batch;

typedef struct qa_loader qa_loader;

qa_status qa_loader_new(qa_loader **out, const char *const *paths, int n_paths, const qa_loader_opts *opts);
void qa_loader_free(qa_loader *l);

/* Next batch of this rank (continues into the next epoch at the end of one). */
qa_status qa_loader_next(qa_loader *l, const qa_batch **batch);

int64_t qa_loader_num_samples(const qa_loader *l);  /* over all shards */
int64_t qa_loader_steps_per_epoch(qa_loader *l);    /* identical on every rank */
/* Position of the next batch qa_loader_next will return. */
void qa_loader_get_position(const qa_loader *l, int64_t *epoch, int64_t *cursor);
qa_status qa_loader_set_position(qa_loader *l, int64_t epoch, int64_t cursor);

#endif
