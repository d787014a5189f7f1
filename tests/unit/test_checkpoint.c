/* Unit tests for model/checkpoint and model/init: the golden tiny checkpoint loads as it is;
 * init -> save -> load -> save gives identical bytes; sharded and single-file forms hold the same
 * tensors; damaged checkpoints fail naming the tensor or byte offset; Whisper + Qwen assembly. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/safetensors.h"
#include "core/tensor.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "model/init.h"
#include "model/params.h"
#include "tests/support/test.h"

/* A small model: the tiny shape with a 1000-word vocabulary (the golden's 155947 rows make 40 MB). */
static qa_status small_config(qa_model_config *c)
{
    const char *sets[] = {"vocab_size=1000", "audio.audio_start_id=990", "audio.n_ctx=40"};
    return qa_model_config_load_yaml(c, "configs/model/tiny.yaml", sets, 3);
}

static const char *tdir(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", qa_test_tmpdir(), name);
    return buf;
}

static int same_file(const char *a, const char *b)
{
    char *x, *y;
    size_t lx, ly;
    if (qa_file_read_all(a, &x, &lx)) return 0;
    if (qa_file_read_all(b, &y, &ly)) { free(x); return 0; }
    int same = lx == ly && !memcmp(x, y, lx);
    free(x);
    free(y);
    return same;
}

static void test_golden_loads(qa_t *t)
{
    char dir[1024];
    if (!qa_test_shared_path(dir, sizeof dir, "golden/model/tiny/checkpoint")) {
        SKIP(t, "golden/model/tiny not found (set QAUDIO_SHARED)");
        return;
    }
    qa_checkpoint *ck = NULL;
    CHECK_OK(t, qa_checkpoint_open(&ck, dir));
    if (!ck) return;
    CHECK(t, ck->table.n == 59 && ck->cfg.vocab_size == 155947 && ck->cfg.hidden_size == 32);
    CHECK(t, ck->tokenizer_path != NULL);
    const qa_st_tensor *lm = qa_checkpoint_tensor(ck, "lm_head.weight");
    const qa_st_tensor *pe = qa_checkpoint_tensor(ck, "transformer.audio.positional_embedding");
    const qa_st_tensor *c1 = qa_checkpoint_tensor(ck, "transformer.audio.conv1.weight");
    CHECK(t, lm && lm->dtype == QA_ST_BF16 && lm->shape[0] == 155947 && lm->shape[1] == 32);
    CHECK(t, pe && pe->dtype == QA_ST_F32 && pe->shape[0] == 1500 && pe->shape[1] == 64);
    CHECK(t, c1 && c1->ndim == 3 && c1->shape[1] == 80 && c1->shape[2] == 3);
    int nbf = 0;
    for (int i = 0; i < ck->table.n; i++) nbf += ck->tensors[i]->dtype == QA_ST_BF16;
    CHECK(t, nbf == 2);
    /* a few values, read independently from the raw file bytes at the tensor's byte offset */
    int i = qa_params_find(&ck->table, "transformer.h.1.attn.c_attn.bias");
    float *v = malloc((size_t)ck->table.p[i].numel * sizeof *v);
    CHECK_OK(t, qa_checkpoint_read_f32(ck, i, v));
    FILE *f = fopen(ck->weights.files[0]->path, "rb");
    float raw[3] = {0};
    if (f) {
        fseek(f, (long)ck->tensors[i]->offset, SEEK_SET);
        CHECK(t, fread(raw, 4, 3, f) == 3);
        fclose(f);
    }
    CHECK(t, v[0] == raw[0] && v[1] == raw[1] && v[2] == raw[2] && v[0] != 0.f);
    free(v);
    /* lm_head bf16 -> f32 is exact */
    i = qa_params_find(&ck->table, "lm_head.weight");
    v = malloc((size_t)ck->table.p[i].numel * sizeof *v);
    CHECK_OK(t, qa_checkpoint_read_f32(ck, i, v));
    int exact = 1;
    for (int64_t k = 0; k < ck->table.p[i].numel; k += 9973) {
        uint16_t h;
        uint32_t u;
        memcpy(&h, (const char *)lm->data + 2 * k, 2);
        memcpy(&u, &v[k], 4);
        exact &= u == (uint32_t)h << 16;
    }
    CHECK(t, exact);
    free(v);
    /* the stored sinusoids equal ours to the float32 rounding of PyTorch's exp/sin (one ulp of inv_k
     * times t <= 1499 moves an angle by up to ~1.2e-4) */
    float *pe32 = malloc(1500 * 64 * sizeof *pe32), *mine = malloc(1500 * 64 * sizeof *mine);
    CHECK_OK(t, qa_st_to_f32(pe32, pe, 0, pe->numel));
    qa_params_sinusoids(mine, 1500, 64);
    double md = 0, md_early = 0;
    for (int k = 0; k < 1500 * 64; k++) {
        double d = pe32[k] > mine[k] ? pe32[k] - mine[k] : mine[k] - pe32[k];
        if (d > md) md = d;
        if (k < 10 * 64 && d > md_early) md_early = d;
    }
    CHECK_MSG(t, md < 2e-4 && md_early < 1e-6, "sinusoid max diff %g (first 10 rows %g)", md, md_early);
    free(pe32);
    free(mine);
    /* saving it again (dtypes kept) reproduces the golden model.safetensors byte for byte */
    char out[512];
    qa_tensor_src *src = calloc((size_t)ck->table.n, sizeof *src);
    for (int k = 0; k < ck->table.n; k++) src[k] = (qa_tensor_src){ck->tensors[k]->data, ck->tensors[k]->dtype};
    CHECK_OK(t, qa_checkpoint_save(tdir(out, sizeof out, "golden_resaved"), &ck->cfg, &ck->table, src, NULL, NULL, NULL));
    free(src);
    char a[1200], b[1200];
    snprintf(a, sizeof a, "%s/model.safetensors", out);
    snprintf(b, sizeof b, "%s/model.safetensors", dir);
    CHECK(t, same_file(a, b));
    snprintf(a, sizeof a, "%s/config.json", out);
    snprintf(b, sizeof b, "%s/config.json", dir);
    CHECK(t, same_file(a, b));
    qa_checkpoint_close(ck);
}

/* Saves `ck` to dir with options; returns status. */
static qa_status resave(const qa_checkpoint *ck, const char *dir, const qa_checkpoint_save_opts *o)
{
    qa_tensor_src *src = calloc((size_t)ck->table.n, sizeof *src);
    if (!src) return QA_ERR_NOMEM;
    for (int k = 0; k < ck->table.n; k++) src[k] = (qa_tensor_src){ck->tensors[k]->data, ck->tensors[k]->dtype};
    qa_status s = qa_checkpoint_save(dir, &ck->cfg, &ck->table, src, NULL, NULL, o);
    free(src);
    return s;
}

/* 1 when both checkpoints hold the same f32 values for every table entry. */
static int same_tensors(const qa_checkpoint *a, const qa_checkpoint *b)
{
    if (a->table.n != b->table.n) return 0;
    int same = 1;
    for (int i = 0; i < a->table.n && same; i++) {
        int64_t n = a->table.p[i].numel;
        float *x = malloc((size_t)n * 4), *y = malloc((size_t)n * 4);
        same = x && y && !qa_checkpoint_read_f32(a, i, x) && !qa_checkpoint_read_f32(b, i, y) && !memcmp(x, y, (size_t)n * 4);
        free(x);
        free(y);
    }
    return same;
}

static void test_roundtrip_and_shards(qa_t *t)
{
    qa_model_config cfg;
    CHECK_OK(t, small_config(&cfg));
    char d1[512], d2[512], d3[512], ds[512], a[1200], b[1200];
    qa_checkpoint_save_opts o = qa_checkpoint_save_defaults();
    CHECK_OK(t, qa_model_init_random(tdir(d1, sizeof d1, "init1"), &cfg, 7, &o));
    qa_checkpoint *c1 = NULL, *c2 = NULL, *cs = NULL;
    CHECK_OK(t, qa_checkpoint_open(&c1, d1));
    if (!c1) return;
    CHECK_OK(t, resave(c1, tdir(d2, sizeof d2, "resave"), NULL));
    snprintf(a, sizeof a, "%s/model.safetensors", d1);
    snprintf(b, sizeof b, "%s/model.safetensors", d2);
    CHECK(t, same_file(a, b));
    snprintf(a, sizeof a, "%s/config.json", d1);
    snprintf(b, sizeof b, "%s/config.json", d2);
    CHECK(t, same_file(a, b));
    /* the same seed gives the same bytes; another seed does not */
    CHECK_OK(t, qa_model_init_random(tdir(d3, sizeof d3, "init1b"), &cfg, 7, &o));
    snprintf(a, sizeof a, "%s/model.safetensors", d1);
    snprintf(b, sizeof b, "%s/model.safetensors", d3);
    CHECK(t, same_file(a, b));
    CHECK_OK(t, qa_model_init_random(d3, &cfg, 8, &o));
    CHECK(t, !same_file(a, b));
    /* sharded: several files + index, same tensors, and stale single file removed */
    o.shard_size = 100000;
    CHECK_OK(t, resave(c1, tdir(ds, sizeof ds, "sharded"), &o));
    CHECK_OK(t, resave(c1, d2, &o)); /* d2 held a single file before */
    snprintf(a, sizeof a, "%s/model.safetensors", d2);
    CHECK(t, access(a, F_OK) != 0);
    CHECK_OK(t, qa_checkpoint_open(&cs, ds));
    if (cs) {
        CHECK(t, cs->weights.sharded && cs->weights.nfiles > 2);
        CHECK(t, same_tensors(c1, cs));
        /* and back to a single file from the sharded one: identical to the original */
        CHECK_OK(t, resave(cs, tdir(d3, sizeof d3, "unsharded"), NULL));
        snprintf(a, sizeof a, "%s/model.safetensors", d1);
        snprintf(b, sizeof b, "%s/model.safetensors", d3);
        CHECK(t, same_file(a, b));
        qa_checkpoint_close(cs);
    }
    snprintf(a, sizeof a, "%s/model-00001-of-00002.safetensors", ds);
    CHECK(t, access(a, F_OK) != 0); /* more than 2 shards */
    /* bf16 for the LLM only: values are the f32 ones rounded; encoder untouched */
    o = qa_checkpoint_save_defaults();
    o.part_dtype[QA_PART_LLM] = QA_ST_BF16;
    CHECK_OK(t, resave(c1, d3, &o));
    CHECK_OK(t, qa_checkpoint_open(&c2, d3));
    if (c2) {
        int i = qa_params_find(&c2->table, "transformer.h.0.mlp.w1.weight");
        int j = qa_params_find(&c2->table, "transformer.audio.blocks.1.mlp.0.weight");
        CHECK(t, c2->tensors[i]->dtype == QA_ST_BF16 && c2->tensors[j]->dtype == QA_ST_F32);
        int64_t n = c2->table.p[i].numel;
        float *x = malloc((size_t)n * 4), *y = malloc((size_t)n * 4);
        CHECK_OK(t, qa_checkpoint_read_f32(c1, i, x));
        CHECK_OK(t, qa_checkpoint_read_f32(c2, i, y));
        int ok = 1;
        for (int64_t k = 0; k < n; k++) ok &= y[k] == qa_f32_from_bf16(qa_bf16_from_f32(x[k]));
        CHECK(t, ok);
        free(x);
        free(y);
        qa_checkpoint_close(c2);
    }
    /* init values: zero biases, unit norms, normal weights with the configured std */
    int i = qa_params_find(&c1->table, "transformer.h.1.attn.c_attn.weight");
    int64_t n = c1->table.p[i].numel;
    float *w = malloc((size_t)n * 4);
    CHECK_OK(t, qa_checkpoint_read_f32(c1, i, w));
    double s1 = 0, s2 = 0;
    for (int64_t k = 0; k < n; k++) { s1 += w[k]; s2 += (double)w[k] * w[k]; }
    double mean = s1 / n, sd = sqrt(s2 / n - mean * mean);
    CHECK_MSG(t, fabs(mean) < 0.01 && fabs(sd - 0.1) < 0.005, "mean %g sd %g", mean, sd);
    free(w);
    float one, zero;
    CHECK_OK(t, qa_st_to_f32(&one, qa_checkpoint_tensor(c1, "transformer.ln_f.weight"), 5, 1));
    CHECK_OK(t, qa_st_to_f32(&zero, qa_checkpoint_tensor(c1, "transformer.audio.proj.bias"), 3, 1));
    CHECK(t, one == 1.f && zero == 0.f);
    qa_checkpoint_close(c1);
}

/* Copies src_dir's checkpoint to dst_dir with one tensor's entry changed (drop or reshape). */
static qa_status damaged_copy(const char *src_dir, const char *dst_dir, const char *victim, int drop)
{
    qa_checkpoint *ck;
    qa_status s = qa_checkpoint_open(&ck, src_dir);
    if (s) return s;
    char path[1200];
    mkdir(dst_dir, 0777);
    qa_st_entry *e = calloc((size_t)ck->table.n, sizeof *e);
    int n = 0;
    for (int i = 0; i < ck->table.n; i++) {
        const qa_st_tensor *x = ck->tensors[i];
        if (!strcmp(x->name, victim) && drop) continue;
        e[n] = (qa_st_entry){.name = x->name, .dtype = x->dtype, .ndim = x->ndim, .src = x->data, .src_dtype = x->dtype};
        memcpy(e[n].shape, x->shape, sizeof x->shape);
        if (!strcmp(x->name, victim)) { e[n].shape[0] = 1; e[n].shape[1] = x->numel / x->shape[1] > 0 ? x->shape[1] : 1; }
        n++;
    }
    snprintf(path, sizeof path, "%s/model.safetensors", dst_dir);
    s = qa_safetensors_write(path, e, n, NULL);
    snprintf(path, sizeof path, "%s/config.json", dst_dir);
    if (!s) s = qa_model_config_write_json(&ck->cfg, path);
    free(e);
    qa_checkpoint_close(ck);
    return s;
}

static void test_damaged(qa_t *t)
{
    qa_model_config cfg;
    CHECK_OK(t, small_config(&cfg));
    char d[512], x[512], p[1200];
    qa_checkpoint_save_opts o = qa_checkpoint_save_defaults();
    CHECK_OK(t, qa_model_init_random(tdir(d, sizeof d, "good"), &cfg, 1, &o));
    qa_checkpoint *ck = NULL;
    CHECK_OK(t, damaged_copy(d, tdir(x, sizeof x, "missing"), "transformer.h.1.mlp.w2.weight", 1));
    CHECK_STATUS(t, qa_checkpoint_open(&ck, x), QA_ERR_FORMAT);
    CHECK_MSG(t, strstr(qa_error_message(), "missing tensor transformer.h.1.mlp.w2.weight"), "%s", qa_error_message());
    CHECK_OK(t, damaged_copy(d, tdir(x, sizeof x, "reshaped"), "transformer.audio.blocks.0.attn.query.weight", 0));
    CHECK_STATUS(t, qa_checkpoint_open(&ck, x), QA_ERR_SHAPE);
    CHECK_MSG(t, strstr(qa_error_message(), "tensor transformer.audio.blocks.0.attn.query.weight has shape [1, 64]") &&
                     strstr(qa_error_message(), "[64, 64]"), "%s", qa_error_message());
    /* config.json that disagrees with the weights (one more LLM layer) */
    cfg.num_hidden_layers = 3;
    snprintf(p, sizeof p, "%s/config.json", x);
    CHECK_OK(t, damaged_copy(d, x, "none", 0));
    CHECK_OK(t, qa_model_config_write_json(&cfg, p));
    CHECK_STATUS(t, qa_checkpoint_open(&ck, x), QA_ERR_FORMAT);
    CHECK(t, strstr(qa_error_message(), "missing tensor transformer.h.2.") != NULL);
    cfg.num_hidden_layers = 2;
    /* truncated weights */
    snprintf(p, sizeof p, "%s/model.safetensors", d);
    char *buf;
    size_t len;
    CHECK_OK(t, qa_file_read_all(p, &buf, &len));
    CHECK_OK(t, damaged_copy(d, tdir(x, sizeof x, "trunc"), "none", 0));
    snprintf(p, sizeof p, "%s/model.safetensors", x);
    CHECK(t, truncate(p, (off_t)(len - 100)) == 0);
    CHECK_STATUS(t, qa_checkpoint_open(&ck, x), QA_ERR_FORMAT);
    CHECK_MSG(t, strstr(qa_error_message(), "truncated") && strstr(qa_error_message(), "byte") &&
                     strstr(qa_error_message(), "tensor "), "%s", qa_error_message());
    /* bad header: a byte of the JSON replaced */
    FILE *f = fopen(p, "wb");
    if (f) {
        buf[8 + 15] = ','; /* {"__metadata__":{ -> {"__metadata__",{ */
        fwrite(buf, 1, len, f);
        fclose(f);
    }
    CHECK_STATUS(t, qa_checkpoint_open(&ck, x), QA_ERR_FORMAT);
    CHECK_MSG(t, strstr(qa_error_message(), "byte"), "%s", qa_error_message());
    /* header length larger than the file */
    f = fopen(p, "wb");
    if (f) {
        buf[5] = 0x7f;
        fwrite(buf, 1, len, f);
        fclose(f);
    }
    CHECK_STATUS(t, qa_checkpoint_open(&ck, x), QA_ERR_FORMAT);
    CHECK_MSG(t, strstr(qa_error_message(), "at byte 0 exceeds the file size"), "%s", qa_error_message());
    free(buf);
    /* no weights at all; no config */
    CHECK(t, unlink(p) == 0);
    CHECK_STATUS(t, qa_checkpoint_open(&ck, x), QA_ERR_IO);
    CHECK(t, strstr(qa_error_message(), "no model.safetensors") != NULL);
    CHECK_STATUS(t, qa_checkpoint_open(&ck, "/nonexistent/ckpt"), QA_ERR_IO);
    /* a missing or non-file tokenizer fails before any weight is written (no partial directory) */
    qa_checkpoint_save_opts ot = qa_checkpoint_save_defaults();
    ot.tokenizer = "/nonexistent/qwen.tiktoken";
    CHECK_STATUS(t, qa_model_init_random(tdir(x, sizeof x, "bad_tokenizer"), &cfg, 1, &ot), QA_ERR_IO);
    CHECK_MSG(t, strstr(qa_error_message(), "/nonexistent/qwen.tiktoken"), "%s", qa_error_message());
    snprintf(p, sizeof p, "%s/model.safetensors", x);
    CHECK(t, access(p, F_OK) != 0);
    ot.tokenizer = qa_test_tmpdir();
    CHECK_STATUS(t, qa_model_init_random(x, &cfg, 1, &ot), QA_ERR_IO);
    CHECK(t, access(p, F_OK) != 0);
    /* sharded: index names a tensor its shard lacks; total_size wrong */
    o.shard_size = 50000;
    CHECK_OK(t, qa_model_init_random(tdir(x, sizeof x, "shard_bad"), &cfg, 1, &o));
    snprintf(p, sizeof p, "%s/model.safetensors.index.json", x);
    CHECK_OK(t, qa_file_read_all(p, &buf, &len));
    char *at = strstr(buf, "\"lm_head.weight\": \"model-");
    CHECK(t, at != NULL);
    if (at) memcpy(at + strlen("\"lm_head.weight\": \"model-"), "00001", 5);
    f = fopen(p, "wb");
    if (f) { fwrite(buf, 1, len, f); fclose(f); }
    CHECK_STATUS(t, qa_checkpoint_open(&ck, x), QA_ERR_FORMAT);
    CHECK_MSG(t, strstr(qa_error_message(), "tensor lm_head.weight is mapped to model-00001"), "%s", qa_error_message());
    free(buf);
}

/* Writes a fake Hugging Face Whisper and Qwen directory matching cfg (Qwen vocab `qv` rows). */
static qa_status fake_hf(const qa_model_config *cfg, const char *wdir, const char *qdir, int qv, float **values,
                         qa_param_table *tb)
{
    qa_status s = qa_params_build(tb, cfg);
    if (s) return s;
    mkdir(wdir, 0777);
    mkdir(qdir, 0777);
    qa_st_entry *we = calloc((size_t)tb->n + 2, sizeof *we), *qe = calloc((size_t)tb->n + 2, sizeof *qe);
    char (*names)[160] = calloc((size_t)tb->n, sizeof *names);
    int nw = 0, nq = 0;
    for (int i = 0; i < tb->n; i++) {
        const qa_param_info *p = &tb->p[i];
        values[i] = malloc((size_t)p->numel * 4);
        for (int64_t k = 0; k < p->numel; k++) values[i][k] = (float)((i * 131 + k * 7) % 1000) / 997.f - 0.5f;
        qa_st_entry e = {.ndim = p->ndim, .src = values[i], .src_dtype = QA_ST_F32};
        memcpy(e.shape, p->shape, sizeof p->shape);
        if (p->part == QA_PART_ENCODER) {
            if (!qa_init_whisper_name(names[i], 160, p->name)) continue;
            e.name = names[i];
            e.dtype = QA_ST_F16;
            we[nw++] = e;
        } else {
            if (e.shape[0] == cfg->vocab_size) e.shape[0] = qv;
            e.name = p->name;
            e.dtype = QA_ST_BF16;
            qe[nq++] = e;
        }
    }
    /* a decoder tensor the assembly must ignore */
    float dummy[4] = {0};
    we[nw++] = (qa_st_entry){.name = "model.decoder.layer_norm.weight", .dtype = QA_ST_F32, .ndim = 1, .shape = {4},
                             .src = dummy, .src_dtype = QA_ST_F32};
    char path[1200];
    snprintf(path, sizeof path, "%s/model.safetensors", wdir);
    s = qa_safetensors_write(path, we, nw, NULL);
    snprintf(path, sizeof path, "%s/model.safetensors", qdir);
    if (!s) s = qa_safetensors_write(path, qe, nq, NULL);
    free(we);
    free(qe);
    free(names);
    return s;
}

static void test_assemble(qa_t *t)
{
    qa_model_config cfg;
    CHECK_OK(t, small_config(&cfg));
    char wd[512], qd[512], out[512], rnd[512];
    qa_param_table tb;
    float *values[200] = {0};
    CHECK_OK(t, fake_hf(&cfg, tdir(wd, sizeof wd, "hf_whisper"), tdir(qd, sizeof qd, "hf_qwen"), 900, values, &tb));
    qa_checkpoint_save_opts o = qa_checkpoint_save_defaults();
    o.part_dtype[QA_PART_ENCODER] = QA_ST_F32;
    CHECK_OK(t, qa_model_init_assemble(tdir(out, sizeof out, "assembled"), &cfg, wd, qd, 5, &o));
    CHECK_OK(t, qa_model_init_random(tdir(rnd, sizeof rnd, "assembled_ref"), &cfg, 5, &o));
    qa_checkpoint *ck = NULL, *ref = NULL;
    CHECK_OK(t, qa_checkpoint_open(&ck, out));
    CHECK_OK(t, qa_checkpoint_open(&ref, rnd));
    if (!ck || !ref) goto done;
    for (int i = 0; i < tb.n; i++) {
        const qa_param_info *p = &tb.p[i];
        float *v = malloc((size_t)p->numel * 4), *r = malloc((size_t)p->numel * 4);
        CHECK_OK(t, qa_checkpoint_read_f32(ck, i, v));
        CHECK_OK(t, qa_checkpoint_read_f32(ref, i, r));
        int64_t from_src = p->numel;
        if (p->new_in_qwen_audio) from_src = 0;
        else if (p->part == QA_PART_LLM && p->shape[0] == cfg.vocab_size) from_src = 900 * p->shape[1];
        int ok = 1;
        for (int64_t k = 0; k < from_src; k++) {
            float want = p->part == QA_PART_ENCODER ? qa_f16_to_f32(qa_f32_to_f16(values[i][k]))
                                                    : qa_f32_from_bf16(qa_bf16_from_f32(values[i][k]));
            ok &= v[k] == want;
        }
        for (int64_t k = from_src; k < p->numel; k++) /* fresh init, same seed, stored in the part's dtype */
            ok &= v[k] == (p->part == QA_PART_LLM ? qa_f32_from_bf16(qa_bf16_from_f32(r[k])) : r[k]);
        CHECK_MSG(t, ok, "tensor %s not assembled as expected", p->name);
        /* dtypes: encoder forced to F32, LLM kept from the source (BF16), new rows too */
        CHECK(t, ck->tensors[i]->dtype == (p->part == QA_PART_ENCODER ? QA_ST_F32 : QA_ST_BF16));
        free(v);
        free(r);
    }
    /* a Whisper of the wrong width fails naming the tensor */
    qa_model_config wide = cfg;
    wide.n_state = 128;
    CHECK_STATUS(t, qa_model_init_assemble(out, &wide, wd, qd, 5, &o), QA_ERR_SHAPE);
    CHECK_MSG(t, strstr(qa_error_message(), "model.encoder.conv1.weight has shape [64, 80, 3]"), "%s", qa_error_message());
    /* a Qwen with MORE rows than the config cannot be cut down silently */
    qa_model_config small_v = cfg;
    small_v.vocab_size = 800;
    small_v.audio_start_id = 700;
    CHECK_STATUS(t, qa_model_init_assemble(out, &small_v, wd, qd, 5, &o), QA_ERR_SHAPE);
    CHECK_MSG(t, strstr(qa_error_message(), "transformer.wte.weight has shape [900, 32]"), "%s", qa_error_message());
done:
    qa_checkpoint_close(ck);
    qa_checkpoint_close(ref);
    for (int i = 0; i < tb.n; i++) free(values[i]);
    qa_params_free(&tb);
}


/* The flat layout: aligned, non-overlapping, one contiguous range per part; a checkpoint read into
 * a flat buffer and saved from it gives the same bytes. */
static void test_flat_buffer(qa_t *t)
{
    qa_model_config cfg;
    CHECK_OK(t, small_config(&cfg));
    char d[512], d2[512], a[1200], b[1200];
    qa_checkpoint_save_opts o = qa_checkpoint_save_defaults();
    CHECK_OK(t, qa_model_init_random(tdir(d, sizeof d, "flat_src"), &cfg, 11, &o));
    qa_checkpoint *ck = NULL;
    CHECK_OK(t, qa_checkpoint_open(&ck, d));
    if (!ck) return;
    const qa_param_table *tb = &ck->table;
    int ok = 1;
    int64_t end = 0;
    for (int i = 0; i < tb->n; i++) {
        const qa_param_info *p = &tb->p[i];
        ok &= p->offset % QA_PARAM_ALIGN == 0 && p->offset >= end;
        ok &= p->offset >= tb->part_begin[p->part] && p->offset + p->numel <= tb->part_end[p->part];
        end = p->offset + p->numel;
    }
    CHECK(t, ok && end <= tb->flat_numel);
    CHECK(t, tb->part_begin[QA_PART_ENCODER] == 0 && tb->part_end[QA_PART_ENCODER] == tb->part_begin[QA_PART_LLM] &&
             tb->part_end[QA_PART_LLM] == tb->flat_numel);
    float *flat = malloc((size_t)tb->flat_numel * sizeof *flat);
    for (int64_t k = 0; k < tb->flat_numel; k++) flat[k] = 12345.f; /* gaps must be cleared */
    CHECK_OK(t, qa_checkpoint_read_flat_f32(ck, -1, flat));
    int gaps_zero = 1;
    for (int i = 0; i + 1 < tb->n; i++)
        for (int64_t k = tb->p[i].offset + tb->p[i].numel; k < tb->p[i + 1].offset; k++) gaps_zero &= flat[k] == 0.f;
    CHECK(t, gaps_zero);
    CHECK_OK(t, qa_checkpoint_save_flat_f32(tdir(d2, sizeof d2, "flat_out"), &ck->cfg, tb, flat, NULL));
    snprintf(a, sizeof a, "%s/model.safetensors", d);
    snprintf(b, sizeof b, "%s/model.safetensors", d2);
    CHECK(t, same_file(a, b));
    /* one part only: the other part's range is untouched */
    for (int64_t k = 0; k < tb->flat_numel; k++) flat[k] = 7.f;
    CHECK_OK(t, qa_checkpoint_read_flat_f32(ck, QA_PART_LLM, flat));
    CHECK(t, flat[tb->part_end[QA_PART_ENCODER] - 1] == 7.f && flat[0] == 7.f);
    float ln1;
    CHECK_OK(t, qa_st_to_f32(&ln1, qa_checkpoint_tensor(ck, "transformer.h.0.ln_1.weight"), 0, 1));
    CHECK(t, flat[tb->p[qa_params_find(tb, "transformer.h.0.ln_1.weight")].offset] == ln1);
    free(flat);
    qa_checkpoint_close(ck);
}

/* The twin's goldens (tests/data/model) name every trainable parameter of the tiny table with the
 * table's shapes: stage 1 = the encoder's trainable tensors, stage 2 = the LLM's. */
static void test_twin_goldens_match_table(qa_t *t)
{
    qa_model_config cfg;
    qa_param_table tb;
    CHECK_OK(t, qa_model_config_load_yaml(&cfg, "configs/model/tiny.yaml", NULL, 0));
    CHECK_OK(t, qa_params_build(&tb, &cfg));
    const char *files[2] = {"tests/data/model/grads_stage1.safetensors", "tests/data/model/grads_stage2.safetensors"};
    for (int f = 0; f < 2; f++) {
        qa_safetensors *st = NULL;
        CHECK_OK(t, qa_safetensors_open(&st, files[f]));
        if (!st) continue;
        int want = 0, seen = 0;
        for (int i = 0; i < tb.n; i++) {
            const qa_param_info *p = &tb.p[i];
            if (!p->trainable || (int)p->part != f) continue;
            want++;
            const qa_st_tensor *g = qa_safetensors_find(st, p->name);
            if (!g) {
                char rows[160];
                snprintf(rows, sizeof rows, "%s.rows", p->name);
                g = qa_safetensors_find(st, rows);
                CHECK_MSG(t, g && g->ndim == 2 && g->shape[1] == p->shape[1], "%s: no gradient rows", p->name);
                seen += g != NULL;
                continue;
            }
            int same = g->ndim == p->ndim && g->dtype == QA_ST_F32;
            for (int d = 0; same && d < p->ndim; d++) same = g->shape[d] == p->shape[d];
            CHECK_MSG(t, same, "%s: gradient shape differs from the table", p->name);
            seen++;
        }
        CHECK_MSG(t, seen == want && want > 0, "%s: %d of %d gradients", files[f], seen, want);
        qa_safetensors_close(st);
    }
    qa_params_free(&tb);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {
        {"golden_loads", test_golden_loads},
        {"roundtrip_and_shards", test_roundtrip_and_shards},
        {"damaged", test_damaged},
        {"assemble", test_assemble},
        {"twin_goldens_match_table", test_twin_goldens_match_table},
        {"flat_buffer", test_flat_buffer},
        {0},
    };
    return qa_test_main(argc, argv, cases);
}
