/* eval/ngram: n-gram bags over token ids, shared by sacrebleu BLEU, COCO BLEU and CIDEr-D.
 *
 * Each distinct n-gram (n <= 4 token ids) gets a dense id from a qa_ngram_table; a sentence's
 * n-grams become a qa_ngram_bag: (id, order, count) entries sorted by id, so two bags are
 * compared by a merge or a binary search instead of hashing strings.
 *
 *   qa_ngram_table *t = qa_ngram_table_new();
 *   qa_ngram_bag b = {0};
 *   qa_ngram_bag_build(&b, t, ids, n_ids, 4);     // all 1..4-grams of the sentence
 *   ... qa_ngram_bag_count(&b, id) ...
 *   qa_ngram_bag_free(&b); qa_ngram_table_free(t); */
#ifndef QA_EVAL_NGRAM_H
#define QA_EVAL_NGRAM_H
#include <stddef.h>
#include <stdint.h>
#include "core/status.h"

#define QA_NGRAM_MAX 4

typedef struct qa_ngram_table qa_ngram_table;
qa_ngram_table *qa_ngram_table_new(void);
void qa_ngram_table_free(qa_ngram_table *t);
size_t qa_ngram_table_size(const qa_ngram_table *t);

typedef struct {
    int32_t id;    /* n-gram id in the table */
    int32_t order; /* n, 1..4 */
    int32_t count; /* occurrences in the sentence */
} qa_ngram_entry;

typedef struct {
    qa_ngram_entry *e; /* sorted by id, ids unique */
    size_t n, cap;
    int32_t len;       /* number of tokens of the sentence */
} qa_ngram_bag;

/* Fills `bag` (replacing its content) with every k-gram, 1 <= k <= max_n, of ids[0..n). */
qa_status qa_ngram_bag_build(qa_ngram_bag *bag, qa_ngram_table *t, const int32_t *ids, size_t n, int max_n);
/* Count of n-gram `id` in the bag (0 when absent); binary search. */
int32_t qa_ngram_bag_count(const qa_ngram_bag *bag, int32_t id);
void qa_ngram_bag_free(qa_ngram_bag *bag);

#endif
