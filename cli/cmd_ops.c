/* onnxq ops: the op support table, generated from ir/ops.def (the only op list), the
 * interpreter's dispatch table and the C backend, as text or as the README's markdown table. */
#include <string.h>

#include "backends/c/c_emit.h"
#include "cli.h"
#include "runtime/interp/interp.h"

int cmd_ops(int argc, char **argv)
{
    bool md = argc > 1 && strcmp(argv[1], "--markdown") == 0;
    if (argc > 1 && !md)
        return cli_usage_error("ops", "unknown option '%s'", argv[1]);
    if (md)
        printf("| op | interpreter (fp32 / int8) | emitted C |\n| --- | --- | --- |\n");
    for (int op = 0; op < OQ_OP_COUNT; op++) {
        const char *c = oq_emit_c_support((oq_op)op);
        const char *in = oq_interp_supports((oq_op)op) ? "yes" : "no";
        if (md)
            printf("| %s | %s | %s |\n", oq_op_info((oq_op)op)->name, in, c ? c : "-");
        else
            printf("%-24s interpreter: %-4s C: %s\n", oq_op_info((oq_op)op)->name, in, c ? c : "-");
    }
    return CLI_OK;
}
