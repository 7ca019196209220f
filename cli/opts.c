/* Option helpers shared by the onnxq subcommands. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_opt(int argc, char **argv, int *i, const char *name, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "onnxq %s: option %s needs a value\n", argv[0], name);
        return -1;
    }
    *val = argv[++*i];
    return 1;
}

bool cli_parse_shape(const char *spec, onnxq_input_shape *s)
{
    const char *eq = strrchr(spec, '=');
    if (!eq || eq == spec) {
        fprintf(stderr, "onnxq: --input-shape wants NAME=D0,D1,..., got '%s'\n", spec);
        return false;
    }
    char *name = malloc((size_t)(eq - spec) + 1);
    if (!name)
        return false;
    memcpy(name, spec, (size_t)(eq - spec));
    name[eq - spec] = '\0';
    s->name = name;
    s->rank = 0;
    const char *p = eq + 1;
    while (*p) {
        if (s->rank >= ONNXQ_MAX_RANK) {
            fprintf(stderr, "onnxq: --input-shape '%s': more than %d dims\n", spec, ONNXQ_MAX_RANK);
            return false;
        }
        char *end;
        errno = 0;
        long long v;
        if (*p == '?' || *p == '_' || isalpha((unsigned char)*p)) {  /* a symbolic dim */
            end = (char *)p + 1;
            while (*p != '?' && (*end == '_' || isalnum((unsigned char)*end)))
                end++;
            v = -1;
        } else {
            v = strtoll(p, &end, 10);
            if (end == p || errno || v <= 0 || v > (1ll << 31))
                v = 0;
        }
        if (v == 0 || (*end != ',' && *end != '\0')) {
            fprintf(stderr, "onnxq: --input-shape '%s': bad dim at '%s' (positive integers, "
                    "or ? or a name for a symbolic dim)\n", spec, p);
            return false;
        }
        s->dims[s->rank++] = v;
        p = *end == ',' ? end + 1 : end;
    }
    if (s->rank == 0) {
        fprintf(stderr, "onnxq: --input-shape '%s': no dims\n", spec);
        return false;
    }
    return true;
}

int cli_fail(const onnxq_session *s)
{
    fprintf(stderr, "onnxq: %s\n", s ? onnxq_session_error(s) : "out of memory");
    return s && onnxq_session_status(s) == ONNXQ_ERR_USAGE ? CLI_USAGE : CLI_ERR;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "onnxq %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see: onnxq help %s)\n", cmd);
    va_end(ap);
    return CLI_USAGE;
}


void cli_log(void *user, onnxq_log_level level, const char *msg)
{
    (void)user;
    if (level == ONNXQ_LOG_WARNING) {
        fprintf(stderr, "onnxq: warning: %s\n", msg);
    } else {
        printf("%s\n", msg);
        fflush(stdout);        /* a log piped to a file shows each stage as it starts */
    }
}

void cli_output(void *user, const char *text, size_t len)
{
    (void)user;
    fwrite(text, 1, len, stdout);
}
