/* svg.h - line charts as standalone SVG documents.
 *
 * A chart is a set of lines over the same points on the x axis (periods, say), each point with a
 * label. The document has a white background, a title, both axes with tick labels and titles,
 * light grid lines, and a legend naming each line in its colour; it is a complete XML document
 * that browsers and image viewers open as it is. Text is escaped for XML; bytes that are not
 * UTF-8 or are control characters become '?'. */
#ifndef VIGIL_SVG_H
#define VIGIL_SVG_H

#include "vigil/error.h"
#include "vigil/mem.h"

#include <stddef.h>

#define VG_SVG_MAX_LINES 16
#define VG_SVG_MAX_POINTS 100000

struct vg_svg_line {
    const char *name; /* legend text; NULL shows as "(unknown)" */
    const double *y;  /* npoints values; NAN: no value, the line breaks there */
};

struct vg_svg_chart {
    const char *title, *x_title, *y_title; /* NULL: none */
    const char *const *x_labels;           /* npoints labels */
    size_t npoints;
    const struct vg_svg_line *lines;
    size_t nlines;
    size_t x_cycle; /* points in a natural cycle of the x axis (12 months, 52 weeks), which tick
                       spacing follows; 0: steps of 1, 2, 5, 10, ... */
    size_t x_phase; /* position of point 0 in that cycle (0 = the cycle's start) */
    const size_t *x_pos;    /* NULL, or the position of each point on the cycle's axis, for axes
                               whose cycles vary in length (ISO years of 52 or 53 weeks): point i
                               is labelled when x_pos[i] is a multiple of the step and differs from
                               x_pos[i - 1] (every point is when all fit); x_phase is then
                               unused */
    int y_integer;          /* 1: the values are counts, y ticks are whole numbers */
    const char *empty_note; /* shown in the plot when there is no point (NULL: "no data") */
};

/* Appends the chart as an SVG document to b. Returns 0; VG_EINVAL when there are more than
 * VG_SVG_MAX_LINES lines or VG_SVG_MAX_POINTS points or no labels; VG_ETOOBIG when b's cap is
 * reached (b then holds a part of the document: discard it); VG_ENOMEM. */
int vg_svg_render(struct vg_buf *b, const struct vg_svg_chart *c, struct vg_error *err);

#endif
