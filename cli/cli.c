/* cli/cli: the shared option parser and error printing (see cli.h). */
#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_help(const char *cmd, const qa_cli_opt *opts, const char *usage_positionals)
{
    printf("usage: qaudio %s [options]%s%s\n\noptions:\n", cmd, usage_positionals ? " " : "",
           usage_positionals ? usage_positionals : "");
    for (const qa_cli_opt *o = opts; o && o->long_name; o++) {
        char left[96];
        snprintf(left, sizeof left, "%s%s%s%s%s", o->short_name ? o->short_name : "",
                 o->short_name ? ", " : "", o->long_name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
        printf("  %-30s %s\n", left, o->help ? o->help : "");
    }
    printf("  %-30s %s\n", "-h, --help", "show this help");
}

int qa_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "qaudio %s: error: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(run 'qaudio %s --help' for usage)\n", cmd);
    return 2;
}

int qa_cli_fail(const char *cmd, qa_status s)
{
    const char *m = qa_error_message();
    fprintf(stderr, "qaudio %s: error (%s): %s\n", cmd, qa_status_name(s), m[0] ? m : "failed");
    return 1;
}

static int set_value(const char *cmd, const qa_cli_opt *o, const char *v)
{
    char *end;
    errno = 0;
    switch (o->type) {
    case QA_OPT_STR: *(const char **)o->dst = v; return -1;
    case QA_OPT_LIST: {
        qa_cli_list *l = o->dst;
        if (l->n == QA_CLI_LIST_MAX) return qa_cli_usage_error(cmd, "%s given more than %d times", o->long_name, QA_CLI_LIST_MAX);
        l->items[l->n++] = v;
        return -1;
    }
    case QA_OPT_INT: {
        long x = strtol(v, &end, 10);
        if (errno || end == v || *end || x < INT_MIN || x > INT_MAX)
            return qa_cli_usage_error(cmd, "%s expects an integer, got '%s'", o->long_name, v);
        *(int *)o->dst = (int)x;
        return -1;
    }
    case QA_OPT_I64: {
        long long x = strtoll(v, &end, 10);
        if (errno || end == v || *end) return qa_cli_usage_error(cmd, "%s expects an integer, got '%s'", o->long_name, v);
        *(long long *)o->dst = x;
        return -1;
    }
    case QA_OPT_DOUBLE: {
        double x = strtod(v, &end);
        if (errno || end == v || *end) return qa_cli_usage_error(cmd, "%s expects a number, got '%s'", o->long_name, v);
        *(double *)o->dst = x;
        return -1;
    }
    case QA_OPT_FLAG: break;
    }
    return qa_cli_usage_error(cmd, "internal: bad option type for %s", o->long_name);
}

int qa_cli_parse(int argc, char **argv, const qa_cli_opt *opts, const char *usage_positionals,
                 const char **pos, int max_pos, int *npos)
{
    const char *cmd = argv[0];
    *npos = 0;
    int only_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || a[0] != '-' || !strcmp(a, "-")) {
            if (*npos >= max_pos) return qa_cli_usage_error(cmd, "unexpected argument '%s'", a);
            pos[(*npos)++] = a;
            continue;
        }
        if (!strcmp(a, "--")) { only_pos = 1; continue; }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { print_help(cmd, opts, usage_positionals); return 0; }
        const char *eq = strchr(a, '=');
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        const qa_cli_opt *o = NULL;
        for (const qa_cli_opt *c = opts; c && c->long_name; c++) {
            if ((strlen(c->long_name) == nlen && !strncmp(c->long_name, a, nlen)) ||
                (c->short_name && strlen(c->short_name) == nlen && !strncmp(c->short_name, a, nlen))) {
                o = c;
                break;
            }
        }
        if (!o) return qa_cli_usage_error(cmd, "unknown option '%.*s'", (int)nlen, a);
        if (o->type == QA_OPT_FLAG) {
            if (eq) return qa_cli_usage_error(cmd, "%s takes no value", o->long_name);
            *(int *)o->dst = 1;
            continue;
        }
        const char *v = eq ? eq + 1 : NULL;
        if (!v) {
            if (i + 1 >= argc) return qa_cli_usage_error(cmd, "%s needs a value (%s)", o->long_name, o->metavar ? o->metavar : "VALUE");
            v = argv[++i];
        }
        int rc = set_value(cmd, o, v);
        if (rc >= 0) return rc;
    }
    return -1;
}
