/* test_sites.c - the site registry: the four real files import with the right counts and land
 * where they should, re-import changes nothing, a changed row is updated, bad rows are rejected
 * with their line and reason, the OpenFlights layout without a header, Latin-1 with decimal
 * commas, finding a site by id or code, listing by kind, country and distance. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "vigil/error.h"
#include "vigil/mem.h"
#include "vigil/sites.h"
#include "vigil/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fx {
    char *dir;
    char db[TU_PATH_MAX];
    struct vg_store *s;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct vg_error err;
    f->dir = tu_mkdtemp();
    tu_join(f->db, f->dir, "s.db");
    if (vg_store_open(f->db, 0, &f->s, &err) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    vg_store_close(f->s);
    tu_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

struct rejects {
    int n;
    long line[16];
    char reason[16][128];
};

static int on_reject(void *ctx, const struct vg_reject *r)
{
    struct rejects *rj = ctx;
    if (rj->n < 16) {
        rj->line[rj->n] = r->line;
        snprintf(rj->reason[rj->n], sizeof(rj->reason[0]), "%s", r->reason);
    }
    rj->n++;
    return 0;
}

static struct vg_ingest_stats import_file(struct fx *f, const char *name, enum vg_site_kind kind)
{
    char path[TU_PATH_MAX], rel[256];
    snprintf(rel, sizeof(rel), "sites/%s", name);
    tu_data_path(path, "VG_TEST_DATA", rel);
    struct vg_sites_import_opts o = {0};
    o.kind = kind;
    struct vg_ingest_stats st = {0};
    struct vg_error err;
    if (vg_sites_import_path(f->s, path, &o, &st, &err) != 0)
        fail_msg("import %s: %s:%ld: %s", name, err.file, err.line, err.message);
    return st;
}

static void expect_stats(struct vg_ingest_stats st, long rows, long ins, long upd, long same,
                         long rej)
{
    assert_int_equal(st.rows, rows);
    assert_int_equal(st.inserted, ins);
    assert_int_equal(st.updated, upd);
    assert_int_equal(st.unchanged, same);
    assert_int_equal(st.rejected, rej);
}

static void test_real_files(void **state)
{
    struct fx *f = *state;
    expect_stats(import_file(f, "ourairports_medium_large.csv", VG_SITE_AIRPORT), 5210, 5210, 0, 0,
                 0);
    expect_stats(import_file(f, "airports_openflights.csv", VG_SITE_AIRPORT), 7184, 7184, 0, 0, 0);
    expect_stats(import_file(f, "db_stations_germany.csv", VG_SITE_RAILWAY), 5388, 5388, 0, 0, 0);
    expect_stats(import_file(f, "nyc_subway_stations_mta.csv", VG_SITE_SUBWAY), 496, 496, 0, 0, 0);
    int64_t n = 0;
    struct vg_error err;
    assert_int_equal(vg_site_count(f->s, NULL, &n, &err), 0);
    assert_int_equal(n, 5210 + 7184 + 5388 + 496);

    /* Heathrow: by ICAO (one per airport file, so ambiguous), then by id. */
    struct vg_site site;
    assert_int_equal(vg_site_find(f->s, "egll", &site, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "London Heathrow Airport"));
    assert_non_null(strstr(err.message, "ourairports_medium_large.csv"));
    assert_non_null(strstr(err.message, "airports_openflights.csv"));
    /* LHR in OurAirports (row 753 of the file) */
    assert_int_equal(vg_site_find(f->s, "753", &site, &err), 0);
    assert_string_equal(site.code, "LHR");
    assert_string_equal(site.icao, "EGLL");
    assert_string_equal(site.country, "GB");
    assert_string_equal(site.region, "Western Europe");
    assert_string_equal(site.size, "large_airport");
    assert_true(fabs(site.lat - 51.4706) < 1e-4);
    assert_true(fabs(site.lon - -0.4619) < 1e-4);
    vg_site_cleanup(&site);

    /* Frankfurt by its station code, case-insensitive; Frankfurt airport by IATA is ambiguous */
    assert_int_equal(vg_site_find(f->s, "ff", &site, &err), 0);
    assert_int_equal(site.kind, VG_SITE_RAILWAY);
    assert_non_null(strstr(site.name, "Frankfurt"));
    assert_true(fabs(site.lat - 50.107) < 0.01 && fabs(site.lon - 8.663) < 0.01);
    vg_site_cleanup(&site);

    /* OpenFlights names the country; it is stored as its ISO code with its GTD region (site
     * 5211 is the first row of the second file, Goroka) */
    assert_int_equal(vg_site_find(f->s, "5211", &site, &err), 0);
    assert_string_equal(site.icao, "AYGA");
    assert_string_equal(site.country, "PG");
    assert_string_equal(site.region, "Australasia & Oceania");
    vg_site_cleanup(&site);

    assert_int_equal(vg_site_find(f->s, "nothing-like-this", &site, &err), VG_ENOTFOUND);
}

static int count_site(void *ctx, const struct vg_site *s)
{
    (void)s;
    (*(int *)ctx)++;
    return 0;
}

static void test_reimport_and_update(void **state)
{
    struct fx *f = *state;
    expect_stats(import_file(f, "nyc_subway_stations_mta.csv", VG_SITE_SUBWAY), 496, 496, 0, 0, 0);
    expect_stats(import_file(f, "nyc_subway_stations_mta.csv", VG_SITE_SUBWAY), 496, 0, 0, 496, 0);
    /* the same rows under another kind are updated, keeping their ids */
    expect_stats(import_file(f, "nyc_subway_stations_mta.csv", VG_SITE_RAILWAY), 496, 0, 496, 0, 0);
    /* a changed row, under the same source name */
    const char *text = "stop_id,stop_name,stop_lat,stop_lon\n"
                       "101,Van Cortlandt Park-242 Street,40.889248,-73.898583\n";
    struct vg_sites_import_opts o = {0};
    o.kind = VG_SITE_RAILWAY;
    o.source = "nyc_subway_stations_mta.csv";
    struct vg_ingest_stats st = {0};
    struct vg_error err;
    assert_int_equal(vg_sites_import_mem(f->s, text, strlen(text), "x.csv", &o, &st, &err), 0);
    expect_stats(st, 1, 0, 1, 0, 0);
    struct vg_site site;
    assert_int_equal(vg_site_find(f->s, "1", &site, &err), 0);
    assert_string_equal(site.name, "Van Cortlandt Park-242 Street");
    assert_string_equal(site.code, "101");
    vg_site_cleanup(&site);
    int n = 0;
    assert_int_equal(vg_site_each(f->s, NULL, count_site, &n, &err), 0);
    assert_int_equal(n, 496);
}

static void test_rejects(void **state)
{
    struct fx *f = *state;
    char path[TU_PATH_MAX];
    tu_data_path(path, "VG_TEST_DATA", "sites/bad.csv");
    struct rejects rj = {0};
    struct vg_sites_import_opts o = {0};
    o.kind = VG_SITE_OTHER;
    o.on_reject = on_reject;
    o.ctx = &rj;
    struct vg_ingest_stats st = {0};
    struct vg_error err;
    assert_int_equal(vg_sites_import_path(f->s, path, &o, &st, &err), 0);
    expect_stats(st, 8, 2, 0, 0, 6);
    assert_int_equal(rj.n, 6);
    long lines[] = {3, 4, 5, 6, 7, 8};
    const char *why[] = {"no name",
                         "no latitude",
                         "is not a number",
                         "between -90 and 90",
                         "repeats the row on line 2",
                         "fields where the header has"};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(rj.line[i], lines[i]);
        if (!strstr(rj.reason[i], why[i]))
            fail_msg("line %ld: '%s' lacks '%s'", rj.line[i], rj.reason[i], why[i]);
    }
    /* a file without coordinates is refused as a whole */
    const char *text = "name,city\nA,B\n";
    st = (struct vg_ingest_stats){0};
    assert_int_equal(vg_sites_import_mem(f->s, text, strlen(text), "nocoord.csv", &o, &st, &err),
                     VG_EFORMAT);
    assert_non_null(strstr(err.message, "latitude"));
    assert_string_equal(err.file, "nocoord.csv");
    assert_int_equal(vg_sites_import_mem(f->s, "", 0, "empty.csv", &o, &st, &err), VG_EFORMAT);
}

static void test_openflights_without_header(void **state)
{
    struct fx *f = *state;
    expect_stats(import_file(f, "openflights_noheader.csv", VG_SITE_AIRPORT), 5, 5, 0, 0, 0);
    struct vg_site site;
    struct vg_error err;
    assert_int_equal(vg_site_find(f->s, "GKA", &site, &err), 0);
    assert_string_equal(site.name, "Goroka Airport");
    assert_string_equal(site.icao, "AYGA");
    assert_string_equal(site.country, "PG");
    assert_true(fabs(site.lat - -6.081689834590001) < 1e-12);
    assert_true(fabs(site.lon - 145.391998291) < 1e-12);
    vg_site_cleanup(&site);
}

static void test_latin1_decimal_comma(void **state)
{
    struct fx *f = *state;
    expect_stats(import_file(f, "latin1.csv", VG_SITE_RAILWAY), 2, 2, 0, 0, 0);
    struct vg_site site;
    struct vg_error err;
    assert_int_equal(vg_site_find(f->s, "2", &site, &err), 0);
    assert_string_equal(site.name, "M\xc3\xbcnchen Hbf");
    assert_true(fabs(site.lat - 48.140232) < 1e-9 && fabs(site.lon - 11.558335) < 1e-9);
    vg_site_cleanup(&site);
}

static void test_filters(void **state)
{
    struct fx *f = *state;
    import_file(f, "ourairports_medium_large.csv", VG_SITE_AIRPORT);
    import_file(f, "db_stations_germany.csv", VG_SITE_RAILWAY);
    struct vg_error err;
    struct vg_site_filter flt = {0};
    int n = 0;
    flt.only_kind = 1, flt.kind = VG_SITE_RAILWAY;
    assert_int_equal(vg_site_each(f->s, &flt, count_site, &n, &err), 0);
    assert_int_equal(n, 5388);
    flt = (struct vg_site_filter){0};
    flt.country = "United Kingdom";
    int64_t by_name = 0, by_code = 0;
    assert_int_equal(vg_site_count(f->s, &flt, &by_name, &err), 0);
    flt.country = "gb";
    assert_int_equal(vg_site_count(f->s, &flt, &by_code, &err), 0);
    assert_true(by_name > 20);
    assert_int_equal(by_name, by_code);
    /* within 30 km of Heathrow: Heathrow and Northolt among the airports */
    flt = (struct vg_site_filter){0};
    flt.only_kind = 1, flt.kind = VG_SITE_AIRPORT;
    flt.near = 1, flt.lat = 51.4706, flt.lon = -0.4619, flt.km = 30;
    n = 0;
    assert_int_equal(vg_site_each(f->s, &flt, count_site, &n, &err), 0);
    assert_int_equal(n, 2);
}

static void test_geo_and_countries(void **state)
{
    (void)state;
    /* LHR to JFK, great circle: 5,540 km (5,539.4 on a sphere of 6,371.0088 km) */
    double d = vg_geo_km(51.4706, -0.461941, 40.639801, -73.7789);
    assert_true(fabs(d - 5540) < 5);
    assert_true(vg_geo_km(10, 20, 10, 20) == 0);
    const char *iso = NULL;
    assert_string_equal(vg_country_region("Burma", &iso), "Southeast Asia");
    assert_string_equal(iso, "MM");
    assert_string_equal(vg_country_region("tr", &iso), "Middle East & North Africa");
    assert_null(vg_country_region("Atlantis", &iso));
    assert_null(iso);
    enum vg_site_kind k;
    struct vg_error err;
    assert_int_equal(vg_site_kind_parse("Subway", &k, &err), 0);
    assert_int_equal(k, VG_SITE_SUBWAY);
    assert_int_equal(vg_site_kind_parse("harbour", &k, &err), VG_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_real_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reimport_and_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_openflights_without_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_latin1_decimal_comma, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
        cmocka_unit_test(test_geo_and_countries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
