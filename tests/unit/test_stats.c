/* test_stats.c - grouped counts and sums (src/analyze/stats.c).
 *
 * The fixture tests/data/unit/stats_small.csv holds eleven incidents chosen so that each rule
 * shows: unknown values in every dimension, unknown casualty counts (empty, -9, -99, N/A), dates
 * known to the year, the month or the day, two sources. It is ingested once into a scratch
 * database; every expected figure below can be checked by hand against that file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "vigil/error.h"
#include "vigil/ingest.h"
#include "vigil/incident.h"
#include "vigil/stats.h"
#include "vigil/store.h"

struct fixture {
    char *dir;
    struct vg_store *store;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    char db[TU_PATH_MAX], csv[TU_PATH_MAX];
    tu_data_path(csv, "VG_TEST_DATA", "unit/stats_small.csv");
    f->dir = tu_mkdtemp();
    struct vg_error err;
    vg_error_clear(&err);
    if (vg_store_open(tu_join(db, f->dir, "stats.db"), 0, &f->store, &err) != 0)
        fail_msg("open: %s", err.message);
    struct vg_ingest_stats st = {0};
    if (vg_ingest_path(f->store, csv, NULL, &st, &err) != 0)
        fail_msg("ingest: %s", err.message);
    if (st.rows != 11 || st.inserted != 11 || st.rejected != 0)
        fail_msg("ingest stored %lld of %lld rows", (long long)st.inserted, (long long)st.rows);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    vg_store_close(f->store);
    tu_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Runs a query given as text: dims ("" for none), measures (NULL for the default), filters
 * (NULL-terminated), from and to (NULL for none). */
static struct vg_stats_result *run(struct fixture *f, const char *dims, const char *measures,
                                   const char *const *where, const char *from, const char *to)
{
    struct vg_stats_query q;
    struct vg_error err;
    vg_error_clear(&err);
    vg_stats_query_init(&q);
    if (dims[0] && vg_stats_set_dims(&q, dims, &err))
        fail_msg("dims %s: %s", dims, err.message);
    if (measures && vg_stats_set_measures(&q, measures, &err))
        fail_msg("measures %s: %s", measures, err.message);
    for (size_t i = 0; where && where[i]; i++)
        if (vg_filter_add_where(&q.filter, where[i], &err))
            fail_msg("where %s: %s", where[i], err.message);
    if (from && vg_date_key(from, 0, &q.filter.from, &err))
        fail_msg("from %s: %s", from, err.message);
    if (to && vg_date_key(to, 1, &q.filter.to, &err))
        fail_msg("to %s: %s", to, err.message);
    struct vg_stats_result *r = NULL;
    if (vg_stats_run(f->store, &q, &r, &err))
        fail_msg("run: %s", err.message);
    assert_non_null(r);
    assert_int_equal(r->ndims, q.ndims);
    assert_int_equal(r->nmeasures, q.nmeasures);
    return r;
}

/* Compares the result with rows written "key|key|value|value" (NULL for an unknown key or an
 * unknown sum). */
static void expect_rows(const struct vg_stats_result *r, const char *const *rows, size_t n)
{
    char line[512];
    for (size_t i = 0; i < r->nrows && i < n; i++) {
        size_t len = 0;
        for (size_t d = 0; d < r->ndims; d++) {
            const char *k = r->keys[i * r->ndims + d];
            len += (size_t)snprintf(line + len, sizeof(line) - len, "%s|", k ? k : "NULL");
        }
        for (size_t m = 0; m < r->nmeasures; m++) {
            int64_t v = r->values[i * r->nmeasures + m];
            if (v == VG_NULL_INT)
                len += (size_t)snprintf(line + len, sizeof(line) - len, "%sNULL", m ? "|" : "");
            else
                len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%lld", m ? "|" : "",
                                        (long long)v);
        }
        if (strcmp(line, rows[i]) != 0)
            fail_msg("row %zu is \"%s\", expected \"%s\"", i, line, rows[i]);
    }
    if (r->nrows != n)
        fail_msg("%zu rows, expected %zu", r->nrows, n);
}

#define EXPECT(r, ...)                                                                             \
    do {                                                                                           \
        const char *const rows_[] = {__VA_ARGS__};                                                 \
        expect_rows((r), rows_, sizeof(rows_) / sizeof(rows_[0]));                                 \
    } while (0)

static void test_totals(void **state)
{
    struct fixture *f = *state;
    struct vg_stats_result *r = run(f, "", "incidents,killed,wounded", NULL, NULL, NULL);
    /* killed: 5+3+0+20+1+2+7+4, wounded: 10+2+0+5+1+3+4+6; unknowns are left out. */
    EXPECT(r, "11|42|31");
    vg_stats_result_destroy(r);

    /* The default measure is the count. */
    r = run(f, "", NULL, NULL, NULL, NULL);
    assert_int_equal(r->nmeasures, 1);
    assert_int_equal(r->measures[0], VG_MEASURE_INCIDENTS);
    EXPECT(r, "11");
    vg_stats_result_destroy(r);
}

static void test_by_year(void **state)
{
    struct fixture *f = *state;
    struct vg_stats_result *r = run(f, "year", "incidents,killed,wounded", NULL, NULL, NULL);
    assert_int_equal(r->dims[0], VG_DIM_YEAR);
    EXPECT(r, "2012|1|4|6", "2013|1|5|10", "2014|5|23|7", "2015|2|3|1", "2016|2|7|7");
    vg_stats_result_destroy(r);
}

static void test_by_month_numeric_order(void **state)
{
    struct fixture *f = *state;
    /* Months sort as numbers (12 after 6), unknown months last. */
    struct vg_stats_result *r = run(f, "month", NULL, NULL, NULL, NULL);
    EXPECT(r, "1|2", "2|2", "3|1", "5|1", "6|1", "12|2", "NULL|2");
    vg_stats_result_destroy(r);
}

static void test_by_country_unknown_last(void **state)
{
    struct fixture *f = *state;
    struct vg_stats_result *r = run(f, "country", "killed,incidents", NULL, NULL, NULL);
    assert_int_equal(r->measures[0], VG_MEASURE_KILLED);
    assert_int_equal(r->measures[1], VG_MEASURE_INCIDENTS);
    /* Iraq: 5+3+2, its N/A left out; Syria: 0+7, its -9 left out. */
    EXPECT(r, "Afghanistan|4|1", "Iraq|10|4", "Nigeria|20|2", "Syria|7|3", "NULL|1|1");
    vg_stats_result_destroy(r);

    r = run(f, "group", NULL, NULL, NULL, NULL);
    EXPECT(r, "Boko Haram|2", "ISIL|6", "Taliban|1", "Unknown|1", "NULL|1");
    vg_stats_result_destroy(r);

    r = run(f, "attack", NULL, NULL, NULL, NULL);
    EXPECT(r, "Armed Assault|3", "Bombing/Explosion|6", "Hostage Taking (Kidnapping)|1", "NULL|1");
    vg_stats_result_destroy(r);

    /* Wounded: -99, empty and N/A are left out of the sums. */
    const char *known[] = {"attack=Armed Assault", "attack=Bombing/Explosion", NULL};
    r = run(f, "attack", "incidents,wounded", known, NULL, NULL);
    EXPECT(r, "Armed Assault|3|7", "Bombing/Explosion|6|20");
    vg_stats_result_destroy(r);

    r = run(f, "region", NULL, NULL, NULL, NULL);
    EXPECT(r, "Middle East & North Africa|7", "South Asia|1", "Sub-Saharan Africa|2", "NULL|1");
    vg_stats_result_destroy(r);

    r = run(f, "weapon,target", NULL, NULL, NULL, NULL);
    EXPECT(r, "Explosives|Military|3", "Explosives|Police|2",
           "Explosives|Private Citizens & Property|1", "Firearms|Military|1", "Firearms|Police|1",
           "Firearms|Private Citizens & Property|2", "NULL|Police|1");
    vg_stats_result_destroy(r);
}

static void test_two_dims(void **state)
{
    struct fixture *f = *state;
    struct vg_stats_result *r = run(f, "year,source", NULL, NULL, NULL, NULL);
    assert_int_equal(r->ndims, 2);
    assert_int_equal(r->dims[1], VG_DIM_SOURCE);
    EXPECT(r, "2012|GTD|1", "2013|GTD|1", "2014|ACLED|1", "2014|GTD|4", "2015|ACLED|2",
           "2016|GTD|2");
    vg_stats_result_destroy(r);

    /* The order of the dimensions is the order of the grouping. */
    r = run(f, "source,year", NULL, NULL, NULL, NULL);
    EXPECT(r, "ACLED|2014|1", "ACLED|2015|2", "GTD|2012|1", "GTD|2013|1", "GTD|2014|4",
           "GTD|2016|2");
    vg_stats_result_destroy(r);

    /* Unknown values last at every level. */
    r = run(f, "year,month", NULL, NULL, NULL, NULL);
    EXPECT(r, "2012|5|1", "2013|12|1", "2014|1|2", "2014|6|1", "2014|12|1", "2014|NULL|1",
           "2015|2|1", "2015|3|1", "2016|2|1", "2016|NULL|1");
    vg_stats_result_destroy(r);
}

static void test_where(void **state)
{
    struct fixture *f = *state;
    /* The same field twice: either value. */
    const char * or [] = {"country=Iraq", "country=Syria", NULL};
    struct vg_stats_result *r = run(f, "", "incidents,killed", or, NULL, NULL);
    EXPECT(r, "7|17");
    vg_stats_result_destroy(r);

    /* Different fields: all must hold. */
    const char *and[] = {"country=Iraq", "attack=Bombing/Explosion", NULL};
    r = run(f, "", NULL, and, NULL, NULL);
    EXPECT(r, "2");
    vg_stats_result_destroy(r);

    /* Both at once, in any order. */
    const char *both[] = {"attack=Bombing/Explosion", "country=Iraq", "source=GTD", "country=Syria",
                          NULL};
    r = run(f, "country", NULL, both, NULL, NULL);
    EXPECT(r, "Iraq|2", "Syria|2");
    vg_stats_result_destroy(r);

    /* Numeric fields. */
    const char *years[] = {"year=2014", "year=2016", "month=1", "month=0", NULL};
    r = run(f, "year", NULL, years, NULL, NULL);
    EXPECT(r, "2014|2");
    vg_stats_result_destroy(r);

    /* Values are data, never part of a query. */
    const char *inject[] = {"country=Iraq' OR '1'='1", NULL};
    r = run(f, "country", NULL, inject, NULL, NULL);
    assert_int_equal(r->nrows, 0);
    vg_stats_result_destroy(r);

    /* Nothing matches: no groups. */
    const char *none[] = {"group=Nobody", NULL};
    r = run(f, "group", NULL, none, NULL, NULL);
    assert_int_equal(r->nrows, 0);
    vg_stats_result_destroy(r);
}

static void test_total_of_nothing(void **state)
{
    struct fixture *f = *state;
    /* Without dimensions the result is one total row, also when no incident matches; its sums
     * over no known value are unknown, as SQL's sum() of no rows is NULL. */
    const char *none[] = {"country=Atlantis", NULL};
    struct vg_stats_result *r = run(f, "", "incidents,killed,wounded", none, NULL, NULL);
    EXPECT(r, "0|NULL|NULL");
    vg_stats_result_destroy(r);
    r = run(f, "", NULL, NULL, "2030", NULL);
    EXPECT(r, "0");
    vg_stats_result_destroy(r);
}

static void test_date_range(void **state)
{
    struct fixture *f = *state;
    struct vg_stats_result *r = run(f, "", NULL, NULL, "2014", "2014");
    EXPECT(r, "5");
    vg_stats_result_destroy(r);

    /* Month precision: January 2014 only (the incident of unknown month in 2014 is not in it). */
    r = run(f, "", NULL, NULL, "2014-01", "2014-01");
    EXPECT(r, "2");
    vg_stats_result_destroy(r);

    r = run(f, "year", NULL, NULL, "2014-02", "2015-02");
    EXPECT(r, "2014|2", "2015|1");
    vg_stats_result_destroy(r);

    /* Day precision, and the last day of a month with a day-unknown incident (2015-03). */
    r = run(f, "", NULL, NULL, "2014-06-01", "2014-12-31");
    EXPECT(r, "2");
    vg_stats_result_destroy(r);
    r = run(f, "", NULL, NULL, "2015-03", "2015-03-31");
    EXPECT(r, "1");
    vg_stats_result_destroy(r);

    /* Open ends. */
    r = run(f, "year", NULL, NULL, "2015", NULL);
    EXPECT(r, "2015|2", "2016|2");
    vg_stats_result_destroy(r);
    r = run(f, "year", NULL, NULL, NULL, "2013");
    EXPECT(r, "2012|1", "2013|1");
    vg_stats_result_destroy(r);

    /* With a filter. */
    const char *iraq[] = {"country=Iraq", NULL};
    r = run(f, "", "incidents,killed", iraq, "2014", "2016");
    EXPECT(r, "3|5");
    vg_stats_result_destroy(r);
}

static void test_follows_the_database(void **state)
{
    (void)state;
    /* Statistics answer for the database as it is now: after rows are added, and after rows are
     * changed. */
    char *dir = tu_mkdtemp();
    char db[TU_PATH_MAX], csv[TU_PATH_MAX];
    struct vg_error err;
    struct vg_store *s = NULL;
    vg_error_clear(&err);
    if (vg_store_open(tu_join(db, dir, "follow.db"), 0, &s, &err) != 0)
        fail_msg("open: %s", err.message);
    struct fixture local = {dir, s};
    struct fixture *f = &local;

    struct vg_stats_result *r = run(f, "country", NULL, NULL, NULL, NULL);
    assert_int_equal(r->nrows, 0);
    vg_stats_result_destroy(r);

    struct vg_ingest_stats st = {0};
    tu_join(csv, dir, "v.csv");
    tu_write_str(csv, "eventid,iyear,country_txt,nkill\n1,2014,Iraq,1\n2,2014,Syria,2\n");
    assert_int_equal(vg_ingest_path(s, csv, NULL, &st, &err), 0);
    r = run(f, "country", "incidents,killed", NULL, NULL, NULL);
    EXPECT(r, "Iraq|1|1", "Syria|1|2");
    vg_stats_result_destroy(r);

    /* Rows added. */
    tu_write_str(csv, "eventid,iyear,country_txt,nkill\n3,2015,Iraq,4\n4,2015,Yemen,8\n");
    assert_int_equal(vg_ingest_path(s, csv, NULL, &st, &err), 0);
    r = run(f, "country", "incidents,killed", NULL, NULL, NULL);
    EXPECT(r, "Iraq|2|5", "Syria|1|2", "Yemen|1|8");
    vg_stats_result_destroy(r);

    /* Rows changed: a country and a casualty count. */
    tu_write_str(csv, "eventid,iyear,country_txt,nkill\n2,2014,Iraq,2\n4,2015,Yemen,16\n");
    assert_int_equal(vg_ingest_path(s, csv, NULL, &st, &err), 0);
    r = run(f, "country", "incidents,killed", NULL, NULL, NULL);
    EXPECT(r, "Iraq|3|7", "Yemen|1|16");
    vg_stats_result_destroy(r);

    /* A second connection sees the same. */
    struct vg_store *s2 = NULL;
    assert_int_equal(vg_store_open(db, VG_STORE_READONLY, &s2, &err), 0);
    struct fixture other = {dir, s2};
    r = run(&other, "year", "incidents,killed", NULL, NULL, NULL);
    EXPECT(r, "2014|2|3", "2015|2|20");
    vg_stats_result_destroy(r);
    vg_store_close(s2);

    vg_store_close(s);
    tu_rmtree(dir);
    free(dir);
}

static void test_parse_dates(void **state)
{
    (void)state;
    struct vg_error err;
    int64_t key = -1;
    assert_int_equal(vg_date_key("2014", 0, &key, &err), 0);
    assert_int_equal(key, 20140000);
    assert_int_equal(vg_date_key("2014", 1, &key, &err), 0);
    assert_int_equal(key, 20149999);
    assert_int_equal(vg_date_key("2014-03", 0, &key, &err), 0);
    assert_int_equal(key, 20140300);
    assert_int_equal(vg_date_key("2014-03", 1, &key, &err), 0);
    assert_int_equal(key, 20140399);
    assert_int_equal(vg_date_key("2014-03-05", 0, &key, &err), 0);
    assert_int_equal(key, 20140305);
    assert_int_equal(vg_date_key("2014-03-05", 1, &key, &err), 0);
    assert_int_equal(key, 20140305);
    assert_int_equal(vg_date_key("2016-02-29", 0, &key, &err), 0);
    assert_int_equal(key, 20160229);

    const char *bad[] = {"",        "14",         "2014-",       "2014-1",    "2014-13",
                         "2014-00", "2014-01-00", "2014-01-32",  "2014-1-05", "2014-01-5",
                         "abcd",    "2014x",      "2014-01-01x", "2014/01",   " 2014",
                         "+201-01"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        key = -1;
        vg_error_clear(&err);
        if (vg_date_key(bad[i], 0, &key, &err) != VG_EINVAL)
            fail_msg("'%s' accepted as a date (%lld)", bad[i], (long long)key);
        assert_int_equal(key, -1);
        assert_int_equal(err.code, VG_EINVAL);
        assert_true(err.message[0] != '\0');
    }
}

static void test_parse_impossible_dates(void **state)
{
    (void)state;
    /* Days that no calendar has are not dates. */
    const char *bad[] = {"2014-02-30", "2015-02-29", "2014-04-31", "1900-02-29"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t key = -1;
        struct vg_error err;
        vg_error_clear(&err);
        if (vg_date_key(bad[i], 0, &key, &err) != VG_EINVAL)
            fail_msg("'%s' accepted as a date (%lld)", bad[i], (long long)key);
        assert_int_equal(key, -1);
    }
    int64_t key = -1;
    struct vg_error err;
    assert_int_equal(vg_date_key("2000-02-29", 1, &key, &err), 0);
    assert_int_equal(key, 20000229);
}

static void test_parse_errors(void **state)
{
    (void)state;
    struct vg_stats_query q;
    struct vg_error err;
    vg_stats_query_init(&q);
    assert_int_equal(q.ndims, 0);
    assert_int_equal(q.nmeasures, 1);

    const char *bad_dims[] = {"bogus", "year,bogus", "year,year",   "",
                              "year,", ",year",      "year,,month", "Year"};
    for (size_t i = 0; i < sizeof(bad_dims) / sizeof(bad_dims[0]); i++) {
        vg_error_clear(&err);
        if (vg_stats_set_dims(&q, bad_dims[i], &err) != VG_EINVAL)
            fail_msg("dimensions '%s' accepted", bad_dims[i]);
        assert_true(err.message[0] != '\0');
    }
    vg_error_clear(&err);
    vg_stats_set_dims(&q, "year,bogus", &err);
    assert_non_null(strstr(err.message, "bogus"));

    const char *bad_measures[] = {"dead", "incidents,dead", "killed,killed", ""};
    for (size_t i = 0; i < sizeof(bad_measures) / sizeof(bad_measures[0]); i++) {
        vg_error_clear(&err);
        if (vg_stats_set_measures(&q, bad_measures[i], &err) != VG_EINVAL)
            fail_msg("measures '%s' accepted", bad_measures[i]);
        assert_true(err.message[0] != '\0');
    }

    vg_stats_query_init(&q);
    const char *bad_where[] = {"country", "=Iraq",    "colour=red", "year=abc",
                               "year=",   "month=1x", "year=20 14"};
    for (size_t i = 0; i < sizeof(bad_where) / sizeof(bad_where[0]); i++) {
        vg_error_clear(&err);
        if (vg_filter_add_where(&q.filter, bad_where[i], &err) != VG_EINVAL)
            fail_msg("filter '%s' accepted", bad_where[i]);
        assert_true(err.message[0] != '\0');
    }
    assert_int_equal(q.filter.nwhere, 0);

    /* The good forms, and the names back. */
    assert_int_equal(
        vg_stats_set_dims(&q, "year,month,country,region,attack,target,weapon,group", &err), 0);
    assert_int_equal(q.ndims, 8);
    assert_int_equal(vg_stats_set_dims(&q, "group,source", &err), 0);
    assert_int_equal(q.ndims, 2);
    assert_int_equal(q.dims[0], VG_DIM_GROUP);
    assert_int_equal(q.dims[1], VG_DIM_SOURCE);
    assert_int_equal(vg_stats_set_measures(&q, "wounded,incidents", &err), 0);
    assert_int_equal(q.nmeasures, 2);
    assert_int_equal(q.measures[0], VG_MEASURE_WOUNDED);
    assert_int_equal(vg_filter_add_where(&q.filter, "country=Côte d'Ivoire", &err), 0);
    assert_int_equal(q.filter.nwhere, 1);
    assert_string_equal(q.filter.where[0].value, "Côte d'Ivoire");
    assert_int_equal(q.filter.where[0].field, VG_DIM_COUNTRY);

    for (int d = 0; d < VG_DIM_COUNT; d++) {
        enum vg_dim back = VG_DIM_COUNT;
        assert_int_equal(vg_dim_parse(vg_dim_name((enum vg_dim)d), &back, &err), 0);
        assert_int_equal(back, d);
    }
    assert_string_equal(vg_dim_name(VG_DIM_GROUP), "group");
    assert_string_equal(vg_measure_name(VG_MEASURE_KILLED), "killed");
    assert_string_equal(vg_dim_name(VG_DIM_COUNT), "?");
    assert_string_equal(vg_measure_name(VG_MEASURE_COUNT), "?");
    vg_stats_result_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_totals),
        cmocka_unit_test(test_by_year),
        cmocka_unit_test(test_by_month_numeric_order),
        cmocka_unit_test(test_by_country_unknown_last),
        cmocka_unit_test(test_two_dims),
        cmocka_unit_test(test_where),
        cmocka_unit_test(test_total_of_nothing),
        cmocka_unit_test(test_date_range),
        cmocka_unit_test(test_follows_the_database),
        cmocka_unit_test(test_parse_dates),
        cmocka_unit_test(test_parse_impossible_dates),
        cmocka_unit_test(test_parse_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
