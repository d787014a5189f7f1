/* libFuzzer target: the CSV/TSV reader of eval/datasets (quoted and unquoted modes, ',' and
 * '\t'). It must never crash, loop or read out of bounds; every row must have >= 1 field. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "eval/datasets/ed_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int mode = 0; mode < 3; mode++) {
        qa_ed_csv c;
        char sep = mode == 2 ? '\t' : ',';
        if (qa_ed_csv_open_mem(&c, "fuzz.csv", (const char *)data, size, sep, mode != 1)) return 0;
        int got = 0;
        size_t rows = 0;
        while (!qa_ed_csv_next(&c, &got) && got) {
            if (c.nf < 1) abort();
            for (int i = 0; i < c.nf; i++) (void)c.fields[i][0];
            if (++rows > size + 1) abort(); /* each row consumes at least one byte */
        }
        qa_ed_csv_close(&c);
    }
    return 0;
}
