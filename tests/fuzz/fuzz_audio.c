/* tests/fuzz/fuzz_audio: libFuzzer target for the audio path: qa_audio_decode_memory (libsndfile
 * from memory, downmix, resample) and, when decoding succeeds, the log-mel of the result.
 * Decoding is capped at 2^21 source frames so a tiny compressed input cannot exhaust memory.
 * Run with `make fuzz-run FUZZ_SECONDS=20`; seeds in tests/fuzz/seeds/fuzz_audio. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "data/audio.h"
#include "data/mel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/* libsndfile 1.2.0 leaks libvorbis' vorbis_info (and libogg state) when sf_open fails on a
 * corrupt Vorbis header: third-party leaks on a failure path we cannot reach from our side.
 * Everything else that leaks is reported. */
const char *__lsan_default_suppressions(void) {
    return "leak:vorbis_info_init\nleak:libvorbis.so\nleak:libogg.so\n";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    qa_audio a;
    if (qa_audio_decode_memory_max(data, size, "fuzz-input", (int64_t)1 << 21, &a) != QA_OK) return 0;
    if (!a.pcm || a.n == 0) abort(); /* success must give samples */
    qa_mel *m = NULL;
    float *mel = malloc(sizeof(float) * QA_MEL_BINS * QA_MEL_FRAMES);
    if (mel && qa_mel_new(&m) == QA_OK && qa_mel_compute(m, a.pcm, a.n, mel) == QA_OK) {
        /* decoded samples are finite, so the log-mel is finite and within [floor, floor + 2] */
        float fl = qa_mel_floor_value(mel);
        for (size_t i = 0; i < (size_t)QA_MEL_BINS * QA_MEL_FRAMES; i++)
            if (!isfinite(mel[i]) || mel[i] < fl - 1e-6f || mel[i] > fl + 2.0f + 1e-5f) abort();
    }
    qa_mel_free(m);
    free(mel);
    qa_audio_free(&a);
    return 0;
}
