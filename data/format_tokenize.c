/* data/format_tokenize: qa_rendered -> token ids and labels (see format.h). Kept apart from the
 * renderers so that they can be used (and tested) without a tokenizer. */
#include <stdlib.h>
#include <string.h>

#include "data/format.h"
#include "data/special_tokens.h"

/* Encodes segments [i, j) (all TEXT, same loss flag) as one string. */
static qa_status encode_run(qa_ids *ids, const qa_tokenizer *tok, const qa_rendered *r, size_t i, size_t j)
{
    if (j == i + 1) return qa_tokenizer_encode(tok, r->seg[i].text, r->seg[i].len, QA_SPECIAL_AUDIO, ids);
    size_t n = 0;
    for (size_t k = i; k < j; k++) n += r->seg[k].len;
    char *buf = malloc(n + 1);
    if (!buf) return qa_error(QA_ERR_NOMEM, "out of memory");
    n = 0;
    for (size_t k = i; k < j; k++) {
        memcpy(buf + n, r->seg[k].text, r->seg[k].len);
        n += r->seg[k].len;
    }
    qa_status s = qa_tokenizer_encode(tok, buf, n, QA_SPECIAL_AUDIO, ids);
    free(buf);
    return s;
}

qa_status qa_format_tokenize(qa_ids *ids, qa_ids *labels, const qa_tokenizer *tok, const qa_rendered *r,
                             const int *span)
{
    qa_status s = QA_OK;
    size_t i = 0;
    while (i < r->n && !s) {
        const qa_segment *g = &r->seg[i];
        size_t before = ids->n, next = i + 1;
        if (g->kind == QA_SEG_TEXT) {
            if (r->merge_text)
                while (next < r->n && r->seg[next].kind == QA_SEG_TEXT && r->seg[next].loss == g->loss) next++;
            s = encode_run(ids, tok, r, i, next);
            if (s) return qa_error_wrap(s, "while encoding \"%.40s\"", g->text);
        } else if (g->kind == QA_SEG_ID) {
            s = qa_ids_push(ids, g->id);
        } else {
            int n = span ? span[g->audio] : 0;
            if (n < 3) return qa_error(QA_ERR_ARG, "audio %d (%s): span of %d tokens (need >= 3)", g->audio,
                                       r->audio_ref[g->audio], n);
            s = qa_ids_push(ids, QA_TOK_AUDIO_START);
            for (int k = 0; k < n - 2 && !s; k++) s = qa_ids_push(ids, QA_TOK_AUDIO_PAD);
            if (!s) s = qa_ids_push(ids, QA_TOK_AUDIO_END);
        }
        for (size_t k = before; k < ids->n && !s; k++)
            s = qa_ids_push(labels, g->loss ? ids->ids[k] : QA_LABEL_IGNORE);
        i = next;
    }
    return s;
}
