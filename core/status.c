/* core/status: status names and the thread-local error message (see status.h). */
#include "core/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define QA_ERROR_MESSAGE_MAX 2048

static _Thread_local char error_message[QA_ERROR_MESSAGE_MAX];

const char *qa_status_name(qa_status s)
{
    static const char *const names[QA_STATUS_COUNT] = {
        [QA_OK] = "ok",           [QA_ERR_ARG] = "argument",   [QA_ERR_IO] = "io",
        [QA_ERR_FORMAT] = "format", [QA_ERR_CONFIG] = "config", [QA_ERR_SHAPE] = "shape",
        [QA_ERR_DTYPE] = "dtype", [QA_ERR_NOMEM] = "memory",   [QA_ERR_DNNL] = "onednn",
        [QA_ERR_HDF5] = "hdf5",   [QA_ERR_MPI] = "mpi",        [QA_ERR_UNSUPPORTED] = "unsupported",
        [QA_ERR_STATE] = "state", [QA_ERR_INTERNAL] = "internal",
    };
    if ((int)s < 0 || s >= QA_STATUS_COUNT) return "unknown";
    return names[s];
}

qa_status qa_error(qa_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error_message, sizeof error_message, fmt, ap);
    va_end(ap);
    return s;
}

qa_status qa_error_wrap(qa_status s, const char *fmt, ...)
{
    char prefix[512];
    char old[QA_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, error_message, sizeof old);
    /* explicit lengths: the joined message is cut at the buffer size, never overflows */
    size_t np = strnlen(prefix, sizeof prefix - 1);
    size_t room = sizeof error_message - 1;
    if (np > room) np = room;
    memcpy(error_message, prefix, np);
    size_t n = np;
    if (old[0] && n + 2 < room) {
        memcpy(error_message + n, ": ", 2);
        n += 2;
        size_t no = strnlen(old, room - n);
        memcpy(error_message + n, old, no);
        n += no;
    }
    error_message[n] = '\0';
    return s;
}

const char *qa_error_message(void) { return error_message; }

void qa_error_clear(void) { error_message[0] = '\0'; }
