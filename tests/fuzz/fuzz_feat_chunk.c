/* tests/fuzz/fuzz_feat_chunk: libFuzzer target for qa_feat_job_decode (data/shard_chunk.c), the
 * code that inflates and un-shuffles feature chunks read raw from a shard, i.e. bytes from disk
 * that HDF5 never checked. The first 4 input bytes choose the layout (mel or pcm, chunk width,
 * which filters, filter mask, the columns wanted); the rest is split into up to 3 "stored chunks".
 * Decoding must either succeed or return an error; it must never read or write out of bounds.
 * Run with `make fuzz-run FUZZ_SECONDS=20`; seeds in tests/fuzz/seeds/fuzz_feat_chunk. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/shard_chunk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 4) return 0;
    int mel = data[0] & 1, n_chunks = 1 + (data[0] >> 1) % 3;
    int64_t C = 1 + data[1] % 64; /* narrow chunks keep the fuzzer fast */
    int rows = mel ? 80 : 1;
    qa_feat_job j = {.pending = 1, .path = "fuzz.h5", .rows = rows, .chunk = C,
                     .shuffle_idx = (data[2] & 1) ? 0 : -1, .deflate_idx = (data[2] & 1) ? 1 : 0,
                     .c0 = data[2] >> 4, .n_chunks = n_chunks, .floor = -1.0f};
    if (data[2] & 2) j.deflate_idx = -1;
    int64_t first = j.c0 * C + data[3] % C, span = (int64_t)n_chunks * C - (first - j.c0 * C);
    j.first = first;
    j.m = 1 + (int64_t)(data[3] >> 2) % span;
    j.F = mel ? j.m + 3 : j.m;
    j.ld = j.F;
    data += 4;
    size -= 4;
    size_t part = size / (size_t)n_chunks;
    for (int c = 0; c < n_chunks; c++)
        j.ch[c] = (qa_feat_chunk){.off = (uint64_t)c * part, .size = (uint32_t)(c == n_chunks - 1 ? size - c * part : part),
                                  .mask = (uint32_t)(c == 0 && part > 0 ? data[0] & 3 : 0)};
    float *dst = malloc(sizeof(float) * (size_t)(rows * j.ld));
    j.dst = dst;
    qa_feat_scratch *s = NULL;
    if (dst && qa_feat_scratch_new(&s) == QA_OK) {
        /* the arena must be a separate allocation of exactly `size` bytes for ASan to see overreads */
        uint8_t *arena = malloc(size ? size : 1);
        if (arena) {
            memcpy(arena, data, size);
            (void)qa_feat_job_decode(&j, arena, s);
            free(arena);
        }
    }
    qa_feat_scratch_free(s);
    free(dst);
    return 0;
}
