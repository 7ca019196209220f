/* Observer lifetime and the kind table (OQ_OBSERVER_LIST in observer.h is the only list).
 * Running min/max start at +inf/-inf like PyTorch's buffers; histograms start empty. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "observer.h"

static const struct {
    const char *name;
    const oq_observer_vt *vt;
} kinds[] = {
#define OQ_X(id, str, vt) {str, &vt},
    OQ_OBSERVER_LIST(OQ_X)
#undef OQ_X
};

oq_obs_kind oq_observer_lookup(const char *name)
{
    for (int k = 0; k < OQ_OBS_COUNT; k++)
        if (name && strcmp(kinds[k].name, name) == 0)
            return (oq_obs_kind)k;
    return OQ_OBS_COUNT;
}

const char *oq_observer_name(oq_obs_kind k)
{
    return (unsigned)k < OQ_OBS_COUNT ? kinds[k].name : "?";
}

oq_status oq_observer_init(oq_observer *o, oq_obs_kind kind, int32_t axis, uint32_t nch,
                           oq_diag *d)
{
    memset(o, 0, sizeof *o);
    if ((unsigned)kind >= OQ_OBS_COUNT)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "unknown observer kind %d", (int)kind);
    o->vt = kinds[kind].vt;
    o->kind = kind;
    o->axis = axis < 0 ? -1 : axis;
    o->nch = axis < 0 ? 1 : nch;
    if (o->nch == 0)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "per-channel observer with 0 channels");
    if (o->vt->histogram && axis >= 0)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE,
                         "observer '%s' is per-tensor only (as in PyTorch)", o->vt->name);
    o->avg_const = OQ_MOVAVG_CONST;
    o->percentile = 99.99f;
    o->min = malloc(o->nch * sizeof *o->min);
    o->max = malloc(o->nch * sizeof *o->max);
    if (o->vt->histogram) {
        o->bins = OQ_HIST_BINS;
        o->hist = calloc(o->bins, sizeof *o->hist);
    }
    if (!o->min || !o->max || (o->vt->histogram && !o->hist)) {
        oq_observer_free(o);
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory for an observer");
    }
    for (uint32_t c = 0; c < o->nch; c++) {
        o->min[c] = INFINITY;
        o->max[c] = -INFINITY;
    }
    o->hmin = INFINITY;
    o->hmax = -INFINITY;
    return OQ_OK;
}

void oq_observer_free(oq_observer *o)
{
    if (!o)
        return;
    free(o->min);
    free(o->max);
    free(o->hist);
    o->min = o->max = NULL;
    o->hist = NULL;
}
