/* eval/edit_distance: Levenshtein distance (WER/CER, as the `editdistance` package) and the
 * alignment of Ben Lambert's `edit_distance.SequenceMatcher` (SRWT AAS), over token ids.
 *
 * The alignment reproduces that package's choices, which decide which words count as matched:
 * at every cell, among the minimal-cost moves, diagonal (equal or replace) wins, then insertion
 * (consume a hypothesis token), then deletion; the path is read back from the last cell. */
#include <stdlib.h>

#include "eval/metrics.h"

size_t qa_edit_distance(const int32_t *a, size_t na, const int32_t *b, size_t nb) {
    if (na == 0) return nb;
    if (nb == 0) return na;
    /* one row over b, kept on the stack for ordinary sentence lengths */
    size_t stack_row[256];
    size_t *row = nb + 1 <= 256 ? stack_row : malloc((nb + 1) * sizeof *row);
    if (!row) return (size_t)-1;
    for (size_t j = 0; j <= nb; j++) row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    size_t d = row[nb];
    if (row != stack_row) free(row);
    return d;
}

enum { BP_DIAG = 0, BP_INS = 1, BP_DEL = 2 };

size_t qa_edit_align_equal(const int32_t *a, size_t na, const int32_t *b, size_t nb, size_t *ia, size_t *jb) {
    size_t w = nb + 1;
    size_t *d = malloc((na + 1) * w * sizeof *d);
    unsigned char *bp = malloc((na + 1) * w);
    if (!d || !bp) {
        free(d);
        free(bp);
        return (size_t)-1;
    }
    d[0] = 0;
    for (size_t i = 1; i <= na; i++) { d[i * w] = i; bp[i * w] = BP_DEL; }
    for (size_t j = 1; j <= nb; j++) { d[j] = j; bp[j] = BP_INS; }
    for (size_t i = 1; i <= na; i++) {
        for (size_t j = 1; j <= nb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t ins = d[i * w + j - 1] + 1, del = d[(i - 1) * w + j] + 1, sub = d[(i - 1) * w + j - 1] + cost;
            size_t mn = ins < del ? ins : del;
            if (sub < mn) mn = sub;
            if (mn == sub) { d[i * w + j] = sub; bp[i * w + j] = BP_DIAG; }
            else if (mn == ins) { d[i * w + j] = ins; bp[i * w + j] = BP_INS; }
            else { d[i * w + j] = del; bp[i * w + j] = BP_DEL; }
        }
    }
    /* read the path back from (na, nb); pairs come out last-first, then are reversed */
    size_t k = 0, i = na, j = nb;
    while (i || j) {
        unsigned char m = bp[i * w + j];
        if (m == BP_DIAG) {
            if (a[i - 1] == b[j - 1]) { ia[k] = i - 1; jb[k] = j - 1; k++; }
            i--;
            j--;
        } else if (m == BP_INS) {
            j--;
        } else {
            i--;
        }
    }
    for (size_t x = 0; x < k / 2; x++) {
        size_t t = ia[x]; ia[x] = ia[k - 1 - x]; ia[k - 1 - x] = t;
        t = jb[x]; jb[x] = jb[k - 1 - x]; jb[k - 1 - x] = t;
    }
    free(d);
    free(bp);
    return k;
}
