/* svg.c - line charts written as standalone SVG, for a person to read on a white background.
 *
 * The layout is fixed where fixing it costs nothing and computed where the content decides:
 *
 *   +--------------------------------------------------+
 *   |                     title                        |
 *   | y  ticks |‾‾‾‾‾‾‾‾‾‾‾ plot, grid ‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾| |
 *   | title    |_______________________________________| |
 *   |            x tick labels                         |
 *   |                   x title                        |
 *   |  legend: one entry per line, in as many columns  |
 *   |  as the longest name allows                      |
 *   +--------------------------------------------------+
 *
 * The width is WIDTH and the plot PLOT_H high; the height grows with the rows of the legend.
 * The y axis runs from min(0, smallest value) to a "nice" top (1, 2 or 5 times a power of ten
 * per tick, whole numbers for counts). The x axis puts the points at equal distances and labels
 * as many as fit without overlap, at a step that follows the axis' natural cycle (a divisor or a
 * multiple of 12 months or 52 weeks) and at points aligned with it (January, week 1), so labels
 * read as a calendar. Lines break at missing values; a point alone is drawn as a dot, and with
 * few points every value gets a dot. Colours are eight hues distinguishable on white (and from
 * each other by people with the common colour-vision deficiencies, as far as eight can be) and
 * grey for the ninth and after, which is where callers put "other".
 *
 * Text goes through escape(): XML's five special characters become entities, control
 * characters and any byte of a string that is not valid UTF-8 become '?', so the output is
 * always well-formed XML. Everything is appended to the caller's vg_buf, whose cap bounds the
 * document. No state; thread-safe. */
#include "vigil/svg.h"
#include "vigil/text.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define WIDTH 960
#define MARGIN_LEFT 84
#define MARGIN_RIGHT 44
#define MARGIN_TOP 60
#define PLOT_H 400
#define CHAR_W 7.0 /* estimated width of a character of 12px text */
#define LEGEND_ROW 22
#define LEGEND_NAME_MAX 60 /* characters of a name shown in the legend */
#define MARKERS_MAX 60     /* points up to which every value gets a dot */

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                      "#9467bd", "#8c564b", "#e377c2", "#17becf"};
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))
#define GREY "#7f7f7f"

static const char *colour(size_t i)
{
    return i < NPALETTE ? palette[i] : GREY;
}

/* Appends s escaped for XML text or attributes; at most max characters (0: all), then "…".
 * Returns a vg_buf code. */
static int escape(struct vg_buf *b, const char *s, size_t max)
{
    size_t n = strlen(s), chars = 0;
    int utf8 = vg_text_is_utf8(s, n);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (utf8 && (ch & 0xC0) == 0x80) { /* continuation byte: same character */
            rc = vg_buf_putc(b, (char)ch);
            continue;
        }
        if (max && chars == max) {
            rc = vg_buf_append(b, "\xE2\x80\xA6", 3);
            break;
        }
        chars++;
        switch (ch) {
        case '&':
            rc = vg_buf_append(b, "&amp;", 5);
            break;
        case '<':
            rc = vg_buf_append(b, "&lt;", 4);
            break;
        case '>':
            rc = vg_buf_append(b, "&gt;", 4);
            break;
        case '"':
            rc = vg_buf_append(b, "&quot;", 6);
            break;
        case '\'':
            rc = vg_buf_append(b, "&apos;", 6);
            break;
        default:
            rc = vg_buf_putc(b, ch < 0x20 || ch == 0x7F || (!utf8 && ch >= 0x80) ? '?' : (char)ch);
        }
    }
    return rc;
}

/* Number of characters (not bytes) of s, for width estimates. */
static size_t text_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

struct scale {
    double lo, hi, step;
    int decimals;
};

static void y_scale(const struct vg_svg_chart *c, struct scale *sc)
{
    double lo = 0, hi = 0; /* the axis always shows 0 */
    for (size_t l = 0; l < c->nlines; l++)
        for (size_t i = 0; i < c->npoints; i++) {
            double v = c->lines[l].y[i];
            if (isfinite(v) && v > hi)
                hi = v;
            if (isfinite(v) && v < lo)
                lo = v;
        }
    if (hi <= lo)
        hi = lo + 1;
    double raw = (hi - lo) / 5;
    double mag = pow(10, floor(log10(raw)));
    double f = raw / mag;
    double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
    if (c->y_integer && step < 1)
        step = 1;
    sc->step = step;
    sc->lo = floor(lo / step) * step;
    sc->hi = ceil(hi / step) * step;
    if (sc->hi <= sc->lo)
        sc->hi = sc->lo + step;
    int d = (int)-floor(log10(step) + 1e-9);
    sc->decimals = d > 0 && !c->y_integer ? d : 0;
}

/* The smallest step of the x labels that is at least need and fits the cycle. */
static size_t x_step(size_t need, size_t cycle)
{
    if (need <= 1)
        return 1;
    if (cycle > 1) {
        for (size_t d = 2; d <= cycle; d++)
            if (cycle % d == 0 && d >= need)
                return d;
        static const size_t mult[] = {2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000};
        for (size_t i = 0; i < sizeof(mult) / sizeof(mult[0]); i++)
            if (cycle * mult[i] >= need)
                return cycle * mult[i];
        return need;
    }
    for (size_t p = 1; p <= need * 10; p *= 10) {
        if (p >= need)
            return p;
        if (2 * p >= need)
            return 2 * p;
        if (5 * p >= need)
            return 5 * p;
    }
    return need;
}

static double px(const struct vg_svg_chart *c, size_t i)
{
    double x0 = MARGIN_LEFT, x1 = WIDTH - MARGIN_RIGHT;
    if (c->npoints <= 1)
        return (x0 + x1) / 2;
    return x0 + (x1 - x0) * (double)i / (double)(c->npoints - 1);
}

static double py(const struct scale *sc, double v)
{
    return MARGIN_TOP + PLOT_H - (v - sc->lo) / (sc->hi - sc->lo) * PLOT_H;
}

/* Appends a <text> element. anchor: "start", "middle" or "end". */
static int text(struct vg_buf *b, double x, double y, const char *anchor, const char *attrs,
                const char *s, size_t max)
{
    int rc = vg_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s%s>", x, y, anchor,
                           attrs ? " " : "", attrs ? attrs : "");
    if (!rc)
        rc = escape(b, s, max);
    if (!rc)
        rc = vg_buf_printf(b, "</text>\n");
    return rc;
}

static int draw_line(struct vg_buf *b, const struct vg_svg_chart *c, const struct scale *sc,
                     size_t l)
{
    const struct vg_svg_line *line = &c->lines[l];
    const char *name = line->name ? line->name : "(unknown)";
    int rc = vg_buf_printf(b,
                           "<g fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
                           "stroke-linejoin=\"round\">\n<title>",
                           colour(l));
    if (!rc)
        rc = escape(b, name, 0);
    if (!rc)
        rc = vg_buf_printf(b, "</title>\n");
    size_t i = 0;
    while (!rc && i < c->npoints) {
        while (i < c->npoints && !isfinite(line->y[i]))
            i++;
        size_t start = i;
        while (i < c->npoints && isfinite(line->y[i]))
            i++;
        if (i - start == 1 && c->npoints > MARKERS_MAX) {
            rc = vg_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
                               px(c, start), py(sc, line->y[start]), colour(l));
        } else if (i - start > 1) {
            rc = vg_buf_printf(b, "<polyline points=\"");
            for (size_t j = start; j < i && !rc; j++)
                rc = vg_buf_printf(b, "%s%.1f,%.1f", j > start ? " " : "", px(c, j),
                                   py(sc, line->y[j]));
            if (!rc)
                rc = vg_buf_printf(b, "\"/>\n");
        }
    }
    if (c->npoints <= MARKERS_MAX)
        for (size_t j = 0; j < c->npoints && !rc; j++)
            if (isfinite(line->y[j]))
                rc = vg_buf_printf(b,
                                   "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\" "
                                   "stroke=\"none\"/>\n",
                                   px(c, j), py(sc, line->y[j]), colour(l));
    if (!rc)
        rc = vg_buf_printf(b, "</g>\n");
    return rc;
}

int vg_svg_render(struct vg_buf *b, const struct vg_svg_chart *c, struct vg_error *err)
{
    if (c->nlines > VG_SVG_MAX_LINES)
        return vg_error_set(err, VG_EINVAL, "a chart has at most %d lines", VG_SVG_MAX_LINES);
    if (c->npoints > VG_SVG_MAX_POINTS)
        return vg_error_set(err, VG_EINVAL, "a chart has at most %d points", VG_SVG_MAX_POINTS);
    if (c->npoints && !c->x_labels)
        return vg_error_set(err, VG_EINVAL, "the points of a chart need labels");
    for (size_t l = 0; l < c->nlines; l++)
        if (c->npoints && !c->lines[l].y)
            return vg_error_set(err, VG_EINVAL, "line %zu of the chart has no values", l);

    struct scale sc;
    y_scale(c, &sc);
    double x0 = MARGIN_LEFT, x1 = WIDTH - MARGIN_RIGHT;
    double top = MARGIN_TOP, bottom = MARGIN_TOP + PLOT_H;

    /* Legend geometry: columns as wide as the longest entry allows. */
    size_t longest = 0;
    for (size_t l = 0; l < c->nlines; l++) {
        size_t n = text_chars(c->lines[l].name ? c->lines[l].name : "(unknown)");
        if (n > LEGEND_NAME_MAX)
            n = LEGEND_NAME_MAX + 1;
        if (n > longest)
            longest = n;
    }
    double entry_w = 36 + (double)longest * CHAR_W + 24;
    size_t cols = (size_t)((WIDTH - 2 * 24) / entry_w);
    if (cols < 1)
        cols = 1;
    if (cols > c->nlines)
        cols = c->nlines ? c->nlines : 1;
    size_t rows = (c->nlines + cols - 1) / cols;
    double col_w = (double)(WIDTH - 2 * 24) / (double)cols;
    double legend_top = bottom + 70;
    int height = (int)(legend_top + (double)rows * LEGEND_ROW + 16);

    int rc = vg_buf_printf(b,
                           "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                           "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                           "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Arial, Helvetica, "
                           "sans-serif\" font-size=\"12\" fill=\"#222222\">\n",
                           WIDTH, height, WIDTH, height);
    if (!rc && c->title) {
        rc = vg_buf_printf(b, "<title>");
        if (!rc)
            rc = escape(b, c->title, 0);
        if (!rc)
            rc = vg_buf_printf(b, "</title>\n");
    }
    if (!rc)
        rc = vg_buf_printf(b,
                           "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
                           WIDTH, height);
    if (!rc && c->title)
        rc = text(b, WIDTH / 2.0, 34, "middle", "font-size=\"18\" font-weight=\"bold\"", c->title,
                  0);

    /* Grid and y ticks. */
    if (!rc)
        rc = vg_buf_printf(b, "<g stroke=\"#dddddd\" stroke-width=\"1\">\n");
    size_t nticks = (size_t)llround((sc.hi - sc.lo) / sc.step);
    for (size_t k = 0; k <= nticks && !rc; k++)
        rc = vg_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x0,
                           py(&sc, sc.lo + (double)k * sc.step), x1,
                           py(&sc, sc.lo + (double)k * sc.step));
    if (!rc)
        rc = vg_buf_printf(b, "</g>\n<g text-anchor=\"end\">\n");
    for (size_t k = 0; k <= nticks && !rc; k++) {
        double v = sc.lo + (double)k * sc.step;
        if (fabs(v) < sc.step * 1e-9)
            v = 0;
        rc = vg_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" dy=\"0.32em\">%.*f</text>\n", x0 - 8,
                           py(&sc, v), sc.decimals, v);
    }
    if (!rc)
        rc = vg_buf_printf(b, "</g>\n");

    /* x ticks and labels. */
    size_t label_chars = 1;
    for (size_t i = 0; i < c->npoints; i++) {
        size_t n = c->x_labels[i] ? text_chars(c->x_labels[i]) : 0;
        if (n > label_chars)
            label_chars = n;
    }
    size_t fit = (size_t)((x1 - x0) / ((double)label_chars * CHAR_W + 18)) + 1;
    size_t step = x_step(c->npoints ? (c->npoints + fit - 1) / fit : 1, c->x_cycle);
    size_t labelled = 0;
    for (size_t pass = 0; pass < 2 && !rc && !labelled; pass++) {
        for (size_t i = 0; i < c->npoints && !rc; i++) {
            size_t pos = c->x_pos ? c->x_pos[i] : c->x_phase + i;
            int tick = step == 1 || (pos % step == 0 && !(c->x_pos && i && c->x_pos[i - 1] == pos));
            if (pass == 0 ? !tick : i != 0)
                continue;
            labelled++;
            rc = vg_buf_printf(b,
                               "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                               "stroke=\"#222222\"/>\n",
                               px(c, i), bottom, px(c, i), bottom + 5);
            if (!rc)
                rc = text(b, px(c, i), bottom + 20, "middle", NULL,
                          c->x_labels[i] ? c->x_labels[i] : "", 0);
        }
    }

    /* Axes. */
    if (!rc)
        rc = vg_buf_printf(b,
                           "<g stroke=\"#222222\" stroke-width=\"1.2\">\n"
                           "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n"
                           "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n</g>\n",
                           x0, top, x0, bottom, x0, bottom, x1, bottom);
    if (!rc && c->x_title)
        rc = text(b, (x0 + x1) / 2, bottom + 46, "middle", "font-size=\"13\"", c->x_title, 0);
    if (!rc && c->y_title) {
        char attrs[96];
        snprintf(attrs, sizeof(attrs), "font-size=\"13\" transform=\"rotate(-90 20 %.1f)\"",
                 (top + bottom) / 2);
        rc = text(b, 20, (top + bottom) / 2, "middle", attrs, c->y_title, 0);
    }

    /* Lines, or the note that there is nothing to draw. */
    if (!rc && c->npoints == 0)
        rc = text(b, (x0 + x1) / 2, (top + bottom) / 2, "middle", "font-size=\"14\"",
                  c->empty_note ? c->empty_note : "no data", 0);
    for (size_t l = 0; l < c->nlines && !rc && c->npoints; l++)
        rc = draw_line(b, c, &sc, l);

    /* Legend. */
    for (size_t l = 0; l < c->nlines && !rc; l++) {
        double ex = 24 + (double)(l % cols) * col_w;
        double ey = legend_top + (double)(l / cols) * LEGEND_ROW;
        const char *name = c->lines[l].name ? c->lines[l].name : "(unknown)";
        rc = vg_buf_printf(b, "<g><title>");
        if (!rc)
            rc = escape(b, name, 0);
        if (!rc)
            rc = vg_buf_printf(b,
                               "</title><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                               "stroke=\"%s\" stroke-width=\"3\"/>\n",
                               ex, ey, ex + 28, ey, colour(l));
        if (!rc)
            rc = text(b, ex + 36, ey, "start", "dy=\"0.32em\"", name, LEGEND_NAME_MAX);
        if (!rc)
            rc = vg_buf_printf(b, "</g>\n");
    }
    if (!rc)
        rc = vg_buf_printf(b, "</svg>\n");
    if (rc == VG_ETOOBIG)
        return vg_error_set(err, rc, "the chart is larger than %zu bytes", b->cap);
    if (rc)
        return vg_error_set(err, rc, "out of memory");
    return 0;
}
