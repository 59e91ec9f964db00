/* policy.c - the access decision for reports: TLP 2.0 narrows the distribution.
 *
 * The rule as implemented. A report's audience is the set of readers its distribution reaches,
 * narrowed by its TLP marking:
 *
 *   distribution D reaches organisations:
 *     organisation   the owning organisation
 *     group:G        the owning organisation and the member organisations of sharing group G
 *     community      every organisation on this platform
 *     all            every organisation, also those federation reaches later; on this platform
 *                    the same as community
 *
 *   TLP T then keeps, of the readers in those organisations:
 *     CLEAR, GREEN   everyone (on the platform the two are alike; CLEAR matters for export)
 *     AMBER          the users of the owning organisation and of the organisations D names; a
 *                    group names its members, community and all name no organisation
 *     AMBER+STRICT   the users of the owning organisation
 *     RED            the author and the users named as recipients, and nobody else
 *
 *   who may read     | organisation | group:G               | community     | all
 *   -----------------+--------------+-----------------------+---------------+--------------
 *   TLP:CLEAR        | owner org    | owner org + G members | every org     | every org
 *   TLP:GREEN        | owner org    | owner org + G members | every org     | every org
 *   TLP:AMBER        | owner org    | owner org + G members | owner org     | owner org
 *   TLP:AMBER+STRICT | owner org    | owner org             | owner org     | owner org
 *   TLP:RED          | author and recipients, each only while in an organisation D reaches
 *
 * Consequences, chosen on purpose (deny by default):
 *   - The result is an intersection, never a union: a marking can only narrow the distribution,
 *     and the distribution can only narrow the marking. A TLP:RED report is read by its author
 *     and its recipients only, whatever the distribution; a recipient in another organisation
 *     reads it only if the distribution reaches that organisation (so an author who names a
 *     user of a partner agency shares with a group holding that agency, or with the community).
 *     The author, too, reads a TLP:RED report only from an organisation the distribution
 *     reaches: a user who moved to another organisation does not take the report along.
 *   - A TLP:AMBER report with distribution community or all stays in the owning organisation:
 *     TLP:AMBER asks for named organisations, which only a sharing group gives.
 *   - Recipients grant nothing under the other markings; authorship grants nothing beyond the
 *     author's organisation under the other markings.
 *   - Roles do not matter for reading. An admin reads what its organisation may see, no more:
 *     not other organisations' reports, not the TLP:RED reports of its own organisation that do
 *     not name it. A sync account (federation) reads what its organisation may see.
 *   - Anything unknown or inconsistent is denied: NULL arguments, ids below 1, enum values out of
 *     range, a group distribution without the group's members or with another group's members,
 *     a group id on a report not distributed to a group, recipients counted but not given.
 *
 * Parsing accepts the exact spellings only: TLP labels as FIRST writes them, distribution names
 * in lower case (roles, enum vg_role, belong to the accounts module, which parses them). A near
 * miss (other case, spaces, "organization") is refused with a message that gives the right
 * spelling, never guessed, because a marking read wrongly is a disclosure. "TLP:WHITE", the TLP
 * 1.0 name of TLP:CLEAR, is accepted: older feeds still send it and its meaning is unambiguous;
 * vg_tlp_name() always writes "TLP:CLEAR".
 *
 * Data: none. Every function is pure: no allocation, no state, thread-safe. The decision is one
 * function (decide) that returns a verdict; vg_policy_can_read and vg_policy_explain both call
 * it, so the answer and its logged reason cannot disagree. */
#include "vigil/policy.h"

#include <string.h>
#include <strings.h>

static const char *const tlp_names[VG_TLP_COUNT] = {
    "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED",
};

static const char *const dist_names[VG_DIST_COUNT] = {
    "organisation",
    "group",
    "community",
    "all",
};

const char *vg_tlp_name(enum vg_tlp tlp)
{
    return (unsigned)tlp < VG_TLP_COUNT ? tlp_names[tlp] : "?";
}

const char *vg_policy_distribution_name(enum vg_distribution d)
{
    return (unsigned)d < VG_DIST_COUNT ? dist_names[d] : "?";
}

/* 1 when s, with spaces and tabs around it removed, equals name ignoring case: a near miss that
 * the error message can correct. */
static int near_miss(const char *s, const char *name)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    return n == strlen(name) && strncasecmp(s, name, n) == 0;
}

int vg_tlp_parse(const char *s, enum vg_tlp *out, struct vg_error *err)
{
    if (!s)
        return vg_error_set(err, VG_EINVAL, "no TLP label given");
    for (int i = 0; i < VG_TLP_COUNT; i++) {
        if (strcmp(s, tlp_names[i]) == 0) {
            *out = (enum vg_tlp)i;
            return 0;
        }
    }
    if (strcmp(s, "TLP:WHITE") == 0) {
        *out = VG_TLP_CLEAR;
        return 0;
    }
    for (int i = 0; i < VG_TLP_COUNT; i++)
        if (near_miss(s, tlp_names[i]))
            return vg_error_set(err, VG_EINVAL, "TLP label '%.64s' must be written %s", s,
                                tlp_names[i]);
    if (near_miss(s, "TLP:WHITE"))
        return vg_error_set(err, VG_EINVAL, "TLP label '%.64s' must be written TLP:CLEAR", s);
    return vg_error_set(err, VG_EINVAL,
                        "'%.64s' is not a TLP 2.0 label (TLP:CLEAR, TLP:GREEN, TLP:AMBER, "
                        "TLP:AMBER+STRICT or TLP:RED)",
                        s);
}

int vg_policy_parse_distribution(const char *s, enum vg_distribution *out, const char **group_name,
                                 struct vg_error *err)
{
    static const char prefix[] = "group:";
    if (!s)
        return vg_error_set(err, VG_EINVAL, "no distribution given");
    if (strncmp(s, prefix, sizeof(prefix) - 1) == 0) {
        const char *name = s + sizeof(prefix) - 1;
        size_t n = strlen(name);
        if (n == 0)
            return vg_error_set(err, VG_EINVAL, "distribution 'group:' names no sharing group");
        if (n > VG_POLICY_GROUP_NAME_MAX)
            return vg_error_set(err, VG_EINVAL, "sharing group name longer than %d bytes",
                                VG_POLICY_GROUP_NAME_MAX);
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
                return vg_error_set(err, VG_EINVAL,
                                    "sharing group name has a control character at byte %zu",
                                    i + 1);
        if (name[0] == ' ' || name[n - 1] == ' ')
            return vg_error_set(err, VG_EINVAL,
                                "sharing group name '%.64s' begins or ends with a space", name);
        *out = VG_DIST_GROUP;
        if (group_name)
            *group_name = name;
        return 0;
    }
    for (int i = 0; i < VG_DIST_COUNT; i++) {
        if (i != VG_DIST_GROUP && strcmp(s, dist_names[i]) == 0) {
            *out = (enum vg_distribution)i;
            if (group_name)
                *group_name = NULL;
            return 0;
        }
    }
    if (near_miss(s, "group") || (strncasecmp(s, prefix, sizeof(prefix) - 1) == 0))
        return vg_error_set(err, VG_EINVAL, "distribution '%.64s' must be written group:<name>", s);
    if (near_miss(s, "organization"))
        return vg_error_set(err, VG_EINVAL, "distribution '%.64s' must be written organisation", s);
    for (int i = 0; i < VG_DIST_COUNT; i++)
        if (i != VG_DIST_GROUP && near_miss(s, dist_names[i]))
            return vg_error_set(err, VG_EINVAL, "distribution '%.64s' must be written %s", s,
                                dist_names[i]);
    return vg_error_set(err, VG_EINVAL,
                        "'%.64s' is not a distribution (organisation, group:<name>, community "
                        "or all)",
                        s);
}

/* The verdicts of decide(), grants first. */
enum verdict {
    GRANT_AUTHOR,
    GRANT_RECIPIENT,
    GRANT_OWNER,
    GRANT_GROUP,
    GRANT_COMMUNITY,
    GRANT_COUNT,
    DENY_NO_ARGUMENT = GRANT_COUNT,
    DENY_PRINCIPAL,
    DENY_REPORT,
    DENY_GROUP,
    DENY_RECIPIENTS,
    DENY_OUTSIDE,
    DENY_AMBER,
    DENY_AMBER_STRICT,
    DENY_RED,
    VERDICT_COUNT
};

static const char *const verdict_text[VERDICT_COUNT] = {
    [GRANT_AUTHOR] = "author",
    [GRANT_RECIPIENT] = "recipient",
    [GRANT_OWNER] = "owning organisation",
    [GRANT_GROUP] = "group member",
    [GRANT_COMMUNITY] = "community",
    [DENY_NO_ARGUMENT] = "denied: no reader or no report",
    [DENY_PRINCIPAL] = "denied: reader with an unknown id or role",
    [DENY_REPORT] = "denied: report with an unknown id, TLP or distribution",
    [DENY_GROUP] = "denied: sharing group missing or inconsistent",
    [DENY_RECIPIENTS] = "denied: recipients missing",
    [DENY_OUTSIDE] = "denied: organisation outside the distribution",
    [DENY_AMBER] = "denied: TLP:AMBER, organisation not named by the distribution",
    [DENY_AMBER_STRICT] = "denied: TLP:AMBER+STRICT, not the owning organisation",
    [DENY_RED] = "denied: TLP:RED, neither the author nor a recipient",
};

static int contains(const int64_t *ids, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

static enum verdict decide(const struct vg_principal *p, const struct vg_report_access *r,
                           const struct vg_group_members *m)
{
    if (!p || !r)
        return DENY_NO_ARGUMENT;
    if (p->user_id < 1 || p->org_id < 1 || p->role < 0 || p->role >= VG_ROLE_COUNT)
        return DENY_PRINCIPAL;
    if (r->author_user_id < 1 || r->owner_org_id < 1 || (unsigned)r->tlp >= VG_TLP_COUNT ||
        (unsigned)r->distribution >= VG_DIST_COUNT)
        return DENY_REPORT;
    if (r->nrecipients > 0 && !r->recipient_ids)
        return DENY_RECIPIENTS;
    if (r->distribution == VG_DIST_GROUP) {
        if (r->group_id < 1 || !m || m->group_id != r->group_id || (m->count > 0 && !m->org_ids))
            return DENY_GROUP;
    } else if (r->group_id != 0) {
        return DENY_GROUP;
    }

    /* Which part of the distribution the reader's organisation is in. */
    enum verdict reach;
    if (p->org_id == r->owner_org_id)
        reach = GRANT_OWNER;
    else if (r->distribution == VG_DIST_GROUP && contains(m->org_ids, m->count, p->org_id))
        reach = GRANT_GROUP;
    else if (r->distribution == VG_DIST_COMMUNITY || r->distribution == VG_DIST_ALL)
        reach = GRANT_COMMUNITY;
    else
        return DENY_OUTSIDE;

    /* The marking narrows it. */
    switch (r->tlp) {
    case VG_TLP_CLEAR:
    case VG_TLP_GREEN:
        return reach;
    case VG_TLP_AMBER:
        return reach == GRANT_OWNER || reach == GRANT_GROUP ? reach : DENY_AMBER;
    case VG_TLP_AMBER_STRICT:
        return reach == GRANT_OWNER ? reach : DENY_AMBER_STRICT;
    case VG_TLP_RED:
        if (p->user_id == r->author_user_id)
            return GRANT_AUTHOR;
        if (contains(r->recipient_ids, r->nrecipients, p->user_id))
            return GRANT_RECIPIENT;
        return DENY_RED;
    case VG_TLP_COUNT:
        break;
    }
    return DENY_REPORT;
}

int vg_policy_can_read(const struct vg_principal *p, const struct vg_report_access *r,
                       const struct vg_group_members *members)
{
    return decide(p, r, members) < GRANT_COUNT;
}

const char *vg_policy_explain(const struct vg_principal *p, const struct vg_report_access *r,
                              const struct vg_group_members *members)
{
    return verdict_text[decide(p, r, members)];
}
