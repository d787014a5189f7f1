/* cli/cli: what every subcommand file shares: the command descriptor and one option parser, so
 * that every subcommand treats flags, help and errors the same way.
 *
 * Adding a subcommand: create cli/cmd_NAME.c (dashes in the command name become underscores in
 * the file name: `eval-data` -> cli/cmd_eval_data.c) that defines
 *     const qa_cli_cmd qa_cmd_NAME = {"NAME", "one-line summary", run_function};
 * The Makefile finds it and adds it to the command table; nothing else needs editing.
 *
 * Parsing inside run_function(argc, argv) (argv[0] is the subcommand name):
 *     const char *out = NULL; int seed = 0; int json = 0;
 *     qa_cli_opt opts[] = {
 *         {"-o", "--output", QA_OPT_STR, &out, "FILE", "where to write"},
 *         {NULL, "--seed", QA_OPT_INT, &seed, "N", "random seed"},
 *         {NULL, "--json", QA_OPT_FLAG, &json, NULL, "print JSON"},
 *         {0}};
 *     const char *pos[2]; int npos;
 *     int rc = qa_cli_parse(argc, argv, opts, "IN_AUDIO", pos, 2, &npos);
 *     if (rc >= 0) return rc;          // --help printed (0) or a usage error printed (2)
 *     ...
 *     if (s) return qa_cli_fail(argv[0], s);   // prints the error message, returns 1
 */
#ifndef QA_CLI_CLI_H
#define QA_CLI_CLI_H

#include "core/status.h"

typedef struct {
    const char *name;     /* as typed on the command line */
    const char *summary;  /* one line for `qaudio --help` */
    int (*run)(int argc, char **argv);
} qa_cli_cmd;

typedef enum {
    QA_OPT_FLAG,   /* int *: set to 1 */
    QA_OPT_STR,    /* const char **: the argument */
    QA_OPT_INT,    /* int *: parsed strictly */
    QA_OPT_I64,    /* long long * */
    QA_OPT_DOUBLE, /* double * */
    QA_OPT_LIST,   /* qa_cli_list *: repeatable string option */
} qa_opt_type;

#define QA_CLI_LIST_MAX 64
typedef struct {
    int n;
    const char *items[QA_CLI_LIST_MAX];
} qa_cli_list;

typedef struct {
    const char *short_name; /* "-o" or NULL */
    const char *long_name;  /* "--output" */
    qa_opt_type type;
    void *dst;
    const char *metavar;    /* "FILE" for help; NULL for flags */
    const char *help;
} qa_cli_opt;

/* Parses options and up to max_pos positionals ("-" counts as a positional). Returns -1 when the
 * caller should go on, 0 after printing help (--help/-h), 2 after printing a usage error
 * (unknown flag, missing or malformed value, too many positionals). `usage_positionals` is the
 * positional part of the usage line, e.g. "IN_AUDIO". */
int qa_cli_parse(int argc, char **argv, const qa_cli_opt *opts, const char *usage_positionals,
                 const char **pos, int max_pos, int *npos);

/* Prints "qaudio CMD: error: <message>" for a failed status and returns the exit code (1). */
int qa_cli_fail(const char *cmd, qa_status s);

/* Prints "qaudio CMD: error: <fmt...>" and returns 2 (usage error). */
int qa_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
