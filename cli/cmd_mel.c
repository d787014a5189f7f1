/* cli/cmd_mel: `qaudio mel`: the Qwen-Audio / Whisper log-mel of one audio file as .npy, and its
 * lengths (--info). Decoding and features live in data/audio and data/mel; this file only parses
 * arguments, applies the short-clip policy and writes the output. See docs/audio.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/npy.h"
#include "data/audio.h"
#include "data/mel.h"

/* Short-clip policy: keep = the reference features (mel_len = floor(n/160), needs n >= 160);
 * pad = zero-pad clips under 480 samples to 480 (what the encoder can take); reject = error
 * for clips under 480 samples. */
static qa_status apply_short_policy(qa_audio *a, const char *policy, const char *path, int writing) {
    if (!strcmp(policy, "keep")) {
        if (writing && a->n < QA_HOP)
            return qa_error(QA_ERR_ARG,
                            "%s: %zu samples at 16 kHz is shorter than one 10-ms hop (160 samples): no log-mel frame "
                            "(use --short pad to pad it to 480 samples)",
                            path, a->n);
        return QA_OK;
    }
    if (!strcmp(policy, "reject")) {
        qa_audio_lengths L;
        qa_status s = qa_audio_lengths_compute((int64_t)a->n, &L);
        return s ? qa_error_wrap(s, "%s", path) : QA_OK;
    }
    if (!strcmp(policy, "pad")) {
        if (a->n >= QA_MIN_SAMPLES) return QA_OK;
        float *p = realloc(a->pcm, sizeof(float) * QA_MIN_SAMPLES);
        if (!p) return qa_error(QA_ERR_NOMEM, "%s: out of memory", path);
        memset(p + a->n, 0, sizeof(float) * (QA_MIN_SAMPLES - a->n));
        a->pcm = p;
        a->n = QA_MIN_SAMPLES;
        return QA_OK;
    }
    return qa_error(QA_ERR_ARG, "--short %s: expected keep, pad or reject", policy);
}

static void print_info(const char *path, const qa_audio *a) {
    qa_audio_lengths L;
    qa_status s = qa_audio_lengths_compute((int64_t)a->n, &L);
    printf("file: %s\n", path);
    printf("duration: %.4f s\n", (double)a->n / QA_SAMPLE_RATE);
    printf("source_rate: %d Hz\n", a->src_rate);
    printf("source_channels: %d\n", a->src_channels);
    printf("source_frames: %lld\n", (long long)a->src_frames);
    printf("samples_16k: %zu\n", a->n);
    if (a->n > QA_N_SAMPLES) printf("note: longer than 30 s: only the first 30 s are used\n");
    printf("mel_len: %d\n", L.mel_len);
    if (s) {
        printf("encoder: too short (under %d samples): the Qwen-Audio encoder cannot take it\n", QA_MIN_SAMPLES);
        qa_error_clear();
        return;
    }
    printf("t_cnn: %d\n", L.t_cnn);
    printf("audio_tokens: %d\n", L.n_audio);
    printf("span_tokens: %d\n", L.span_tokens);
}

static int run(int argc, char **argv) {
    const char *out = NULL, *policy = "keep";
    int info = 0, full = 0, frames = 0, formats = 0;
    qa_cli_opt opts[] = {
        {"-o", "--output", QA_OPT_STR, &out, "OUT.npy", "write the float32 (80, mel_len) log-mel here"},
        {NULL, "--info", QA_OPT_FLAG, &info, NULL, "print duration, source rate, channels, mel_len, T_cnn, audio tokens, span"},
        {NULL, "--full", QA_OPT_FLAG, &full, NULL, "write all 3000 frames of the padded 30-s matrix"},
        {NULL, "--frames", QA_OPT_INT, &frames, "N", "write the first N frames (1..3000) of the padded matrix"},
        {NULL, "--short", QA_OPT_STR, &policy, "keep|pad|reject",
         "clips under 480 samples: keep (reference features, default), pad to 480, or reject"},
        {NULL, "--formats", QA_OPT_FLAG, &formats, NULL, "print the decoder library and whether MP3 is supported"},
        {0}};
    const char *pos[1];
    int npos = 0;
    int rc = qa_cli_parse(argc, argv, opts, "IN_AUDIO", pos, 1, &npos);
    if (rc >= 0) return rc;
    if (formats) {
        printf("decoder: %s\nmp3: %s\n", qa_audio_backend_version(),
               qa_audio_has_mp3() ? "yes" : "NO (this libsndfile was built without MP3 support)");
        if (npos == 0) return 0;
    }
    if (npos != 1) return qa_cli_usage_error(argv[0], "expected one input audio file");
    if (!out && !info) return qa_cli_usage_error(argv[0], "nothing to do: give -o OUT.npy and/or --info");
    if (full && frames) return qa_cli_usage_error(argv[0], "--full and --frames exclude each other");
    if (frames < 0 || frames > QA_MEL_FRAMES)
        return qa_cli_usage_error(argv[0], "--frames %d: expected 1..%d", frames, QA_MEL_FRAMES);
    if (strcmp(policy, "keep") && strcmp(policy, "pad") && strcmp(policy, "reject"))
        return qa_cli_usage_error(argv[0], "--short %s: expected keep, pad or reject", policy);
    if (!qa_audio_has_mp3()) {
        const char *dot = strrchr(pos[0], '.');
        if (dot && !strcasecmp(dot, ".mp3"))
            fprintf(stderr, "qaudio mel: warning: %s has no MP3 support; %s will likely fail to decode\n",
                    qa_audio_backend_version(), pos[0]);
    }

    qa_audio a = {0};
    qa_status s = qa_audio_load(pos[0], &a);
    if (!s) s = apply_short_policy(&a, policy, pos[0], out != NULL);
    if (s) {
        qa_audio_free(&a);
        return qa_cli_fail(argv[0], s);
    }
    if (info) print_info(pos[0], &a);
    if (out) {
        qa_audio_lengths L;
        qa_audio_lengths_compute((int64_t)a.n, &L); /* mel_len is valid even when the clip is short */
        qa_error_clear();
        int keep = full ? QA_MEL_FRAMES : frames ? frames : L.mel_len;
        qa_mel *m = NULL;
        float *mel = malloc(sizeof(float) * QA_MEL_BINS * QA_MEL_FRAMES);
        float *sel = malloc(sizeof(float) * QA_MEL_BINS * (size_t)(keep > 0 ? keep : 1));
        if (!mel || !sel) s = qa_error(QA_ERR_NOMEM, "out of memory");
        if (!s) s = qa_mel_new(&m);
        if (!s) s = qa_mel_compute(m, a.pcm, a.n, mel);
        if (!s) {
            /* (80, 3000) -> (80, keep) */
            for (int b = 0; b < QA_MEL_BINS; b++)
                memcpy(sel + (size_t)b * keep, mel + (size_t)b * QA_MEL_FRAMES, sizeof(float) * (size_t)keep);
            int64_t shape[2] = {QA_MEL_BINS, keep};
            s = qa_npy_write(out, QA_NPY_F32, 2, shape, sel);
        }
        qa_mel_free(m);
        free(mel);
        free(sel);
    }
    qa_audio_free(&a);
    return s ? qa_cli_fail(argv[0], s) : 0;
}

const qa_cli_cmd qa_cmd_mel = {"mel", "log-mel features (.npy) and lengths of an audio file", run};
