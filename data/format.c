/* data/format: the segment list shared by the pre-training and chat renderers (see format.h):
 * building it, task names, and its human-readable form. */
#include "data/format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/special_tokens.h"

static const char *const task_names[QA_TASK_COUNT] = {"asr", "s2tt", "srwt", "aac", "aqa", "asc",
                                                      "ser", "vsc",  "mna",  "raw", "chat"};

const qa_pretrain_mask qa_pretrain_mask_default = {
    .start_tag = 0, .audio_lang = 1, .task_tag = 0, .question = 0, .text_lang = 0,
    .timestamps_tag = 0, .instruction = 0, .target = 1, .eos = 1};

const char *qa_task_name(qa_task t)
{
    return (int)t >= 0 && t < QA_TASK_COUNT ? task_names[t] : NULL;
}

qa_task qa_task_from_name(const char *name)
{
    for (int i = 0; i < QA_TASK_COUNT; i++)
        if (name && !strcmp(name, task_names[i])) return (qa_task)i;
    return QA_TASK_COUNT;
}

void qa_rendered_init(qa_rendered *r)
{
    memset(r, 0, sizeof *r);
    r->task = QA_TASK_COUNT;
}

void qa_rendered_deinit(qa_rendered *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) free(r->seg[i].text);
    for (size_t i = 0; i < r->n_audio; i++) {
        free(r->audio[i]);
        free(r->audio_ref[i]);
    }
    free(r->seg);
    free(r->audio);
    free(r->audio_ref);
    qa_rendered_init(r);
}

static qa_status push_seg(qa_rendered *r, qa_segment s)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        qa_segment *p = realloc(r->seg, cap * sizeof *p);
        if (!p) return qa_error(QA_ERR_NOMEM, "out of memory rendering a record");
        r->seg = p;
        r->cap = cap;
    }
    r->seg[r->n++] = s;
    return QA_OK;
}

qa_status qa_rendered_add_text(qa_rendered *r, const char *text, size_t len, int loss)
{
    if (len == 0) return QA_OK;
    char *c = malloc(len + 1);
    if (!c) return qa_error(QA_ERR_NOMEM, "out of memory rendering a record");
    memcpy(c, text, len);
    c[len] = 0;
    qa_status s = push_seg(r, (qa_segment){.kind = QA_SEG_TEXT, .text = c, .len = len, .loss = !!loss});
    if (s) free(c);
    return s;
}

qa_status qa_rendered_add_id(qa_rendered *r, int32_t id, int loss)
{
    return push_seg(r, (qa_segment){.kind = QA_SEG_ID, .id = id, .loss = !!loss});
}

qa_status qa_rendered_add_audio(qa_rendered *r, const char *resolved, const char *ref)
{
    if (r->n_audio == r->cap_audio) {
        size_t cap = r->cap_audio ? r->cap_audio * 2 : 4;
        char **a = realloc(r->audio, cap * sizeof *a);
        if (!a) return qa_error(QA_ERR_NOMEM, "out of memory rendering a record");
        r->audio = a;
        char **b = realloc(r->audio_ref, cap * sizeof *b);
        if (!b) return qa_error(QA_ERR_NOMEM, "out of memory rendering a record");
        r->audio_ref = b;
        r->cap_audio = cap;
    }
    char *ra = strdup(resolved), *rb = strdup(ref);
    if (!ra || !rb) {
        free(ra);
        free(rb);
        return qa_error(QA_ERR_NOMEM, "out of memory rendering a record");
    }
    qa_status s = push_seg(r, (qa_segment){.kind = QA_SEG_AUDIO, .audio = (int)r->n_audio, .loss = 0});
    if (s) {
        free(ra);
        free(rb);
        return s;
    }
    r->audio[r->n_audio] = ra;
    r->audio_ref[r->n_audio] = rb;
    r->n_audio++;
    return QA_OK;
}

static const char *fixed_id_name(int32_t id)
{
    switch (id) {
    case QA_TOK_ENDOFTEXT: return "<|endoftext|>";
    case QA_TOK_IM_START: return "<|im_start|>";
    case QA_TOK_IM_END: return "<|im_end|>";
    default: return NULL;
    }
}

typedef struct {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

char *qa_rendered_to_string(const qa_rendered *r, int mark_loss)
{
    sbuf b = {0};
    sb_add(&b, "", 0);
    int in_loss = 0;
    for (size_t i = 0; i < r->n; i++) {
        const qa_segment *s = &r->seg[i];
        if (mark_loss && s->loss != in_loss) {
            sb_add(&b, s->loss ? "[[" : "]]", 2);
            in_loss = s->loss;
        }
        if (s->kind == QA_SEG_TEXT) {
            sb_add(&b, s->text, s->len);
        } else if (s->kind == QA_SEG_ID) {
            const char *nm = fixed_id_name(s->id);
            char tmp[32];
            if (!nm) {
                snprintf(tmp, sizeof tmp, "<#%d>", (int)s->id);
                nm = tmp;
            }
            sb_add(&b, nm, strlen(nm));
        } else {
            const char *ref = r->audio_ref[s->audio];
            sb_add(&b, "<audio>", 7);
            sb_add(&b, ref, strlen(ref));
            sb_add(&b, "</audio>", 8);
        }
    }
    if (mark_loss && in_loss) sb_add(&b, "]]", 2);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
