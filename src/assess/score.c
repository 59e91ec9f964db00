/* score.c - the scores of one site from plain inputs: checklist, CARVER+Shock, FEMA 426 and the
 * DHS risk product, each with the reasons behind it.
 *
 * The computation (docs/methods/vulnerability.md, carver-shock.md and fema426.md give it with
 * worked examples):
 *
 * 1. Checklist. The kind's items (scales.c) are each met, a gap, or unassessed; an unassessed
 *    item counts as a gap, because a site is not taken to be protected until someone has checked.
 *    Each item feeds one criterion, accessibility or vulnerability, with a weight w. For a
 *    criterion with items of total weight W, of which G is the weight of the gaps:
 *        value = round(1 + 9 G / W)
 *    so a site with every item met scores 1 (no site is beyond attack) and one with none met 10,
 *    and each gap raises the value by 9 w / W before rounding (its "raise"). Rounding is half up,
 *    with a 1e-9 allowance for the binary representation of decimal weights.
 * 2. CARVER+Shock. Accessibility and vulnerability come from the checklist; criticality,
 *    recuperability, effect, recognizability and shock from the defaults table for the kind and
 *    size. A rating of the site (site_ratings) overrides any of the seven. Total = sum, 7-70.
 * 3. FEMA 426. Asset value: default for the kind and size, or a rating. Threat rating: the
 *    probability of at least one incident within a year, p = 1 - exp(-lambda) with lambda the
 *    estimated incidents per year (sites.h), through the threat table; a rating overrides it; with
 *    no estimate and no rating the kind's default threat applies. Vulnerability rating:
 *    round(1 + 9 G / W) over the whole checklist. Score = asset x threat x vulnerability, 1-1000,
 *    banded by the table (Low 1-60, Medium 61-175, High 176-1000 in version 1).
 * 4. DHS risk (NIPP 2013: risk is a function of threat, vulnerability and consequence), as a
 *    product of three numbers in 0-1 for ranking: T = p (the threat rating / 10 when the rating
 *    was given by hand or there is no estimate), V = FEMA vulnerability / 10, C = (criticality +
 *    recuperability + effect + shock) / 40, the consequence criteria of CARVER+Shock.
 *
 * Reasons: for each score its factors with how much each weighs (the criterion's value, the
 * rating, the product's factor), largest first, ties in the order of the criteria; and the gaps,
 * largest raise first, ties in checklist order.
 *
 * Pure: no allocation, no I/O; the result borrows strings from the scales and the input.
 * Thread-safe. */
#include "risk_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *vg_risk_source_name(enum vg_risk_source src)
{
    switch (src) {
    case VG_RISK_FROM_DEFAULT:
        return "default";
    case VG_RISK_FROM_RATING:
        return "rating";
    case VG_RISK_FROM_CHECKLIST:
        return "checklist";
    case VG_RISK_FROM_THREAT:
        return "threat";
    default:
        return "?";
    }
}

/* Half up, allowing for decimal weights that binary floating point holds a hair low. */
static int round_rating(double x)
{
    int v = (int)floor(x + 0.5 + 1e-9);
    return v < 1 ? 1 : v > 10 ? 10 : v;
}

/* Sorts reasons by weight, largest first, keeping the order of equal ones (insertion sort: a
 * handful of elements). */
static void sort_reasons(struct vg_risk_reason *r, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct vg_risk_reason x = r[i];
        size_t j = i;
        while (j > 0 && r[j - 1].weight < x.weight) {
            r[j] = r[j - 1];
            j--;
        }
        r[j] = x;
    }
}

/* Appends the names of the gaps of criterion c (all of them when c is COUNT), largest raise
 * first, at most 4 and then "and N more". */
static void gap_names(const struct vg_risk_result *out, enum vg_risk_criterion c, char *buf,
                      size_t size)
{
    size_t len = strlen(buf), shown = 0, more = 0;
    for (size_t k = 0; k < out->ngap_order; k++) {
        const struct vg_risk_item_state *st = &out->items[out->gap_order[k]];
        if (c != VG_RISK_CRITERION_COUNT && st->item->criterion != c)
            continue;
        if (shown == 4) {
            more++;
            continue;
        }
        if (len < size)
            len +=
                (size_t)snprintf(buf + len, size - len, "%s%s%s", shown ? ", " : "", st->item->name,
                                 st->status == VG_RISK_UNASSESSED ? " (unassessed)" : "");
        shown++;
    }
    if (more && len < size)
        snprintf(buf + len, size - len, " and %zu more", more);
    if (!shown && len < size)
        snprintf(buf + len, size - len, "none");
}

static void describe_criterion(const struct vg_risk_result *out, enum vg_risk_criterion c,
                               char *buf, size_t size)
{
    const struct vg_risk_value *v = &out->criteria[c];
    int n = snprintf(buf, size, "%s %d: ", vg_risk_criterion_name(c), v->value);
    if (n < 0 || (size_t)n >= size)
        return;
    buf += n;
    size -= (size_t)n;
    switch (v->source) {
    case VG_RISK_FROM_RATING:
        snprintf(buf, size, "rated%s%s", v->notes && v->notes[0] ? ": " : "",
                 v->notes ? v->notes : "");
        break;
    case VG_RISK_FROM_CHECKLIST: {
        double share = c == VG_RISK_ACCESSIBILITY ? out->gap_share_access : out->gap_share_vuln;
        int m = snprintf(buf, size, "%.0f%% of the checklist weight is gaps: ", 100 * share);
        if (m > 0 && (size_t)m < size)
            gap_names(out, c, buf, size); /* appends */
        break;
    }
    case VG_RISK_FROM_THREAT:
        snprintf(buf, size, "probability %.3g of an incident within a year", out->p_year);
        break;
    default:
        snprintf(buf, size, "default for %s sites%s%s", out->kind,
                 strcmp(out->size_row, "*") == 0 ? "" : " of size ",
                 strcmp(out->size_row, "*") == 0 ? "" : out->size_row);
        break;
    }
}

static void reason(struct vg_risk_reason *r, const char *factor, double weight)
{
    snprintf(r->factor, sizeof(r->factor), "%s", factor);
    r->weight = weight;
    r->text[0] = '\0';
}

int vg_risk_score(const struct vg_risk_scales *s, const struct vg_risk_input *in,
                  struct vg_risk_result *out, struct vg_error *err)
{
    const struct vg_risk_item *const *items;
    size_t n = vg_risk_checklist(s, in->kind, &items);
    if (!n)
        return vg_error_set(err, VG_EINVAL,
                            "unknown kind of site '%.40s' (airport, railway, subway, mall, venue "
                            "or other)",
                            in->kind ? in->kind : "");
    memset(out, 0, sizeof(*out));
    out->kind = in->kind;
    out->nitems = n;
    for (size_t i = 0; i < n; i++) {
        out->items[i].item = items[i];
        out->items[i].status = VG_RISK_UNASSESSED;
    }

    /* The answers. */
    for (size_t a = 0; a < in->nanswers; a++) {
        const struct vg_risk_answer *ans = &in->answers[a];
        size_t i = 0;
        while (i < n && strcasecmp(items[i]->name, ans->item ? ans->item : "") != 0)
            i++;
        if (i == n)
            return vg_risk_item_error(s, in->kind, ans->item ? ans->item : "", err);
        if (ans->status != VG_RISK_MET && ans->status != VG_RISK_GAP)
            return vg_error_set(err, VG_EINVAL, "item %s: the status must be met or gap",
                                items[i]->name);
        if (out->items[i].status != VG_RISK_UNASSESSED)
            return vg_error_set(err, VG_EINVAL, "item %s is answered twice", items[i]->name);
        out->items[i].status = ans->status;
        out->items[i].notes = ans->notes;
        out->items[i].date = ans->date;
    }

    /* The checklist's weights: W and G per criterion. */
    double w_a = 0, w_v = 0, g_a = 0, g_v = 0;
    for (size_t i = 0; i < n; i++) {
        const struct vg_risk_item_state *st = &out->items[i];
        int access = st->item->criterion == VG_RISK_ACCESSIBILITY;
        *(access ? &w_a : &w_v) += st->item->weight;
        if (st->status == VG_RISK_MET) {
            out->nmet++;
            continue;
        }
        if (st->status == VG_RISK_GAP)
            out->ngaps++;
        else
            out->nunassessed++;
        *(access ? &g_a : &g_v) += st->item->weight;
    }
    /* scales.c makes sure every kind has items of both criteria, so W > 0. */
    out->gap_share_access = g_a / w_a;
    out->gap_share_vuln = g_v / w_v;
    out->gap_share_all = (g_a + g_v) / (w_a + w_v);
    for (size_t i = 0; i < n; i++) {
        struct vg_risk_item_state *st = &out->items[i];
        if (st->status == VG_RISK_MET)
            continue;
        st->raise =
            9 * st->item->weight / (st->item->criterion == VG_RISK_ACCESSIBILITY ? w_a : w_v);
        /* Insert into the gap order: largest raise first, ties in checklist order. */
        size_t j = out->ngap_order;
        while (j > 0 && out->items[out->gap_order[j - 1]].raise < st->raise) {
            out->gap_order[j] = out->gap_order[j - 1];
            j--;
        }
        out->gap_order[j] = i;
        out->ngap_order++;
    }

    /* The ratings. */
    int rated[VG_RISK_CRITERION_COUNT] = {0};
    for (size_t r = 0; r < in->nratings; r++) {
        const struct vg_risk_rating *rt = &in->ratings[r];
        if ((unsigned)rt->criterion >= VG_RISK_CRITERION_COUNT)
            return vg_error_set(err, VG_EINVAL, "a rating names no criterion");
        if (rt->value < 1 || rt->value > 10)
            return vg_error_set(err, VG_EINVAL, "the rating of %s must be 1 to 10, not %d",
                                vg_risk_criterion_name(rt->criterion), rt->value);
        if (rated[rt->criterion])
            return vg_error_set(err, VG_EINVAL, "%s is rated twice",
                                vg_risk_criterion_name(rt->criterion));
        rated[rt->criterion] = 1;
        out->criteria[rt->criterion] =
            (struct vg_risk_value){rt->value, VG_RISK_FROM_RATING, rt->value, rt->notes};
    }

    /* The threat estimate. */
    out->p_year = NAN;
    if (in->has_threat) {
        if (!isfinite(in->lambda) || in->lambda < 0)
            return vg_error_set(err, VG_EINVAL, "the threat rate must be a number of at least 0");
        out->p_year = 1 - exp(-in->lambda);
    }

    /* Every criterion not rated: derived or default. */
    out->size_row = "*";
    for (int c = 0; c < VG_RISK_CRITERION_COUNT; c++) {
        struct vg_risk_value *v = &out->criteria[c];
        if (rated[c])
            continue;
        if (c == VG_RISK_ACCESSIBILITY || c == VG_RISK_VULNERABILITY) {
            double share = c == VG_RISK_ACCESSIBILITY ? out->gap_share_access : out->gap_share_vuln;
            v->exact = 1 + 9 * share;
            v->value = round_rating(v->exact);
            v->source = VG_RISK_FROM_CHECKLIST;
            continue;
        }
        if (c == VG_RISK_THREAT && in->has_threat) {
            v->value = vg__risk_threat_rating(s, out->p_year, &v->notes);
            v->exact = v->value;
            v->source = VG_RISK_FROM_THREAT;
            continue;
        }
        const char *note, *size_row;
        if (vg__risk_default(s, in->kind, in->size, (enum vg_risk_criterion)c, &v->value, &note,
                             &size_row))
            return vg_error_set(err, VG_EINVAL, "no default %s for %s sites",
                                vg_risk_criterion_name((enum vg_risk_criterion)c), in->kind);
        v->exact = v->value;
        v->source = VG_RISK_FROM_DEFAULT;
        v->notes = note;
        if (strcmp(size_row, "*") != 0)
            out->size_row = size_row;
    }

    /* CARVER+Shock. */
    for (int c = 0; c < VG_RISK_CARVER_COUNT; c++)
        out->carver_total += out->criteria[c].value;

    /* FEMA 426. */
    out->fema_vulnerability = round_rating(1 + 9 * out->gap_share_all);
    out->fema_score = out->criteria[VG_RISK_ASSET_VALUE].value *
                      out->criteria[VG_RISK_THREAT].value * out->fema_vulnerability;
    out->fema_band = vg_risk_band(s, out->fema_score, NULL);
    if (!out->fema_band)
        out->fema_band = "?";

    /* DHS. */
    out->dhs_t = out->criteria[VG_RISK_THREAT].source == VG_RISK_FROM_THREAT
                     ? out->p_year
                     : out->criteria[VG_RISK_THREAT].value / 10.0;
    out->dhs_v = out->fema_vulnerability / 10.0;
    out->dhs_c =
        (out->criteria[VG_RISK_CRITICALITY].value + out->criteria[VG_RISK_RECUPERABILITY].value +
         out->criteria[VG_RISK_EFFECT].value + out->criteria[VG_RISK_SHOCK].value) /
        40.0;
    out->dhs = out->dhs_t * out->dhs_v * out->dhs_c;

    /* Reasons. */
    for (int c = 0; c < VG_RISK_CARVER_COUNT; c++) {
        struct vg_risk_reason *r = &out->carver[c];
        reason(r, vg_risk_criterion_name((enum vg_risk_criterion)c), out->criteria[c].value);
        describe_criterion(out, (enum vg_risk_criterion)c, r->text, sizeof(r->text));
    }
    sort_reasons(out->carver, VG_RISK_CARVER_COUNT);

    reason(&out->fema[0], "asset_value", out->criteria[VG_RISK_ASSET_VALUE].value);
    describe_criterion(out, VG_RISK_ASSET_VALUE, out->fema[0].text, sizeof(out->fema[0].text));
    reason(&out->fema[1], "threat", out->criteria[VG_RISK_THREAT].value);
    describe_criterion(out, VG_RISK_THREAT, out->fema[1].text, sizeof(out->fema[1].text));
    reason(&out->fema[2], "vulnerability", out->fema_vulnerability);
    {
        char *t = out->fema[2].text;
        size_t size = sizeof(out->fema[2].text);
        snprintf(t, size, "vulnerability %d: %.0f%% of the checklist weight is gaps: ",
                 out->fema_vulnerability, 100 * out->gap_share_all);
        gap_names(out, VG_RISK_CRITERION_COUNT, t, size);
    }
    sort_reasons(out->fema, 3);

    reason(&out->dhs_reasons[0], "T", out->dhs_t);
    if (out->criteria[VG_RISK_THREAT].source == VG_RISK_FROM_THREAT)
        snprintf(out->dhs_reasons[0].text, sizeof(out->dhs_reasons[0].text),
                 "T %.3f: probability of an incident within a year (%.3g a year expected)",
                 out->dhs_t, in->lambda);
    else
        snprintf(out->dhs_reasons[0].text, sizeof(out->dhs_reasons[0].text),
                 "T %.3f: threat rating %d / 10 (%s)", out->dhs_t,
                 out->criteria[VG_RISK_THREAT].value,
                 vg_risk_source_name(out->criteria[VG_RISK_THREAT].source));
    reason(&out->dhs_reasons[1], "V", out->dhs_v);
    snprintf(out->dhs_reasons[1].text, sizeof(out->dhs_reasons[1].text),
             "V %.3f: FEMA vulnerability %d / 10", out->dhs_v, out->fema_vulnerability);
    reason(&out->dhs_reasons[2], "C", out->dhs_c);
    snprintf(out->dhs_reasons[2].text, sizeof(out->dhs_reasons[2].text),
             "C %.3f: (criticality %d + recuperability %d + effect %d + shock %d) / 40", out->dhs_c,
             out->criteria[VG_RISK_CRITICALITY].value, out->criteria[VG_RISK_RECUPERABILITY].value,
             out->criteria[VG_RISK_EFFECT].value, out->criteria[VG_RISK_SHOCK].value);
    sort_reasons(out->dhs_reasons, 3);
    return 0;
}

int vg_risk_compare(const struct vg_risk_result *a, const struct vg_risk_result *b)
{
    if (a->dhs != b->dhs)
        return a->dhs > b->dhs ? -1 : 1;
    if (a->fema_score != b->fema_score)
        return a->fema_score > b->fema_score ? -1 : 1;
    if (a->carver_total != b->carver_total)
        return a->carver_total > b->carver_total ? -1 : 1;
    return 0;
}
