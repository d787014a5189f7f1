/* Unit tests for data/audio: exact sample values (int16/32768, int24/2^23, float as stored),
 * channel averaging, resampling (length and fidelity), FLAC / Ogg Vorbis / Opus / MP3 decoding,
 * memory decoding, and bad input (missing, empty, truncated, garbage, unsupported codec,
 * non-finite samples), each failing with a message that names the file. */
#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "data/audio.h"
#include "data/mel.h"
#include "tests/support/test.h"

static void put16(unsigned char *p, unsigned v) { p[0] = v & 255; p[1] = (v >> 8) & 255; }
static void put32(unsigned char *p, uint32_t v) { put16(p, v & 0xffff); put16(p + 2, v >> 16); }

/* Writes a canonical 44-byte-header WAV: fmt tag (1 PCM, 3 float), `bits`, `data` of `bytes`
 * bytes, with the data chunk declaring `declared` bytes (== bytes for a good file). */
static void write_wav(const char *path, int tag, int bits, int ch, int rate, const void *data, uint32_t bytes,
                      uint32_t declared) {
    unsigned char h[44];
    memcpy(h, "RIFF", 4);
    put32(h + 4, 36 + declared);
    memcpy(h + 8, "WAVEfmt ", 8);
    put32(h + 16, 16);
    put16(h + 20, (unsigned)tag);
    put16(h + 22, (unsigned)ch);
    put32(h + 24, (uint32_t)rate);
    put32(h + 28, (uint32_t)(rate * ch * bits / 8));
    put16(h + 32, (unsigned)(ch * bits / 8));
    put16(h + 34, (unsigned)bits);
    memcpy(h + 36, "data", 4);
    put32(h + 40, declared);
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(h, 1, 44, f);
    if (bytes) fwrite(data, 1, bytes, f);
    fclose(f);
}

static const char *tmp(const char *name) {
    static char buf[4][512];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", qa_test_tmpdir(), name);
    return buf[i];
}

static void test_pcm16_exact(qa_t *t) {
    int16_t v[] = {0, 1, -1, 32767, -32768, 12345, -23456, 100};
    const char *p = tmp("pcm16.wav");
    write_wav(p, 1, 16, 1, 16000, v, sizeof v, sizeof v);
    qa_audio a;
    CHECK_OK(t, qa_audio_load(p, &a));
    CHECK(t, a.n == 8 && a.src_rate == 16000 && a.src_channels == 1 && a.src_frames == 8);
    for (size_t i = 0; i < a.n && i < 8; i++) CHECK_MSG(t, a.pcm[i] == (float)v[i] / 32768.0f, "sample %zu: %.9g", i, a.pcm[i]);
    qa_audio_free(&a);
    qa_audio_free(&a); /* idempotent */
    qa_audio_free(NULL);
}

static void test_pcm24_exact(qa_t *t) {
    int32_t v[] = {0, 1, -1, 8388607, -8388608, 1234567, -7654321};
    unsigned char b[7 * 3];
    for (int i = 0; i < 7; i++) {
        uint32_t u = (uint32_t)v[i];
        b[3 * i] = u & 255;
        b[3 * i + 1] = (u >> 8) & 255;
        b[3 * i + 2] = (u >> 16) & 255;
    }
    const char *p = tmp("pcm24.wav");
    write_wav(p, 1, 24, 1, 16000, b, sizeof b, sizeof b);
    qa_audio a;
    CHECK_OK(t, qa_audio_load(p, &a));
    CHECK(t, a.n == 7);
    for (size_t i = 0; i < a.n && i < 7; i++)
        CHECK_MSG(t, a.pcm[i] == (float)v[i] / 8388608.0f, "sample %zu: %.9g vs %.9g", i, a.pcm[i], (float)v[i] / 8388608.0f);
    qa_audio_free(&a);
}

static void test_float_and_channels(qa_t *t) {
    float v[] = {0.1f, -0.3f, 0.123456789f, 1e-7f, -0.999f, 0.5f}; /* 3 stereo frames */
    const char *p = tmp("float_stereo.wav");
    write_wav(p, 3, 32, 2, 16000, v, sizeof v, sizeof v);
    qa_audio a;
    CHECK_OK(t, qa_audio_load(p, &a));
    CHECK(t, a.n == 3 && a.src_channels == 2);
    for (size_t i = 0; i < a.n && i < 3; i++)
        CHECK_MSG(t, a.pcm[i] == (v[2 * i] + v[2 * i + 1]) / 2.0f, "frame %zu: %.9g", i, a.pcm[i]);
    qa_audio_free(&a);
    /* 4 channels of int16: the average of the four */
    int16_t q[] = {100, 200, 300, 400, -32768, 32767, 0, 1};
    p = tmp("quad.wav");
    write_wav(p, 1, 16, 4, 16000, q, sizeof q, sizeof q);
    CHECK_OK(t, qa_audio_load(p, &a));
    CHECK(t, a.n == 2 && a.src_channels == 4);
    if (a.n == 2) {
        CHECK_NEAR(t, a.pcm[0], 1000.0 / 4 / 32768, 1e-9);
        CHECK_NEAR(t, a.pcm[1], (-32768.0 + 32767 + 0 + 1) / 4 / 32768, 1e-9);
    }
    qa_audio_free(&a);
}

/* A sine written at `rate` comes out at 16 kHz with length ceil(n*16000/rate) and matches the
 * same sine sampled at 16 kHz away from the edges (libsamplerate best sinc: ~1e-5). */
static void check_resample(qa_t *t, int rate, double freq) {
    int n = rate / 2; /* 0.5 s */
    int16_t *v = malloc(sizeof(int16_t) * (size_t)n);
    for (int i = 0; i < n; i++) v[i] = (int16_t)lrint(16000.0 * sin(2 * M_PI * freq * i / rate));
    char name[64];
    snprintf(name, sizeof name, "sine_%d.wav", rate);
    const char *p = tmp(name);
    write_wav(p, 1, 16, 1, rate, v, (uint32_t)(2 * n), (uint32_t)(2 * n));
    qa_audio a;
    CHECK_OK(t, qa_audio_load(p, &a));
    size_t want = (size_t)(((long long)n * 16000 + rate - 1) / rate);
    CHECK_MSG(t, a.n == want, "rate %d: %zu samples, want %zu", rate, a.n, want);
    CHECK(t, a.src_rate == rate && a.src_frames == n);
    double maxd = 0;
    for (size_t i = 400; i + 400 < a.n; i++)
        maxd = fmax(maxd, fabs(a.pcm[i] - 16000.0 / 32768 * sin(2 * M_PI * freq * (double)i / 16000)));
    printf("  %d Hz -> 16 kHz, %.0f Hz sine: max |d| %.2e (interior)\n", rate, freq, maxd);
    CHECK_MSG(t, maxd < 2e-4, "rate %d: max deviation %g", rate, maxd);
    qa_audio_free(&a);
    free(v);
}

static void test_resample(qa_t *t) {
    check_resample(t, 24000, 1000.0);
    check_resample(t, 48000, 3000.0);
    check_resample(t, 44100, 440.0);
    check_resample(t, 8000, 500.0);
    check_resample(t, 22050, 5000.0);
}

/* Writes `n` int16 samples with libsndfile in `format`; returns 0 when the format is unavailable. */
static int sf_write_file(const char *path, int format, int rate, const int16_t *v, int n) {
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = rate;
    info.channels = 1;
    info.format = format;
    if (!sf_format_check(&info)) return 0;
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf) return 0;
    sf_count_t w = sf_write_short(sf, v, n);
    sf_close(sf);
    return w == n;
}

static int16_t *test_signal(int n) {
    int16_t *v = malloc(sizeof(int16_t) * (size_t)n);
    for (int i = 0; i < n; i++) v[i] = (int16_t)lrint(12000.0 * sin(2 * M_PI * 440.0 * i / 16000) + 3000.0 * sin(0.37 * i));
    return v;
}

static void test_flac_lossless(qa_t *t) {
    int n = 8000;
    int16_t *v = test_signal(n);
    const char *p = tmp("t.flac");
    CHECK(t, sf_write_file(p, SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 16000, v, n));
    qa_audio a;
    CHECK_OK(t, qa_audio_load(p, &a));
    CHECK(t, a.n == (size_t)n);
    int bad = 0;
    for (size_t i = 0; i < a.n && i < (size_t)n; i++) bad += a.pcm[i] != (float)v[i] / 32768.0f;
    CHECK_MSG(t, bad == 0, "%d FLAC samples differ from int16/32768", bad);
    qa_audio_free(&a);
    /* the same file from memory gives the same samples */
    char *buf = NULL;
    size_t len = 0;
    CHECK_OK(t, qa_file_read_all(p, &buf, &len));
    CHECK_OK(t, qa_audio_decode_memory(buf, len, "t.flac", &a));
    CHECK(t, a.n == (size_t)n && a.pcm && a.pcm[1234] == (float)v[1234] / 32768.0f);
    qa_audio_free(&a);
    /* truncated FLAC: a clear error naming the file */
    const char *q = tmp("trunc.flac");
    FILE *f = fopen(q, "wb");
    fwrite(buf, 1, len / 2, f);
    fclose(f);
    CHECK_STATUS(t, qa_audio_load(q, &a), QA_ERR_FORMAT);
    CHECK_MSG(t, strstr(qa_error_message(), "trunc.flac") != NULL, "message: %s", qa_error_message());
    CHECK(t, a.pcm == NULL && a.n == 0);
    free(buf);
    free(v);
    char sp[512];
    if (qa_test_shared_path(sp, sizeof sp, "assets/audio/1272-128104-0000.flac")) {
        CHECK_OK(t, qa_audio_load(sp, &a));
        CHECK(t, a.n == 93680 && a.src_rate == 16000 && a.src_channels == 1);
        qa_audio_free(&a);
    }
}

static double correlation(const float *a, const int16_t *b, size_t n, size_t off) {
    double sab = 0, saa = 0, sbb = 0;
    for (size_t i = off; i < n; i++) {
        sab += a[i] * (double)b[i];
        saa += a[i] * (double)a[i];
        sbb += (double)b[i] * b[i];
    }
    return sab / sqrt(saa * sbb + 1e-30);
}

static void test_ogg(qa_t *t) {
    int n = 16000;
    int16_t *v = test_signal(n);
    const struct { const char *name; int format; } fmts[] = {
        {"t_vorbis.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS},
        {"t_opus.opus", SF_FORMAT_OGG | 0x0064 /* SF_FORMAT_OPUS (libsndfile >= 1.0.29) */},
    };
    for (int i = 0; i < 2; i++) {
        const char *p = tmp(fmts[i].name);
        if (!sf_write_file(p, fmts[i].format, 16000, v, n)) {
            SKIP(t, "%s cannot write %s", qa_audio_backend_version(), fmts[i].name);
            continue;
        }
        qa_audio a;
        CHECK_OK(t, qa_audio_load(p, &a));
        CHECK_MSG(t, a.n + 400 >= (size_t)n && a.n <= (size_t)n + 1000, "%s: %zu samples", fmts[i].name, a.n);
        /* lossy codecs: the waveform is close, not equal (Opus adds a small delay: no check of phase) */
        if (i == 0 && a.n >= (size_t)n) {
            double c = correlation(a.pcm, v, (size_t)n, 200);
            CHECK_MSG(t, c > 0.99, "%s: correlation %g", fmts[i].name, c);
        }
        qa_audio_free(&a);
    }
    free(v);
}

static void test_mp3(qa_t *t) {
    printf("  %s, MP3 support: %s\n", qa_audio_backend_version(), qa_audio_has_mp3() ? "yes" : "no");
    if (!qa_audio_has_mp3()) {
        SKIP(t, "%s was built without MP3 support (install libsndfile >= 1.1 with mpg123)", qa_audio_backend_version());
        return;
    }
    /* a small MP3 written by libsndfile/LAME (2400 samples of a 440 Hz tone + noise, 16 kHz) */
    qa_audio a;
    CHECK_OK(t, qa_audio_load("tests/data/audio/tone_16k.mp3", &a));
    CHECK_MSG(t, a.src_rate == 16000 && a.src_channels == 1 && a.n >= 2000 && a.n <= 3500, "tone_16k.mp3: %zu samples", a.n);
    double e = 0;
    for (size_t i = 0; i < a.n; i++) e += (double)a.pcm[i] * a.pcm[i];
    CHECK_MSG(t, a.n && sqrt(e / (double)a.n) > 0.1, "tone_16k.mp3: rms %g", a.n ? sqrt(e / (double)a.n) : 0.0);
    qa_audio_free(&a);
    char p[512];
    if (!qa_test_shared_path(p, sizeof p, "assets/audio/es.mp3")) {
        SKIP(t, "es.mp3 not found under %s (set QAUDIO_SHARED)", qa_test_shared_dir());
        return;
    }
    CHECK_OK(t, qa_audio_load(p, &a));
    CHECK(t, a.src_rate == 48000 && a.src_channels == 1 && a.n == 133120);
    qa_audio_free(&a);
}

static void expect_bad(qa_t *t, const char *path, qa_status want, const char *needle) {
    qa_audio a;
    CHECK_STATUS(t, qa_audio_load(path, &a), want);
    const char *msg = qa_error_message();
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    CHECK_MSG(t, strstr(msg, base) != NULL, "message does not name %s: %s", base, msg);
    if (needle) CHECK_MSG(t, strstr(msg, needle) != NULL, "message lacks '%s': %s", needle, msg);
    CHECK(t, a.pcm == NULL && a.n == 0);
}

static void test_bad_input(qa_t *t) {
    expect_bad(t, tmp("does_not_exist.wav"), QA_ERR_IO, "cannot open");
    const char *p = tmp("empty.wav");
    FILE *f = fopen(p, "wb");
    fclose(f);
    expect_bad(t, p, QA_ERR_FORMAT, "empty");
    int16_t v[100] = {0};
    p = tmp("truncated.wav");
    write_wav(p, 1, 16, 1, 16000, v, sizeof v, 32000);
    expect_bad(t, p, QA_ERR_FORMAT, "truncated");
    p = tmp("nodata.wav");
    write_wav(p, 1, 16, 1, 16000, v, 0, 0);
    expect_bad(t, p, QA_ERR_FORMAT, "no audio samples");
    p = tmp("garbage.wav");
    f = fopen(p, "wb");
    fputs("this is not audio at all, just text that pretends to be a wav file\n", f);
    fclose(f);
    expect_bad(t, p, QA_ERR_FORMAT, "cannot decode");
    p = tmp("codec.wav"); /* a WAV with a codec tag libsndfile does not know */
    write_wav(p, 0x1234, 16, 1, 16000, v, sizeof v, sizeof v);
    expect_bad(t, p, QA_ERR_FORMAT, "unsupported codec: WAV format tag 0x1234");
    p = tmp("headeronly.wav");
    f = fopen(p, "wb");
    fwrite("RIFF\x24\x00\x00\x00WAVEfmt ", 1, 16, f);
    fclose(f);
    expect_bad(t, p, QA_ERR_FORMAT, NULL);
    float nanv[4] = {0.1f, NAN, 0.2f, 0.3f};
    p = tmp("nan.wav");
    write_wav(p, 3, 32, 1, 16000, nanv, sizeof nanv, sizeof nanv);
    expect_bad(t, p, QA_ERR_FORMAT, "non-finite");
    /* memory decoding: same checks, the given name in the message */
    qa_audio a;
    CHECK_STATUS(t, qa_audio_decode_memory("", 0, "mem.wav", &a), QA_ERR_FORMAT);
    CHECK(t, strstr(qa_error_message(), "mem.wav") != NULL);
    CHECK_STATUS(t, qa_audio_decode_memory("RIFFxxxxWAVE", 12, "mem2.wav", &a), QA_ERR_FORMAT);
    CHECK(t, strstr(qa_error_message(), "mem2.wav") != NULL);
    CHECK_STATUS(t, qa_audio_load("", &a), QA_ERR_ARG);
}

int main(int argc, char **argv) {
    static const qa_test_case cases[] = {
        {"pcm16_exact", test_pcm16_exact},
        {"pcm24_exact", test_pcm24_exact},
        {"float_and_channels", test_float_and_channels},
        {"resample", test_resample},
        {"flac_lossless", test_flac_lossless},
        {"ogg", test_ogg},
        {"mp3", test_mp3},
        {"bad_input", test_bad_input},
        {0}};
    return qa_test_main(argc, argv, cases);
}
