/* core/config: the configuration tree of recipes and model configs, loaded from YAML (libyaml).
 *
 * A tree of maps, sequences and scalars; every node remembers the file and line it came from so
 * that errors read "recipes/x.yaml:12: key train.lr: expected a number, found 'fast'".
 *
 *   qa_config *c;
 *   if ((s = qa_config_load(&c, "recipes/stage1.yaml"))) return s;
 *   if ((s = qa_config_set(c, "train.lr=1e-4"))) ...          // --set overrides
 *   long long steps; double lr;
 *   s = qa_config_int(c, "train.steps", 1000, &steps);        // default when absent
 *   s = qa_config_double(c, "train.lr", 0, &lr);
 *   s = qa_config_check_unused(c, NULL);                      // unknown keys are errors
 *   qa_config_free(c);
 *
 * Includes: a map may hold `include: other.yaml` (or a list of files), resolved relative to the
 * including file; the included maps are merged first and the including file's own keys win
 * (maps merge recursively, anything else is replaced). Include cycles are errors.
 * Getters mark the nodes they read; qa_config_check_unused then reports the first key under a
 * prefix that nobody read, so a misspelt key never passes silently. Keys are dotted paths;
 * sequence items are addressed by index ("datasets.0.path"). */
#ifndef QA_CORE_CONFIG_H
#define QA_CORE_CONFIG_H

#include <stdint.h>

#include "core/status.h"

typedef enum { QA_CONFIG_MAP, QA_CONFIG_SEQ, QA_CONFIG_SCALAR } qa_config_kind;

typedef struct qa_config_node {
    qa_config_kind kind;
    char *key;                      /* key in the parent map (NULL for sequence items and the root) */
    char *value;                    /* scalar text (NULL for maps and sequences) */
    int quoted;                     /* scalar was quoted in the YAML (a string, never null) */
    const char *file;               /* source file (owned by the qa_config) or "--set" */
    int line;                       /* 1-based */
    int used;                       /* set by getters */
    struct qa_config_node **items;  /* children [n] */
    int n, cap;
} qa_config_node;

typedef struct {
    qa_config_node *root; /* a map */
    char **files;         /* names referenced by nodes */
    int nfiles;
} qa_config;

/* Loads a YAML file (its top level must be a map). */
qa_status qa_config_load(qa_config **out, const char *path);
/* Parses YAML text; `name` is used as the file name in messages and to resolve includes. */
qa_status qa_config_load_string(qa_config **out, const char *text, const char *name);
/* An empty tree. */
qa_status qa_config_new(qa_config **out);
void qa_config_free(qa_config *c);

/* Applies "a.b.c=value": creates missing maps, replaces an existing value. The value is parsed
 * as a YAML scalar (or flow sequence, e.g. "[1, 2]"). */
qa_status qa_config_set(qa_config *c, const char *assignment);

/* The node at a dotted path, or NULL. Marks it (and its ancestors) used. */
qa_config_node *qa_config_get(qa_config *c, const char *path);
/* Child of a map by key, or item of a sequence by index ("3"), or NULL; marks it used. */
qa_config_node *qa_config_child(qa_config_node *n, const char *key);

/* Typed getters: absent key -> *out = def and QA_OK; present but wrong type -> QA_ERR_CONFIG
 * with "file:line: key a.b: expected an integer, found 'x'". */
qa_status qa_config_int(qa_config *c, const char *path, long long def, long long *out);
qa_status qa_config_double(qa_config *c, const char *path, double def, double *out);
qa_status qa_config_bool(qa_config *c, const char *path, int def, int *out);
/* *out points into the tree (valid until qa_config_free); def may be NULL. */
qa_status qa_config_str(qa_config *c, const char *path, const char *def, const char **out);
/* Like the getters above, but the key must be present. */
qa_status qa_config_require(qa_config *c, const char *path, qa_config_node **out);

/* Conversions of one scalar node (error messages name `path`). */
qa_status qa_config_node_int(const qa_config_node *n, const char *path, long long *out);
qa_status qa_config_node_double(const qa_config_node *n, const char *path, double *out);
qa_status qa_config_node_bool(const qa_config_node *n, const char *path, int *out);

/* QA_ERR_CONFIG "file:line: unknown key a.b.c (known keys are read by ...)" for the first key
 * under `prefix` (NULL: the whole tree) that no getter has read. */
qa_status qa_config_check_unused(qa_config *c, const char *prefix);

/* "file:line" of a node into buf. */
const char *qa_config_where(const qa_config_node *n, char *buf, int len);

#endif
