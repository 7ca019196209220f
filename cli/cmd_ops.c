/* onnxq ops: the op support table (onnxq_op_info: ir/ops.def, the interpreter and the C
 * backend), as text or as the README's markdown table. */
#include <string.h>

#include "cli.h"

int cmd_ops(int argc, char **argv)
{
    bool md = argc > 1 && strcmp(argv[1], "--markdown") == 0;
    if (argc > 1 && !md)
        return cli_usage_error("ops", "unknown option '%s'", argv[1]);
    if (md)
        printf("| op | interpreter (fp32 / int8) | emitted C |\n| --- | --- | --- |\n");
    onnxq_op_support op;
    for (uint32_t i = 0; onnxq_op_info(i, &op); i++) {
        const char *c = op.emitted_c, *in = op.interpreter ? "yes" : "no";
        if (md)
            printf("| %s | %s | %s |\n", op.name, in, c ? c : "-");
        else
            printf("%-24s interpreter: %-4s C: %s\n", op.name, in, c ? c : "-");
    }
    return CLI_OK;
}
