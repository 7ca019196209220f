/* ir/status.c and ir/dtype.c: status strings, error rendering ("file: node 'n' (Op): text"),
 * first error wins, warnings go to the sink; dtype sizes and names follow ONNX numbering. */
#include "util.h"

Test(status, strings_for_every_status)
{
    cr_expect_str_eq(oq_status_str(OQ_OK), "ok");
    cr_expect_str_eq(oq_status_str(OQ_ERR_NOMEM), "out of memory");
    cr_expect_str_eq(oq_status_str((oq_status)999), "unknown status");
}

Test(status, error_names_file_node_and_op_and_first_wins)
{
    oq_graph *g = tu_parse("input %x:f32[1]\n %y = Relu(%x) # act_3\n");
    oq_diag d = {0};
    d.file = "model.onnx";
    cr_expect_eq(oq_errorf(&d, g, 0, OQ_ERR_SHAPE, "dim %d bad", 2), OQ_ERR_SHAPE);
    cr_expect_str_eq(d.msg, "model.onnx: node 'act_3' (Relu): dim 2 bad");
    cr_expect_eq(oq_errorf(&d, g, 0, OQ_ERR_DTYPE, "second"), OQ_ERR_SHAPE, "first error wins");
    cr_expect_str_eq(d.msg, "model.onnx: node 'act_3' (Relu): dim 2 bad");
    oq_diag e = {0};
    oq_errorf(&e, g, OQ_NONE, OQ_ERR_IO, "no node");
    cr_expect_str_eq(e.msg, "no node");
    cr_expect_eq(oq_errorf(NULL, g, 0, OQ_ERR_IO, "null diag is fine"), OQ_ERR_IO);
    oq_graph_free(g);
}

static void sink(void *ctx, const char *msg)
{
    snprintf(ctx, 256, "%s", msg);
}

Test(status, warnings_reach_the_sink_and_are_counted)
{
    char got[256] = "";
    oq_diag d = {0};
    d.warn = sink;
    d.warn_ctx = got;
    oq_warnf(&d, NULL, OQ_NONE, "widened scale of channel %d", 4);
    cr_expect_str_eq(got, "widened scale of channel 4");
    cr_expect_eq(d.nwarn, 1);
    cr_expect_eq(d.status, OQ_OK, "a warning is not an error");
}

Test(status, long_messages_are_truncated_not_overflowed)
{
    char big[4000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    oq_diag d = {0};
    oq_errorf(&d, NULL, OQ_NONE, OQ_ERR_IO, "%s", big);
    cr_expect_eq(strlen(d.msg), sizeof d.msg - 1);
}

Test(dtype, sizes_and_names_follow_onnx)
{
    cr_expect_eq(oq_dtype_size(OQ_DT_FLOAT), 4u);
    cr_expect_eq(oq_dtype_size(OQ_DT_INT64), 8u);
    cr_expect_eq(oq_dtype_size(OQ_DT_BOOL), 1u);
    cr_expect_eq(oq_dtype_size(OQ_DT_STRING), 0u);
    cr_expect_eq(oq_dtype_size((oq_dtype)77), 0u);
    cr_expect_str_eq(oq_dtype_name(OQ_DT_UINT8), "uint8");
    cr_expect_str_eq(oq_dtype_name((oq_dtype)77), "?");
    cr_expect(oq_dtype_valid(16));
    cr_expect(!oq_dtype_valid(14));
    cr_expect_eq((int)OQ_DT_BFLOAT16, 16);
}
