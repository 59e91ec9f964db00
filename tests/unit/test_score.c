/* test_score.c - the scores of hand-built sites (src/assess/score.c) with the shipped scales of
 * data/risk, each checked against the figures worked out by hand in the comment above it.
 *
 * The weights used below (data/risk/checklist-v1.csv):
 *   every kind   perimeter A3, vehicle_barriers A3, cctv V2, patrols V2, evacuation V2,
 *                staff_training V2, communications V1, blast_mitigation V1
 *   airport      + passenger_screening A3, hold_baggage_screening A3, airside_access A2,
 *                  landside_protection V2              W_A = 14, W_V = 12, W = 26
 *   mall         + bag_checks A2, loading_docks A1, crowd_management V2
 *                                                      W_A = 9, W_V = 12, W = 21
 * (A: feeds accessibility, V: vulnerability.) A criterion from the checklist is
 * round(1 + 9 G / W), G the weight of its gaps and unassessed items; FEMA's vulnerability is the
 * same over the whole checklist. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "vigil/risk.h"

#include <math.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct vg_risk_scales *scales;

static int setup(void **state)
{
    (void)state;
    char dir[TU_PATH_MAX], sample[TU_PATH_MAX];
    tu_data_path(sample, "VG_SAMPLE_DATA", "README.md");
    snprintf(dir, sizeof(dir), "%s/../risk", getenv("VG_SAMPLE_DATA"));
    struct vg_error err;
    vg_error_clear(&err);
    if (vg_risk_scales_load(dir, 1, &scales, &err))
        fail_msg("%s:%ld: %s", err.file, err.line, err.message);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vg_risk_scales_destroy(scales);
    return 0;
}

static void near(double got, double want, const char *what)
{
    if (!(fabs(got - want) <= 1e-6 * (1 + fabs(want))))
        fail_msg("%s: got %.12g, expected %.12g", what, got, want);
}

static void score(const struct vg_risk_input *in, struct vg_risk_result *out)
{
    struct vg_error err;
    vg_error_clear(&err);
    if (vg_risk_score(scales, in, out, &err))
        fail_msg("vg_risk_score: %s", err.message);
}

static void expect_crit(const struct vg_risk_result *r, enum vg_risk_criterion c, int value,
                        enum vg_risk_source src)
{
    if (r->criteria[c].value != value || r->criteria[c].source != src)
        fail_msg("%s: %d from %s, expected %d from %s", vg_risk_criterion_name(c),
                 r->criteria[c].value, vg_risk_source_name(r->criteria[c].source), value,
                 vg_risk_source_name(src));
}

static const struct vg_risk_item_state *state_of(const struct vg_risk_result *r, const char *item)
{
    for (size_t i = 0; i < r->nitems; i++)
        if (strcmp(r->items[i].item->name, item) == 0)
            return &r->items[i];
    fail_msg("no item %s", item);
    return NULL;
}

/* A large airport with one accessibility gap, two vulnerability gaps and one item unassessed,
 * and a threat of 0.5 incidents a year.
 *   accessibility: G_A = 3 (vehicle_barriers) -> 1 + 9 * 3/14 = 2.929 -> 3
 *   vulnerability: G_V = 2 (patrols) + 2 (staff_training) + 1 (communications, unassessed) = 5
 *                  -> 1 + 9 * 5/12 = 4.75 -> 5
 *   defaults of large_airport: criticality 9, recuperability 6, effect 8, recognizability 10,
 *                  shock 9, asset value 9
 *   CARVER+Shock: 9 + 3 + 6 + 5 + 8 + 10 + 9 = 50
 *   threat: p = 1 - exp(-0.5) = 0.393469 -> rating 7 (0.35 <= p < 0.50)
 *   FEMA vulnerability: G = 8 of W = 26 -> 1 + 9 * 8/26 = 3.769 -> 4
 *   FEMA 426: 9 * 7 * 4 = 252 -> high (176-1000)
 *   DHS: T = 0.393469, V = 0.4, C = (9 + 6 + 8 + 9)/40 = 0.8 -> R = 0.125910
 *   raises: vehicle_barriers 9 * 3/14 = 1.928571, patrols and staff_training 9 * 2/12 = 1.5,
 *           communications 9 * 1/12 = 0.75 */
static void score_large_airport(struct vg_risk_result *r)
{
    /* An item named in another case is the same item; notes and dates change no score. */
    static const struct vg_risk_answer answers[] = {
        {"perimeter", VG_RISK_MET, NULL, "2026-01-10"},
        {"vehicle_barriers", VG_RISK_GAP, "bollards on one side only", "2026-01-10"},
        {"passenger_screening", VG_RISK_MET, NULL, NULL},
        {"HOLD_BAGGAGE_SCREENING", VG_RISK_MET, NULL, NULL},
        {"airside_access", VG_RISK_MET, NULL, NULL},
        {"cctv", VG_RISK_MET, NULL, NULL},
        {"patrols", VG_RISK_GAP, NULL, NULL},
        {"evacuation", VG_RISK_MET, NULL, NULL},
        {"staff_training", VG_RISK_GAP, NULL, NULL},
        {"blast_mitigation", VG_RISK_MET, NULL, NULL},
        {"landside_protection", VG_RISK_MET, NULL, NULL},
    };
    struct vg_risk_input in = {.kind = "airport",
                               .size = "large_airport",
                               .answers = answers,
                               .nanswers = N(answers),
                               .has_threat = 1,
                               .lambda = 0.5};
    score(&in, r);
}

static void test_large_airport(void **state)
{
    (void)state;
    struct vg_risk_result r;
    score_large_airport(&r);
    assert_int_equal(r.nitems, 12);
    assert_int_equal(r.nmet, 8);
    assert_int_equal(r.ngaps, 3);
    assert_int_equal(r.nunassessed, 1);
    near(r.gap_share_access, 3.0 / 14, "gap share, accessibility");
    near(r.gap_share_vuln, 5.0 / 12, "gap share, vulnerability");
    near(r.gap_share_all, 8.0 / 26, "gap share, all");
    expect_crit(&r, VG_RISK_ACCESSIBILITY, 3, VG_RISK_FROM_CHECKLIST);
    near(r.criteria[VG_RISK_ACCESSIBILITY].exact, 1 + 27.0 / 14, "accessibility before rounding");
    expect_crit(&r, VG_RISK_VULNERABILITY, 5, VG_RISK_FROM_CHECKLIST);
    expect_crit(&r, VG_RISK_CRITICALITY, 9, VG_RISK_FROM_DEFAULT);
    expect_crit(&r, VG_RISK_RECUPERABILITY, 6, VG_RISK_FROM_DEFAULT);
    expect_crit(&r, VG_RISK_EFFECT, 8, VG_RISK_FROM_DEFAULT);
    expect_crit(&r, VG_RISK_RECOGNIZABILITY, 10, VG_RISK_FROM_DEFAULT);
    expect_crit(&r, VG_RISK_SHOCK, 9, VG_RISK_FROM_DEFAULT);
    expect_crit(&r, VG_RISK_ASSET_VALUE, 9, VG_RISK_FROM_DEFAULT);
    expect_crit(&r, VG_RISK_THREAT, 7, VG_RISK_FROM_THREAT);
    assert_string_equal(r.size_row, "large_airport");
    assert_int_equal(r.carver_total, 50);
    near(r.p_year, 0.393469340287, "p");
    assert_int_equal(r.fema_vulnerability, 4);
    assert_int_equal(r.fema_score, 252);
    assert_string_equal(r.fema_band, "high");
    near(r.dhs_t, 0.393469340287, "T");
    near(r.dhs_v, 0.4, "V");
    near(r.dhs_c, 0.8, "C");
    near(r.dhs, 0.393469340287 * 0.4 * 0.8, "R");

    /* The item states keep the answer's notes; the raise of each gap. */
    const struct vg_risk_item_state *vb = state_of(&r, "vehicle_barriers");
    assert_int_equal(vb->status, VG_RISK_GAP);
    assert_string_equal(vb->notes, "bollards on one side only");
    near(vb->raise, 27.0 / 14, "raise of vehicle_barriers");
    assert_int_equal(state_of(&r, "hold_baggage_screening")->status, VG_RISK_MET);
    assert_int_equal(state_of(&r, "communications")->status, VG_RISK_UNASSESSED);
    near(state_of(&r, "communications")->raise, 0.75, "raise of communications");
    near(state_of(&r, "perimeter")->raise, 0, "a met item raises nothing");
}

/* Reasons, largest first, ties in the order of the criteria (the same airport):
 *   CARVER: recognizability 10, criticality 9, shock 9, effect 8, recuperability 6,
 *           vulnerability 5, accessibility 3
 *   FEMA:   asset value 9, threat 7, vulnerability 4
 *   DHS:    C 0.8, V 0.4, T 0.393
 *   gaps:   vehicle_barriers 1.93, patrols 1.5, staff_training 1.5, communications 0.75 */
static void test_reasons_order(void **state)
{
    (void)state;
    struct vg_risk_result r;
    score_large_airport(&r);
    static const char *const carver[] = {"recognizability", "criticality",    "shock",
                                         "effect",          "recuperability", "vulnerability",
                                         "accessibility"};
    for (size_t i = 0; i < N(carver); i++)
        assert_string_equal(r.carver[i].factor, carver[i]);
    assert_string_equal(r.carver[0].text, "recognizability 10: default for airport sites of size "
                                          "large_airport");
    assert_string_equal(r.carver[6].text, "accessibility 3: 21% of the checklist weight is gaps: "
                                          "vehicle_barriers");
    assert_string_equal(r.carver[5].text,
                        "vulnerability 5: 42% of the checklist weight is gaps: patrols, "
                        "staff_training, communications (unassessed)");
    assert_string_equal(r.fema[0].factor, "asset_value");
    assert_string_equal(r.fema[1].factor, "threat");
    assert_string_equal(r.fema[1].text, "threat 7: probability 0.393 of an incident within a year");
    assert_string_equal(r.fema[2].factor, "vulnerability");
    assert_string_equal(r.dhs_reasons[0].factor, "C");
    assert_string_equal(r.dhs_reasons[1].factor, "V");
    assert_string_equal(r.dhs_reasons[2].factor, "T");
    assert_int_equal(r.ngap_order, 4);
    static const char *const gaps[] = {"vehicle_barriers", "patrols", "staff_training",
                                       "communications"};
    for (size_t i = 0; i < N(gaps); i++)
        assert_string_equal(r.items[r.gap_order[i]].item->name, gaps[i]);
}

/* A mall nobody has assessed, rated by hand: criticality 8, threat 3; no threat estimate.
 *   every item unassessed, so counted a gap: accessibility = vulnerability = 1 + 9 = 10,
 *   FEMA vulnerability 10
 *   defaults of mall (*): recuperability 4, effect 3, recognizability 8, shock 6, asset value 5
 *   CARVER+Shock: 8 + 10 + 4 + 10 + 3 + 8 + 6 = 49
 *   FEMA 426: 5 * 3 * 10 = 150 -> medium (61-175)
 *   DHS: T = 3/10 = 0.3 (rated), V = 1.0, C = (8 + 4 + 3 + 6)/40 = 0.525 -> R = 0.1575 */
static void test_unassessed_mall_with_ratings(void **state)
{
    (void)state;
    const struct vg_risk_rating ratings[] = {{VG_RISK_CRITICALITY, 8, "regional flagship", NULL},
                                             {VG_RISK_THREAT, 3, NULL, NULL}};
    struct vg_risk_input in = {.kind = "mall", .ratings = ratings, .nratings = N(ratings)};
    struct vg_risk_result r;
    score(&in, &r);
    assert_int_equal(r.nitems, 11);
    assert_int_equal(r.nunassessed, 11);
    assert_int_equal(r.nmet + r.ngaps, 0);
    expect_crit(&r, VG_RISK_CRITICALITY, 8, VG_RISK_FROM_RATING);
    assert_string_equal(r.criteria[VG_RISK_CRITICALITY].notes, "regional flagship");
    expect_crit(&r, VG_RISK_ACCESSIBILITY, 10, VG_RISK_FROM_CHECKLIST);
    expect_crit(&r, VG_RISK_VULNERABILITY, 10, VG_RISK_FROM_CHECKLIST);
    expect_crit(&r, VG_RISK_THREAT, 3, VG_RISK_FROM_RATING);
    expect_crit(&r, VG_RISK_ASSET_VALUE, 5, VG_RISK_FROM_DEFAULT);
    assert_string_equal(r.size_row, "*");
    assert_int_equal(r.carver_total, 49);
    assert_true(isnan(r.p_year));
    assert_int_equal(r.fema_vulnerability, 10);
    assert_int_equal(r.fema_score, 150);
    assert_string_equal(r.fema_band, "medium");
    near(r.dhs_t, 0.3, "T");
    near(r.dhs_v, 1.0, "V");
    near(r.dhs_c, 0.525, "C");
    near(r.dhs, 0.1575, "R");
    assert_string_equal(r.carver[0].factor, "accessibility"); /* 10, before vulnerability 10 */
    assert_string_equal(r.carver[1].factor, "vulnerability");
    assert_string_equal(r.carver[2].text, "criticality 8: rated: regional flagship");
    assert_string_equal(r.fema[0].factor, "vulnerability");
    assert_string_equal(r.dhs_reasons[2].text, "T 0.300: threat rating 3 / 10 (rating)");
}

/* A venue with every item met, no estimate: the default threat 5 applies.
 *   accessibility = vulnerability = FEMA vulnerability = 1
 *   defaults of venue: criticality 6, recuperability 3, effect 3, recognizability 9, shock 8,
 *   asset value 6, threat 5
 *   CARVER+Shock: 6 + 1 + 3 + 1 + 3 + 9 + 8 = 31; FEMA 426: 6 * 5 * 1 = 30 -> low
 *   DHS: T = 0.5, V = 0.1, C = (6 + 3 + 3 + 8)/40 = 0.5 -> R = 0.025 */
static void test_protected_venue(void **state)
{
    (void)state;
    const struct vg_risk_item *const *items;
    size_t n = vg_risk_checklist(scales, "venue", &items);
    struct vg_risk_answer answers[VG_RISK_MAX_ITEMS];
    for (size_t i = 0; i < n; i++)
        answers[i] = (struct vg_risk_answer){items[i]->name, VG_RISK_MET, NULL, NULL};
    struct vg_risk_input in = {.kind = "venue", .answers = answers, .nanswers = n};
    struct vg_risk_result r;
    score(&in, &r);
    assert_int_equal(r.nmet, 12);
    expect_crit(&r, VG_RISK_ACCESSIBILITY, 1, VG_RISK_FROM_CHECKLIST);
    expect_crit(&r, VG_RISK_VULNERABILITY, 1, VG_RISK_FROM_CHECKLIST);
    expect_crit(&r, VG_RISK_THREAT, 5, VG_RISK_FROM_DEFAULT);
    assert_int_equal(r.carver_total, 31);
    assert_int_equal(r.fema_vulnerability, 1);
    assert_int_equal(r.fema_score, 30);
    assert_string_equal(r.fema_band, "low");
    near(r.dhs, 0.025, "R");
    assert_int_equal(r.ngap_order, 0);
    assert_string_equal(r.fema[2].text,
                        "vulnerability 1: 0% of the checklist weight is gaps: none");
}

/* Rounding is half up: an airport whose only vulnerability gap is patrols (2 of W_V = 12) has
 * vulnerability 1 + 9 * 2/12 = 2.5 -> 3; with no gap at all a threat of lambda 0 gives p = 0 and
 * threat rating 1. */
static void test_rounding_half_up(void **state)
{
    (void)state;
    const struct vg_risk_item *const *items;
    size_t n = vg_risk_checklist(scales, "airport", &items);
    struct vg_risk_answer answers[VG_RISK_MAX_ITEMS];
    for (size_t i = 0; i < n; i++)
        answers[i] = (struct vg_risk_answer){
            items[i]->name, strcmp(items[i]->name, "patrols") == 0 ? VG_RISK_GAP : VG_RISK_MET,
            NULL, NULL};
    struct vg_risk_input in = {
        .kind = "airport", .answers = answers, .nanswers = n, .has_threat = 1, .lambda = 0};
    struct vg_risk_result r;
    score(&in, &r);
    near(r.criteria[VG_RISK_VULNERABILITY].exact, 2.5, "vulnerability before rounding");
    expect_crit(&r, VG_RISK_VULNERABILITY, 3, VG_RISK_FROM_CHECKLIST);
    expect_crit(&r, VG_RISK_ACCESSIBILITY, 1, VG_RISK_FROM_CHECKLIST);
    expect_crit(&r, VG_RISK_THREAT, 1, VG_RISK_FROM_THREAT);
    /* FEMA vulnerability: 1 + 9 * 2/26 = 1.69 -> 2. */
    assert_int_equal(r.fema_vulnerability, 2);
    /* The airport of unknown size takes the "*" defaults: asset value 8. 8 * 1 * 2 = 16. */
    assert_int_equal(r.fema_score, 16);
}

/* The FEMA bands through whole scores. A mall rated asset value 5:
 *   threat 3, gaps perimeter + vehicle_barriers (G = 6 of 21): vulnerability 1 + 9 * 6/21 = 3.57
 *     -> 4; 5 * 3 * 4 = 60 -> low (the top of Low)
 *   threat 5, gaps perimeter, vehicle_barriers, cctv, patrols, evacuation, staff_training
 *     (G = 14): 1 + 9 * 14/21 = 7; 5 * 5 * 7 = 175 -> medium (the top of Medium)
 *   the same and bag_checks (G = 16): 1 + 9 * 16/21 = 7.86 -> 8; 5 * 5 * 8 = 200 -> high
 * (61 and 176 cannot be products of three ratings of 1-10: 61 is prime, 176 = 16 * 11; the
 * table's edges themselves are checked in test_scales.) */
static void test_fema_bands(void **state)
{
    (void)state;
    static const struct {
        int threat;
        const char *gaps[8];
        int vuln, score;
        const char *band;
    } cases[] = {
        {3, {"perimeter", "vehicle_barriers"}, 4, 60, "low"},
        {5,
         {"perimeter", "vehicle_barriers", "cctv", "patrols", "evacuation", "staff_training"},
         7,
         175,
         "medium"},
        {5,
         {"perimeter", "vehicle_barriers", "cctv", "patrols", "evacuation", "staff_training",
          "bag_checks"},
         8,
         200,
         "high"},
    };
    const struct vg_risk_item *const *items;
    size_t n = vg_risk_checklist(scales, "mall", &items);
    for (size_t c = 0; c < N(cases); c++) {
        struct vg_risk_answer answers[VG_RISK_MAX_ITEMS];
        for (size_t i = 0; i < n; i++) {
            int gap = 0;
            for (size_t g = 0; g < 8 && cases[c].gaps[g]; g++)
                gap |= strcmp(items[i]->name, cases[c].gaps[g]) == 0;
            answers[i] = (struct vg_risk_answer){items[i]->name, gap ? VG_RISK_GAP : VG_RISK_MET,
                                                 NULL, NULL};
        }
        const struct vg_risk_rating ratings[] = {{VG_RISK_ASSET_VALUE, 5, NULL, NULL},
                                                 {VG_RISK_THREAT, cases[c].threat, NULL, NULL}};
        struct vg_risk_input in = {
            .kind = "mall", .answers = answers, .nanswers = n, .ratings = ratings, .nratings = 2};
        struct vg_risk_result r;
        score(&in, &r);
        assert_int_equal(r.fema_vulnerability, cases[c].vuln);
        assert_int_equal(r.fema_score, cases[c].score);
        assert_string_equal(r.fema_band, cases[c].band);
    }
}

static void expect_refused(const struct vg_risk_input *in, const char *needle)
{
    struct vg_risk_result r;
    struct vg_error err;
    vg_error_clear(&err);
    assert_int_equal(vg_risk_score(scales, in, &r, &err), VG_EINVAL);
    if (!strstr(err.message, needle))
        fail_msg("expected '%s' in '%s'", needle, err.message);
}

static void test_bad_input(void **state)
{
    (void)state;
    struct vg_risk_input in = {.kind = "harbour"};
    expect_refused(&in, "unknown kind of site 'harbour'");
    in.kind = NULL;
    expect_refused(&in, "unknown kind of site ''");

    /* An item of another kind: the error lists the valid ones. */
    const struct vg_risk_answer wrong[] = {{"hold_baggage_screening", VG_RISK_GAP, NULL, NULL}};
    in = (struct vg_risk_input){.kind = "subway", .answers = wrong, .nanswers = 1};
    expect_refused(&in, "unknown item 'hold_baggage_screening' for a subway site (valid: "
                        "perimeter, vehicle_barriers, cctv, patrols, evacuation, staff_training, "
                        "communications, blast_mitigation, unattended_items, random_screening, "
                        "tunnel_access, ventilation_control)");
    const struct vg_risk_answer twice[] = {{"cctv", VG_RISK_GAP, NULL, NULL},
                                           {"CCTV", VG_RISK_MET, NULL, NULL}};
    in = (struct vg_risk_input){.kind = "subway", .answers = twice, .nanswers = 2};
    expect_refused(&in, "item cctv is answered twice");
    const struct vg_risk_answer unassessed[] = {{"cctv", VG_RISK_UNASSESSED, NULL, NULL}};
    in = (struct vg_risk_input){.kind = "subway", .answers = unassessed, .nanswers = 1};
    expect_refused(&in, "the status must be met or gap");

    const struct vg_risk_rating high[] = {{VG_RISK_SHOCK, 11, NULL, NULL}};
    in = (struct vg_risk_input){.kind = "venue", .ratings = high, .nratings = 1};
    expect_refused(&in, "the rating of shock must be 1 to 10, not 11");
    const struct vg_risk_rating dup[] = {{VG_RISK_SHOCK, 2, NULL, NULL},
                                         {VG_RISK_SHOCK, 3, NULL, NULL}};
    in = (struct vg_risk_input){.kind = "venue", .ratings = dup, .nratings = 2};
    expect_refused(&in, "shock is rated twice");

    in = (struct vg_risk_input){.kind = "venue", .has_threat = 1, .lambda = -1};
    expect_refused(&in, "the threat rate must be a number of at least 0");
    in.lambda = NAN;
    expect_refused(&in, "the threat rate");
}

/* Ranking: DHS risk first, then FEMA score, then CARVER total. */
static void test_compare(void **state)
{
    (void)state;
    struct vg_risk_result a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    a.dhs = 0.2;
    b.dhs = 0.1;
    assert_true(vg_risk_compare(&a, &b) < 0);
    assert_true(vg_risk_compare(&b, &a) > 0);
    b.dhs = 0.2;
    a.fema_score = 100;
    b.fema_score = 120;
    assert_true(vg_risk_compare(&a, &b) > 0);
    b.fema_score = 100;
    a.carver_total = 40;
    b.carver_total = 30;
    assert_true(vg_risk_compare(&a, &b) < 0);
    b.carver_total = 40;
    assert_int_equal(vg_risk_compare(&a, &b), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_large_airport),
        cmocka_unit_test(test_reasons_order),
        cmocka_unit_test(test_unassessed_mall_with_ratings),
        cmocka_unit_test(test_protected_venue),
        cmocka_unit_test(test_rounding_half_up),
        cmocka_unit_test(test_fema_bands),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_compare),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
