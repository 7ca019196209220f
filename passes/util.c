/* Small helpers shared by the passes: exclusion lists, constant creation, use counts and the
 * common end of every pass (sweep, re-sort, re-infer, optional verify). */
#include <stdlib.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "passes.h"

oq_float_why oq_pass_float_why(const oq_graph *g, uint32_t node, const oq_options *o)
{
    const oq_node *nd = &g->nodes[node];
    for (uint32_t i = 0; i < o->nexclude; i++)
        if (strcmp(o->exclude[i], nd->name) == 0)
            return OQ_FLOAT_EXCLUDED;
    if (o->nop_types == 0)
        return OQ_FLOAT_NONE;
    for (uint32_t i = 0; i < o->nop_types; i++)
        if (strcmp(o->op_types[i], nd->op_type) == 0)
            return OQ_FLOAT_NONE;
    return OQ_FLOAT_OP_TYPES;
}

bool oq_pass_excluded(const oq_graph *g, uint32_t node, const oq_options *o)
{
    return oq_pass_float_why(g, node, o) != OQ_FLOAT_NONE;
}

uint32_t oq_add_const(oq_graph *g, const char *base, oq_dtype dt, const oq_shape *s,
                      const void *data)
{
    const char *name = ir_unique_name(g, base);
    if (!name)
        return OQ_NONE;
    uint32_t v = ir_add_value(g, name, dt, s);
    if (v == OQ_NONE || !ir_set_const(g, v, data))
        return OQ_NONE;
    return v;
}

uint32_t oq_use_count(const oq_graph *g, uint32_t v)
{
    const oq_value *val = &g->values[v];
    uint32_t n = 0;
    for (uint32_t i = 0; i < val->nuse; i++)
        n += !g->nodes[val->uses[i]].dead;
    return n + (val->is_output ? 1 : 0);
}

oq_status oq_pass_finish(oq_graph *g, const oq_options *o, oq_diag *d)
{
    ir_compact(g);
    oq_status st = ir_toposort(g, d);
    if (st != OQ_OK)
        return st;
    ir_fill_uses(g);
    st = ir_infer(g, d);
    if (st != OQ_OK)
        return st;
    if (o && o->verify)
        return ir_verify(g, d);
    return OQ_OK;
}

oq_status oq_parse_override(const char *spec, oq_override *out, oq_diag *d)
{
    memset(out, 0, sizeof *out);
    const char *eq = strrchr(spec, '=');
    if (!eq || eq == spec || !eq[1])
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE,
                         "--override '%s': expected TENSOR=OBSERVER or TENSOR=SCALE:ZERO_POINT",
                         spec);
    size_t n = (size_t)(eq - spec);
    if (n >= sizeof out->buf)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "--override: tensor name too long");
    memcpy(out->buf, spec, n);
    out->buf[n] = 0;
    out->tensor = out->buf;
    oq_obs_kind k = oq_observer_lookup(eq + 1);
    if (k != OQ_OBS_COUNT) {
        out->observer = k;
        return OQ_OK;
    }
    char *end;
    double s = strtod(eq + 1, &end);
    if (end == eq + 1 || *end != ':')
        goto bad;
    if (!isfinite((float)s) || !((float)s >= FLT_MIN))
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE,
                         "--override '%s': the scale must be a finite positive number "
                         "(at least %g), got %s", spec, (double)FLT_MIN, eq + 1);
    long z = strtol(end + 1, &end, 10);
    if (*end || z < -128 || z > 255)
        goto bad;
    out->fixed = true;
    out->scale = (float)s;
    out->zero_point = (int32_t)z;
    return OQ_OK;
bad:
    out->tensor = NULL;
    return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE,
                     "--override '%s': '%s' is neither an observer (minmax, moving-average, mse, "
                     "entropy, percentile) nor SCALE:ZERO_POINT", spec, eq + 1);
}
