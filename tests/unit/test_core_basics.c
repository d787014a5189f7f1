/* Unit tests for core/status, core/fileio and core/npy. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/npy.h"
#include "core/status.h"
#include "tests/support/test.h"

static void test_error_message_and_wrap(qa_t *t)
{
    CHECK(t, qa_error(QA_ERR_IO, "cannot open %s", "x.wav") == QA_ERR_IO);
    CHECK(t, !strcmp(qa_error_message(), "cannot open x.wav"));
    CHECK(t, qa_error_wrap(QA_ERR_IO, "while loading %s", "dir") == QA_ERR_IO);
    CHECK(t, !strcmp(qa_error_message(), "while loading dir: cannot open x.wav"));
    CHECK(t, !strcmp(qa_status_name(QA_ERR_SHAPE), "shape"));
    qa_error_clear();
    CHECK(t, qa_error_message()[0] == '\0');
}

static void test_npy_roundtrip(qa_t *t)
{
    char path[512];
    snprintf(path, sizeof path, "%s/a.npy", qa_test_tmpdir());
    float data[2 * 3 * 5];
    for (int i = 0; i < 30; i++) data[i] = (float)i * 0.5f - 3.f;
    int64_t shape[3] = {2, 3, 5};
    CHECK_OK(t, qa_npy_write(path, QA_NPY_F32, 3, shape, data));
    qa_npy a;
    CHECK_OK(t, qa_npy_read(path, &a));
    CHECK(t, a.dtype == QA_NPY_F32 && a.ndim == 3 && a.shape[0] == 2 && a.shape[2] == 5 && a.count == 30);
    CHECK(t, a.data && !memcmp(a.data, data, sizeof data));
    qa_npy_free(&a);
    /* 1-d and 0-d shapes */
    int64_t s1[1] = {4};
    int32_t v[4] = {1, -2, 3, -4};
    CHECK_OK(t, qa_npy_write(path, QA_NPY_I32, 1, s1, v));
    CHECK_OK(t, qa_npy_read(path, &a));
    CHECK(t, a.ndim == 1 && a.shape[0] == 4 && ((int32_t *)a.data)[3] == -4);
    qa_npy_free(&a);
    /* no temporary file left behind */
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    struct stat st;
    CHECK(t, stat(tmp, &st) != 0);
}

static void test_npy_bad_input(qa_t *t)
{
    qa_npy a;
    CHECK_STATUS(t, qa_npy_parse("hello", 5, "x", &a), QA_ERR_FORMAT);
    /* a valid header that promises more data than present */
    char path[512];
    snprintf(path, sizeof path, "%s/b.npy", qa_test_tmpdir());
    int64_t shape[1] = {100};
    double d[100] = {0};
    CHECK_OK(t, qa_npy_write(path, QA_NPY_F64, 1, shape, d));
    char *buf;
    size_t len;
    CHECK_OK(t, qa_file_read_all(path, &buf, &len));
    CHECK_STATUS(t, qa_npy_parse(buf, len - 8, "trunc.npy", &a), QA_ERR_FORMAT);
    CHECK(t, strstr(qa_error_message(), "trunc.npy") != NULL);
    free(buf);
    CHECK_STATUS(t, qa_npy_read("/nonexistent/x.npy", &a), QA_ERR_IO);
}

static void test_atomic_write_bad_dir(qa_t *t)
{
    qa_atomic_file af;
    CHECK_STATUS(t, qa_atomic_file_open(&af, "/nonexistent-dir/out.npy"), QA_ERR_IO);
    CHECK(t, strstr(qa_error_message(), "/nonexistent-dir") != NULL);
}

static void test_check_writable(qa_t *t)
{
    char path[512];
    snprintf(path, sizeof path, "%s/out.npy", qa_test_tmpdir());
    CHECK_OK(t, qa_check_writable(path));
    CHECK_OK(t, qa_check_writable("relative-file.npy"));
    CHECK_STATUS(t, qa_check_writable("/nonexistent-dir/out.npy"), QA_ERR_IO);
    CHECK(t, strstr(qa_error_message(), "/nonexistent-dir") != NULL);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {
        {"error_message_and_wrap", test_error_message_and_wrap},
        {"npy_roundtrip", test_npy_roundtrip},
        {"npy_bad_input", test_npy_bad_input},
        {"atomic_write_bad_dir", test_atomic_write_bad_dir},
        {"check_writable", test_check_writable},
        {0}};
    return qa_test_main(argc, argv, cases);
}
