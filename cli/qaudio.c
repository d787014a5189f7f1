/* cli/qaudio: the `qaudio` entry point. Dispatches to the subcommands listed in the generated
 * table build/gen/cli_commands.h (one per cli/cmd_*.c file; see cli.h), and handles --help,
 * --version and unknown subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli_commands.h" /* generated: extern declarations and QA_CLI_COMMAND_TABLE */
#include "core/version.h"

static const qa_cli_cmd *const commands[] = {QA_CLI_COMMAND_TABLE NULL};

static void print_usage(FILE *f)
{
    fprintf(f, "qaudio %s: train, fine-tune, evaluate and run Qwen-Audio models\n\n"
               "usage: qaudio COMMAND [options] [args]\n       qaudio --help | --version\n\ncommands:\n",
            QA_VERSION);
    for (int i = 0; commands[i]; i++) fprintf(f, "  %-12s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "\nRun 'qaudio COMMAND --help' for the options of one command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        print_usage(stdout);
        return 0;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
        printf("qaudio %s\n", QA_VERSION);
        return 0;
    }
    for (int i = 0; commands[i]; i++)
        if (!strcmp(commands[i]->name, name)) return commands[i]->run(argc - 1, argv + 1);
    if (name[0] == '-')
        fprintf(stderr, "qaudio: error: unknown option '%s'\n(run 'qaudio --help' for usage)\n", name);
    else
        fprintf(stderr, "qaudio: error: unknown command '%s'\n(run 'qaudio --help' for the list of commands)\n", name);
    return 2;
}
