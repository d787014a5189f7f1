/* tests/unit/test_model_twin: the model against goldens of our PyTorch twin
 * (tests/reference/model_batch_twin.py, written from the spec and checked against the official-code golden)
 * for what the shared golden lacks: two audios of different lengths in one row (one with an odd
 * mel_len), a right-padded batch of two rows with three audios encoded together, and every
 * parameter's gradient on that batch with everything trained, stage 1 (LLM frozen) and stage 2
 * (encoder frozen). Everything is in tests/data/model/twin (small checkpoint: vocab 512). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "core/ctx.h"
#include "core/fileio.h"
#include "core/npy.h"
#include "core/ops/loss.h"
#include "core/safetensors.h"
#include "core/tape.h"
#include "data/audio.h"
#include "data/mel.h"
#include "model/checkpoint.h"
#include "model/qwen_audio.h"
#include "model/weights.h"
#include "tests/support/test.h"

#define DIR "tests/data/model/twin/"
#define MAXT 128

typedef struct {
    qa_checkpoint *ck;
    cJSON *meta;
    float *mel;          /* (3, 80, 3000): a, b, c */
    int32_t t_cnn[3], n_tok[3];
    int T[2], from[2];
    int32_t ids[2 * MAXT], labels[2 * MAXT], len[2];
    int Tmax;
} twin;

static void twin_free(twin *f)
{
    qa_checkpoint_close(f->ck);
    cJSON_Delete(f->meta);
    free(f->mel);
}

static bool twin_load(qa_t *t, twin *f)
{
    memset(f, 0, sizeof *f);
    CHECK_OK(t, qa_checkpoint_open(&f->ck, DIR "checkpoint"));
    char *buf = NULL;
    size_t n = 0;
    CHECK_OK(t, qa_file_read_all(DIR "meta.json", &buf, &n));
    f->meta = buf ? cJSON_ParseWithLength(buf, n) : NULL;
    free(buf);
    CHECK(t, f->meta != NULL);
    f->mel = malloc(sizeof(float) * 3 * QA_MEL_BINS * QA_MEL_FRAMES);
    qa_mel *m = NULL;
    CHECK_OK(t, qa_mel_new(&m));
    static const char *names[3] = {"a.wav", "b.wav", "c.wav"};
    for (int i = 0; i < 3 && m && f->mel; i++) {
        char path[256];
        snprintf(path, sizeof path, DIR "%s", names[i]);
        qa_audio a = {0};
        qa_audio_lengths L;
        CHECK_OK(t, qa_audio_load(path, &a));
        CHECK_OK(t, qa_audio_lengths_compute((int64_t)a.n, &L));
        if (a.pcm) CHECK_OK(t, qa_mel_compute(m, a.pcm, a.n, f->mel + (size_t)i * QA_MEL_BINS * QA_MEL_FRAMES));
        qa_audio_free(&a);
        f->t_cnn[i] = L.t_cnn;
        f->n_tok[i] = L.n_audio;
        cJSON *lj = f->meta ? cJSON_GetObjectItem(cJSON_GetObjectItem(f->meta, "lengths"), names[i]) : NULL;
        CHECK(t, lj && cJSON_GetObjectItem(lj, "T_cnn")->valueint == L.t_cnn &&
                     cJSON_GetObjectItem(lj, "n_audio")->valueint == L.n_audio);
    }
    qa_mel_free(m);
    CHECK(t, f->t_cnn[0] != f->t_cnn[1] && f->t_cnn[1] != f->t_cnn[2]);
    if (!f->meta || t->failures) return false;
    cJSON *rows = cJSON_GetObjectItem(f->meta, "rows"), *from = cJSON_GetObjectItem(f->meta, "labels_from");
    for (int r = 0; r < 2; r++) {
        f->T[r] = cJSON_GetArraySize(cJSON_GetArrayItem(rows, r));
        f->from[r] = cJSON_GetArrayItem(from, r)->valueint;
        f->Tmax = f->T[r] > f->Tmax ? f->T[r] : f->Tmax;
    }
    CHECK(t, f->Tmax <= MAXT);
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < f->Tmax && f->Tmax <= MAXT; i++) {
            int id = i < f->T[r] ? cJSON_GetArrayItem(cJSON_GetArrayItem(rows, r), i)->valueint : 0;
            f->ids[r * f->Tmax + i] = id;
            f->labels[r * f->Tmax + i] = i >= f->from[r] && i < f->T[r] ? id : QA_IGNORE_INDEX;
        }
    f->len[0] = f->T[0];
    f->len[1] = f->T[1];
    return f->ck && t->failures == 0;
}

/* rows = 1: row 0 alone with audios a, b; rows = 2: the padded batch with a, b, c. */
static qa_qwen_audio_batch twin_batch(twin *f, int rows)
{
    qa_qwen_audio_batch b = {.B = rows, .T = rows == 1 ? f->T[0] : f->Tmax, .ids = f->ids, .labels = f->labels,
                             .len = rows == 1 ? NULL : f->len};
    b.audio = (qa_audio_batch){.n = rows == 1 ? 2 : 3, .mel = f->mel, .mel_frames = QA_MEL_FRAMES, .t_cnn = f->t_cnn,
                               .n_audio = f->n_tok};
    return b;
}

static qa_ctx *new_ctx(qa_t *t)
{
    qa_ctx *ctx = NULL;
    CHECK_OK(t, qa_ctx_new(&ctx, &(qa_ctx_config){.step_arena_bytes = (size_t)128 << 20}));
    return ctx;
}

/* max |logits - golden| over valid rows, relative to the golden's max |value| */
static double logits_diff(const qa_tensor *lg, const qa_npy *want, const twin *f, int rows)
{
    int64_t T = lg->shape[1], V = lg->shape[2];
    const float *g = want->data, *l = lg->data;
    double maxd = 0, maxv = 0;
    for (int r = 0; r < rows; r++)
        for (int64_t i = 0; i < f->T[r]; i++)
            for (int64_t v = 0; v < V; v++) {
                double a = l[(r * T + i) * V + v], b = g[(r * want->shape[1] + i) * V + v];
                maxd = fabs(a - b) > maxd ? fabs(a - b) : maxd;
                maxv = fabs(b) > maxv ? fabs(b) : maxv;
            }
    return maxd / maxv;
}

static void test_two_audios_one_row(qa_t *t)
{
    twin f;
    qa_weights *w = NULL;
    qa_ctx *ctx = new_ctx(t);
    qa_npy want = {0}, bw = {0};
    if (twin_load(t, &f) && ctx) {
        CHECK_OK(t, qa_weights_load(&w, f.ck, &(qa_weights_opts){.train = QA_TRAIN_NONE}));
        CHECK_OK(t, qa_npy_read(DIR "two_audios_logits.npy", &want));
        CHECK_OK(t, qa_npy_read(DIR "batch_logits.npy", &bw));
    }
    if (w && want.data && bw.data) {
        qa_ctx_step_begin(ctx);
        qa_nograd_begin(ctx);
        qa_qwen_audio_batch b = twin_batch(&f, 1);
        qa_tensor logits, loss;
        int64_t tokens = 0;
        CHECK_OK(t, qa_qwen_audio_forward(ctx, w, &b, &logits, &loss, &tokens));
        qa_nograd_end(ctx);
        CHECK(t, logits.shape[1] == want.shape[1] && logits.shape[2] == want.shape[2]);
        double rel = logits_diff(&logits, &want, &f, 1);
        double lw = cJSON_GetObjectItem(f.meta, "two_audios_loss")->valuedouble, lg = *(float *)loss.data;
        printf("  two audios, one row: logits rel diff %.3g, loss %.9g vs %.9g (rel %.3g)\n", rel, lg, lw,
               fabs(lg - lw) / lw);
        CHECK(t, rel <= 1e-4);
        CHECK_NEAR(t, lg, lw, 1e-5 * lw);
        CHECK(t, tokens == cJSON_GetObjectItem(f.meta, "two_audios_label_tokens")->valueint);
        /* the same row inside the padded batch gives the same logits (its audios encoded with c) */
        double rel0 = logits_diff(&logits, &bw, &f, 1);
        printf("  vs row 0 of the batch golden: %.3g\n", rel0);
        CHECK(t, rel0 <= 1e-4);
    }
    qa_npy_free(&want);
    qa_npy_free(&bw);
    qa_weights_free(w);
    qa_ctx_free(ctx);
    twin_free(&f);
}

static void compare_grads(qa_t *t, const qa_weights *w, const char *what)
{
    qa_safetensors *st = NULL;
    CHECK_OK(t, qa_safetensors_open(&st, DIR "batch_grads.safetensors"));
    int matched = 0, trainable = 0;
    double worst = 0;
    const char *worst_name = "";
    for (int i = 0; st && i < w->table.n; i++) {
        const qa_tensor *p = &w->t[i];
        if (!p->requires_grad) continue;
        trainable++;
        const qa_st_tensor *g = qa_safetensors_find(st, p->name);
        CHECK_MSG(t, g && g->numel == qa_tensor_numel(p), "%s: no golden gradient for %s", what, p->name);
        if (!g || g->numel != qa_tensor_numel(p)) continue;
        matched++;
        float *want = malloc(sizeof(float) * (size_t)g->numel);
        CHECK_OK(t, qa_st_to_f32(want, g, 0, g->numel));
        const float *got = p->grad;
        double maxd = 0, maxv = 0;
        for (int64_t j = 0; j < g->numel; j++) {
            maxv = fabs(want[j]) > maxv ? fabs(want[j]) : maxv;
            maxd = fabs(got[j] - want[j]) > maxd ? fabs(got[j] - want[j]) : maxd;
        }
        double rel = maxv > 0 ? maxd / maxv : maxd;
        if (rel > worst) { worst = rel; worst_name = p->name; }
        CHECK_MSG(t, maxd <= 1e-4 * maxv, "%s: gradient of %s differs by %g (max %g)", what, p->name, maxd, maxv);
        free(want);
    }
    printf("  batch %s: %d gradients, worst relative diff %.3g (%s)\n", what, matched, worst, worst_name);
    CHECK(t, matched == trainable && trainable > 0);
    qa_safetensors_close(st);
}

static void run_batch(qa_t *t, int train, const char *what)
{
    twin f;
    qa_weights *w = NULL;
    qa_ctx *ctx = new_ctx(t);
    qa_npy want = {0};
    if (twin_load(t, &f) && ctx) {
        CHECK_OK(t, qa_weights_load(&w, f.ck, &(qa_weights_opts){.train = train}));
        CHECK_OK(t, qa_npy_read(DIR "batch_logits.npy", &want));
    }
    if (w && want.data) {
        qa_ctx_step_begin(ctx);
        qa_weights_zero_grad(w);
        qa_qwen_audio_batch b = twin_batch(&f, 2);
        qa_tensor logits, loss;
        int64_t tokens = 0;
        CHECK_OK(t, qa_qwen_audio_forward(ctx, w, &b, &logits, &loss, &tokens));
        CHECK_OK(t, qa_tape_backward(ctx, &loss));
        double rel = logits_diff(&logits, &want, &f, 2);
        double lw = cJSON_GetObjectItem(f.meta, "batch_loss")->valuedouble, lg = *(float *)loss.data;
        printf("  batch (%s): logits rel diff %.3g (valid positions), loss %.9g vs %.9g (rel %.3g)\n", what, rel, lg,
               lw, fabs(lg - lw) / lw);
        CHECK(t, rel <= 1e-4);
        CHECK_NEAR(t, lg, lw, 1e-5 * lw);
        CHECK(t, tokens == cJSON_GetObjectItem(f.meta, "batch_label_tokens")->valueint);
        compare_grads(t, w, what);
    }
    qa_npy_free(&want);
    qa_weights_free(w);
    qa_ctx_free(ctx);
    twin_free(&f);
}

static void test_batch_all(qa_t *t) { run_batch(t, QA_TRAIN_ALL, "all"); }
static void test_batch_stage1(qa_t *t) { run_batch(t, QA_TRAIN_ENCODER, "stage1"); }
static void test_batch_stage2(qa_t *t) { run_batch(t, QA_TRAIN_LLM, "stage2"); }

/* Beyond seq_length: refused in evaluation (the reference's dynamic NTK / logn act there), plain RoPE
 * when a tape records (the reference's train mode). A text-only batch, seq_length lowered to 16. */
static void test_long_sequence(qa_t *t)
{
    twin f;
    qa_weights *w = NULL;
    qa_ctx *ctx = new_ctx(t);
    if (twin_load(t, &f) && ctx) CHECK_OK(t, qa_weights_load(&w, f.ck, &(qa_weights_opts){.train = QA_TRAIN_LLM}));
    if (w) {
        w->cfg.seq_length = 16;
        int32_t ids[20], labels[20];
        for (int i = 0; i < 20; i++) ids[i] = labels[i] = (7 * i + 3) % 450;
        qa_qwen_audio_batch b = {.B = 1, .T = 20, .ids = ids, .labels = labels};
        qa_tensor logits, loss;
        qa_ctx_step_begin(ctx);
        qa_nograd_begin(ctx);
        CHECK_STATUS(t, qa_qwen_audio_forward(ctx, w, &b, &logits, &loss, NULL), QA_ERR_UNSUPPORTED);
        CHECK(t, strstr(qa_error_message(), "seq_length 16") != NULL);
        qa_nograd_end(ctx);
        qa_ctx_step_begin(ctx);
        CHECK_OK(t, qa_qwen_audio_forward(ctx, w, &b, &logits, &loss, NULL));
        CHECK(t, isfinite(*(float *)loss.data));
    }
    qa_weights_free(w);
    qa_ctx_free(ctx);
    twin_free(&f);
}

/* The weights use the flat layout of model/params.h: identical to qa_checkpoint_read_flat_f32. */
static void test_flat_layout(qa_t *t)
{
    qa_checkpoint *ck = NULL;
    qa_weights *w = NULL;
    CHECK_OK(t, qa_checkpoint_open(&ck, DIR "checkpoint"));
    if (ck) CHECK_OK(t, qa_weights_load(&w, ck, &(qa_weights_opts){.train = QA_TRAIN_LLM}));
    float *flat = ck ? calloc((size_t)ck->table.flat_numel, sizeof(float)) : NULL;
    if (w && flat) {
        CHECK_OK(t, qa_checkpoint_read_flat_f32(ck, -1, flat));
        CHECK(t, w->values_base == 0 && w->n_values == (size_t)ck->table.flat_numel);
        CHECK(t, memcmp(w->values, flat, sizeof(float) * (size_t)ck->table.flat_numel) == 0);
        int64_t n = 0;
        float *g = qa_weights_part_grads(w, QA_PART_LLM, &n);
        CHECK(t, g == w->grads && n == ck->table.part_end[QA_PART_LLM] - ck->table.part_begin[QA_PART_LLM]);
        int k = qa_weights_find(w, "lm_head.weight");
        CHECK(t, k >= 0 && (float *)w->t[k].grad == g + (w->table.p[k].offset - ck->table.part_begin[QA_PART_LLM]));
        CHECK(t, qa_weights_part_grads(w, QA_PART_ENCODER, &n) == NULL);
    }
    free(flat);
    qa_weights_free(w);
    qa_checkpoint_close(ck);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {{"two_audios_one_row", test_two_audios_one_row},
                                         {"padded_batch_all", test_batch_all},
                                         {"padded_batch_stage1", test_batch_stage1},
                                         {"padded_batch_stage2", test_batch_stage2},
                                         {"long_sequence", test_long_sequence},
                                         {"flat_layout", test_flat_layout},
                                         {0}};
    return qa_test_main(argc, argv, cases);
}
