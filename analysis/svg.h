/* analysis/svg.h: a tiny checked text writer and inline-SVG drawing helpers for the report
 * renderers (render_html.c, render_json.c, render_text.c). Every write goes through oq_w, whose
 * error flag is sticky: draw everything, then ask oq_w_finish once. Numbers are printed with
 * fixed formats in the C locale, so the same input gives the same bytes. The SVG is meant to be
 * inlined in HTML5: no xmlns, no external references, no scripts. */
#ifndef OQ_SVG_H
#define OQ_SVG_H
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>

#include "../ir/ir.h"

/* A checked writer over a FILE the caller owns; numbers are printed in the C locale whatever
 * the program's locale (JSON needs '.' decimal points). */
typedef struct oq_w {
    FILE *f;                   /* destination (not closed here) */
    bool failed;               /* a write failed (sticky) */
    locale_t c_locale;         /* the C locale, (locale_t)0 if newlocale failed */
    locale_t old_locale;       /* this thread's locale before oq_w_begin */
} oq_w;

/* Starts writing to f: switches this thread to the C locale until oq_w_finish. */
OQ_INTERNAL void oq_w_begin(oq_w *w, FILE *f);

/* printf to w->f; sets w->failed on error. Does nothing once failed. */
OQ_INTERNAL void oq_w_printf(oq_w *w, const char *fmt, ...) OQ_PRINTF(2, 3);
/* Writes s with XML/HTML escaping (& < > " ') and control bytes replaced by '?'. */
OQ_INTERNAL void oq_w_xml(oq_w *w, const char *s);
/* Same, at most max code points, ending with an ellipsis when cut. */
OQ_INTERNAL void oq_w_xml_cut(oq_w *w, const char *s, int max);
/* Same, the last max code points, starting with an ellipsis when cut (paths keep their tail). */
OQ_INTERNAL void oq_w_xml_tail(oq_w *w, const char *s, int max);
/* Writes a double as "%.2f" (or "%.3g" outside [1e-2, 1e6)); NAN -> nan_text, +-inf -> inf text. */
OQ_INTERNAL void oq_w_num(oq_w *w, double v, const char *nan_text, const char *inf_text);
/* Flushes, restores the thread's locale and reports: IO error (with strerror) into d when any
 * write failed. Call exactly once after oq_w_begin. */
OQ_INTERNAL oq_status oq_w_finish(oq_w *w, oq_diag *d, const char *what) OQ_NODISCARD;

/* Code points in a UTF-8 string (continuation bytes not counted): its display width. */
OQ_INTERNAL int oq_utf8_width(const char *s);

/* A linear (or log1p) map from data domain [d0, d1] to pixels [p0, p1]. */
typedef struct oq_svg_scale {
    double d0, d1;             /* data domain (d0 != d1) */
    double p0, p1;             /* pixel range (may be reversed, e.g. y) */
    bool log1p;                /* map log10(1 + v) instead of v (counts); domain in counts */
} oq_svg_scale;

/* Pixel position of data value v (not clamped). */
OQ_INTERNAL double oq_svg_map(const oq_svg_scale *s, double v);
/* Up to max "nice" ticks (1, 2, 5 x 10^k) covering [lo, hi] with about `target` steps; widens
 * *lo / *hi outward to multiples of the step when extend. Returns the tick count. */
OQ_INTERNAL int oq_svg_ticks(double *lo, double *hi, int target, bool extend, double *ticks,
                             int max);
/* Ticks 1, 10, 100, ... up to hi (for a log1p count axis). Returns the count. */
OQ_INTERNAL int oq_svg_log_ticks(double hi, double *ticks, int max);

/* <svg class=cls width height viewBox> with a <title>; close with oq_svg_close. */
OQ_INTERNAL void oq_svg_open(oq_w *w, const char *cls, double width, double height,
                             const char *title);
OQ_INTERNAL void oq_svg_close(oq_w *w);
/* A rectangle; cls may be NULL, fill may be NULL (CSS decides); tip (escaped) a hover title. */
OQ_INTERNAL void oq_svg_rect(oq_w *w, double x, double y, double width, double height,
                             const char *cls, const char *fill, const char *tip);
/* A line with an optional class, stroke colour and dash pattern (NULL = none). */
OQ_INTERNAL void oq_svg_line(oq_w *w, double x1, double y1, double x2, double y2,
                             const char *cls, const char *stroke, const char *dash);
/* A polyline through n points (x[i], y[i]); fill NULL = none. */
OQ_INTERNAL void oq_svg_polyline(oq_w *w, const double *x, const double *y, int n,
                                 const char *cls, const char *stroke, const char *fill);
/* A filled step outline (histogram): bins i spans [xe[i], xe[i+1]] at height y[i], closed along
 * the baseline `base`; equal neighbouring heights merge, so empty tails cost nothing. */
OQ_INTERNAL void oq_svg_steps(oq_w *w, const double *xe, const double *y, int nbins, double base,
                              const char *cls, const char *fill);
/* Text at (x, y); anchor "start" | "middle" | "end"; the text is escaped. */
OQ_INTERNAL void oq_svg_text(oq_w *w, double x, double y, const char *anchor, const char *cls,
                             const char *text);
/* Horizontal axis at pixel y: line, tick marks and labels below (grid lines up to grid_y when
 * grid_y != y). Tick labels use oq_svg_tick_label. */
OQ_INTERNAL void oq_svg_axis_x(oq_w *w, const oq_svg_scale *s, double y, const double *ticks,
                               int n, double grid_y, const char *label);
/* Vertical axis at pixel x: line, tick marks and labels to the left; cls groups it (e.g. for a
 * CSS toggle between linear and log counts). */
OQ_INTERNAL void oq_svg_axis_y(oq_w *w, const oq_svg_scale *s, double x, const double *ticks,
                               int n, const char *cls);
/* Formats a tick value: fixed decimals from the step, or %.3g for very small/large values. */
OQ_INTERNAL void oq_svg_tick_label(char *buf, size_t n, double v, double step);
#endif
