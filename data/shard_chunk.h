/* data/shard_chunk: decoding a shard's compressed feature chunks outside HDF5, so that several
 * threads inflate while HDF5's global lock covers only the raw chunk reads.
 *
 * A feature read is split in two (docs/shard-format.md, "Reading fast"):
 *   1. qa_shard_fetch_feat (shard_read.c; HDF5 calls; one thread per shard at a time): copies the
 *      still-compressed chunks that cover one audio into a byte arena (H5Dread_chunk) and describes
 *      them in a qa_feat_job. When the `feat` dataset's filter pipeline is not one decoded here
 *      (anything but [deflate] or [shuffle, deflate] on little-endian float32 with chunks spanning
 *      all rows), the fetch reads the features with H5Dread itself and the job has nothing pending.
 *   2. qa_feat_job_decode (this file; no HDF5; any thread, one scratch per thread): zlib-inflates
 *      each chunk, undoes HDF5's shuffle filter while copying the frames the audio needs straight
 *      into the destination, then writes the mel floor padding. Bit-identical to H5Dread.
 *
 *   qa_byte_arena arena = {0}; qa_feat_job job; qa_feat_scratch *sc; qa_feat_scratch_new(&sc);
 *   qa_shard_fetch_feat(sh, j, mel, F, &arena, &job);   // serial (HDF5)
 *   qa_feat_job_decode(&job, arena.p, sc);              // parallel
 *   qa_feat_scratch_free(sc); free(arena.p); */
#ifndef QA_DATA_SHARD_CHUNK_H
#define QA_DATA_SHARD_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

/* An audio may span at most this many chunks on the direct path (3000 frames / 64-frame chunks
 * + 2); datasets with smaller chunks are read with H5Dread. */
#define QA_FEAT_JOB_MAX_CHUNKS 50

/* Growable byte buffer holding fetched compressed chunks; offsets stay valid across growth. */
typedef struct {
    uint8_t *p;
    size_t n, cap;
} qa_byte_arena;

/* Makes room for `extra` more bytes; returns 0 or -1 (out of memory). */
int qa_byte_arena_reserve(qa_byte_arena *a, size_t extra);

typedef struct {
    uint64_t off;  /* first byte in the arena */
    uint32_t size; /* stored (compressed) bytes */
    uint32_t mask; /* H5Dread_chunk's filter mask: bit i set = filter i was skipped for this chunk */
} qa_feat_chunk;

typedef struct {
    int pending;          /* 1: chunks to decode; 0: done already (H5Dread fallback) or nothing stored */
    const char *path;     /* the shard, for error messages */
    int64_t audio;        /* audio index in the shard, for error messages */
    float *dst;           /* rows x ld floats */
    int rows;             /* 80 (mel) or 1 (pcm) */
    int64_t ld;           /* destination row stride in floats (mel: F) */
    int64_t first, m;     /* dataset columns [first, first + m) go to destination columns [0, m) */
    int64_t F;            /* mel: columns m..F-1 get `floor`; pcm: F == m */
    float floor;
    int64_t chunk;        /* chunk width in columns (the chunk spans all rows) */
    int shuffle_idx;      /* index of the shuffle filter in the pipeline, -1 = none */
    int deflate_idx;      /* index of the deflate filter, -1 = none */
    int64_t c0;           /* index of the first chunk (its first column is c0 * chunk) */
    int n_chunks;
    qa_feat_chunk ch[QA_FEAT_JOB_MAX_CHUNKS];
} qa_feat_job;

/* Per-thread decode state (a zlib stream and a chunk buffer). */
typedef struct qa_feat_scratch qa_feat_scratch;
qa_status qa_feat_scratch_new(qa_feat_scratch **out);
void qa_feat_scratch_free(qa_feat_scratch *s);

/* Decodes a fetched job into job->dst. A chunk that does not inflate to exactly its raw size is
 * reported as QA_ERR_FORMAT naming the shard, the audio and the chunk. */
qa_status qa_feat_job_decode(const qa_feat_job *job, const uint8_t *arena, qa_feat_scratch *s);

/* Writing side: encodes chunks of n float32 elements exactly as HDF5's [shuffle, deflate] pipeline
 * would store them (one zlib stream of the four byte planes), but chooses per plane: a plane whose
 * byte entropy exceeds 6.5 bits (the three low bytes of log-mel floats: deflate would save less
 * than ~19% on them) is emitted as stored deflate blocks, the others (the sign/exponent byte,
 * ~0.8 bit) are compressed at `level`. Any inflate (h5py, HDF5) reads the result; ours then copies
 * stored blocks instead of Huffman-decoding them: 380 instead of 950 us of CPU per 10-s sample
 * for 3% more bytes (docs/benchmarks.md "Data").
 *   qa_feat_encoder *e; qa_feat_encoder_new(&e, 1, 80 * 256);
 *   qa_feat_encode(e, chunk, &bytes, &size);   // bytes valid until the next call
 *   H5Dwrite_chunk(d, H5P_DEFAULT, 0, offset, size, bytes); */
typedef struct qa_feat_encoder qa_feat_encoder;
qa_status qa_feat_encoder_new(qa_feat_encoder **out, int level, size_t n);
void qa_feat_encoder_free(qa_feat_encoder *e);
qa_status qa_feat_encode(qa_feat_encoder *e, const float *chunk, const uint8_t **bytes, size_t *size);

#endif
