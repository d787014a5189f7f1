/* tests/support/test: the minimal unit-test framework every tests/unit/test_*.c uses.
 *
 *   static void test_roundtrip(qa_t *t) {
 *       CHECK_OK(t, qa_npy_write(...));          // fails the case with the status message
 *       CHECK(t, a.ndim == 2);
 *       CHECK_NEAR(t, got, want, 1e-6);
 *       if (!have_asset) { SKIP(t, "qwen.tiktoken not found (set QAUDIO_SHARED)"); return; }
 *   }
 *   int main(int argc, char **argv) {
 *       static const qa_test_case cases[] = {{"roundtrip", test_roundtrip}, {0}};
 *       return qa_test_main(argc, argv, cases);
 *   }
 * Each case prints "PASS name", "FAIL name: why" or "SKIP name: why"; the binary exits non-zero
 * if any case failed. tests/run.sh runs every test binary and prints the totals. A case that
 * checks nothing is reported as a failure: every test must be able to fail. */
#ifndef QA_TESTS_TEST_H
#define QA_TESTS_TEST_H

#include <stddef.h>

#include "core/status.h"

typedef struct {
    const char *name;
    int checks;   /* assertions evaluated */
    int failures; /* assertions failed */
    int skipped;
} qa_t;

typedef struct {
    const char *name;
    void (*fn)(qa_t *t);
} qa_test_case;

int qa_test_main(int argc, char **argv, const qa_test_case *cases);

void qa_test_fail(qa_t *t, const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void qa_test_skip(qa_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Path of the shared assets folder: $QAUDIO_SHARED, else ../shared from the repository root
 * (tests run from the repository root). Returns a static string. */
const char *qa_test_shared_dir(void);
/* Writes "<shared>/<rel>" into buf; returns buf, or NULL when that file does not exist. */
const char *qa_test_shared_path(char *buf, size_t n, const char *rel);
/* A fresh temporary directory for this test binary (created once, removed at exit unless
 * QAUDIO_KEEP_TMP=1). */
const char *qa_test_tmpdir(void);

#define CHECK(t, cond)                                                                            \
    do {                                                                                          \
        (t)->checks++;                                                                            \
        if (!(cond)) qa_test_fail((t), __FILE__, __LINE__, "%s", #cond);                          \
    } while (0)
#define CHECK_MSG(t, cond, ...)                                                                   \
    do {                                                                                          \
        (t)->checks++;                                                                            \
        if (!(cond)) qa_test_fail((t), __FILE__, __LINE__, __VA_ARGS__);                          \
    } while (0)
#define CHECK_OK(t, expr)                                                                         \
    do {                                                                                          \
        (t)->checks++;                                                                            \
        qa_status s_ = (expr);                                                                    \
        if (s_) qa_test_fail((t), __FILE__, __LINE__, "%s -> %s: %s", #expr, qa_status_name(s_),  \
                             qa_error_message());                                                 \
    } while (0)
#define CHECK_STATUS(t, expr, want)                                                               \
    do {                                                                                          \
        (t)->checks++;                                                                            \
        qa_status s_ = (expr);                                                                    \
        if (s_ != (want)) qa_test_fail((t), __FILE__, __LINE__, "%s -> %s, expected %s", #expr,   \
                                       qa_status_name(s_), qa_status_name(want));                 \
    } while (0)
#define CHECK_NEAR(t, a, b, tol)                                                                  \
    do {                                                                                          \
        (t)->checks++;                                                                            \
        double a_ = (double)(a), b_ = (double)(b);                                                \
        if (!(a_ - b_ <= (tol) && b_ - a_ <= (tol)))                                              \
            qa_test_fail((t), __FILE__, __LINE__, "%s = %.9g, %s = %.9g, |diff| > %g", #a, a_, #b, \
                         b_, (double)(tol));                                                      \
    } while (0)
#define SKIP(t, ...) qa_test_skip((t), __VA_ARGS__)

#endif
