/* data/shard_chunk: the feature chunk codec (see shard_chunk.h): inflate + un-shuffle of fetched
 * chunks outside HDF5, and the writer's shuffle + plane-wise deflate. The byte layout undone here is that of HDF5's H5Z shuffle filter: a chunk of n
 * elements of s bytes is stored as s planes of n bytes, plane k holding byte k of every element
 * (element e's byte k at k * n + e); a shuffled buffer whose length is not a multiple of s keeps the
 * leftover bytes unchanged at its end (never the case for our float32 chunks, which HDF5 always
 * stores whole). The deflate filter stores each chunk as one zlib stream (compress2). */
#include "data/shard_chunk.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct qa_feat_scratch {
    z_stream zs;
    int zs_ok;
    uint8_t *buf;
    size_t cap;
};

int qa_byte_arena_reserve(qa_byte_arena *a, size_t extra)
{
    if (a->n + extra <= a->cap) return 0;
    size_t cap = a->cap ? a->cap : 1 << 16;
    while (cap < a->n + extra) cap *= 2;
    uint8_t *p = realloc(a->p, cap);
    if (!p) return -1;
    a->p = p;
    a->cap = cap;
    return 0;
}

qa_status qa_feat_scratch_new(qa_feat_scratch **out)
{
    *out = NULL;
    qa_feat_scratch *s = calloc(1, sizeof *s);
    if (!s) return qa_error(QA_ERR_NOMEM, "out of memory");
    if (inflateInit(&s->zs) != Z_OK) {
        free(s);
        return qa_error(QA_ERR_NOMEM, "cannot initialise zlib");
    }
    s->zs_ok = 1;
    *out = s;
    return QA_OK;
}

void qa_feat_scratch_free(qa_feat_scratch *s)
{
    if (!s) return;
    if (s->zs_ok) inflateEnd(&s->zs);
    free(s->buf);
    free(s);
}

static qa_status corrupt(const qa_feat_job *j, int64_t chunk, const char *why)
{
    return qa_error(QA_ERR_FORMAT, "shard %s: the compressed feature chunk %lld (columns %lld..%lld, read for audio "
                    "%lld) is corrupt: %s (re-run qaudio prepare)", j->path, (long long)chunk,
                    (long long)(chunk * j->chunk), (long long)((chunk + 1) * j->chunk - 1), (long long)j->audio, why);
}

/* Inflates one zlib stream of `size` bytes into exactly `want` bytes of s->buf. */
static qa_status inflate_chunk(const qa_feat_job *j, int64_t chunk, qa_feat_scratch *s, const uint8_t *src,
                               uint32_t size, size_t want)
{
    if (inflateReset(&s->zs) != Z_OK) return corrupt(j, chunk, "zlib stream reset failed");
    s->zs.next_in = (Bytef *)(uintptr_t)src;
    s->zs.avail_in = size;
    s->zs.next_out = s->buf;
    s->zs.avail_out = (uInt)want;
    int r = inflate(&s->zs, Z_FINISH);
    if (r == Z_STREAM_END && s->zs.total_out == want) return QA_OK;
    char why[160];
    if (r == Z_STREAM_END || r == Z_BUF_ERROR)
        snprintf(why, sizeof why, "it inflates to %s bytes instead of %zu",
                 r == Z_STREAM_END ? "fewer" : "more (or is cut short)", want);
    else
        snprintf(why, sizeof why, "zlib: %s", s->zs.msg ? s->zs.msg : "invalid data");
    return corrupt(j, chunk, why);
}

qa_status qa_feat_job_decode(const qa_feat_job *j, const uint8_t *arena, qa_feat_scratch *s)
{
    if (!j->pending) return QA_OK;
    size_t n = (size_t)j->rows * (size_t)j->chunk, nb = n * 4;
    if (s->cap < nb) {
        uint8_t *p = realloc(s->buf, nb);
        if (!p) return qa_error(QA_ERR_NOMEM, "out of memory decoding %s", j->path);
        s->buf = p;
        s->cap = nb;
    }
    const int64_t C = j->chunk, end = j->first + j->m;
    for (int c = 0; c < j->n_chunks; c++) {
        const qa_feat_chunk *ch = &j->ch[c];
        int64_t k = j->c0 + c, base = k * C;
        const uint8_t *src = arena + ch->off;
        int do_inflate = j->deflate_idx >= 0 && !((ch->mask >> j->deflate_idx) & 1u);
        int do_unshuffle = j->shuffle_idx >= 0 && !((ch->mask >> j->shuffle_idx) & 1u);
        if (do_inflate) {
            qa_status st = inflate_chunk(j, k, s, src, ch->size, nb);
            if (st) return st;
            src = s->buf;
        } else if (ch->size != nb) {
            char why[96];
            snprintf(why, sizeof why, "%u bytes stored without compression, expected %zu", ch->size, nb);
            return corrupt(j, k, why);
        }
        int64_t t0 = (j->first > base ? j->first : base) - base, t1 = (end < base + C ? end : base + C) - base;
        if (t1 <= t0) continue;
        float *dcol = j->dst + (base + t0 - j->first);
        for (int r = 0; r < j->rows; r++) {
            float *d = dcol + (int64_t)r * j->ld;
            size_t e0 = (size_t)r * (size_t)C + (size_t)t0;
            if (do_unshuffle) {
                /* float32 little-endian (checked at open): byte k of element e is plane k, entry e */
                const uint8_t *p0 = src + e0, *p1 = p0 + n, *p2 = p1 + n, *p3 = p2 + n;
                for (int64_t t = 0; t < t1 - t0; t++) {
                    uint32_t v = (uint32_t)p0[t] | (uint32_t)p1[t] << 8 | (uint32_t)p2[t] << 16 | (uint32_t)p3[t] << 24;
                    memcpy(d + t, &v, 4);
                }
            } else {
                memcpy(d, src + e0 * 4, (size_t)(t1 - t0) * 4);
            }
        }
    }
    for (int r = 0; r < j->rows; r++)
        for (int64_t t = j->m; t < j->F; t++) j->dst[(int64_t)r * j->ld + t] = j->floor;
    return QA_OK;
}

/* ---- encoding ---- */

struct qa_feat_encoder {
    z_stream zs;
    int zs_ok, level;
    size_t n;
    uint8_t *planes, *out;
    size_t out_cap;
};

qa_status qa_feat_encoder_new(qa_feat_encoder **out, int level, size_t n)
{
    *out = NULL;
    qa_feat_encoder *e = calloc(1, sizeof *e);
    if (!e) return qa_error(QA_ERR_NOMEM, "out of memory");
    e->level = level;
    e->n = n;
    e->out_cap = compressBound((uLong)(4 * n)) + 64 + 4 * 16; /* + block headers at plane switches */
    e->planes = malloc(4 * n);
    e->out = malloc(e->out_cap);
    if (!e->planes || !e->out || deflateInit(&e->zs, level) != Z_OK) {
        qa_feat_encoder_free(e);
        return qa_error(QA_ERR_NOMEM, "out of memory (zlib)");
    }
    e->zs_ok = 1;
    *out = e;
    return QA_OK;
}

void qa_feat_encoder_free(qa_feat_encoder *e)
{
    if (!e) return;
    if (e->zs_ok) deflateEnd(&e->zs);
    free(e->planes);
    free(e->out);
    free(e);
}

/* Byte planes above this entropy (bits per byte) are stored, not compressed: Huffman coding could
 * save at most (8 - H) / 8 of them, and decoding it costs more than reading the bytes saved. */
#define QA_STORED_PLANE_ENTROPY 6.5

/* Shannon entropy of a byte plane in bits per byte. */
static double plane_entropy(const uint8_t *p, size_t n)
{
    size_t h[256] = {0};
    for (size_t i = 0; i < n; i++) h[p[i]]++;
    double H = 0;
    for (int v = 0; v < 256; v++)
        if (h[v]) {
            double q = (double)h[v] / (double)n;
            H -= q * log2(q);
        }
    return H;
}

qa_status qa_feat_encode(qa_feat_encoder *e, const float *chunk, const uint8_t **bytes, size_t *size)
{
    size_t n = e->n;
    const uint8_t *src = (const uint8_t *)chunk; /* little-endian float32 (the writer checks the host) */
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < 4; k++) e->planes[k * n + i] = src[i * 4 + k];
    if (deflateReset(&e->zs) != Z_OK) return qa_error(QA_ERR_INTERNAL, "zlib deflateReset failed");
    e->zs.next_out = e->out;
    e->zs.avail_out = (uInt)e->out_cap;
    for (int k = 0; k < 4; k++) {
        const uint8_t *pl = e->planes + (size_t)k * n;
        int lvl = plane_entropy(pl, n) > QA_STORED_PLANE_ENTROPY ? 0 : e->level;
        if (deflateParams(&e->zs, lvl, Z_DEFAULT_STRATEGY) != Z_OK)
            return qa_error(QA_ERR_INTERNAL, "zlib deflateParams failed (output buffer too small?)");
        e->zs.next_in = (Bytef *)(uintptr_t)pl;
        e->zs.avail_in = (uInt)n;
        int r = deflate(&e->zs, k == 3 ? Z_FINISH : Z_NO_FLUSH);
        if (k == 3 ? r != Z_STREAM_END : (r != Z_OK || e->zs.avail_in != 0))
            return qa_error(QA_ERR_INTERNAL, "zlib deflate failed (%d)", r);
    }
    *bytes = e->out;
    *size = e->zs.total_out;
    return QA_OK;
}
