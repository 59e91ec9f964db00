/* test_rank.c - the ranking of key sites and the explanation of one (src/assess/rank.c) on
 * hand-built sites, against figures worked out by hand in the comments, with the shipped scales
 * of data/risk.
 *
 * Without incidents (test_rank_default_threat): the three airports of tests/cli/risk.sh, every
 * one at its kind's default threat rating 5 (data/risk/defaults-v1.csv):
 *   FRA (large_airport): every item met but vehicle_barriers (A3 of W_A = 14): accessibility
 *     round(1 + 9 * 3/14) = 3, vulnerability 1, FEMA vulnerability round(1 + 9 * 3/26) = 2;
 *     CARVER 9+3+6+1+8+10+9 = 46; FEMA 9 * 5 * 2 = 90 (medium); DHS 0.5 * 0.2 * 32/40 = 0.08.
 *   LHR (large_airport), nothing assessed: CARVER 9+10+6+10+8+10+9 = 62, FEMA 9 * 5 * 10 = 450
 *     (high), DHS 0.5 * 1 * 0.8 = 0.4.
 *   CGN (medium_airport), nothing assessed: CARVER 7+10+5+10+6+9+7 = 54, FEMA 7 * 5 * 10 = 350
 *     (high), DHS 0.5 * 1 * 25/40 = 0.3125.
 *
 * With incidents (test_rank_estimated_threat): the incidents of test_threat.c around two airports
 * of unknown size, A at (0, 0) and C at (0, -179.9). A has two comparable incidents within 50 km,
 * at 25 and 10 km (Epanechnikov weights 0.75 and 0.96, x = 1.71); C has one across the
 * antimeridian at 0.2 degrees of longitude, d = 22.239 km, x = 1 - (d/50)^2; t = 10 years. The
 * spread is below Poisson noise, so both take the pooled rate lambda = (1.71 + 0.80217) / 20 =
 * 0.12561, p = 1 - exp(-lambda) = 0.11804: threat rating 5 (0.10 to 0.20). The "*" airport
 * defaults: criticality 7, recuperability 5, effect 6, recognizability 9, shock 8, asset value 8.
 *   C, nothing assessed: CARVER 7+10+5+10+6+9+8 = 55, FEMA 8 * 5 * 10 = 400 (high),
 *     DHS p * 1.0 * 26/40.
 *   A, cctv met (V2 of W_V = 12): vulnerability round(1 + 9 * 10/12) = round(8.5) = 9, FEMA
 *     vulnerability round(1 + 9 * 24/26) = 9; CARVER 7+10+5+9+6+9+8 = 54, FEMA 8 * 5 * 9 = 360
 *     (high), DHS p * 0.9 * 26/40. C ranks above A. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "vigil/ingest.h"
#include "vigil/risk.h"
#include "vigil/sites.h"
#include "vigil/store.h"

#include <jansson.h>
#include <math.h>

#define KM_PER_DEG (6371.0088 * M_PI / 180.0)

struct fx {
    char *dir;
    char db[TU_PATH_MAX];
    struct vg_store *s;
    struct vg_risk_scales *scales;
    struct vg_target_kinds *tk;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct vg_error err;
    char dir[TU_PATH_MAX], path[TU_PATH_MAX];
    vg_error_clear(&err);
    assert_non_null(f);
    f->dir = tu_mkdtemp();
    tu_join(f->db, f->dir, "t.db");
    if (vg_store_open(f->db, 0, &f->s, &err))
        fail_msg("store: %s", err.message);
    tu_data_path(path, "VG_SAMPLE_DATA", "../risk/target_kinds.csv");
    snprintf(dir, sizeof(dir), "%s/../risk", getenv("VG_SAMPLE_DATA"));
    if (vg_risk_scales_load(dir, 1, &f->scales, &err) || vg_target_kinds_load(path, &f->tk, &err))
        fail_msg("%s:%ld: %s", err.file, err.line, err.message);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    vg_target_kinds_destroy(f->tk);
    vg_risk_scales_destroy(f->scales);
    vg_store_close(f->s);
    tu_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void near(double got, double want, const char *what)
{
    if (!(fabs(got - want) <= 1e-9 * (1 + fabs(want))))
        fail_msg("%s: got %.12g, expected %.12g", what, got, want);
}

/* The estimate is the posterior mean of a prior made very narrow around the pooled rate
 * (vg_threat_fit's "pooled"): it equals the pooled rate to about 1e-5. */
static void close_to(double got, double want, const char *what)
{
    if (!(fabs(got - want) <= 1e-5 * (1 + fabs(want))))
        fail_msg("%s: got %.12g, expected %.12g", what, got, want);
}

static void import(struct fx *f, const char *csv)
{
    struct vg_sites_import_opts o = {0};
    struct vg_ingest_stats st = {0};
    struct vg_error err;
    o.kind = VG_SITE_AIRPORT;
    if (vg_sites_import_mem(f->s, csv, strlen(csv), "airports.csv", &o, &st, &err) || st.rejected)
        fail_msg("import: %s", err.message);
}

static void answer(struct fx *f, const char *code, const char *item, enum vg_risk_status status)
{
    struct vg_site site;
    struct vg_error err;
    if (vg_site_find(f->s, code, &site, &err))
        fail_msg("%s: %s", code, err.message);
    struct vg_risk_answer a = {.item = item, .status = status, .date = "2026-01-10"};
    if (vg_risk_answer_set(f->s, site.id, &a, "test", &err))
        fail_msg("answer %s %s: %s", code, item, err.message);
    vg_site_cleanup(&site);
}

static struct vg_risk_ranking *rank(struct fx *f, const struct vg_site_filter *filter, size_t top)
{
    struct vg_risk_opts o = {.scales = f->scales, .targets = f->tk, .top = top};
    struct vg_risk_ranking *r = NULL;
    struct vg_error err;
    vg_error_clear(&err);
    if (filter)
        o.filter = *filter;
    if (vg_risk_rank(f->s, &o, &r, &err))
        fail_msg("rank: %s", err.message);
    return r;
}

static void three_airports(struct fx *f)
{
    import(f, "id,ident,type,name,latitude_deg,longitude_deg,iso_country,iata_code,gps_code\n"
              "1,EDDF,large_airport,Frankfurt am Main Airport,50.0333,8.5706,DE,FRA,EDDF\n"
              "2,EGLL,large_airport,London Heathrow,51.4706,-0.4619,GB,LHR,EGLL\n"
              "3,EDDK,medium_airport,Cologne Bonn Airport,50.8659,7.1427,DE,CGN,EDDK\n");
    static const char *const met[] = {"perimeter",
                                      "passenger_screening",
                                      "hold_baggage_screening",
                                      "airside_access",
                                      "cctv",
                                      "patrols",
                                      "evacuation",
                                      "staff_training",
                                      "communications",
                                      "blast_mitigation",
                                      "landside_protection"};
    for (size_t i = 0; i < sizeof(met) / sizeof(met[0]); i++)
        answer(f, "FRA", met[i], VG_RISK_MET);
    answer(f, "FRA", "vehicle_barriers", VG_RISK_GAP);
}

static void test_rank_default_threat(void **state)
{
    struct fx *f = *state;
    three_airports(f);
    struct vg_risk_ranking *r = rank(f, NULL, 0);
    assert_int_equal(r->n, 3);
    assert_int_equal(r->nsites, 3);
    assert_int_equal(r->scales_version, 1);
    assert_int_equal(r->has_threat, 0);
    assert_true(r->threat_note[0] != '\0'); /* no incidents: said why */
    static const struct {
        const char *code, *band;
        double dhs;
        int fema, carver;
    } want[] = {{"LHR", "high", 0.4, 450, 62},
                {"CGN", "high", 0.3125, 350, 54},
                {"FRA", "medium", 0.08, 90, 46}};
    for (size_t i = 0; i < 3; i++) {
        const struct vg_risk_ranked *w = &r->rows[i];
        assert_string_equal(w->code, want[i].code);
        assert_string_equal(w->band, want[i].band);
        assert_string_equal(w->kind, "airport");
        near(w->dhs, want[i].dhs, want[i].code);
        assert_int_equal(w->fema, want[i].fema);
        assert_int_equal(w->carver, want[i].carver);
        assert_int_equal(w->has_threat, 0);
        assert_true(isnan(w->p_year));
    }
    assert_string_equal(r->rows[0].name, "London Heathrow");
    assert_string_equal(r->rows[0].country, "GB");
    /* FEMA factors largest first: vulnerability 10, asset value 9, threat 5 (default) */
    assert_string_equal(r->rows[0].reasons,
                        "vulnerability 10 (gaps: perimeter, vehicle_barriers, "
                        "passenger_screening +9); asset_value 9 (default); threat 5 (default)");
    assert_string_equal(r->rows[2].reasons, "asset_value 9 (default); threat 5 (default); "
                                            "vulnerability 2 (gaps: vehicle_barriers)");

    /* The JSON form, as `vigil risk rank --format json` prints it. */
    struct vg_buf b;
    vg_buf_init(&b, 1 << 20);
    assert_int_equal(vg_risk_ranking_json(r, 0, &b), 0);
    assert_non_null(strstr(b.data, "{\"scales_version\":1,\"sites\":[\n{\"rank\":1,\"id\":2,"
                                   "\"code\":\"LHR\",\"name\":\"London Heathrow\",\"kind\":"
                                   "\"airport\",\"country\":\"GB\",\"dhs\":0.4,\"fema\":450,"
                                   "\"band\":\"high\",\"carver\":62,\"reasons\":"));
    assert_null(strstr(b.data, "threat_note"));
    vg_buf_reset(&b);
    assert_int_equal(vg_risk_ranking_json(r, VG_RISK_JSON_DETAIL, &b), 0);
    json_error_t jerr;
    json_t *doc = json_loads(b.data, 0, &jerr);
    if (!doc)
        fail_msg("the ranking is not JSON: %s", jerr.text);
    json_t *sites = json_object_get(doc, "sites");
    assert_int_equal(json_array_size(sites), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(sites, 2), "code")),
                        "FRA");
    assert_true(json_is_null(json_object_get(json_array_get(sites, 0), "p_year")));
    assert_true(json_is_string(json_object_get(doc, "threat_note")));
    json_decref(doc);
    vg_buf_cleanup(&b);
    vg_risk_ranking_destroy(r);

    /* Filters and top: the country, the kind, the first N (nsites counts them all). */
    struct vg_site_filter de = {.country = "de"};
    r = rank(f, &de, 0);
    assert_int_equal(r->n, 2);
    assert_string_equal(r->rows[0].code, "CGN");
    assert_string_equal(r->rows[1].code, "FRA");
    vg_risk_ranking_destroy(r);
    r = rank(f, NULL, 1);
    assert_int_equal(r->n, 1);
    assert_int_equal(r->nsites, 3);
    assert_string_equal(r->rows[0].code, "LHR");
    vg_risk_ranking_destroy(r);
    struct vg_site_filter rail = {.only_kind = 1, .kind = VG_SITE_RAILWAY};
    r = rank(f, &rail, 0);
    assert_int_equal(r->n, 0);
    assert_int_equal(r->nsites, 0);
    vg_risk_ranking_destroy(r);

    /* No table of comparable targets: the default threat too, with its own note. */
    struct vg_risk_opts o = {.scales = f->scales};
    struct vg_error err;
    assert_int_equal(vg_risk_rank(f->s, &o, &r, &err), 0);
    assert_int_equal(r->n, 3);
    assert_string_equal(r->threat_note, "no table of comparable targets");
    vg_risk_ranking_destroy(r);
}

static void test_explain_default_threat(void **state)
{
    struct fx *f = *state;
    three_airports(f);
    struct vg_risk_opts o = {.scales = f->scales, .targets = f->tk};
    struct vg_risk_explanation *e = NULL;
    struct vg_error err;
    vg_error_clear(&err);
    if (vg_risk_explain(f->s, &o, "EDDF", &e, &err))
        fail_msg("explain: %s", err.message);
    const struct vg_risk_result *r = &e->result;
    assert_int_equal(e->has_threat, 0);
    assert_int_equal(r->carver_total, 46);
    assert_int_equal(r->fema_score, 90);
    assert_int_equal(r->criteria[VG_RISK_ACCESSIBILITY].value, 3);
    assert_int_equal(r->criteria[VG_RISK_THREAT].source, VG_RISK_FROM_DEFAULT);
    near(r->dhs, 0.08, "DHS");
    struct vg_buf b;
    vg_buf_init(&b, 1 << 20);
    assert_int_equal(vg_risk_explanation_json(e, 0, &b), 0);
    assert_non_null(strstr(b.data, "{\"id\":1,\"code\":\"FRA\",\"name\":\"Frankfurt am Main "
                                   "Airport\",\"kind\":\"airport\",\"size\":\"large_airport\","
                                   "\"scales_version\":1,\"threat\":null,\"criteria\":{"));
    assert_non_null(strstr(b.data, "\"carver_total\":46,\"fema\":{\"score\":90,"
                                   "\"vulnerability\":2,\"band\":\"medium\"}"));
    assert_non_null(strstr(b.data, "{\"item\":\"vehicle_barriers\",\"criterion\":"
                                   "\"accessibility\",\"weight\":3,\"status\":\"gap\""));
    vg_buf_reset(&b);
    assert_int_equal(vg_risk_explanation_json(e, VG_RISK_JSON_DETAIL, &b), 0);
    json_t *doc = json_loads(b.data, 0, NULL);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "country")), "DE");
    assert_true(json_is_string(json_object_get(doc, "threat_note")));
    assert_true(json_is_null(json_object_get(doc, "threat")));
    json_decref(doc);
    vg_buf_cleanup(&b);
    vg_risk_explanation_destroy(e);

    assert_int_equal(vg_risk_explain(f->s, &o, "ZZZ", &e, &err), VG_ENOTFOUND);
    assert_int_equal(vg_risk_explain(f->s, &o, "99", &e, &err), VG_ENOTFOUND);
}

static void test_rank_estimated_threat(void **state)
{
    struct fx *f = *state;
    char csv[TU_PATH_MAX], text[2048];
    int n = snprintf(text, sizeof(text),
                     "eventid,iyear,imonth,iday,latitude,longitude,targtype1_txt\n"
                     "1,2000,1,1,%.17g,0,Airports & Aircraft\n"
                     "2,2003,1,1,%.17g,0,Airports & Aircraft\n"
                     "3,2005,1,1,%.17g,0,Airports & Aircraft\n"
                     "7,2009,1,1,0,179.9,Airports & Aircraft\n",
                     25 / KM_PER_DEG, 10 / KM_PER_DEG, 60 / KM_PER_DEG);
    assert_true(n > 0 && (size_t)n < sizeof(text));
    tu_write_str(tu_join(csv, f->dir, "inc.csv"), text);
    struct vg_ingest_stats st = {0};
    struct vg_error err;
    if (vg_ingest_path(f->s, csv, NULL, &st, &err) || st.rejected)
        fail_msg("ingest: %s", err.message);
    import(f, "name,latitude,longitude,iata\nOrigin Airport,0,0,AAA\n"
              "Dateline Airport,0,-179.9,CCC\n");
    answer(f, "AAA", "cctv", VG_RISK_MET);

    double dc = 0.2 * KM_PER_DEG, xc = 1 - (dc / 50) * (dc / 50);
    double lambda = (1.71 + xc) / 20, p = 1 - exp(-lambda);
    assert_true(fabs(p - 0.11804) < 5e-6); /* the figure of the comment */
    struct vg_risk_ranking *r = rank(f, NULL, 0);
    assert_int_equal(r->has_threat, 1);
    assert_string_equal(r->threat_note, "");
    assert_int_equal(r->n, 2);
    const struct vg_risk_ranked *c = &r->rows[0], *a = &r->rows[1];
    assert_string_equal(c->code, "CCC");
    assert_string_equal(a->code, "AAA");
    assert_int_equal(c->has_threat, 1);
    close_to(c->lambda, lambda, "lambda of C");
    close_to(a->lambda, lambda, "lambda of A");
    close_to(c->p_year, p, "p of C");
    assert_int_equal(c->carver, 55);
    assert_int_equal(c->fema, 400);
    close_to(c->dhs, p * 1.0 * 26 / 40, "DHS of C");
    assert_int_equal(a->carver, 54);
    assert_int_equal(a->fema, 360);
    close_to(a->dhs, p * 0.9 * 26 / 40, "DHS of A");
    assert_non_null(strstr(c->reasons, "threat 5 (p 0.12 a year)"));
    double lambda_a = a->lambda;
    vg_risk_ranking_destroy(r);

    struct vg_risk_opts o = {.scales = f->scales, .targets = f->tk};
    struct vg_risk_explanation *e = NULL;
    if (vg_risk_explain(f->s, &o, "AAA", &e, &err))
        fail_msg("explain: %s", err.message);
    assert_int_equal(e->has_threat, 1);
    assert_int_equal(e->threat.n_incidents, 2);
    near(e->threat.x, 1.71, "x of A");
    close_to(e->threat.lambda, lambda, "lambda of A alone");
    near(e->threat.lambda, lambda_a, "lambda of A alone as in the ranking");
    assert_int_equal(e->result.criteria[VG_RISK_THREAT].value, 5);
    assert_int_equal(e->result.criteria[VG_RISK_THREAT].source, VG_RISK_FROM_THREAT);
    assert_int_equal(e->result.criteria[VG_RISK_VULNERABILITY].value, 9);
    assert_int_equal(e->result.fema_score, 360);
    struct vg_buf b;
    vg_buf_init(&b, 1 << 20);
    assert_int_equal(vg_risk_explanation_json(e, VG_RISK_JSON_DETAIL, &b), 0);
    json_t *doc = json_loads(b.data, 0, NULL);
    assert_non_null(doc);
    json_t *t = json_object_get(doc, "threat");
    assert_int_equal(json_integer_value(json_object_get(t, "n_incidents")), 2);
    assert_string_equal(json_string_value(json_object_get(t, "pool")), "airport/world");
    close_to(json_real_value(json_object_get(t, "p_year")), p, "p_year in JSON");
    assert_true(json_is_null(json_object_get(doc, "threat_note")));
    json_decref(doc);
    vg_buf_cleanup(&b);
    vg_risk_explanation_destroy(e);
}

/* Every allocation of the library may fail: the ranking and the explanation fail cleanly (no
 * leak, no crash: the sanitizers watch) and succeed once there is memory enough. */
static void test_out_of_memory(void **state)
{
    struct fx *f = *state;
    three_airports(f);
    struct vg_risk_opts o = {.scales = f->scales, .targets = f->tk};
    int ok = 0;
    for (long k = 0; k < 10000 && !ok; k++) {
        struct vg_risk_ranking *r = NULL;
        struct vg_risk_explanation *e = NULL;
        struct vg_error err;
        vg_error_clear(&err);
        vg_mem_fail_after(k);
        int rc = vg_risk_rank(f->s, &o, &r, &err);
        if (!rc)
            rc = vg_risk_explain(f->s, &o, "LHR", &e, &err);
        vg_mem_fail_after(-1);
        if (!rc) {
            assert_int_equal(r->n, 3);
            assert_int_equal(e->result.carver_total, 62);
            ok = 1;
        }
        vg_risk_explanation_destroy(e);
        vg_risk_ranking_destroy(r);
    }
    assert_true(ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rank_default_threat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_explain_default_threat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rank_estimated_threat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
