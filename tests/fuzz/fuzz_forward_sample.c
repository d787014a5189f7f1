/* libFuzzer target: the SAMPLE.json reader of `qaudio forward` (data/forward_sample) on arbitrary
 * text, ids form and prompt form (no tokenizer: the prompt form must fail cleanly). Audio paths
 * resolve relative to a directory that does not exist; inputs naming device or proc files are
 * skipped (reading /dev/zero as audio would never end). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/forward_sample.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (!strstr(text, "/dev") && !strstr(text, "/proc") && !strstr(text, "/sys")) {
        qa_forward_sample fs;
        if (qa_forward_sample_parse(&fs, text, size, "/nonexistent/fuzz/sample.json", NULL) == QA_OK)
            qa_forward_sample_deinit(&fs);
    }
    free(text);
    return 0;
}
