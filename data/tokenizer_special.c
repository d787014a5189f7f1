/* data/tokenizer_special: the fixed Qwen-Audio special-token table (spec section 5, appendix A),
 * generated in the order of tokenization_qwen.py: <|endoftext|>, <|im_start|>, <|im_end|>,
 * <|extra_0..204|>, then the audio list AUDIO_ST. Special i has id 151643 + i. No state: each
 * surface string is computed from its index. */
#include <stdio.h>
#include <string.h>

#include "data/special_tokens.h"
#include "data/tokenizer.h"

/* Named audio-list tokens between the fixed-size families, in id order. */
static const char *const tags_a[] = {/* 151852..151870 */
    "startoftranscript", "startofanalysis", "translate", "transcribe", "caption", "keyword", "unknown",
    "en", "zh", "de", "es", "ko", "fr", "ja", "it", "zh_tr", "notimestamps", "sil", "timestamps"};
static const char *const tags_b[] = {/* 154872..154890 */
    "caption_audiocaps", "caption_clotho", "audioset_ontology", "caption_plain", "itn", "wo_itn",
    "startofentityvalue", "endofentityvalue", "startofentitytype", "endofentitytype",
    "named_entity_recognition", "audio_grounding", "startofword", "endofword", "delim",
    "emotion_recognition", "music_description", "note_analysis", "pitch"};
static const char *const tags_c[] = {/* 155148..155162 */
    "sonic", "instrument", "speaker_meta", "song_meta", "question", "answer", "choice", "scene", "event",
    "vocal_classification", "speech_understanding", "scenario", "action", "entities", "speech_edit"};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static size_t put(char *buf, size_t cap, int n)
{
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

size_t qa_tokenizer_qwen_special_surface(size_t i, char *buf, size_t cap)
{
    if (!buf || cap == 0 || i >= QA_TOK_N_SPECIAL) return 0;
    int32_t id = (int32_t)(QA_TOK_SPECIAL_BASE + i);
    if (id == QA_TOK_ENDOFTEXT) return put(buf, cap, snprintf(buf, cap, "<|endoftext|>"));
    if (id == QA_TOK_IM_START) return put(buf, cap, snprintf(buf, cap, "<|im_start|>"));
    if (id == QA_TOK_IM_END) return put(buf, cap, snprintf(buf, cap, "<|im_end|>"));
    if (id < QA_TOK_AUDIO_PAD) return put(buf, cap, snprintf(buf, cap, "<|extra_%d|>", id - QA_TOK_EXTRA_BASE));
    if (id == QA_TOK_AUDIO_PAD) return put(buf, cap, snprintf(buf, cap, "[[[AUDIO:modality]]]"));
    if (id < QA_TOK_TIMESTAMP_BASE)
        return put(buf, cap, snprintf(buf, cap, "<|%s|>", tags_a[id - QA_TOK_STARTOFTRANSCRIPT]));
    if (id <= QA_TOK_TIMESTAMP_LAST) {
        /* Python f"{k * 0.01:.2f}": the float error is far below half a hundredth, so this is exact. */
        int k = id - QA_TOK_TIMESTAMP_BASE;
        return put(buf, cap, snprintf(buf, cap, "<|%d.%02d|>", k / 100, k % 100));
    }
    if (id < QA_TOK_MIDI_PITCH_BASE)
        return put(buf, cap, snprintf(buf, cap, "<|%s|>", tags_b[id - QA_TOK_CAPTION_AUDIOCAPS]));
    if (id < QA_TOK_VELOCITY)
        return put(buf, cap, snprintf(buf, cap, "<|midi_pitch_%d|>", id - QA_TOK_MIDI_PITCH_BASE));
    if (id == QA_TOK_VELOCITY) return put(buf, cap, snprintf(buf, cap, "<|velocity|>"));
    if (id < QA_TOK_SONIC)
        return put(buf, cap, snprintf(buf, cap, "<|midi_velocity_%d|>", id - QA_TOK_MIDI_VELOCITY_BASE));
    if (id < QA_TOK_AUDIO_START) return put(buf, cap, snprintf(buf, cap, "<|%s|>", tags_c[id - QA_TOK_SONIC]));
    if (id == QA_TOK_AUDIO_START) return put(buf, cap, snprintf(buf, cap, "<audio>"));
    return put(buf, cap, snprintf(buf, cap, "</audio>"));
}

int qa_tokenizer_qwen_special_is_audio(size_t i)
{
    return i < QA_TOK_N_SPECIAL && QA_TOK_SPECIAL_BASE + (int32_t)i >= QA_TOK_AUDIO_LIST_BASE;
}

/* Compile-time checks that the named lists fill exactly the id gaps of special_tokens.h. */
_Static_assert(QA_TOK_STARTOFTRANSCRIPT + N_OF(tags_a) == QA_TOK_TIMESTAMP_BASE, "tags_a size");
_Static_assert(QA_TOK_CAPTION_AUDIOCAPS + N_OF(tags_b) == QA_TOK_MIDI_PITCH_BASE, "tags_b size");
_Static_assert(QA_TOK_SONIC + N_OF(tags_c) == QA_TOK_AUDIO_START, "tags_c size");
_Static_assert(QA_TOK_TIMESTAMP_BASE + QA_TOK_N_TIMESTAMPS - 1 == QA_TOK_TIMESTAMP_LAST, "timestamps");
_Static_assert(QA_TOK_MIDI_PITCH_BASE + 128 == QA_TOK_VELOCITY, "midi pitch");
_Static_assert(QA_TOK_MIDI_VELOCITY_BASE + 128 == QA_TOK_SONIC, "midi velocity");
_Static_assert(QA_TOK_EXTRA_BASE + QA_TOK_N_EXTRA == QA_TOK_AUDIO_PAD, "extras");
_Static_assert(QA_TOK_SPECIAL_BASE + QA_TOK_N_SPECIAL == QA_TOK_VOCAB_SIZE, "vocab size");
_Static_assert(QA_TOK_AUDIO_END + 1 == QA_TOK_VOCAB_SIZE, "last special");
