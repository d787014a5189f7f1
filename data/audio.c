/* data/audio: decode (libsndfile), downmix (average of channels, in float) and resample
 * (libsamplerate, SRC_SINC_BEST_QUALITY) any supported audio file to mono 16 kHz float PCM.
 *
 * Integer PCM is read with sf_readf_float and libsndfile's default float normalisation, which is
 * exactly sample / 2^(bits-1) (int16 / 32768, int24 / 2^23): the values the reference reads.
 * A file is rejected, with its name in the message, when it cannot be opened or parsed, holds
 * no samples, decodes fewer frames than its header promises (truncated), or holds a non-finite
 * sample. Resampled length: ceil(frames * 16000 / rate) (see docs/audio.md). */
#include "data/audio.h"

#include <errno.h>
#include <math.h>
#include <samplerate.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/mel.h"

#define QA_AUDIO_MAX_CHANNELS 64
#define QA_AUDIO_CHUNK 4096 /* frames per sf_readf_float call */
/* 6 hours at 192 kHz: far more than any training clip; guards against absurd headers */
#define QA_AUDIO_MAX_FRAMES ((int64_t)192000 * 3600 * 6)

void qa_audio_free(qa_audio *a) {
    if (!a) return;
    free(a->pcm);
    memset(a, 0, sizeof *a);
}

/* SF_FORMAT_MPEG (libsndfile >= 1.1) is an enum constant, not a macro: use its value so this
 * also builds against older headers (where the loop simply finds nothing). */
#define QA_SF_FORMAT_MPEG 0x230000

int qa_audio_has_mp3(void) {
    int count = 0;
    if (sf_command(NULL, SFC_GET_FORMAT_MAJOR_COUNT, &count, sizeof count) != 0) return 0;
    for (int i = 0; i < count; i++) {
        SF_FORMAT_INFO fi;
        memset(&fi, 0, sizeof fi);
        fi.format = i;
        if (sf_command(NULL, SFC_GET_FORMAT_MAJOR, &fi, sizeof fi) != 0) continue;
        if ((fi.format & SF_FORMAT_TYPEMASK) == QA_SF_FORMAT_MPEG) return 1;
    }
    return 0;
}

const char *qa_audio_backend_version(void) { return sf_version_string(); }

/* ---- memory reader for sf_open_virtual ---- */
typedef struct {
    const unsigned char *buf;
    sf_count_t len, pos;
} mem_reader;

static sf_count_t mem_len(void *ud) { return ((mem_reader *)ud)->len; }
static sf_count_t mem_seek(sf_count_t off, int whence, void *ud) {
    mem_reader *r = ud;
    sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? r->pos : r->len;
    sf_count_t p = base + off;
    if (p < 0 || p > r->len) return -1;
    r->pos = p;
    return p;
}
static sf_count_t mem_read(void *dst, sf_count_t n, void *ud) {
    mem_reader *r = ud;
    if (n < 0) return 0;
    sf_count_t left = r->len - r->pos;
    if (n > left) n = left;
    if (n > 0) memcpy(dst, r->buf + r->pos, (size_t)n);
    r->pos += n;
    return n;
}
static sf_count_t mem_write(const void *src, sf_count_t n, void *ud) { return 0; }
static sf_count_t mem_tell(void *ud) { return ((mem_reader *)ud)->pos; }

/* A hint for files libsndfile refused: MP3 support may simply be missing from this build, or a
 * WAV may hold a codec libsndfile cannot decode (libsndfile then only says "Malformed 'fmt '
 * chunk"). `head` is the start of the file (may be NULL). */
static const char *format_hint(const char *name, const unsigned char *head, size_t len, char *buf, size_t n) {
    const char *dot = name ? strrchr(name, '.') : NULL;
    if (dot && !strcasecmp(dot, ".mp3") && !qa_audio_has_mp3())
        return " (this libsndfile has no MP3 support: install libsndfile >= 1.1 built with mpg123, or convert "
               "the file to FLAC/WAV)";
    if (head && len >= 22 && !memcmp(head, "RIFF", 4) && !memcmp(head + 8, "WAVE", 4)) {
        /* walk the RIFF chunks to "fmt " and read its format tag */
        size_t off = 12;
        while (off + 8 + 2 <= len) {
            uint32_t sz = (uint32_t)head[off + 4] | (uint32_t)head[off + 5] << 8 | (uint32_t)head[off + 6] << 16 |
                          (uint32_t)head[off + 7] << 24;
            if (!memcmp(head + off, "fmt ", 4)) {
                unsigned tag = head[off + 8] | (unsigned)head[off + 9] << 8;
                static const unsigned known[] = {0x0001, 0x0002, 0x0003, 0x0006, 0x0007, 0x0011, 0x0031, 0xFFFE};
                for (size_t i = 0; i < sizeof known / sizeof *known; i++)
                    if (tag == known[i]) return " (the WAV header is damaged)";
                snprintf(buf, n, " (unsupported codec: WAV format tag 0x%04X; convert the file to PCM WAV or FLAC)", tag);
                return buf;
            }
            if (sz > len) break;
            off += 8 + (size_t)sz + (sz & 1);
        }
    }
    return " (supported: WAV, FLAC, Ogg Vorbis/Opus, MP3 and the other libsndfile formats)";
}

/* Resamples mono `in` (n frames at `rate`) to 16 kHz; *out malloc'd, length ceil(n*16000/rate). */
static qa_status resample_to_16k(const float *in, size_t n, int rate, const char *name, float **out,
                                 size_t *nout) {
    const double ratio = (double)QA_SAMPLE_RATE / rate;
    /* ceil(n * 16000 / rate) in integers */
    size_t want = (size_t)(((unsigned long long)n * QA_SAMPLE_RATE + (unsigned)rate - 1) / (unsigned)rate);
    size_t cap = want + 64;
    float *buf = calloc(cap, sizeof(float));
    if (!buf) return qa_error(QA_ERR_NOMEM, "%s: out of memory resampling %zu samples", name, n);
    if (!src_is_valid_ratio(ratio)) {
        free(buf);
        return qa_error(QA_ERR_UNSUPPORTED, "%s: cannot resample from %d Hz to 16000 Hz (ratio out of range)", name, rate);
    }
    SRC_DATA d;
    memset(&d, 0, sizeof d);
    d.data_in = in;
    d.input_frames = (long)n;
    d.data_out = buf;
    d.output_frames = (long)cap;
    d.src_ratio = ratio;
    d.end_of_input = 1;
    int err = src_simple(&d, SRC_SINC_BEST_QUALITY, 1);
    if (err) {
        free(buf);
        return qa_error(QA_ERR_INTERNAL, "%s: resampling %d Hz -> 16000 Hz failed: %s", name, rate, src_strerror(err));
    }
    /* libsamplerate may stop a sample or two short of the exact length: the tail stays zero */
    *out = buf;
    *nout = want;
    return QA_OK;
}

static qa_status decode_open(SNDFILE *sf, const SF_INFO *info, const char *name, int64_t max_frames, qa_audio *out) {
    memset(out, 0, sizeof *out);
    const int ch = info->channels, rate = info->samplerate;
    if (ch <= 0 || ch > QA_AUDIO_MAX_CHANNELS)
        return qa_error(QA_ERR_FORMAT, "%s: %d channels: expected 1 to %d", name, ch, QA_AUDIO_MAX_CHANNELS);
    if (rate < 1000 || rate > 768000)
        return qa_error(QA_ERR_FORMAT, "%s: sample rate %d Hz: expected 1000 to 768000 Hz", name, rate);
    if (max_frames <= 0 || max_frames > QA_AUDIO_MAX_FRAMES) max_frames = QA_AUDIO_MAX_FRAMES;
    const int known = info->frames > 0 && info->frames < SF_COUNT_MAX;
    if (known && info->frames > max_frames)
        return qa_error(QA_ERR_FORMAT, "%s: %lld frames: more than the limit of %lld frames", name,
                        (long long)info->frames, (long long)max_frames);
    /* start from the header's count but never trust it for a huge allocation: grow as decoded */
    size_t cap = known && info->frames < (1 << 20) ? (size_t)info->frames : (size_t)QA_AUDIO_CHUNK;
    float *mono = malloc(sizeof(float) * cap);
    float *chunk = malloc(sizeof(float) * QA_AUDIO_CHUNK * (size_t)ch);
    if (!mono || !chunk) {
        free(mono);
        free(chunk);
        return qa_error(QA_ERR_NOMEM, "%s: out of memory decoding", name);
    }
    size_t n = 0;
    qa_status st = QA_OK;
    for (;;) {
        sf_count_t got = sf_readf_float(sf, chunk, QA_AUDIO_CHUNK);
        if (got <= 0) break;
        if (n + (size_t)got > cap) {
            size_t ncap = cap * 2 > n + (size_t)got ? cap * 2 : n + (size_t)got;
            if ((int64_t)(n + (size_t)got) > max_frames) {
                st = qa_error(QA_ERR_FORMAT, "%s: more than the limit of %lld frames", name, (long long)max_frames);
                break;
            }
            if ((int64_t)ncap > max_frames) ncap = (size_t)max_frames;
            float *t = realloc(mono, sizeof(float) * ncap);
            if (!t) {
                st = qa_error(QA_ERR_NOMEM, "%s: out of memory decoding", name);
                break;
            }
            mono = t;
            cap = ncap;
        }
        for (sf_count_t f = 0; f < got && !st; f++) {
            const float *fr = chunk + (size_t)f * (size_t)ch;
            float acc = 0.0f;
            for (int c = 0; c < ch; c++) acc += fr[c];
            if (!isfinite(acc))
                st = qa_error(QA_ERR_FORMAT, "%s: non-finite sample at frame %zu: the file is corrupt", name,
                              n + (size_t)f);
            /* (L + R) / 2 in float, as numpy's mean over channels of float32 data */
            mono[n + (size_t)f] = ch == 1 ? acc : acc / (float)ch;
        }
        if (st) break;
        n += (size_t)got;
    }
    free(chunk);
    if (!st && sf_error(sf) != SF_ERR_NO_ERROR)
        st = qa_error(QA_ERR_FORMAT, "%s: decoding failed after %zu frames: %s (file truncated or corrupt?)", name, n,
                      sf_strerror(sf));
    if (!st && n == 0) st = qa_error(QA_ERR_FORMAT, "%s: the file holds no audio samples (empty)", name);
    if (!st && known && (sf_count_t)n < info->frames)
        st = qa_error(QA_ERR_FORMAT, "%s: truncated: the header announces %lld frames but only %zu could be decoded",
                      name, (long long)info->frames, n);
    if (st) {
        free(mono);
        return st;
    }
    out->src_rate = rate;
    out->src_channels = ch;
    out->src_frames = (int64_t)n;
    if (rate == QA_SAMPLE_RATE) {
        out->pcm = mono;
        out->n = n;
        return QA_OK;
    }
    st = resample_to_16k(mono, n, rate, name, &out->pcm, &out->n);
    free(mono);
    if (st) memset(out, 0, sizeof *out);
    return st;
}

/* libsndfile accepts a WAV file whose data chunk is cut short and silently shortens the frame
 * count; its log then holds "data : DECLARED (should be ACTUAL)". We treat ACTUAL < DECLARED as
 * truncation (a partial clip would train on a cut transcript). Other "(should be" lines (RIFF
 * size, byte rate) come from sloppy writers with complete data and are accepted, as are
 * streaming headers that declare 0 or 0xFFFFFFFF bytes. */
static qa_status check_log(SNDFILE *sf, const char *name) {
    char log[8192];
    memset(log, 0, sizeof log);
    sf_command(sf, SFC_GET_LOG_INFO, log, sizeof log - 1);
    for (const char *p = log; (p = strstr(p, "data : ")) != NULL; p++) {
        if (p != log && p[-1] != '\n') continue;
        char *end;
        long long declared = strtoll(p + 7, &end, 10);
        const char *eol = strchr(p, '\n');
        const char *sb = strstr(end, "(should be ");
        if (!sb || (eol && sb > eol)) continue;
        long long actual = strtoll(sb + 11, NULL, 10);
        if (declared > 0 && declared != 0xFFFFFFFFLL && actual < declared)
            return qa_error(QA_ERR_FORMAT, "%s: truncated: the data chunk declares %lld bytes but only %lld are present",
                            name, declared, actual);
    }
    return QA_OK;
}

qa_status qa_audio_load(const char *path, qa_audio *out) {
    memset(out, 0, sizeof *out);
    if (!path || !*path) return qa_error(QA_ERR_ARG, "audio path is empty");
    FILE *f = fopen(path, "rb");
    if (!f) return qa_error(QA_ERR_IO, "cannot open audio file %s: %s", path, strerror(errno));
    struct stat stt;
    int isdir = fstat(fileno(f), &stt) == 0 && S_ISDIR(stt.st_mode);
    unsigned char head[512];
    size_t hlen = isdir ? 0 : fread(head, 1, sizeof head, f);
    fclose(f);
    if (isdir) return qa_error(QA_ERR_IO, "cannot read audio file %s: it is a directory", path);
    if (hlen == 0) return qa_error(QA_ERR_FORMAT, "%s: the file is empty (0 bytes)", path);
    char hint[160];
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf)
        return qa_error(QA_ERR_FORMAT, "%s: cannot decode: %s%s", path, sf_strerror(NULL),
                        format_hint(path, head, hlen, hint, sizeof hint));
    qa_status st = check_log(sf, path);
    if (!st) st = decode_open(sf, &info, path, 0, out);
    sf_close(sf);
    return st;
}

qa_status qa_audio_decode_memory(const void *buf, size_t len, const char *name, qa_audio *out) {
    return qa_audio_decode_memory_max(buf, len, name, 0, out);
}

qa_status qa_audio_decode_memory_max(const void *buf, size_t len, const char *name, int64_t max_frames, qa_audio *out) {
    memset(out, 0, sizeof *out);
    if (!name) name = "<memory>";
    if (!buf || len == 0) return qa_error(QA_ERR_FORMAT, "%s: the buffer is empty (0 bytes)", name);
    mem_reader r = {buf, (sf_count_t)len, 0};
    SF_VIRTUAL_IO vio = {mem_len, mem_seek, mem_read, mem_write, mem_tell};
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open_virtual(&vio, SFM_READ, &info, &r);
    if (!sf) {
        char hint[160];
        return qa_error(QA_ERR_FORMAT, "%s: cannot decode: %s%s", name, sf_strerror(NULL),
                        format_hint(name, buf, len, hint, sizeof hint));
    }
    qa_status st = check_log(sf, name);
    if (!st) st = decode_open(sf, &info, name, max_frames, out);
    sf_close(sf);
    return st;
}
