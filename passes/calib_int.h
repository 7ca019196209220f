/* The calibration state's layout, shared by calibrate.c (observing), calib_data.c (reading
 * sample files) and calib_io.c (save / load). Internal to passes/. */
#ifndef OQ_CALIB_INT_H
#define OQ_CALIB_INT_H
#include "passes.h"

struct oq_interp;

struct oq_calib {
    uint32_t nvalue;           /* g->nvalue when created (the graph must not change after) */
    uint32_t *slot;            /* value id -> state index, OQ_NONE = not observed */
    uint32_t nstate;           /* observed values */
    oq_observer *hist;         /* per state: running histogram + exact min/max */
    oq_observer *avg;          /* per state: moving-average min/max */
    uint32_t nsamples;         /* samples fed */
    struct oq_interp *it;      /* interpreter over g, made on the first feed */
    const oq_graph *g;         /* graph of it */
    bool borrowed;             /* hist/avg belong to another state (oq_calib_view) */
};
#endif
