/* tests/support/test: see test.h. */
#include "tests/support/test.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir_buf[256];

static void remove_tmpdir(void)
{
    const char *keep = getenv("QAUDIO_KEEP_TMP");
    if (tmpdir_buf[0] && !(keep && !strcmp(keep, "1"))) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir_buf);
        if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", tmpdir_buf);
    }
}

const char *qa_test_tmpdir(void)
{
    if (!tmpdir_buf[0]) {
        snprintf(tmpdir_buf, sizeof tmpdir_buf, "/tmp/qaudio-test-XXXXXX");
        if (!mkdtemp(tmpdir_buf)) {
            perror("mkdtemp");
            exit(1);
        }
        atexit(remove_tmpdir);
    }
    return tmpdir_buf;
}

const char *qa_test_shared_dir(void)
{
    const char *e = getenv("QAUDIO_SHARED");
    return e && e[0] ? e : "../shared";
}

const char *qa_test_shared_path(char *buf, size_t n, const char *rel)
{
    snprintf(buf, n, "%s/%s", qa_test_shared_dir(), rel);
    struct stat st;
    return stat(buf, &st) == 0 ? buf : NULL;
}

void qa_test_fail(qa_t *t, const char *file, int line, const char *fmt, ...)
{
    t->failures++;
    if (t->failures > 20) return; /* keep the log readable */
    va_list ap;
    fprintf(stdout, "  %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
}

void qa_test_skip(qa_t *t, const char *fmt, ...)
{
    t->skipped = 1;
    va_list ap;
    fprintf(stdout, "SKIP %s: ", t->name);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
}

int qa_test_main(int argc, char **argv, const qa_test_case *cases)
{
    int failed = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (const qa_test_case *c = cases; c->name; c++) {
        if (argc > 1 && !strstr(c->name, argv[1])) continue;
        qa_t t = {.name = c->name};
        qa_error_clear();
        c->fn(&t);
        if (t.failures) {
            printf("FAIL %s (%d of %d checks failed)\n", c->name, t.failures, t.checks);
            failed++;
        } else if (t.skipped) {
            /* SKIP line already printed */
        } else if (t.checks == 0) {
            printf("FAIL %s: the case checked nothing\n", c->name);
            failed++;
        } else {
            printf("PASS %s\n", c->name);
        }
    }
    return failed ? 1 : 0;
}
