/* test_scales.c - the scale tables of site risk (src/assess/scales.c): the shipped tables of
 * data/risk load and say what docs/methods describes; malformed tables fail with an error that
 * names the file, the line and the column; the lookups (checklists, labels, risk bands, the
 * threat mapping) at their boundaries.
 *
 * The malformed cases start from the shipped tables and replace one of them with a few lines
 * written here, so each case changes one thing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "assess/risk_internal.h"
#include "vigil/mem.h"
#include "vigil/risk.h"

#include <math.h>

/* The paths joined here fit TU_PATH_MAX; gcc -O2 cannot tell, and would warn. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static const char *const tables[5] = {"checklist", "carver", "defaults", "fema426", "threat"};

/* data/risk, found beside data/sample. */
static const char *risk_dir(char *out)
{
    char sample[TU_PATH_MAX];
    tu_data_path(sample, "VG_SAMPLE_DATA", "README.md");
    snprintf(out, TU_PATH_MAX, "%s/../risk", getenv("VG_SAMPLE_DATA"));
    return out;
}

static struct vg_risk_scales *load_shipped(void)
{
    char dir[TU_PATH_MAX];
    struct vg_risk_scales *s = NULL;
    struct vg_error err;
    vg_error_clear(&err);
    if (vg_risk_scales_load(risk_dir(dir), 1, &s, &err))
        fail_msg("loading %s: %s:%ld: %s", dir, err.file, err.line, err.message);
    return s;
}

/* Parses the shipped tables, with table `which` replaced by text (NULL: left out). Returns the
 * code of the first failure (of a parse or of finish) and fills err; on success *out holds the
 * scales. */
static int parse_with(const char *which, const char *text, struct vg_risk_scales **out,
                      struct vg_error *err)
{
    char dir[TU_PATH_MAX], path[TU_PATH_MAX + 128];
    struct vg_risk_scales *s = NULL;
    risk_dir(dir);
    vg_error_clear(err);
    assert_int_equal(vg_risk_scales_create(1, &s), 0);
    int rc = 0;
    for (int t = 0; t < 5 && !rc; t++) {
        char name[64];
        snprintf(name, sizeof(name), "%s-v1.csv", tables[t]);
        if (strcmp(tables[t], which) == 0) {
            if (text)
                rc = vg_risk_scales_parse(s, name, text, strlen(text), err);
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        size_t len;
        char *data = tu_read_file(path, &len);
        rc = vg_risk_scales_parse(s, name, data, len, err);
        free(data);
    }
    if (!rc)
        rc = vg_risk_scales_finish(s, err);
    if (rc || !out)
        vg_risk_scales_destroy(s);
    else
        *out = s;
    return rc;
}

/* A malformed table must fail with code, naming file, line (0: none) and column ("" : none), and
 * a message containing needle. */
static void expect_error(const char *which, const char *text, int code, long line,
                         const char *column, const char *needle)
{
    struct vg_error err;
    char file[64];
    int rc = parse_with(which, text, NULL, &err);
    if (rc != code)
        fail_msg("%s: expected code %d, got %d (%s)", which, code, rc, err.message);
    snprintf(file, sizeof(file), "%s-v1.csv", which);
    if (code != VG_EINVAL || line)
        assert_string_equal(err.file, file);
    if (err.line != line)
        fail_msg("%s: expected line %ld, got %ld (%s)", which, line, err.line, err.message);
    assert_string_equal(err.column, column);
    if (!strstr(err.message, needle))
        fail_msg("%s: expected '%s' in the message '%s'", which, needle, err.message);
}

static void test_shipped_tables(void **state)
{
    (void)state;
    struct vg_risk_scales *s = load_shipped();
    assert_int_equal(vg_risk_scales_version(s), 1);

    /* Airports: the 8 items of every kind, then the 4 of airports, in table order. */
    const struct vg_risk_item *const *items;
    size_t n = vg_risk_checklist(s, "airport", &items);
    assert_int_equal(n, 12);
    assert_string_equal(items[0]->name, "perimeter");
    assert_string_equal(items[8]->name, "passenger_screening");
    assert_string_equal(items[9]->name, "hold_baggage_screening");
    assert_int_equal(items[9]->criterion, VG_RISK_ACCESSIBILITY);
    assert_true(items[9]->weight == 3);
    /* Every kind has a checklist of its own; an unknown kind has none. */
    assert_int_equal(vg_risk_checklist(s, "railway", &items), 11);
    assert_int_equal(vg_risk_checklist(s, "subway", &items), 12);
    assert_int_equal(vg_risk_checklist(s, "mall", &items), 11);
    assert_int_equal(vg_risk_checklist(s, "venue", &items), 12);
    assert_int_equal(vg_risk_checklist(s, "other", &items), 9);
    assert_int_equal(vg_risk_checklist(s, "harbour", &items), 0);
    assert_null(items);

    /* Items are found case-insensitively, only in their own kind's list. */
    assert_non_null(vg_risk_item_find(s, "airport", "Hold_Baggage_Screening"));
    assert_null(vg_risk_item_find(s, "mall", "hold_baggage_screening"));
    assert_non_null(vg_risk_item_find(s, "mall", "cctv"));
    assert_non_null(vg_risk_item_find(s, "railway", "unattended_items"));
    assert_non_null(vg_risk_item_find(s, "venue", "crowd_management"));

    struct vg_error err;
    vg_error_clear(&err);
    assert_int_equal(vg_risk_item_error(s, "mall", "moat", &err), VG_EINVAL);
    assert_string_equal(err.message,
                        "unknown item 'moat' for a mall site (valid: perimeter, vehicle_barriers, "
                        "cctv, patrols, evacuation, staff_training, communications, "
                        "blast_mitigation, bag_checks, loading_docks, crowd_management)");
    assert_int_equal(vg_risk_item_error(s, "airport", "x", &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "for an airport site"));
    vg_risk_scales_destroy(s);
}

static void test_labels(void **state)
{
    (void)state;
    struct vg_risk_scales *s = load_shipped();
    const char *d;
    assert_string_equal(vg_risk_scale_label(s, VG_RISK_CRITICALITY, 9, &d), "very high");
    assert_non_null(strstr(d, "1,000"));
    assert_string_equal(vg_risk_scale_label(s, VG_RISK_SHOCK, 1, NULL), "very low");
    assert_string_equal(vg_risk_scale_label(s, VG_RISK_RECUPERABILITY, 6, &d), "medium");
    assert_string_equal(d, "Three to six months");
    assert_string_equal(vg_risk_scale_label(s, VG_RISK_ASSET_VALUE, 7, NULL), "medium high");
    assert_string_equal(vg_risk_scale_label(s, VG_RISK_THREAT, 10, NULL), "very high");
    assert_string_equal(vg_risk_fema_vulnerability_label(s, 1, &d), "very low");
    assert_string_equal(d, "No weaknesses exist");
    assert_null(vg_risk_scale_label(s, VG_RISK_CRITICALITY, 0, &d));
    assert_null(d);
    assert_null(vg_risk_scale_label(s, VG_RISK_CRITICALITY, 11, NULL));
    assert_null(vg_risk_fema_vulnerability_label(s, 11, NULL));
    vg_risk_scales_destroy(s);
}

/* FEMA 426's bands: Low 1-60, Medium 61-175, High 176-1000. */
static void test_band_boundaries(void **state)
{
    (void)state;
    struct vg_risk_scales *s = load_shipped();
    static const struct {
        int score;
        const char *band;
    } cases[] = {{1, "low"},      {60, "low"},   {61, "medium"},
                 {175, "medium"}, {176, "high"}, {1000, "high"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *band = vg_risk_band(s, cases[i].score, NULL);
        if (!band || strcmp(band, cases[i].band) != 0)
            fail_msg("score %d: band %s, expected %s", cases[i].score, band ? band : "(none)",
                     cases[i].band);
    }
    assert_null(vg_risk_band(s, 0, NULL));
    assert_null(vg_risk_band(s, 1001, NULL));
    vg_risk_scales_destroy(s);
}

/* threat-v1.csv: rating r from p >= p_min[r]; 0, 0.01, 0.02, 0.05, 0.10, 0.20, 0.35, 0.50, 0.70,
 * 0.90. */
static void test_threat_mapping(void **state)
{
    (void)state;
    struct vg_risk_scales *s = load_shipped();
    static const struct {
        double p;
        int rating;
    } cases[] = {{0, 1},   {0.0099, 1}, {0.01, 2},   {0.0199, 2}, {0.02, 3}, {0.05, 4},
                 {0.1, 5}, {0.2, 6},    {0.3499, 6}, {0.35, 7},   {0.5, 8},  {0.6999, 8},
                 {0.7, 9}, {0.8999, 9}, {0.9, 10},   {1, 10}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *label;
        int r = vg__risk_threat_rating(s, cases[i].p, &label);
        if (r != cases[i].rating)
            fail_msg("p %g: rating %d, expected %d", cases[i].p, r, cases[i].rating);
        assert_non_null(label);
    }
    vg_risk_scales_destroy(s);
}

static void test_defaults_lookup(void **state)
{
    (void)state;
    struct vg_risk_scales *s = load_shipped();
    int v;
    const char *note, *row;
    /* Exact size (case-insensitive), else the kind's "*" row. */
    assert_int_equal(
        vg__risk_default(s, "airport", "LARGE_AIRPORT", VG_RISK_CRITICALITY, &v, &note, &row), 0);
    assert_int_equal(v, 9);
    assert_string_equal(row, "large_airport");
    assert_int_equal(
        vg__risk_default(s, "airport", "heliport", VG_RISK_CRITICALITY, &v, &note, &row), 0);
    assert_int_equal(v, 7);
    assert_string_equal(row, "*");
    assert_int_equal(vg__risk_default(s, "mall", NULL, VG_RISK_ASSET_VALUE, &v, &note, &row), 0);
    assert_int_equal(v, 5);
    assert_int_equal(vg__risk_default(s, "mall", NULL, VG_RISK_ACCESSIBILITY, &v, &note, &row),
                     VG_ENOTFOUND);
    assert_int_equal(vg__risk_default(s, "harbour", NULL, VG_RISK_SHOCK, &v, &note, &row),
                     VG_ENOTFOUND);
    vg_risk_scales_destroy(s);
}

static void test_malformed_checklist(void **state)
{
    (void)state;
    const char *head = "kind,item,criterion,weight,title,description\n";
    char buf[2048];
#define CASE(body, line, col, needle)                                                              \
    do {                                                                                           \
        snprintf(buf, sizeof(buf), "%s%s", head, body);                                            \
        expect_error("checklist", buf, VG_EFORMAT, line, col, needle);                             \
    } while (0)
    CASE("*,perimeter,accessibility,3,P,d\n*,cctv,vulnerability,heavy,C,d\n", 3, "weight",
         "'heavy' is not a number above 0");
    CASE("*,perimeter,accessibility,0,P,d\n", 2, "weight", "not a number above 0");
    CASE("*,perimeter,accessibility,-1,P,d\n", 2, "weight", "not a number above 0");
    CASE("*,perimeter,accessibility,1e999,P,d\n", 2, "weight", "not a number");
    CASE("*,perimeter,accessibility,0x1p1,P,d\n", 2, "weight", "'0x1p1' is not a number");
    CASE("*,perimeter,accessibility, 2,P,d\n", 2, "weight", "' 2' is not a number");
    CASE("harbour,perimeter,accessibility,1,P,d\n", 2, "kind", "unknown kind 'harbour'");
    CASE("*,perimeter,criticality,1,P,d\n", 2, "criterion",
         "unknown criterion 'criticality' (accessibility, recuperability, vulnerability)");
    CASE("*,perimeter,recuperability,1,P,d\n", 2, "criterion",
         "feeds accessibility or vulnerability, not recuperability");
    CASE("*,Perimeter Fence,accessibility,1,P,d\n", 2, "item", "lower-case letters");
    CASE("*,perimeter,accessibility,1,,d\n", 2, "title", "empty value");
    /* The same item twice: in one kind, or common and in a kind. */
    CASE("mall,x,accessibility,1,X,d\nmall,x,vulnerability,1,X,d\n", 3, "item",
         "item 'x' is already in the checklist of mall");
    CASE("mall,x,accessibility,1,X,d\n*,x,vulnerability,1,X,d\n", 3, "item", "already");
    /* The same name in two different kinds is fine, but then kinds lack items: finish says. */
    expect_error("checklist",
                 "kind,item,criterion,weight,title,description\n"
                 "airport,x,accessibility,1,X,d\nairport,y,vulnerability,1,Y,d\n",
                 VG_EFORMAT, 0, "", "railway sites have no checklist item for accessibility");
    /* A stray quote: the CSV reader's own error, at its line. */
    CASE("*,perimeter,accessibility,1,\"P,d\n", 2, "", "quoted field is never closed");
#undef CASE
    /* The header must name every column. */
    expect_error("checklist", "kind,item,criterion,title,description\n*,p,accessibility,P,d\n",
                 VG_EFORMAT, 1, "", "missing column 'weight'");
    expect_error("checklist", "kind,item,item,criterion,weight,title,description\n", VG_EFORMAT, 1,
                 "item", "column 'item' appears twice");
    expect_error("checklist", "", VG_EFORMAT, 1, "", "empty file");
}

static void test_malformed_scales(void **state)
{
    (void)state;
    /* CARVER: bands that overlap, a value out of 1-10, a hole in the scale (finish). */
    expect_error("carver",
                 "criterion,lo,hi,label,description\ncriticality,1,5,low,x\ncriticality,5,10,h,x\n",
                 VG_EFORMAT, 3, "lo", "5-10 overlaps the band 1-5");
    expect_error("carver", "criterion,lo,hi,label,description\ncriticality,0,5,low,x\n", VG_EFORMAT,
                 2, "lo", "not a whole number from 1 to 10");
    expect_error("carver", "criterion,lo,hi,label,description\ncriticality,6,5,low,x\n", VG_EFORMAT,
                 2, "hi", "hi (5) is below lo (6)");
    expect_error("carver", "criterion,lo,hi,label,description\nasset_value,1,10,all,x\n",
                 VG_EFORMAT, 2, "criterion", "unknown criterion 'asset_value'");
    expect_error("carver",
                 "criterion,lo,hi,label,description\ncriticality,1,4,low,x\n"
                 "criticality,6,10,high,x\n",
                 VG_EFORMAT, 0, "", "the criticality scale does not cover 5");

    /* Numbers are plain decimals: no hexadecimal, spaces or '+' (strtod and strtol take them). */
    expect_error("carver", "criterion,lo,hi,label,description\ncriticality,+1,5,low,x\n",
                 VG_EFORMAT, 2, "lo", "'+1' is not a whole number");
    expect_error("carver", "criterion,lo,hi,label,description\ncriticality, 1,5,low,x\n",
                 VG_EFORMAT, 2, "lo", "' 1' is not a whole number");
    expect_error("carver", "criterion,lo,hi,label,description\ncriticality,0x1,5,low,x\n",
                 VG_EFORMAT, 2, "lo", "'0x1' is not a whole number");
    /* Blank lines before the header are skipped, and lines are counted from the top. */
    expect_error("carver", "\n\ncriterion,lo,hi,label,description\ncriticality,0,5,low,x\n",
                 VG_EFORMAT, 4, "lo", "not a whole number from 1 to 10");

    /* FEMA 426: the risk bands must reach 1000. */
    expect_error("fema426",
                 "scale,lo,hi,label,description\nasset_value,1,10,a,x\nthreat,1,10,t,x\n"
                 "vulnerability,1,10,v,x\nrisk,1,60,low,x\nrisk,61,175,medium,x\n"
                 "risk,176,999,high,x\n",
                 VG_EFORMAT, 0, "", "the risk scale does not cover 1000");
    expect_error("fema426", "scale,lo,hi,label,description\nrisk,1,1001,low,x\n", VG_EFORMAT, 2,
                 "hi", "not a whole number from 1 to 1000");
    expect_error("fema426", "scale,lo,hi,label,description\nconsequence,1,10,c,x\n", VG_EFORMAT, 2,
                 "scale", "unknown scale 'consequence'");

    /* Threat: thresholds that do not rise, rating 1 not at 0, a rating missing. */
    expect_error("threat", "rating,p_min,label\n1,0,a\n2,0.1,b\n3,0.05,c\n", VG_EFORMAT, 4, "p_min",
                 "p_min must rise with the rating");
    expect_error("threat", "rating,p_min,label\n1,0.01,a\n", VG_EFORMAT, 2, "p_min",
                 "rating 1 must start at p_min 0");
    expect_error("threat", "rating,p_min,label\n1,0,a\n1,0.1,b\n", VG_EFORMAT, 3, "rating",
                 "rating 1 appears twice");
    expect_error("threat", "rating,p_min,label\n1,0,a\n2,1.5,b\n", VG_EFORMAT, 3, "p_min",
                 "at most 1");
    expect_error("threat", "rating,p_min,label\n1,0,a\n2,0.5,b\n", VG_EFORMAT, 0, "",
                 "rating 3 is missing");

    /* Defaults: no default for a derived criterion, twice the same, a kind without its "*". */
    expect_error("defaults", "kind,size,criterion,value,note\nmall,*,accessibility,5,x\n",
                 VG_EFORMAT, 2, "criterion", "accessibility comes from the checklist");
    expect_error("defaults", "kind,size,criterion,value,note\nmall,*,shock,5,x\nmall,*,shock,6,y\n",
                 VG_EFORMAT, 3, "value", "a second value for mall, size *, shock");
    expect_error("defaults", "kind,size,criterion,value,note\nmall,*,shock,11,x\n", VG_EFORMAT, 2,
                 "value", "'11' is not a whole number from 1 to 10");
    expect_error("defaults", "kind,size,criterion,value,note\nmall,*,shock,5,x\n", VG_EFORMAT, 0,
                 "", "no default criticality for airport sites");

    /* A table left out; a name that is no table. */
    expect_error("threat", NULL, VG_EINVAL, 0, "", "the threat table (threat-v1.csv) is missing");
    struct vg_risk_scales *s;
    struct vg_error err;
    vg_error_clear(&err);
    assert_int_equal(vg_risk_scales_create(1, &s), 0);
    assert_int_equal(vg_risk_scales_parse(s, "weights.csv", "a\n", 2, &err), VG_EINVAL);
    assert_string_equal(err.file, "weights.csv");
    assert_non_null(strstr(err.message, "not a scale table"));
    assert_int_equal(vg_risk_scales_parse(s, "threat-v1.csv", "rating,p_min,label\n", 19, &err), 0);
    assert_int_equal(vg_risk_scales_parse(s, "threat-v2.csv", "", 0, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "a second threat table (the first was threat-v1.csv)"));
    assert_int_equal(vg_risk_scales_finish(s, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "the checklist table (checklist-v1.csv) is missing"));
    vg_risk_scales_destroy(s);
    /* After a table fails to parse, the scales refuse more. */
    assert_int_equal(vg_risk_scales_create(1, &s), 0);
    assert_int_equal(
        vg_risk_scales_parse(s, "threat-v1.csv", "rating,p_min,label\nx,0,a\n", 24, &err),
        VG_EFORMAT);
    assert_int_equal(vg_risk_scales_parse(s, "carver-v1.csv", "", 0, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "broken"));
    assert_int_equal(vg_risk_scales_finish(s, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "broken"));
    vg_risk_scales_destroy(s);
}

static void test_load_errors(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp(), path[TU_PATH_MAX], src[TU_PATH_MAX], rdir[TU_PATH_MAX];
    struct vg_risk_scales *s = NULL;
    struct vg_error err;
    vg_error_clear(&err);
    /* An empty directory: the first table cannot be opened. */
    assert_int_equal(vg_risk_scales_load(dir, 1, &s, &err), VG_EIO);
    assert_null(s);
    assert_non_null(strstr(err.message, "checklist-v1.csv"));
    /* The shipped tables with one bad line in the defaults: the error names the full path, line
     * and column. */
    risk_dir(rdir);
    for (int t = 0; t < 5; t++) {
        char name[64];
        snprintf(name, sizeof(name), "%s-v1.csv", tables[t]);
        size_t len;
        char *data = tu_read_file(tu_join(src, rdir, name), &len);
        if (strcmp(tables[t], "defaults") == 0) {
            char *nl = strchr(data, '\n');
            nl = strchr(nl + 1, '\n');
            nl = strchr(nl + 1, '\n'); /* after line 3 */
            char bad[] = "\nairport,*,effect,ten,x";
            size_t n = (size_t)(nl - data);
            char *joined = malloc(len + sizeof(bad));
            memcpy(joined, data, n);
            memcpy(joined + n, bad, sizeof(bad) - 1);
            memcpy(joined + n + sizeof(bad) - 1, nl, len - n);
            tu_write_file(tu_join(path, dir, name), joined, len + sizeof(bad) - 1);
            free(joined);
        } else {
            tu_write_file(tu_join(path, dir, name), data, len);
        }
        free(data);
    }
    vg_error_clear(&err);
    assert_int_equal(vg_risk_scales_load(dir, 1, &s, &err), VG_EFORMAT);
    assert_string_equal(err.file, tu_join(path, dir, "defaults-v1.csv"));
    assert_int_equal(err.line, 4);
    assert_string_equal(err.column, "value");
    /* Another version is not there. */
    assert_int_equal(vg_risk_scales_load(rdir, 2, &s, &err), VG_EIO);
    assert_non_null(strstr(err.message, "checklist-v2.csv"));
    tu_rmtree(dir);
    free(dir);
}

static void test_names(void **state)
{
    (void)state;
    enum vg_risk_criterion c;
    enum vg_risk_status st;
    struct vg_error err;
    vg_error_clear(&err);
    for (int i = 0; i < VG_RISK_CRITERION_COUNT; i++) {
        assert_int_equal(vg_risk_criterion_parse(vg_risk_criterion_name(i), &c, &err), 0);
        assert_int_equal(c, i);
    }
    assert_int_equal(vg_risk_criterion_parse("Shock", &c, &err), 0);
    assert_int_equal(c, VG_RISK_SHOCK);
    assert_int_equal(vg_risk_criterion_parse("fear", &c, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "unknown criterion 'fear'"));
    assert_string_equal(vg_risk_criterion_name(VG_RISK_CRITERION_COUNT), "?");
    assert_int_equal(vg_risk_status_parse("GAP", &st, &err), 0);
    assert_int_equal(st, VG_RISK_GAP);
    assert_int_equal(vg_risk_status_parse("met", &st, &err), 0);
    assert_int_equal(st, VG_RISK_MET);
    assert_int_equal(vg_risk_status_parse("partial", &st, &err), VG_EINVAL);
    assert_string_equal(vg_risk_status_name(VG_RISK_UNASSESSED), "unassessed");
    assert_string_equal(vg_risk_source_name(VG_RISK_FROM_CHECKLIST), "checklist");
}

/* Every allocation of a load may fail: the load then fails cleanly (no leak, no crash). */
static void test_allocation_failures(void **state)
{
    (void)state;
    char dir[TU_PATH_MAX];
    risk_dir(dir);
    int succeeded = 0;
    for (long n = 0; n < 5000 && !succeeded; n++) {
        struct vg_risk_scales *s = NULL;
        struct vg_error err;
        vg_error_clear(&err);
        vg_mem_fail_after(n);
        int rc = vg_risk_scales_load(dir, 1, &s, &err);
        vg_mem_fail_after(-1);
        if (rc == 0) {
            succeeded = 1;
            vg_risk_scales_destroy(s);
        } else {
            assert_int_equal(rc, VG_ENOMEM);
            assert_null(s);
        }
    }
    assert_true(succeeded);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_tables),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_band_boundaries),
        cmocka_unit_test(test_threat_mapping),
        cmocka_unit_test(test_defaults_lookup),
        cmocka_unit_test(test_malformed_checklist),
        cmocka_unit_test(test_malformed_scales),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
