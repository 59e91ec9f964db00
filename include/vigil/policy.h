/* policy.h - who may read a report: TLP 2.0 marking, distribution, sharing groups, roles.
 *
 * One pure function decides every read of a report, wherever it happens (server, search,
 * correlation, statistics, export, events): vg_policy_can_read(). It touches no database: the
 * caller gives the reader (struct vg_principal), the report's access fields (struct
 * vg_report_access) and, for a report shared with a sharing group, that group's member
 * organisations (struct vg_group_members). The rule, in one line: the audience is the
 * distribution, narrowed by the TLP; anything unknown or inconsistent is denied. The full table
 * is in src/share/policy.c and docs/access-rules.md.
 *
 * The reader is the struct vg_principal of vigil/accounts.h, as vg_key_authenticate() fills it
 * (only user_id, org_id and role count here; ids below 1 are denied). The caller builds one only
 * for an enabled user with a valid session or API key.
 *
 * Every role (enum vg_role, vigil/accounts.h) reads exactly what its organisation may see: an
 * admin has no extra right to read other organisations' reports, nor the TLP:RED reports of its
 * own organisation that do not name it. A sync account (federation) reads like the others.
 *
 * Nothing here allocates, and every function is thread-safe. */
#ifndef VIGIL_POLICY_H
#define VIGIL_POLICY_H

#include "vigil/accounts.h" /* struct vg_principal, enum vg_role */
#include "vigil/error.h"

#include <stddef.h>
#include <stdint.h>

/* TLP 2.0 (FIRST), from the widest audience to the narrowest. */
enum vg_tlp {
    VG_TLP_CLEAR,
    VG_TLP_GREEN,
    VG_TLP_AMBER,
    VG_TLP_AMBER_STRICT,
    VG_TLP_RED,
    VG_TLP_COUNT
};

/* How far a report is distributed on this platform. */
enum vg_distribution {
    VG_DIST_ORGANISATION, /* the owning organisation only */
    VG_DIST_GROUP,        /* the owner and the member organisations of one sharing group */
    VG_DIST_COMMUNITY,    /* every organisation on this platform */
    VG_DIST_ALL,          /* every organisation, also federated ones (here: community) */
    VG_DIST_COUNT
};

/* Longest sharing-group name accepted in "group:<name>" (as the sharing_groups table). */
#define VG_POLICY_GROUP_NAME_MAX 200

/* The fields of a report that decide who may read it. Borrowed: nothing is copied or kept. */
struct vg_report_access {
    int64_t author_user_id;
    int64_t owner_org_id;
    enum vg_tlp tlp;
    enum vg_distribution distribution;
    int64_t group_id;             /* VG_DIST_GROUP: the sharing group (1 or more); else 0 */
    const int64_t *recipient_ids; /* users named as recipients (count entries; NULL if 0) */
    size_t nrecipients;           /* grant access only under TLP:RED */
};

/* The member organisations of one sharing group. Required (non-NULL, same group_id) when the
 * report's distribution is a group; ignored otherwise (may be NULL). The report's owner is in
 * the audience of its group distribution whether or not it is listed. */
struct vg_group_members {
    int64_t group_id;
    const int64_t *org_ids; /* count entries; NULL if 0 */
    size_t count;
};

/* "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"; "?" for a value out of
 * range. Never returns NULL. */
const char *vg_tlp_name(enum vg_tlp tlp);

/* Parses a TLP 2.0 label, exactly as FIRST writes it (capitals, no spaces). "TLP:WHITE", the
 * TLP 1.0 name, is read as TLP:CLEAR. Anything else (other case, spaces, unknown labels) is
 * VG_EINVAL with a message naming the accepted labels; *out is left untouched. */
int vg_tlp_parse(const char *s, enum vg_tlp *out, struct vg_error *err);

/* "organisation", "group", "community", "all"; "?" for a value out of range. */
const char *vg_policy_distribution_name(enum vg_distribution d);

/* Parses "organisation", "group:<name>", "community" or "all" (exact, lower case). For a group,
 * *group_name (if group_name is not NULL) points into s at the name, which is 1 to
 * VG_POLICY_GROUP_NAME_MAX bytes without control characters; for the others it is set to NULL.
 * The caller resolves the name to a group id. Anything else is VG_EINVAL with a message; the
 * out-parameters are left untouched. */
int vg_policy_parse_distribution(const char *s, enum vg_distribution *out, const char **group_name,
                                 struct vg_error *err);

/* 1 when the principal may read the report, 0 otherwise. Denies when any argument is NULL, any
 * enum is out of range, an id is below 1, or the fields disagree (a group distribution without
 * its members, recipients counted but not given, a group id without a group distribution). */
int vg_policy_can_read(const struct vg_principal *p, const struct vg_report_access *r,
                       const struct vg_group_members *members);

/* The reason behind vg_policy_can_read's answer, for the audit log: a grant is "author",
 * "recipient", "owning organisation", "group member" or "community"; a refusal starts with
 * "denied: ". A static string, never NULL. */
const char *vg_policy_explain(const struct vg_principal *p, const struct vg_report_access *r,
                              const struct vg_group_members *members);

#endif
