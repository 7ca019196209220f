/* The onnxq command: parses arguments, calls the library, prints results and errors.
 * The only place that prints or exits. Exit codes: 0 ok, 1 model or data error, 2 usage error.
 * Subcommands live in cli/cmd_*.c; this file holds the table, help and option helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "qopts.h"

static const cli_cmd cmds[] = {
#define CLI_CMD(name, fn, summary, usage) {#name, fn, summary, usage},
#include "commands.def"
#undef CLI_CMD
};
#define NCMD (sizeof cmds / sizeof cmds[0])

static const cli_cmd *find_cmd(const char *name)
{
    for (size_t i = 0; i < NCMD; i++)
        if (strcmp(cmds[i].name, name) == 0)
            return &cmds[i];
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: onnxq COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < NCMD; i++)
        fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
    fprintf(f, "  %-10s %s\n", "help", "show the options of a command: onnxq help CMD");
    fprintf(f, "\nonnxq --version prints the version. Exit codes: 0 ok, 1 model or data error, "
               "2 usage error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *c = argv[1];
    if (strcmp(c, "--version") == 0 || strcmp(c, "version") == 0) {
        printf("onnxq %s\n", onnxq_version());
        return 0;
    }
    if (strcmp(c, "--help") == 0 || strcmp(c, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(c, "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return 0;
        }
        const cli_cmd *cmd = find_cmd(argv[2]);
        if (!cmd) {
            fprintf(stderr, "onnxq: unknown command '%s'\n", argv[2]);
            return CLI_USAGE;
        }
        printf("onnxq %s: %s\n\n%s", cmd->name, cmd->summary, cmd->usage);
        return 0;
    }
    const cli_cmd *cmd = find_cmd(c);
    if (!cmd) {
        fprintf(stderr, "onnxq: unknown command '%s' (try onnxq --help)\n", c);
        return CLI_USAGE;
    }
    return cmd->fn(argc - 1, argv + 1);
}
