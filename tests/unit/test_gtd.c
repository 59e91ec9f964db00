/* test_gtd.c - mapping GTD columns and converting rows into incidents (src/collect/gtd.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "collect/gtd.h"
#include "vigil/error.h"
#include "vigil/incident.h"
#include "vigil/mem.h"
#include "vigil/text.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAXCOLS 64

/* A list of mutable, NUL-terminated strings with their lengths (a header or a row). */
struct strs {
    char *v[MAXCOLS];
    size_t len[MAXCOLS];
    size_t n;
};

static void strs_set(struct strs *s, const char *const *items, size_t n)
{
    assert_true(n <= MAXCOLS);
    s->n = n;
    for (size_t i = 0; i < n; i++) {
        s->v[i] = strdup(items[i]);
        assert_non_null(s->v[i]);
        s->len[i] = strlen(items[i]);
    }
}

static void strs_free(struct strs *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    s->n = 0;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static struct vg__gtd_map *map_of(const char *const *names, size_t n)
{
    struct strs h;
    struct vg__gtd_map *m = NULL;
    struct vg_error err;
    vg_error_clear(&err);
    strs_set(&h, names, n);
    int rc = vg__gtd_map_create(h.v, h.len, h.n, &m, &err);
    strs_free(&h);
    if (rc)
        fail_msg("map: %s", err.message);
    assert_non_null(m);
    assert_int_equal(vg__gtd_map_columns(m), n);
    return m;
}

/* The standard test header: mapped fields first, then four extra columns. */
static const char *const header[] = {
    "eventid",       "iyear",       "imonth",          "iday",      "country",       "country_txt",
    "region",        "region_txt",  "provstate",       "city",      "latitude",      "longitude",
    "specificity",   "attacktype1", "attacktype1_txt", "targtype1", "targtype1_txt", "weaptype1",
    "weaptype1_txt", "gname",       "nkill",           "nwound",    "success",       "suicide",
    "summary",       "nperps",      "weapdetail",      "claimed",   "propvalue",
};
enum {
    C_EVENTID,
    C_YEAR,
    C_MONTH,
    C_DAY,
    C_COUNTRY,
    C_COUNTRY_TXT,
    C_REGION,
    C_REGION_TXT,
    C_PROVSTATE,
    C_CITY,
    C_LAT,
    C_LON,
    C_SPEC,
    C_ATTACK,
    C_ATTACK_TXT,
    C_TARGET,
    C_TARGET_TXT,
    C_WEAPON,
    C_WEAPON_TXT,
    C_GNAME,
    C_NKILL,
    C_NWOUND,
    C_SUCCESS,
    C_SUICIDE,
    C_SUMMARY,
    C_NPERPS,
    C_WEAPDETAIL,
    C_CLAIMED,
    C_PROPVALUE,
    NCOLS
};

static const char *const good_row[NCOLS] = {
    "201401010001",
    "2014",
    "1",
    "1",
    "95",
    "Iraq",
    "10",
    "Middle East & North Africa",
    "Baghdad",
    "Baghdad",
    "33.303566",
    "44.371773",
    "1",
    "3",
    "Bombing/Explosion",
    "14",
    "Private Citizens & Property",
    "6",
    "Explosives",
    "Islamic State of Iraq and the Levant (ISIL)",
    "6",
    "13",
    "1",
    "0",
    "01/01/2014: A car bomb exploded.",
    "3",
    "Vehicle-borne, 50 kg",
    "0",
    "-99",
};

/* A test row: the good row with some values replaced. */
struct fixture {
    struct vg__gtd_map *map;
    struct vg__gtd_row row;
    struct strs vals;
    struct vg_error err;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    f->map = map_of(header, NCOLS);
    vg__gtd_row_init(&f->row);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    strs_free(&f->vals);
    vg__gtd_row_cleanup(&f->row);
    vg__gtd_map_destroy(f->map);
    free(f);
    return 0;
}

/* Converts the good row with the changes given as (column, value) pairs ended by -1. */
static int convert(struct fixture *f, ...)
{
    const char *vals[NCOLS];
    memcpy(vals, good_row, sizeof(vals));
    va_list ap;
    va_start(ap, f);
    for (;;) {
        int col = va_arg(ap, int);
        if (col < 0)
            break;
        vals[col] = va_arg(ap, const char *);
    }
    va_end(ap);
    strs_free(&f->vals);
    strs_set(&f->vals, vals, NCOLS);
    return vg__gtd_convert(f->map, f->vals.v, f->vals.len, NCOLS, "GTD", &f->row);
}

static void expect_reject(struct fixture *f, int rc, const char *column, const char *reason_part)
{
    assert_int_equal(rc, VG_EFORMAT);
    assert_non_null(f->row.bad_column);
    assert_string_equal(f->row.bad_column, column);
    if (reason_part && !strstr(f->row.reason, reason_part))
        fail_msg("reason \"%s\" does not mention \"%s\"", f->row.reason, reason_part);
}

static json_t *extra_of(const struct vg_incident *inc)
{
    json_error_t jerr;
    assert_non_null(inc->extra);
    json_t *o = json_loadb(inc->extra, inc->extra_len, 0, &jerr);
    if (!o)
        fail_msg("extra is not JSON (%s): %.*s", jerr.text, (int)inc->extra_len, inc->extra);
    assert_true(json_is_object(o));
    return o;
}

/* ---- header maps ---- */

static void test_map_requires_eventid_and_year(void **state)
{
    (void)state;
    struct strs h;
    struct vg__gtd_map *m = NULL;
    struct vg_error err;

    const char *no_id[] = {"iyear", "imonth", "city"};
    strs_set(&h, no_id, COUNT(no_id));
    vg_error_clear(&err);
    assert_int_equal(vg__gtd_map_create(h.v, h.len, h.n, &m, &err), VG_EFORMAT);
    assert_null(m);
    assert_int_equal(err.code, VG_EFORMAT);
    assert_non_null(strstr(err.message, "no eventid"));
    strs_free(&h);

    const char *no_year[] = {"eventid", "imonth", "iday", "city"};
    strs_set(&h, no_year, COUNT(no_year));
    vg_error_clear(&err);
    assert_int_equal(vg__gtd_map_create(h.v, h.len, h.n, &m, &err), VG_EFORMAT);
    assert_null(m);
    assert_non_null(strstr(err.message, "no year"));
    assert_null(strstr(err.message, "no eventid"));
    strs_free(&h);

    /* Empty header. */
    vg_error_clear(&err);
    assert_int_equal(vg__gtd_map_create(NULL, NULL, 0, &m, &err), VG_EFORMAT);
    assert_null(m);

    /* The smallest valid header. */
    const char *min[] = {"eventid", "iyear"};
    m = map_of(min, 2);
    vg__gtd_map_destroy(m);
    vg__gtd_map_destroy(NULL);
}

static void test_map_variants_and_case(void **state)
{
    (void)state;
    /* The year;month;day variant, any case, surrounding blanks, any order. */
    const char *names[] = {" City ", "DAY", "Month", "YEAR", "EventID", "NKILL", "Source"};
    struct vg__gtd_map *m = map_of(names, COUNT(names));
    assert_string_equal(vg__gtd_map_name(m, 0), "City");
    assert_string_equal(vg__gtd_map_name(m, 4), "EventID");
    assert_string_equal(vg__gtd_map_name(m, 99), "");
    const char *row[] = {"Mosul", "29", "2", "2016", "E1", "4", "ACLED"};
    struct strs v;
    strs_set(&v, row, COUNT(row));
    struct vg__gtd_row r;
    vg__gtd_row_init(&r);
    assert_int_equal(vg__gtd_convert(m, v.v, v.len, v.n, "GTD", &r), 0);
    assert_string_equal(r.inc.source_id, "E1");
    assert_string_equal(r.inc.source, "ACLED");
    assert_int_equal(r.inc.year, 2016);
    assert_int_equal(r.inc.month, 2);
    assert_int_equal(r.inc.day, 29);
    assert_string_equal(r.inc.city, "Mosul");
    assert_int_equal(r.inc.killed, 4);
    /* Nothing left over. */
    assert_int_equal(r.inc.extra_len, 2);
    assert_memory_equal(r.inc.extra, "{}", 2);
    vg__gtd_row_cleanup(&r);
    strs_free(&v);
    vg__gtd_map_destroy(m);

    /* The sample data's source column. */
    const char *hs[] = {"eventid", "year", "adatforras"};
    m = map_of(hs, 3);
    const char *rs[] = {"x", "2020", "ACLED"};
    strs_set(&v, rs, 3);
    vg__gtd_row_init(&r);
    assert_int_equal(vg__gtd_convert(m, v.v, v.len, v.n, "GTD", &r), 0);
    assert_string_equal(r.inc.source, "ACLED");
    vg__gtd_row_cleanup(&r);
    strs_free(&v);
    vg__gtd_map_destroy(m);
}

static void test_map_duplicate_long_names(void **state)
{
    (void)state;
    /* Two columns of the same 91-byte name, 'a' then 45 times e-acute: the suffix of the second
     * is put after a cut that does not split a character, so the name stays UTF-8. */
    char name[128] = "a";
    for (int i = 0; i < 45; i++)
        strcat(name, "\xC3\xA9");
    assert_int_equal(strlen(name), 91);
    const char *names[] = {"eventid", "iyear", name, name};
    struct vg__gtd_map *m = map_of(names, COUNT(names));
    const char *second = vg__gtd_map_name(m, 3);
    assert_true(vg_text_is_utf8(second, strlen(second)));
    assert_int_equal(strlen(second), 89 + 2); /* 'a' and 44 characters, then "_2" */
    assert_memory_equal(second, name, 89);
    assert_string_equal(second + 89, "_2");
    vg__gtd_map_destroy(m);
}

static void test_map_duplicate_names(void **state)
{
    (void)state;
    const char *names[] = {"eventid", "iyear", "note", "note", "note_2", "note", "", "eventid"};
    struct vg__gtd_map *m = map_of(names, COUNT(names));
    assert_string_equal(vg__gtd_map_name(m, 2), "note");
    /* Each later duplicate gets a suffix that no other column has. */
    const char *seen[COUNT(names)];
    for (size_t i = 0; i < COUNT(names); i++) {
        seen[i] = vg__gtd_map_name(m, i);
        for (size_t k = 0; k < i; k++)
            if (strcmp(seen[i], seen[k]) == 0)
                fail_msg("columns %zu and %zu are both named %s", k, i, seen[i]);
    }
    assert_string_equal(vg__gtd_map_name(m, 3), "note_2");
    assert_non_null(strstr(vg__gtd_map_name(m, 5), "note_"));
    assert_string_equal(vg__gtd_map_name(m, 6), "column_7");
    assert_non_null(strstr(vg__gtd_map_name(m, 7), "eventid_"));

    /* The values of all of them are kept, under their own keys; the second eventid is extra. */
    const char *row[] = {"id1", "2010", "a", "b", "c", "d", "e", "id2"};
    struct strs v;
    strs_set(&v, row, COUNT(row));
    struct vg__gtd_row r;
    vg__gtd_row_init(&r);
    assert_int_equal(vg__gtd_convert(m, v.v, v.len, v.n, "GTD", &r), 0);
    assert_string_equal(r.inc.source_id, "id1");
    json_t *o = extra_of(&r.inc);
    assert_int_equal(json_object_size(o), 6);
    const char *want[] = {"a", "b", "c", "d", "e", "id2"};
    for (size_t i = 0; i < 6; i++) {
        json_t *x = json_object_get(o, vg__gtd_map_name(m, i + 2));
        if (!json_is_string(x))
            fail_msg("extra has no %s", vg__gtd_map_name(m, i + 2));
        assert_string_equal(json_string_value(x), want[i]);
    }
    json_decref(o);
    vg__gtd_row_cleanup(&r);
    strs_free(&v);
    vg__gtd_map_destroy(m);
}

/* ---- values ---- */

static void test_convert_good_row(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(convert(f, -1), 0);
    const struct vg_incident *i = &f->row.inc;
    assert_string_equal(i->source, "GTD");
    assert_string_equal(i->source_id, "201401010001");
    assert_int_equal(i->year, 2014);
    assert_int_equal(i->month, 1);
    assert_int_equal(i->day, 1);
    assert_int_equal(i->country_code, 95);
    assert_string_equal(i->country, "Iraq");
    assert_int_equal(i->region_code, 10);
    assert_string_equal(i->region, "Middle East & North Africa");
    assert_string_equal(i->provstate, "Baghdad");
    assert_string_equal(i->city, "Baghdad");
    assert_true(fabs(i->latitude - 33.303566) < 1e-9);
    assert_true(fabs(i->longitude - 44.371773) < 1e-9);
    assert_int_equal(i->specificity, 1);
    assert_int_equal(i->attack_code, 3);
    assert_string_equal(i->attack, "Bombing/Explosion");
    assert_int_equal(i->target_code, 14);
    assert_string_equal(i->target, "Private Citizens & Property");
    assert_int_equal(i->weapon_code, 6);
    assert_string_equal(i->weapon, "Explosives");
    assert_string_equal(i->group, "Islamic State of Iraq and the Levant (ISIL)");
    assert_int_equal(i->killed, 6);
    assert_int_equal(i->wounded, 13);
    assert_int_equal(i->success, 1);
    assert_int_equal(i->suicide, 0);
    assert_string_equal(i->summary, "01/01/2014: A car bomb exploded.");
    assert_null(f->row.bad_column);
}

static void test_convert_unknowns_are_null(void **state)
{
    struct fixture *f = *state;
    int rc = convert(f, C_MONTH, "", C_DAY, "", C_COUNTRY, "-9", C_PROVSTATE, "N/A", C_CITY, "n/a",
                     C_LAT, "", C_LON, "N/A", C_SPEC, "-9", C_ATTACK, "-99", C_ATTACK_TXT, "",
                     C_GNAME, "N/A", C_NKILL, "-9", C_NWOUND, "-99", C_SUCCESS, "", C_SUICIDE,
                     "N/A", C_SUMMARY, "", -1);
    assert_int_equal(rc, 0);
    const struct vg_incident *i = &f->row.inc;
    assert_int_equal(i->month, VG_NULL_INT);
    assert_int_equal(i->day, VG_NULL_INT);
    assert_int_equal(i->country_code, VG_NULL_INT);
    assert_string_equal(i->country, "Iraq");
    assert_null(i->provstate);
    assert_null(i->city);
    assert_true(isnan(i->latitude));
    assert_true(isnan(i->longitude));
    assert_int_equal(i->specificity, VG_NULL_INT);
    assert_int_equal(i->attack_code, VG_NULL_INT);
    assert_null(i->attack);
    assert_null(i->group);
    assert_int_equal(i->killed, VG_NULL_INT);
    assert_int_equal(i->wounded, VG_NULL_INT);
    assert_int_equal(i->success, VG_NULL_INT);
    assert_int_equal(i->suicide, VG_NULL_INT);
    assert_null(i->summary);

    /* GTD writes 0 for an unknown month or day. */
    assert_int_equal(convert(f, C_MONTH, "0", C_DAY, "0", -1), 0);
    assert_int_equal(f->row.inc.month, VG_NULL_INT);
    assert_int_equal(f->row.inc.day, VG_NULL_INT);
    assert_int_equal(convert(f, C_DAY, "0", -1), 0);
    assert_int_equal(f->row.inc.month, 1);
    assert_int_equal(f->row.inc.day, VG_NULL_INT);

    /* Blanks alone are nothing. */
    assert_int_equal(convert(f, C_LAT, "  ", C_CITY, " ", C_NKILL, "\t", -1), 0);
    assert_true(isnan(f->row.inc.latitude));
    assert_null(f->row.inc.city);
    assert_int_equal(f->row.inc.killed, VG_NULL_INT);

    /* Zero is a value, not unknown. */
    assert_int_equal(convert(f, C_NKILL, "0", C_NWOUND, "0", -1), 0);
    assert_int_equal(f->row.inc.killed, 0);
    assert_int_equal(f->row.inc.wounded, 0);
}

static void test_convert_sentinels_with_fraction(void **state)
{
    struct fixture *f = *state;
    /* The sentinels written the way spreadsheets write whole numbers: "6.0" is 6, so "-9.0" is
     * -9, unknown. */
    assert_int_equal(convert(f, C_NKILL, "-9.0", C_NWOUND, "-99.0", C_SPEC, "-9.0", -1), 0);
    assert_int_equal(f->row.inc.killed, VG_NULL_INT);
    assert_int_equal(f->row.inc.wounded, VG_NULL_INT);
    assert_int_equal(f->row.inc.specificity, VG_NULL_INT);
}

static void test_convert_dates(void **state)
{
    struct fixture *f = *state;
    expect_reject(f, convert(f, C_YEAR, "2015", C_MONTH, "2", C_DAY, "30", -1), "iday",
                  "2015-02-30");
    expect_reject(f, convert(f, C_YEAR, "2015", C_MONTH, "2", C_DAY, "29", -1), "iday", NULL);
    expect_reject(f, convert(f, C_YEAR, "1900", C_MONTH, "2", C_DAY, "29", -1), "iday", NULL);
    expect_reject(f, convert(f, C_YEAR, "2015", C_MONTH, "4", C_DAY, "31", -1), "iday", NULL);
    expect_reject(f, convert(f, C_DAY, "32", -1), "iday", NULL);
    expect_reject(f, convert(f, C_MONTH, "13", -1), "imonth", NULL);
    /* A day without its month cannot be placed. */
    expect_reject(f, convert(f, C_MONTH, "0", C_DAY, "12", -1), "iday", NULL);

    assert_int_equal(convert(f, C_YEAR, "2016", C_MONTH, "2", C_DAY, "29", -1), 0);
    assert_int_equal(f->row.inc.year, 2016);
    assert_int_equal(f->row.inc.month, 2);
    assert_int_equal(f->row.inc.day, 29);
    assert_int_equal(convert(f, C_YEAR, "2000", C_MONTH, "2", C_DAY, "29", -1), 0);
    assert_int_equal(convert(f, C_YEAR, "2015", C_MONTH, "12", C_DAY, "31", -1), 0);

    /* The year is required and must be plausible. */
    expect_reject(f, convert(f, C_YEAR, "", -1), "iyear", NULL);
    expect_reject(f, convert(f, C_YEAR, "-9", -1), "iyear", NULL);
    expect_reject(f, convert(f, C_YEAR, "1700", -1), "iyear", NULL);
    expect_reject(f, convert(f, C_YEAR, "twenty", -1), "iyear", NULL);
    /* And so is the event id. */
    expect_reject(f, convert(f, C_EVENTID, "", -1), "eventid", NULL);
}

static void test_convert_coordinates(void **state)
{
    struct fixture *f = *state;
    expect_reject(f, convert(f, C_LAT, "91", -1), "latitude", NULL);
    expect_reject(f, convert(f, C_LAT, "-90.5", -1), "latitude", NULL);
    expect_reject(f, convert(f, C_LON, "180.01", -1), "longitude", NULL);
    const char *bad[] = {"abc",      "nan",   "NaN",  "-nan",  "inf",   "-inf", "+inf",
                         "infinity", "1e999", "0x10", "12abc", "1.2.3", "--1"};
    for (size_t k = 0; k < COUNT(bad); k++) {
        int rc = convert(f, C_LAT, bad[k], -1);
        if (rc != VG_EFORMAT)
            fail_msg("latitude \"%s\" accepted (%g)", bad[k], f->row.inc.latitude);
        assert_string_equal(f->row.bad_column, "latitude");
        rc = convert(f, C_LON, bad[k], -1);
        if (rc != VG_EFORMAT)
            fail_msg("longitude \"%s\" accepted", bad[k]);
        assert_string_equal(f->row.bad_column, "longitude");
    }
    assert_int_equal(convert(f, C_LAT, "-90", C_LON, "180", -1), 0);
    assert_true(f->row.inc.latitude == -90.0);
    assert_true(f->row.inc.longitude == 180.0);
    /* A decimal comma, and blanks around the number. */
    assert_int_equal(convert(f, C_LAT, "34,5", C_LON, " -12.25 ", -1), 0);
    assert_true(f->row.inc.latitude == 34.5);
    assert_true(f->row.inc.longitude == -12.25);
}

static void test_convert_integers(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(convert(f, C_NKILL, "6.0", C_NWOUND, "12.00", -1), 0);
    assert_int_equal(f->row.inc.killed, 6);
    assert_int_equal(f->row.inc.wounded, 12);
    assert_int_equal(convert(f, C_NKILL, " 7 ", -1), 0);
    assert_int_equal(f->row.inc.killed, 7);
    expect_reject(f, convert(f, C_NKILL, "6.5", -1), "nkill", NULL);
    expect_reject(f, convert(f, C_NKILL, "abc", -1), "nkill", "abc");
    expect_reject(f, convert(f, C_NKILL, "-1", -1), "nkill", NULL);
    expect_reject(f, convert(f, C_NWOUND, "1e3", -1), "nwound", NULL);
    expect_reject(f, convert(f, C_NKILL, "99999999999999999999", -1), "nkill", NULL);
    expect_reject(f, convert(f, C_SUCCESS, "2", -1), "success", NULL);
    expect_reject(f, convert(f, C_SPEC, "6", -1), "specificity", NULL);
    expect_reject(f, convert(f, C_ATTACK, "x", -1), "attacktype1", NULL);
    /* The country column holds a code when there is a country_txt column. */
    expect_reject(f, convert(f, C_COUNTRY, "Iraq", -1), "country", NULL);
    expect_reject(f, convert(f, C_COUNTRY, "-5", -1), "country", NULL);
}

static void test_country_name_in_code_column(void **state)
{
    (void)state;
    /* Without country_txt, a name in the country column is the country. */
    const char *names[] = {"eventid", "iyear", "country", "region"};
    struct vg__gtd_map *m = map_of(names, COUNT(names));
    const char *row[] = {"1", "2019", "Syria", "7"};
    struct strs v;
    strs_set(&v, row, COUNT(row));
    struct vg__gtd_row r;
    vg__gtd_row_init(&r);
    assert_int_equal(vg__gtd_convert(m, v.v, v.len, v.n, "GTD", &r), 0);
    assert_string_equal(r.inc.country, "Syria");
    assert_int_equal(r.inc.country_code, VG_NULL_INT);
    assert_null(r.inc.region);
    assert_int_equal(r.inc.region_code, 7);
    vg__gtd_row_cleanup(&r);
    strs_free(&v);
    vg__gtd_map_destroy(m);
}

static void test_extras_json(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(convert(f, C_NPERPS, "3", C_WEAPDETAIL, "Vehicle-borne, \"50\" kg\\x",
                             C_CLAIMED, "-0", C_PROPVALUE, "-99", -1),
                     0);
    json_t *o = extra_of(&f->row.inc);
    /* Only the unmapped columns with a value; -99 is unknown and left out. */
    assert_int_equal(json_object_size(o), 3);
    assert_true(json_is_integer(json_object_get(o, "nperps")));
    assert_int_equal(json_integer_value(json_object_get(o, "nperps")), 3);
    assert_true(json_is_string(json_object_get(o, "weapdetail")));
    assert_string_equal(json_string_value(json_object_get(o, "weapdetail")),
                        "Vehicle-borne, \"50\" kg\\x");
    assert_true(json_is_integer(json_object_get(o, "claimed")));
    assert_int_equal(json_integer_value(json_object_get(o, "claimed")), 0);
    assert_null(json_object_get(o, "propvalue"));
    assert_null(json_object_get(o, "city"));
    assert_null(json_object_get(o, "eventid"));
    json_decref(o);

    /* Numbers that are not plain integers stay text, exactly as given. */
    assert_int_equal(convert(f, C_NPERPS, "007", C_WEAPDETAIL, "1.5", C_CLAIMED, "-12", C_PROPVALUE,
                             "1234567890123456789", -1),
                     0);
    o = extra_of(&f->row.inc);
    assert_int_equal(json_object_size(o), 4);
    assert_string_equal(json_string_value(json_object_get(o, "nperps")), "007");
    assert_string_equal(json_string_value(json_object_get(o, "weapdetail")), "1.5");
    assert_int_equal(json_integer_value(json_object_get(o, "claimed")), -12);
    assert_string_equal(json_string_value(json_object_get(o, "propvalue")), "1234567890123456789");
    json_decref(o);

    /* No extra values at all: an empty object. */
    assert_int_equal(
        convert(f, C_NPERPS, "", C_WEAPDETAIL, "N/A", C_CLAIMED, "-9", C_PROPVALUE, "", -1), 0);
    assert_int_equal(f->row.inc.extra_len, 2);
    assert_memory_equal(f->row.inc.extra, "{}", 2);

    /* Text that is not ASCII and control characters are valid JSON strings. */
    assert_int_equal(convert(f, C_WEAPDETAIL, "S\xC3\xA3o\ttab\nline", -1), 0);
    o = extra_of(&f->row.inc);
    assert_string_equal(json_string_value(json_object_get(o, "weapdetail")),
                        "S\xC3\xA3o\ttab\nline");
    json_decref(o);
}

static void test_hash(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(convert(f, -1), 0);
    uint64_t base = f->row.inc.hash;
    assert_int_equal(convert(f, -1), 0);
    assert_true(f->row.inc.hash == base);
    /* Blanks around a mapped value do not change what is stored, nor the hash. */
    assert_int_equal(convert(f, C_CITY, " Baghdad ", -1), 0);
    assert_true(f->row.inc.hash == base);

    /* Any stored value that changes changes the hash. */
    struct {
        int col;
        const char *v;
    } changes[] = {
        {C_NPERPS, "4"},      {C_WEAPDETAIL, "Vehicle-borne, 51 kg"},
        {C_CLAIMED, "1"},     {C_PROPVALUE, "1000"},
        {C_CITY, "Basra"},    {C_NKILL, "7"},
        {C_NKILL, "-9"},      {C_DAY, "2"},
        {C_LAT, "33.303567"}, {C_SUMMARY, "01/01/2014: A car bomb exploded"},
        {C_GNAME, "Unknown"}, {C_YEAR, "2015"},
    };
    uint64_t seen[COUNT(changes) + 1];
    seen[0] = base;
    for (size_t k = 0; k < COUNT(changes); k++) {
        assert_int_equal(convert(f, changes[k].col, changes[k].v, -1), 0);
        seen[k + 1] = f->row.inc.hash;
        for (size_t j = 0; j <= k; j++)
            if (seen[k + 1] == seen[j])
                fail_msg("change %zu (%s=%s) gives the same hash as %zu", k, header[changes[k].col],
                         changes[k].v, j);
    }

    /* The same value in another column is another record. */
    assert_int_equal(convert(f, C_PROVSTATE, "X", C_CITY, "", -1), 0);
    uint64_t a = f->row.inc.hash;
    assert_int_equal(convert(f, C_PROVSTATE, "", C_CITY, "X", -1), 0);
    assert_true(a != f->row.inc.hash);
}

static void test_convert_out_of_memory(void **state)
{
    (void)state;
    /* A fresh row: its extra buffer is allocated on the first convert. */
    struct vg__gtd_map *m = map_of(header, NCOLS);
    int failed = 0, done = 0;
    for (long n = 0; n < 8 && !done; n++) {
        struct vg__gtd_row r;
        struct strs v;
        vg__gtd_row_init(&r);
        strs_set(&v, good_row, NCOLS);
        vg_mem_fail_after(n);
        int rc = vg__gtd_convert(m, v.v, v.len, v.n, "GTD", &r);
        vg_mem_fail_after(-1);
        if (rc == 0) {
            assert_string_equal(r.inc.source_id, "201401010001");
            vg__gtd_row_cleanup(&r);
            strs_free(&v);
            done = 1;
            continue;
        }
        assert_int_equal(rc, VG_ENOMEM);
        failed++;
        vg__gtd_row_cleanup(&r);
        strs_free(&v);
    }
    assert_true(done); /* enough allocations allowed, the row converts */
    assert_true(failed >= 1);
    vg__gtd_map_destroy(m);

    /* Creating a map under memory pressure fails cleanly at every allocation. */
    failed = done = 0;
    for (long n = 0; n < 64 && !done; n++) {
        struct strs h;
        struct vg__gtd_map *mm = NULL;
        struct vg_error err;
        strs_set(&h, header, NCOLS);
        vg_mem_fail_after(n);
        int rc = vg__gtd_map_create(h.v, h.len, h.n, &mm, &err);
        vg_mem_fail_after(-1);
        strs_free(&h);
        if (rc == 0) {
            assert_int_equal(vg__gtd_map_columns(mm), NCOLS);
            vg__gtd_map_destroy(mm);
            done = 1;
            continue;
        }
        assert_int_equal(rc, VG_ENOMEM);
        assert_null(mm);
        failed++;
    }
    assert_true(done); /* enough allocations allowed, the map is made */
    assert_true(failed > NCOLS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_requires_eventid_and_year),
        cmocka_unit_test(test_map_variants_and_case),
        cmocka_unit_test(test_map_duplicate_names),
        cmocka_unit_test(test_map_duplicate_long_names),
        cmocka_unit_test(test_country_name_in_code_column),
        cmocka_unit_test_setup_teardown(test_convert_good_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_convert_unknowns_are_null, setup, teardown),
        cmocka_unit_test_setup_teardown(test_convert_sentinels_with_fraction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_convert_dates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_convert_coordinates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_convert_integers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extras_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hash, setup, teardown),
        cmocka_unit_test(test_convert_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
