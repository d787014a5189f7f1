/* Unit tests for data/prepare end to end: manifest -> shards -> loader gives back exactly the ids
 * and labels of rendering the records directly and exactly the padded log-mel that the front end
 * computes from the audio (so storing mel_len + 3 frames and the floor value is lossless); bad
 * records are reported with their line and counted; workers do not change the output; PCM shards;
 * the 30-s truncation switch. Uses tiny generated WAVs; SKIPs without qwen.tiktoken. */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "core/fileio.h"
#include "data/audio.h"
#include "data/format.h"
#include "data/loader.h"
#include "data/mel.h"
#include "data/prepare.h"
#include "data/shard.h"
#include "data/special_tokens.h"
#include "tests/support/test.h"

static int write_wav(const char *path, int n, double freq, unsigned seed)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    uint32_t data = (uint32_t)n * 2, riff = 36 + data, sr = 16000, br = 32000, fmt_len = 16;
    uint16_t pcm = 1, ch = 1, align = 2, bits = 16;
    fwrite("RIFF", 1, 4, f);
    fwrite(&riff, 4, 1, f);
    fwrite("WAVEfmt ", 1, 8, f);
    fwrite(&fmt_len, 4, 1, f);
    fwrite(&pcm, 2, 1, f);
    fwrite(&ch, 2, 1, f);
    fwrite(&sr, 4, 1, f);
    fwrite(&br, 4, 1, f);
    fwrite(&align, 2, 1, f);
    fwrite(&bits, 2, 1, f);
    fwrite("data", 1, 4, f);
    fwrite(&data, 4, 1, f);
    for (int i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        double noise = ((double)((seed >> 16) & 0x7fff) / 32768.0 - 0.5) * 0.05;
        int16_t v = (int16_t)lrint(8000.0 * sin(2 * M_PI * freq * i / 16000.0) * (1.0 - (double)i / n) + 8000 * noise);
        fwrite(&v, 2, 1, f);
    }
    return fclose(f);
}

static const char *tmp(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", qa_test_tmpdir(), name);
    return buf;
}

static const char *tokenizer_path(qa_t *t)
{
    static char p[512];
    if (!qa_test_shared_path(p, sizeof p, "assets/qwen.tiktoken")) {
        SKIP(t, "qwen.tiktoken not found under %s (set QAUDIO_SHARED)", qa_test_shared_dir());
        return NULL;
    }
    return p;
}

/* The manifest: 9 good records (lines 1, 2, 5, 7, 9, 11, 12, 13, 14: the last without audio) and 3 bad
 * ones (4, 6, 10). */
static const char *manifest_lines[] = {
    "{\"audio\":\"w1.wav\",\"task\":\"asr\",\"lang\":\"en\",\"text\":\"hello world\"}",
    "{\"audio\":\"w2.wav\",\"task\":\"aac\",\"text\":\"a tone fades out\"}",
    "",
    "{\"audio\":\"missing.wav\",\"task\":\"asr\",\"lang\":\"en\",\"text\":\"x\"}",
    "{\"audio\":\"w3.wav\",\"task\":\"srwt\",\"lang\":\"en\",\"words\":[[\"hi\",0.1,0.3],[\"you\",0.4,0.7]]}",
    "{\"audio\":\"short.wav\",\"task\":\"asr\",\"lang\":\"en\",\"text\":\"too short\"}",
    "{\"messages\":[{\"role\":\"user\",\"content\":\"Audio 1: <audio>w1.wav</audio>\\nAudio 2: <audio>w2.wav</audio>\\n"
    "which is longer?\"},{\"role\":\"assistant\",\"content\":\"Audio 2.\"}]}",
    "",
    "{\"audio\":\"w5.wav\",\"task\":\"aqa\",\"question\":\"Is it loud?\",\"text\":\"no\"}",
    "{\"audio\":\"w1.wav\",\"task\":\"karaoke\",\"text\":\"x\"}",
    "{\"audio\":\"w6.wav\",\"task\":\"mna\",\"pitch\":69,\"velocity\":100,\"instrument\":\"organ\",\"qualities\":[\"dark\"]}",
    "{\"audio\":\"w3.wav\",\"task\":\"ser\",\"text\":\"happy\"}",
    "{\"audio\":\"w2.wav\",\"task\":\"s2tt\",\"lang\":\"en\",\"target_lang\":\"fr\",\"text\":\"bonjour\"}",
    "{\"conversations\":[{\"from\":\"human\",\"value\":\"no audio here\"},{\"from\":\"gpt\",\"value\":\"fine\"}]}",
};
#define N_LINES 14
#define N_GOOD 9
static const int good_lines[N_GOOD] = {1, 2, 5, 7, 9, 11, 12, 13, 14};

static const char *make_manifest(qa_t *t)
{
    static char man[512];
    if (man[0]) return man;
    char p[512];
    CHECK(t, write_wav(tmp(p, sizeof p, "w1.wav"), 16000, 440, 1) == 0);
    CHECK(t, write_wav(tmp(p, sizeof p, "w2.wav"), 40160, 330, 2) == 0);
    CHECK(t, write_wav(tmp(p, sizeof p, "w3.wav"), 12950, 880, 3) == 0);
    CHECK(t, write_wav(tmp(p, sizeof p, "w5.wav"), 52817, 200, 5) == 0);
    CHECK(t, write_wav(tmp(p, sizeof p, "w6.wav"), 480, 1000, 6) == 0);
    CHECK(t, write_wav(tmp(p, sizeof p, "short.wav"), 200, 1000, 7) == 0);
    FILE *f = fopen(tmp(man, sizeof man, "m.jsonl"), "w");
    for (int i = 0; i < N_LINES; i++) fprintf(f, "%s\n", manifest_lines[i]);
    fclose(f);
    return man;
}

static qa_prepare_opts opts_for(const char *man, const char *out, const char *tok)
{
    qa_prepare_opts o = qa_prepare_opts_default;
    o.manifest = man;
    o.out_dir = out;
    o.tokenizer = tok;
    o.progress = 0;
    return o;
}

static void test_rejects(qa_t *t)
{
    const char *tok = tokenizer_path(t);
    if (!tok) return;
    char out[512], p[600];
    qa_prepare_opts o = opts_for(make_manifest(t), tmp(out, sizeof out, "rej"), tok);
    qa_prepare_stats st;
    CHECK_STATUS(t, qa_prepare_run(&o, &st), QA_ERR_FORMAT);
    CHECK_MSG(t, strstr(qa_error_message(), "3 of 12 records rejected"), "message: %s", qa_error_message());
    CHECK(t, st.rejected == 3 && st.records == 12 && st.samples == 9);
    char *data;
    size_t len;
    snprintf(p, sizeof p, "%s/rejected.jsonl", out);
    CHECK_OK(t, qa_file_read_all(p, &data, &len));
    if (!data) return;
    const char *want[3][2] = {{"\"line\":4", "missing.wav"}, {"\"line\":6", "short.wav"}, {"\"line\":10", "karaoke"}};
    char *line = data;
    for (int i = 0; i < 3; i++) {
        char *nl = line ? strchr(line, '\n') : NULL;
        if (nl) *nl = 0;
        CHECK_MSG(t, line && strstr(line, want[i][0]) && strstr(line, want[i][1]), "rejected line %d: %s", i,
                  line ? line : "(none)");
        line = nl ? nl + 1 : NULL;
    }
    CHECK(t, line && *line == 0);
    free(data);
    /* a directory that already holds shards is refused */
    CHECK_STATUS(t, qa_prepare_run(&o, &st), QA_ERR_ARG);
}

/* Expected ids/labels of good record g, rendered directly; spans from the audio files. */
static void expected(qa_t *t, const qa_tokenizer *tok, const char *man, int g, qa_ids *ids, qa_ids *lab)
{
    cJSON *j = cJSON_Parse(manifest_lines[good_lines[g] - 1]);
    qa_rendered r;
    qa_rendered_init(&r);
    int chat = cJSON_GetObjectItem(j, "messages") || cJSON_GetObjectItem(j, "conversations");
    CHECK_OK(t, chat ? qa_format_render_chat(&r, j, man, NULL) : qa_format_render_pretrain(&r, j, man, NULL, NULL, -1));
    int span[4] = {0};
    double sec = 0;
    for (size_t a = 0; a < r.n_audio && a < 4; a++) {
        qa_audio au = {0};
        qa_audio_lengths L = {0};
        CHECK_OK(t, qa_audio_load(r.audio[a], &au));
        CHECK_OK(t, qa_audio_lengths_compute((int64_t)au.n, &L));
        span[a] = L.span_tokens;
        sec = (double)au.n / 16000;
        qa_audio_free(&au);
    }
    if (r.task == QA_TASK_SRWT) {
        qa_rendered_deinit(&r);
        CHECK_OK(t, qa_format_render_pretrain(&r, j, man, NULL, NULL, sec));
    }
    CHECK_OK(t, qa_format_tokenize(ids, lab, tok, &r, span));
    qa_rendered_deinit(&r);
    cJSON_Delete(j);
}

static void test_roundtrip(qa_t *t)
{
    const char *tokp = tokenizer_path(t);
    if (!tokp) return;
    const char *man = make_manifest(t);
    char out1[512], out2[512];
    qa_prepare_opts o = opts_for(man, tmp(out1, sizeof out1, "rt1"), tokp);
    o.skip_bad = 1;
    o.shard_samples = 3;
    qa_prepare_stats st;
    CHECK_OK(t, qa_prepare_run(&o, &st));
    CHECK(t, st.samples == 9 && st.shards == 3 && st.rejected == 3);
    o.out_dir = tmp(out2, sizeof out2, "rt2");
    o.workers = 3;
    o.feature_deflate = 0;
    o.shard_samples = 5;
    CHECK_OK(t, qa_prepare_run(&o, &st));
    CHECK(t, st.samples == 9 && st.shards == 2);

    qa_tokenizer *tok = NULL;
    CHECK_OK(t, qa_tokenizer_load(tokp, &tok));
    qa_mel *mel = NULL;
    CHECK_OK(t, qa_mel_new(&mel));
    float *full = malloc(sizeof(float) * 80 * 3000);
    const char *dirs[2] = {out1, out2};
    for (int d = 0; d < 2 && tok && mel; d++) {
        qa_loader_opts lo = qa_loader_opts_default;
        lo.batch_size = 3;
        lo.seed = 3;
        const char *paths[1] = {dirs[d]};
        qa_loader *l = NULL;
        CHECK_OK(t, qa_loader_new(&l, paths, 1, &lo));
        if (!l) break;
        CHECK(t, qa_loader_num_samples(l) == 9);
        int seen = 0, bad_ids = 0, bad_mel = 0;
        for (int64_t k = 0; k < qa_loader_steps_per_epoch(l); k++) {
            const qa_batch *b;
            CHECK_OK(t, qa_loader_next(l, &b));
            if (!b) break;
            int a = 0;
            for (int i = 0; i < b->n; i++, seen++) {
                int g = (int)b->sample[i];
                qa_ids ids = {0}, lab = {0};
                expected(t, tok, man, g, &ids, &lab);
                bad_ids += (size_t)b->lengths[i] != ids.n ||
                           memcmp(b->ids + (size_t)i * b->T, ids.ids, ids.n * sizeof(int32_t)) ||
                           memcmp(b->labels + (size_t)i * b->T, lab.ids, lab.n * sizeof(int32_t));
                qa_ids_free(&ids);
                qa_ids_free(&lab);
                /* audios of this row, in order: the full padded log-mel's first F frames */
                cJSON *j = cJSON_Parse(manifest_lines[good_lines[g] - 1]);
                qa_rendered r;
                qa_rendered_init(&r);
                if (cJSON_GetObjectItem(j, "messages") || cJSON_GetObjectItem(j, "conversations"))
                    qa_format_render_chat(&r, j, man, NULL);
                else qa_format_render_pretrain(&r, j, man, NULL, NULL, -1);
                for (size_t q = 0; q < r.n_audio; q++, a++) {
                    qa_audio au = {0};
                    CHECK_OK(t, qa_audio_load(r.audio[q], &au));
                    CHECK_OK(t, qa_mel_compute(mel, au.pcm, au.n, full));
                    const float *got = b->mel + (size_t)a * 80 * b->F;
                    for (int bin = 0; bin < 80; bin++)
                        bad_mel += memcmp(got + (size_t)bin * b->F, full + (size_t)bin * 3000, sizeof(float) * b->F) != 0;
                    qa_audio_free(&au);
                }
                qa_rendered_deinit(&r);
                cJSON_Delete(j);
            }
            CHECK(t, a == b->n_audio);
        }
        CHECK_MSG(t, seen == 9 && bad_ids == 0 && bad_mel == 0, "dir %d: %d samples, %d id rows and %d mel rows differ",
                  d, seen, bad_ids, bad_mel);
        qa_loader_free(l);
    }
    free(full);
    qa_mel_free(mel);
    qa_tokenizer_free(tok);
}

static void test_pcm_and_truncation(qa_t *t)
{
    const char *tokp = tokenizer_path(t);
    if (!tokp) return;
    char p[600], man[512], out[512], w[512];
    make_manifest(t);
    CHECK(t, write_wav(tmp(w, sizeof w, "long.wav"), 31 * 16000 + 5, 300, 9) == 0);
    FILE *f = fopen(tmp(man, sizeof man, "long.jsonl"), "w");
    fprintf(f, "{\"audio\":\"long.wav\",\"task\":\"asc\",\"text\":\"beach\"}\n");
    fprintf(f, "{\"audio\":\"w3.wav\",\"task\":\"vsc\",\"text\":\"laughter\"}\n");
    fclose(f);
    qa_prepare_opts o = opts_for(man, tmp(out, sizeof out, "notrunc"), tokp);
    o.no_truncate = 1;
    qa_prepare_stats st;
    CHECK_STATUS(t, qa_prepare_run(&o, &st), QA_ERR_FORMAT);
    CHECK(t, st.rejected == 1 && st.samples == 1);
    o.out_dir = tmp(out, sizeof out, "pcm");
    o.no_truncate = 0;
    o.features = QA_FEAT_PCM;
    CHECK_OK(t, qa_prepare_run(&o, &st));
    CHECK(t, st.samples == 2);
    snprintf(p, sizeof p, "%s/shard-00000.h5", out);
    qa_shard *sh = NULL;
    CHECK_OK(t, qa_shard_open(&sh, p));
    if (!sh) return;
    const qa_shard_index *ix = qa_shard_get_index(sh);
    CHECK(t, ix->kind == QA_FEAT_PCM && ix->n_audio == 2);
    CHECK(t, ix->samples[0] == 31 * 16000 + 5 && ix->feat_off[1] == 480000 && ix->mel_len[0] == 3000 &&
             ix->span[0] == 752);
    /* the shard records the vocabulary's audio ids, which the open checks use */
    hid_t hf = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    const char *names[3] = {"audio_start_id", "audio_end_id", "audio_pad_id"};
    const int64_t want[3] = {QA_TOK_AUDIO_START, QA_TOK_AUDIO_END, QA_TOK_AUDIO_PAD};
    for (int k = 0; k < 3; k++) {
        int64_t v = -1;
        hid_t a = hf < 0 ? -1 : H5Aopen(hf, names[k], H5P_DEFAULT);
        if (a >= 0) H5Aread(a, H5T_NATIVE_INT64, &v);
        if (a >= 0) H5Aclose(a);
        CHECK_MSG(t, v == want[k], "%s = %lld", names[k], (long long)v);
    }
    if (hf >= 0) H5Fclose(hf);
    float *pcm = malloc(sizeof(float) * 480000);
    qa_audio au = {0};
    CHECK_OK(t, qa_shard_read_pcm(sh, 0, pcm));
    CHECK_OK(t, qa_audio_load(w, &au));
    CHECK(t, au.pcm && !memcmp(pcm, au.pcm, sizeof(float) * 480000));
    qa_audio_free(&au);
    free(pcm);
    qa_shard_close(sh);
}

/* A sentencepiece vocabulary: its <audio>, </audio> and placeholder ids differ from Qwen's; the
 * shards record them and open (and load) with their runs checked against them. */
static void test_spm_shards(qa_t *t)
{
    char corpus[512], prefix[512], model[600], man[512], out[512], p[600];
    make_manifest(t);
    FILE *f = fopen(tmp(corpus, sizeof corpus, "spm_corpus.txt"), "w");
    static const char *const words[] = {"hello", "world", "a", "tone", "fades", "out", "which", "is", "longer", "audio"};
    uint32_t x = 3;
    for (int line = 0; line < 2000; line++) {
        for (int i = 0; i < 3 + line % 7; i++) {
            x = x * 1103515245u + 12345u;
            fprintf(f, "%s%s", i ? " " : "", words[(x >> 16) % 10]);
        }
        fputc('\n', f);
    }
    fclose(f);
    qa_spm_train_opts so = {corpus, tmp(prefix, sizeof prefix, "spm_vocab"), 4200, "unigram", 0, 1};
    CHECK_OK(t, qa_tokenizer_spm_train(&so));
    snprintf(model, sizeof model, "%s.model", prefix);
    qa_tokenizer *tok = NULL;
    CHECK_OK(t, qa_tokenizer_load(model, &tok));
    if (!tok) return;
    qa_format_ids fid;
    CHECK_OK(t, qa_format_ids_resolve(&fid, tok));
    CHECK(t, fid.audio_start != QA_TOK_AUDIO_START && fid.audio_pad != QA_TOK_AUDIO_PAD);
    f = fopen(tmp(man, sizeof man, "spm.jsonl"), "w");
    fprintf(f, "%s\n%s\n", manifest_lines[0], manifest_lines[6]); /* asr; chat with two audios */
    fclose(f);
    qa_prepare_opts o = opts_for(man, tmp(out, sizeof out, "spm_out"), model);
    qa_prepare_stats st;
    CHECK_OK(t, qa_prepare_run(&o, &st));
    CHECK(t, st.samples == 2);
    snprintf(p, sizeof p, "%s/shard-00000.h5", out);
    hid_t hf = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    int64_t v = -1;
    hid_t a = hf < 0 ? -1 : H5Aopen(hf, "audio_start_id", H5P_DEFAULT);
    if (a >= 0) H5Aread(a, H5T_NATIVE_INT64, &v);
    if (a >= 0) H5Aclose(a);
    if (hf >= 0) H5Fclose(hf);
    CHECK_MSG(t, v == fid.audio_start, "audio_start_id %lld, the model's <audio> is %d", (long long)v, fid.audio_start);
    const char *paths[1] = {out};
    qa_loader_opts lo = qa_loader_opts_default;
    lo.batch_size = 2;
    lo.pad_id = fid.endoftext;
    qa_loader *l = NULL;
    CHECK_OK(t, qa_loader_new(&l, paths, 1, &lo));
    const qa_batch *b = NULL;
    if (l) CHECK_OK(t, qa_loader_next(l, &b));
    int starts = 0;
    for (int i = 0; b && i < b->n; i++)
        for (int k = 0; k < b->lengths[i]; k++) starts += b->ids[i * b->T + k] == fid.audio_start;
    CHECK_MSG(t, b && b->n_audio == 3 && starts == 3, "%d audios, %d <audio> tokens", b ? b->n_audio : -1, starts);
    qa_loader_free(l);
    qa_tokenizer_free(tok);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {{"rejects", test_rejects},
                                         {"roundtrip", test_roundtrip},
                                         {"pcm_and_truncation", test_pcm_and_truncation},
                                         {"spm_shards", test_spm_shards},
                                         {0}};
    return qa_test_main(argc, argv, cases);
}
