/* tests/unit/test_model_golden: the whole model against the shared golden of the official
 * Qwen-Audio code (../shared/golden/model/tiny, README there): encoder output, logits rows, argmax,
 * loss, and the gradients with everything trainable, stage 1 (LLM frozen) and stage 2 (encoder
 * frozen); steady state of a repeated forward + backward; bad batches give errors.
 * The ~20 MB checkpoint, clip.wav, logits_rows.npy and the two large gradient files are read from the
 * shared folder (SKIP when absent); the small golden files are copied in tests/data/model/tiny. */
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
#include "data/forward_sample.h"
#include "data/mel.h"
#include "data/tokenizer.h"
#include "model/checkpoint.h"
#include "model/qwen_audio.h"
#include "model/weights.h"
#include "tests/support/test.h"

#define LOCAL "tests/data/model/tiny/"
#define GOLD "golden/model/tiny/"

typedef struct {
    qa_checkpoint *ck;
    float *mel;          /* (80, 3000) */
    qa_audio_lengths len;
    int32_t ids[256], labels[256];
    int T, labels_from;
    int32_t t_cnn, n_audio;
} fixture;

static void fixture_free(fixture *f)
{
    qa_checkpoint_close(f->ck);
    free(f->mel);
}

static cJSON *read_json(qa_t *t, const char *path)
{
    char *buf = NULL;
    size_t n = 0;
    CHECK_OK(t, qa_file_read_all(path, &buf, &n));
    cJSON *j = buf ? cJSON_ParseWithLength(buf, n) : NULL;
    free(buf);
    CHECK_MSG(t, j != NULL, "cannot parse %s", path);
    return j;
}

/* Loads the checkpoint, the mel of clip.wav and the ids; false (after SKIP) when shared is absent. */
static bool fixture_load(qa_t *t, fixture *f)
{
    memset(f, 0, sizeof *f);
    char dir[1024], wav[1024];
    if (!qa_test_shared_path(dir, sizeof dir, GOLD "checkpoint/model.safetensors") ||
        !qa_test_shared_path(wav, sizeof wav, GOLD "clip.wav")) {
        SKIP(t, "tiny golden checkpoint not found under %s/" GOLD " (set QAUDIO_SHARED)", qa_test_shared_dir());
        return false;
    }
    qa_test_shared_path(dir, sizeof dir, GOLD "checkpoint");
    CHECK_OK(t, qa_checkpoint_open(&f->ck, dir));
    qa_audio a = {0};
    CHECK_OK(t, qa_audio_load(wav, &a));
    qa_mel *m = NULL;
    CHECK_OK(t, qa_mel_new(&m));
    f->mel = malloc(sizeof(float) * QA_MEL_BINS * QA_MEL_FRAMES);
    if (m && a.pcm && f->mel) CHECK_OK(t, qa_mel_compute(m, a.pcm, a.n, f->mel));
    CHECK_OK(t, qa_audio_lengths_compute((int64_t)a.n, &f->len));
    qa_mel_free(m);
    free(a.pcm);
    cJSON *j = read_json(t, LOCAL "input_ids.json");
    cJSON *ids = cJSON_GetObjectItem(j, "input_ids");
    f->T = cJSON_GetArraySize(ids);
    f->labels_from = cJSON_GetObjectItem(j, "labels_from")->valueint;
    CHECK(t, f->T > 0 && f->T <= 256);
    for (int i = 0; i < f->T && i < 256; i++) {
        f->ids[i] = cJSON_GetArrayItem(ids, i)->valueint;
        f->labels[i] = i < f->labels_from ? QA_IGNORE_INDEX : f->ids[i];
    }
    cJSON *au = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "audios"), 0);
    CHECK(t, cJSON_GetObjectItem(au, "T_cnn")->valueint == f->len.t_cnn);
    CHECK(t, cJSON_GetObjectItem(au, "n_audio")->valueint == f->len.n_audio);
    cJSON_Delete(j);
    f->t_cnn = f->len.t_cnn;
    f->n_audio = f->len.n_audio;
    return f->ck && f->mel && t->failures == 0;
}

static qa_qwen_audio_batch fixture_batch(fixture *f, bool with_labels)
{
    qa_qwen_audio_batch b = {.B = 1, .T = f->T, .ids = f->ids, .labels = with_labels ? f->labels : NULL};
    b.audio = (qa_audio_batch){.n = 1, .mel = f->mel, .mel_frames = QA_MEL_FRAMES, .t_cnn = &f->t_cnn,
                               .n_audio = &f->n_audio};
    return b;
}

static qa_ctx *new_ctx(qa_t *t)
{
    qa_ctx *ctx = NULL;
    qa_ctx_config cc = {.step_arena_bytes = (size_t)640 << 20};
    CHECK_OK(t, qa_ctx_new(&ctx, &cc));
    return ctx;
}

static void test_encoder(qa_t *t)
{
    fixture f;
    if (!fixture_load(t, &f)) { fixture_free(&f); return; }
    qa_weights *w = NULL;
    qa_ctx *ctx = new_ctx(t);
    CHECK_OK(t, qa_weights_load(&w, f.ck, &(qa_weights_opts){.train = QA_TRAIN_NONE}));
    qa_npy want = {0};
    CHECK_OK(t, qa_npy_read(LOCAL "encoder_out.npy", &want));
    if (w && ctx && want.data) {
        qa_ctx_step_begin(ctx);
        qa_qwen_audio_batch b = fixture_batch(&f, false);
        qa_tensor span;
        CHECK_OK(t, qa_audio_encoder_forward(ctx, w, &b.audio, &span));
        CHECK(t, span.ndim == 2 && span.shape[0] == want.shape[0] && span.shape[1] == want.shape[1]);
        const float *g = want.data;
        double maxd = 0, maxv = 0;
        for (int64_t i = 0; i < want.shape[0] * want.shape[1]; i++) {
            double d = fabs(qa_tensor_get(&span, i, false) - g[i]);
            maxd = d > maxd ? d : maxd;
            maxv = fabs(g[i]) > maxv ? fabs(g[i]) : maxv;
        }
        printf("  encoder_out: max|diff| %.3g, max|value| %.3g (relative %.3g)\n", maxd, maxv, maxd / maxv);
        CHECK_MSG(t, maxd <= 1e-4 * maxv, "encoder output differs by %g (max |value| %g)", maxd, maxv);
    }
    qa_npy_free(&want);
    qa_weights_free(w);
    qa_ctx_free(ctx);
    fixture_free(&f);
}

static void test_logits_loss(qa_t *t)
{
    fixture f;
    if (!fixture_load(t, &f)) { fixture_free(&f); return; }
    char path[1024];
    if (!qa_test_shared_path(path, sizeof path, GOLD "logits_rows.npy")) {
        SKIP(t, "logits_rows.npy not found");
        fixture_free(&f);
        return;
    }
    qa_weights *w = NULL;
    qa_ctx *ctx = new_ctx(t);
    CHECK_OK(t, qa_weights_load(&w, f.ck, &(qa_weights_opts){.train = QA_TRAIN_NONE}));
    qa_npy rows = {0};
    CHECK_OK(t, qa_npy_read(path, &rows));
    cJSON *rj = read_json(t, LOCAL "rows.json"), *aj = read_json(t, LOCAL "argmax.json"),
          *lj = read_json(t, LOCAL "loss.json");
    if (w && ctx && rows.data && rj && aj && lj) {
        qa_ctx_step_begin(ctx);
        qa_nograd_begin(ctx);
        qa_qwen_audio_batch b = fixture_batch(&f, true);
        qa_tensor logits, loss;
        int64_t tokens = 0;
        CHECK_OK(t, qa_qwen_audio_forward(ctx, w, &b, &logits, &loss, &tokens));
        qa_nograd_end(ctx);
        int64_t V = w->cfg.vocab_size;
        CHECK(t, logits.ndim == 3 && logits.shape[1] == f.T && logits.shape[2] == V);
        double maxabs = cJSON_GetObjectItem(lj, "max_abs_logit")->valuedouble;
        const float *L = logits.data, *R = rows.data;
        double maxd = 0;
        for (int r = 0; r < cJSON_GetArraySize(rj); r++) {
            int row = cJSON_GetArrayItem(rj, r)->valueint;
            for (int64_t v = 0; v < V; v++) {
                double d = fabs((double)L[row * V + v] - R[r * V + v]);
                maxd = d > maxd ? d : maxd;
            }
        }
        printf("  logits rows: max|diff| %.3g (relative to max|logit| %.3g: %.3g)\n", maxd, maxabs, maxd / maxabs);
        CHECK_MSG(t, maxd <= 1e-4 * maxabs, "logits differ by %g", maxd);
        cJSON *am = cJSON_GetObjectItem(aj, "argmax"), *gap = cJSON_GetObjectItem(aj, "top2_gap");
        int checked = 0, bad = 0;
        for (int r = 0; r < f.T; r++) {
            if (cJSON_GetArrayItem(gap, r)->valuedouble <= 2e-4 * maxabs) continue;
            int64_t best = 0;
            for (int64_t v = 1; v < V; v++)
                if (L[r * V + v] > L[r * V + best]) best = v;
            checked++;
            bad += best != cJSON_GetArrayItem(am, r)->valueint;
        }
        printf("  argmax: %d rows checked, %d differ\n", checked, bad);
        CHECK(t, checked > 0 && bad == 0);
        double want = cJSON_GetObjectItem(lj, "loss")->valuedouble;
        double got = *(float *)loss.data;
        printf("  loss %.9g vs %.9g (relative %.3g), tokens %lld\n", got, want, fabs(got - want) / want,
               (long long)tokens);
        CHECK_NEAR(t, got, want, 1e-5 * want);
        CHECK(t, tokens == cJSON_GetObjectItem(lj, "label_tokens")->valueint);
    }
    cJSON_Delete(rj);
    cJSON_Delete(aj);
    cJSON_Delete(lj);
    qa_npy_free(&rows);
    qa_weights_free(w);
    qa_ctx_free(ctx);
    fixture_free(&f);
}

/* Compares every trainable gradient of w with the golden file; every golden tensor must be trainable
 * in w and every trainable tensor of w must be in the file. */
static void compare_grads(qa_t *t, const qa_weights *w, const char *path, const char *what)
{
    qa_safetensors *st = NULL;
    CHECK_OK(t, qa_safetensors_open(&st, path));
    if (!st) return;
    int matched = 0;
    double worst = 0;
    const char *worst_name = "";
    for (int i = 0; i < st->n; i++) {
        const qa_st_tensor *g = &st->t[i];
        char name[128];
        snprintf(name, sizeof name, "%s", g->name);
        char *dot = strstr(name, ".row_ids");
        if (dot) continue;
        dot = strstr(name, ".rows");
        bool rows = dot != NULL;
        if (rows) *dot = 0;
        int k = qa_weights_find(w, name);
        CHECK_MSG(t, k >= 0 && w->t[k].requires_grad, "%s: golden gradient %s is not trainable here", what, name);
        if (k < 0 || !w->t[k].requires_grad) continue;
        matched++;
        float *want = malloc(sizeof(float) * (size_t)g->numel);
        CHECK_OK(t, qa_st_to_f32(want, g, 0, g->numel));
        const float *got = w->t[k].grad;
        int64_t D = w->t[k].ndim == 2 ? w->t[k].shape[1] : 1;
        int64_t *ids = NULL;
        int64_t n = g->numel;
        if (rows) {
            char idn[160];
            snprintf(idn, sizeof idn, "%s.row_ids", name);
            const qa_st_tensor *it = qa_safetensors_find(st, idn);
            CHECK(t, it && it->dtype == QA_ST_I64 && it->numel * D == g->numel);
            if (!it) { free(want); continue; }
            ids = malloc(sizeof(int64_t) * (size_t)it->numel);
            memcpy(ids, it->data, sizeof(int64_t) * (size_t)it->numel);
        } else {
            CHECK(t, g->numel == w->t[k].shape[0] * (w->t[k].ndim >= 2 ? w->t[k].shape[1] : 1) *
                                     (w->t[k].ndim == 3 ? w->t[k].shape[2] : 1));
        }
        double maxv = 0, maxd = 0;
        for (int64_t j = 0; j < n; j++) maxv = fabs(want[j]) > maxv ? fabs(want[j]) : maxv;
        for (int64_t j = 0; j < n; j++) {
            double gv = rows ? got[ids[j / D] * D + j % D] : got[j];
            double d = fabs(gv - want[j]);
            maxd = d > maxd ? d : maxd;
        }
        double rel = maxv > 0 ? maxd / maxv : maxd;
        if (rel > worst) { worst = rel; worst_name = w->t[k].name; }
        CHECK_MSG(t, maxd <= 1e-4 * maxv, "%s: gradient of %s differs by %g (max |value| %g)", what, name, maxd, maxv);
        free(ids);
        free(want);
    }
    int trainable = 0;
    for (int i = 0; i < w->table.n; i++) trainable += w->t[i].requires_grad;
    printf("  %s: %d gradients compared, worst relative diff %.3g (%s)\n", what, matched, worst, worst_name);
    CHECK_MSG(t, matched == trainable, "%s: %d golden gradients, %d trainable tensors", what, matched, trainable);
    qa_safetensors_close(st);
}

static void run_grads(qa_t *t, int train, const char *file, const char *what)
{
    fixture f;
    if (!fixture_load(t, &f)) { fixture_free(&f); return; }
    char path[1024];
    if (!strcmp(file, "grads_stage2.safetensors")) snprintf(path, sizeof path, LOCAL "%s", file);
    else {
        char rel[128];
        snprintf(rel, sizeof rel, GOLD "%s", file);
        if (!qa_test_shared_path(path, sizeof path, rel)) {
            SKIP(t, "%s not found", rel);
            fixture_free(&f);
            return;
        }
    }
    qa_weights *w = NULL;
    qa_ctx *ctx = new_ctx(t);
    CHECK_OK(t, qa_weights_load(&w, f.ck, &(qa_weights_opts){.train = train}));
    if (w && ctx) {
        /* no gradient memory for frozen parts */
        const qa_param_table *tb = &w->table;
        size_t want = 0;
        for (int q = 0; q < QA_PART_COUNT; q++)
            if (train & (q == QA_PART_ENCODER ? QA_TRAIN_ENCODER : QA_TRAIN_LLM))
                want += (size_t)(tb->part_end[q] - tb->part_begin[q]);
        CHECK(t, w->n_grads == want);
        int64_t ne = 0, nl = 0;
        CHECK(t, (qa_weights_part_grads(w, QA_PART_ENCODER, &ne) != NULL) == ((train & QA_TRAIN_ENCODER) != 0));
        CHECK(t, (qa_weights_part_grads(w, QA_PART_LLM, &nl) != NULL) == ((train & QA_TRAIN_LLM) != 0));
        CHECK(t, qa_weights_part_values(w, QA_PART_LLM, &nl) != NULL && nl == tb->part_end[1] - tb->part_begin[1]);
        qa_ctx_step_begin(ctx);
        qa_weights_zero_grad(w);
        qa_qwen_audio_batch b = fixture_batch(&f, true);
        qa_tensor logits, loss;
        CHECK_OK(t, qa_qwen_audio_forward(ctx, w, &b, &logits, &loss, NULL));
        CHECK_OK(t, qa_tape_backward(ctx, &loss));
        compare_grads(t, w, path, what);
    }
    qa_weights_free(w);
    qa_ctx_free(ctx);
    fixture_free(&f);
}

static void test_grads_all(qa_t *t) { run_grads(t, QA_TRAIN_ALL, "grads_all.safetensors", "all"); }
static void test_grads_stage1(qa_t *t) { run_grads(t, QA_TRAIN_ENCODER, "grads_stage1.safetensors", "stage1"); }
static void test_grads_stage2(qa_t *t) { run_grads(t, QA_TRAIN_LLM, "grads_stage2.safetensors", "stage2"); }

/* A repeated forward + backward on the same shapes allocates nothing and creates no primitive. */
static void test_steady_state(qa_t *t)
{
    fixture f;
    if (!fixture_load(t, &f)) { fixture_free(&f); return; }
    qa_weights *w = NULL;
    qa_ctx *ctx = new_ctx(t);
    CHECK_OK(t, qa_weights_load(&w, f.ck, &(qa_weights_opts){.train = QA_TRAIN_ALL}));
    float losses[3] = {0};
    qa_counters after1 = {0};
    for (int step = 0; w && ctx && step < 3; step++) {
        qa_ctx_step_begin(ctx);
        qa_weights_zero_grad(w);
        qa_qwen_audio_batch b = fixture_batch(&f, true);
        qa_tensor logits, loss;
        CHECK_OK(t, qa_qwen_audio_forward(ctx, w, &b, &logits, &loss, NULL));
        CHECK_OK(t, qa_tape_backward(ctx, &loss));
        losses[step] = *(float *)loss.data;
        if (step == 0) after1 = ctx->counters;
    }
    if (w && ctx) {
        printf("  after step 1: %llu allocations, %llu primitives; after step 3: %llu, %llu; arena high %zu MB\n",
               (unsigned long long)after1.allocations, (unsigned long long)after1.primitives_created,
               (unsigned long long)ctx->counters.allocations, (unsigned long long)ctx->counters.primitives_created,
               ctx->step.high >> 20);
        CHECK(t, ctx->counters.allocations == after1.allocations);
        CHECK(t, ctx->counters.primitives_created == after1.primitives_created);
        CHECK(t, losses[0] == losses[1] && losses[1] == losses[2]);
    }
    qa_weights_free(w);
    qa_ctx_free(ctx);
    fixture_free(&f);
}

/* Frozen parts in bf16 (the 7B memory mode): the LLM's matrices are used in place in the mapping
 * (wte and lm_head are stored BF16) or converted once; logits stay within bf16 rounding of the
 * golden and the stage-1 gradient still flows through the bf16 LLM into the f32 encoder. */
static void test_frozen_bf16(qa_t *t)
{
    fixture f;
    if (!fixture_load(t, &f)) { fixture_free(&f); return; }
    qa_weights *w = NULL;
    qa_ctx *ctx = new_ctx(t);
    CHECK_OK(t, qa_weights_load(&w, f.ck, &(qa_weights_opts){.train = QA_TRAIN_ENCODER, .frozen_bf16 = true}));
    char path[1024];
    if (w && ctx && qa_test_shared_path(path, sizeof path, GOLD "grads_stage1.safetensors")) {
        CHECK(t, w->lm.lm_head->dtype == QA_BF16 && w->lm.blocks[0].w1->dtype == QA_BF16);
        CHECK(t, w->lm.lm_head->data == qa_checkpoint_tensor(f.ck, "lm_head.weight")->data); /* no copy */
        CHECK(t, w->enc.blocks[0].q_w->dtype == QA_F32 && w->lm.ln_f->dtype == QA_F32);
        qa_ctx_step_begin(ctx);
        qa_weights_zero_grad(w);
        qa_qwen_audio_batch b = fixture_batch(&f, true);
        qa_tensor logits, loss;
        CHECK_OK(t, qa_qwen_audio_forward(ctx, w, &b, &logits, &loss, NULL));
        CHECK(t, logits.dtype == QA_F32);
        CHECK_OK(t, qa_tape_backward(ctx, &loss));
        double got = *(float *)loss.data, want = 11.902117729187012;
        printf("  bf16 LLM: loss %.7g vs %.7g (rel %.3g)\n", got, want, fabs(got - want) / want);
        CHECK_NEAR(t, got, want, 1e-2 * want);
        /* the encoder's gradient: same direction as the f32 golden (cosine), through the bf16 LLM */
        qa_safetensors *st = NULL;
        CHECK_OK(t, qa_safetensors_open(&st, path));
        const qa_st_tensor *g = st ? qa_safetensors_find(st, "transformer.audio.proj.weight") : NULL;
        int k = qa_weights_find(w, "transformer.audio.proj.weight");
        CHECK(t, g && k >= 0 && w->t[k].grad);
        if (g && k >= 0 && w->t[k].grad) {
            float *gw = malloc(sizeof(float) * (size_t)g->numel);
            CHECK_OK(t, qa_st_to_f32(gw, g, 0, g->numel));
            const float *gg = w->t[k].grad;
            double dot = 0, na = 0, nb = 0;
            for (int64_t j = 0; j < g->numel; j++) { dot += gw[j] * gg[j]; na += gw[j] * gw[j]; nb += gg[j] * gg[j]; }
            double cos = dot / sqrt(na * nb + 1e-300);
            printf("  bf16 LLM: cosine of the proj.weight gradient with the f32 golden %.6f\n", cos);
            CHECK(t, cos > 0.999);
            free(gw);
        }
        qa_safetensors_close(st);
    } else if (w && ctx) {
        SKIP(t, "grads_stage1.safetensors not found");
    }
    qa_weights_free(w);
    qa_ctx_free(ctx);
    fixture_free(&f);
}

/* The prompt form of SAMPLE.json gives exactly the reference's ids (tokenizer + audio span expansion),
 * labels_from and the same mel as the fixture. */
static void test_sample_prompt_form(qa_t *t)
{
    fixture f;
    if (!fixture_load(t, &f)) { fixture_free(&f); return; }
    char js[1024];
    if (!qa_test_shared_path(js, sizeof js, GOLD "sample.json") || !f.ck->tokenizer_path) {
        SKIP(t, "sample.json or the checkpoint's qwen.tiktoken not found");
        fixture_free(&f);
        return;
    }
    qa_tokenizer *tok = NULL;
    qa_forward_sample fs = {0};
    CHECK_OK(t, qa_tokenizer_load(f.ck->tokenizer_path, &tok));
    if (tok) CHECK_OK(t, qa_forward_sample_load(&fs, js, tok));
    CHECK(t, (int)fs.ids.n == f.T && fs.labels_from == f.labels_from && fs.n_audio == 1);
    for (int i = 0; i < f.T && i < (int)fs.ids.n; i++) CHECK_MSG(t, fs.ids.ids[i] == f.ids[i], "id %d differs", i);
    if (fs.n_audio == 1) {
        CHECK(t, fs.t_cnn[0] == f.t_cnn && fs.n_tok[0] == f.n_audio);
        CHECK(t, memcmp(fs.mel, f.mel, sizeof(float) * QA_MEL_BINS * QA_MEL_FRAMES) == 0);
    }
    qa_forward_sample_deinit(&fs);
    qa_tokenizer_free(tok);
    fixture_free(&f);
}

/* Bad batches: clear errors, nothing crashes. */
static void test_bad_batches(qa_t *t)
{
    fixture f;
    if (!fixture_load(t, &f)) { fixture_free(&f); return; }
    const qa_model_config *c = &f.ck->cfg;
    qa_qwen_audio_batch b = fixture_batch(&f, true);
    CHECK_OK(t, qa_qwen_audio_check(&b, c));
    int32_t saved = f.ids[81];
    f.ids[81] = 151851; /* no </audio> */
    CHECK_STATUS(t, qa_qwen_audio_check(&b, c), QA_ERR_ARG);
    CHECK(t, strstr(qa_error_message(), "without a closing") != NULL);
    f.ids[81] = saved;
    f.ids[90] = c->vocab_size; /* out of range */
    CHECK_STATUS(t, qa_qwen_audio_check(&b, c), QA_ERR_ARG);
    CHECK(t, strstr(qa_error_message(), "position 90") != NULL);
    f.ids[90] = -3;
    CHECK_STATUS(t, qa_qwen_audio_check(&b, c), QA_ERR_ARG);
    f.ids[90] = 1571;
    b.audio.n = 0; /* span without audio */
    CHECK_STATUS(t, qa_qwen_audio_check(&b, c), QA_ERR_ARG);
    b.audio.n = 1;
    int32_t na = f.n_audio;
    f.n_audio = na - 1; /* wrong span length */
    CHECK_STATUS(t, qa_qwen_audio_check(&b, c), QA_ERR_ARG);
    f.n_audio = na;
    f.labels[95] = c->vocab_size + 5;
    CHECK_STATUS(t, qa_qwen_audio_check(&b, c), QA_ERR_ARG);
    f.labels[95] = f.ids[95];
    CHECK_OK(t, qa_qwen_audio_check(&b, c));
    /* a part that was not loaded cannot run */
    qa_weights *w = NULL;
    qa_ctx *ctx = new_ctx(t);
    CHECK_OK(t, qa_weights_load(&w, f.ck, &(qa_weights_opts){.train = QA_TRAIN_ALL, .skip = QA_TRAIN_LLM}));
    if (w && ctx) {
        int64_t n = 0;
        CHECK(t, w->n_grads == (size_t)(w->table.part_end[0] - w->table.part_begin[0]));
        CHECK(t, qa_weights_part_values(w, QA_PART_LLM, &n) == NULL && qa_weights_part_grads(w, QA_PART_LLM, &n) == NULL);
        qa_ctx_step_begin(ctx);
        qa_tensor logits, loss;
        CHECK_STATUS(t, qa_qwen_audio_forward(ctx, w, &b, &logits, &loss, NULL), QA_ERR_ARG);
        CHECK(t, strstr(qa_error_message(), "not loaded") != NULL);
    }
    qa_weights_free(w);
    qa_ctx_free(ctx);
    fixture_free(&f);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {{"encoder_out", test_encoder},
                                         {"logits_argmax_loss", test_logits_loss},
                                         {"grads_all", test_grads_all},
                                         {"grads_stage1", test_grads_stage1},
                                         {"grads_stage2", test_grads_stage2},
                                         {"steady_state", test_steady_state},
                                         {"frozen_bf16", test_frozen_bf16},
                                         {"sample_prompt_form", test_sample_prompt_form},
                                         {"bad_batches", test_bad_batches},
                                         {0}};
    return qa_test_main(argc, argv, cases);
}
