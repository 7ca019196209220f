/* Resize (and Upsample, which the importer turns into Resize) over runtime/f32/ops/resize.c:
 * the attributes are checked once (oq_kparams_resize without inputs), the geometry is built
 * from the scales / sizes / roi of each run; float and double run the n-linear / cubic /
 * nearest kernels, other element types nearest only (a copy per element). Graphs from
 * opset < 11 (Upsample, Resize-10) default to asymmetric + floor, as those ops defined. Not
 * supported (UNSUPPORTED_ATTR): antialias=1, half_pixel_symmetric. */
#include <math.h>

#include "kparams.h"
#include "ops.h"

/* Checks the attributes; the scratch is sized per run (it depends on the output shape only,
 * which is static): the taps of every dim. */
oq_status oq_prep_resize(const oq_graph *g, uint32_t node, void **state, oq_diag *d)
{
    oq_f32_resize p;
    oq_status st = oq_kparams_resize(g, node, NULL, &p, d);
    if (st)
        return st;
    const oq_value *x = &g->values[g->nodes[node].in[0]];
    if (x->dtype != OQ_DT_FLOAT && x->dtype != OQ_DT_DOUBLE && p.mode != OQ_RESIZE_NEAREST)
        return oq_errorf(d, g, node, OQ_ERR_DTYPE, "%s resize of %s not supported",
                         ir_attr_s(&g->nodes[node], OQ_A_Resize_mode), oq_dtype_name(x->dtype));
    oq_ws_hdr *h = malloc(sizeof *h);
    if (!h)
        return oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory");
    /* the largest scratch any mode needs for this output shape */
    p.mode = OQ_RESIZE_CUBIC;
    h->size = oq_f32_resize_workspace_size(&p);
    h->ws = NULL;
    *state = h;
    return OQ_OK;
}

/* Resize: geometry of this run, then the kernel of the element type. */
oq_status oq_exec_resize(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                         oq_rt_tensor *out, void *state, oq_diag *d)
{
    const oq_ws_hdr *h = state;
    oq_f32_resize p;
    oq_status st = oq_kparams_resize(g, node, in, &p, d);
    if (st)
        return st;
    if (oq_rt_numel(&out[0]) == 0)
        return OQ_OK;
    if (in[0].dtype == OQ_DT_FLOAT) {
        oq_f32_resize__scalar(&p, in[0].data, out[0].data, h->ws);
    } else if (in[0].dtype == OQ_DT_DOUBLE) {
        oq_f64_resize__scalar(&p, in[0].data, out[0].data, h->ws);
    } else {
        uint64_t cval = 0;     /* the extrapolation value in the element type */
        oq_rt_tensor c = {in[0].dtype, {0, {0}}, &cval};
        oq_rt_set_f64(&c, 0, p.extrap);
        oq_x_resize_nearest__scalar(&p, in[0].data, out[0].data, oq_dtype_size(in[0].dtype),
                                    &cval, h->ws);
    }
    return OQ_OK;
}
