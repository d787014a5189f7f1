/* data/format: turns one manifest record (a parsed JSON object) into the token sequence the model
 * is trained on, with a loss flag on every token.
 *
 * Two stages, so that rendering can be tested without a tokenizer or audio:
 *   1. render (data/format_pretrain.c, data/format_chat.c): record -> qa_rendered, an ordered list
 *      of segments (text to BPE-encode, fixed special ids, audio spans), each with a loss
 *      flag, plus the list of audio paths in order of appearance.
 *   2. tokenize (data/format_tokenize.c): qa_rendered + tokenizer + each audio's span length ->
 *      ids and labels (label = id where the loss flag is set, QA_LABEL_IGNORE elsewhere; NOT shifted:
 *      the trainer predicts labels[t+1] from position t).
 * Text segments are encoded one by one (the Qwen code encodes role, "\n" and content separately in
 * chat, and special tokens split the text in pre-training), so segment-wise encoding is exact.
 *
 * Usage:
 *   qa_rendered r; qa_rendered_init(&r);
 *   s = qa_format_render_pretrain(&r, json, manifest_path, &qa_pretrain_mask_default, NULL);
 *   ... load r.audio[i], get span tokens span[i] ...
 *   qa_ids ids = {0}, labels = {0};
 *   s = qa_format_tokenize(&ids, &labels, tok, &r, span);
 *   qa_rendered_deinit(&r);
 * The masks are documented in docs/data-format.md. */
#ifndef QA_DATA_FORMAT_H
#define QA_DATA_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "data/tokenizer.h"

#define QA_LABEL_IGNORE (-100)

typedef enum {
    QA_TASK_ASR = 0,
    QA_TASK_S2TT,
    QA_TASK_SRWT,
    QA_TASK_AAC,
    QA_TASK_AQA,
    QA_TASK_ASC,
    QA_TASK_SER,
    QA_TASK_VSC,
    QA_TASK_MNA,
    QA_TASK_RAW,
    QA_TASK_CHAT,
    QA_TASK_COUNT
} qa_task;

/* "asr", "s2tt", ... "raw", "chat"; NULL for out-of-range values. */
const char *qa_task_name(qa_task t);
/* QA_TASK_COUNT when the name is unknown. */
qa_task qa_task_from_name(const char *name);

typedef enum {
    QA_SEG_TEXT = 0, /* UTF-8 text encoded with QA_SPECIAL_AUDIO (tags, timestamps are recognised) */
    QA_SEG_ID = 1,   /* one fixed token id (<|endoftext|>, <|im_start|>, <|im_end|>) */
    QA_SEG_AUDIO = 2 /* <audio> + (span-2) x [[[AUDIO:modality]]] + </audio> for audio `audio` */
} qa_seg_kind;

typedef struct {
    qa_seg_kind kind;
    char *text;   /* TEXT: owned UTF-8 (not NUL-counted in len) */
    size_t len;
    int32_t id;   /* ID */
    int audio;    /* AUDIO: index into qa_rendered.audio */
    int loss;     /* 1: these tokens are prediction targets */
} qa_segment;

typedef struct {
    qa_segment *seg; /* (n) in sequence order */
    size_t n, cap;
    char **audio;     /* (n_audio) resolved paths (relative to the manifest), in order of appearance */
    char **audio_ref; /* (n_audio) the path as written in the record */
    size_t n_audio, cap_audio;
    qa_task task;
    /* 1: adjacent TEXT segments with the same loss flag are encoded as one string (pre-training:
     * the reference encodes the whole prompt + target at once); 0: each segment alone (chat: the
     * reference encodes role, "\n" and content separately) */
    int merge_text;
} qa_rendered;

void qa_rendered_init(qa_rendered *r);
void qa_rendered_deinit(qa_rendered *r); /* NULL-safe; leaves r re-initialised */
qa_status qa_rendered_add_text(qa_rendered *r, const char *text, size_t len, int loss);
qa_status qa_rendered_add_id(qa_rendered *r, int32_t id, int loss);
/* Appends an audio segment (never a loss target) and records its path. */
qa_status qa_rendered_add_audio(qa_rendered *r, const char *resolved, const char *ref);
/* Human-readable form: segments concatenated, fixed ids shown by name, audio as
 * <audio>REF</audio>, loss-bearing segments wrapped in "[[" "]]" when mark_loss. malloc'd. */
char *qa_rendered_to_string(const qa_rendered *r, int mark_loss);

/* Which parts of a pre-training sequence carry loss (1) or not (0). The audio span never does. */
typedef struct {
    int start_tag;      /* <|startoftranscript|> / <|startofanalysis|> */
    int audio_lang;     /* <|en|> ... <|unknown|> right after the start tag */
    int task_tag;       /* <|transcribe|>, <|translate|>, <|caption|>, <|keyword|>, <|question|> */
    int question;       /* the AQA question text and <|answer|> */
    int text_lang;      /* the output-language tag */
    int timestamps_tag; /* <|timestamps|> / <|notimestamps|> */
    int instruction;    /* <|wo_itn|>, <|caption_clotho|>, <|scene|>, ... */
    int target;         /* the target text */
    int eos;            /* the closing <|endoftext|> */
} qa_pretrain_mask;
/* Loss on audio_lang, target and eos only. */
extern const qa_pretrain_mask qa_pretrain_mask_default;

/* Options of the pre-training renderer (NULL = defaults). */
typedef struct {
    /* SRWT: a gap of at least this many seconds (after rounding to 0.01 s) between words, before
     * the first word and after the last one (up to the audio's end) becomes <|sil|>. Default 0.01. */
    double srwt_min_silence;
} qa_pretrain_opts;

/* Renders one pre-training record (spec section 6; docs/data-format.md). `manifest_path` resolves
 * relative audio paths (NULL: used as written). `audio_seconds` is the duration of the record's
 * audio, used for the trailing <|sil|> of SRWT (< 0: unknown, no trailing silence). Errors
 * (QA_ERR_FORMAT) name the missing/bad field. */
struct cJSON;
qa_status qa_format_render_pretrain(qa_rendered *r, const struct cJSON *rec, const char *manifest_path,
                                    const qa_pretrain_mask *mask, const qa_pretrain_opts *opts,
                                    double audio_seconds);

/* Loss placement in chat records. */
typedef enum {
    /* loss on assistant content and the <|im_end|> that closes it (default) */
    QA_CHAT_MASK_ASSISTANT = 0,
    /* the QwenLM/Qwen finetune.py convention: also every <|im_start|>, every <|im_end|> and the "\n"
     * after each <|im_end|> (which then ends the sequence too) */
    QA_CHAT_MASK_QWEN = 1
} qa_chat_mask;

typedef struct {
    qa_chat_mask mask;
    const char *default_system; /* used when the record has no system message; NULL = "You are a
                                   helpful assistant." */
} qa_chat_opts;

/* Renders a {"messages":[{"role","content"}]} or {"conversations":[{"from","value"}]} record as
 * ChatML (spec section 8). <audio>PATH</audio> inside content becomes an audio span. */
qa_status qa_format_render_chat(qa_rendered *r, const struct cJSON *rec, const char *manifest_path,
                                const qa_chat_opts *opts);

/* Ids of the fixed tokens the renderers use, looked up in the tokenizer by surface string, so that
 * a sentencepiece vocabulary trained with the Qwen-Audio specials works too (Qwen: the constants of
 * data/special_tokens.h). QA_ERR_ARG naming the token when the tokenizer lacks one. */
typedef struct {
    int32_t endoftext, im_start, im_end, audio_start, audio_end, audio_pad;
} qa_format_ids;
qa_status qa_format_ids_resolve(qa_format_ids *out, const qa_tokenizer *tok);

/* Encodes r into ids and labels (both APPENDED, equal lengths). span[i] is the audio span length
 * (n_audio + 2, >= 3) of r->audio[i]; span may be NULL when r has no audio. */
qa_status qa_format_tokenize(qa_ids *ids, qa_ids *labels, const qa_tokenizer *tok, const qa_rendered *r,
                             const int *span);

#endif
