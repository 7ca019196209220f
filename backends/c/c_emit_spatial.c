/* C emitter, float ops beyond the element-wise basics: Min / Max of any number of inputs,
 * InstanceNormalization, Resize and LSTM (runtime/f32/ops/norm.c, resize.c, rnn.c: the
 * interpreter's own kernels, so the same bits). Every geometry is a literal of the generated code; Resize's
 * scales, sizes and roi must be constants. Called by c_emit_float.c; calls c_emit_util.c. */
#include <math.h>
#include <stdlib.h>

#include "c_emit_int.h"
#include "runtime/interp/kparams.h"

/* Element strides of input v broadcast to an output of rank r (right-aligned; 0 along
 * broadcast dims). */
static void bstrides(const ectx *e, uint32_t v, int r, int64_t *st)
{
    const oq_shape *s = &val(e, v)->shape;
    int64_t acc = 1, cs[OQ_MAX_RANK];
    for (int j = s->rank - 1; j >= 0; j--) {
        cs[j] = acc;
        acc *= s->dim[j];
    }
    for (int i = 0; i < r; i++) {
        int j = i - (r - s->rank);
        st[i] = j >= 0 && s->dim[j] != 1 ? cs[j] : 0;
    }
}

bool ce_in_ptr_f32(ectx *e, uint32_t n, uint32_t v)
{
    if (!is_const(e, v) || val(e, v)->dtype == OQ_DT_FLOAT)
        return ce_in_ptr(e, n, v);
    int64_t cnt = numel(e, v);
    float *f = malloc((size_t)(cnt > 0 ? cnt : 1) * sizeof *f);
    if (!f) {
        oq_errorf(e->d, e->g, n, OQ_ERR_NOMEM, "out of memory");
        return false;
    }
    for (int64_t i = 0; i < cnt; i++)
        f[i] = (float)ce_cnum(e, v, i);
    uint32_t id = ce_emit_floats(e, f, (size_t)(cnt > 0 ? cnt : 1));
    free(f);
    cbuf_printf(&e->c, "%s_c%u", e->nm, id);
    return true;
}

oq_status ce_emit_binary(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    const oq_shape *ys = &val(e, nd->out[0])->shape;
    oq_cbuf *c = &e->c;
    if (nd->nin == 1) {        /* Min / Max of one input */
        cbuf_printf(c, "    memcpy(");
        ce_ptr(e, c, nd->out[0]);
        cbuf_printf(c, ", ");
        if (!ce_in_ptr(e, n, nd->in[0]))
            return e->d->status;
        cbuf_printf(c, ", %lld);\n", (long long)numel(e, nd->out[0]) * 4);
        return OQ_OK;
    }
    int r = ys->rank > 0 ? ys->rank : 1;
    int64_t dim[OQ_MAX_RANK], yst[OQ_MAX_RANK], acc = 1;
    for (int i = r - 1; i >= 0; i--) {
        dim[i] = ys->rank > 0 ? ys->dim[i] : 1;
        yst[i] = acc;
        acc *= dim[i];
    }
    cbuf_printf(c, "    {\n        static const int64_t dim[] = {");
    ce_ilist(c, dim, r);
    if (nd->nin > 2) {         /* y is the first operand from the second call on */
        cbuf_printf(c, "}, ys[] = {");
        ce_ilist(c, yst, r);
    }
    cbuf_printf(c, "};\n");
    for (uint32_t k = 1; k < nd->nin; k++) {
        int64_t ast[OQ_MAX_RANK], bst[OQ_MAX_RANK];
        if (k == 1)
            bstrides(e, nd->in[0], r, ast);
        bstrides(e, nd->in[k], r, bst);
        cbuf_printf(c, "        {\n            static const int64_t ");
        if (k == 1) {
            cbuf_printf(c, "as[] = {");
            ce_ilist(c, ast, r);
            cbuf_printf(c, "}, ");
        }
        cbuf_printf(c, "bs[] = {");
        ce_ilist(c, bst, r);
        cbuf_printf(c, "};\n            oq_f32_%s__scalar(%d, dim, ", oq_op_info(nd->op)->f32k,
                    r);
        if (k == 1) {
            if (!ce_in_ptr_f32(e, n, nd->in[0]))
                return e->d->status;
        } else {
            ce_ptr(e, c, nd->out[0]);
        }
        cbuf_printf(c, ", %s, ", k == 1 ? "as" : "ys");
        if (!ce_in_ptr_f32(e, n, nd->in[k]))
            return e->d->status;
        cbuf_printf(c, ", bs, ");
        ce_ptr(e, c, nd->out[0]);
        cbuf_printf(c, ");\n        }\n");
    }
    cbuf_printf(c, "    }\n");
    return OQ_OK;
}

oq_status ce_emit_instancenorm(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    const oq_shape *x = &val(e, nd->in[0])->shape;
    if (x->rank < 2 || numel(e, nd->in[1]) != x->dim[1] || numel(e, nd->in[2]) != x->dim[1])
        return oq_errorf(e->d, e->g, n, OQ_ERR_SHAPE, "input needs a channel dim that scale "
                         "and B match");
    int64_t sp = 1;
    for (int i = 2; i < x->rank; i++)
        sp *= x->dim[i];
    oq_cbuf *c = &e->c;
    cbuf_printf(c, "    oq_f32_instancenormalization__scalar(%lld, %lld, %lld, ",
                (long long)x->dim[0], (long long)x->dim[1], (long long)sp);
    for (int k = 0; k < 3; k++) {
        if (!ce_in_ptr(e, n, nd->in[k]))
            return e->d->status;
        cbuf_printf(c, ", ");
    }
    cbuf_hexf(c, ir_attr_f(nd, OQ_A_InstanceNormalization_epsilon));
    cbuf_printf(c, ", ");
    ce_ptr(e, c, nd->out[0]);
    cbuf_printf(c, ");\n");
    return OQ_OK;
}

/* The Resize geometry of node n from the graph's constants; false (error set) if it is not
 * known at compile time. */
static bool resize_params(ectx *e, uint32_t n, oq_f32_resize *p)
{
    const oq_node *nd = &e->g->nodes[n];
    for (uint32_t k = 1; k < nd->nin && k < 4; k++)
        if (nd->in[k] != OQ_NONE && !is_const(e, nd->in[k])) {
            oq_errorf(e->d, e->g, n, OQ_ERR_UNSUPPORTED_OP, "input '%s' (roi, scales or sizes) "
                      "is computed at run time; the C backend needs a constant",
                      val(e, nd->in[k])->name);
            return false;
        }
    return oq_kparams_resize(e->g, n, NULL, p, e->d) == OQ_OK;
}

size_t ce_resize_scratch(ectx *e, uint32_t n)
{
    oq_f32_resize p;
    oq_diag tmp = {0};
    oq_diag *save = e->d;
    e->d = &tmp;
    bool ok = resize_params(e, n, &p);
    e->d = save;
    return ok ? oq_f32_resize_workspace_size(&p) : 0; /* errors are reported with the code */
}

/* The scale argument of oq_q8_resize_nearest that makes it compute dim i's scale exactly as p
 * does (0: out / in); false if none does. */
static bool q8_scale(const oq_f32_resize *p, int i, float *s)
{
    *s = 0.0f;
    if (p->scale[i] == (double)p->out[i] / (double)p->in[i])
        return true;
    *s = (float)p->scale[i];
    return (double)*s == p->scale[i] && *s > 0;
}

/* True if oq_q8_resize_nearest (runtime/q8/resize.c) picks the source pixels the interpreter
 * picks: batch and channels kept, the same coordinate rule (its align_corners uses the output
 * length, tf_crop_and_resize it has not), scales it can be given, and no kept dim that the
 * interpreter maps to itself where the q8 rule would shift it (tf_half_pixel_for_nn rounding
 * up). The enums of both number the modes alike. */
static bool q8_resize_fits(const oq_f32_resize *p, float *sh, float *sw)
{
    if (p->rank != 4 || p->in[0] != p->out[0] || p->in[1] != p->out[1] ||
        p->ctm == OQ_RESIZE_ALIGN_CORNERS || p->ctm == OQ_RESIZE_TF_CROP_AND_RESIZE ||
        !q8_scale(p, 2, sh) || !q8_scale(p, 3, sw))
        return false;
    bool up = p->ctm == OQ_RESIZE_TF_HALF_PIXEL_FOR_NN &&
              (p->near == OQ_RESIZE_ROUND_PREFER_CEIL || p->near == OQ_RESIZE_CEIL);
    for (int i = 2; i < 4 && up; i++)
        if (p->in[i] == p->out[i] && p->scale[i] == 1.0)
            return false;
    return true;
}

/* "static const oq_f32_resize p = {...};" for p. */
static void put_resize(oq_cbuf *c, const oq_f32_resize *p)
{
    cbuf_printf(c, "        static const oq_f32_resize p = {%d, %d, %d, %d, %d, ", p->rank,
                p->mode, p->ctm, p->near, p->exclude_outside);
    cbuf_hexf(c, p->cubic_a);
    cbuf_printf(c, ", ");
    cbuf_hexf(c, p->extrap);
    cbuf_printf(c, ",\n            {");
    ce_ilist(c, p->in, p->rank);
    cbuf_printf(c, "}, {");
    ce_ilist(c, p->out, p->rank);
    const double *arrs[] = {p->scale, p->r0, p->r1};
    for (int a = 0; a < 3; a++) {
        cbuf_printf(c, "},\n            {");
        for (int i = 0; i < p->rank; i++)
            cbuf_printf(c, "%s%a", i ? ", " : "", arrs[a][i]);
    }
    cbuf_printf(c, "}};\n");
}

/* Resize nearest of 8-bit quantized data: oq_q8_resize_nearest on NHWC when it fits, else the
 * interpreter's kernel (runtime/f32/ops) on the geometry permuted to the storage order. */
static oq_status emit_resize_q(ectx *e, uint32_t n, oq_f32_resize *p)
{
    const oq_node *nd = &e->g->nodes[n];
    uint32_t x = nd->in[0], y = nd->out[0];
    oq_cbuf *c = &e->c;
    float sh, sw;
    if (e->v[x].nhwc != e->v[y].nhwc)
        return oq_errorf(e->d, e->g, n, OQ_ERR_INTERNAL, "Resize input and output layouts differ");
    if (e->v[x].nhwc && q8_resize_fits(p, &sh, &sw)) {
        cbuf_printf(c, "    oq_q8_resize_nearest(%lld, %lld, %lld, %lld, %lld, %lld, ",
                    (long long)p->in[0], (long long)p->in[2], (long long)p->in[3],
                    (long long)p->in[1], (long long)p->out[2], (long long)p->out[3]);
        cbuf_hexf(c, sh);
        cbuf_printf(c, ", ");
        cbuf_hexf(c, sw);
        cbuf_printf(c, ", %d, %d, ", p->ctm, p->near);
        ce_ptr(e, c, x);
        cbuf_printf(c, ", ");
        ce_ptr(e, c, y);
        cbuf_printf(c, ");\n");
        return OQ_OK;
    }
    if (e->v[x].nhwc) {        /* logical N, C, H, W -> storage N, H, W, C */
        static const int perm[4] = {0, 2, 3, 1};
        oq_f32_resize q = *p;
        for (int i = 0; i < 4; i++) {
            q.in[i] = p->in[perm[i]], q.out[i] = p->out[perm[i]], q.scale[i] = p->scale[perm[i]];
            q.r0[i] = p->r0[perm[i]], q.r1[i] = p->r1[perm[i]];
        }
        *p = q;
    }
    /* outside a tf_crop_and_resize box: the extrapolation value cast to the element type, as
     * the interpreter stores it */
    uint8_t cv = 0;
    oq_elem_set_f64(&cv, val(e, x)->dtype, 0, p->extrap);
    cbuf_printf(c, "    {\n");
    put_resize(c, p);
    cbuf_printf(c, "        static const unsigned char cv = %u;\n"
                "        oq_x_resize_nearest__scalar(&p, ", (unsigned)cv);
    ce_ptr(e, c, x);
    cbuf_printf(c, ", ");
    ce_ptr(e, c, y);
    cbuf_printf(c, ", 1, &cv, ");
    ce_scratch_ptr(e, c, n);
    cbuf_printf(c, ");\n    }\n");
    e->need_fk = true;         /* an int8 node: ce_emit_float did not set it */
    return OQ_OK;
}

oq_status ce_emit_resize(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    oq_f32_resize p;
    if (!resize_params(e, n, &p))
        return e->d->status;
    if (e->k[n] == K_RESIZE_Q)
        return emit_resize_q(e, n, &p);
    oq_cbuf *c = &e->c;
    cbuf_printf(c, "    {\n");
    put_resize(c, &p);
    cbuf_printf(c, "        oq_f32_resize__scalar(&p, ");
    if (!ce_in_ptr(e, n, nd->in[0]))
        return e->d->status;
    cbuf_printf(c, ", ");
    ce_ptr(e, c, nd->out[0]);
    cbuf_printf(c, ", ");
    ce_scratch_ptr(e, c, n);
    cbuf_printf(c, ");\n    }\n");
    return OQ_OK;
}

size_t ce_lstm_scratch(ectx *e, uint32_t n)
{
    oq_f32_lstm p;
    oq_diag tmp = {0};
    return oq_kparams_lstm(e->g, n, &p, &tmp) == OQ_OK ? oq_f32_lstm_workspace_size(&p) : 0;
}

oq_status ce_emit_lstm(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    oq_f32_lstm p;
    if (oq_kparams_lstm(e->g, n, &p, e->d) != OQ_OK)
        return e->d->status;
    oq_cbuf *c = &e->c;
    cbuf_printf(c, "    {\n        static const oq_f32_lstm p = {%lld, %lld, %lld, %lld, %d, %d, ",
                (long long)p.seq, (long long)p.batch, (long long)p.input, (long long)p.hidden,
                p.ndir, p.reverse);
    cbuf_hexf(c, p.clip);
    cbuf_printf(c, ", %d};\n        oq_f32_lstm__scalar(&p", p.input_forget);
    static const uint32_t ins[] = {0, 1, 2, 3, 5, 6, 7};
    for (size_t k = 0; k < sizeof ins / sizeof ins[0]; k++) {
        uint32_t i = ins[k];
        cbuf_printf(c, ", ");
        if (i < nd->nin && nd->in[i] != OQ_NONE) {
            if (!ce_in_ptr(e, n, nd->in[i]))
                return e->d->status;
        } else {
            cbuf_printf(c, "(const float *)0");
        }
    }
    for (uint32_t i = 0; i < 3; i++) {
        cbuf_printf(c, ", ");
        if (i < nd->nout && nd->out[i] != OQ_NONE)
            ce_ptr(e, c, nd->out[i]);
        else
            cbuf_printf(c, "(float *)0");
    }
    cbuf_printf(c, ", ");
    ce_scratch_ptr(e, c, n);
    cbuf_printf(c, ");\n    }\n");
    return OQ_OK;
}
