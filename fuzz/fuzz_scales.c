/* fuzz_scales.c - libFuzzer target for the scale tables of site risk (vg_risk_scales_parse and
 * vg_risk_scales_finish in src/assess/scales.c, over src/core/csv.c).
 *
 * Input layout: the first byte chooses the table the rest stands for (modulo 5: checklist,
 * carver, defaults, fema426, threat; bit 3 set: the name has no version, "carver.csv"). The
 * other four tables are the real ones of data/risk (VG_RISK_DIR, given by fuzz/CMakeLists.txt),
 * read once per process; the input takes the place of its table and the five are finished
 * together, so a table that parses but does not fit the others is reached too.
 *
 * Properties checked:
 *   - parse returns 0, VG_EFORMAT or VG_ETOOBIG; on failure the error holds the same code, a
 *     message, the file name, and a line within the input; the scales then refuse more tables
 *     and finishing (VG_EINVAL);
 *   - finish returns 0 or VG_EFORMAT (the tables do not fit together) with a message;
 *   - finished scales answer every lookup a score makes: a label for every value 1-10 of every
 *     CARVER+Shock criterion and FEMA scale, a band for every FEMA score 1-1000, a checklist of
 *     at most VG_RISK_MAX_ITEMS items with both criteria for every kind; and a score of a site
 *     of every kind (nothing assessed, then every item met, with and without a threat) succeeds
 *     with every value in its range. */
#include "vigil/error.h"
#include "vigil/risk.h"

#include "fuzz_check.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef VG_RISK_DIR
#error "VG_RISK_DIR must name data/risk (fuzz/CMakeLists.txt defines it)"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NTABLES 5
static const char *const tables[NTABLES] = {"checklist", "carver", "defaults", "fema426", "threat"};
static const char *const kinds[] = {"airport", "railway", "subway", "mall", "venue", "other"};

static char *real[NTABLES];
static size_t real_len[NTABLES];

static void load_real(void)
{
    for (int t = 0; t < NTABLES; t++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s-v1.csv", VG_RISK_DIR, tables[t]);
        FILE *f = fopen(path, "rb");
        FUZZ_CHECK_MSG(f, "cannot open %s", path);
        real[t] = malloc(1 << 20);
        FUZZ_CHECK(real[t]);
        real_len[t] = fread(real[t], 1, 1 << 20, f);
        FUZZ_CHECK(real_len[t] > 0 && real_len[t] < (1 << 20));
        fclose(f);
    }
}

/* Checks what a score needs of finished scales, and scores a site of every kind. */
static void check_finished(const struct vg_risk_scales *s)
{
    for (int c = 0; c < VG_RISK_CARVER_COUNT; c++)
        for (int v = 1; v <= 10; v++)
            FUZZ_CHECK_MSG(vg_risk_scale_label(s, (enum vg_risk_criterion)c, v, NULL),
                           "no label for %s %d", vg_risk_criterion_name(c), v);
    for (int v = 1; v <= 10; v++) {
        FUZZ_CHECK(vg_risk_scale_label(s, VG_RISK_ASSET_VALUE, v, NULL));
        FUZZ_CHECK(vg_risk_scale_label(s, VG_RISK_THREAT, v, NULL));
        FUZZ_CHECK(vg_risk_fema_vulnerability_label(s, v, NULL));
    }
    for (int v = 1; v <= 1000; v++)
        FUZZ_CHECK_MSG(vg_risk_band(s, v, NULL), "no band for FEMA score %d", v);
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        const struct vg_risk_item *const *items;
        size_t n = vg_risk_checklist(s, kinds[k], &items);
        FUZZ_CHECK(n >= 2 && n <= VG_RISK_MAX_ITEMS);
        struct vg_risk_answer met[VG_RISK_MAX_ITEMS];
        for (size_t i = 0; i < n; i++) {
            FUZZ_CHECK(items[i]->weight > 0 && isfinite(items[i]->weight));
            FUZZ_CHECK(vg_risk_item_find(s, kinds[k], items[i]->name) != NULL);
            met[i] = (struct vg_risk_answer){items[i]->name, VG_RISK_MET, NULL, "2026-01-01"};
        }
        static struct vg_risk_result r;
        for (int pass = 0; pass < 4; pass++) {
            struct vg_risk_input in = {0};
            in.kind = kinds[k];
            in.size = pass & 1 ? "large_airport" : NULL;
            in.answers = pass & 2 ? met : NULL;
            in.nanswers = pass & 2 ? n : 0;
            in.has_threat = pass & 1;
            in.lambda = pass & 1 ? 0.7 : 0;
            struct vg_error err;
            int rc = vg_risk_score(s, &in, &r, &err);
            FUZZ_CHECK_MSG(rc == 0, "score of a %s site: %s", kinds[k], err.message);
            for (int c = 0; c < VG_RISK_CRITERION_COUNT; c++)
                FUZZ_CHECK_MSG(r.criteria[c].value >= 1 && r.criteria[c].value <= 10,
                               "%s of a %s site: %d", vg_risk_criterion_name(c), kinds[k],
                               r.criteria[c].value);
            FUZZ_CHECK(r.carver_total >= 7 && r.carver_total <= 70);
            FUZZ_CHECK(r.fema_score >= 1 && r.fema_score <= 1000 && r.fema_band);
            FUZZ_CHECK(r.fema_vulnerability >= 1 && r.fema_vulnerability <= 10);
            FUZZ_CHECK(r.dhs >= 0 && r.dhs <= 1);
            FUZZ_CHECK(r.nitems == n && r.nmet + r.ngaps + r.nunassessed == n);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (!real[0])
        load_real();
    int which = data[0] % NTABLES;
    char name[64];
    snprintf(name, sizeof(name), data[0] & 8 ? "%s.csv" : "%s-v1.csv", tables[which]);
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    long lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';

    struct vg_risk_scales *s = NULL;
    struct vg_error err;
    vg_error_clear(&err);
    FUZZ_CHECK(vg_risk_scales_create(1, &s) == 0);
    int rc = vg_risk_scales_parse(s, name, text, len, &err);
    FUZZ_CHECK_MSG(rc == 0 || rc == VG_EFORMAT || rc == VG_ETOOBIG, "parse: %d %s", rc,
                   err.message);
    if (rc) {
        FUZZ_CHECK_MSG(err.code == rc && err.message[0], "parse: code %d, error %d '%s'", rc,
                       err.code, err.message);
        FUZZ_CHECK_MSG(strcmp(err.file, name) == 0, "parse: the error names '%s'", err.file);
        FUZZ_CHECK_MSG(err.line >= 0 && err.line <= lines, "parse: line %ld of %ld", err.line,
                       lines);
        int other = (which + 1) % NTABLES;
        snprintf(name, sizeof(name), "%s-v1.csv", tables[other]);
        FUZZ_CHECK(vg_risk_scales_parse(s, name, real[other], real_len[other], &err) == VG_EINVAL);
        FUZZ_CHECK(vg_risk_scales_finish(s, &err) == VG_EINVAL);
        vg_risk_scales_destroy(s);
        return 0;
    }
    for (int t = 0; t < NTABLES; t++) {
        if (t == which)
            continue;
        snprintf(name, sizeof(name), "%s-v1.csv", tables[t]);
        rc = vg_risk_scales_parse(s, name, real[t], real_len[t], &err);
        FUZZ_CHECK_MSG(rc == 0, "the real %s: %s", name, err.message);
    }
    /* the same table twice is refused */
    snprintf(name, sizeof(name), "%s-v2.csv", tables[which]);
    FUZZ_CHECK(vg_risk_scales_parse(s, name, text, len, &err) == VG_EINVAL);
    vg_error_clear(&err);
    rc = vg_risk_scales_finish(s, &err);
    FUZZ_CHECK_MSG(rc == 0 || rc == VG_EFORMAT, "finish: %d %s", rc, err.message);
    if (rc)
        FUZZ_CHECK(err.code == rc && err.message[0]);
    else
        check_finished(s);
    vg_risk_scales_destroy(s);
    return 0;
}
