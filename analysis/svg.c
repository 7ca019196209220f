/* analysis/svg.c: the checked writer (sticky error flag, escaping) and the small inline-SVG
 * vocabulary the HTML report draws with: scales, nice ticks, axes, rects, lines, polylines and
 * text. Coordinates are printed with one decimal, so output is byte-stable across runs. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "svg.h"

void oq_w_begin(oq_w *w, FILE *f)
{
    w->f = f;
    w->failed = false;
    w->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    w->old_locale = w->c_locale ? uselocale(w->c_locale) : (locale_t)0;
}

void oq_w_printf(oq_w *w, const char *fmt, ...)
{
    if (w->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vfprintf(w->f, fmt, ap);
    va_end(ap);
    if (k < 0)
        w->failed = true;
}

/* Writes n raw bytes. */
static void put(oq_w *w, const char *s, size_t n)
{
    if (w->failed || n == 0)
        return;
    if (fwrite(s, 1, n, w->f) != n)
        w->failed = true;
}

/* Escapes one byte into out (NUL-terminated); returns its text. */
static const char *xml_byte(unsigned char c, char out[2])
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    default: break;
    }
    out[0] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    out[1] = 0;
    return out;
}

void oq_w_xml_cut(oq_w *w, const char *s, int max)
{
    int cps = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xc0) != 0x80) {     /* a new code point starts */
            if (max >= 0 && cps == max) {
                put(w, "\xe2\x80\xa6", 3); /* U+2026 ellipsis */
                return;
            }
            cps++;
        }
        char one[2];
        const char *e = xml_byte(*p, one);
        put(w, e, strlen(e));
    }
}

void oq_w_xml(oq_w *w, const char *s) { oq_w_xml_cut(w, s, -1); }

void oq_w_xml_tail(oq_w *w, const char *s, int max)
{
    int n = oq_utf8_width(s);
    if (n <= max) {
        oq_w_xml(w, s);
        return;
    }
    put(w, "\xe2\x80\xa6", 3);
    int skip = n - (max > 1 ? max - 1 : 0); /* code points to drop (the ellipsis takes one) */
    const unsigned char *p = (const unsigned char *)s;
    for (; *p; p++)
        if ((*p & 0xc0) != 0x80 && skip-- == 0)
            break;
    oq_w_xml(w, (const char *)p);
}

int oq_utf8_width(const char *s)
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xc0) != 0x80;
    return n;
}

void oq_w_num(oq_w *w, double v, const char *nan_text, const char *inf_text)
{
    if (isnan(v)) {
        oq_w_printf(w, "%s", nan_text);
    } else if (isinf(v)) {
        oq_w_printf(w, "%s%s", v < 0 ? "-" : "", inf_text);
    } else {
        double a = fabs(v);
        if (a != 0 && (a < 1e-2 || a >= 1e6))
            oq_w_printf(w, "%.3g", v);
        else
            oq_w_printf(w, "%.2f", v == 0 ? 0.0 : v); /* no "-0.00" */
    }
}

oq_status oq_w_finish(oq_w *w, oq_diag *d, const char *what)
{
    errno = 0;
    if (!w->failed && (fflush(w->f) != 0 || ferror(w->f)))
        w->failed = true;
    int err = errno;
    if (w->c_locale) {
        uselocale(w->old_locale);
        freelocale(w->c_locale);
        w->c_locale = (locale_t)0;
    }
    errno = err;
    if (w->failed)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "writing the %s: %s", what,
                         errno ? strerror(errno) : "write failed");
    return OQ_OK;
}

/* ---------------------------------------------------------------- scales and ticks */

double oq_svg_map(const oq_svg_scale *s, double v)
{
    double d0 = s->d0, d1 = s->d1;
    if (s->log1p) {
        v = log10(1.0 + (v > 0 ? v : 0));
        d0 = log10(1.0 + (d0 > 0 ? d0 : 0));
        d1 = log10(1.0 + (d1 > 0 ? d1 : 0));
    }
    if (d1 == d0)
        return s->p0;
    return s->p0 + (v - d0) / (d1 - d0) * (s->p1 - s->p0);
}

/* The 1/2/5 x 10^k step nearest span / target. */
static double nice_step(double span, int target)
{
    double raw = span / (target > 0 ? target : 1);
    double p = pow(10.0, floor(log10(raw)));
    double m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

int oq_svg_ticks(double *lo, double *hi, int target, bool extend, double *ticks, int max)
{
    if (!(*hi > *lo)) {        /* empty or inverted domain: widen around the value */
        double c = isfinite(*lo) ? *lo : 0, r = fabs(c) > 0 ? fabs(c) * 0.5 : 1;
        *lo = c - r;
        *hi = c + r;
    }
    double step = nice_step(*hi - *lo, target);
    double first = ceil(*lo / step - 1e-9), last = floor(*hi / step + 1e-9);
    if (extend) {
        first = floor(*lo / step + 1e-9);
        last = ceil(*hi / step - 1e-9);
        *lo = first * step;
        *hi = last * step;
    }
    int n = 0;
    for (double k = first; k <= last + 1e-9 && n < max; k++) {
        double t = k * step;
        ticks[n++] = fabs(t) < step * 1e-9 ? 0.0 : t;
    }
    return n;
}

int oq_svg_log_ticks(double hi, double *ticks, int max)
{
    int n = 0;                 /* no 0 tick: it would sit on top of the 1 tick */
    for (double t = 1; t <= hi * 1.0000001 && n < max; t *= 10)
        ticks[n++] = t;
    return n;
}

void oq_svg_tick_label(char *buf, size_t n, double v, double step)
{
    double a = fabs(v);
    if (v == 0) {
        snprintf(buf, n, "0");
    } else if (a >= 1e6 || a < 1e-4 || step < 1e-4) {
        snprintf(buf, n, "%.3g", v);
    } else {
        int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
        if (dec > 6)
            dec = 6;
        snprintf(buf, n, "%.*f", dec, v);
    }
}

/* ---------------------------------------------------------------- elements */

void oq_svg_open(oq_w *w, const char *cls, double width, double height, const char *title)
{
    oq_w_printf(w, "<svg class=\"%s\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
                   "role=\"img\"><title>",
                cls, width, height, width, height);
    oq_w_xml(w, title);
    oq_w_printf(w, "</title>\n");
}

void oq_svg_close(oq_w *w) { oq_w_printf(w, "</svg>\n"); }

/* Writes ` name="v"` (v escaped) when v is set. */
static void attr(oq_w *w, const char *name, const char *v)
{
    if (v) {
        oq_w_printf(w, " %s=\"", name);
        oq_w_xml(w, v);
        oq_w_printf(w, "\"");
    }
}

void oq_svg_rect(oq_w *w, double x, double y, double width, double height, const char *cls,
                 const char *fill, const char *tip)
{
    if (width < 0) {
        x += width;
        width = -width;
    }
    if (height < 0) {
        y += height;
        height = -height;
    }
    oq_w_printf(w, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"", x, y, width,
                height);
    attr(w, "class", cls);
    attr(w, "fill", fill);
    if (tip) {
        oq_w_printf(w, "><title>");
        oq_w_xml(w, tip);
        oq_w_printf(w, "</title></rect>\n");
    } else {
        oq_w_printf(w, "/>\n");
    }
}

void oq_svg_line(oq_w *w, double x1, double y1, double x2, double y2, const char *cls,
                 const char *stroke, const char *dash)
{
    oq_w_printf(w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"", x1, y1, x2, y2);
    attr(w, "class", cls);
    attr(w, "stroke", stroke);
    attr(w, "stroke-dasharray", dash);
    oq_w_printf(w, "/>\n");
}

void oq_svg_polyline(oq_w *w, const double *x, const double *y, int n, const char *cls,
                     const char *stroke, const char *fill)
{
    oq_w_printf(w, "<polyline points=\"");
    for (int i = 0; i < n; i++)
        oq_w_printf(w, "%s%.1f,%.1f", i ? " " : "", x[i], y[i]);
    oq_w_printf(w, "\"");
    attr(w, "class", cls);
    attr(w, "stroke", stroke);
    attr(w, "fill", fill ? fill : "none");
    oq_w_printf(w, "/>\n");
}

void oq_svg_steps(oq_w *w, const double *xe, const double *y, int nbins, double base,
                  const char *cls, const char *fill)
{
    char last[32], cur[32];
    oq_w_printf(w, "<path d=\"M%.1f %.1f", xe[0], base);
    snprintf(last, sizeof last, "%.1f", base);
    for (int i = 0; i < nbins; i++) {
        snprintf(cur, sizeof cur, "%.1f", y[i]);
        if (strcmp(cur, last) != 0) {
            oq_w_printf(w, "V%s", cur);
            memcpy(last, cur, sizeof last);
        }
        bool run_ends = i + 1 == nbins;   /* the next bin has another (printed) height */
        if (!run_ends) {
            snprintf(cur, sizeof cur, "%.1f", y[i + 1]);
            run_ends = strcmp(cur, last) != 0;
        }
        if (run_ends)
            oq_w_printf(w, "H%.1f", xe[i + 1]);
    }
    oq_w_printf(w, "V%.1fZ\"", base);
    attr(w, "class", cls);
    attr(w, "fill", fill);
    oq_w_printf(w, "/>\n");
}

void oq_svg_text(oq_w *w, double x, double y, const char *anchor, const char *cls,
                 const char *text)
{
    oq_w_printf(w, "<text x=\"%.1f\" y=\"%.1f\"", x, y);
    if (anchor && strcmp(anchor, "start") != 0)
        attr(w, "text-anchor", anchor);
    attr(w, "class", cls);
    oq_w_printf(w, ">");
    oq_w_xml(w, text);
    oq_w_printf(w, "</text>\n");
}

void oq_svg_axis_x(oq_w *w, const oq_svg_scale *s, double y, const double *ticks, int n,
                   double grid_y, const char *label)
{
    double step = n > 1 ? ticks[1] - ticks[0] : 1;
    oq_w_printf(w, "<g class=\"oq-axis\">\n");
    oq_svg_line(w, s->p0, y, s->p1, y, "oq-axis-line", NULL, NULL);
    for (int i = 0; i < n; i++) {
        double x = oq_svg_map(s, ticks[i]);
        char buf[32];
        oq_svg_tick_label(buf, sizeof buf, ticks[i], step);
        if (grid_y != y)
            oq_svg_line(w, x, grid_y, x, y, "oq-grid", NULL, NULL);
        oq_svg_line(w, x, y, x, y + 4, "oq-axis-line", NULL, NULL);
        oq_svg_text(w, x, y + 15, "middle", "oq-tick", buf);
    }
    if (label)
        oq_svg_text(w, (s->p0 + s->p1) / 2, y + 30, "middle", "oq-axis-label", label);
    oq_w_printf(w, "</g>\n");
}

void oq_svg_axis_y(oq_w *w, const oq_svg_scale *s, double x, const double *ticks, int n,
                   const char *cls)
{
    double step = n > 1 ? ticks[1] - ticks[0] : 1;
    oq_w_printf(w, "<g class=\"oq-axis%s%s\">\n", cls ? " " : "", cls ? cls : "");
    oq_svg_line(w, x, s->p0, x, s->p1, "oq-axis-line", NULL, NULL);
    for (int i = 0; i < n; i++) {
        double y = oq_svg_map(s, ticks[i]);
        char buf[32];
        if (s->log1p && ticks[i] >= 1e4)
            snprintf(buf, sizeof buf, "1e%d", (int)lround(log10(ticks[i])));
        else
            oq_svg_tick_label(buf, sizeof buf, ticks[i], s->log1p ? 1 : step);
        oq_svg_line(w, x - 4, y, x, y, "oq-axis-line", NULL, NULL);
        oq_svg_text(w, x - 6, y + 4, "end", "oq-tick", buf);
    }
    oq_w_printf(w, "</g>\n");
}
