/* data/shard_read: opening and reading HDF5 shards (see shard.h, docs/shard-format.md).
 * qa_shard_open loads the small index arrays and checks everything that would otherwise surface
 * later as garbage: schema version, array sizes, offsets starting at 0, never decreasing and
 * ending at the size of the array they index; then (check_consistency) each audio's lengths
 * against its sample count and stored features, and one pass over the token ids matching each
 * sample's <audio> ... </audio> runs to its audios (a hand-edited span or an offset shifted by one
 * would otherwise splice audio into the wrong tokens, silently). Every error names the file
 * (and the sample). It also inspects the
 * feature dataset's chunking and filters to decide whether its chunks are fetched raw
 * (H5Dread_chunk) and decoded by data/shard_chunk.c, or read with H5Dread. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <zlib.h>

#include "core/log.h"
#include "data/format.h"
#include "data/mel.h"
#include "data/shard.h"
#include "data/shard_chunk.h"
#include "data/special_tokens.h"

struct qa_shard {
    hid_t file, ids, labels, feat, record;
    char *path;
    /* direct chunk path (shard_chunk.h): set at open when qaudio decodes feat's filter pipeline */
    int direct;
    int64_t chunk;                /* chunk width in columns (frames or samples) */
    int shuffle_idx, deflate_idx; /* filter positions, -1 = absent */
    qa_shard_index ix;
    int64_t *tok_off, *audio_off, *feat_off, *samples, *record_off;
    int32_t *task, *mel_len, *span;
    float *floor_;
    int64_t n_record;
    int32_t audio_start, audio_end, audio_pad; /* the vocabulary's audio ids (root attributes) */
};

void qa_shard_close(qa_shard *sh)
{
    if (!sh) return;
    H5E_BEGIN_TRY
    {
        hid_t ds[] = {sh->ids, sh->labels, sh->feat, sh->record};
        for (int i = 0; i < 4; i++)
            if (ds[i] >= 0) H5Dclose(ds[i]);
        if (sh->file >= 0) H5Fclose(sh->file);
    }
    H5E_END_TRY;
    free(sh->tok_off);
    free(sh->audio_off);
    free(sh->feat_off);
    free(sh->samples);
    free(sh->record_off);
    free(sh->task);
    free(sh->mel_len);
    free(sh->span);
    free(sh->floor_);
    free(sh->path);
    free(sh);
}

const qa_shard_index *qa_shard_get_index(const qa_shard *sh)
{
    return &sh->ix;
}

static qa_status bad(const qa_shard *sh, const char *what)
{
    return qa_error(QA_ERR_FORMAT, "shard %s: %s (the shard is corrupt or from another tool: re-run qaudio prepare)",
                    sh->path, what);
}

/* Opens a dataset, checks its rank and returns its dims. */
static qa_status open_ds(qa_shard *sh, const char *name, int rank, hid_t *d, hsize_t *dims)
{
    H5E_BEGIN_TRY { *d = H5Dopen2(sh->file, name, H5P_DEFAULT); }
    H5E_END_TRY;
    if (*d < 0) {
        char m[96];
        snprintf(m, sizeof m, "dataset \"%s\" missing or unreadable", name);
        return bad(sh, m);
    }
    hid_t sp = H5Dget_space(*d);
    int r = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
    if (r == rank) H5Sget_simple_extent_dims(sp, dims, NULL);
    if (sp >= 0) H5Sclose(sp);
    if (r != rank) {
        char m[96];
        snprintf(m, sizeof m, "dataset \"%s\" has rank %d, expected %d", name, r, rank);
        return bad(sh, m);
    }
    return QA_OK;
}

/* Reads a whole 1-d dataset into a malloc'd array; *n = its length. */
static qa_status read_1d(qa_shard *sh, const char *name, hid_t mtype, size_t esz, void **out, int64_t *n)
{
    hid_t d;
    hsize_t dim;
    qa_status s = open_ds(sh, name, 1, &d, &dim);
    if (s) return s;
    *out = malloc(dim ? dim * esz : 1);
    herr_t e = -1;
    if (*out) H5E_BEGIN_TRY { e = dim ? H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) : 0; }
    H5E_END_TRY;
    H5Dclose(d);
    if (!*out) return qa_error(QA_ERR_NOMEM, "out of memory reading %s", sh->path);
    if (e < 0) {
        char m[96];
        snprintf(m, sizeof m, "cannot read dataset \"%s\" (truncated file?)", name);
        return bad(sh, m);
    }
    *n = (int64_t)dim;
    return QA_OK;
}

static qa_status check_offsets(qa_shard *sh, const char *name, const int64_t *off, int64_t n, int64_t want_n,
                               int64_t end)
{
    char m[160];
    if (n != want_n) {
        snprintf(m, sizeof m, "\"%s\" has %lld entries, expected %lld", name, (long long)n, (long long)want_n);
        return bad(sh, m);
    }
    if (off[0] != 0) {
        snprintf(m, sizeof m, "\"%s\" does not start at 0", name);
        return bad(sh, m);
    }
    for (int64_t i = 1; i < n; i++)
        if (off[i] < off[i - 1]) {
            snprintf(m, sizeof m, "\"%s\" decreases at entry %lld", name, (long long)i);
            return bad(sh, m);
        }
    if (off[n - 1] != end) {
        snprintf(m, sizeof m, "\"%s\" ends at %lld but the data holds %lld", name, (long long)off[n - 1],
                 (long long)end);
        return bad(sh, m);
    }
    return QA_OK;
}

static qa_status read_attr_i64(qa_shard *sh, const char *name, int64_t *v)
{
    hid_t a;
    herr_t e = -1;
    H5E_BEGIN_TRY
    {
        a = H5Aopen(sh->file, name, H5P_DEFAULT);
        if (a >= 0) e = H5Aread(a, H5T_NATIVE_INT64, v);
        if (a >= 0) H5Aclose(a);
    }
    H5E_END_TRY;
    if (e < 0) {
        char m[96];
        snprintf(m, sizeof m, "attribute \"%s\" missing", name);
        return bad(sh, m);
    }
    return QA_OK;
}

static qa_status read_attr_str(qa_shard *sh, const char *name, char *buf, size_t cap)
{
    hid_t a, t = -1;
    herr_t e = -1;
    H5E_BEGIN_TRY
    {
        a = H5Aopen(sh->file, name, H5P_DEFAULT);
        if (a >= 0) t = H5Aget_type(a);
        if (t >= 0 && H5Tget_class(t) == H5T_STRING && !H5Tis_variable_str(t) && H5Tget_size(t) < cap) {
            memset(buf, 0, cap);
            e = H5Aread(a, t, buf);
        }
        if (t >= 0) H5Tclose(t);
        if (a >= 0) H5Aclose(a);
    }
    H5E_END_TRY;
    if (e < 0) {
        char m[96];
        snprintf(m, sizeof m, "string attribute \"%s\" missing", name);
        return bad(sh, m);
    }
    return QA_OK;
}

static int host_little_endian(void)
{
    const uint32_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* Decides whether feat's chunks are decoded by shard_chunk.c: chunked, little-endian float32, each
 * chunk spanning all rows (mel: 80 bins), chunks not so narrow that an audio needs more than
 * QA_FEAT_JOB_MAX_CHUNKS, and a filter pipeline of [deflate] or [shuffle(4), deflate]. An
 * unfiltered dataset is read with H5Dread too (it reads only the frames needed, and there is no
 * decompression to take out of HDF5's lock). */
static void detect_direct(qa_shard *sh)
{
    sh->direct = 0;
    sh->shuffle_idx = sh->deflate_idx = -1;
    int rank = sh->ix.kind == QA_FEAT_MEL ? 2 : 1;
    char why[160] = "";
    hid_t dcpl = -1, type = -1;
    H5E_BEGIN_TRY
    {
        dcpl = H5Dget_create_plist(sh->feat);
        type = H5Dget_type(sh->feat);
        hsize_t cd[2] = {0, 0};
        int nf = dcpl < 0 ? -1 : H5Pget_nfilters(dcpl);
        if (dcpl < 0 || type < 0 || nf < 0) snprintf(why, sizeof why, "cannot query its creation properties");
        else if (!host_little_endian() || H5Tequal(type, H5T_IEEE_F32LE) <= 0)
            snprintf(why, sizeof why, "not little-endian float32 on a little-endian host");
        else if (H5Pget_layout(dcpl) != H5D_CHUNKED || H5Pget_chunk(dcpl, rank, cd) != rank)
            snprintf(why, sizeof why, "not chunked");
        else if (rank == 2 && cd[0] != QA_SHARD_MEL_BINS)
            snprintf(why, sizeof why, "chunks of %llu bins, not all 80", (unsigned long long)cd[0]);
        else if ((int64_t)cd[rank - 1] < (rank == 2 ? 3000 : 480000) / (QA_FEAT_JOB_MAX_CHUNKS - 2))
            snprintf(why, sizeof why, "chunks of %llu columns are too narrow", (unsigned long long)cd[rank - 1]);
        else if (nf == 0)
            snprintf(why, sizeof why, "uncompressed");
        else {
            for (int i = 0; i < nf && !why[0]; i++) {
                unsigned flags, cdv[8];
                size_t ncd = 8;
                char name[64];
                H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cdv, sizeof name, name, NULL);
                if (id == H5Z_FILTER_SHUFFLE && i == 0 && nf == 2 && ncd >= 1 && cdv[0] == 4) sh->shuffle_idx = i;
                else if (id == H5Z_FILTER_DEFLATE && i == nf - 1) sh->deflate_idx = i;
                else snprintf(why, sizeof why, "filter %d is %d (%s)", i, (int)id, name);
            }
            if (!why[0]) sh->chunk = (int64_t)cd[rank - 1];
        }
        if (type >= 0) H5Tclose(type);
        if (dcpl >= 0) H5Pclose(dcpl);
    }
    H5E_END_TRY;
    sh->direct = !why[0];
    if (!sh->direct) {
        sh->shuffle_idx = sh->deflate_idx = -1;
        qa_log_debug("shard %s: feat read with H5Dread (%s); the direct chunk path takes [deflate] or "
                     "[shuffle, deflate] on float32", sh->path, why);
    }
}

static qa_status load_index(qa_shard *sh)
{
    int64_t ver;
    qa_status s;
    if ((s = read_attr_i64(sh, "schema_version", &ver))) return s;
    if (ver != QA_SHARD_SCHEMA)
        return qa_error(QA_ERR_FORMAT, "shard %s: schema version %lld, this qaudio reads version %d: re-run qaudio "
                        "prepare with this version", sh->path, (long long)ver, QA_SHARD_SCHEMA);
    char feat[16];
    if ((s = read_attr_str(sh, "features", feat, sizeof feat))) return s;
    if (!strcmp(feat, "mel")) sh->ix.kind = QA_FEAT_MEL;
    else if (!strcmp(feat, "pcm")) sh->ix.kind = QA_FEAT_PCM;
    else return bad(sh, "attribute \"features\" is neither mel nor pcm");
    /* audio ids of the shard's vocabulary; shards written before these attributes use Qwen's */
    const char *aid_names[3] = {"audio_start_id", "audio_end_id", "audio_pad_id"};
    const int32_t aid_default[3] = {QA_TOK_AUDIO_START, QA_TOK_AUDIO_END, QA_TOK_AUDIO_PAD};
    int32_t aid[3];
    for (int k = 0; k < 3; k++) {
        htri_t has;
        H5E_BEGIN_TRY { has = H5Aexists(sh->file, aid_names[k]); }
        H5E_END_TRY;
        int64_t v = aid_default[k];
        if (has > 0 && (s = read_attr_i64(sh, aid_names[k], &v))) return s;
        if (v < 0 || v > INT32_MAX) return bad(sh, "an audio id attribute is out of range");
        aid[k] = (int32_t)v;
    }
    if (aid[0] == aid[1] || aid[0] == aid[2] || aid[1] == aid[2]) return bad(sh, "the audio id attributes are not distinct");
    sh->audio_start = aid[0];
    sh->audio_end = aid[1];
    sh->audio_pad = aid[2];

    int64_t n_tok_off, n_audio_off, n_task, n_feat_off, n_samp, n_ml, n_span, n_floor, n_roff, n_lab;
    if ((s = read_1d(sh, "tok_off", H5T_NATIVE_INT64, 8, (void **)&sh->tok_off, &n_tok_off)) ||
        (s = read_1d(sh, "audio_off", H5T_NATIVE_INT64, 8, (void **)&sh->audio_off, &n_audio_off)) ||
        (s = read_1d(sh, "task", H5T_NATIVE_INT32, 4, (void **)&sh->task, &n_task)) ||
        (s = read_1d(sh, "feat_off", H5T_NATIVE_INT64, 8, (void **)&sh->feat_off, &n_feat_off)) ||
        (s = read_1d(sh, "samples", H5T_NATIVE_INT64, 8, (void **)&sh->samples, &n_samp)) ||
        (s = read_1d(sh, "mel_len", H5T_NATIVE_INT32, 4, (void **)&sh->mel_len, &n_ml)) ||
        (s = read_1d(sh, "span", H5T_NATIVE_INT32, 4, (void **)&sh->span, &n_span)) ||
        (s = read_1d(sh, "floor", H5T_NATIVE_FLOAT, 4, (void **)&sh->floor_, &n_floor)) ||
        (s = read_1d(sh, "record_off", H5T_NATIVE_INT64, 8, (void **)&sh->record_off, &n_roff)))
        return s;
    hsize_t d_ids, d_lab, d_rec, d_feat[2];
    if ((s = open_ds(sh, "ids", 1, &sh->ids, &d_ids)) || (s = open_ds(sh, "labels", 1, &sh->labels, &d_lab)) ||
        (s = open_ds(sh, "record", 1, &sh->record, &d_rec)) ||
        (s = open_ds(sh, "feat", sh->ix.kind == QA_FEAT_MEL ? 2 : 1, &sh->feat, d_feat)))
        return s;
    n_lab = (int64_t)d_lab;
    int64_t n = n_task, na = n_samp;
    int64_t nfeat = (int64_t)(sh->ix.kind == QA_FEAT_MEL ? d_feat[1] : d_feat[0]);
    if (sh->ix.kind == QA_FEAT_MEL && d_feat[0] != QA_SHARD_MEL_BINS) return bad(sh, "feat does not have 80 mel bins");
    if (n_lab != (int64_t)d_ids) return bad(sh, "ids and labels differ in length");
    if (n_ml != na || n_span != na || n_floor != na) return bad(sh, "per-audio arrays differ in length");
    if ((s = check_offsets(sh, "tok_off", sh->tok_off, n_tok_off, n + 1, (int64_t)d_ids)) ||
        (s = check_offsets(sh, "audio_off", sh->audio_off, n_audio_off, n + 1, na)) ||
        (s = check_offsets(sh, "feat_off", sh->feat_off, n_feat_off, na + 1, nfeat)) ||
        (s = check_offsets(sh, "record_off", sh->record_off, n_roff, n + 1, (int64_t)d_rec)))
        return s;
    for (int64_t j = 0; j < na; j++) {
        int64_t fr = sh->feat_off[j + 1] - sh->feat_off[j];
        if (sh->mel_len[j] < 1 || sh->mel_len[j] > 3000 || sh->span[j] < 3 || sh->samples[j] < 1 ||
            (sh->ix.kind == QA_FEAT_MEL && fr > 3000)) {
            char m[128];
            snprintf(m, sizeof m, "audio %lld has impossible lengths (mel_len %d, span %d, %lld frames)",
                     (long long)j, sh->mel_len[j], sh->span[j], (long long)fr);
            return bad(sh, m);
        }
    }
    detect_direct(sh);
    sh->n_record = (int64_t)d_rec;
    sh->ix = (qa_shard_index){.path = sh->path, .kind = sh->ix.kind, .n_samples = n, .n_audio = na,
                              .n_tokens = (int64_t)d_ids, .n_feat = nfeat, .tok_off = sh->tok_off,
                              .audio_off = sh->audio_off, .task = sh->task, .feat_off = sh->feat_off,
                              .samples = sh->samples, .mel_len = sh->mel_len, .span = sh->span, .floor = sh->floor_};
    return QA_OK;
}

static qa_status check_consistency(qa_shard *sh);

qa_status qa_shard_open(qa_shard **out, const char *path)
{
    *out = NULL;
    qa_shard *sh = calloc(1, sizeof *sh);
    if (!sh || !(sh->path = strdup(path))) {
        free(sh);
        return qa_error(QA_ERR_NOMEM, "out of memory");
    }
    sh->file = sh->ids = sh->labels = sh->feat = sh->record = -1;
    H5E_BEGIN_TRY { sh->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT); }
    H5E_END_TRY;
    if (sh->file < 0) {
        FILE *f = fopen(path, "rb");
        qa_status s = f ? qa_error(QA_ERR_FORMAT, "shard %s: not a readable HDF5 file (truncated or corrupt): re-run "
                                   "qaudio prepare", path)
                        : qa_error(QA_ERR_IO, "cannot open shard %s: no such file or not readable", path);
        if (f) fclose(f);
        qa_shard_close(sh);
        return s;
    }
    qa_status s = load_index(sh);
    if (!s) s = check_consistency(sh);
    if (s) {
        qa_shard_close(sh);
        return s;
    }
    *out = sh;
    return QA_OK;
}

/* Reads count elements starting at start of a 1-d dataset. */
static qa_status read_range(qa_shard *sh, hid_t d, const char *name, hid_t mtype, int64_t start, int64_t count,
                            void *dst)
{
    if (count == 0) return QA_OK;
    hsize_t st = (hsize_t)start, ct = (hsize_t)count;
    herr_t e = -1;
    H5E_BEGIN_TRY
    {
        hid_t fs = H5Dget_space(d), ms = H5Screate_simple(1, &ct, NULL);
        if (fs >= 0 && ms >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, &st, NULL, &ct, NULL) >= 0)
            e = H5Dread(d, mtype, ms, fs, H5P_DEFAULT, dst);
        if (ms >= 0) H5Sclose(ms);
        if (fs >= 0) H5Sclose(fs);
    }
    H5E_END_TRY;
    if (e < 0)
        return qa_error(QA_ERR_FORMAT, "shard %s: cannot read %s[%lld:%lld] (truncated or corrupt file)", sh->path,
                        name, (long long)start, (long long)(start + count));
    return QA_OK;
}

/* ---- consistency checks on open (docs/shard-format.md) ---- */

static qa_status bad_sample(const qa_shard *sh, int64_t i, const char *fmt, ...)
{
    char m[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    return qa_error(QA_ERR_FORMAT, "shard %s: sample %lld: %s (the shard is inconsistent, hand-edited or corrupt: "
                    "re-run qaudio prepare)", sh->path, (long long)i, m);
}

/* Per audio: lengths derived from the sample count exactly as prepare derives them
 * (qa_audio_lengths_compute), and the stored feature length prepare writes. */
static qa_status check_audios(qa_shard *sh)
{
    const qa_shard_index *ix = &sh->ix;
    for (int64_t i = 0; i < ix->n_samples; i++) {
        if (sh->task[i] < 0 || sh->task[i] >= QA_TASK_COUNT)
            return bad_sample(sh, i, "task %d is not a known task (0..%d)", sh->task[i], QA_TASK_COUNT - 1);
        for (int64_t j = sh->audio_off[i]; j < sh->audio_off[i + 1]; j++) {
            int64_t k = j - sh->audio_off[i], n = sh->samples[j];
            qa_audio_lengths L;
            if (qa_audio_lengths_compute(n, &L))
                return bad_sample(sh, i, "audio %lld has %lld samples, fewer than the %d the encoder needs", (long long)k,
                                  (long long)n, QA_MIN_SAMPLES);
            if (sh->mel_len[j] != L.mel_len)
                return bad_sample(sh, i, "audio %lld: mel_len %d but its %lld samples give %d (min(samples, 480000) "
                                  "// 160)", (long long)k, sh->mel_len[j], (long long)n, L.mel_len);
            if (sh->span[j] != L.span_tokens)
                return bad_sample(sh, i, "audio %lld: span %d but mel_len %d gives %d (t_cnn %d, n_audio %d, + 2)",
                                  (long long)k, sh->span[j], L.mel_len, L.span_tokens, L.t_cnn, L.n_audio);
            int64_t stored = sh->feat_off[j + 1] - sh->feat_off[j];
            int64_t want = ix->kind == QA_FEAT_MEL ? (L.mel_len + 3 < QA_MEL_FRAMES ? L.mel_len + 3 : QA_MEL_FRAMES)
                                                   : (n < QA_N_SAMPLES ? n : QA_N_SAMPLES);
            if (stored != want)
                return bad_sample(sh, i, "audio %lld: %lld %s stored (feat_off) but %s", (long long)k,
                                  (long long)stored, ix->kind == QA_FEAT_MEL ? "mel frames" : "PCM samples",
                                  ix->kind == QA_FEAT_MEL ? "min(3000, mel_len + 3) expected" : "min(samples, 480000) expected");
        }
    }
    return QA_OK;
}

/* One sample's ids: its <audio> P..P </audio> runs, one per audio in order, each span tokens long. */
static qa_status check_runs(const qa_shard *sh, int64_t i, const int32_t *ids, int64_t n)
{
    const int64_t a0 = sh->audio_off[i], na = sh->audio_off[i + 1] - a0;
    int64_t k = 0, start = -1; /* runs closed so far; token of the open run's <audio> (-1: none) */
    for (int64_t t = 0; t < n; t++) {
        int32_t id = ids[t];
        if (start >= 0) {
            if (id == sh->audio_pad) continue;
            if (id != sh->audio_end)
                return bad_sample(sh, i, "token %lld inside audio run %lld (from token %lld) is %d, not the audio "
                                  "placeholder %d or </audio> %d", (long long)t, (long long)k, (long long)start, id,
                                  sh->audio_pad, sh->audio_end);
            int64_t len = t - start + 1;
            if (len != sh->span[a0 + k])
                return bad_sample(sh, i, "audio run %lld (tokens %lld..%lld) has %lld tokens but audio %lld's span is %d",
                                  (long long)k, (long long)start, (long long)t, (long long)len, (long long)k,
                                  sh->span[a0 + k]);
            k++;
            start = -1;
        } else if (id == sh->audio_start) {
            if (k >= na)
                return bad_sample(sh, i, "<audio> at token %lld starts run %lld but the sample has %lld audio(s)",
                                  (long long)t, (long long)k + 1, (long long)na);
            start = t;
        } else if (id == sh->audio_end || id == sh->audio_pad) {
            return bad_sample(sh, i, "token %lld is %s outside an <audio> run", (long long)t,
                              id == sh->audio_end ? "</audio>" : "the audio placeholder");
        }
    }
    if (start >= 0)
        return bad_sample(sh, i, "the audio run from token %lld is not closed by </audio>", (long long)start);
    if (k != na)
        return bad_sample(sh, i, "%lld <audio> run(s) but %lld audio(s) (audio_off)", (long long)k, (long long)na);
    return QA_OK;
}

static qa_status read_range(qa_shard *sh, hid_t d, const char *name, hid_t mtype, int64_t start, int64_t count,
                            void *dst);

/* Fast read of the ids for the check, when "ids" is what the writer makes (chunked little-endian
 * int32 with [shuffle(4), deflate] or [deflate]): each chunk is fetched raw and inflated here, and
 * its byte planes are recombined into ints in one sequential pass (HDF5's own un-shuffle, a byte
 * scatter, made the whole check cost about twice as much: docs/shard-format.md). Anything else
 * (other filters, unfiltered, big-endian) goes through H5Dread. */
typedef struct {
    int ok;                       /* direct reads possible */
    int64_t chunk;                /* elements per chunk */
    int shuffle_idx, deflate_idx; /* filter positions, -1 = absent */
    uint8_t *raw, *planes;        /* (chunk*8 + 4096) fetched bytes, (chunk*4) inflated bytes */
    int32_t *vals;                /* (chunk) the decoded chunk */
    int64_t cur;                  /* index of the chunk in vals, -1 = none */
    z_stream zs;
    int zs_ok;
} ids_reader;

static void ids_reader_init(ids_reader *r, const qa_shard *sh)
{
    memset(r, 0, sizeof *r);
    r->cur = -1;
    r->shuffle_idx = r->deflate_idx = -1;
    hid_t dcpl = -1, type = -1;
    H5E_BEGIN_TRY
    {
        dcpl = H5Dget_create_plist(sh->ids);
        type = H5Dget_type(sh->ids);
        hsize_t cd = 0;
        int nf = dcpl < 0 ? -1 : H5Pget_nfilters(dcpl), good = nf >= 1 && nf <= 2;
        good = good && host_little_endian() && type >= 0 && H5Tequal(type, H5T_STD_I32LE) > 0 &&
               H5Pget_layout(dcpl) == H5D_CHUNKED && H5Pget_chunk(dcpl, 1, &cd) == 1 && cd >= 1 && cd <= (1u << 24);
        for (int i = 0; good && i < nf; i++) {
            unsigned flags, cdv[8];
            size_t ncd = 8;
            H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cdv, 0, NULL, NULL);
            if (id == H5Z_FILTER_SHUFFLE && i == 0 && nf == 2 && ncd >= 1 && cdv[0] == 4) r->shuffle_idx = i;
            else if (id == H5Z_FILTER_DEFLATE && i == nf - 1) r->deflate_idx = i;
            else good = 0;
        }
        if (good) r->chunk = (int64_t)cd;
        r->ok = good;
        if (type >= 0) H5Tclose(type);
        if (dcpl >= 0) H5Pclose(dcpl);
    }
    H5E_END_TRY;
    if (r->ok) {
        r->raw = malloc((size_t)r->chunk * 8 + 4096);
        r->planes = malloc((size_t)r->chunk * 4);
        r->vals = malloc((size_t)r->chunk * 4);
        r->zs_ok = inflateInit2(&r->zs, -15) == Z_OK; /* raw deflate: see ids_chunk */
        r->ok = r->raw && r->planes && r->vals && r->zs_ok;
    }
}

static void ids_reader_deinit(ids_reader *r)
{
    if (r->zs_ok) inflateEnd(&r->zs);
    free(r->raw);
    free(r->planes);
    free(r->vals);
}

/* Decodes chunk c into out (chunk elements): r->vals, or the caller's buffer for a whole chunk. */
static qa_status ids_chunk(qa_shard *sh, ids_reader *r, int64_t c, int32_t *out)
{
    const int64_t C = r->chunk;
    const size_t bytes = (size_t)C * 4, max_size = bytes * 2 + 4096;
    hsize_t o = (hsize_t)(c * C), size = 0;
    uint32_t mask = 0;
    herr_t e = -1;
    H5E_BEGIN_TRY
    {
        if (H5Dget_chunk_storage_size(sh->ids, &o, &size) >= 0 && size > 0 && size <= max_size)
            e = H5Dread_chunk(sh->ids, H5P_DEFAULT, &o, &mask, r->raw);
    }
    H5E_END_TRY;
    if (e < 0)
        return qa_error(QA_ERR_FORMAT, "shard %s: cannot read chunk %lld of \"ids\" (truncated or corrupt file): "
                        "re-run qaudio prepare", sh->path, (long long)c);
    const uint8_t *src = r->raw;
    if (r->deflate_idx >= 0 && !(mask & (1u << r->deflate_idx))) {
        /* The chunk is a zlib stream; its deflate body is inflated raw, without the adler32 of the
         * trailer: that checksum was a third of the check's time, and every later read of these ids
         * (qa_shard_read_tokens, H5Dread) verifies it. A bad header or body still fails here. */
        int zr = size >= 6 && (r->raw[0] & 0x0f) == 8 && !(r->raw[1] & 0x20) && (r->raw[0] * 256 + r->raw[1]) % 31 == 0
                     ? inflateReset(&r->zs)
                     : Z_DATA_ERROR;
        r->zs.next_in = r->raw + 2;
        r->zs.avail_in = (uInt)size - 2;
        r->zs.next_out = r->planes;
        r->zs.avail_out = (uInt)bytes;
        if (zr == Z_OK) zr = inflate(&r->zs, Z_FINISH);
        if (zr != Z_STREAM_END || r->zs.total_out != bytes)
            return qa_error(QA_ERR_FORMAT, "shard %s: chunk %lld of \"ids\" is corrupt (does not inflate to %zu "
                            "bytes): re-run qaudio prepare", sh->path, (long long)c, bytes);
        src = r->planes;
    } else if (size != bytes) {
        return qa_error(QA_ERR_FORMAT, "shard %s: chunk %lld of \"ids\" has %llu bytes, expected %zu: re-run qaudio "
                        "prepare", sh->path, (long long)c, (unsigned long long)size, bytes);
    }
    if (r->shuffle_idx >= 0 && !(mask & (1u << r->shuffle_idx))) {
        const uint8_t *p0 = src, *p1 = src + C, *p2 = src + 2 * C, *p3 = src + 3 * C;
        for (int64_t k = 0; k < C; k++) /* four sequential plane reads: vectorises, unlike a byte scatter */
            out[k] = (int32_t)((uint32_t)p0[k] | (uint32_t)p1[k] << 8 | (uint32_t)p2[k] << 16 | (uint32_t)p3[k] << 24);
    } else {
        memcpy(out, src, bytes); /* little-endian host, checked at init */
    }
    r->cur = out == r->vals ? c : -1;
    return QA_OK;
}

/* ids[start, start + n) into dst, chunk by chunk (direct) or with H5Dread. */
static qa_status ids_read(qa_shard *sh, ids_reader *r, int64_t start, int64_t n, int32_t *dst)
{
    if (!r->ok) return read_range(sh, sh->ids, "ids", H5T_NATIVE_INT32, start, n, dst);
    const int64_t C = r->chunk;
    for (int64_t t = start; t < start + n;) {
        int64_t c = t / C, end = (c + 1) * C < start + n ? (c + 1) * C : start + n;
        qa_status s = QA_OK;
        if (t == c * C && end == (c + 1) * C) { /* a whole chunk: straight into dst */
            s = ids_chunk(sh, r, c, dst + (t - start));
        } else {
            if (c != r->cur) s = ids_chunk(sh, r, c, r->vals);
            if (!s) memcpy(dst + (t - start), r->vals + (t - c * C), (size_t)(end - t) * sizeof *dst);
        }
        if (s) return s;
        t = end;
    }
    return QA_OK;
}

/* Reads ids in blocks of whole samples (about 1M tokens: bounded memory for any shard size). */
static qa_status check_ids(qa_shard *sh)
{
    const int64_t n = sh->ix.n_samples, cap_tokens = 1 << 20;
    int32_t *buf = NULL;
    int64_t cap = 0;
    ids_reader rd;
    ids_reader_init(&rd, sh);
    qa_status s = QA_OK;
    for (int64_t i0 = 0; i0 < n && !s;) {
        int64_t i1 = i0 + 1;
        while (i1 < n && sh->tok_off[i1 + 1] - sh->tok_off[i0] <= cap_tokens) i1++;
        int64_t m = sh->tok_off[i1] - sh->tok_off[i0];
        if (m > cap) {
            int32_t *p = realloc(buf, (size_t)m * sizeof *p);
            if (!p) {
                s = qa_error(QA_ERR_NOMEM, "out of memory checking %s", sh->path);
                break;
            }
            buf = p;
            cap = m;
        }
        s = ids_read(sh, &rd, sh->tok_off[i0], m, buf);
        for (int64_t i = i0; i < i1 && !s; i++)
            s = check_runs(sh, i, buf + (sh->tok_off[i] - sh->tok_off[i0]), sh->tok_off[i + 1] - sh->tok_off[i]);
        i0 = i1;
    }
    ids_reader_deinit(&rd);
    free(buf);
    return s;
}

static qa_status check_consistency(qa_shard *sh)
{
    qa_status s = check_audios(sh);
    return s ? s : check_ids(sh);
}

qa_status qa_shard_read_tokens(qa_shard *sh, int64_t i, int32_t *ids, int32_t *labels)
{
    if (i < 0 || i >= sh->ix.n_samples)
        return qa_error(QA_ERR_ARG, "shard %s: sample %lld out of range (0..%lld)", sh->path, (long long)i,
                        (long long)sh->ix.n_samples - 1);
    int64_t a = sh->tok_off[i], n = sh->tok_off[i + 1] - a;
    qa_status s = QA_OK;
    if (ids) s = read_range(sh, sh->ids, "ids", H5T_NATIVE_INT32, a, n, ids);
    if (!s && labels) s = read_range(sh, sh->labels, "labels", H5T_NATIVE_INT32, a, n, labels);
    return s;
}

/* One audio's features through fetch + decode on this thread (temporary arena and scratch). */
static qa_status read_feat(qa_shard *sh, int64_t j, float *dst, int64_t F)
{
    qa_byte_arena arena = {0};
    qa_feat_job job;
    qa_feat_scratch *sc = NULL;
    qa_status s = qa_shard_fetch_feat(sh, j, dst, F, &arena, &job);
    if (!s && job.pending) {
        s = qa_feat_scratch_new(&sc);
        if (!s) s = qa_feat_job_decode(&job, arena.p, sc);
    }
    qa_feat_scratch_free(sc);
    free(arena.p);
    return s;
}

qa_status qa_shard_read_mel_hdf5(qa_shard *sh, int64_t j, float *mel, int64_t F)
{
    if (sh->ix.kind != QA_FEAT_MEL) return qa_error(QA_ERR_ARG, "shard %s holds PCM, not mel features", sh->path);
    if (j < 0 || j >= sh->ix.n_audio || F < 1 || F > 3000)
        return qa_error(QA_ERR_ARG, "shard %s: audio %lld / %lld frames out of range", sh->path, (long long)j,
                        (long long)F);
    int64_t off = sh->feat_off[j], stored = sh->feat_off[j + 1] - off, m = stored < F ? stored : F;
    if (m > 0) {
        hsize_t fst[2] = {0, (hsize_t)off}, cnt[2] = {QA_SHARD_MEL_BINS, (hsize_t)m};
        hsize_t mdims[2] = {QA_SHARD_MEL_BINS, (hsize_t)F}, mst[2] = {0, 0};
        herr_t e = -1;
        H5E_BEGIN_TRY
        {
            hid_t fs = H5Dget_space(sh->feat), ms = H5Screate_simple(2, mdims, NULL);
            if (fs >= 0 && ms >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, fst, NULL, cnt, NULL) >= 0 &&
                H5Sselect_hyperslab(ms, H5S_SELECT_SET, mst, NULL, cnt, NULL) >= 0)
                e = H5Dread(sh->feat, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, mel);
            if (ms >= 0) H5Sclose(ms);
            if (fs >= 0) H5Sclose(fs);
        }
        H5E_END_TRY;
        if (e < 0)
            return qa_error(QA_ERR_FORMAT, "shard %s: cannot read the mel of audio %lld (truncated or corrupt file)",
                            sh->path, (long long)j);
    }
    float fl = sh->floor_[j];
    for (int b = 0; b < QA_SHARD_MEL_BINS; b++)
        for (int64_t t = m; t < F; t++) mel[b * F + t] = fl;
    return QA_OK;
}

int qa_shard_direct(const qa_shard *sh)
{
    return sh->direct;
}

qa_status qa_shard_fetch_feat(qa_shard *sh, int64_t j, float *dst, int64_t F, qa_byte_arena *arena, qa_feat_job *job)
{
    int mel = sh->ix.kind == QA_FEAT_MEL;
    job->pending = 0;
    if (j < 0 || j >= sh->ix.n_audio || (mel && (F < 1 || F > 3000)))
        return qa_error(QA_ERR_ARG, "shard %s: audio %lld / %lld frames out of range", sh->path, (long long)j,
                        (long long)F);
    int64_t off = sh->feat_off[j], stored = sh->feat_off[j + 1] - off, m = mel && stored > F ? F : stored;
    if (!sh->direct || m == 0)
        return mel ? qa_shard_read_mel_hdf5(sh, j, dst, F)
                   : read_range(sh, sh->feat, "feat", H5T_NATIVE_FLOAT, off, stored, dst);
    int64_t C = sh->chunk, c0 = off / C, c1 = (off + m - 1) / C;
    *job = (qa_feat_job){.pending = 1, .path = sh->path, .audio = j, .dst = dst, .rows = mel ? QA_SHARD_MEL_BINS : 1,
                         .ld = mel ? F : m, .first = off, .m = m, .F = mel ? F : m, .floor = mel ? sh->floor_[j] : 0.0f,
                         .chunk = C, .shuffle_idx = sh->shuffle_idx, .deflate_idx = sh->deflate_idx, .c0 = c0,
                         .n_chunks = (int)(c1 - c0 + 1)};
    if (job->n_chunks > QA_FEAT_JOB_MAX_CHUNKS) { /* only PCM audios over 30 s could get here */
        job->pending = 0;
        return mel ? qa_shard_read_mel_hdf5(sh, j, dst, F)
                   : read_range(sh, sh->feat, "feat", H5T_NATIVE_FLOAT, off, stored, dst);
    }
    const hsize_t max_size = (hsize_t)job->rows * (hsize_t)C * 4 * 2 + 4096;
    for (int c = 0; c < job->n_chunks; c++) {
        hsize_t o[2] = {0, 0}, size = 0;
        o[mel ? 1 : 0] = (hsize_t)((c0 + c) * C);
        uint32_t mask = 0;
        herr_t e = -1;
        H5E_BEGIN_TRY
        {
            /* a stored chunk is never much larger than its raw bytes (zlib's bound, or stored raw
             * when deflate is skipped): a bigger size comes from a corrupt index, not worth a malloc */
            if (H5Dget_chunk_storage_size(sh->feat, o, &size) >= 0 && size > 0 && size <= max_size &&
                qa_byte_arena_reserve(arena, (size_t)size) == 0)
                e = H5Dread_chunk(sh->feat, H5P_DEFAULT, o, &mask, arena->p + arena->n);
        }
        H5E_END_TRY;
        if (e < 0) {
            job->pending = 0;
            return qa_error(QA_ERR_FORMAT, "shard %s: cannot read the feature chunk %lld (columns from %lld, audio "
                            "%lld): truncated or corrupt file, re-run qaudio prepare", sh->path,
                            (long long)(c0 + c), (long long)((c0 + c) * C), (long long)j);
        }
        job->ch[c] = (qa_feat_chunk){.off = arena->n, .size = (uint32_t)size, .mask = mask};
        arena->n += (size_t)size;
    }
    return QA_OK;
}

qa_status qa_shard_read_mel(qa_shard *sh, int64_t j, float *mel, int64_t F)
{
    if (sh->ix.kind != QA_FEAT_MEL) return qa_error(QA_ERR_ARG, "shard %s holds PCM, not mel features", sh->path);
    return read_feat(sh, j, mel, F);
}

qa_status qa_shard_read_pcm(qa_shard *sh, int64_t j, float *pcm)
{
    if (sh->ix.kind != QA_FEAT_PCM) return qa_error(QA_ERR_ARG, "shard %s holds mel, not PCM features", sh->path);
    return read_feat(sh, j, pcm, 0);
}

qa_status qa_shard_read_record(qa_shard *sh, int64_t i, char **json)
{
    *json = NULL;
    if (i < 0 || i >= sh->ix.n_samples) return qa_error(QA_ERR_ARG, "shard %s: sample %lld out of range", sh->path,
                                                        (long long)i);
    int64_t a = sh->record_off[i], n = sh->record_off[i + 1] - a;
    char *p = malloc((size_t)n + 1);
    if (!p) return qa_error(QA_ERR_NOMEM, "out of memory");
    qa_status s = read_range(sh, sh->record, "record", H5T_NATIVE_UINT8, a, n, p);
    if (s) {
        free(p);
        return s;
    }
    p[n] = 0;
    *json = p;
    return QA_OK;
}
