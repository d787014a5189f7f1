/* data/format_tokenize: qa_rendered -> token ids and labels (see format.h). Kept apart from the
 * renderers so that they can be used (and tested) without a tokenizer. */
#include "data/format.h"
#include "data/special_tokens.h"

qa_status qa_format_tokenize(qa_ids *ids, qa_ids *labels, const qa_tokenizer *tok, const qa_rendered *r,
                             const int *span)
{
    qa_status s = QA_OK;
    for (size_t i = 0; i < r->n && !s; i++) {
        const qa_segment *g = &r->seg[i];
        size_t before = ids->n;
        if (g->kind == QA_SEG_TEXT) {
            s = qa_tokenizer_encode(tok, g->text, g->len, QA_SPECIAL_AUDIO, ids);
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
    }
    return s;
}
