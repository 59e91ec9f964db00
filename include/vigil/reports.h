/* reports.h - intelligence reports ("clues"): create, read, search, change, delete, correlate,
 * retain.
 *
 * A report is written and read as JSON, the form the HTTP API receives and sends:
 *
 *   {"title": "...", "body": "...", "tlp": "TLP:AMBER", "distribution": "group:Benelux",
 *    "source_reliability": "B", "info_credibility": 2, "statement": "assessment",
 *    "review_due": "2027-01-31", "recipients": ["claire"],
 *    "indicators": [{"type": "phone", "value": "+32 470 12 34 56",
 *                    "subject_category": "suspect"}]}
 *
 * Every function takes the acting principal (struct vg_principal of vigil/accounts.h, as
 * vg_key_authenticate fills it) and decides with vg_policy_can_read whether it may see each
 * report. A report the principal may not read is VG_ENOTFOUND with the same message as one that
 * does not exist. Every read, search, change and deletion is recorded in the audit log
 * (vigil/audit.h), in the same transaction as a change.
 *
 * Rights (the error for "readable but not allowed", and for what only an admin may do, is
 * VG_EPERM with a message; a report that cannot be read is VG_ENOTFOUND):
 *   - create: roles admin and analyst; reader and sync accounts may not.
 *   - update, delete: a principal who can read the report and is either its author or an admin
 *     or analyst of its owning organisation (an author who became a reader loses the right).
 *   - overlinked values, exclusions: admins.
 *
 * Errors: 0 or a negative VG_E code; err (may be NULL) names the field at fault. Out-parameters
 * are untouched on failure. JSON text given out is a NUL-terminated heap string the caller frees
 * with vg_free. The functions use the store's connection: one thread at a time. */
#ifndef VIGIL_REPORTS_H
#define VIGIL_REPORTS_H

#include "vigil/accounts.h"
#include "vigil/error.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct vg_store;

#define VG_REPORT_INPUT_MAX (8u << 20) /* bytes of a report's JSON text */
#define VG_REPORT_JSON_DEPTH_MAX 8     /* nesting of arrays and objects in it */
#define VG_REPORT_TITLE_MAX 500        /* bytes */
#define VG_REPORT_BODY_MAX (1u << 20)  /* bytes */
#define VG_REPORT_INDICATORS_MAX 1000  /* indicators per report */
#define VG_REPORT_RECIPIENTS_MAX 1000  /* recipients per report */
#define VG_REPORT_TYPE_MAX 64          /* bytes of an indicator type */
#define VG_REPORT_VALUE_MAX 4096       /* bytes of an indicator value */
#define VG_REPORT_QUERY_MAX 1000       /* bytes of a search text */
#define VG_REPORT_LIST_DEFAULT 50      /* summaries per page when the query gives no limit */
#define VG_REPORT_LIST_MAX 500         /* largest page */
#define VG_REPORT_CORRELATION_CAP 100  /* a value in more reports than this stops correlating */
#define VG_REPORT_DATE_SIZE 11         /* "YYYY-MM-DD" and its NUL */

/* 1 when a principal of this role may create reports (admin, analyst), else 0. */
int vg_report_role_may_write(int role);

/* Writes value, an indicator of the given type, as correlation compares it into out (size
 * bytes; at most VG_REPORT_VALUE_MAX + 1 are needed). VG_EINVAL for an unknown type or a value
 * that normalises to nothing. See src/share/reports.c for the rules per type. */
int vg_report_normalize(const char *type, const char *value, char *out, size_t size,
                        struct vg_error *err);

/* Creates a report from JSON text (len bytes) by principal p: author p->user_id, owner
 * p->org_id, created at now. *id (may be NULL) is the new report's id. */
int vg_report_create(struct vg_store *s, const struct vg_principal *p, const char *json, size_t len,
                     time_t now, int64_t *id, struct vg_error *err);

/* The report id as JSON into *json: the fields of create plus id, author, org, created_at,
 * updated_at, and the indicators with their ids. purpose (why the principal reads it) is
 * required. Audited as action "read". */
int vg_report_get(struct vg_store *s, const struct vg_principal *p, int64_t id, const char *purpose,
                  char **json, struct vg_error *err);

/* What vg_report_list selects. Zeroed (with a purpose), it gives the first page of everything
 * readable. */
struct vg_report_query {
    const char *text;    /* words that title or body must contain, each as a word or the start of
                          * one (full-text index, case and accents ignored); NULL or blank: any */
    const char *tlp;     /* one TLP label; NULL: any */
    const char *org;     /* owning organisation's name; NULL: any */
    int64_t after_id;    /* cursor: the "next" of the page before; 0: from the start */
    int limit;           /* 1..VG_REPORT_LIST_MAX; 0: VG_REPORT_LIST_DEFAULT */
    const char *purpose; /* required */
};

/* One page of readable report summaries, by id: {"reports":[...],"next":ID or null}. Audited as
 * one "search" record. */
int vg_report_list(struct vg_store *s, const struct vg_principal *p,
                   const struct vg_report_query *q, char **json, struct vg_error *err);

/* Replaces report id with the JSON text (every field of create; indicators get new ids). The
 * author and owning organisation stay. Audited as "update" with purpose (may be NULL). */
int vg_report_update(struct vg_store *s, const struct vg_principal *p, int64_t id, const char *json,
                     size_t len, const char *purpose, time_t now, struct vg_error *err);

/* Deletes report id with its recipients and indicators. Audited as "delete". */
int vg_report_delete(struct vg_store *s, const struct vg_principal *p, int64_t id,
                     const char *purpose, struct vg_error *err);

/* The other reports that share an indicator (type and normalised value) with report id, as
 * {"correlations":[{"indicator":ID,"type":"...","other_report":ID,"other_indicator":ID}, ...]},
 * only where the principal may read both reports. Values in the correlation_exclusions table or
 * in more than cap reports (0: VG_REPORT_CORRELATION_CAP) are left out. Audited as "correlate"
 * with purpose (required). */
int vg_report_correlations(struct vg_store *s, const struct vg_principal *p, int64_t id, int cap,
                           const char *purpose, char **json, struct vg_error *err);

/* For admins: the values that stopped correlating because they are in more than cap reports (0:
 * VG_REPORT_CORRELATION_CAP), most linked first, at most 1000, as
 * {"values":[{"type":"...","normalized":"...","reports":N}]}. Only the value and a count are
 * given, never which reports. Audited as "overlinked". */
int vg_report_overlinked_values(struct vg_store *s, const struct vg_principal *p, int cap,
                                char **json, struct vg_error *err);

/* For admins: keeps value (normalised as its type) from correlating. reason may be NULL. Adding
 * an exclusion that exists succeeds and keeps the first. Audited as "exclude". */
int vg_report_exclusion_add(struct vg_store *s, const struct vg_principal *p, const char *type,
                            const char *value, const char *reason, time_t now,
                            struct vg_error *err);

/* A report past its review date, as vg_report_retention gives it. Valid during the callback. */
struct vg_report_due {
    int64_t id;
    const char *org;        /* owning organisation's name */
    const char *review_due; /* YYYY-MM-DD */
};

/* Walks the reports whose review_due is before today ("YYYY-MM-DD"), by id, calling fn (may be
 * NULL) for each. With apply 0 each is recorded as "retention-list"; with apply non-zero each is
 * deleted and recorded as "retention-purge", one transaction per report. actor names who runs
 * it in the audit log (e.g. the command-line user). A non-zero return of fn stops the walk, and
 * is returned, before that report is recorded or purged. *count (may be NULL) is how many were
 * listed or purged. */
int vg_report_retention(struct vg_store *s, const char *actor, const char *today, int apply,
                        int (*fn)(const struct vg_report_due *due, void *ctx), void *ctx,
                        int64_t *count, struct vg_error *err);

#endif
