/* core/log: leveled, rank-aware logging to stderr.
 *
 * Usage: qa_log_info("loaded %d tensors", n); qa_log_warn(...); qa_log_debug(...).
 * The level comes from the environment variable QAUDIO_LOG (error|warn|info|debug, default info),
 * read at each call so there is no global state. Under MPI (OMPI_COMM_WORLD_RANK or PMI_RANK set)
 * each line is prefixed with "[rank N]" and info/debug lines are printed by rank 0 only unless
 * QAUDIO_LOG_ALL_RANKS=1. */
#ifndef QA_CORE_LOG_H
#define QA_CORE_LOG_H

typedef enum { QA_LOG_ERROR = 0, QA_LOG_WARN = 1, QA_LOG_INFO = 2, QA_LOG_DEBUG = 3 } qa_log_level;

void qa_log(qa_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int qa_log_enabled(qa_log_level level);

#define qa_log_error(...) qa_log(QA_LOG_ERROR, __VA_ARGS__)
#define qa_log_warn(...) qa_log(QA_LOG_WARN, __VA_ARGS__)
#define qa_log_info(...) qa_log(QA_LOG_INFO, __VA_ARGS__)
#define qa_log_debug(...) qa_log(QA_LOG_DEBUG, __VA_ARGS__)

#endif
