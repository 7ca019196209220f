/* Status strings, error and warning rendering. Messages read
 * "model.onnx: node 'conv_3' (Conv): text"; the first error recorded in a diag wins. */
#include <stdio.h>
#include <string.h>

#include "ir.h"

const char *oq_status_str(oq_status s)
{
    static const char *const names[] = {
#define OQ_STATUS(name, msg) msg,
#include "status.def"
#undef OQ_STATUS
    };
    if ((unsigned)s >= sizeof names / sizeof names[0])
        return "unknown status";
    return names[s];
}

/* Writes the "file: node 'x' (Op): " prefix into buf; returns its length. */
static int prefix(char *buf, size_t n, const oq_diag *d, const oq_graph *g, uint32_t node)
{
    const char *file = d && d->file ? d->file : (g && g->path ? g->path : NULL);
    int k = 0;
    if (file)
        k += snprintf(buf, n, "%s: ", file);
    if (g && node != OQ_NONE && node < g->nnode) {
        const oq_node *nd = &g->nodes[node];
        k += snprintf(buf + k, n > (size_t)k ? n - k : 0, "node '%s' (%s): ", nd->name,
                      nd->op_type ? nd->op_type : oq_op_info(nd->op)->name);
    }
    return k < (int)n ? k : (int)n - 1;
}

oq_status oq_verrorf(oq_diag *d, const oq_graph *g, uint32_t node, oq_status st, const char *fmt,
                     va_list ap)
{
    if (!d)
        return st;
    if (d->status != OQ_OK)
        return d->status;
    d->status = st;
    int k = prefix(d->msg, sizeof d->msg, d, g, node);
    vsnprintf(d->msg + k, sizeof d->msg - k, fmt, ap);
    return st;
}

oq_status oq_errorf(oq_diag *d, const oq_graph *g, uint32_t node, oq_status st, const char *fmt,
                    ...)
{
    va_list ap;
    va_start(ap, fmt);
    oq_status r = oq_verrorf(d, g, node, st, fmt, ap);
    va_end(ap);
    return r;
}

void oq_warnf(oq_diag *d, const oq_graph *g, uint32_t node, const char *fmt, ...)
{
    if (!d)
        return;
    d->nwarn++;
    if (!d->warn)
        return;
    char buf[1024];
    int k = prefix(buf, sizeof buf, d, g, node);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + k, sizeof buf - k, fmt, ap);
    va_end(ap);
    d->warn(d->warn_ctx, buf);
}
