/* data/format_chat: renders a chat record as ChatML (spec section 8):
 *   <|im_start|>system\nSYSTEM<|im_end|>
 *   \n<|im_start|>user\nAudio 1: <audio>a.wav</audio>\nquestion<|im_end|>
 *   \n<|im_start|>assistant\nanswer<|im_end|> ...
 * Role, "\n" and content are separate segments, encoded separately as Qwen's make_context and
 * finetune.py do; inside content only the audio special tokens are recognised (QA_SPECIAL_AUDIO),
 * and each <audio>PATH</audio> becomes an audio span. Loss placement: qa_chat_mask (format.h). */
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "core/fileio.h"
#include "data/format.h"
#include "data/special_tokens.h"

typedef enum { ROLE_SYSTEM, ROLE_USER, ROLE_ASSISTANT, ROLE_BAD } role_t;

static role_t parse_role(const char *s)
{
    if (!strcmp(s, "system")) return ROLE_SYSTEM;
    if (!strcmp(s, "user") || !strcmp(s, "human")) return ROLE_USER;
    if (!strcmp(s, "assistant") || !strcmp(s, "gpt")) return ROLE_ASSISTANT;
    return ROLE_BAD;
}

static const char *const role_word[] = {"system", "user", "assistant"};

/* Content text: plain text with <audio>PATH</audio> references. */
static qa_status add_content(qa_rendered *r, const char *c, const char *manifest_path, int loss, size_t msg)
{
    qa_status s;
    for (;;) {
        const char *a = strstr(c, "<audio>");
        if (!a) break;
        const char *e = strstr(a + 7, "</audio>");
        if (!e) return qa_error(QA_ERR_FORMAT, "message %zu: <audio> without </audio>", msg);
        if ((s = qa_rendered_add_text(r, c, (size_t)(a - c), loss))) return s;
        size_t plen = (size_t)(e - a - 7);
        if (plen == 0) return qa_error(QA_ERR_FORMAT, "message %zu: empty <audio></audio>", msg);
        char *ref = malloc(plen + 1);
        if (!ref) return qa_error(QA_ERR_NOMEM, "out of memory");
        memcpy(ref, a + 7, plen);
        ref[plen] = 0;
        char *resolved = manifest_path ? qa_path_relative_to(manifest_path, ref) : strdup(ref);
        s = resolved ? qa_rendered_add_audio(r, resolved, ref) : qa_error(QA_ERR_NOMEM, "out of memory");
        free(resolved);
        free(ref);
        if (s) return s;
        c = e + 8;
    }
    return qa_rendered_add_text(r, c, strlen(c), loss);
}

/* List-form content (Qwen's from_list_format): [{"audio": "a.wav"}, {"text": "..."}] becomes
 * "Audio N: <audio>a.wav</audio>\n" per audio (N counts the audios of the whole record; with the
 * space the spec recommends) followed by the text items. Returns a malloc'd string. */
static qa_status list_content(const cJSON *cv, size_t msg, int *n_audio, char **out)
{
    size_t cap = 256, n = 0;
    char *buf = malloc(cap);
    if (!buf) return qa_error(QA_ERR_NOMEM, "out of memory");
    buf[0] = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cv)
    {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(e, "audio"), *t = cJSON_GetObjectItemCaseSensitive(e, "text");
        if (!(cJSON_IsString(a) && !t) && !(cJSON_IsString(t) && !a)) {
            free(buf);
            return qa_error(QA_ERR_FORMAT, "message %zu: a content list holds {\"audio\": PATH} or {\"text\": TEXT} items",
                            msg);
        }
        const char *v = a ? a->valuestring : t->valuestring;
        size_t need = n + strlen(v) + 64;
        if (need > cap) {
            char *p = realloc(buf, cap = need * 2);
            if (!p) {
                free(buf);
                return qa_error(QA_ERR_NOMEM, "out of memory");
            }
            buf = p;
        }
        if (a) n += (size_t)sprintf(buf + n, "Audio %d: <audio>%s</audio>\n", ++*n_audio, v);
        else n += (size_t)sprintf(buf + n, "%s", v);
    }
    *out = buf;
    return QA_OK;
}

qa_status qa_format_render_chat(qa_rendered *r, const cJSON *rec, const char *manifest_path, const qa_chat_opts *opts)
{
    qa_chat_mask mask = opts ? opts->mask : QA_CHAT_MASK_ASSISTANT;
    const char *sys_default = opts && opts->default_system ? opts->default_system : "You are a helpful assistant.";
    int qwen = mask == QA_CHAT_MASK_QWEN;
    if (!cJSON_IsObject(rec)) return qa_error(QA_ERR_FORMAT, "record is not a JSON object");
    const char *rkey = "role", *ckey = "content";
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(rec, "messages");
    if (!msgs) {
        msgs = cJSON_GetObjectItemCaseSensitive(rec, "conversations");
        rkey = "from";
        ckey = "value";
    }
    if (!cJSON_IsArray(msgs) || cJSON_GetArraySize(msgs) == 0)
        return qa_error(QA_ERR_FORMAT, "a chat record needs a non-empty \"messages\" (or \"conversations\") array");
    r->task = QA_TASK_CHAT;

    qa_status s;
    size_t i = 0;
    int n_assistant = 0, n_listed = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, msgs)
    {
        const cJSON *rv = cJSON_GetObjectItemCaseSensitive(m, rkey), *cv = cJSON_GetObjectItemCaseSensitive(m, ckey);
        if (!cJSON_IsString(rv) || !(cJSON_IsString(cv) || cJSON_IsArray(cv)))
            return qa_error(QA_ERR_FORMAT, "message %zu needs a string \"%s\" and a string (or list) \"%s\"", i,
                            rkey, ckey);
        role_t role = parse_role(rv->valuestring);
        if (role == ROLE_BAD)
            return qa_error(QA_ERR_FORMAT, "message %zu: unknown role \"%s\" (system, user/human, assistant/gpt)", i,
                            rv->valuestring);
        if (role == ROLE_SYSTEM && i != 0)
            return qa_error(QA_ERR_FORMAT, "message %zu: a system message may only come first", i);
        if (i == 0 && role != ROLE_SYSTEM) {
            /* default system turn */
            if ((s = qa_rendered_add_id(r, QA_TOK_IM_START, qwen)) || (s = qa_rendered_add_text(r, "system", 6, 0)) ||
                (s = qa_rendered_add_text(r, "\n", 1, 0)) ||
                (s = qa_rendered_add_text(r, sys_default, strlen(sys_default), 0)) ||
                (s = qa_rendered_add_id(r, QA_TOK_IM_END, qwen)))
                return s;
        }
        if (r->n > 0 && (s = qa_rendered_add_text(r, "\n", 1, qwen))) return s;
        int is_asst = role == ROLE_ASSISTANT;
        const char *w = role_word[role];
        char *listed = NULL;
        if (cJSON_IsArray(cv) && (s = list_content(cv, i, &n_listed, &listed))) return s;
        const char *content = listed ? listed : cv->valuestring;
        if ((s = qa_rendered_add_id(r, QA_TOK_IM_START, qwen)) || (s = qa_rendered_add_text(r, w, strlen(w), 0)) ||
            (s = qa_rendered_add_text(r, "\n", 1, 0)) || (s = add_content(r, content, manifest_path, is_asst, i)) ||
            (s = qa_rendered_add_id(r, QA_TOK_IM_END, is_asst || qwen))) {
            free(listed);
            return s;
        }
        free(listed);
        n_assistant += is_asst;
        i++;
    }
    if (!n_assistant) return qa_error(QA_ERR_FORMAT, "chat record has no assistant message: nothing to learn");
    if (qwen) return qa_rendered_add_text(r, "\n", 1, 1);
    return QA_OK;
}
