/* Shared declarations of the onnxq command's files: the command table entry, exit codes and
 * small option helpers (cli/opts.c). */
#ifndef OQ_CLI_H
#define OQ_CLI_H
#include <stdbool.h>
#include <stdio.h>

#include "onnxq.h"

enum { CLI_OK = 0, CLI_ERR = 1, CLI_USAGE = 2 };

typedef struct cli_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);  /* argv[0] is the command name */
    const char *summary;
    const char *usage;
} cli_cmd;

#define CLI_CMD(name, fn, summary, usage) int fn(int argc, char **argv);
#include "commands.def"
#undef CLI_CMD

/* Matches "--name VALUE" or "--name=VALUE" at argv[*i]; advances *i past the value. Returns 0
 * if no match, 1 on a match, -1 (after printing) if the value is missing. */
int cli_opt(int argc, char **argv, int *i, const char *name, const char **val);
/* Parses "NAME=d0,d1,..." into s (appends to an array of at most max). Returns false on a
 * malformed spec (after printing). */
bool cli_parse_shape(const char *spec, onnxq_input_shape *s);
/* Prints the session's error to stderr prefixed with "onnxq: " and returns the exit code for
 * it (1); s NULL: out of memory. */
int cli_fail(const onnxq_session *s);
/* Prints a usage error for cmd and returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Log callback of the library: warnings to stderr ("onnxq: warning: ..."), info lines to
 * stdout. */
void cli_log(void *user, onnxq_log_level level, const char *msg);
/* Output callback of the library: the text to stdout. */
void cli_output(void *user, const char *text, size_t len);
#endif
