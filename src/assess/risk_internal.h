/* risk_internal.h - what the files of the risk module (scales.c, score.c, risk_store.c) share
 * and nobody else sees. */
#ifndef VIGIL_RISK_INTERNAL_H
#define VIGIL_RISK_INTERNAL_H

#include "vigil/risk.h"

/* The default of criterion c for a site of kind and size: the row of that size (compared
 * case-insensitively), else the kind's "*" row. Returns 0, or VG_ENOTFOUND for an unknown kind or
 * a criterion without defaults. *note and *size_row belong to the scales. */
int vg__risk_default(const struct vg_risk_scales *s, const char *kind, const char *size,
                     enum vg_risk_criterion c, int *value, const char **note,
                     const char **size_row);

/* The threat rating (1-10) of a probability of an incident within a year: the highest rating
 * whose p_min it reaches. *label (may be NULL) is the table's label of that rating. */
int vg__risk_threat_rating(const struct vg_risk_scales *s, double p, const char **label);

#endif
