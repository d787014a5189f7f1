/* model/init: see init.h. The generator: splitmix64 over (seed, key, index) gives two 53-bit
 * uniforms per pair of elements; Box-Muller turns them into two normals (element 2k takes the
 * cosine, 2k+1 the sine). */
#include "model/init.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

uint64_t qa_init_key(const char *name)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ull;
    }
    return h;
}

float qa_init_normal(uint64_t seed, uint64_t key, uint64_t index)
{
    uint64_t pair = index >> 1;
    uint64_t base = splitmix64(seed ^ splitmix64(key));
    uint64_t a = splitmix64(base + 2 * pair), b = splitmix64(base + 2 * pair + 1);
    double u1 = ((double)(a >> 11) + 1.0) * 0x1.0p-53; /* (0, 1]: log is finite */
    double u2 = (double)(b >> 11) * 0x1.0p-53;         /* [0, 1) */
    double r = sqrt(-2.0 * log(u1)), th = 6.283185307179586 * u2;
    return (float)(index & 1 ? r * sin(th) : r * cos(th));
}

void qa_init_param(float *dst, const qa_param_info *p, uint64_t seed)
{
    switch (p->init) {
    case QA_INIT_ZEROS:
        for (int64_t i = 0; i < p->numel; i++) dst[i] = 0.f;
        break;
    case QA_INIT_ONES:
        for (int64_t i = 0; i < p->numel; i++) dst[i] = 1.f;
        break;
    case QA_INIT_SINUSOID:
        qa_params_sinusoids(dst, (int)p->shape[0], (int)p->shape[1]);
        break;
    case QA_INIT_NORMAL: {
        uint64_t key = qa_init_key(p->name);
        for (int64_t i = 0; i < p->numel; i++) dst[i] = p->init_std * qa_init_normal(seed, key, (uint64_t)i);
        break;
    }
    }
}

typedef struct {
    const qa_param_table *t;
    uint64_t seed;
    const qa_st_tensor **partial; /* [t->n] assembly: source with fewer rows (vocabulary growth) */
} init_ctx;

static qa_status fill_random(void *vctx, int index, float *dst, int64_t numel)
{
    init_ctx *c = vctx;
    const qa_param_info *p = &c->t->p[index];
    if (numel != p->numel) return qa_error(QA_ERR_INTERNAL, "tensor %s: fill size mismatch", p->name);
    qa_init_param(dst, p, c->seed);
    const qa_st_tensor *src = c->partial ? c->partial[index] : NULL;
    if (src) /* the first rows come from the source checkpoint; the rest keep their fresh values */
        return qa_st_to_f32(dst, src, 0, src->numel);
    return QA_OK;
}

qa_status qa_model_init_random(const char *dir, const qa_model_config *cfg, uint64_t seed,
                               const qa_checkpoint_save_opts *opts)
{
    qa_param_table t;
    qa_status s = qa_params_build(&t, cfg);
    if (s) return s;
    init_ctx c = {&t, seed, NULL};
    s = qa_checkpoint_save(dir, cfg, &t, NULL, fill_random, &c, opts);
    qa_params_free(&t);
    return s;
}

int qa_init_whisper_name(char *dst, int len, const char *name)
{
    static const char *const pre = "transformer.audio.";
    size_t pl = strlen(pre);
    if (strncmp(name, pre, pl)) return 0;
    const char *r = name + pl;
    if (!strcmp(r, "positional_embedding")) return snprintf(dst, (size_t)len, "model.encoder.embed_positions.weight") > 0;
    if (!strncmp(r, "conv1.", 6) || !strncmp(r, "conv2.", 6)) return snprintf(dst, (size_t)len, "model.encoder.%s", r) > 0;
    if (!strncmp(r, "ln_post.", 8)) return snprintf(dst, (size_t)len, "model.encoder.layer_norm.%s", r + 8) > 0;
    int layer, used = 0;
    if (sscanf(r, "blocks.%d.%n", &layer, &used) == 1 && used > 0) {
        static const char *const map[][2] = {
            {"attn.query.", "self_attn.q_proj."}, {"attn.key.", "self_attn.k_proj."},
            {"attn.value.", "self_attn.v_proj."}, {"attn.out.", "self_attn.out_proj."},
            {"attn_ln.", "self_attn_layer_norm."}, {"mlp.0.", "fc1."},
            {"mlp.2.", "fc2."},                   {"mlp_ln.", "final_layer_norm."},
        };
        const char *rest = r + used;
        for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
            size_t ml = strlen(map[i][0]);
            if (!strncmp(rest, map[i][0], ml))
                return snprintf(dst, (size_t)len, "model.encoder.layers.%d.%s%s", layer, map[i][1], rest + ml) > 0;
        }
    }
    return 0; /* proj, audio_bos_eos_token: new */
}

static int same_shape(const qa_st_tensor *t, const qa_param_info *p)
{
    if (t->ndim != p->ndim) return 0;
    for (int d = 0; d < p->ndim; d++)
        if (t->shape[d] != p->shape[d]) return 0;
    return 1;
}

static void shape_text(char *buf, size_t n, int ndim, const int64_t *shape)
{
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < ndim && k < n; i++) k += (size_t)snprintf(buf + k, n - k, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (k < n) snprintf(buf + k, n - k, "]");
}

static int is_float(qa_st_dtype d) { return d == QA_ST_F32 || d == QA_ST_BF16 || d == QA_ST_F16; }

qa_status qa_model_init_assemble(const char *dir, const qa_model_config *cfg, const char *whisper_dir,
                                 const char *qwen_dir, uint64_t seed, const qa_checkpoint_save_opts *opts)
{
    qa_param_table t;
    qa_status s = qa_params_build(&t, cfg);
    if (s) return s;
    qa_hf_weights wh = {0}, qw = {0};
    qa_tensor_src *src = calloc((size_t)t.n + 1, sizeof *src);
    const qa_st_tensor **partial = calloc((size_t)t.n + 1, sizeof *partial);
    if (!src || !partial) { s = qa_error(QA_ERR_NOMEM, "out of memory"); goto done; }
    if ((s = qa_hf_weights_open(&wh, whisper_dir))) { s = qa_error_wrap(s, "Whisper checkpoint"); goto done; }
    if ((s = qa_hf_weights_open(&qw, qwen_dir))) { s = qa_error_wrap(s, "Qwen checkpoint"); goto done; }
    for (int i = 0; i < t.n && !s; i++) {
        const qa_param_info *p = &t.p[i];
        const qa_st_tensor *st = NULL;
        char srcname[160], want[96], got[96];
        const char *from;
        if (p->part == QA_PART_ENCODER) {
            if (!qa_init_whisper_name(srcname, sizeof srcname, p->name)) continue; /* new part: fresh init */
            st = qa_hf_weights_find(&wh, srcname);
            if (!st) st = qa_hf_weights_find(&wh, srcname + 6); /* WhisperModel: "encoder.*" without "model." */
            from = whisper_dir;
        } else {
            snprintf(srcname, sizeof srcname, "%s", p->name);
            st = qa_hf_weights_find(&qw, srcname);
            from = qwen_dir;
        }
        shape_text(want, sizeof want, p->ndim, p->shape);
        if (!st) {
            s = qa_error(QA_ERR_FORMAT, "%s: missing tensor %s (needed for %s, shape %s)", from, srcname, p->name, want);
            break;
        }
        shape_text(got, sizeof got, st->ndim, st->shape);
        if (!is_float(st->dtype)) {
            s = qa_error(QA_ERR_DTYPE, "%s: tensor %s has dtype %s, expected F32, BF16 or F16", from, srcname,
                         qa_st_dtype_name(st->dtype));
            break;
        }
        if (same_shape(st, p)) {
            src[i].data = st->data;
            src[i].dtype = st->dtype;
        } else if ((!strcmp(p->name, "transformer.wte.weight") || !strcmp(p->name, "lm_head.weight")) && st->ndim == 2 &&
                   st->shape[1] == p->shape[1] && st->shape[0] <= p->shape[0]) {
            partial[i] = st; /* vocabulary grows (Qwen-7B 151936 rows -> 155947): new rows initialised */
            src[i].dtype = st->dtype;
        } else {
            s = qa_error(QA_ERR_SHAPE, "%s: tensor %s has shape %s but %s needs %s (does the model config match this "
                         "checkpoint?)", from, srcname, got, p->name, want);
        }
    }
    if (s) goto done;
    /* dtype of filled tensors when the caller keeps source dtypes: that of the source part */
    init_ctx c = {&t, seed, partial};
    s = qa_checkpoint_save(dir, cfg, &t, src, fill_random, &c, opts);
done:
    qa_hf_weights_close(&wh);
    qa_hf_weights_close(&qw);
    free(src);
    free(partial);
    qa_params_free(&t);
    return s;
}
