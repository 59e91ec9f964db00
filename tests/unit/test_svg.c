/* test_svg.c - line charts as SVG (src/analyze/svg.c).
 *
 * The documents are read back as text: that the elements open and close in balance, that text
 * is escaped, that the axes have the ticks worked out below, that lines break at missing
 * values, that the legend names every line. (The command-line test parses the charts the
 * program writes with an XML parser as well.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "vigil/mem.h"
#include "vigil/svg.h"

#include <math.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Renders c into a fresh buffer, checks the frame of the document and returns it (free with
 * vg_buf_cleanup). */
static void render(const struct vg_svg_chart *c, struct vg_buf *b)
{
    struct vg_error err;
    vg_error_clear(&err);
    vg_buf_init(b, (size_t)1 << 24);
    if (vg_svg_render(b, c, &err) != 0)
        fail_msg("render: %s", err.message);
    assert_true(b->len > 0);
    assert_int_equal(strncmp(b->data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 44), 0);
    assert_non_null(strstr(b->data, "xmlns=\"http://www.w3.org/2000/svg\""));
    assert_string_equal(b->data + b->len - 7, "</svg>\n");
    /* Elements in balance. */
    assert_int_equal(count(b->data, "<g"), count(b->data, "</g>"));
    assert_int_equal(count(b->data, "<text"), count(b->data, "</text>"));
    assert_int_equal(count(b->data, "<title>"), count(b->data, "</title>"));
    assert_int_equal(count(b->data, "<svg"), 1);
    /* A white background. */
    assert_non_null(strstr(b->data, "fill=\"#ffffff\""));
}

static void test_chart(void **state)
{
    (void)state;
    const char *labels[] = {"2021", "2022", "2023", "2024", "2025"};
    const double a[] = {1, 3, 7, 2, 0};
    const double b_[] = {0, NAN, 4, 5, 6};
    const struct vg_svg_line lines[] = {{"Group A", a}, {NULL, b_}};
    struct vg_svg_chart c;
    memset(&c, 0, sizeof(c));
    c.title = "Incidents per year";
    c.x_title = "year";
    c.y_title = "incidents";
    c.x_labels = labels;
    c.npoints = N(labels);
    c.lines = lines;
    c.nlines = N(lines);
    c.y_integer = 1;
    c.x_phase = 2021;
    struct vg_buf b;
    render(&c, &b);
    const char *s = b.data;

    /* Title (as a heading and as the document's title), axis titles. */
    assert_non_null(strstr(s, "<title>Incidents per year</title>"));
    assert_non_null(strstr(s, ">Incidents per year</text>"));
    assert_non_null(strstr(s, ">year</text>"));
    assert_non_null(strstr(s, ">incidents</text>"));
    assert_non_null(strstr(s, "rotate(-90"));

    /* y axis: the largest value is 7; a fifth of it, 1.4, rounds up to a step of 2, and the
     * top to 8: ticks 0 2 4 6 8, and not 10. */
    for (int v = 0; v <= 8; v += 2) {
        char tick[16];
        snprintf(tick, sizeof(tick), ">%d</text>", v);
        if (!strstr(s, tick))
            fail_msg("no y tick %d", v);
    }
    assert_null(strstr(s, ">10</text>"));
    assert_null(strstr(s, ">1</text>"));

    /* x axis: five labels fit, each is there. */
    for (size_t i = 0; i < N(labels); i++) {
        char tick[16];
        snprintf(tick, sizeof(tick), ">%s</text>", labels[i]);
        assert_non_null(strstr(s, tick));
    }

    /* Lines: A is one polyline of 5 points; B breaks at its missing value: its first point is
     * alone, then one polyline of 3 points. Every value has a dot (few points). */
    assert_int_equal(count(s, "<polyline"), 2);
    assert_int_equal(count(s, "r=\"2.5\""), 5 + 4);

    /* Legend: both names, the unknown one as (unknown), in the two first colours. */
    assert_non_null(strstr(s, ">Group A</text>"));
    assert_non_null(strstr(s, ">(unknown)</text>"));
    assert_non_null(strstr(s, "#1f77b4"));
    assert_non_null(strstr(s, "#d62728"));
    vg_buf_cleanup(&b);
}

static void test_escaping(void **state)
{
    (void)state;
    const char *labels[] = {"a<b", "c&d"};
    const double y[] = {1, 2};
    char longname[200];
    memset(longname, 'x', 100);
    longname[100] = '\0';
    const struct vg_svg_line lines[] = {
        {"A & B <x> \"q\" 'a'", y}, {"bad\x01\xff", y}, {longname, y}, {"Caf\xc3\xa9", y}};
    struct vg_svg_chart c;
    memset(&c, 0, sizeof(c));
    c.title = "T <&>";
    c.x_labels = labels;
    c.npoints = 2;
    c.lines = lines;
    c.nlines = N(lines);
    struct vg_buf b;
    render(&c, &b);
    const char *s = b.data;
    assert_non_null(strstr(s, ">A &amp; B &lt;x&gt; &quot;q&quot; &apos;a&apos;</text>"));
    assert_non_null(strstr(s, ">bad?"
                              "?</text>"));            /* a control byte, a byte not UTF-8 */
    assert_non_null(strstr(s, ">Caf\xc3\xa9</text>")); /* UTF-8 kept */
    assert_non_null(strstr(s, ">a&lt;b</text>"));
    assert_non_null(strstr(s, ">c&amp;d</text>"));
    assert_non_null(strstr(s, "<title>T &lt;&amp;&gt;</title>"));
    assert_null(strstr(s, "\x01"));
    assert_null(strstr(s, "\xff"));

    /* A long name is cut in the legend at 60 characters, and whole in its tooltip. */
    char cut[80], whole[240];
    memset(cut, 'x', 60);
    snprintf(cut + 60, sizeof(cut) - 60, "\xE2\x80\xA6</text>");
    assert_non_null(strstr(s, cut));
    snprintf(whole, sizeof(whole), "<title>%s</title>", longname);
    assert_non_null(strstr(s, whole));
    vg_buf_cleanup(&b);
}

static void test_scales(void **state)
{
    (void)state;
    const char *labels[] = {"a", "b", "c"};
    /* Counts up to 1: the step would be 0.2, but counts are whole: 0 and 1. */
    const double ones[] = {0, 1, 1};
    struct vg_svg_line line = {"n", ones};
    struct vg_svg_chart c;
    memset(&c, 0, sizeof(c));
    c.x_labels = labels;
    c.npoints = 3;
    c.lines = &line;
    c.nlines = 1;
    c.y_integer = 1;
    struct vg_buf b;
    render(&c, &b);
    assert_non_null(strstr(b.data, ">0</text>"));
    assert_non_null(strstr(b.data, ">1</text>"));
    assert_null(strstr(b.data, ">0.2</text>"));
    vg_buf_cleanup(&b);

    /* Fractions up to 0.7: 0.14 rounds up to a step of 0.2, ticks 0.0 .. 0.8. */
    const double frac[] = {0.1, 0.7, 0.3};
    line.y = frac;
    c.y_integer = 0;
    render(&c, &b);
    assert_non_null(strstr(b.data, ">0.0</text>"));
    assert_non_null(strstr(b.data, ">0.8</text>"));
    assert_null(strstr(b.data, ">1.0</text>"));
    vg_buf_cleanup(&b);

    /* All values missing or 0: the axis still runs 0 .. 1. */
    const double none[] = {NAN, NAN, NAN};
    line.y = none;
    c.y_integer = 1;
    render(&c, &b);
    assert_non_null(strstr(b.data, ">1</text>"));
    assert_int_equal(count(b.data, "<polyline"), 0);
    vg_buf_cleanup(&b);
}

static void test_x_ticks(void **state)
{
    (void)state;
    /* 36 months from 2020-01: labels of 7 characters fit 13 times in the plot, so one in
     * ceil(36 / 13) = 3, and 3 divides 12: January, April, July, October. */
    char names[36][8];
    const char *labels[36];
    double y[36];
    for (int i = 0; i < 36; i++) {
        snprintf(names[i], sizeof(names[i]), "%04d-%02d", 2020 + i / 12, i % 12 + 1);
        labels[i] = names[i];
        y[i] = i % 5;
    }
    struct vg_svg_line line = {"n", y};
    struct vg_svg_chart c;
    memset(&c, 0, sizeof(c));
    c.x_labels = labels;
    c.npoints = 36;
    c.lines = &line;
    c.nlines = 1;
    c.x_cycle = 12;
    c.x_phase = 0;
    struct vg_buf b;
    render(&c, &b);
    assert_non_null(strstr(b.data, ">2020-01</text>"));
    assert_non_null(strstr(b.data, ">2020-04</text>"));
    assert_non_null(strstr(b.data, ">2022-10</text>"));
    assert_null(strstr(b.data, ">2020-02</text>"));
    assert_null(strstr(b.data, ">2020-03</text>"));
    vg_buf_cleanup(&b);

    /* Starting in March (phase 2), the labels still fall on January, April, ...: the first
     * label is 2020-04. */
    c.x_labels = labels + 2;
    c.npoints = 34;
    line.y = y + 2;
    c.x_phase = 2;
    render(&c, &b);
    assert_null(strstr(b.data, ">2020-03</text>"));
    assert_non_null(strstr(b.data, ">2020-04</text>"));
    vg_buf_cleanup(&b);

    /* Positions given per point: a label where the position is a multiple of the step. */
    size_t pos[36];
    for (int i = 0; i < 36; i++)
        pos[i] = (size_t)(i + 1);
    c.x_labels = labels;
    c.npoints = 36;
    line.y = y;
    c.x_pos = pos;
    render(&c, &b);
    assert_non_null(strstr(b.data, ">2020-03</text>")); /* pos 3 */
    assert_null(strstr(b.data, ">2020-01</text>"));     /* pos 1 */
    vg_buf_cleanup(&b);
}

static void test_empty_and_limits(void **state)
{
    (void)state;
    struct vg_svg_chart c;
    struct vg_buf b;
    struct vg_error err;
    memset(&c, 0, sizeof(c));
    c.title = "Nothing";
    c.empty_note = "no incident matches";
    render(&c, &b);
    assert_non_null(strstr(b.data, ">no incident matches</text>"));
    vg_buf_cleanup(&b);

    /* Too many lines, points without labels: refused. */
    const char *labels[] = {"a"};
    const double y[] = {1};
    struct vg_svg_line lines[VG_SVG_MAX_LINES + 1];
    for (size_t i = 0; i < N(lines); i++)
        lines[i] = (struct vg_svg_line){"x", y};
    c.x_labels = labels;
    c.npoints = 1;
    c.lines = lines;
    c.nlines = N(lines);
    vg_buf_init(&b, 1 << 20);
    vg_error_clear(&err);
    assert_int_equal(vg_svg_render(&b, &c, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "at most"));
    c.nlines = VG_SVG_MAX_LINES;
    c.x_labels = NULL;
    assert_int_equal(vg_svg_render(&b, &c, &err), VG_EINVAL);
    c.x_labels = labels;
    c.npoints = VG_SVG_MAX_POINTS + 1;
    assert_int_equal(vg_svg_render(&b, &c, &err), VG_EINVAL);
    vg_buf_cleanup(&b);

    /* 16 lines of one point each: a dot each, grey after the eighth colour (the line's
     * stroke, its dot, its legend swatch: 3 times for each of 8 lines). */
    c.npoints = 1;
    render(&c, &b);
    assert_int_equal(count(b.data, "#7f7f7f"), 3 * 8);
    vg_buf_cleanup(&b);

    /* The buffer's cap bounds the document. */
    vg_buf_init(&b, 500);
    vg_error_clear(&err);
    assert_int_equal(vg_svg_render(&b, &c, &err), VG_ETOOBIG);
    assert_non_null(strstr(err.message, "500 bytes"));
    vg_buf_cleanup(&b);
}

static void test_out_of_memory(void **state)
{
    (void)state;
    const char *labels[] = {"a", "b", "c"};
    const double y[] = {1, 2, 3};
    struct vg_svg_line line = {"n", y};
    struct vg_svg_chart c;
    memset(&c, 0, sizeof(c));
    c.x_labels = labels;
    c.npoints = 3;
    c.lines = &line;
    c.nlines = 1;
    int done = 0;
    for (long n = 0; n < 50 && !done; n++) {
        struct vg_buf b;
        struct vg_error err;
        vg_buf_init(&b, 1 << 20);
        vg_error_clear(&err);
        vg_mem_fail_after(n);
        int rc = vg_svg_render(&b, &c, &err);
        vg_mem_fail_after(-1);
        if (rc == 0)
            done = 1;
        else
            assert_int_equal(rc, VG_ENOMEM);
        vg_buf_cleanup(&b);
    }
    assert_true(done);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chart),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_scales),
        cmocka_unit_test(test_x_ticks),
        cmocka_unit_test(test_empty_and_limits),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
