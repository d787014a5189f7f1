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

qa_status qa_format_ids_resolve(qa_format_ids *out, const qa_tokenizer *tok)
{
    static const char *const names[6] = {"<|endoftext|>", "<|im_start|>", "<|im_end|>",
                                          "<audio>",       "</audio>",     "[[[AUDIO:modality]]]"};
    int32_t v[6];
    for (int i = 0; i < 6; i++) {
        v[i] = qa_tokenizer_special_id(tok, names[i]);
        if (v[i] < 0)
            return qa_error(QA_ERR_ARG, "the tokenizer has no special token %s (a sentencepiece model must be trained "
                            "with the Qwen-Audio special tokens)", names[i]);
    }
    *out = (qa_format_ids){v[0], v[1], v[2], v[3], v[4], v[5]};
    return QA_OK;
}

/* Segment ids are written with the Qwen constants; map them to this tokenizer's ids. */
static int32_t map_id(const qa_format_ids *f, int32_t id)
{
    switch (id) {
    case QA_TOK_ENDOFTEXT: return f->endoftext;
    case QA_TOK_IM_START: return f->im_start;
    case QA_TOK_IM_END: return f->im_end;
    default: return id;
    }
}

qa_status qa_format_tokenize(qa_ids *ids, qa_ids *labels, const qa_tokenizer *tok, const qa_rendered *r,
                             const int *span)
{
    qa_format_ids f;
    qa_status s = qa_format_ids_resolve(&f, tok);
    if (s) return s;
    size_t i = 0;
    while (i < r->n && !s) {
        const qa_segment *g = &r->seg[i];
        size_t before = ids->n, next = i + 1;
        if (g->kind == QA_SEG_TEXT) {
            if (r->merge_text)
                while (next < r->n && r->seg[next].kind == QA_SEG_TEXT && r->seg[next].loss == g->loss) next++;
            s = encode_run(ids, tok, r, i, next);
            if (s) return qa_error_wrap(s, "while encoding \"%.40s\"", g->text);
            /* audio markup typed in text would give <audio>/</audio>/placeholder ids with no clip
             * behind them (chat <audio>PATH</audio> pairs became AUDIO segments already) */
            for (size_t k = before; k < ids->n; k++)
                if (ids->ids[k] == f.audio_start || ids->ids[k] == f.audio_end || ids->ids[k] == f.audio_pad)
                    return qa_error(QA_ERR_FORMAT, "text \"%.60s\" contains <audio>, </audio> or "
                                    "[[[AUDIO:modality]]] outside an audio reference: remove it from the text "
                                    "(pre-training audio goes in \"audio\"; chat audio as <audio>PATH</audio>)",
                                    g->text);
        } else if (g->kind == QA_SEG_ID) {
            s = qa_ids_push(ids, map_id(&f, g->id));
        } else {
            int n = span ? span[g->audio] : 0;
            if (n < 3) return qa_error(QA_ERR_ARG, "audio %d (%s): span of %d tokens (need >= 3)", g->audio,
                                       r->audio_ref[g->audio], n);
            s = qa_ids_push(ids, f.audio_start);
            for (int k = 0; k < n - 2 && !s; k++) s = qa_ids_push(ids, f.audio_pad);
            if (!s) s = qa_ids_push(ids, f.audio_end);
        }
        for (size_t k = before; k < ids->n && !s; k++)
            s = qa_ids_push(labels, g->loss ? ids->ids[k] : QA_LABEL_IGNORE);
        i = next;
    }
    return s;
}
