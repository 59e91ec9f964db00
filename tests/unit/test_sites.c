/* test_sites.c - the site registry: the four real files import with the right counts and land
 * where they should, re-import changes nothing, a changed row is updated, bad rows are rejected
 * with their line and reason, the OpenFlights layout without a header, Latin-1 with decimal
 * commas, finding a site by id or code (the rule that picks one site among the rows a code
 * matches: IATA/ICAO above station codes, one place imported from several files), listing by
 * kind, country and distance; the answers file of `vigil sites assess --file` (assess_file.h).
 * Damaged input in both files: a stray quote that swallows the lines after it (only its first
 * line rejected, the others read again), rows with the wrong number of fields, text that is not
 * UTF-8 or holds a NUL byte, blank lines before the header, a Latin-1 header, a decimal comma
 * when a quoted header name holds commas. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vigil/assess_file.h"
#include "vigil/error.h"
#include "vigil/mem.h"
#include "vigil/risk.h"
#include "vigil/sites.h"
#include "vigil/store.h"

#include "testutil.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int setup(void **state)
{
    return tu_store_setup(state, "s.db");
}

struct rejects {
    int n;
    long line[16];
    char column[16][64];
    char reason[16][160];
    char raw[16][128];
};

static int on_reject(void *ctx, const struct vg_reject *r)
{
    struct rejects *rj = ctx;
    if (rj->n < 16) {
        rj->line[rj->n] = r->line;
        snprintf(rj->column[rj->n], sizeof(rj->column[0]), "%s", r->column);
        snprintf(rj->reason[rj->n], sizeof(rj->reason[0]), "%s", r->reason);
        snprintf(rj->raw[rj->n], sizeof(rj->raw[0]), "%.*s", (int)r->raw_len, r->raw);
    }
    rj->n++;
    return 0;
}

static int stop_reject(void *ctx, const struct vg_reject *r)
{
    (void)ctx;
    (void)r;
    return 1;
}

static struct vg_ingest_stats import_file(struct tu_store *f, const char *name,
                                          enum vg_site_kind kind)
{
    /* the four real files are shipped in data/sites, the hand-made ones are in tests/data/sites */
    static const char *const real[] = {"ourairports_medium_large.csv", "airports_openflights.csv",
                                       "db_stations_germany.csv", "nyc_subway_stations_mta.csv"};
    char path[TU_PATH_MAX], rel[256];
    int shipped = 0;
    for (size_t i = 0; i < sizeof(real) / sizeof(real[0]); i++)
        shipped |= strcmp(name, real[i]) == 0;
    snprintf(rel, sizeof(rel), "%s/%s", shipped ? "../sites" : "sites", name);
    tu_data_path(path, shipped ? "VG_SAMPLE_DATA" : "VG_TEST_DATA", rel);
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
    struct tu_store *f = *state;
    expect_stats(import_file(f, "ourairports_medium_large.csv", VG_SITE_AIRPORT), 5210, 5210, 0, 0,
                 0);
    expect_stats(import_file(f, "airports_openflights.csv", VG_SITE_AIRPORT), 7184, 7184, 0, 0, 0);
    expect_stats(import_file(f, "db_stations_germany.csv", VG_SITE_RAILWAY), 5388, 5388, 0, 0, 0);
    expect_stats(import_file(f, "nyc_subway_stations_mta.csv", VG_SITE_SUBWAY), 496, 496, 0, 0, 0);
    int64_t n = 0;
    struct vg_error err;
    assert_int_equal(vg_site_count(f->s, NULL, &n, &err), 0);
    assert_int_equal(n, 5210 + 7184 + 5388 + 496);

    /* Heathrow by ICAO: one row in each airport file, the same place, so the first imported */
    struct vg_site site;
    struct vg_site_lookup info;
    assert_int_equal(vg_site_lookup(f->s, "egll", &site, &info, &err), 0);
    assert_int_equal(site.id, 753);
    assert_int_equal(info.match, VG_SITE_MATCH_IATA_ICAO);
    assert_int_equal(info.nsame, 1);
    assert_int_equal(info.same[0].id, 5713);
    assert_string_equal(info.same[0].source, "airports_openflights.csv");
    assert_true(info.same[0].km < 0.01);
    assert_int_equal(info.nweaker, 0);
    vg_site_cleanup(&site);
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

/* The codes of the issue with the four real files imported: one airport each, the OurAirports
 * row (imported first), the OpenFlights row as the same place, and the DB stations whose DS100
 * code equals the IATA code passed over. */
static void test_find_real_codes(void **state)
{
    struct tu_store *f = *state;
    import_file(f, "ourairports_medium_large.csv", VG_SITE_AIRPORT);
    import_file(f, "airports_openflights.csv", VG_SITE_AIRPORT);
    import_file(f, "db_stations_germany.csv", VG_SITE_RAILWAY);
    import_file(f, "nyc_subway_stations_mta.csv", VG_SITE_SUBWAY);
    static const struct {
        const char *key;
        int64_t id, same_id, weaker_id;
        const char *name, *weaker_name;
    } cases[] = {
        {"FRA", 638, 5547, 16139, "Frankfurt Airport", "Raunheim"},
        {"fra", 638, 5547, 16139, "Frankfurt Airport", "Raunheim"},
        {"EDDF", 638, 5547, 0, "Frankfurt Airport", NULL},
        {"LHR", 753, 5713, 14406, "London Heathrow Airport", "Heudeber-Danstedt"},
        {"EGLL", 753, 5713, 0, "London Heathrow Airport", NULL},
        {"JFK", 1828, 8790, 0, "John F Kennedy International Airport", NULL},
        {"KJFK", 1828, 8790, 0, "John F Kennedy International Airport", NULL},
    };
    struct vg_error err;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vg_site site;
        struct vg_site_lookup info;
        if (vg_site_lookup(f->s, cases[i].key, &site, &info, &err) != 0)
            fail_msg("%s: %s", cases[i].key, err.message);
        assert_int_equal(site.id, cases[i].id);
        assert_int_equal(site.kind, VG_SITE_AIRPORT);
        assert_string_equal(site.name, cases[i].name);
        assert_int_equal(info.match, VG_SITE_MATCH_IATA_ICAO);
        assert_int_equal(info.nsame, 1);
        assert_int_equal(info.same[0].id, cases[i].same_id);
        assert_int_equal(info.same[0].kind, VG_SITE_AIRPORT);
        assert_string_equal(info.same[0].source, "airports_openflights.csv");
        assert_true(info.same[0].km < VG_SITE_SAME_KM);
        assert_int_equal(info.nweaker, cases[i].weaker_id ? 1 : 0);
        char note[512];
        size_t len = vg_site_lookup_note(&info, note, sizeof(note));
        assert_int_equal(len, strlen(note));
        char want[128];
        snprintf(want, sizeof(want), "also imported as id %lld from airports_openflights.csv",
                 (long long)cases[i].same_id);
        if (!strstr(note, want))
            fail_msg("%s: note '%s' lacks '%s'", cases[i].key, note, want);
        if (cases[i].weaker_id) {
            assert_int_equal(info.weaker[0].id, cases[i].weaker_id);
            assert_int_equal(info.weaker[0].kind, VG_SITE_RAILWAY);
            assert_int_equal(info.weaker[0].match, VG_SITE_MATCH_CODE);
            assert_string_equal(info.weaker[0].name, cases[i].weaker_name);
            assert_non_null(strstr(note, cases[i].weaker_name));
        }
        vg_site_cleanup(&site);
        /* vg_site_find follows the same rule */
        assert_int_equal(vg_site_find(f->s, cases[i].key, &site, &err), 0);
        assert_int_equal(site.id, cases[i].id);
        vg_site_cleanup(&site);
    }
    /* a station's own code still finds it; by id, the match says so and nothing is passed over */
    struct vg_site site;
    struct vg_site_lookup info;
    assert_int_equal(vg_site_lookup(f->s, "16139", &site, &info, &err), 0);
    assert_string_equal(site.name, "Raunheim");
    assert_int_equal(info.match, VG_SITE_MATCH_ID);
    assert_int_equal(info.nsame + info.nweaker, 0);
    char note[64] = "x";
    assert_int_equal(vg_site_lookup_note(&info, note, sizeof(note)), 0);
    assert_string_equal(note, "");
    vg_site_cleanup(&site);
}

/* Imports the CSV text as a file named name. */
static void import_text(struct tu_store *f, const char *name, enum vg_site_kind kind,
                        const char *text)
{
    struct vg_sites_import_opts o = {0};
    o.kind = kind;
    struct vg_ingest_stats st = {0};
    struct vg_error err;
    if (vg_sites_import_mem(f->s, text, strlen(text), name, &o, &st, &err) != 0 || st.rejected != 0)
        fail_msg("import %s: %s", name, err.message);
}

/* The rule on hand-built files: 0.01 degree of latitude is 1.11 km. */
static void test_find_rule(void **state)
{
    struct tu_store *f = *state;
    struct vg_site site;
    struct vg_site_lookup info;
    struct vg_error err;
    /* ids 1-3: AAA in three files, every two within 2.3 km: one place, the first imported */
    import_text(f, "a.csv", VG_SITE_AIRPORT, "id,name,lat,lon,iata\n1,A one,10.00,20,AAA\n");
    import_text(f, "b.csv", VG_SITE_AIRPORT, "id,name,lat,lon,iata\n1,A two,10.01,20,AAA\n");
    import_text(f, "c.csv", VG_SITE_AIRPORT, "id,name,lat,lon,iata\n1,A three,10.02,20,AAA\n");
    assert_int_equal(vg_site_lookup(f->s, "aaa", &site, &info, &err), 0);
    assert_int_equal(site.id, 1);
    assert_int_equal(info.nsame, 2);
    assert_int_equal(info.same[0].id, 2);
    assert_int_equal(info.same[1].id, 3);
    assert_true(fabs(info.same[1].km - 2.224) < 0.01);
    vg_site_cleanup(&site);

    /* ids 4-6: BBB in a chain, 4-5 and 5-6 2.2 km apart but 4-6 4.4 km: ambiguous */
    import_text(f, "a.csv", VG_SITE_AIRPORT,
                "id,name,lat,lon,iata\n1,A one,10.00,20,AAA\n2,B one,30.00,20,BBB\n");
    import_text(f, "b.csv", VG_SITE_AIRPORT,
                "id,name,lat,lon,iata\n1,A two,10.01,20,AAA\n2,B two,30.02,20,BBB\n");
    import_text(f, "c.csv", VG_SITE_AIRPORT,
                "id,name,lat,lon,iata\n1,A three,10.02,20,AAA\n2,B three,30.04,20,BBB\n");
    info.nsame = 99;
    assert_int_equal(vg_site_lookup(f->s, "BBB", &site, &info, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "names 3 sites"));
    assert_non_null(strstr(err.message, "4 B one (airport, a.csv); 5 B two (airport, b.csv); "
                                        "6 B three (airport, c.csv)"));
    assert_int_equal(info.nsame, 0); /* zeroed on failure */

    /* ids 7-8: CCC twice in one file, 1 m apart: a file lists a place once, so two sites */
    import_text(f, "d.csv", VG_SITE_AIRPORT,
                "id,name,lat,lon,iata\n1,C one,40,20,CCC\n2,C two,40.00001,20,CCC\n");
    assert_int_equal(vg_site_lookup(f->s, "CCC", &site, &info, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "names 2 sites"));

    /* ids 9-10: DDD a station code in two files at one place, but of two kinds: ambiguous */
    import_text(f, "e.csv", VG_SITE_RAILWAY, "id,name,lat,lon,ds100\n1,D station,45,5,DDD\n");
    import_text(f, "f.csv", VG_SITE_SUBWAY, "id,name,lat,lon,ds100\n1,D subway,45,5,DDD\n");
    assert_int_equal(vg_site_lookup(f->s, "DDD", &site, &info, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "9 D station (railway, e.csv); 10 D subway (subway"));

    /* ids 11-13: EEE the IATA code of an airport and the station code of two stations far away:
     * the airport, with both stations passed over */
    import_text(f, "g.csv", VG_SITE_RAILWAY,
                "id,name,lat,lon,ds100\n1,E station,50,8,EEE\n2,E halt,52,9,EEE\n");
    import_text(f, "h.csv", VG_SITE_AIRPORT, "id,name,lat,lon,iata\n1,E airport,50.03,8.5,EEE\n");
    assert_int_equal(vg_site_lookup(f->s, "eee", &site, &info, &err), 0);
    assert_int_equal(site.id, 13);
    assert_string_equal(site.name, "E airport");
    assert_int_equal(info.match, VG_SITE_MATCH_IATA_ICAO);
    assert_int_equal(info.nsame, 0);
    assert_int_equal(info.nweaker, 2);
    assert_int_equal(info.weaker[0].id, 11);
    assert_int_equal(info.weaker[1].id, 12);
    assert_int_equal(info.weaker[0].match, VG_SITE_MATCH_CODE);
    char note[256];
    vg_site_lookup_note(&info, note, sizeof(note));
    assert_string_equal(note, "also the code of id 11 E station (railway); also the code of id "
                              "12 E halt (railway)");
    /* a short buffer holds the start of the note, terminated */
    char small[12];
    assert_int_equal(vg_site_lookup_note(&info, small, sizeof(small)), 11);
    assert_string_equal(small, "also the co");
    vg_site_cleanup(&site);

    /* the ICAO column ranks with the IATA column: FFFF as an ICAO code beats a station code */
    import_text(f, "i.csv", VG_SITE_RAILWAY, "id,name,lat,lon,ds100\n1,F station,0,0,FFFF\n");
    import_text(f, "j.csv", VG_SITE_AIRPORT, "id,name,lat,lon,icao\n1,F airport,1,1,FFFF\n");
    assert_int_equal(vg_site_lookup(f->s, "FFFF", &site, &info, &err), 0);
    assert_string_equal(site.name, "F airport");
    assert_int_equal(info.nweaker, 1);
    vg_site_cleanup(&site);

    /* only station codes, two stations 1.1 km apart from two files: one place */
    import_text(f, "k.csv", VG_SITE_RAILWAY, "id,name,lat,lon,ds100\n1,G one,60,10,GGG\n");
    import_text(f, "l.csv", VG_SITE_RAILWAY, "id,name,lat,lon,ds100\n1,G two,60.01,10,GGG\n");
    assert_int_equal(vg_site_lookup(f->s, "GGG", &site, &info, &err), 0);
    assert_string_equal(site.name, "G one");
    assert_int_equal(info.match, VG_SITE_MATCH_CODE);
    assert_int_equal(info.nsame, 1);
    vg_site_cleanup(&site);

    /* no key, an unknown code, an unknown id; info may be NULL */
    assert_int_equal(vg_site_lookup(f->s, "", &site, &info, &err), VG_EINVAL);
    assert_int_equal(vg_site_lookup(f->s, "ZZZ", &site, NULL, &err), VG_ENOTFOUND);
    assert_non_null(strstr(err.message, "no site with code 'ZZZ'"));
    assert_int_equal(vg_site_lookup(f->s, "999", &site, NULL, &err), VG_ENOTFOUND);
}

/* More rows than VG_SITE_LOOKUP_MAX share a code: ambiguous, and said so. */
static void test_find_too_many(void **state)
{
    struct tu_store *f = *state;
    char text[64 * (VG_SITE_LOOKUP_MAX + 2)];
    size_t len = (size_t)snprintf(text, sizeof(text), "id,name,lat,lon,code\n");
    for (int i = 0; i < VG_SITE_LOOKUP_MAX + 1; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%d,S%d,%d,0,HHH\n", i, i, i % 80);
    import_text(f, "m.csv", VG_SITE_OTHER, text);
    struct vg_site site;
    struct vg_error err;
    assert_int_equal(vg_site_lookup(f->s, "HHH", &site, NULL, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "names more than 256 sites"));
    assert_non_null(strstr(err.message, "; ..."));
}

static int count_answers(struct tu_store *f, const char *where)
{
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM site_assessments WHERE %s", where);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(vg_store_db(f->s), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* The answers file of `vigil sites assess --file`: the good rows stored, each bad one rejected
 * with its line and column, codes found by the rule of vg_site_lookup, nothing kept when the
 * file as a whole is refused. */
static void test_assess_file(void **state)
{
    struct tu_store *f = *state;
    char dir[TU_PATH_MAX], sample[TU_PATH_MAX];
    tu_data_path(sample, "VG_SAMPLE_DATA", "README.md");
    snprintf(dir, sizeof(dir), "%s/../risk", getenv("VG_SAMPLE_DATA"));
    struct vg_risk_scales *scales = NULL;
    struct vg_error err;
    if (vg_risk_scales_load(dir, VG_RISK_SCALES_VERSION, &scales, &err))
        fail_msg("%s: %s", err.file, err.message);
    /* ids 1 and 2: one airport in two files; 3: a station whose code is the airport's IATA */
    import_text(f, "a.csv", VG_SITE_AIRPORT, "id,name,lat,lon,iata\n1,Airport,50,8,AAA\n");
    import_text(f, "b.csv", VG_SITE_AIRPORT, "id,name,lat,lon,iata\n1,Airport,50.001,8,AAA\n");
    import_text(f, "c.csv", VG_SITE_RAILWAY, "id,name,lat,lon,ds100\n1,Station,51,9,AAA\n");
    const char *text = "Site,item,STATUS,notes,date,other\n"
                       "aaa,cctv,gap,east side,2026-03-01,x\n" /* the airport, id 1 */
                       "3,cctv,met,,,\n"                       /* the station, today */
                       "\n"                                    /* blank: skipped */
                       "AAA,moat,gap,,,\n"                     /* 5: unknown item */
                       "AAA,cctv,maybe,,,\n"                   /* 6: bad status */
                       "AAA,cctv,met,,2026-02-29,\n"           /* 7: no such day */
                       ",cctv,met,,,\n"                        /* 8: no site */
                       "ZZZ,cctv,met,,,\n"                     /* 9: unknown site */
                       "1,perimeter,MET,,2024-02-29,\n";       /* a leap day */
    struct rejects rj = {0};
    struct vg_assess_file_opts o = {scales, "tester", "2026-01-15", on_reject, &rj};
    struct vg_assess_file_stats st = {0, 0, 0};
    assert_int_equal(vg_assess_file_read_mem(f->s, text, strlen(text), "ans.csv", &o, &st, &err),
                     0);
    assert_int_equal(st.rows, 8);
    assert_int_equal(st.stored, 3);
    assert_int_equal(st.rejected, 5);
    long lines[] = {5, 6, 7, 8, 9};
    const char *why[] = {"unknown item 'moat'", "unknown status 'maybe'", "is not a date",
                         "empty: give the site's id or code", "no site with code 'ZZZ'"};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(rj.line[i], lines[i]);
        if (!strstr(rj.reason[i], why[i]))
            fail_msg("line %ld: '%s' lacks '%s'", rj.line[i], rj.reason[i], why[i]);
    }
    assert_int_equal(count_answers(f, "site_id = 1 AND item = 'cctv' AND status = 'gap' AND "
                                      "notes = 'east side' AND assessed_on = '2026-03-01' AND "
                                      "assessed_by = 'tester'"),
                     1);
    assert_int_equal(count_answers(f, "site_id = 3 AND assessed_on = '2026-01-15'"), 1);
    assert_int_equal(count_answers(f, "site_id = 1 AND item = 'perimeter'"), 1);
    assert_int_equal(count_answers(f, "site_id = 2"), 0);

    /* refused as a whole: nothing stored, the error located in the file */
    const char *nostatus = "site,item\n1,patrols\n";
    assert_int_equal(
        vg_assess_file_read_mem(f->s, nostatus, strlen(nostatus), "n.csv", &o, &st, &err),
        VG_EFORMAT);
    assert_string_equal(err.file, "n.csv");
    assert_int_equal(err.line, 1);
    assert_non_null(strstr(err.message, "missing column 'status'"));
    assert_int_equal(vg_assess_file_read_mem(f->s, "", 0, "e.csv", &o, &st, &err), VG_EFORMAT);
    assert_non_null(strstr(err.message, "empty file"));
    /* on_reject asking to stop rolls the file back */
    const char *two = "site,item,status\n1,patrols,met\n1,patrols,bad\n";
    o.on_reject = NULL;
    assert_int_equal(vg_assess_file_read_mem(f->s, two, strlen(two), "t.csv", &o, &st, NULL), 0);
    assert_int_equal(count_answers(f, "item = 'patrols'"), 1);
    assert_int_equal(vg_store_exec(f->s, "DELETE FROM site_assessments", &err), 0);
    o.on_reject = stop_reject;
    assert_int_equal(vg_assess_file_read_mem(f->s, two, strlen(two), "t.csv", &o, &st, &err),
                     VG_EINVAL);
    assert_int_equal(count_answers(f, "1"), 0);
    /* options checked */
    o.today = "2026-13-01";
    assert_int_equal(vg_assess_file_read_mem(f->s, two, strlen(two), "t.csv", &o, &st, &err),
                     VG_EINVAL);
    assert_true(vg_assess_date_valid("2000-02-29") && !vg_assess_date_valid("1900-02-29"));
    assert_true(!vg_assess_date_valid("2026-1-01") && !vg_assess_date_valid("2026-04-31"));
    vg_risk_scales_destroy(scales);
}

static int count_site(void *ctx, const struct vg_site *s)
{
    (void)s;
    (*(int *)ctx)++;
    return 0;
}

static void test_reimport_and_update(void **state)
{
    struct tu_store *f = *state;
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
    struct tu_store *f = *state;
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
    struct tu_store *f = *state;
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
    struct tu_store *f = *state;
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
    struct tu_store *f = *state;
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

/* Checks reject i: its line, column and a part of its reason. */
static void expect_reject(const struct rejects *rj, int i, long line, const char *column,
                          const char *why)
{
    assert_true(i < rj->n);
    assert_int_equal(rj->line[i], line);
    assert_string_equal(rj->column[i], column);
    if (!strstr(rj->reason[i], why))
        fail_msg("line %ld: '%s' lacks '%s'", rj->line[i], rj->reason[i], why);
}

/* The one text value of a query, copied into out ("" for NULL). */
static void query_text(struct tu_store *f, const char *sql, char *out, size_t n)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(vg_store_db(f->s), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(out, n, "%s", t ? (const char *)t : "");
    sqlite3_finalize(st);
}

/* Imports the len bytes of text as name with the encoding and kind given, rejects into rj. */
static int import_bytes(struct tu_store *f, const char *name, enum vg_encoding enc,
                        const char *text, size_t len, struct rejects *rj,
                        struct vg_ingest_stats *st, struct vg_error *err)
{
    struct vg_sites_import_opts o = {0};
    o.kind = VG_SITE_OTHER;
    o.encoding = enc;
    o.on_reject = on_reject;
    o.ctx = rj;
    *rj = (struct rejects){0};
    *st = (struct vg_ingest_stats){0};
    return vg_sites_import_mem(f->s, text, len, name, &o, st, err);
}

/* The names of the sites imported from source, in id order, separated by '|'. */
static void names_of(struct tu_store *f, const char *source, char *out, size_t n)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT group_concat(name, '|') FROM (SELECT name FROM sites WHERE source = '%s' "
             "ORDER BY id)",
             source);
    query_text(f, sql, out, n);
}

/* A stray quote in a file of sites swallowed the lines after it into one site's name: now the
 * record's first line is rejected and the lines after it are read again as rows. */
static void test_sites_stray_quote(void **state)
{
    struct tu_store *f = *state;
    struct rejects rj;
    struct vg_ingest_stats st;
    struct vg_error err;
    char got[512];
    /* the field count is right and no text follows the closing quote, but the name holds line
     * ends: a stray quote before Gatwick took Stansted's row into the name */
    const char *text = "name,lat,lon,code\n"
                       "\"Gatwick\nStansted,51.88,0.23,STN\nLuton\",51.15,-0.18,LGW\n";
    assert_int_equal(import_bytes(f, "g.csv", VG_ENCODING_AUTO, text, strlen(text), &rj, &st, &err),
                     0);
    expect_stats(st, 3, 2, 0, 0, 1);
    assert_int_equal(rj.n, 1);
    expect_reject(&rj, 0, 2, "name", "a stray quote; reading resumes on the next line");
    assert_string_equal(rj.raw[0], "\"Gatwick");
    names_of(f, "g.csv", got, sizeof(got));
    assert_string_equal(got, "Stansted|Luton\""); /* the third line, read again, as it stands */
    query_text(f, "SELECT code || ' ' || lat || ' ' || lon FROM sites WHERE name = 'Stansted'", got,
               sizeof(got));
    assert_string_equal(got, "STN 51.88 0.23");

    /* text after the closing quote, with CRLF line ends */
    text = "name,lat,lon,code\r\n"
           "\"Gatwick,51.15,-0.18,LGW\r\n"
           "Stansted,51.88,0.23,STN\r\n"
           "\"Luton\" Airport,51.87,-0.37,LTN\r\n";
    assert_int_equal(import_bytes(f, "h.csv", VG_ENCODING_AUTO, text, strlen(text), &rj, &st, &err),
                     0);
    expect_stats(st, 3, 2, 0, 0, 1);
    expect_reject(&rj, 0, 2, "", "closes before other text: a stray quote");
    assert_string_equal(rj.raw[0], "\"Gatwick,51.15,-0.18,LGW");
    names_of(f, "h.csv", got, sizeof(got));
    assert_string_equal(got, "Stansted|Luton Airport");

    /* the wrong field count in a record over several lines: both counts named */
    text = "name,lat,lon,code\n"
           "\"Gatwick,51.15,-0.18,LGW\n"
           "Stansted\",51.88,0.23,STN,x\n"
           "Luton,51.87,-0.37,LTN\n";
    assert_int_equal(import_bytes(f, "i.csv", VG_ENCODING_AUTO, text, strlen(text), &rj, &st, &err),
                     0);
    expect_stats(st, 3, 1, 0, 0, 2);
    expect_reject(&rj, 0, 2, "", "5 fields where the header has 4, in a quoted field spanning");
    expect_reject(&rj, 1, 3, "", "5 fields where the header has 4");
    names_of(f, "i.csv", got, sizeof(got));
    assert_string_equal(got, "Luton");

    /* a line end in a column kept in `extra` is data: the row is stored whole */
    text = "name,lat,lon,note\nGatwick,51.15,-0.18,\"two\nlines\"\nLuton,51.87,-0.37,x\n";
    assert_int_equal(import_bytes(f, "j.csv", VG_ENCODING_AUTO, text, strlen(text), &rj, &st, &err),
                     0);
    expect_stats(st, 2, 2, 0, 0, 0);
    query_text(f, "SELECT extra FROM sites WHERE source = 'j.csv' AND name = 'Gatwick'", got,
               sizeof(got));
    assert_string_equal(got, "{\"note\":\"two\\nlines\"}");
}

/* The decimal comma follows the delimiter the reader uses: a quoted header name full of commas
 * made the import's own guess say ',' in a file separated by ';'; blank lines and a byte order
 * mark before the header are skipped, and the header's real line is reported. */
static void test_sites_delimiter_and_header(void **state)
{
    struct tu_store *f = *state;
    struct rejects rj;
    struct vg_ingest_stats st;
    struct vg_error err;
    char got[256];
    const char *text = "name;lat;lon;\"Betreiber, Region, Land, Typ\"\nKoeln Hbf;50,94;6,96;DB\n";
    assert_int_equal(import_bytes(f, "k.csv", VG_ENCODING_AUTO, text, strlen(text), &rj, &st, &err),
                     0);
    expect_stats(st, 1, 1, 0, 0, 0);
    query_text(f, "SELECT name || ' ' || lat || ' ' || lon || ' ' || extra FROM sites", got,
               sizeof(got));
    assert_string_equal(got, "Koeln Hbf 50.94 6.96 {\"Betreiber, Region, Land, Typ\":\"DB\"}");

    /* a byte order mark and blank lines before the header: the header is line 3 */
    text = "\xEF\xBB\xBF\n\r\nname;lat;lon\nBonn Hbf;50,73;7,1\n\nKoeln Messe;50,94;6,97\n";
    assert_int_equal(import_bytes(f, "b.csv", VG_ENCODING_AUTO, text, strlen(text), &rj, &st, &err),
                     0);
    expect_stats(st, 2, 2, 0, 0, 0);
    query_text(
        f,
        "SELECT group_concat(name || ' ' || lat, '|') FROM (SELECT * FROM sites WHERE source = "
        "'b.csv' ORDER BY id)",
        got, sizeof(got));
    assert_string_equal(got, "Bonn Hbf 50.73|Koeln Messe 50.94");

    /* with ',' as the delimiter a decimal comma stays refused */
    text = "name,lat,lon\nBonn Hbf,\"50,73\",7.1\n";
    assert_int_equal(import_bytes(f, "c.csv", VG_ENCODING_AUTO, text, strlen(text), &rj, &st, &err),
                     0);
    expect_stats(st, 1, 0, 0, 0, 1);
    expect_reject(&rj, 0, 2, "lat", "latitude '50,73' is not a number");

    /* a header without coordinates after two blank lines: the error is on line 3 */
    text = "\n\nname,city\nA,B\n";
    assert_int_equal(import_bytes(f, "n.csv", VG_ENCODING_AUTO, text, strlen(text), &rj, &st, &err),
                     VG_EFORMAT);
    assert_int_equal(err.line, 3);
    assert_string_equal(err.file, "n.csv");
    assert_non_null(strstr(err.message, "no latitude column"));
    /* only blank lines: empty */
    assert_int_equal(import_bytes(f, "e.csv", VG_ENCODING_AUTO, "\n\n", 2, &rj, &st, &err),
                     VG_EFORMAT);
    assert_non_null(strstr(err.message, "the file is empty"));
}

/* The header is converted like the rows: with --encoding latin1 (or detected) `L\xe4nge` is the
 * longitude and the names kept in `extra` are UTF-8; a NUL byte rejects the row, text that is not
 * UTF-8 names its column. */
static void test_sites_text(void **state)
{
    struct tu_store *f = *state;
    struct rejects rj;
    struct vg_ingest_stats st;
    struct vg_error err;
    char got[256];
    const char *text = "id;name;Breite;L\xe4nge;Stra\xdf"
                       "e\n1;M\xfcnchen Hbf;48,14;11,56;Bayerstra\xdf"
                       "e 10\n";
    assert_int_equal(
        import_bytes(f, "l1.csv", VG_ENCODING_LATIN1, text, strlen(text), &rj, &st, &err), 0);
    expect_stats(st, 1, 1, 0, 0, 0);
    query_text(f, "SELECT name || ' ' || lat || ' ' || lon || ' ' || extra FROM sites", got,
               sizeof(got));
    assert_string_equal(got, "M\xc3\xbcnchen Hbf 48.14 11.56 {\"Stra\xc3\x9f"
                             "e\":\"Bayerstra\xc3\x9f"
                             "e 10\"}");
    /* detected: the header is the first text above 0x7F, and decides Latin-1 */
    assert_int_equal(
        import_bytes(f, "l2.csv", VG_ENCODING_AUTO, text, strlen(text), &rj, &st, &err), 0);
    expect_stats(st, 1, 1, 0, 0, 0);
    query_text(f, "SELECT extra FROM sites WHERE source = 'l2.csv'", got, sizeof(got));
    assert_string_equal(got, "{\"Stra\xc3\x9f"
                             "e\":\"Bayerstra\xc3\x9f"
                             "e 10\"}");
    /* declared UTF-8, a Latin-1 header is refused, on its line */
    assert_int_equal(
        import_bytes(f, "l3.csv", VG_ENCODING_UTF8, text, strlen(text), &rj, &st, &err),
        VG_EFORMAT);
    assert_int_equal(err.line, 1);
    assert_non_null(strstr(err.message, "column 4 of the header is not UTF-8"));

    /* a NUL byte in a field: rejected, naming the column, not cut short */
    static const char nul[] = "name,lat,lon,city\nFoo\0Bar,1,2,x\nGood,3,4,Cit\0y\nFine,5,6,z\n";
    assert_int_equal(
        import_bytes(f, "z.csv", VG_ENCODING_AUTO, nul, sizeof(nul) - 1, &rj, &st, &err), 0);
    expect_stats(st, 3, 1, 0, 0, 2);
    expect_reject(&rj, 0, 2, "name", "the text holds a NUL byte");
    expect_reject(&rj, 1, 3, "city", "the text holds a NUL byte");
    names_of(f, "z.csv", got, sizeof(got));
    assert_string_equal(got, "Fine");

    /* declared UTF-8, a Latin-1 value: rejected, naming its column */
    text = "name,lat,lon,city\nA,1,2,M\xfcnchen\n";
    assert_int_equal(import_bytes(f, "u.csv", VG_ENCODING_UTF8, text, strlen(text), &rj, &st, &err),
                     0);
    expect_stats(st, 1, 0, 0, 0, 1);
    expect_reject(&rj, 0, 2, "city", "text is not UTF-8");
}

/* Every allocation of an import may fail: the import fails with VG_ENOMEM and stores nothing
 * (the sanitizers watch for leaks), and succeeds once there is memory enough, with a Latin-1
 * header, a stray quote and a NUL byte in the file. */
static void test_sites_out_of_memory(void **state)
{
    struct tu_store *f = *state;
    static const char text[] =
        "id;name;Breite;L\xe4nge;Stra\xdf"
        "e\n1;M\xfcnchen Hbf;48,14;11,56;Bayerstra\xdf"
        "e 10\n2;\"Bonn\n3;Koeln;50,94;6,96;Domplatz\nx\";1;2;y\n4;N\0;1;2;x\n";
    int ok = 0;
    for (long k = 0; k < 10000 && !ok; k++) {
        struct rejects rj;
        struct vg_ingest_stats st;
        struct vg_error err;
        vg_mem_fail_after(k);
        int rc =
            import_bytes(f, "m.csv", VG_ENCODING_LATIN1, text, sizeof(text) - 1, &rj, &st, &err);
        vg_mem_fail_after(-1);
        char got[128];
        if (rc) {
            assert_int_equal(rc, VG_ENOMEM);
            query_text(f, "SELECT count(*) FROM sites", got, sizeof(got));
            assert_string_equal(got, "0");
            continue;
        }
        expect_stats(st, 5, 2, 0, 0, 3);
        expect_reject(&rj, 0, 3, "name", "a stray quote; reading resumes on the next line");
        expect_reject(&rj, 1, 5, "", "4 fields where the header has 5");
        expect_reject(&rj, 2, 6, "name", "the text holds a NUL byte");
        names_of(f, "m.csv", got, sizeof(got));
        assert_string_equal(got, "M\xc3\xbcnchen Hbf|Koeln");
        ok = 1;
    }
    assert_true(ok);
}

static struct vg_risk_scales *load_scales(void)
{
    char dir[TU_PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/../risk", getenv("VG_SAMPLE_DATA"));
    struct vg_risk_scales *scales = NULL;
    struct vg_error err;
    if (vg_risk_scales_load(dir, VG_RISK_SCALES_VERSION, &scales, &err))
        fail_msg("%s: %s", err.file, err.message);
    return scales;
}

/* Reads the len bytes of text as an answers file, rejects into rj. */
static int read_answers(struct tu_store *f, const struct vg_risk_scales *scales, const char *text,
                        size_t len, struct rejects *rj, struct vg_assess_file_stats *st,
                        struct vg_error *err)
{
    struct vg_assess_file_opts o = {scales, "tester", "2026-01-15", on_reject, rj};
    *rj = (struct rejects){0};
    *st = (struct vg_assess_file_stats){0, 0, 0};
    return vg_assess_file_read_mem(f->s, text, len, "ans.csv", &o, st, err);
}

/* Reads the answers in text, which must succeed with these counts; the rejects go to *rj. */
static void expect_answers(struct tu_store *f, const struct vg_risk_scales *scales,
                           const char *text, size_t len, struct rejects *rj, long rows, long stored,
                           long rejected)
{
    struct vg_assess_file_stats st;
    struct vg_error err;
    int rc = read_answers(f, scales, text, len, rj, &st, &err);
    if (rc)
        fail_msg("reading the answers: %s", err.message);
    if (st.rows != rows || st.stored != stored || st.rejected != rejected)
        fail_msg("%ld rows, %ld stored, %ld rejected; expected %ld, %ld, %ld", st.rows, st.stored,
                 st.rejected, rows, stored, rejected);
}

#define ANSWERS_SQL                                                                                \
    "SELECT group_concat(item || ':' || status || ':' || coalesce(notes, ''), '|') FROM (SELECT "  \
    "* FROM site_assessments ORDER BY item)"

/* Answers: a row must have the header's number of fields; a stray quote that swallowed the rows
 * after it is rejected by its first line and the rows are read again. */
static void test_assess_file_shape(void **state)
{
    struct tu_store *f = *state;
    struct vg_risk_scales *scales = load_scales();
    import_text(f, "a.csv", VG_SITE_AIRPORT, "id,name,lat,lon,iata\n1,Heathrow,51.47,-0.46,LHR\n");
    struct rejects rj;
    struct vg_error err;
    char got[512];
    /* a stray quote in the perimeter notes swallowed two rows, and a six-field row was stored */
    const char *text = "site,item,status,notes\n"
                       "LHR,perimeter,gap,\"fence damaged\n"
                       "LHR,cctv,met,ok\n"
                       "LHR,patrols,gap,\"none\"\n"
                       "LHR,vehicle_barriers,met,,extra,fields\n";
    expect_answers(f, scales, text, strlen(text), &rj, 4, 2, 2);
    assert_int_equal(rj.n, 2);
    expect_reject(&rj, 0, 2, "", "closes before other text: a stray quote; reading resumes");
    assert_string_equal(rj.raw[0], "LHR,perimeter,gap,\"fence damaged");
    expect_reject(&rj, 1, 5, "", "expected 4 fields as in the header, found 6");
    query_text(f, ANSWERS_SQL, got, sizeof(got));
    assert_string_equal(got, "cctv:met:ok|patrols:gap:none");
    assert_int_equal(vg_store_exec(f->s, "DELETE FROM site_assessments", &err), 0);

    /* too few fields (the header has an extra column: its count is the one compared); a quoted
     * line end in the notes is kept; one in another column is a stray quote; the wrong count
     * over several lines names both counts */
    text = "site,item,status,notes,other\n"
           "LHR,cctv,met\n"
           "LHR,evacuation,met,\"exits\r\nmarked\",x\n"
           "LHR,\"patrols\n"
           "LHR,perimeter,gap,y,z\n"
           "x\",met,a,b\n"
           "LHR,staff_training,gap,\"a\n"
           "LHR,communications,met,c,d\n"
           "e\",f,g\n";
    expect_answers(f, scales, text, strlen(text), &rj, 8, 3, 5);
    expect_reject(&rj, 0, 2, "", "expected 5 fields as in the header, found 3");
    expect_reject(&rj, 1, 5, "item", "only the notes may hold a line end): a stray quote");
    assert_string_equal(rj.raw[1], "LHR,\"patrols");
    expect_reject(&rj, 2, 7, "", "expected 5 fields as in the header, found 4");
    expect_reject(&rj, 3, 8, "", "expected 5 fields as in the header, found 6 in a quoted field");
    assert_string_equal(rj.raw[3], "LHR,staff_training,gap,\"a");
    expect_reject(&rj, 4, 10, "", "expected 5 fields as in the header, found 3");
    query_text(f, ANSWERS_SQL, got, sizeof(got));
    assert_string_equal(got, "communications:met:c|evacuation:met:exits\r\nmarked|perimeter:gap:y");
    vg_risk_scales_destroy(scales);
}

/* Answers: the values taken must be UTF-8 without NUL bytes (Latin-1 notes were stored raw and
 * given out as invalid UTF-8; a NUL cut the notes short), the column named. */
static void test_assess_file_text(void **state)
{
    struct tu_store *f = *state;
    struct vg_risk_scales *scales = load_scales();
    import_text(f, "a.csv", VG_SITE_AIRPORT, "id,name,lat,lon,iata\n1,Heathrow,51.47,-0.46,LHR\n");
    struct rejects rj;
    char got[512];
    static const char text[] = "site,item,status,notes,date\n"
                               "LHR,perimeter,gap,Zaun besch\xe4\x64igt,\n"
                               "LHR,cctv,met,abc\0def,\n"
                               "LH\xd2,patrols,gap,,\n"
                               "LHR,patrols,g\0ap,,\n"
                               "LHR,evacuation,met,,2026-01-0\xb9\n"
                               "LHR,vehicle_barriers,gap,Zaun besch\xc3\xa4\x64igt,\n";
    expect_answers(f, scales, text, sizeof(text) - 1, &rj, 6, 1, 5);
    expect_reject(&rj, 0, 2, "notes", "text is not valid UTF-8");
    expect_reject(&rj, 1, 3, "notes", "the text holds a NUL byte");
    expect_reject(&rj, 2, 4, "site", "text is not valid UTF-8");
    expect_reject(&rj, 3, 5, "status", "the text holds a NUL byte");
    expect_reject(&rj, 4, 6, "date", "text is not valid UTF-8");
    query_text(f, ANSWERS_SQL, got, sizeof(got));
    assert_string_equal(got, "vehicle_barriers:gap:Zaun besch\xc3\xa4\x64igt");
    vg_risk_scales_destroy(scales);
}

/* Answers: blank lines before the header are skipped, and an error of the header names its real
 * line (it said 1 after a `sep=` line, 0 when the header could not be split). */
static void test_assess_file_header(void **state)
{
    struct tu_store *f = *state;
    struct vg_risk_scales *scales = load_scales();
    import_text(f, "a.csv", VG_SITE_AIRPORT, "id,name,lat,lon,iata\n1,Heathrow,51.47,-0.46,LHR\n");
    struct rejects rj;
    struct vg_assess_file_stats st;
    struct vg_error err;
    char got[128];
    const char *text = "\n\r\nsite,item,status\nLHR,cctv,met\nLHR,cctv,bad\n";
    assert_int_equal(read_answers(f, scales, text, strlen(text), &rj, &st, &err), 0);
    assert_int_equal(st.rows, 2);
    assert_int_equal(st.stored, 1);
    expect_reject(&rj, 0, 5, "status", "unknown status 'bad'");
    query_text(f, ANSWERS_SQL, got, sizeof(got));
    assert_string_equal(got, "cctv:met:");

    text = "sep=,\nsite,item\nLHR,cctv\n";
    assert_int_equal(read_answers(f, scales, text, strlen(text), &rj, &st, &err), VG_EFORMAT);
    assert_int_equal(err.line, 2);
    assert_string_equal(err.file, "ans.csv");
    assert_non_null(strstr(err.message, "missing column 'status'"));
    text = "\n\nsite,item\n";
    assert_int_equal(read_answers(f, scales, text, strlen(text), &rj, &st, &err), VG_EFORMAT);
    assert_int_equal(err.line, 3);
    text = "\n\"site,item,status\nLHR,cctv,met\n";
    assert_int_equal(read_answers(f, scales, text, strlen(text), &rj, &st, &err), VG_EFORMAT);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, "never closed"));
    assert_int_equal(read_answers(f, scales, "\n\n", 2, &rj, &st, &err), VG_EFORMAT);
    assert_non_null(strstr(err.message, "empty file"));
    assert_int_equal(count_answers(f, "1"), 1);
    vg_risk_scales_destroy(scales);
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
        cmocka_unit_test_setup_teardown(test_real_files, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_find_real_codes, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_find_rule, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_find_too_many, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_assess_file, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_reimport_and_update, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_rejects, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_openflights_without_header, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_latin1_decimal_comma, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_filters, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_sites_stray_quote, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_sites_delimiter_and_header, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_sites_text, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_sites_out_of_memory, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_assess_file_shape, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_assess_file_text, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_assess_file_header, setup, tu_store_teardown),
        cmocka_unit_test(test_geo_and_countries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
