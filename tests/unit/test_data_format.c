/* Unit tests for data/format: the token ids of each pre-training task and of a multi-turn,
 * two-audio chat, against goldens derived by hand: tag ids from spec appendix A, the prompt layout
 * from spec sections 6 and 8, and the BPE ids of the few text pieces from the reference
 * tokenizer's golden cases (shared/golden/tokenizer/cases.jsonl: en_sentence, german_nfc,
 * chat_all, aqa_audio_eot_plain, note_analysis, srwt_zh_timestamps), each noted where used.
 * Loss masks are checked position by position. Tokenizer cases SKIP without qwen.tiktoken. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "data/format.h"
#include "data/tokenizer.h"
#include "tests/support/test.h"

/* en_sentence: "Mister Quilter is the apostle of the middle classes, and we are glad to welcome his gospel." */
#define EN_SENT 44, 1571, 3406, 2044, 374, 279, 38471, 273, 315, 279, 6149, 6846, 11, 323, 582, 525, 15713, 311, \
                10565, 806, 41482, 13
#define EN_SENT_TEXT "Mister Quilter is the apostle of the middle classes, and we are glad to welcome his gospel."
/* german_nfc */
#define DE_SENT 6464, 2391, 23455, 9421, 141377, 25, 48686, 15897, 301, 11, 136990, 2030, 49371, 1728, 7997, 7180, \
                2746, 26647, 23455, 13
#define DE_SENT_TEXT "Grüße aus Köln: Äpfel, Öl und Übermaß für die Straße."
/* an audio span of 5 tokens: <audio> 3 x [[[AUDIO:modality]]] </audio> */
#define SPAN5 155163, 151851, 151851, 151851, 155164
#define EOT 151643

static qa_tokenizer *load_tok(qa_t *t)
{
    char p[512];
    if (!qa_test_shared_path(p, sizeof p, "assets/qwen.tiktoken")) {
        SKIP(t, "qwen.tiktoken not found under %s (set QAUDIO_SHARED)", qa_test_shared_dir());
        return NULL;
    }
    qa_tokenizer *tok = NULL;
    CHECK_OK(t, qa_tokenizer_load(p, &tok));
    return tok;
}

typedef struct {
    const char *name, *json;
    double seconds;      /* audio duration given to the renderer */
    const int32_t *want;
    int n_want;
    int target_from;     /* first target position; loss also on position 6 (audio language) */
} golden_t;

static const int32_t g_asr[] = {SPAN5, 151852, 151859, 151855, 151859, 151868, 154876, EN_SENT, EOT};
static const int32_t g_s2tt[] = {SPAN5, 151852, 151859, 151854, 151861, 151868, 154876, DE_SENT, EOT};
/* spec section 6 SRWT example; ids of 面 条 机 from srwt_zh_timestamps */
static const int32_t g_srwt[] = {SPAN5,  151852, 151860, 151855, 151860, 151870, 151871, 151869, 151925, 27091,
                                 151957, 38989,  151988, 32648,  152017, 151869, 152072, EOT};
static const int32_t g_aac[] = {SPAN5, 151853, 151858, 151856, 151859, 151868, 154873, EN_SENT, EOT};
/* aqa_audio_eot_plain: "Are there waves?" = 11526 1052 16876 30, "yes" = 9693 */
static const int32_t g_aqa[] = {SPAN5, 151853, 151859, 155152, 11526, 1052, 16876, 30, 155153, 9693, EOT};
/* note_analysis: "keyboard" = 41713, "bright, percussive" = 72116 11 43463 1854 533 */
static const int32_t g_asc[] = {SPAN5, 151853, 151858, 151857, 151859, 151868, 155155, 41713, EOT};
static const int32_t g_ser[] = {SPAN5, 151853, 151859, 151857, 151859, 151868, 154887, 9693, EOT};
static const int32_t g_vsc[] = {SPAN5, 151853, 151859, 151857, 151859, 151868, 155157, 41713, EOT};
static const int32_t g_mna[] = {SPAN5,  151853, 151858, 151857, 151859, 151868, 154889, 154890, 154951, 155019,
                                155147, 155149, 41713,  155148, 72116,  11,     43463,  1854,   533,    EOT};

#define G(name, json, sec, arr, from) {name, json, sec, arr, (int)(sizeof arr / sizeof *arr), from}
static const golden_t goldens[] = {
    G("asr", "{\"audio\":\"a.flac\",\"task\":\"asr\",\"lang\":\"en\",\"itn\":true,\"text\":\"" EN_SENT_TEXT "\"}", 5,
      g_asr, 11),
    G("s2tt", "{\"audio\":\"a.flac\",\"task\":\"s2tt\",\"lang\":\"en\",\"target_lang\":\"de\",\"text\":\"" DE_SENT_TEXT "\"}",
      5, g_s2tt, 11),
    G("srwt", "{\"audio\":\"a.flac\",\"task\":\"srwt\",\"lang\":\"zh\",\"words\":[[\"面\",0.54,0.86],[\"条\",0.86,1.17],"
              "[\"机\",1.17,1.46]]}", 2.01, g_srwt, 10),
    G("aac", "{\"audio\":\"a.flac\",\"task\":\"aac\",\"style\":\"clotho\",\"text\":\"" EN_SENT_TEXT "\"}", 5, g_aac, 11),
    G("aqa", "{\"audio\":\"a.flac\",\"task\":\"aqa\",\"question\":\"Are there waves?\",\"text\":\"yes\"}", 5, g_aqa, 13),
    G("asc", "{\"audio\":\"a.flac\",\"task\":\"asc\",\"text\":\"keyboard\"}", 5, g_asc, 11),
    G("ser", "{\"audio\":\"a.flac\",\"task\":\"ser\",\"text\":\"yes\"}", 5, g_ser, 11),
    G("vsc", "{\"audio\":\"a.flac\",\"task\":\"vsc\",\"text\":\"keyboard\"}", 5, g_vsc, 11),
    G("mna", "{\"audio\":\"a.flac\",\"task\":\"mna\",\"pitch\":60,\"velocity\":127,\"instrument\":\"keyboard\","
             "\"qualities\":[\"bright\",\"percussive\"]}", 5, g_mna, 11),
    G("raw", "{\"audio\":\"a.flac\",\"prompt\":\"<|startofanalysis|><|en|><|question|>Are there waves?<|answer|>\","
             "\"text\":\"yes\"}", 5, g_aqa, 13),
};

static qa_status render_json(qa_rendered *r, const char *json, double sec, const qa_pretrain_mask *m)
{
    cJSON *j = cJSON_Parse(json);
    if (!j) return qa_error(QA_ERR_FORMAT, "test JSON does not parse: %s", json);
    qa_rendered_init(r);
    qa_status s = qa_format_render_pretrain(r, j, "dir/m.jsonl", m, NULL, sec);
    cJSON_Delete(j);
    return s;
}

static void test_task_goldens(qa_t *t)
{
    qa_tokenizer *tok = load_tok(t);
    if (!tok) return;
    int span[1] = {5};
    for (size_t g = 0; g < sizeof goldens / sizeof *goldens; g++) {
        const golden_t *G = &goldens[g];
        qa_rendered r;
        qa_ids ids = {0}, lab = {0};
        CHECK_OK(t, render_json(&r, G->json, G->seconds, NULL));
        CHECK_OK(t, qa_format_tokenize(&ids, &lab, tok, &r, span));
        int same = ids.n == (size_t)G->n_want && !memcmp(ids.ids, G->want, sizeof(int32_t) * ids.n);
        int diff = 0;
        while ((size_t)diff < ids.n && diff < G->n_want && ids.ids[diff] == G->want[diff]) diff++;
        CHECK_MSG(t, same, "%s: %zu ids, expected %d; first difference at %d (got %d)", G->name, ids.n, G->n_want,
                  diff, (size_t)diff < ids.n ? ids.ids[diff] : -1);
        CHECK(t, lab.n == ids.n);
        int bad = 0;
        for (size_t k = 0; k < lab.n && k < ids.n; k++) {
            int loss = k == 6 || (int)k >= G->target_from;
            bad += lab.ids[k] != (loss ? ids.ids[k] : QA_LABEL_IGNORE);
        }
        CHECK_MSG(t, bad == 0, "%s: %d labels differ from the default mask", G->name, bad);
        CHECK(t, r.n_audio == 1 && !strcmp(r.audio[0], "dir/a.flac") && !strcmp(r.audio_ref[0], "a.flac"));
        qa_ids_free(&ids);
        qa_ids_free(&lab);
        qa_rendered_deinit(&r);
    }
    qa_tokenizer_free(tok);
}

/* Spec section 6 as text, loss parts marked; no tokenizer needed. */
static void test_render_text(qa_t *t)
{
    qa_rendered r;
    CHECK_OK(t, render_json(&r, "{\"audio\":\"a.flac\",\"task\":\"asr\",\"lang\":\"en\",\"text\":\"hi there\"}", 3, NULL));
    char *s = qa_rendered_to_string(&r, 1);
    const char *want = "<audio>a.flac</audio><|startoftranscript|>[[<|en|>]]<|transcribe|><|en|><|notimestamps|>"
                       "<|wo_itn|>[[hi there<|endoftext|>]]";
    CHECK_MSG(t, s && !strcmp(s, want), "got %s", s ? s : "(null)");
    free(s);
    qa_rendered_deinit(&r);
    /* SRWT: leading and trailing silences, a short gap absorbed with a 0.1-s minimum */
    cJSON *j = cJSON_Parse("{\"audio\":\"a.wav\",\"task\":\"srwt\",\"lang\":\"en\",\"words\":[[\"What\",0.004,0.23],"
                           "[\"work\",0.25,0.43],[\"are\",0.6,0.8]]}");
    qa_pretrain_opts po = {.srwt_min_silence = 0.1};
    qa_rendered_init(&r);
    CHECK_OK(t, qa_format_render_pretrain(&r, j, NULL, NULL, &po, 1.0));
    s = qa_rendered_to_string(&r, 0);
    want = "<audio>a.wav</audio><|startoftranscript|><|en|><|transcribe|><|en|><|timestamps|><|0.00|>What<|0.23|>work"
           "<|0.43|><|sil|><|0.60|>are<|0.80|><|sil|><|1.00|><|endoftext|>";
    CHECK_MSG(t, s && !strcmp(s, want), "got %s", s ? s : "(null)");
    free(s);
    qa_rendered_deinit(&r);
    cJSON_Delete(j);
}

/* SRWT rounding to 0.01 s is half away from zero on the decimal value written in the manifest:
 * 1.005, 1.015, 2.675 are just below the half in binary floating point (1.005 * 100 ==
 * 100.49999999999999), yet must give 1.01, 1.02, 2.68; 0.285 (28.499999999999996) gives 0.29. */
static void test_srwt_rounding(qa_t *t)
{
    qa_rendered r;
    cJSON *j = cJSON_Parse("{\"audio\":\"a.wav\",\"task\":\"srwt\",\"lang\":\"en\",\"words\":[[\"a\",0.285,1.005],"
                           "[\"b\",1.015,2.675],[\"c\",2.675,2.994999]]}");
    qa_rendered_init(&r);
    CHECK_OK(t, qa_format_render_pretrain(&r, j, NULL, NULL, NULL, 3.005));
    char *s = qa_rendered_to_string(&r, 0);
    const char *want = "<audio>a.wav</audio><|startoftranscript|><|en|><|transcribe|><|en|><|timestamps|><|0.00|><|sil|>"
                       "<|0.29|>a<|1.01|><|sil|><|1.02|>b<|2.68|>c<|2.99|><|sil|><|3.01|><|endoftext|>";
    CHECK_MSG(t, s && !strcmp(s, want), "got %s", s ? s : "(null)");
    free(s);
    qa_rendered_deinit(&r);
    cJSON_Delete(j);
}

/* Audio markup typed inside text (a target, an AQA question, a lone </audio> or a placeholder in a
 * chat message) would put <audio>/</audio>/[[[AUDIO:modality]]] ids into the sequence with no audio
 * behind them, and the splice would pair spans with the wrong clips: refused, naming the text. */
static void test_stray_audio_tokens(qa_t *t)
{
    qa_tokenizer *tok = load_tok(t);
    if (!tok) return;
    static const char *const pre[] = {
        "{\"audio\":\"a.flac\",\"task\":\"asr\",\"lang\":\"en\",\"text\":\"look <audio>x.wav</audio> here\"}",
        "{\"audio\":\"a.flac\",\"task\":\"aqa\",\"question\":\"what [[[AUDIO:modality]]]?\",\"text\":\"y\"}",
        "{\"audio\":\"a.flac\",\"prompt\":\"<|startofanalysis|><|en|></audio>\",\"text\":\"y\"}"};
    int span[2] = {5, 5};
    for (size_t i = 0; i < sizeof pre / sizeof *pre; i++) {
        qa_rendered r;
        qa_ids ids = {0}, lab = {0};
        CHECK_OK(t, render_json(&r, pre[i], 1.0, NULL));
        CHECK_STATUS(t, qa_format_tokenize(&ids, &lab, tok, &r, span), QA_ERR_FORMAT);
        CHECK_MSG(t, strstr(qa_error_message(), "audio"), "record %zu: %s", i, qa_error_message());
        qa_ids_free(&ids);
        qa_ids_free(&lab);
        qa_rendered_deinit(&r);
    }
    cJSON *j = cJSON_Parse("{\"messages\":[{\"role\":\"user\",\"content\":\"Audio 1: <audio>a.wav</audio>\\nwhy </audio>?\"},"
                           "{\"role\":\"assistant\",\"content\":\"x\"}]}");
    qa_rendered r;
    qa_rendered_init(&r);
    CHECK_OK(t, qa_format_render_chat(&r, j, NULL, NULL));
    qa_ids ids = {0}, lab = {0};
    CHECK_STATUS(t, qa_format_tokenize(&ids, &lab, tok, &r, span), QA_ERR_FORMAT);
    qa_ids_free(&ids);
    qa_ids_free(&lab);
    qa_rendered_deinit(&r);
    cJSON_Delete(j);
    qa_tokenizer_free(tok);
}

static void test_render_errors(qa_t *t)
{
    static const struct {
        const char *json, *needle;
    } cases[] = {
        {"{\"audio\":\"a.wav\",\"task\":\"asr\",\"text\":\"x\"}", "\"lang\""},
        {"{\"audio\":\"a.wav\",\"task\":\"asr\",\"lang\":\"en\"}", "\"text\""},
        {"{\"task\":\"asr\",\"lang\":\"en\",\"text\":\"x\"}", "\"audio\""},
        {"{\"audio\":\"a.wav\",\"task\":\"dance\",\"text\":\"x\"}", "unknown task \"dance\""},
        {"{\"audio\":\"a.wav\",\"task\":\"asr\",\"lang\":\"xx\",\"text\":\"x\"}", "not a language"},
        {"{\"audio\":\"a.wav\",\"task\":\"s2tt\",\"lang\":\"en\",\"text\":\"x\"}", "\"target_lang\""},
        {"{\"audio\":\"a.wav\",\"task\":\"srwt\",\"lang\":\"en\",\"words\":[[\"a\",1.0,0.5]]}", "srwt word 0"},
        {"{\"audio\":\"a.wav\",\"task\":\"srwt\",\"lang\":\"en\",\"words\":[[\"a\",0,31]]}", "outside 0..30"},
        {"{\"audio\":\"a.wav\",\"task\":\"srwt\",\"lang\":\"en\",\"words\":[[\"a\",0.5,5.02]]}", "after the end of the audio"},
        {"{\"audio\":\"a.wav\",\"task\":\"aqa\",\"text\":\"x\"}", "\"question\""},
        {"{\"audio\":\"a.wav\",\"task\":\"mna\",\"pitch\":128,\"velocity\":1,\"instrument\":\"x\"}", "\"pitch\""},
        {"{\"audio\":\"a.wav\",\"task\":\"aac\",\"style\":\"poem\",\"text\":\"x\"}", "\"style\""},
        {"[1,2]", "not a JSON object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        qa_rendered r;
        CHECK_STATUS(t, render_json(&r, cases[i].json, 5, NULL), QA_ERR_FORMAT);
        CHECK_MSG(t, strstr(qa_error_message(), cases[i].needle) != NULL, "case %zu: message '%s' lacks '%s'", i,
                  qa_error_message(), cases[i].needle);
        qa_rendered_deinit(&r);
    }
}

static void test_mask_policy(qa_t *t)
{
    qa_tokenizer *tok = load_tok(t);
    if (!tok) return;
    int span[1] = {5};
    qa_pretrain_mask all = {1, 1, 1, 1, 1, 1, 1, 1, 1}, task_only = {0};
    task_only.task_tag = 1;
    qa_rendered r;
    qa_ids ids = {0}, lab = {0};
    CHECK_OK(t, render_json(&r, goldens[4].json, 5, &all)); /* aqa */
    CHECK_OK(t, qa_format_tokenize(&ids, &lab, tok, &r, span));
    int bad = 0;
    for (size_t k = 0; k < lab.n; k++) bad += lab.ids[k] != (k < 5 ? QA_LABEL_IGNORE : ids.ids[k]);
    CHECK_MSG(t, bad == 0 && lab.n == 15, "all-loss mask: %d labels differ", bad);
    qa_rendered_deinit(&r);
    ids.n = lab.n = 0;
    CHECK_OK(t, render_json(&r, goldens[4].json, 5, &task_only));
    CHECK_OK(t, qa_format_tokenize(&ids, &lab, tok, &r, span));
    bad = 0;
    for (size_t k = 0; k < lab.n; k++) bad += lab.ids[k] != (k == 7 ? 155152 : QA_LABEL_IGNORE);
    CHECK_MSG(t, bad == 0, "task-only mask: %d labels differ", bad);
    qa_rendered_deinit(&r);
    qa_ids_free(&ids);
    qa_ids_free(&lab);
    qa_tokenizer_free(tok);
}

/* ---- chat ---- */

#define Q_TEXT "\\nwhat does the person say?"
static const char *chat_messages =
    "{\"messages\":[{\"role\":\"user\",\"content\":\"Audio 1: <audio>a.wav</audio>" Q_TEXT "\"},"
    "{\"role\":\"assistant\",\"content\":\"yes\"},"
    "{\"role\":\"user\",\"content\":\"Audio 2: <audio>b.wav</audio>" Q_TEXT "\"},"
    "{\"role\":\"assistant\",\"content\":\"" EN_SENT_TEXT "\"}]}";
static const char *chat_conversations =
    "{\"conversations\":[{\"from\":\"human\",\"value\":\"Audio 1: <audio>a.wav</audio>" Q_TEXT "\"},"
    "{\"from\":\"gpt\",\"value\":\"yes\"},"
    "{\"from\":\"user\",\"value\":\"Audio 2: <audio>b.wav</audio>" Q_TEXT "\"},"
    "{\"from\":\"assistant\",\"value\":\"" EN_SENT_TEXT "\"}]}";

/* chat_all: system turn, "user", "\n", "Audio 1: ", "\nwhat does the person say?", "assistant";
 * "2" = 17 (digits case); b.wav gets a span of 4. Positions of loss (assistant mask) noted. */
#define IM_S 151644
#define IM_E 151645
static const int32_t g_chat[] = {
    IM_S, 8948, 198, 2610, 525, 264, 10950, 17847, 13, IM_E,                         /* 0..9 system */
    198, IM_S, 872, 198, 14755, 220, 16, 25, 220, SPAN5,                             /* 10..23 */
    198, 12555, 1558, 279, 1697, 1977, 30, IM_E,                                     /* 24..31 */
    198, IM_S, 77091, 198, 9693, IM_E,                                               /* 32..37: loss 36, 37 */
    198, IM_S, 872, 198, 14755, 220, 17, 25, 220, 155163, 151851, 151851, 155164,   /* 38..50 */
    198, 12555, 1558, 279, 1697, 1977, 30, IM_E,                                     /* 51..58 */
    198, IM_S, 77091, 198, EN_SENT, IM_E};                                           /* 59..62, 63..84, 85 */

static int chat_loss_assistant(int k)
{
    return k == 36 || k == 37 || (k >= 63 && k <= 85);
}

static int chat_loss_qwen(int k, const int32_t *ids, int n)
{
    if (chat_loss_assistant(k) || ids[k] == IM_S || ids[k] == IM_E) return 1;
    return ids[k] == 198 && k > 0 && ids[k - 1] == IM_E; /* the "\n" after <|im_end|> (and the final one) */
    (void)n;
}

static qa_status render_chat(qa_rendered *r, const char *json, qa_chat_mask mask)
{
    cJSON *j = cJSON_Parse(json);
    if (!j) return qa_error(QA_ERR_FORMAT, "test JSON does not parse");
    qa_rendered_init(r);
    qa_chat_opts o = {.mask = mask};
    qa_status s = qa_format_render_chat(r, j, "dir/m.jsonl", &o);
    cJSON_Delete(j);
    return s;
}

/* the same dialogue with list-form content (Qwen from_list_format, numbered across the record) */
static const char *chat_list =
    "{\"messages\":[{\"role\":\"user\",\"content\":[{\"audio\":\"a.wav\"},{\"text\":\"what does the person say?\"}]},"
    "{\"role\":\"assistant\",\"content\":\"yes\"},"
    "{\"role\":\"user\",\"content\":[{\"audio\":\"b.wav\"},{\"text\":\"what does the person say?\"}]},"
    "{\"role\":\"assistant\",\"content\":\"" EN_SENT_TEXT "\"}]}";

static void test_chat_two_audio(qa_t *t)
{
    qa_tokenizer *tok = load_tok(t);
    if (!tok) return;
    int span[2] = {5, 4}, n = (int)(sizeof g_chat / sizeof *g_chat);
    const char *forms[3] = {chat_messages, chat_conversations, chat_list};
    for (int f = 0; f < 3; f++)
        for (int m = 0; m < 2; m++) {
            qa_rendered r;
            qa_ids ids = {0}, lab = {0};
            CHECK_OK(t, render_chat(&r, forms[f], m ? QA_CHAT_MASK_QWEN : QA_CHAT_MASK_ASSISTANT));
            CHECK_OK(t, qa_format_tokenize(&ids, &lab, tok, &r, span));
            CHECK(t, r.n_audio == 2 && !strcmp(r.audio[0], "dir/a.wav") && !strcmp(r.audio[1], "dir/b.wav"));
            /* the qwen convention ends with one more "\n" */
            int want_n = n + m;
            int diff = 0;
            while (diff < (int)ids.n && diff < n && ids.ids[diff] == g_chat[diff]) diff++;
            CHECK_MSG(t, (int)ids.n == want_n && diff == n && (!m || ids.ids[n] == 198),
                      "form %d mask %d: %zu ids (expected %d), first difference at %d", f, m, ids.n, want_n, diff);
            int bad = 0;
            for (int k = 0; k < (int)lab.n && k < want_n; k++) {
                int loss = m ? chat_loss_qwen(k, ids.ids, want_n) : chat_loss_assistant(k);
                bad += lab.ids[k] != (loss ? ids.ids[k] : QA_LABEL_IGNORE);
            }
            CHECK_MSG(t, bad == 0 && lab.n == ids.n, "form %d mask %d: %d labels differ", f, m, bad);
            qa_ids_free(&ids);
            qa_ids_free(&lab);
            qa_rendered_deinit(&r);
        }
    qa_tokenizer_free(tok);
}

static void test_chat_render_and_errors(qa_t *t)
{
    qa_rendered r;
    CHECK_OK(t, render_chat(&r,
                            "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":"
                            "\"<|im_start|>hi\"},{\"role\":\"assistant\",\"content\":\"ok\"}]}",
                            QA_CHAT_MASK_ASSISTANT));
    char *s = qa_rendered_to_string(&r, 1);
    const char *want = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n<|im_start|>hi<|im_end|>\n"
                       "<|im_start|>assistant\n[[ok<|im_end|>]]";
    CHECK_MSG(t, s && !strcmp(s, want), "got %s", s ? s : "(null)");
    free(s);
    qa_rendered_deinit(&r);
    static const struct {
        const char *json, *needle;
    } cases[] = {
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "no assistant"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"<audio>a.wav\"},{\"role\":\"assistant\",\"content\":\"x\"}]}",
         "without </audio>"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"system\",\"content\":\"x\"}]}",
         "system message"},
        {"{\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}", "unknown role"},
        {"{\"messages\":[]}", "non-empty"},
        {"{\"messages\":[{\"role\":\"user\"}]}", "\"content\""},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"image\":\"x.png\"}]},{\"role\":\"assistant\",\"content\":\"x\"}]}",
         "content list"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        CHECK_STATUS(t, render_chat(&r, cases[i].json, QA_CHAT_MASK_ASSISTANT), QA_ERR_FORMAT);
        CHECK_MSG(t, strstr(qa_error_message(), cases[i].needle) != NULL, "case %zu: '%s' lacks '%s'", i,
                  qa_error_message(), cases[i].needle);
        qa_rendered_deinit(&r);
    }
}

/* A sentencepiece vocabulary trained with the Qwen-Audio specials: the fixed tokens and the audio
 * span take that vocabulary's ids, looked up by surface string. */
static void test_spm_vocabulary(qa_t *t)
{
    char corpus[600], prefix[600], model[700];
    snprintf(corpus, sizeof corpus, "%s/corpus.txt", qa_test_tmpdir());
    FILE *f = fopen(corpus, "w");
    CHECK(t, f != NULL);
    if (!f) return;
    static const char *const words[] = {"what", "does", "the", "person", "say", "yes", "no", "audio", "sound", "dog"};
    uint32_t x = 7;
    for (int line = 0; line < 2000; line++) {
        for (int i = 0; i < 6; i++) {
            x = x * 1103515245u + 12345u;
            fprintf(f, "%s%s", i ? " " : "", words[(x >> 16) % 10]);
        }
        fputc('\n', f);
    }
    fclose(f);
    snprintf(prefix, sizeof prefix, "%s/spm", qa_test_tmpdir());
    qa_spm_train_opts o = {corpus, prefix, 4000, "unigram", 0, 1};
    CHECK_OK(t, qa_tokenizer_spm_train(&o));
    snprintf(model, sizeof model, "%s.model", prefix);
    qa_tokenizer *tok = NULL;
    CHECK_OK(t, qa_tokenizer_load(model, &tok));
    if (!tok) return;
    qa_format_ids fi;
    CHECK_OK(t, qa_format_ids_resolve(&fi, tok));
    CHECK(t, fi.im_start >= 0 && fi.im_start != 151644 && fi.audio_start != 155163);
    qa_rendered r;
    qa_ids ids = {0}, lab = {0};
    int span[2] = {5, 4};
    CHECK_OK(t, render_chat(&r, chat_messages, QA_CHAT_MASK_ASSISTANT));
    CHECK_OK(t, qa_format_tokenize(&ids, &lab, tok, &r, span));
    int n_start = 0, n_pad = 0, n_end = 0, n_im = 0, big = 0;
    for (size_t k = 0; k < ids.n; k++) {
        n_start += ids.ids[k] == fi.audio_start;
        n_pad += ids.ids[k] == fi.audio_pad;
        n_end += ids.ids[k] == fi.audio_end;
        n_im += ids.ids[k] == fi.im_start;
        big += ids.ids[k] < 0 || (size_t)ids.ids[k] >= qa_tokenizer_vocab_size(tok);
    }
    CHECK_MSG(t, n_start == 2 && n_pad == 3 + 2 && n_end == 2 && n_im == 5 && big == 0,
              "audio starts %d, pads %d, ends %d, im_start %d, out of vocabulary %d", n_start, n_pad, n_end, n_im, big);
    CHECK(t, ids.n > 0 && ids.ids[0] == fi.im_start && lab.ids[ids.n - 1] == fi.im_end);
    qa_ids_free(&ids);
    qa_ids_free(&lab);
    qa_rendered_deinit(&r);
    qa_tokenizer_free(tok);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {{"task_goldens", test_task_goldens},
                                         {"render_text", test_render_text},
                                         {"render_errors", test_render_errors},
                                         {"srwt_rounding", test_srwt_rounding},
                                         {"stray_audio_tokens", test_stray_audio_tokens},
                                         {"mask_policy", test_mask_policy},
                                         {"chat_two_audio", test_chat_two_audio},
                                         {"chat_render_and_errors", test_chat_render_and_errors},
                                         {"spm_vocabulary", test_spm_vocabulary},
                                         {0}};
    return qa_test_main(argc, argv, cases);
}
