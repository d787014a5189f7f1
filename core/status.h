/* core/status: the status codes every fallible qaudio function returns, and the per-thread
 * error message that says what failed, on what input, and what to do.
 *
 * Usage:
 *   if (!f) return qa_error(QA_ERR_IO, "cannot open %s: %s", path, strerror(errno));
 *   qa_status s = qa_thing(...);
 *   if (s) return qa_error_wrap(s, "while loading checkpoint %s", dir);   // prefixes context
 *   fprintf(stderr, "%s\n", qa_error_message());
 *
 * The message buffer is thread-local: threads (loader prefetch, prepare workers) never see each
 * other's errors. QA_OK is 0 so `if (s)` tests for failure. */
#ifndef QA_CORE_STATUS_H
#define QA_CORE_STATUS_H

typedef enum {
    QA_OK = 0,
    QA_ERR_ARG,         /* bad argument from a caller or the command line */
    QA_ERR_IO,          /* file missing, unreadable, unwritable, disk full */
    QA_ERR_FORMAT,      /* a file's content is malformed (npy, json, safetensors, audio, shard) */
    QA_ERR_CONFIG,      /* a config/recipe value or key is wrong */
    QA_ERR_SHAPE,       /* tensor shapes do not agree */
    QA_ERR_DTYPE,       /* tensor dtype not supported by the op */
    QA_ERR_NOMEM,       /* allocation failed or an arena is too small */
    QA_ERR_DNNL,        /* oneDNN returned an error */
    QA_ERR_HDF5,        /* the HDF5 library returned an error */
    QA_ERR_MPI,         /* an MPI call failed */
    QA_ERR_UNSUPPORTED, /* valid request that this build or version cannot do */
    QA_ERR_STATE,       /* call made in the wrong state (e.g. backward without a tape) */
    QA_ERR_INTERNAL,    /* a broken invariant detected at run time */
    QA_STATUS_COUNT
} qa_status;

/* Stable lower-case name of a status ("io", "shape", ...). */
const char *qa_status_name(qa_status s);

/* Sets this thread's message (printf format) and returns `s`, so it can be returned directly. */
qa_status qa_error(qa_status s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes this thread's message with context ("while X: <old message>") and returns `s`. */
qa_status qa_error_wrap(qa_status s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* This thread's last message ("" when none). Valid until the next qa_error call on this thread. */
const char *qa_error_message(void);

/* Clears this thread's message. */
void qa_error_clear(void);

#endif
