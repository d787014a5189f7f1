/* data/shard_write: the HDF5 shard writer (see shard.h, docs/shard-format.md).
 * Features are appended to an extensible chunked dataset as samples arrive. Compressed features
 * are gathered into whole chunks here and written with H5Dwrite_chunk, encoded by
 * qa_feat_encode (shuffle + plane-wise deflate, a stream the standard filters read; see
 * shard_chunk.h), the last partial chunk zero-padded at commit. The small per-sample
 * and per-audio arrays, the tokens and the records are kept in memory and written at commit. The
 * file lives under "PATH.tmp.PID" until commit renames it. */
#include <fcntl.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/version.h"
#include "data/shard.h"
#include "data/special_tokens.h"

typedef struct {
    void *p;
    size_t n, cap, esz;
} vec;

static int vec_push(vec *v, const void *e, size_t count)
{
    if (v->n + count > v->cap) {
        size_t cap = v->cap ? v->cap : 64;
        while (cap < v->n + count) cap *= 2;
        void *p = realloc(v->p, cap * v->esz);
        if (!p) return -1;
        v->p = p;
        v->cap = cap;
    }
    memcpy((char *)v->p + v->n * v->esz, e, count * v->esz);
    v->n += count;
    return 0;
}

struct qa_shard_writer {
    char *path, *tmp;
    qa_feat_kind kind;
    char format[32];
    hid_t file, feat;
    int64_t n_feat;
    /* direct chunk writing (compressed features on a little-endian host) */
    qa_feat_encoder *enc;
    float *cbuf;          /* (rows, chunk) the chunk being filled, row-major */
    int64_t chunk, rows;  /* chunk width in columns, rows (80 mel, 1 pcm) */
    int64_t cfill;        /* columns of cbuf filled */
    int64_t cstart;       /* dataset column of cbuf's first column */
    int32_t audio_ids[3]; /* <audio>, </audio>, [[[AUDIO:modality]]] in the shard's vocabulary */
    vec ids, labels, tok_off, audio_off, task, record, record_off, feat_off, samples, mel_len, span, floor_;
};

/* Mel chunk width: 256 frames (80 KiB raw). A sample of L frames decodes about L + 256 frames
 * (the partial chunks at both ends): 10-s samples (1003 frames) decode ~25% extra; wider chunks
 * cost more (512: ~50%, 1024: ~100%: measured slower), narrower ones compress worse and mean more
 * HDF5 calls (docs/benchmarks.md "Data"). */
#define FEAT_CHUNK_FRAMES 256
#define PCM_CHUNK 65536
#define DEFLATE_LEVEL 1 /* for ids, labels, records and the index arrays */

static void writer_free(qa_shard_writer *w)
{
    if (!w) return;
    vec *vs[] = {&w->ids, &w->labels, &w->tok_off, &w->audio_off, &w->task, &w->record,
                 &w->record_off, &w->feat_off, &w->samples, &w->mel_len, &w->span, &w->floor_};
    for (size_t i = 0; i < sizeof vs / sizeof *vs; i++) free(vs[i]->p);
    qa_feat_encoder_free(w->enc);
    free(w->cbuf);
    free(w->path);
    free(w->tmp);
    free(w);
}

static hid_t chunked_plist(int rank, const hsize_t *chunk, int level)
{
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dcpl < 0) return -1;
    if (H5Pset_chunk(dcpl, rank, chunk) < 0 ||
        (level > 0 && (H5Pset_shuffle(dcpl) < 0 || H5Pset_deflate(dcpl, (unsigned)level) < 0))) {
        H5Pclose(dcpl);
        return -1;
    }
    return dcpl;
}

qa_status qa_shard_writer_open(qa_shard_writer **out, const char *path, qa_feat_kind kind, const char *format,
                               int feat_deflate)
{
    *out = NULL;
    if (feat_deflate < 0 || feat_deflate > 9) return qa_error(QA_ERR_ARG, "feature deflate level %d: use 0..9", feat_deflate);
    qa_shard_writer *w = calloc(1, sizeof *w);
    if (!w) return qa_error(QA_ERR_NOMEM, "out of memory");
    w->ids.esz = w->labels.esz = w->task.esz = w->mel_len.esz = w->span.esz = 4;
    w->floor_.esz = 4;
    w->tok_off.esz = w->audio_off.esz = w->record_off.esz = w->feat_off.esz = w->samples.esz = 8;
    w->record.esz = 1;
    w->kind = kind;
    w->file = w->feat = -1;
    w->audio_ids[0] = QA_TOK_AUDIO_START;
    w->audio_ids[1] = QA_TOK_AUDIO_END;
    w->audio_ids[2] = QA_TOK_AUDIO_PAD;
    snprintf(w->format, sizeof w->format, "%s", format ? format : "");
    w->path = strdup(path);
    size_t n = strlen(path) + 32;
    w->tmp = malloc(n);
    if (!w->path || !w->tmp) {
        writer_free(w);
        return qa_error(QA_ERR_NOMEM, "out of memory");
    }
    snprintf(w->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    int64_t zero = 0;
    vec_push(&w->tok_off, &zero, 1);
    vec_push(&w->audio_off, &zero, 1);
    vec_push(&w->record_off, &zero, 1);
    vec_push(&w->feat_off, &zero, 1);

    H5E_BEGIN_TRY { w->file = H5Fcreate(w->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT); }
    H5E_END_TRY;
    if (w->file < 0) {
        qa_status s = qa_error(QA_ERR_IO, "cannot create shard %s (is the directory writable?)", w->tmp);
        writer_free(w);
        return s;
    }
    int rank = kind == QA_FEAT_MEL ? 2 : 1;
    hsize_t dims[2] = {QA_SHARD_MEL_BINS, 0}, maxd[2] = {QA_SHARD_MEL_BINS, H5S_UNLIMITED};
    hsize_t chunk[2] = {QA_SHARD_MEL_BINS, FEAT_CHUNK_FRAMES};
    if (rank == 1) {
        dims[0] = 0;
        maxd[0] = H5S_UNLIMITED;
        chunk[0] = PCM_CHUNK;
    }
    hid_t sp = H5Screate_simple(rank, dims, maxd), dcpl = chunked_plist(rank, chunk, feat_deflate);
    w->feat = (sp < 0 || dcpl < 0) ? -1
                                   : H5Dcreate2(w->file, "feat", H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (sp >= 0) H5Sclose(sp);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (w->feat < 0) {
        qa_shard_writer_abort(w);
        return qa_error(QA_ERR_HDF5, "cannot create dataset feat in %s", path);
    }
    const uint32_t one = 1;
    uint8_t le;
    memcpy(&le, &one, 1);
    if (feat_deflate > 0 && le == 1) {
        w->rows = rank == 2 ? QA_SHARD_MEL_BINS : 1;
        w->chunk = (int64_t)chunk[rank - 1];
        w->cbuf = calloc((size_t)(w->rows * w->chunk), sizeof(float));
        qa_status st = w->cbuf ? qa_feat_encoder_new(&w->enc, feat_deflate, (size_t)(w->rows * w->chunk))
                               : qa_error(QA_ERR_NOMEM, "out of memory");
        if (st) {
            qa_shard_writer_abort(w);
            return st;
        }
    }
    *out = w;
    return QA_OK;
}

int64_t qa_shard_writer_samples(const qa_shard_writer *w)
{
    return (int64_t)w->task.n;
}

void qa_shard_writer_set_audio_ids(qa_shard_writer *w, int32_t audio_start, int32_t audio_end, int32_t audio_pad)
{
    w->audio_ids[0] = audio_start;
    w->audio_ids[1] = audio_end;
    w->audio_ids[2] = audio_pad;
}

/* Encodes cbuf and writes it as the chunk starting at column cstart; zero-pads unfilled columns. */
static qa_status flush_chunk(qa_shard_writer *w)
{
    if (w->cfill == 0) return QA_OK;
    for (int64_t r = 0; r < w->rows; r++)
        memset(w->cbuf + r * w->chunk + w->cfill, 0, (size_t)(w->chunk - w->cfill) * sizeof(float));
    const uint8_t *bytes;
    size_t size;
    qa_status st = qa_feat_encode(w->enc, w->cbuf, &bytes, &size);
    if (st) return st;
    hsize_t off[2] = {0, (hsize_t)w->cstart};
    if (w->rows == 1) off[0] = (hsize_t)w->cstart;
    if (H5Dwrite_chunk(w->feat, H5P_DEFAULT, 0, off, size, bytes) < 0)
        return qa_error(QA_ERR_HDF5, "cannot write a feature chunk to %s (disk full?)", w->tmp);
    w->cstart += w->cfill;
    w->cfill = 0;
    return QA_OK;
}

/* Direct chunk path: copies the audio's columns into whole chunks, writing each when full. */
static qa_status append_chunked(qa_shard_writer *w, const qa_shard_audio *a)
{
    int64_t done = 0, stride = w->rows == 1 ? a->frames : a->stride;
    while (done < a->frames) {
        int64_t k = a->frames - done < w->chunk - w->cfill ? a->frames - done : w->chunk - w->cfill;
        for (int64_t r = 0; r < w->rows; r++)
            memcpy(w->cbuf + r * w->chunk + w->cfill, a->feat + r * stride + done, (size_t)k * sizeof(float));
        w->cfill += k;
        done += k;
        if (w->cfill == w->chunk) {
            qa_status st = flush_chunk(w);
            if (st) return st;
        }
    }
    return QA_OK;
}

static qa_status append_feat(qa_shard_writer *w, const qa_shard_audio *a)
{
    if (a->frames <= 0) return QA_OK;
    if (w->enc) {
        hsize_t nd[2] = {QA_SHARD_MEL_BINS, (hsize_t)(w->n_feat + a->frames)};
        if (w->rows == 1) nd[0] = (hsize_t)(w->n_feat + a->frames);
        if (H5Dset_extent(w->feat, nd) < 0) return qa_error(QA_ERR_HDF5, "cannot extend feat in %s", w->path);
        qa_status st = append_chunked(w, a);
        if (st) return st;
        w->n_feat += a->frames;
        return QA_OK;
    }
    int mel = w->kind == QA_FEAT_MEL;
    hsize_t newd[2] = {QA_SHARD_MEL_BINS, (hsize_t)(w->n_feat + a->frames)};
    if (!mel) newd[0] = (hsize_t)(w->n_feat + a->frames);
    if (H5Dset_extent(w->feat, newd) < 0) return qa_error(QA_ERR_HDF5, "cannot extend feat in %s", w->path);
    hid_t fs = H5Dget_space(w->feat);
    hsize_t start[2] = {0, (hsize_t)w->n_feat}, count[2] = {QA_SHARD_MEL_BINS, (hsize_t)a->frames};
    if (!mel) {
        start[0] = (hsize_t)w->n_feat;
        count[0] = (hsize_t)a->frames;
    }
    hid_t ms;
    if (mel) {
        hsize_t mdims[2] = {QA_SHARD_MEL_BINS, (hsize_t)a->stride}, mstart[2] = {0, 0};
        ms = H5Screate_simple(2, mdims, NULL);
        H5Sselect_hyperslab(ms, H5S_SELECT_SET, mstart, NULL, count, NULL);
    } else {
        ms = H5Screate_simple(1, count, NULL);
    }
    herr_t e = H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    if (e >= 0) e = H5Dwrite(w->feat, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, a->feat);
    H5Sclose(ms);
    H5Sclose(fs);
    if (e < 0) return qa_error(QA_ERR_HDF5, "cannot write features to %s (disk full?)", w->tmp);
    w->n_feat += a->frames;
    return QA_OK;
}

qa_status qa_shard_writer_add(qa_shard_writer *w, const qa_shard_sample *s)
{
    if (s->n_tokens < 0 || s->n_audio < 0) return qa_error(QA_ERR_ARG, "negative sizes in shard sample");
    for (int j = 0; j < s->n_audio; j++) {
        const qa_shard_audio *a = &s->audio[j];
        if (w->kind == QA_FEAT_MEL && (a->frames > a->stride || a->frames > 3000))
            return qa_error(QA_ERR_ARG, "audio %d: %lld mel frames stored, stride %lld", j, (long long)a->frames,
                            (long long)a->stride);
        qa_status st = append_feat(w, a);
        if (st) return st;
        int64_t off = w->n_feat;
        if (vec_push(&w->feat_off, &off, 1) || vec_push(&w->samples, &a->samples, 1) ||
            vec_push(&w->mel_len, &a->mel_len, 1) || vec_push(&w->span, &a->span, 1) ||
            vec_push(&w->floor_, &a->floor, 1))
            return qa_error(QA_ERR_NOMEM, "out of memory");
    }
    int64_t toff = (int64_t)w->ids.n + s->n_tokens, aoff = (int64_t)w->samples.n;
    int64_t roff = (int64_t)(w->record.n + s->record_len);
    if (vec_push(&w->ids, s->ids, (size_t)s->n_tokens) || vec_push(&w->labels, s->labels, (size_t)s->n_tokens) ||
        vec_push(&w->tok_off, &toff, 1) || vec_push(&w->audio_off, &aoff, 1) || vec_push(&w->task, &s->task, 1) ||
        vec_push(&w->record, s->record, s->record_len) || vec_push(&w->record_off, &roff, 1))
        return qa_error(QA_ERR_NOMEM, "out of memory");
    return QA_OK;
}

static herr_t write_1d(hid_t file, const char *name, hid_t ftype, hid_t mtype, const vec *v)
{
    hsize_t n = v->n, maxd = H5S_UNLIMITED, chunk = v->n < 1 ? 1 : v->n > 65536 ? 65536 : v->n;
    hid_t sp = H5Screate_simple(1, &n, &maxd), dcpl = chunked_plist(1, &chunk, DEFLATE_LEVEL);
    hid_t d = (sp < 0 || dcpl < 0) ? -1 : H5Dcreate2(file, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    herr_t e = d < 0 ? -1 : 0;
    if (d >= 0 && v->n) e = H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, v->p);
    if (d >= 0) H5Dclose(d);
    if (sp >= 0) H5Sclose(sp);
    if (dcpl >= 0) H5Pclose(dcpl);
    return e;
}

static herr_t attr_i64(hid_t obj, const char *name, int64_t v)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t e = a < 0 ? -1 : H5Awrite(a, H5T_NATIVE_INT64, &v);
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    return e;
}

static herr_t attr_str(hid_t obj, const char *name, const char *v)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(v) + 1);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t e = a < 0 ? -1 : H5Awrite(a, t, v);
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return e;
}

qa_status qa_shard_writer_commit(qa_shard_writer *w)
{
    hid_t f = w->file;
    herr_t e = 0;
    if (w->enc) {
        qa_status st = flush_chunk(w);
        if (st) {
            qa_shard_writer_abort(w);
            return st;
        }
    }
    e |= write_1d(f, "ids", H5T_STD_I32LE, H5T_NATIVE_INT32, &w->ids);
    e |= write_1d(f, "labels", H5T_STD_I32LE, H5T_NATIVE_INT32, &w->labels);
    e |= write_1d(f, "tok_off", H5T_STD_I64LE, H5T_NATIVE_INT64, &w->tok_off);
    e |= write_1d(f, "audio_off", H5T_STD_I64LE, H5T_NATIVE_INT64, &w->audio_off);
    e |= write_1d(f, "task", H5T_STD_I32LE, H5T_NATIVE_INT32, &w->task);
    e |= write_1d(f, "record", H5T_STD_U8LE, H5T_NATIVE_UINT8, &w->record);
    e |= write_1d(f, "record_off", H5T_STD_I64LE, H5T_NATIVE_INT64, &w->record_off);
    e |= write_1d(f, "feat_off", H5T_STD_I64LE, H5T_NATIVE_INT64, &w->feat_off);
    e |= write_1d(f, "samples", H5T_STD_I64LE, H5T_NATIVE_INT64, &w->samples);
    e |= write_1d(f, "mel_len", H5T_STD_I32LE, H5T_NATIVE_INT32, &w->mel_len);
    e |= write_1d(f, "span", H5T_STD_I32LE, H5T_NATIVE_INT32, &w->span);
    e |= write_1d(f, "floor", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, &w->floor_);
    e |= attr_i64(f, "schema_version", QA_SHARD_SCHEMA);
    e |= attr_str(f, "features", w->kind == QA_FEAT_MEL ? "mel" : "pcm");
    e |= attr_str(f, "format", w->format);
    e |= attr_i64(f, "n_samples", (int64_t)w->task.n);
    e |= attr_i64(f, "n_audio", (int64_t)w->samples.n);
    e |= attr_i64(f, "n_tokens", (int64_t)w->ids.n);
    e |= attr_i64(f, "mel_bins", QA_SHARD_MEL_BINS);
    e |= attr_i64(f, "sample_rate", 16000);
    e |= attr_str(f, "producer", "qaudio " QA_VERSION);
    e |= attr_i64(f, "audio_start_id", w->audio_ids[0]);
    e |= attr_i64(f, "audio_end_id", w->audio_ids[1]);
    e |= attr_i64(f, "audio_pad_id", w->audio_ids[2]);
    if (e < 0) {
        qa_shard_writer_abort(w);
        return qa_error(QA_ERR_HDF5, "cannot write the index of shard %s (disk full?)", w->path);
    }
    H5Dclose(w->feat);
    w->feat = -1;
    herr_t ce = H5Fclose(w->file);
    w->file = -1;
    int fd = open(w->tmp, O_RDONLY);
    int sync_ok = fd >= 0 && fsync(fd) == 0;
    if (fd >= 0) close(fd);
    if (ce < 0 || !sync_ok || rename(w->tmp, w->path) != 0) {
        qa_status s = qa_error(QA_ERR_IO, "cannot finish shard %s (disk full?)", w->path);
        qa_shard_writer_abort(w);
        return s;
    }
    writer_free(w);
    return QA_OK;
}

void qa_shard_writer_abort(qa_shard_writer *w)
{
    if (!w) return;
    H5E_BEGIN_TRY
    {
        if (w->feat >= 0) H5Dclose(w->feat);
        if (w->file >= 0) H5Fclose(w->file);
    }
    H5E_END_TRY;
    if (w->tmp) unlink(w->tmp);
    writer_free(w);
}
