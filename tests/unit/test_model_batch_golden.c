/* tests/unit/test_model_batch_golden: the model against the batch golden of the checkpoint helper's
 * PyTorch twin (tests/data/model/README.md: shared tiny checkpoint, two rows, row 0 with two audios,
 * row 1 LEFT-padded with one audio, three audios encoded together): logits at the golden's vocabulary
 * columns, loss, stage-1 and stage-2 gradients. qaudio batches with right padding (docs/model.md), so
 * row 1 is given with its real tokens first and the padding after; RoPE scores depend only on
 * position differences, so its logits equal the golden's at positions 80.. up to float32 noise.
 * Needs the shared tiny checkpoint (SKIP when absent). */
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

#define DIR "tests/data/model/"
#define T_ROW 123

typedef struct {
    qa_checkpoint *ck;
    float *mel;                          /* (3, 80, 3000) */
    int32_t t_cnn[3], n_tok[3];
    int32_t ids[2 * T_ROW], labels[2 * T_ROW], len[2];
    int shift[2];                        /* golden position = ours + shift[row] */
} fixture;

static void fixture_free(fixture *f)
{
    qa_checkpoint_close(f->ck);
    free(f->mel);
}

static bool fixture_load(qa_t *t, fixture *f)
{
    memset(f, 0, sizeof *f);
    char dir[1024];
    if (!qa_test_shared_path(dir, sizeof dir, "golden/model/tiny/checkpoint/model.safetensors")) {
        SKIP(t, "shared tiny golden checkpoint not found under %s (set QAUDIO_SHARED)", qa_test_shared_dir());
        return false;
    }
    qa_test_shared_path(dir, sizeof dir, "golden/model/tiny/checkpoint");
    CHECK_OK(t, qa_checkpoint_open(&f->ck, dir));
    char *buf = NULL;
    size_t n = 0;
    CHECK_OK(t, qa_file_read_all(DIR "batch.json", &buf, &n));
    cJSON *j = buf ? cJSON_ParseWithLength(buf, n) : NULL;
    free(buf);
    CHECK(t, j != NULL);
    if (!j || !f->ck) return false;
    f->mel = malloc(sizeof(float) * 3 * QA_MEL_BINS * QA_MEL_FRAMES);
    qa_mel *m = NULL;
    CHECK_OK(t, qa_mel_new(&m));
    cJSON *au = cJSON_GetObjectItem(j, "audios");
    CHECK(t, cJSON_GetArraySize(au) == 3);
    for (int i = 0; i < 3 && m && f->mel; i++) {
        cJSON *a = cJSON_GetArrayItem(au, i);
        char path[256];
        snprintf(path, sizeof path, DIR "%s", cJSON_GetObjectItem(a, "url")->valuestring);
        qa_audio pcm = {0};
        qa_audio_lengths L;
        CHECK_OK(t, qa_audio_load(path, &pcm));
        CHECK_OK(t, qa_audio_lengths_compute((int64_t)pcm.n, &L));
        if (pcm.pcm) CHECK_OK(t, qa_mel_compute(m, pcm.pcm, pcm.n, f->mel + (size_t)i * QA_MEL_BINS * QA_MEL_FRAMES));
        qa_audio_free(&pcm);
        f->t_cnn[i] = L.t_cnn;
        f->n_tok[i] = L.n_audio;
        CHECK(t, cJSON_GetObjectItem(a, "T_cnn")->valueint == L.t_cnn);
    }
    qa_mel_free(m);
    cJSON *ids = cJSON_GetObjectItem(j, "input_ids"), *mask = cJSON_GetObjectItem(j, "attention_mask");
    cJSON *from = cJSON_GetObjectItem(j, "labels_from");
    for (int r = 0; r < 2; r++) {
        cJSON *row = cJSON_GetArrayItem(ids, r), *mr = cJSON_GetArrayItem(mask, r);
        CHECK(t, cJSON_GetArraySize(row) == T_ROW);
        int first = 0;
        while (first < T_ROW && cJSON_GetArrayItem(mr, first)->valueint == 0) first++;
        f->shift[r] = first;
        f->len[r] = T_ROW - first;
        int lf = cJSON_GetArrayItem(from, r)->valueint;
        for (int p = 0; p < T_ROW; p++) {
            int g = p + first; /* real tokens first, padding (id 0, label -100) after */
            int id = g < T_ROW ? cJSON_GetArrayItem(row, g)->valueint : 0;
            f->ids[r * T_ROW + p] = id;
            f->labels[r * T_ROW + p] = g < T_ROW && g >= lf ? id : QA_IGNORE_INDEX;
        }
    }
    cJSON_Delete(j);
    return t->failures == 0;
}

static qa_qwen_audio_batch fixture_batch(fixture *f)
{
    qa_qwen_audio_batch b = {.B = 2, .T = T_ROW, .ids = f->ids, .labels = f->labels, .len = f->len};
    b.audio = (qa_audio_batch){.n = 3, .mel = f->mel, .mel_frames = QA_MEL_FRAMES, .t_cnn = f->t_cnn,
                               .n_audio = f->n_tok};
    return b;
}

static void compare_grads(qa_t *t, const qa_weights *w, const char *file, const char *what)
{
    qa_safetensors *st = NULL;
    CHECK_OK(t, qa_safetensors_open(&st, file));
    int matched = 0, trainable = 0;
    double worst = 0;
    for (int i = 0; st && i < w->table.n; i++) {
        const qa_tensor *p = &w->t[i];
        if (!p->requires_grad) continue;
        trainable++;
        char name[160];
        const qa_st_tensor *g = qa_safetensors_find(st, p->name), *rid = NULL;
        if (!g) {
            snprintf(name, sizeof name, "%s.rows", p->name);
            g = qa_safetensors_find(st, name);
            snprintf(name, sizeof name, "%s.row_ids", p->name);
            rid = qa_safetensors_find(st, name);
            CHECK_MSG(t, g && rid && rid->dtype == QA_ST_I64, "%s: no golden gradient for %s", what, p->name);
            if (!g || !rid || rid->dtype != QA_ST_I64) continue;
        }
        int64_t D = p->ndim == 2 ? p->shape[1] : 1;
        float *want = malloc(sizeof(float) * (size_t)g->numel);
        int64_t *rows = rid ? malloc(sizeof(int64_t) * (size_t)rid->numel) : NULL;
        CHECK_OK(t, qa_st_to_f32(want, g, 0, g->numel));
        if (rows) memcpy(rows, rid->data, sizeof(int64_t) * (size_t)rid->numel);
        const float *got = p->grad;
        double maxd = 0, maxv = 0;
        for (int64_t k = 0; k < g->numel; k++) {
            double gv = rows ? got[rows[k / D] * D + k % D] : got[k];
            maxv = fabs(want[k]) > maxv ? fabs(want[k]) : maxv;
            maxd = fabs(gv - want[k]) > maxd ? fabs(gv - want[k]) : maxd;
        }
        double rel = maxv > 0 ? maxd / maxv : maxd;
        worst = rel > worst ? rel : worst;
        CHECK_MSG(t, maxd <= 1e-4 * maxv, "%s: gradient of %s differs by %g (max %g)", what, p->name, maxd, maxv);
        matched++;
        free(want);
        free(rows);
    }
    printf("  %s: %d gradients, worst relative diff %.3g\n", what, matched, worst);
    CHECK(t, matched == trainable && trainable > 0);
    qa_safetensors_close(st);
}

static void run(qa_t *t, int train, const char *grads, const char *what)
{
    fixture f;
    qa_weights *w = NULL;
    qa_ctx *ctx = NULL;
    qa_npy cols = {0}, lc = {0};
    cJSON *lj = NULL;
    if (!fixture_load(t, &f)) { fixture_free(&f); return; }
    CHECK_OK(t, qa_ctx_new(&ctx, &(qa_ctx_config){.step_arena_bytes = (size_t)768 << 20}));
    CHECK_OK(t, qa_weights_load(&w, f.ck, &(qa_weights_opts){.train = train}));
    CHECK_OK(t, qa_npy_read(DIR "columns.npy", &cols));
    CHECK_OK(t, qa_npy_read(DIR "logits_cols.npy", &lc));
    char *buf = NULL;
    size_t n = 0;
    CHECK_OK(t, qa_file_read_all(DIR "loss.json", &buf, &n));
    lj = buf ? cJSON_ParseWithLength(buf, n) : NULL;
    free(buf);
    if (w && ctx && cols.data && lc.data && lj && cols.dtype == QA_NPY_I64) {
        qa_ctx_step_begin(ctx);
        qa_weights_zero_grad(w);
        qa_qwen_audio_batch b = fixture_batch(&f);
        qa_tensor logits, loss;
        int64_t tokens = 0;
        CHECK_OK(t, qa_qwen_audio_forward(ctx, w, &b, &logits, &loss, &tokens));
        CHECK_OK(t, qa_tape_backward(ctx, &loss));
        int64_t V = logits.shape[2], K = cols.shape[0];
        const int64_t *c = cols.data;
        const float *L = logits.data, *G = lc.data;
        double maxd = 0, maxv = 0;
        for (int r = 0; r < 2; r++)
            for (int p = 0; p < f.len[r]; p++)
                for (int64_t k = 0; k < K; k++) {
                    double a = L[((int64_t)r * T_ROW + p) * V + c[k]];
                    double g = G[((int64_t)r * T_ROW + p + f.shift[r]) * K + k];
                    maxd = fabs(a - g) > maxd ? fabs(a - g) : maxd;
                    maxv = fabs(g) > maxv ? fabs(g) : maxv;
                }
        double lw = cJSON_GetObjectItem(lj, "loss")->valuedouble, lg = *(float *)loss.data;
        printf("  %s: logits at %lld columns, real positions: rel diff %.3g; loss %.9g vs %.9g (rel %.3g)\n", what,
               (long long)K, maxd / maxv, lg, lw, fabs(lg - lw) / lw);
        CHECK(t, maxd <= 1e-4 * maxv);
        CHECK_NEAR(t, lg, lw, 1e-5 * lw);
        CHECK(t, tokens == cJSON_GetObjectItem(lj, "label_tokens")->valueint);
        compare_grads(t, w, grads, what);
    }
    cJSON_Delete(lj);
    qa_npy_free(&cols);
    qa_npy_free(&lc);
    qa_weights_free(w);
    qa_ctx_free(ctx);
    fixture_free(&f);
}

static void test_stage1(qa_t *t) { run(t, QA_TRAIN_ENCODER, DIR "grads_stage1.safetensors", "stage1"); }
static void test_stage2(qa_t *t) { run(t, QA_TRAIN_LLM, DIR "grads_stage2.safetensors", "stage2"); }

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {{"batch_stage1", test_stage1}, {"batch_stage2", test_stage2}, {0}};
    return qa_test_main(argc, argv, cases);
}
