/* model/checkpoint: see checkpoint.h. Reading = config.json -> parameter table -> safetensors
 * files mapped -> every table entry found and checked. Writing = table order split into shards,
 * each shard a safetensors file (ordered by element size then name inside), index last. */
#include "model/checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cJSON.h"
#include "core/fileio.h"

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p) return NULL;
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- reading ---- */

void qa_hf_weights_close(qa_hf_weights *w)
{
    if (!w) return;
    for (int i = 0; i < w->nfiles; i++) qa_safetensors_close(w->files[i]);
    free(w->files);
    free(w->dir);
    memset(w, 0, sizeof *w);
}

static qa_status add_file(qa_hf_weights *w, const char *name)
{
    for (int i = 0; i < w->nfiles; i++) {
        const char *base = strrchr(w->files[i]->path, '/');
        if (!strcmp(base ? base + 1 : w->files[i]->path, name)) return QA_OK;
    }
    if (strchr(name, '/') || !strcmp(name, "..") || !strcmp(name, "."))
        return qa_error(QA_ERR_FORMAT, "shard name '%s' must be a plain file name in the checkpoint directory", name);
    char *path = join(w->dir, name);
    if (!path) return qa_error(QA_ERR_NOMEM, "out of memory");
    qa_safetensors **nf = realloc(w->files, (size_t)(w->nfiles + 1) * sizeof *nf);
    if (!nf) { free(path); return qa_error(QA_ERR_NOMEM, "out of memory"); }
    w->files = nf;
    qa_status s = qa_safetensors_open(&w->files[w->nfiles], path);
    free(path);
    if (s) return s;
    w->nfiles++;
    return QA_OK;
}

static qa_status open_index(qa_hf_weights *w, const char *index_path)
{
    char *text;
    size_t len;
    qa_status s = qa_file_read_all(index_path, &text, &len);
    if (s) return s;
    cJSON *j = cJSON_ParseWithLength(text, len);
    free(text);
    const cJSON *map = j ? cJSON_GetObjectItemCaseSensitive(j, "weight_map") : NULL;
    if (!cJSON_IsObject(map)) {
        cJSON_Delete(j);
        return qa_error(QA_ERR_FORMAT, "%s: not a safetensors index (needs an object \"weight_map\": {tensor: file})", index_path);
    }
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(j, "metadata");
    const cJSON *ts = meta ? cJSON_GetObjectItemCaseSensitive(meta, "total_size") : NULL;
    if (cJSON_IsNumber(ts) && ts->valuedouble >= 0) w->index_total_size = (uint64_t)ts->valuedouble;
    for (const cJSON *e = map->child; e && !s; e = e->next) {
        if (!cJSON_IsString(e)) { s = qa_error(QA_ERR_FORMAT, "%s: weight_map[\"%s\"] is not a file name", index_path, e->string); break; }
        s = add_file(w, e->valuestring);
    }
    /* every tensor named in the map must be in the file it names */
    for (const cJSON *e = map->child; e && !s; e = e->next) {
        int found = 0;
        for (int i = 0; i < w->nfiles && !found; i++) {
            const char *base = strrchr(w->files[i]->path, '/');
            if (!strcmp(base + 1, e->valuestring)) found = qa_safetensors_find(w->files[i], e->string) != NULL;
        }
        if (!found)
            s = qa_error(QA_ERR_FORMAT, "%s: tensor %s is mapped to %s but that file does not hold it", index_path,
                         e->string, e->valuestring);
    }
    cJSON_Delete(j);
    if (!s) w->sharded = 1;
    return s;
}

qa_status qa_hf_weights_open(qa_hf_weights *w, const char *dir)
{
    memset(w, 0, sizeof *w);
    if (!(w->dir = strdup(dir))) return qa_error(QA_ERR_NOMEM, "out of memory");
    char *index = join(dir, "model.safetensors.index.json");
    char *single = join(dir, "model.safetensors");
    qa_status s;
    if (!index || !single) s = qa_error(QA_ERR_NOMEM, "out of memory");
    else if (file_exists(index)) s = open_index(w, index);
    else if (file_exists(single)) s = add_file(w, "model.safetensors");
    else s = qa_error(QA_ERR_IO, "%s: no model.safetensors or model.safetensors.index.json (only safetensors weights "
                      "are read; convert pytorch_model.bin with the safetensors library first)", dir);
    free(index);
    free(single);
    if (s) qa_hf_weights_close(w);
    return s;
}

const qa_st_tensor *qa_hf_weights_find(const qa_hf_weights *w, const char *name)
{
    for (int i = 0; i < w->nfiles; i++) {
        const qa_st_tensor *t = qa_safetensors_find(w->files[i], name);
        if (t) return t;
    }
    return NULL;
}

static void shape_str(char *buf, size_t n, int ndim, const int64_t *shape)
{
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < ndim && k < n; i++) k += (size_t)snprintf(buf + k, n - k, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (k < n) snprintf(buf + k, n - k, "]");
}

/* Non-persistent buffers of the reference model that some exports still carry. */
static int ignorable(const char *name)
{
    size_t n = strlen(name);
    static const char *const tails[] = {".rotary_emb.inv_freq", ".attn.masked_bias", ".attn.bias", "logn_tensor"};
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        size_t m = strlen(tails[i]);
        if (n >= m && !strcmp(name + n - m, tails[i])) return 1;
    }
    return 0;
}

void qa_checkpoint_close(qa_checkpoint *ck)
{
    if (!ck) return;
    qa_hf_weights_close(&ck->weights);
    qa_params_free(&ck->table);
    free(ck->tensors);
    free(ck->tokenizer_path);
    free(ck->dir);
    free(ck);
}

qa_status qa_checkpoint_open(qa_checkpoint **out, const char *dir)
{
    *out = NULL;
    qa_checkpoint *ck = calloc(1, sizeof *ck);
    if (!ck || !(ck->dir = strdup(dir))) { free(ck); return qa_error(QA_ERR_NOMEM, "out of memory"); }
    char *cfgpath = join(dir, "config.json");
    qa_status s = cfgpath ? qa_model_config_load_json(&ck->cfg, cfgpath) : qa_error(QA_ERR_NOMEM, "out of memory");
    free(cfgpath);
    if (!s) s = qa_params_build(&ck->table, &ck->cfg);
    if (!s) s = qa_hf_weights_open(&ck->weights, dir);
    if (!s && !(ck->tensors = calloc((size_t)ck->table.n + 1, sizeof *ck->tensors))) s = qa_error(QA_ERR_NOMEM, "out of memory");
    uint64_t total = 0;
    for (int i = 0; i < ck->table.n && !s; i++) {
        const qa_param_info *p = &ck->table.p[i];
        const qa_st_tensor *t = qa_hf_weights_find(&ck->weights, p->name);
        char want[96], got[96];
        shape_str(want, sizeof want, p->ndim, p->shape);
        if (!t) {
            s = qa_error(QA_ERR_FORMAT, "missing tensor %s (shape %s, from config.json) in the safetensors files", p->name, want);
            break;
        }
        shape_str(got, sizeof got, t->ndim, t->shape);
        int same = t->ndim == p->ndim;
        for (int d = 0; same && d < p->ndim; d++) same = t->shape[d] == p->shape[d];
        if (!same) {
            s = qa_error(QA_ERR_SHAPE, "tensor %s has shape %s in %s but config.json implies %s", p->name, got,
                         ck->weights.files[0]->path, want);
            break;
        }
        if (t->dtype != QA_ST_F32 && t->dtype != QA_ST_BF16 && t->dtype != QA_ST_F16) {
            s = qa_error(QA_ERR_DTYPE, "tensor %s has dtype %s: expected F32, BF16 or F16", p->name, qa_st_dtype_name(t->dtype));
            break;
        }
        ck->tensors[i] = t;
    }
    /* every stored tensor must be one we know: a misnamed tensor is an error, not silently dropped */
    for (int f = 0; f < ck->weights.nfiles && !s; f++) {
        const qa_safetensors *st = ck->weights.files[f];
        for (int k = 0; k < st->n && !s; k++) {
            total += st->t[k].nbytes;
            if (qa_params_find(&ck->table, st->t[k].name) < 0 && !ignorable(st->t[k].name))
                s = qa_error(QA_ERR_FORMAT, "%s: unexpected tensor %s (not part of a model with this config.json)",
                             st->path, st->t[k].name);
        }
    }
    if (!s && ck->weights.index_total_size && ck->weights.index_total_size != total)
        s = qa_error(QA_ERR_FORMAT, "%s/model.safetensors.index.json: metadata.total_size %llu but the shards hold %llu "
                     "bytes of tensors", dir, (unsigned long long)ck->weights.index_total_size, (unsigned long long)total);
    if (!s) {
        char *tk = join(dir, "qwen.tiktoken");
        if (tk && file_exists(tk)) ck->tokenizer_path = tk;
        else free(tk);
    }
    if (s) {
        qa_checkpoint_close(ck);
        return qa_error_wrap(s, "loading checkpoint %s", dir);
    }
    *out = ck;
    return QA_OK;
}

const qa_st_tensor *qa_checkpoint_tensor(const qa_checkpoint *ck, const char *name)
{
    int i = qa_params_find(&ck->table, name);
    return i < 0 ? NULL : ck->tensors[i];
}

qa_status qa_checkpoint_read_f32(const qa_checkpoint *ck, int index, float *dst)
{
    if (index < 0 || index >= ck->table.n) return qa_error(QA_ERR_ARG, "parameter index %d out of range", index);
    const qa_st_tensor *t = ck->tensors[index];
    return qa_st_to_f32(dst, t, 0, t->numel);
}

qa_status qa_checkpoint_read_flat_f32(const qa_checkpoint *ck, int part, float *flat)
{
    for (int p = 0; p < QA_PART_COUNT; p++) {
        if (part >= 0 && p != part) continue;
        for (int64_t k = ck->table.part_begin[p]; k < ck->table.part_end[p]; k++) flat[k] = 0.f;
    }
    for (int i = 0; i < ck->table.n; i++) {
        if (part >= 0 && (int)ck->table.p[i].part != part) continue;
        qa_status s = qa_checkpoint_read_f32(ck, i, flat + ck->table.p[i].offset);
        if (s) return s;
    }
    return QA_OK;
}

/* ---- writing ---- */

qa_checkpoint_save_opts qa_checkpoint_save_defaults(void)
{
    qa_checkpoint_save_opts o;
    memset(&o, 0, sizeof o);
    for (int i = 0; i < QA_PART_COUNT; i++) o.part_dtype[i] = QA_DTYPE_KEEP;
    return o;
}

qa_status qa_checkpoint_copy_file(const char *src, const char *dst)
{
    FILE *in = fopen(src, "rb");
    if (!in) return qa_error(QA_ERR_IO, "cannot open %s: %s", src, strerror(errno));
    qa_atomic_file af;
    qa_status s = qa_atomic_file_open(&af, dst);
    if (s) { fclose(in); return s; }
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, af.f) != n) break;
    int bad = ferror(in);
    fclose(in);
    if (bad) { qa_atomic_file_abort(&af); return qa_error(QA_ERR_IO, "error reading %s", src); }
    return qa_atomic_file_commit(&af);
}

qa_status qa_checkpoint_write_generation_config(const char *path)
{
    qa_atomic_file af;
    qa_status s = qa_atomic_file_open(&af, path);
    if (s) return s;
    fputs("{\n  \"chat_format\": \"raw\",\n  \"eos_token_id\": 151643,\n  \"pad_token_id\": 151643,\n"
          "  \"stop_words_ids\": [\n    [\n      151643\n    ]\n  ],\n  \"max_new_tokens\": 512,\n"
          "  \"do_sample\": true,\n  \"top_k\": 0,\n  \"top_p\": 0.8,\n  \"transformers_version\": \"4.31.0\"\n}\n",
          af.f);
    return qa_atomic_file_commit(&af);
}

static qa_st_dtype out_dtype(const qa_param_info *p, const qa_tensor_src *src, const qa_checkpoint_save_opts *o)
{
    int d = o->part_dtype[p->part];
    if (d != QA_DTYPE_KEEP) return (qa_st_dtype)d;
    return src ? src->dtype : QA_ST_F32; /* calloc'd sources of filled tensors: F32 (0) */
}

typedef struct {
    const int *map; /* shard entry -> table index */
    qa_st_fill_fn fill;
    void *ctx;
} shard_fill;

static qa_status shard_fill_fn(void *ctx, int index, float *dst, int64_t numel)
{
    shard_fill *sf = ctx;
    return sf->fill(sf->ctx, sf->map[index], dst, numel);
}

/* Removes DIR/NAME when it exists (stale files of another layout). */
static void remove_stale(const char *dir, const char *name)
{
    char *p = join(dir, name);
    if (p) unlink(p);
    free(p);
}

qa_status qa_checkpoint_save_flat_f32(const char *dir, const qa_model_config *cfg, const qa_param_table *t,
                                      const float *flat, const qa_checkpoint_save_opts *opts)
{
    qa_tensor_src *src = calloc((size_t)t->n + 1, sizeof *src);
    if (!src) return qa_error(QA_ERR_NOMEM, "out of memory");
    for (int i = 0; i < t->n; i++) src[i] = (qa_tensor_src){flat + t->p[i].offset, QA_ST_F32};
    qa_status s = qa_checkpoint_save(dir, cfg, t, src, NULL, NULL, opts);
    free(src);
    return s;
}

/* Removes model-*-of-*.safetensors files that are not among the `n` names just written. */
static void remove_stale_shards(const char *dir, char *const *names, int n)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        size_t len = strlen(nm);
        if (strncmp(nm, "model-", 6) || len < 12 || strcmp(nm + len - 12, ".safetensors") || !strstr(nm, "-of-")) continue;
        int keep = 0;
        for (int i = 0; i < n && !keep; i++) keep = names[i] && !strcmp(names[i], nm);
        if (!keep) remove_stale(dir, nm);
    }
    closedir(d);
}

qa_status qa_checkpoint_save(const char *dir, const qa_model_config *cfg, const qa_param_table *t,
                             const qa_tensor_src *src, qa_st_fill_fn fill, void *fill_ctx,
                             const qa_checkpoint_save_opts *opts)
{
    qa_checkpoint_save_opts o = opts ? *opts : qa_checkpoint_save_defaults();
    /* check the tokenizer before writing gigabytes of weights, so a typo leaves no partial directory */
    struct stat tst;
    if (o.tokenizer && stat(o.tokenizer, &tst) != 0)
        return qa_error(QA_ERR_IO, "tokenizer file %s: %s", o.tokenizer, strerror(errno));
    if (o.tokenizer && !S_ISREG(tst.st_mode))
        return qa_error(QA_ERR_IO, "tokenizer file %s is not a regular file", o.tokenizer);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return qa_error(QA_ERR_IO, "cannot create directory %s: %s", dir, strerror(errno));
    for (int i = 0; i < QA_PART_COUNT; i++)
        if (o.part_dtype[i] != QA_DTYPE_KEEP && o.part_dtype[i] != QA_ST_F32 && o.part_dtype[i] != QA_ST_BF16 &&
            o.part_dtype[i] != QA_ST_F16)
            return qa_error(QA_ERR_ARG, "checkpoint dtype must be f32, bf16 or f16");
    for (int i = 0; i < t->n; i++)
        if (!(src && src[i].data) && !fill)
            return qa_error(QA_ERR_ARG, "tensor %s: no data and no fill callback", t->p[i].name);
    qa_st_entry *e = calloc((size_t)t->n + 1, sizeof *e);
    int *shard_of = calloc((size_t)t->n + 1, sizeof *shard_of);
    int *map = calloc((size_t)t->n + 1, sizeof *map);
    char **fnames = NULL;
    int nshards = 1;
    uint64_t cur = 0, total = 0;
    qa_status s = QA_OK;
    if (!e || !shard_of || !map) { s = qa_error(QA_ERR_NOMEM, "out of memory"); goto done; }
    /* assign shards in table order (encoder first, then LLM layer by layer, like HF) */
    for (int i = 0; i < t->n; i++) {
        uint64_t nb = (uint64_t)t->p[i].numel * qa_st_dtype_size(out_dtype(&t->p[i], src ? &src[i] : NULL, &o));
        if (o.shard_size && cur > 0 && cur + nb > o.shard_size) { nshards++; cur = 0; }
        cur += nb;
        total += nb;
        shard_of[i] = nshards - 1;
    }
    if (!o.shard_size) nshards = 1;
    if (nshards > 99999) { s = qa_error(QA_ERR_ARG, "shard size %llu gives %d shards: too many", (unsigned long long)o.shard_size, nshards); goto done; }
    fnames = calloc((size_t)nshards, sizeof *fnames);
    if (!fnames) { s = qa_error(QA_ERR_NOMEM, "out of memory"); goto done; }
    for (int k = 0; k < nshards && !s; k++) {
        char name[64];
        if (o.shard_size) snprintf(name, sizeof name, "model-%05d-of-%05d.safetensors", k + 1, nshards);
        else snprintf(name, sizeof name, "model.safetensors");
        if (!(fnames[k] = strdup(name))) { s = qa_error(QA_ERR_NOMEM, "out of memory"); break; }
        int n = 0;
        for (int i = 0; i < t->n; i++) {
            if (shard_of[i] != k) continue;
            const qa_param_info *p = &t->p[i];
            e[n].name = p->name;
            e[n].dtype = out_dtype(p, src ? &src[i] : NULL, &o);
            e[n].ndim = p->ndim;
            for (int d = 0; d < p->ndim; d++) e[n].shape[d] = p->shape[d];
            e[n].src = src ? src[i].data : NULL;
            e[n].src_dtype = src ? src[i].dtype : QA_ST_F32;
            map[n] = i;
            n++;
        }
        shard_fill sf = {map, fill, fill_ctx};
        qa_st_write_opts wo = {.fill = fill ? shard_fill_fn : NULL, .fill_ctx = &sf};
        char *path = join(dir, name);
        if (!path) { s = qa_error(QA_ERR_NOMEM, "out of memory"); break; }
        s = qa_safetensors_write(path, e, n, &wo);
        free(path);
    }
    if (s) goto done;
    char *path;
    if (o.tokenizer) {
        const char *base = strrchr(o.tokenizer, '/');
        if (!(path = join(dir, base ? base + 1 : o.tokenizer))) { s = qa_error(QA_ERR_NOMEM, "out of memory"); goto done; }
        s = qa_checkpoint_copy_file(o.tokenizer, path);
        free(path);
        if (s) goto done;
    }
    if (!o.no_generation_config) {
        if (!(path = join(dir, "generation_config.json"))) { s = qa_error(QA_ERR_NOMEM, "out of memory"); goto done; }
        s = qa_checkpoint_write_generation_config(path);
        free(path);
        if (s) goto done;
    }
    if (!(path = join(dir, "config.json"))) { s = qa_error(QA_ERR_NOMEM, "out of memory"); goto done; }
    qa_model_config c2 = *cfg;
    /* torch_dtype says what most of the weights are */
    int bf = 0;
    for (int i = 0; i < t->n; i++) bf += out_dtype(&t->p[i], src ? &src[i] : NULL, &o) == QA_ST_BF16 ? 1 : -1;
    snprintf(c2.torch_dtype, sizeof c2.torch_dtype, "%s", bf > 0 ? "bfloat16" : "float32");
    s = qa_model_config_write_json(&c2, path);
    free(path);
    if (s) goto done;
    /* the index last: a directory with an index is complete */
    if (o.shard_size) {
        if (!(path = join(dir, "model.safetensors.index.json"))) { s = qa_error(QA_ERR_NOMEM, "out of memory"); goto done; }
        qa_atomic_file af;
        if ((s = qa_atomic_file_open(&af, path))) { free(path); goto done; }
        free(path);
        fprintf(af.f, "{\n  \"metadata\": {\n    \"total_size\": %llu\n  },\n  \"weight_map\": {\n", (unsigned long long)total);
        /* HF writes the weight map sorted by name */
        int *ord = map; /* reuse: sort table indexes by name */
        for (int i = 0; i < t->n; i++) ord[i] = i;
        for (int i = 1; i < t->n; i++) {
            int v = ord[i], j = i;
            while (j > 0 && strcmp(t->p[ord[j - 1]].name, t->p[v].name) > 0) { ord[j] = ord[j - 1]; j--; }
            ord[j] = v;
        }
        for (int i = 0; i < t->n; i++)
            fprintf(af.f, "    \"%s\": \"%s\"%s\n", t->p[ord[i]].name, fnames[shard_of[ord[i]]], i + 1 < t->n ? "," : "");
        fprintf(af.f, "  }\n}\n");
        if ((s = qa_atomic_file_commit(&af))) goto done;
        remove_stale(dir, "model.safetensors");
    } else {
        remove_stale(dir, "model.safetensors.index.json");
    }
    remove_stale_shards(dir, fnames, nshards);
done:
    if (fnames)
        for (int k = 0; k < nshards; k++) free(fnames[k]);
    free(fnames);
    free(e);
    free(shard_of);
    free(map);
    if (s) return qa_error_wrap(s, "saving checkpoint %s", dir);
    return QA_OK;
}
