/* bench/bench_tokenizer: Qwen tokenizer throughput on one thread.
 * usage: bench_tokenizer VOCAB TEXT_FILE
 * Loads the vocabulary (timed), then encodes the text line by line ("\n" kept with its line, special
 * tokens allowed) exactly as the Python twin bench/tokenizer_ref.py does, best of 3 runs, and prints
 * MB/s with the id count and a checksum that must equal the twin's. Also times one encode call over
 * the whole file and decode of all ids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fileio.h"
#include "data/tokenizer.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s VOCAB TEXT_FILE\n", argv[0]);
        return 2;
    }
    double t0 = now();
    qa_tokenizer *tok;
    qa_status s = qa_tokenizer_load(argv[1], &tok);
    double t_load = now() - t0;
    if (s) {
        fprintf(stderr, "error: %s\n", qa_error_message());
        return 1;
    }
    char *text;
    size_t len;
    if ((s = qa_file_read_all(argv[2], &text, &len))) {
        fprintf(stderr, "error: %s\n", qa_error_message());
        return 1;
    }
    qa_ids ids = {0};
    double best = 1e30;
    size_t count = 0;
    uint32_t chk = 0;
    for (int rep = 0; rep < 3; rep++) {
        ids.n = 0;
        t0 = now();
        for (size_t pos = 0; pos < len;) {
            const char *nl = memchr(text + pos, '\n', len - pos);
            size_t n = nl ? (size_t)(nl - (text + pos)) + 1 : len - pos;
            if ((s = qa_tokenizer_encode(tok, text + pos, n, QA_SPECIAL_ALL, &ids))) {
                fprintf(stderr, "error: %s\n", qa_error_message());
                return 1;
            }
            pos += n;
        }
        double dt = now() - t0;
        if (dt < best) best = dt;
    }
    count = ids.n;
    for (size_t i = 0; i < ids.n; i++) chk = chk * 31u + (uint32_t)ids.ids[i];
    qa_ids whole = {0};
    t0 = now();
    s = qa_tokenizer_encode(tok, text, len, QA_SPECIAL_ALL, &whole);
    double t_whole = now() - t0;
    char *back;
    size_t bl;
    t0 = now();
    if (!s) s = qa_tokenizer_decode(tok, ids.ids, ids.n, 0, &back, &bl);
    double t_dec = now() - t0;
    if (s) {
        fprintf(stderr, "error: %s\n", qa_error_message());
        return 1;
    }
    printf("qaudio: load %.3f s; %.2f MB in %.3f s = %.2f MB/s (line by line, best of 3), %zu ids, checksum %u\n",
           t_load, len / 1e6, best, len / 1e6 / best, count, chk);
    printf("qaudio: whole file in one call %.2f MB/s (%zu ids); decode %.1f MB/s; round trip %s\n",
           len / 1e6 / t_whole, whole.n, bl / 1e6 / t_dec, bl == len && !memcmp(back, text, len) ? "exact" : "DIFFERS");
    free(back);
    free(text);
    qa_ids_free(&ids);
    qa_ids_free(&whole);
    qa_tokenizer_free(tok);
    return 0;
}
