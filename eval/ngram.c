/* eval/ngram: n-gram tables and bags (see ngram.h). */
#include "eval/ngram.h"

#include <stdlib.h>
#include <string.h>

#include "eval/text_util.h"

typedef struct {
    int32_t key[QA_NGRAM_MAX + 1]; /* key[0] = order, then the token ids, unused = -1 */
    int32_t id;                    /* -1 = empty slot */
} ngram_slot;

struct qa_ngram_table {
    ngram_slot *slots;
    size_t cap, count;
};

qa_ngram_table *qa_ngram_table_new(void) {
    qa_ngram_table *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->cap = 4096;
    t->slots = malloc(t->cap * sizeof *t->slots);
    if (!t->slots) { free(t); return NULL; }
    for (size_t i = 0; i < t->cap; i++) t->slots[i].id = -1;
    return t;
}

void qa_ngram_table_free(qa_ngram_table *t) {
    if (!t) return;
    free(t->slots);
    free(t);
}

size_t qa_ngram_table_size(const qa_ngram_table *t) { return t->count; }

/* multiply-xorshift over the 5 ints of a key: much cheaper than a byte-wise hash */
static size_t key_hash(const int32_t *key) {
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (int k = 0; k <= QA_NGRAM_MAX; k++) {
        h ^= (uint32_t)key[k];
        h *= 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    }
    return (size_t)h;
}

static int table_grow(qa_ngram_table *t) {
    size_t cap = t->cap * 2;
    ngram_slot *s = malloc(cap * sizeof *s);
    if (!s) return -1;
    for (size_t i = 0; i < cap; i++) s[i].id = -1;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->slots[i].id < 0) continue;
        size_t j = key_hash(t->slots[i].key) & (cap - 1);
        while (s[j].id >= 0) j = (j + 1) & (cap - 1);
        s[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = s;
    t->cap = cap;
    return 0;
}

static int32_t table_id(qa_ngram_table *t, const int32_t *ids, int order) {
    int32_t key[QA_NGRAM_MAX + 1];
    key[0] = order;
    for (int k = 0; k < QA_NGRAM_MAX; k++) key[k + 1] = k < order ? ids[k] : -1;
    size_t j = key_hash(key) & (t->cap - 1);
    while (t->slots[j].id >= 0) {
        if (memcmp(t->slots[j].key, key, sizeof key) == 0) return t->slots[j].id;
        j = (j + 1) & (t->cap - 1);
    }
    if (t->count >= INT32_MAX) return -1;
    memcpy(t->slots[j].key, key, sizeof key);
    int32_t id = t->slots[j].id = (int32_t)t->count++;
    if (t->count * 2 > t->cap && table_grow(t)) return -1;
    return id;
}

/* shell sort by id: sentences give tens of entries, and qsort's merge sort allocates */
static void sort_entries(qa_ngram_entry *e, size_t n) {
    static const size_t gaps[] = {701, 301, 132, 57, 23, 10, 4, 1};
    for (size_t g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
        size_t gap = gaps[g];
        for (size_t i = gap; i < n; i++) {
            qa_ngram_entry x = e[i];
            size_t j = i;
            while (j >= gap && e[j - gap].id > x.id) {
                e[j] = e[j - gap];
                j -= gap;
            }
            e[j] = x;
        }
    }
}

qa_status qa_ngram_bag_build(qa_ngram_bag *bag, qa_ngram_table *t, const int32_t *ids, size_t n, int max_n) {
    bag->n = 0;
    bag->len = (int32_t)n;
    size_t total = 0;
    for (int k = 1; k <= max_n; k++) total += n >= (size_t)k ? n - (size_t)k + 1 : 0;
    if (total > bag->cap) {
        qa_ngram_entry *e = realloc(bag->e, total * sizeof *e);
        if (!e) return qa_error(QA_ERR_NOMEM, "out of memory counting %zu n-grams", total);
        bag->e = e;
        bag->cap = total;
    }
    for (int k = 1; k <= max_n; k++) {
        for (size_t i = 0; i + (size_t)k <= n; i++) {
            int32_t id = table_id(t, ids + i, k);
            if (id < 0) return qa_error(QA_ERR_NOMEM, "out of memory in the n-gram table");
            bag->e[bag->n++] = (qa_ngram_entry){id, k, 1};
        }
    }
    if (bag->n == 0) return QA_OK;
    sort_entries(bag->e, bag->n);
    size_t w = 0;
    for (size_t r = 1; r < bag->n; r++) {
        if (bag->e[r].id == bag->e[w].id) bag->e[w].count++;
        else bag->e[++w] = bag->e[r];
    }
    bag->n = w + 1;
    return QA_OK;
}

int32_t qa_ngram_bag_count(const qa_ngram_bag *bag, int32_t id) {
    size_t lo = 0, hi = bag->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (bag->e[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return (lo < bag->n && bag->e[lo].id == id) ? bag->e[lo].count : 0;
}

void qa_ngram_bag_free(qa_ngram_bag *bag) {
    if (!bag) return;
    free(bag->e);
    bag->e = NULL;
    bag->n = bag->cap = 0;
}
