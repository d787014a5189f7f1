/* data/loader_recipe: see loader_recipe.h. Every value is range-checked here so that a bad
 * recipe fails at start-up with its file and line, not in the middle of an epoch. */
#include "data/loader_recipe.h"

#include <stdio.h>

typedef struct {
    const char *key;
    long long lo, hi;
} int_range;

/* Reads section.key as an integer in [r->lo, r->hi] into *dst (unchanged when absent). */
static qa_status read_int(qa_config *cfg, const char *section, const int_range *r, int *dst)
{
    char path[512];
    snprintf(path, sizeof path, "%s.%s", section, r->key);
    long long v;
    qa_status s = qa_config_int(cfg, path, *dst, &v);
    if (s) return s;
    if (v < r->lo || v > r->hi) {
        char where[128] = "";
        qa_config_node *n = qa_config_get(cfg, path);
        if (n) qa_config_where(n, where, sizeof where);
        return qa_error(QA_ERR_CONFIG, "%s%skey %s: %lld is out of range [%lld, %lld]", where, where[0] ? ": " : "",
                        path, v, r->lo, r->hi);
    }
    *dst = (int)v;
    return QA_OK;
}

static qa_status read_bool(qa_config *cfg, const char *section, const char *key, int *dst)
{
    char path[512];
    snprintf(path, sizeof path, "%s.%s", section, key);
    return qa_config_bool(cfg, path, *dst, dst);
}

static qa_status read_buckets(qa_config *cfg, const char *section, qa_loader_opts *o)
{
    char path[256];
    snprintf(path, sizeof path, "%s.buckets", section);
    qa_config_node *n = qa_config_get(cfg, path);
    if (!n) return QA_OK;
    char where[128];
    qa_config_where(n, where, sizeof where);
    if (n->kind != QA_CONFIG_SEQ)
        return qa_error(QA_ERR_CONFIG, "%s: key %s: expected a list of token counts, e.g. [128, 256, 512]", where, path);
    if (n->n > QA_LOADER_MAX_BUCKETS)
        return qa_error(QA_ERR_CONFIG, "%s: key %s: %d buckets, at most %d", where, path, n->n, QA_LOADER_MAX_BUCKETS);
    for (int i = 0; i < n->n; i++) {
        char ipath[512];
        snprintf(ipath, sizeof ipath, "%s.%d", path, i);
        char idx[16];
        snprintf(idx, sizeof idx, "%d", i);
        qa_config_node *item = qa_config_child(n, idx);
        long long v;
        qa_status s = qa_config_node_int(item, ipath, &v);
        if (s) return s;
        if (v < 1 || v > (1 << 20) || (i > 0 && v <= o->bucket_bounds[i - 1]))
            return qa_error(QA_ERR_CONFIG, "%s: key %s: bounds must be ascending token counts in [1, 1048576], got %lld",
                            where, ipath, v);
        o->bucket_bounds[i] = (int)v;
    }
    o->n_buckets = n->n;
    return QA_OK;
}

static qa_status read_specaugment(qa_config *cfg, const char *section, qa_specaug_opts *sa)
{
    char sec[256];
    snprintf(sec, sizeof sec, "%s.specaugment", section);
    /* enabling SpecAugment without further keys means LibriSpeech Basic */
    int enabled = sa->enabled;
    qa_status s = read_bool(cfg, sec, "enabled", &enabled);
    if (s) return s;
    if (enabled && !sa->enabled) *sa = qa_specaug_lb;
    sa->enabled = enabled;
    static const int_range ranges[] = {
        {"freq_mask", 0, 80}, {"freq_masks", 0, 16}, {"time_mask", 0, 3000}, {"time_masks", 0, 64}, {"time_warp", 0, 1000},
    };
    int *dst[] = {&sa->freq_mask, &sa->n_freq, &sa->time_mask, &sa->n_time, &sa->time_warp};
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if ((s = read_int(cfg, sec, &ranges[i], dst[i]))) return s;
    char path[512];
    snprintf(path, sizeof path, "%s.time_ratio", sec);
    if (!qa_config_get(cfg, path)) return QA_OK; /* absent: keep the default (0 while disabled) */
    double p;
    if ((s = qa_config_double(cfg, path, sa->time_p, &p))) return s;
    if (!(p > 0 && p <= 1)) return qa_error(QA_ERR_CONFIG, "key %s: %g must be in (0, 1]", path, p);
    sa->time_p = p;
    return QA_OK;
}

qa_status qa_loader_opts_from_recipe(qa_config *cfg, const char *section, qa_loader_opts *out)
{
    qa_loader_opts o = qa_loader_opts_default;
    static const int_range ints[] = {
        {"batch_size", 1, 1 << 20}, {"pad_multiple", 1, 4096}, {"frame_multiple", 2, 3000}, {"prefetch", 0, 64},
    };
    int *dst[] = {&o.batch_size, &o.pad_multiple, &o.frame_multiple, &o.prefetch};
    qa_status s;
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if ((s = read_int(cfg, section, &ints[i], dst[i]))) return s;
    if (o.frame_multiple % 2) return qa_error(QA_ERR_CONFIG, "key %s.frame_multiple: %d must be even", section, o.frame_multiple);
    char path[256];
    snprintf(path, sizeof path, "%s.seed", section);
    long long seed;
    if ((s = qa_config_int(cfg, path, (long long)o.seed, &seed))) return s;
    if (seed < 0) return qa_error(QA_ERR_CONFIG, "key %s: the seed must be >= 0", path);
    o.seed = (uint64_t)seed;
    if ((s = read_bool(cfg, section, "shuffle", &o.shuffle))) return s;
    if ((s = read_bool(cfg, section, "drop_last", &o.drop_last))) return s;
    if ((s = read_buckets(cfg, section, &o))) return s;
    if ((s = read_specaugment(cfg, section, &o.specaug))) return s;
    if ((s = qa_config_check_unused(cfg, section))) return s;
    *out = o;
    return QA_OK;
}
