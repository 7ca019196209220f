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

/* The op type of node n as messages print it. */
static const char *op_type_of(const oq_graph *g, uint32_t n)
{
    const oq_node *nd = &g->nodes[n];
    return nd->op_type ? nd->op_type : oq_op_info(nd->op)->name;
}

bool oq_unsup_take(oq_unsup *u, const oq_graph *g, uint32_t node, oq_diag *d)
{
    if (d->status != OQ_ERR_UNSUPPORTED_OP && d->status != OQ_ERR_UNSUPPORTED_ATTR &&
        d->status != OQ_ERR_DTYPE)
        return false;
    if (!g || node == OQ_NONE || node >= g->nnode)
        return false;
    char pre[512];
    size_t k = (size_t)prefix(pre, sizeof pre, d, g, node);
    const char *why = strncmp(d->msg, pre, k) == 0 ? d->msg + k : d->msg;
    if (u->n == 0 && u->more == 0)
        u->st = d->status;
    uint32_t i = 0;
    while (i < u->n && (strcmp(op_type_of(g, u->it[i].node[0]), op_type_of(g, node)) != 0 ||
                        strcmp(u->it[i].reason, why) != 0))
        i++;
    if (i == u->n && u->n == OQ_UNSUP_MAX) {
        u->more++;
    } else {
        if (i == u->n) {
            u->n++;
            u->it[i].count = 0;
            size_t len = strlen(why), cap = sizeof u->it[i].reason;
            len = len < cap ? len : cap - 1;
            memcpy(u->it[i].reason, why, len);
            u->it[i].reason[len] = '\0';
        }
        if (u->it[i].count < 3)
            u->it[i].node[u->it[i].count] = node;
        u->it[i].count++;
    }
    d->status = OQ_OK;
    d->msg[0] = '\0';
    return true;
}

oq_status oq_unsup_report(const oq_unsup *u, const oq_graph *g, const char *who, oq_diag *d)
{
    if (u->n == 0)
        return OQ_OK;
    /* op types counted once even when they appear with two reasons */
    uint32_t ntypes = 0, nnodes = u->more;
    for (uint32_t i = 0; i < u->n; i++) {
        bool dup = false;
        for (uint32_t j = 0; j < i && !dup; j++)
            dup = strcmp(op_type_of(g, u->it[j].node[0]), op_type_of(g, u->it[i].node[0])) == 0;
        ntypes += !dup;
        nnodes += u->it[i].count;
    }
    /* every pair gets its op type and nodes; the reasons share what d->msg has left */
    size_t names = 0;
    for (uint32_t i = 0; i < u->n; i++) {
        names += 30 + strlen(op_type_of(g, u->it[i].node[0]));
        for (uint32_t j = 0; j < u->it[i].count && j < 3; j++)
            names += 4 + strlen(g->nodes[u->it[i].node[j]].name);
    }
    size_t room = sizeof d->msg > names + 160 ? sizeof d->msg - names - 160 : 0;
    int rmax = (int)(room / u->n > 40 ? room / u->n : 40);
    char buf[4096];
    size_t k = 0;
#define PUT(...)                                                                              \
    do {                                                                                       \
        if (k < sizeof buf) {                                                                  \
            int w_ = snprintf(buf + k, sizeof buf - k, __VA_ARGS__);                           \
            k = w_ < 0 ? sizeof buf : k + (size_t)w_;                                          \
        }                                                                                      \
    } while (0)
    PUT("%s cannot run %u op type%s (%u node%s): ", who, ntypes, ntypes == 1 ? "" : "s",
        nnodes, nnodes == 1 ? "" : "s");
    for (uint32_t i = 0; i < u->n; i++) {
        uint32_t c = u->it[i].count, shown = c < 3 ? c : 3;
        PUT("%s%s (%u node%s: ", i ? "; " : "", op_type_of(g, u->it[i].node[0]), c,
            c == 1 ? "" : "s");
        for (uint32_t j = 0; j < shown; j++)
            PUT("%s'%s'", j ? ", " : "", g->nodes[u->it[i].node[j]].name);
        int rlen = (int)strlen(u->it[i].reason);
        PUT("%s): %.*s%s", c > shown ? ", ..." : "", rlen > rmax ? rmax - 3 : rlen,
            u->it[i].reason, rlen > rmax ? "..." : "");
    }
    if (u->more)
        PUT("; and %u more node%s", u->more, u->more == 1 ? "" : "s");
#undef PUT
    if (k >= sizeof buf)
        memcpy(buf + sizeof buf - 4, "...", 4);
    return oq_errorf(d, g, OQ_NONE, u->st, "%s", buf);
}
