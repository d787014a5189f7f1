/* data/forward_sample: reads the SAMPLE.json of `qaudio forward` into token ids, labels and the
 * full log-mels of its audios (what model/qwen_audio takes). Two forms:
 *
 *   {"prompt": "<audio>clip.wav</audio><|startoftranscript|>...", "target": "text<|endoftext|>"}
 *       prompt and (optional) target are tokenized with every special token allowed; each
 *       <audio>PATH</audio> (PATH relative to the json file) becomes <audio> + (span - 2) x
 *       [[[AUDIO:modality]]] + </audio>, span = n_audio + 2 of that audio (the reference
 *       tokenizer's expansion); labels_from = number of prompt tokens.
 *   {"input_ids": [...], "audios": ["a.wav", ...], "labels_from": N}
 *       the ids already hold each expanded span; audios lists the files in order of appearance;
 *       labels_from defaults to 0 (every position is a label, as with labels = input_ids).
 *
 *   qa_forward_sample fs;
 *   s = qa_forward_sample_load(&fs, "sample.json", tok);   // tok may be NULL for the ids form
 *   fs.ids.ids[0..fs.ids.n), fs.labels_from, fs.n_audio, fs.mel (n_audio, 80, 3000), fs.len[i]
 *   qa_forward_sample_deinit(&fs);
 * Errors name the json file and what is wrong (missing audio file, unclosed <audio>, bad field). */
#ifndef QA_DATA_FORWARD_SAMPLE_H
#define QA_DATA_FORWARD_SAMPLE_H

#include <stdint.h>

#include "core/status.h"
#include "data/mel.h"
#include "data/tokenizer.h"

typedef struct {
    qa_ids ids;               /* (T) token ids with the audio spans expanded */
    int64_t labels_from;      /* positions < labels_from get label -100 */
    int n_audio;              /* audios in order of appearance */
    char **paths;             /* (n_audio) resolved audio paths */
    float *mel;               /* (n_audio, 80, 3000) full padded log-mels */
    qa_audio_lengths *len;    /* (n_audio) */
    int32_t *t_cnn, *n_tok;   /* (n_audio) len[i].t_cnn and len[i].n_audio as int32 (model input) */
} qa_forward_sample;

qa_status qa_forward_sample_load(qa_forward_sample *fs, const char *json_path, const qa_tokenizer *tok);
/* The same from `len` bytes of JSON text in memory; json_path resolves audio paths and names errors. */
qa_status qa_forward_sample_parse(qa_forward_sample *fs, const char *text, size_t len, const char *json_path,
                                  const qa_tokenizer *tok);
void qa_forward_sample_deinit(qa_forward_sample *fs);

#endif
