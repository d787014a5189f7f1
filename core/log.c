/* core/log: see log.h. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int env_rank(void)
{
    const char *r = getenv("OMPI_COMM_WORLD_RANK");
    if (!r) r = getenv("PMI_RANK");
    return r ? atoi(r) : -1;
}

static qa_log_level env_level(void)
{
    const char *l = getenv("QAUDIO_LOG");
    if (!l) return QA_LOG_INFO;
    if (!strcmp(l, "error")) return QA_LOG_ERROR;
    if (!strcmp(l, "warn")) return QA_LOG_WARN;
    if (!strcmp(l, "debug")) return QA_LOG_DEBUG;
    return QA_LOG_INFO;
}

int qa_log_enabled(qa_log_level level)
{
    if (level > env_level()) return 0;
    int rank = env_rank();
    if (rank > 0 && level >= QA_LOG_INFO) {
        const char *all = getenv("QAUDIO_LOG_ALL_RANKS");
        if (!all || strcmp(all, "1")) return 0;
    }
    return 1;
}

void qa_log(qa_log_level level, const char *fmt, ...)
{
    static const char *const tags[] = {"error", "warning", "info", "debug"};
    if (!qa_log_enabled(level)) return;
    char line[4096];
    int rank = env_rank();
    int n = rank >= 0 ? snprintf(line, sizeof line, "[rank %d] qaudio %s: ", rank, tags[level])
                      : snprintf(line, sizeof line, "qaudio %s: ", tags[level]);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    /* one fputs per line so lines from threads and ranks do not interleave mid-line */
    size_t len = strlen(line);
    if (len + 1 < sizeof line) { line[len] = '\n'; line[len + 1] = '\0'; }
    fputs(line, stderr);
}
