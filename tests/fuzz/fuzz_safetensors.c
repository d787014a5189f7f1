/* libFuzzer target: the safetensors header parser/validator on arbitrary bytes; every tensor it
 * accepts must lie inside the input, and converting accepted float tensors must not read outside. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    qa_safetensors *st = NULL;
    if (qa_safetensors_parse(&st, data, size, "fuzz") == QA_OK) {
        for (int i = 0; i < st->n; i++) {
            const qa_st_tensor *t = &st->t[i];
            if (t->offset + t->nbytes > size) abort();
            int64_t n = t->numel < 64 ? t->numel : 64;
            float buf[64];
            (void)qa_st_to_f32(buf, t, 0, n);
        }
        qa_safetensors_close(st);
    }
    return 0;
}
