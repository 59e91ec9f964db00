/* test_series.c - incidents per period (src/analyze/series.c).
 *
 * The calendar first: ISO weeks at the turn of the year (checked against the ISO 8601 rule that
 * week 1 is the week with the year's first Thursday), period indexes and labels, the change from
 * one period to the next. Then series built from a cube: seven incidents, written below, chosen
 * so that a week spans two calendar years, dates are known to the year, the month or the day,
 * counts of killed and wounded are unknown in places, and a country is unknown. Every expected
 * figure can be checked by hand against that table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "vigil/cube.h"
#include "vigil/error.h"
#include "vigil/incident.h"
#include "vigil/ingest.h"
#include "vigil/mem.h"
#include "vigil/select.h"
#include "vigil/series.h"
#include "vigil/store.h"

#include <math.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The incidents. Weeks (ISO): 2020-12-28 is the Monday of 2020-W53, which runs to Sunday
 * 2021-01-03; 2021-01-04 starts 2021-W01; 2021-01-12 is in 2021-W02.
 *
 *   id  date        period: month    week       country  group  killed  wounded
 *   1   2020-12-31          2020-12  2020-W53   Iraq     A      1       2
 *   2   2021-01-03          2021-01  2020-W53   Iraq     A      ?       1
 *   3   2021-01-04          2021-01  2021-W01   Syria    B      3       ?
 *   4   2021-01-12          2021-01  2021-W02   Iraq     B      0       0
 *   5   2021-03-??          2021-03  (left out) Syria    A      5       5
 *   6   2021-??-??  (left out)       (left out) Iraq     ?      2       ?
 *   7   2020-12-28          2020-12  2020-W53   ?        A      ?       ? */
static const char fixture_csv[] = "eventid,iyear,imonth,iday,country_txt,gname,nkill,nwound\n"
                                  "1,2020,12,31,Iraq,A,1,2\n"
                                  "2,2021,1,3,Iraq,A,,1\n"
                                  "3,2021,1,4,Syria,B,3,\n"
                                  "4,2021,1,12,Iraq,B,0,0\n"
                                  "5,2021,3,0,Syria,A,5,5\n"
                                  "6,2021,0,0,Iraq,,2,\n"
                                  "7,2020,12,28,,A,,\n";

struct fixture {
    char *dir;
    struct vg_store *store;
    struct vg_cube *cube;
};

static struct fixture *open_fixture(const char *csv_text, long expect_rows)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char db[TU_PATH_MAX], csv[TU_PATH_MAX];
    struct vg_error err;
    vg_error_clear(&err);
    if (!f)
        fail_msg("out of memory");
    f->dir = tu_mkdtemp();
    tu_write_str(tu_join(csv, f->dir, "in.csv"), csv_text);
    if (vg_store_open(tu_join(db, f->dir, "series.db"), 0, &f->store, &err) != 0)
        fail_msg("open: %s", err.message);
    struct vg_ingest_stats st = {0};
    if (vg_ingest_path(f->store, csv, NULL, &st, &err) != 0)
        fail_msg("ingest: %s", err.message);
    if (st.inserted != expect_rows || st.rejected != 0)
        fail_msg("ingest stored %lld rows, rejected %lld", (long long)st.inserted,
                 (long long)st.rejected);
    if (vg_cube_open(f->store, &f->cube, &err) != 0)
        fail_msg("cube: %s", err.message);
    return f;
}

static void close_fixture(struct fixture *f)
{
    vg_cube_close(f->cube);
    vg_store_close(f->store);
    tu_rmtree(f->dir);
    free(f->dir);
    free(f);
}

static int setup(void **state)
{
    *state = open_fixture(fixture_csv, 7);
    return 0;
}

static int teardown(void **state)
{
    close_fixture(*state);
    return 0;
}

/* Builds the series of period p (by: NULL for none, else a dimension name) over the incidents
 * matching the filters (NULL-terminated, may be NULL) and the range from..to (NULL: open). */
static struct vg_series *build(struct fixture *f, enum vg_period p, const char *by,
                               const char *const *where, const char *from, const char *to)
{
    struct vg_filter filter;
    struct vg_series_query q;
    struct vg_error err;
    struct vg_selection *sel = NULL;
    struct vg_series *s = NULL;
    vg_error_clear(&err);
    vg_filter_init(&filter);
    memset(&q, 0, sizeof(q));
    q.period = p;
    if (by) {
        q.grouped = 1;
        if (vg_dim_parse(by, &q.by, &err))
            fail_msg("by %s: %s", by, err.message);
    }
    for (size_t i = 0; where && where[i]; i++)
        if (vg_filter_add_where(&filter, where[i], &err))
            fail_msg("where %s: %s", where[i], err.message);
    if (from && vg_date_key(from, 0, &filter.from, &err))
        fail_msg("from: %s", err.message);
    if (to && vg_date_key(to, 1, &filter.to, &err))
        fail_msg("to: %s", err.message);
    if (vg_selection_create(f->cube, &filter, &sel, &err))
        fail_msg("selection: %s", err.message);
    if (vg_series_build(f->cube, sel, &q, &s, &err))
        fail_msg("build: %s", err.message);
    vg_selection_destroy(sel);
    assert_non_null(s);
    assert_int_equal(s->period, p);
    assert_int_equal(s->grouped, by != NULL);
    return s;
}

/* Compares series with rows "group|period|incidents|killed|wounded" ("NULL" for unknown), in
 * order: group by group, period by period. */
static void expect_rows(const struct vg_series *s, const char *const *rows, size_t n)
{
    char line[256], label[24];
    size_t k = 0;
    for (size_t g = 0; g < s->ngroups; g++) {
        for (size_t t = 0; t < s->nperiods; t++, k++) {
            const char *name = s->groups && s->groups[g] ? s->groups[g] : "NULL";
            assert_int_equal(
                vg_series_period_label(s->period, s->first + (int64_t)t, label, sizeof(label)), 0);
            size_t len = (size_t)snprintf(line, sizeof(line), "%s|%s", name, label);
            for (int m = 0; m < VG_MEASURE_COUNT; m++) {
                int64_t v = s->values[m][g * s->nperiods + t];
                if (v == VG_NULL_INT)
                    len += (size_t)snprintf(line + len, sizeof(line) - len, "|NULL");
                else
                    len += (size_t)snprintf(line + len, sizeof(line) - len, "|%lld", (long long)v);
            }
            if (k >= n)
                fail_msg("extra row \"%s\"", line);
            if (strcmp(line, rows[k]) != 0)
                fail_msg("row %zu is \"%s\", expected \"%s\"", k, line, rows[k]);
        }
    }
    if (k != n)
        fail_msg("%zu rows, expected %zu", k, n);
}

#define EXPECT(s, ...)                                                                             \
    do {                                                                                           \
        const char *const rows_[] = {__VA_ARGS__};                                                 \
        expect_rows((s), rows_, N(rows_));                                                         \
    } while (0)

/* ---- the calendar ---- */

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The weekday of 1 January of year y, 0 for Monday, counted in days from 1 January 1999, a
 * Friday. */
static int jan1_weekday(int y)
{
    long days = 0;
    for (int k = 1999; k < y; k++)
        days += is_leap(k) ? 366 : 365;
    for (int k = y; k < 1999; k++)
        days -= is_leap(k) ? 366 : 365;
    return (int)(((days + 4) % 7 + 7) % 7);
}

static void test_iso_weeks(void **state)
{
    (void)state;
    static const struct {
        int y, m, d, iy, w;
    } cases[] = {
        {2020, 12, 31, 2020, 53}, /* Thursday: 2020 has 53 weeks (it starts on a Wednesday, leap) */
        {2021, 1, 3, 2020, 53},   /* Sunday of that week */
        {2021, 1, 4, 2021, 1},    /* Monday: the week of 2021's first Thursday (7 January) */
        {2020, 12, 28, 2020, 53}, /* Monday of 2020-W53 */
        {2020, 12, 27, 2020, 52}, /* the Sunday before */
        {2019, 12, 30, 2020, 1},  /* Monday: its Thursday is 2 January 2020 */
        {2019, 12, 29, 2019, 52}, /* Sunday */
        {2020, 1, 1, 2020, 1},    /* Wednesday */
        {2016, 1, 3, 2015, 53},   /* 2015 starts on a Thursday: 53 weeks */
        {2016, 1, 4, 2016, 1},
        {2021, 12, 31, 2021, 52}, /* Friday; 2022-W01 starts on 3 January */
        {2022, 1, 2, 2021, 52},
        {2022, 1, 3, 2022, 1},
        {2008, 12, 29, 2009, 1}, /* Monday; 1 January 2009 is a Thursday */
        {2026, 12, 31, 2026, 53},
        {1970, 1, 1, 1970, 1}, /* a Thursday */
        {1969, 12, 29, 1970, 1},
        {1800, 1, 1, 1800, 1}, /* a Wednesday */
        {2024, 2, 29, 2024, 9},
        {2024, 12, 30, 2025, 1},
    };
    for (size_t i = 0; i < N(cases); i++) {
        int iy = -1, w = -1;
        assert_int_equal(vg_series_iso_week(cases[i].y, cases[i].m, cases[i].d, &iy, &w), 0);
        if (iy != cases[i].iy || w != cases[i].w)
            fail_msg("%04d-%02d-%02d: %d-W%02d, expected %d-W%02d", cases[i].y, cases[i].m,
                     cases[i].d, iy, w, cases[i].iy, cases[i].w);
    }

    /* Every day of four centuries, against a weekday worked out here from a day count: the week
     * moves on on Mondays only, by one, back to 1 when the ISO year changes; week 53 only in
     * years whose 1 January is a Thursday, or a Wednesday in a leap year; and the week index goes
     * up by one on Mondays and stays the same on the other days. */
    int py = 0, pw = 0, mondays = 0;
    long days = 0;
    int64_t pidx = 0;
    for (int y = 1999; y <= 2401; y++)
        for (int m = 1; m <= 12; m++)
            for (int d = 1; d <= 31; d++) {
                int iy, w;
                if (vg_series_iso_week(y, m, d, &iy, &w) != 0)
                    continue;
                int wd = (int)((days + 4) % 7); /* 0 Monday; 1999-01-01 was a Friday */
                days++;
                mondays += wd == 0;
                int64_t idx;
                assert_int_equal(vg_series_period_of(VG_PERIOD_WEEK, y, m, d, &idx), 0);
                if (w < 1 || w > 53)
                    fail_msg("%04d-%02d-%02d: week %d", y, m, d, w);
                if (py) {
                    int moved = iy != py || w != pw;
                    if (moved != (wd == 0))
                        fail_msg("%04d-%02d-%02d (weekday %d): %d-W%02d after %d-W%02d", y, m, d,
                                 wd, iy, w, py, pw);
                    if (moved && !(iy == py && w == pw + 1) &&
                        !(iy == py + 1 && w == 1 && pw >= 52))
                        fail_msg("%04d-%02d-%02d: %d-W%02d after %d-W%02d", y, m, d, iy, w, py, pw);
                    if (idx != pidx + (wd == 0))
                        fail_msg("%04d-%02d-%02d: week index %lld after %lld", y, m, d,
                                 (long long)idx, (long long)pidx);
                }
                if (w == 53) {
                    int jan1 = jan1_weekday(iy);
                    if (!(jan1 == 3 || (is_leap(iy) && jan1 == 2)))
                        fail_msg("%04d-%02d-%02d: week 53 of %d, whose 1 January is weekday %d", y,
                                 m, d, iy, jan1);
                }
                py = iy;
                pw = w;
                pidx = idx;
            }
    assert_int_equal(days, 147193); /* 1 January 1999 to 31 December 2401 */
    assert_int_equal(mondays, 21028);
}

static void test_periods_and_labels(void **state)
{
    (void)state;
    int64_t a, b;
    char buf[24];
    assert_int_equal(vg_series_period_of(VG_PERIOD_YEAR, 2021, 0, 0, &a), 0);
    assert_int_equal(a, 2021);
    assert_int_equal(vg_series_period_of(VG_PERIOD_MONTH, 2021, 3, 0, &a), 0);
    assert_int_equal(a, 2021 * 12 + 2);
    assert_int_equal(vg_series_period_label(VG_PERIOD_MONTH, a, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "2021-03");
    assert_int_equal(vg_series_period_label(VG_PERIOD_MONTH, 2020 * 12 + 11, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "2020-12");
    assert_int_equal(vg_series_period_label(VG_PERIOD_YEAR, 1999, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "1999");

    /* Months and weeks need their precision. */
    assert_int_equal(vg_series_period_of(VG_PERIOD_MONTH, 2021, 0, 0, &a), VG_EINVAL);
    assert_int_equal(vg_series_period_of(VG_PERIOD_WEEK, 2021, 3, 0, &a), VG_EINVAL);
    assert_int_equal(vg_series_period_of(VG_PERIOD_WEEK, 2021, 0, 5, &a), VG_EINVAL);
    assert_int_equal(vg_series_period_of(VG_PERIOD_WEEK, 2021, 2, 29, &a), VG_EINVAL);
    assert_int_equal(vg_series_period_of(VG_PERIOD_MONTH, 2021, 13, 1, &a), VG_EINVAL);
    assert_int_equal(vg_series_iso_week(2021, 4, 31, NULL, NULL), VG_EINVAL);

    /* Week indexes: consecutive weeks differ by 1, the days of a week share one. */
    assert_int_equal(vg_series_period_of(VG_PERIOD_WEEK, 2020, 12, 28, &a), 0);
    assert_int_equal(vg_series_period_of(VG_PERIOD_WEEK, 2021, 1, 3, &b), 0);
    assert_int_equal(a, b);
    assert_int_equal(vg_series_period_label(VG_PERIOD_WEEK, a, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "2020-W53");
    assert_int_equal(vg_series_period_of(VG_PERIOD_WEEK, 2021, 1, 4, &b), 0);
    assert_int_equal(b, a + 1);
    assert_int_equal(vg_series_period_label(VG_PERIOD_WEEK, b, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "2021-W01");
    assert_int_equal(vg_series_period_label(VG_PERIOD_WEEK, a - 1, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "2020-W52");
    assert_int_equal(vg_series_period_of(VG_PERIOD_WEEK, 1970, 1, 1, &a), 0);
    assert_int_equal(a, 0);
    assert_int_equal(vg_series_period_of(VG_PERIOD_WEEK, 1969, 12, 28, &a), 0);
    assert_int_equal(a, -1);
    assert_int_equal(vg_series_period_label(VG_PERIOD_WEEK, -1, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "1969-W52");
    assert_int_equal(vg_series_period_of(VG_PERIOD_WEEK, 1800, 1, 1, &a), 0);
    assert_int_equal(vg_series_period_label(VG_PERIOD_WEEK, a, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "1800-W01");

    /* A buffer too small is an error, not an overflow. */
    char tiny[5];
    assert_int_equal(vg_series_period_label(VG_PERIOD_WEEK, 0, tiny, sizeof(tiny)), VG_ETOOBIG);

    enum vg_period p = VG_PERIOD_YEAR;
    struct vg_error err;
    assert_int_equal(vg_period_parse("week", &p, &err), 0);
    assert_int_equal(p, VG_PERIOD_WEEK);
    assert_string_equal(vg_period_name(VG_PERIOD_MONTH), "month");
    vg_error_clear(&err);
    assert_int_equal(vg_period_parse("fortnight", &p, &err), VG_EINVAL);
    assert_int_equal(p, VG_PERIOD_WEEK);
    assert_non_null(strstr(err.message, "fortnight"));
    assert_non_null(strstr(err.message, "year, month, week"));
}

static void test_change(void **state)
{
    (void)state;
    struct vg_change c;
    /* 4 -> 6: +2, +50 %. */
    vg_series_change(4, 6, &c);
    assert_true(c.has_delta && c.has_pct);
    assert_int_equal(c.delta, 2);
    assert_true(fabs(c.pct - 50) < 1e-12);
    /* 3 -> 2: -1, -33.33 %. */
    vg_series_change(3, 2, &c);
    assert_int_equal(c.delta, -1);
    assert_true(fabs(c.pct - -100.0 / 3) < 1e-12);
    /* 0 -> 5: +5, no percentage. */
    vg_series_change(0, 5, &c);
    assert_true(c.has_delta && !c.has_pct);
    assert_int_equal(c.delta, 5);
    /* No period before, or an unknown value: nothing. */
    vg_series_change(VG_NULL_INT, 5, &c);
    assert_true(!c.has_delta && !c.has_pct);
    vg_series_change(5, VG_NULL_INT, &c);
    assert_true(!c.has_delta && !c.has_pct);
}

/* ---- series from the cube ---- */

static void test_by_month(void **state)
{
    struct fixture *f = *state;
    /* 2020-12: incidents 1 and 7; killed 1 (7's unknown); wounded 2.
     * 2021-01: 2, 3, 4; killed 3 + 0 (2's unknown); wounded 1 + 0 (3's unknown).
     * 2021-02: none, there with 0. 2021-03: incident 5. Incident 6 has no month. */
    struct vg_series *s = build(f, VG_PERIOD_MONTH, NULL, NULL, NULL, NULL);
    assert_int_equal(s->selected, 7);
    assert_int_equal(s->left_out, 1);
    assert_int_equal(s->ngroups, 1);
    assert_int_equal(s->nperiods, 4);
    EXPECT(s, "NULL|2020-12|2|1|2", "NULL|2021-01|3|3|1", "NULL|2021-02|0|0|0",
           "NULL|2021-03|1|5|5");
    vg_series_destroy(s);
}

static void test_by_week_across_the_year(void **state)
{
    struct fixture *f = *state;
    /* 2020-W53 holds 2020-12-28, 2020-12-31 and 2021-01-03 (incidents 7, 1, 2): killed 1,
     * wounded 2 + 1. 2021-W01: incident 3 (wounded unknown). 2021-W02: incident 4. Incidents 5
     * (no day) and 6 (no month) are left out. */
    struct vg_series *s = build(f, VG_PERIOD_WEEK, NULL, NULL, NULL, NULL);
    assert_int_equal(s->selected, 7);
    assert_int_equal(s->left_out, 2);
    EXPECT(s, "NULL|2020-W53|3|1|3", "NULL|2021-W01|1|3|NULL", "NULL|2021-W02|1|0|0");
    vg_series_destroy(s);
}

static void test_by_year(void **state)
{
    struct fixture *f = *state;
    /* Years are always known: nothing left out. 2021: killed 3 + 0 + 5 + 2, wounded 1 + 0 + 5. */
    struct vg_series *s = build(f, VG_PERIOD_YEAR, NULL, NULL, NULL, NULL);
    assert_int_equal(s->left_out, 0);
    EXPECT(s, "NULL|2020|2|1|2", "NULL|2021|5|10|6");
    vg_series_destroy(s);
}

static void test_grouped(void **state)
{
    struct fixture *f = *state;
    /* By country: Iraq, Syria, then the unknown country; every series over the same 4 months. */
    struct vg_series *s = build(f, VG_PERIOD_MONTH, "country", NULL, NULL, NULL);
    assert_int_equal(s->ngroups, 3);
    assert_int_equal(s->left_out, 1);
    EXPECT(s, "Iraq|2020-12|1|1|2", "Iraq|2021-01|2|0|1", "Iraq|2021-02|0|0|0",
           "Iraq|2021-03|0|0|0", "Syria|2020-12|0|0|0", "Syria|2021-01|1|3|NULL",
           "Syria|2021-02|0|0|0", "Syria|2021-03|1|5|5", "NULL|2020-12|1|NULL|NULL",
           "NULL|2021-01|0|0|0", "NULL|2021-02|0|0|0", "NULL|2021-03|0|0|0");
    vg_series_destroy(s);

    /* By a numeric dimension: months in numeric order (12 after 3), unknown last. */
    s = build(f, VG_PERIOD_YEAR, "month", NULL, NULL, NULL);
    EXPECT(s, "1|2020|0|0|0", "1|2021|3|3|1", "3|2020|0|0|0", "3|2021|1|5|5", "12|2020|2|1|2",
           "12|2021|0|0|0", "NULL|2020|0|0|0", "NULL|2021|1|2|NULL");
    vg_series_destroy(s);

    /* By group, weekly: groups A and B (incident 6, the one of unknown group, is left out). */
    s = build(f, VG_PERIOD_WEEK, "group", NULL, NULL, NULL);
    EXPECT(s, "A|2020-W53|3|1|3", "A|2021-W01|0|0|0", "A|2021-W02|0|0|0", "B|2020-W53|0|0|0",
           "B|2021-W01|1|3|NULL", "B|2021-W02|1|0|0");
    vg_series_destroy(s);
}

static void test_selection(void **state)
{
    struct fixture *f = *state;
    /* The range of the series is the range of the selected data: from 2021 on, months
     * 2021-01 .. 2021-03. */
    struct vg_series *s = build(f, VG_PERIOD_MONTH, NULL, NULL, "2021", NULL);
    assert_int_equal(s->selected, 5);
    assert_int_equal(s->left_out, 1);
    EXPECT(s, "NULL|2021-01|3|3|1", "NULL|2021-02|0|0|0", "NULL|2021-03|1|5|5");
    vg_series_destroy(s);

    const char *syria[] = {"country=Syria", NULL};
    s = build(f, VG_PERIOD_MONTH, "group", syria, NULL, NULL);
    EXPECT(s, "A|2021-01|0|0|0", "A|2021-02|0|0|0", "A|2021-03|1|5|5", "B|2021-01|1|3|NULL",
           "B|2021-02|0|0|0", "B|2021-03|0|0|0");
    vg_series_destroy(s);

    /* Nothing selected: an empty series, not an error. */
    const char *none[] = {"country=Atlantis", NULL};
    s = build(f, VG_PERIOD_WEEK, "country", none, NULL, NULL);
    assert_int_equal(s->selected, 0);
    assert_int_equal(s->nperiods, 0);
    assert_int_equal(s->ngroups, 0);
    vg_series_destroy(s);

    /* Selected, but every date too imprecise: all left out. */
    s = build(f, VG_PERIOD_WEEK, NULL, NULL, "2021-02", "2021-12");
    assert_int_equal(s->selected, 1); /* incident 5, of March 2021, day unknown */
    assert_int_equal(s->left_out, 1);
    assert_int_equal(s->nperiods, 0);
    vg_series_destroy(s);

    /* NULL selection: every incident. */
    struct vg_series_query q = {VG_PERIOD_YEAR, 0, VG_DIM_YEAR};
    struct vg_error err;
    assert_int_equal(vg_series_build(f->cube, NULL, &q, &s, &err), 0);
    EXPECT(s, "NULL|2020|2|1|2", "NULL|2021|5|10|6");
    vg_series_destroy(s);
}

static void test_top(void **state)
{
    struct fixture *f = *state;
    struct vg_series *s = build(f, VG_PERIOD_MONTH, "country", NULL, NULL, NULL);
    struct vg_series *t = NULL;
    struct vg_error err;

    /* Totals: Iraq 3, Syria 2, unknown 1. Top 1: Iraq, then "other" = Syria + unknown; in
     * 2020-12 "other" has the one incident of unknown country, whose counts are unknown. */
    assert_int_equal(vg_series_top(s, VG_MEASURE_INCIDENTS, 1, &t, &err), 0);
    assert_int_equal(t->ngroups, 2);
    assert_int_equal(t->other, 2);
    EXPECT(t, "Iraq|2020-12|1|1|2", "Iraq|2021-01|2|0|1", "Iraq|2021-02|0|0|0",
           "Iraq|2021-03|0|0|0", "other|2020-12|1|NULL|NULL", "other|2021-01|1|3|NULL",
           "other|2021-02|0|0|0", "other|2021-03|1|5|5");
    vg_series_destroy(t);

    /* By killed: Syria 8, Iraq 1, unknown 0. Top 2 keep their order in s (Iraq, Syria). */
    assert_int_equal(vg_series_top(s, VG_MEASURE_KILLED, 2, &t, &err), 0);
    assert_int_equal(t->ngroups, 3);
    assert_int_equal(t->other, 1);
    assert_string_equal(t->groups[0], "Iraq");
    assert_string_equal(t->groups[1], "Syria");
    assert_string_equal(t->groups[2], "other");
    vg_series_destroy(t);

    /* k as large as the groups or larger: a copy, no "other". */
    assert_int_equal(vg_series_top(s, VG_MEASURE_INCIDENTS, 8, &t, &err), 0);
    assert_int_equal(t->ngroups, 3);
    assert_int_equal(t->other, 0);
    assert_null(t->groups[2]);
    EXPECT(t, "Iraq|2020-12|1|1|2", "Iraq|2021-01|2|0|1", "Iraq|2021-02|0|0|0",
           "Iraq|2021-03|0|0|0", "Syria|2020-12|0|0|0", "Syria|2021-01|1|3|NULL",
           "Syria|2021-02|0|0|0", "Syria|2021-03|1|5|5", "NULL|2020-12|1|NULL|NULL",
           "NULL|2021-01|0|0|0", "NULL|2021-02|0|0|0", "NULL|2021-03|0|0|0");
    vg_series_destroy(t);

    vg_error_clear(&err);
    t = NULL;
    assert_int_equal(vg_series_top(s, VG_MEASURE_INCIDENTS, 0, &t, &err), VG_EINVAL);
    assert_null(t);
    vg_series_destroy(s);

    /* The top of an empty series is empty. */
    const char *none[] = {"country=Atlantis", NULL};
    s = build(f, VG_PERIOD_MONTH, "country", none, NULL, NULL);
    assert_int_equal(vg_series_top(s, VG_MEASURE_INCIDENTS, 3, &t, &err), 0);
    assert_int_equal(t->ngroups, 0);
    assert_int_equal(t->nperiods, 0);
    vg_series_destroy(t);
    vg_series_destroy(s);
}

static void test_out_of_memory(void **state)
{
    struct fixture *f = *state;
    /* Every allocation of a build may fail: the build then says so and leaks nothing (the
     * sanitizer build checks the leaks). */
    struct vg_series_query q = {VG_PERIOD_WEEK, 1, VG_DIM_COUNTRY};
    int done = 0, failures = 0;
    for (long n = 0; n < 100 && !done; n++) {
        struct vg_series *s = NULL, *t = NULL;
        struct vg_error err;
        vg_error_clear(&err);
        vg_mem_fail_after(n);
        int rc = vg_series_build(f->cube, NULL, &q, &s, &err);
        if (rc == 0)
            rc = vg_series_top(s, VG_MEASURE_INCIDENTS, 1, &t, &err);
        vg_mem_fail_after(-1);
        if (rc == 0) {
            done = 1;
        } else {
            if (rc != VG_ENOMEM)
                fail_msg("allocation %ld failed: %s (%d)", n, err.message, rc);
            assert_string_equal(err.message, "out of memory");
            failures++;
        }
        vg_series_destroy(s);
        vg_series_destroy(t);
    }
    assert_true(done);
    assert_true(failures >= 5);
}

static void test_too_big(void **state)
{
    (void)state;
    /* 500 groups over the weeks from 1800 to 2200 (about 20,870 weeks) pass the cap of
     * VG_SERIES_MAX_CELLS cells: a clear error, not an allocation of gigabytes. Yearly, the
     * same incidents fit (500 * 401 cells). */
    size_t cap = 64 * 520;
    char *csv = malloc(cap);
    assert_non_null(csv);
    size_t len = (size_t)snprintf(csv, cap, "eventid,iyear,imonth,iday,gname\n");
    for (int i = 0; i < 500; i++)
        len += (size_t)snprintf(csv + len, cap - len, "%d,%d,%d,1,g%03d\n", i, i % 2 ? 1800 : 2200,
                                i % 2 ? 1 : 12, i);
    struct fixture *f = open_fixture(csv, 500);
    free(csv);

    struct vg_series_query q = {VG_PERIOD_WEEK, 1, VG_DIM_GROUP};
    struct vg_series *s = NULL;
    struct vg_error err;
    vg_error_clear(&err);
    assert_int_equal(vg_series_build(f->cube, NULL, &q, &s, &err), VG_ETOOBIG);
    assert_null(s);
    assert_non_null(strstr(err.message, "narrow the selection"));

    q.period = VG_PERIOD_YEAR;
    assert_int_equal(vg_series_build(f->cube, NULL, &q, &s, &err), 0);
    assert_int_equal(s->ngroups, 500);
    assert_int_equal(s->nperiods, 401);
    vg_series_destroy(s);
    close_fixture(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iso_weeks),
        cmocka_unit_test(test_periods_and_labels),
        cmocka_unit_test(test_change),
        cmocka_unit_test(test_by_month),
        cmocka_unit_test(test_by_week_across_the_year),
        cmocka_unit_test(test_by_year),
        cmocka_unit_test(test_grouped),
        cmocka_unit_test(test_selection),
        cmocka_unit_test(test_top),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_too_big),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
