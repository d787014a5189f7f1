/* tests/fuzz/fuzz_format: libFuzzer target for the manifest record renderers: the input is one
 * manifest line; it is parsed (cJSON) and rendered both as a pre-training record (with and
 * without a known duration) and as a chat record, then printed with qa_rendered_to_string.
 * Invariants: a success gives at least one segment and one loss-bearing segment, audio indices
 * are in range; errors carry a message. No tokenizer or audio file is needed.
 * Run with `make fuzz-run FUZZ_SECONDS=20`; seeds in tests/fuzz/seeds/fuzz_format. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "data/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const qa_rendered *r, qa_status s)
{
    if (s) {
        if (!qa_error_message()[0]) abort();
        return;
    }
    int loss = 0;
    for (size_t i = 0; i < r->n; i++) {
        loss |= r->seg[i].loss;
        if (r->seg[i].kind == QA_SEG_AUDIO && (r->seg[i].audio < 0 || (size_t)r->seg[i].audio >= r->n_audio)) abort();
    }
    if (r->n == 0 || !loss) abort();
    char *txt = qa_rendered_to_string(r, 1);
    if (!txt) abort();
    free(txt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *rec = cJSON_ParseWithLength((const char *)data, size);
    if (!rec) return 0;
    qa_rendered r;
    const double secs[2] = {-1.0, 7.5};
    for (int k = 0; k < 2; k++) {
        qa_rendered_init(&r);
        check(&r, qa_format_render_pretrain(&r, rec, "dir/m.jsonl", NULL, NULL, secs[k]));
        qa_rendered_deinit(&r);
    }
    for (int m = 0; m < 2; m++) {
        qa_chat_opts o = {.mask = m ? QA_CHAT_MASK_QWEN : QA_CHAT_MASK_ASSISTANT};
        qa_rendered_init(&r);
        check(&r, qa_format_render_chat(&r, rec, NULL, &o));
        qa_rendered_deinit(&r);
    }
    cJSON_Delete(rec);
    return 0;
}
