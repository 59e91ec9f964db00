/* test_policy.c - the access decision for reports (src/share/policy.c).
 *
 * The heart is the access matrix: every combination of role (4) x the reader's organisation
 * (the owner, a member of the report's sharing group, one outside it) x the reader's standing
 * (neither author nor recipient, author, recipient, both) x TLP (5) x distribution (4), each
 * answer checked against the table `audience` below. That table states the rule from the issue
 * in its own terms (which kinds of reader each TLP x distribution admits); it shares no code with
 * the implementation. The number of grants it implies is also counted by hand (see
 * test_matrix) so that a wrong table cannot pass unnoticed.
 *
 * The other tests: parsing of labels and distributions (exact, case, spaces, unknown),
 * deny by default on every kind of unknown or inconsistent input, and the audit reasons. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "vigil/accounts.h"
#include "vigil/error.h"
#include "vigil/policy.h"

/* The cast of the matrix. */
enum {
    OWNER_ORG = 10,
    MEMBER_ORG = 20, /* in the sharing group */
    MEMBER_ORG2 = 21,
    OUTSIDE_ORG = 30, /* on the platform, not in the group */
    GROUP_ID = 7,
    AUTHOR = 100,
    RECIPIENT = 200,
    RECIPIENT2 = 201,
    SOMEONE = 500, /* neither author nor recipient */
};

enum org_kind { AT_OWNER, AT_MEMBER, AT_OUTSIDE, ORG_KINDS };
enum standing { NOBODY, IS_AUTHOR, IS_RECIPIENT, IS_BOTH, STANDINGS };

/* Who may read, from the issue: "the audience is the distribution, narrowed by the TLP". Each
 * cell lists the readers it admits: an upper-case letter admits every user of that kind of
 * organisation (O the owner, M a member of the group, X an organisation outside the group); a
 * lower-case letter admits only the author and the named recipients who are in such an
 * organisation.
 *   organisation: only the owner; group: the owner and the members; community and all: every
 *   organisation on the platform.
 *   CLEAR, GREEN: as far as the distribution goes. AMBER: the owner and the organisations the
 *   distribution names (a group names its members; community and all name none). AMBER+STRICT:
 *   the owner only. RED: the author and the recipients only. */
static const char *const audience[VG_TLP_COUNT][VG_DIST_COUNT] = {
    /*                      organisation group  community all */
    [VG_TLP_CLEAR] = {"O", "OM", "OMX", "OMX"}, [VG_TLP_GREEN] = {"O", "OM", "OMX", "OMX"},
    [VG_TLP_AMBER] = {"O", "OM", "O", "O"},     [VG_TLP_AMBER_STRICT] = {"O", "O", "O", "O"},
    [VG_TLP_RED] = {"o", "om", "omx", "omx"},
};

static int expected(enum vg_tlp t, enum vg_distribution d, enum org_kind o, enum standing s)
{
    const char *cell = audience[t][d];
    char everyone = "OMX"[o], named_only = "omx"[o];
    if (strchr(cell, everyone))
        return 1;
    return s != NOBODY && strchr(cell, named_only) != NULL;
}

static const int64_t group_orgs[] = {MEMBER_ORG, MEMBER_ORG2};
static const int64_t red_recipients[] = {RECIPIENT, RECIPIENT2};
static const int64_t red_recipients_with_author[] = {RECIPIENT, AUTHOR};

static int64_t org_id_of(enum org_kind o)
{
    return o == AT_OWNER ? OWNER_ORG : o == AT_MEMBER ? MEMBER_ORG : OUTSIDE_ORG;
}

static void test_matrix(void **state)
{
    (void)state;
    const struct vg_group_members members = {GROUP_ID, group_orgs, 2};
    const struct vg_group_members other = {GROUP_ID + 1, group_orgs, 2};
    size_t cases = 0, grants = 0;
    for (int role = 0; role < VG_ROLE_COUNT; role++)
        for (int o = 0; o < ORG_KINDS; o++)
            for (int s = 0; s < STANDINGS; s++)
                for (int t = 0; t < VG_TLP_COUNT; t++)
                    for (int d = 0; d < VG_DIST_COUNT; d++) {
                        struct vg_principal p = {
                            .user_id = s == NOBODY         ? SOMEONE
                                       : s == IS_RECIPIENT ? RECIPIENT
                                                           : AUTHOR,
                            .org_id = org_id_of((enum org_kind)o),
                            .role = role,
                        };
                        struct vg_report_access r = {
                            .author_user_id = AUTHOR,
                            .owner_org_id = OWNER_ORG,
                            .tlp = (enum vg_tlp)t,
                            .distribution = (enum vg_distribution)d,
                            .group_id = d == VG_DIST_GROUP ? GROUP_ID : 0,
                            .recipient_ids =
                                s == IS_BOTH ? red_recipients_with_author : red_recipients,
                            .nrecipients = 2,
                        };
                        int want =
                            expected(r.tlp, r.distribution, (enum org_kind)o, (enum standing)s);
                        /* Members are needed for a group and ignored otherwise: for the other
                         * distributions ask both without them and with another group's. */
                        const struct vg_group_members *m = d == VG_DIST_GROUP ? &members : NULL;
                        int got = vg_policy_can_read(&p, &r, m);
                        const char *why = vg_policy_explain(&p, &r, m);
                        if (got != want || (strncmp(why, "denied: ", 8) == 0) == got)
                            fail_msg("role %s, org %d, standing %d, %s, %s: got %d (%s), "
                                     "expected %d",
                                     vg_account_role_name(p.role), o, s, vg_tlp_name(r.tlp),
                                     vg_policy_distribution_name(r.distribution), got, why, want);
                        if (d != VG_DIST_GROUP && vg_policy_can_read(&p, &r, &other) != want)
                            fail_msg("members of an unrelated group changed the answer");
                        cases++;
                        grants += (size_t)got;
                    }
    assert_int_equal(cases, 4 * 3 * 4 * 5 * 4);
    /* Per role, of the 12 kinds of reader (3 organisations x 4 standings): CLEAR and GREEN admit
     * 4 + 8 + 12 + 12, AMBER 4 + 8 + 4 + 4, AMBER+STRICT 4 + 4 + 4 + 4, RED (3 named standings
     * per organisation) 3 + 6 + 9 + 9. 36 + 36 + 20 + 16 + 27 = 135, times 4 roles. */
    assert_int_equal(grants, 135 * 4);
}

/* A report every reader of OWNER_ORG may read, for the tests that break one field. */
static struct vg_report_access open_report(void)
{
    struct vg_report_access r = {
        .author_user_id = AUTHOR,
        .owner_org_id = OWNER_ORG,
        .tlp = VG_TLP_CLEAR,
        .distribution = VG_DIST_COMMUNITY,
    };
    return r;
}

#define EXPECT_DENIED(p, r, m)                                                                     \
    do {                                                                                           \
        assert_int_equal(vg_policy_can_read((p), (r), (m)), 0);                                    \
        assert_memory_equal(vg_policy_explain((p), (r), (m)), "denied: ", 8);                      \
    } while (0)

static void test_deny_by_default(void **state)
{
    (void)state;
    const struct vg_principal reader = {
        .user_id = AUTHOR, .org_id = OWNER_ORG, .role = VG_ROLE_ANALYST};
    const struct vg_group_members members = {GROUP_ID, group_orgs, 2};
    struct vg_report_access r = open_report();
    assert_int_equal(vg_policy_can_read(&reader, &r, NULL), 1);

    EXPECT_DENIED(NULL, &r, NULL);
    EXPECT_DENIED(&reader, NULL, NULL);
    EXPECT_DENIED(NULL, NULL, NULL);

    struct vg_principal p = reader;
    p.role = VG_ROLE_COUNT;
    EXPECT_DENIED(&p, &r, NULL);
    p.role = -1;
    EXPECT_DENIED(&p, &r, NULL);
    p = reader;
    p.user_id = 0;
    EXPECT_DENIED(&p, &r, NULL);
    p = reader;
    p.org_id = -OWNER_ORG;
    EXPECT_DENIED(&p, &r, NULL);

    r.tlp = VG_TLP_COUNT;
    EXPECT_DENIED(&reader, &r, NULL);
    r.tlp = (enum vg_tlp)99;
    EXPECT_DENIED(&reader, &r, NULL);
    r.tlp = (enum vg_tlp) - 1;
    EXPECT_DENIED(&reader, &r, NULL);
    r = open_report();
    r.distribution = VG_DIST_COUNT;
    EXPECT_DENIED(&reader, &r, NULL);
    r.distribution = (enum vg_distribution) - 1;
    EXPECT_DENIED(&reader, &r, NULL);
    r = open_report();
    r.owner_org_id = 0;
    EXPECT_DENIED(&reader, &r, NULL);
    r = open_report();
    r.author_user_id = 0;
    EXPECT_DENIED(&reader, &r, NULL);

    /* Recipients counted but not given. */
    r = open_report();
    r.nrecipients = 1;
    EXPECT_DENIED(&reader, &r, NULL);

    /* A group id on a report not distributed to a group. */
    r = open_report();
    r.group_id = GROUP_ID;
    EXPECT_DENIED(&reader, &r, &members);

    /* A group distribution: without its members, with another group's, without a group id,
     * with members counted but not given. Even the owner is refused: the report is broken. */
    r = open_report();
    r.distribution = VG_DIST_GROUP;
    r.group_id = GROUP_ID;
    assert_int_equal(vg_policy_can_read(&reader, &r, &members), 1);
    EXPECT_DENIED(&reader, &r, NULL);
    const struct vg_group_members other = {GROUP_ID + 1, group_orgs, 2};
    EXPECT_DENIED(&reader, &r, &other);
    const struct vg_group_members hollow = {GROUP_ID, NULL, 2};
    EXPECT_DENIED(&reader, &r, &hollow);
    r.group_id = 0;
    const struct vg_group_members zero = {0, group_orgs, 2};
    EXPECT_DENIED(&reader, &r, &zero);
}

static void test_admin_has_no_extra_right(void **state)
{
    (void)state;
    const struct vg_principal own_admin = {
        .user_id = SOMEONE, .org_id = OWNER_ORG, .role = VG_ROLE_ADMIN};
    const struct vg_principal other_admin = {
        .user_id = SOMEONE, .org_id = OUTSIDE_ORG, .role = VG_ROLE_ADMIN};
    struct vg_report_access r = open_report();
    r.distribution = VG_DIST_ORGANISATION;
    r.tlp = VG_TLP_GREEN;
    assert_int_equal(vg_policy_can_read(&own_admin, &r, NULL), 1);
    assert_string_equal(vg_policy_explain(&own_admin, &r, NULL), "owning organisation");
    assert_int_equal(vg_policy_can_read(&other_admin, &r, NULL), 0);
    assert_string_equal(vg_policy_explain(&other_admin, &r, NULL),
                        "denied: organisation outside the distribution");
    r.tlp = VG_TLP_RED;
    r.distribution = VG_DIST_ALL;
    assert_int_equal(vg_policy_can_read(&own_admin, &r, NULL), 0);
    assert_string_equal(vg_policy_explain(&own_admin, &r, NULL),
                        "denied: TLP:RED, neither the author nor a recipient");
}

static void test_reasons(void **state)
{
    (void)state;
    const struct vg_group_members members = {GROUP_ID, group_orgs, 2};
    const struct vg_principal author = {
        .user_id = AUTHOR, .org_id = OWNER_ORG, .role = VG_ROLE_ANALYST};
    const struct vg_principal recipient = {
        .user_id = RECIPIENT, .org_id = OUTSIDE_ORG, .role = VG_ROLE_READER};
    const struct vg_principal member = {
        .user_id = SOMEONE, .org_id = MEMBER_ORG2, .role = VG_ROLE_SYNC};
    const struct vg_principal outsider = {
        .user_id = SOMEONE, .org_id = OUTSIDE_ORG, .role = VG_ROLE_READER};
    struct vg_report_access r = open_report();
    r.recipient_ids = red_recipients;
    r.nrecipients = 2;

    r.tlp = VG_TLP_RED;
    assert_string_equal(vg_policy_explain(&author, &r, NULL), "author");
    assert_string_equal(vg_policy_explain(&recipient, &r, NULL), "recipient");
    /* A recipient in an organisation the distribution does not reach is refused. */
    r.distribution = VG_DIST_ORGANISATION;
    assert_int_equal(vg_policy_can_read(&recipient, &r, NULL), 0);
    assert_string_equal(vg_policy_explain(&author, &r, NULL), "author");

    r.tlp = VG_TLP_AMBER;
    r.distribution = VG_DIST_GROUP;
    r.group_id = GROUP_ID;
    assert_string_equal(vg_policy_explain(&member, &r, &members), "group member");
    assert_string_equal(vg_policy_explain(&author, &r, &members), "owning organisation");
    assert_string_equal(vg_policy_explain(&outsider, &r, &members),
                        "denied: organisation outside the distribution");
    /* Recipients grant nothing under TLP:AMBER. */
    assert_int_equal(vg_policy_can_read(&recipient, &r, &members), 0);

    r.tlp = VG_TLP_AMBER_STRICT;
    assert_string_equal(vg_policy_explain(&member, &r, &members),
                        "denied: TLP:AMBER+STRICT, not the owning organisation");

    r.tlp = VG_TLP_AMBER;
    r.distribution = VG_DIST_COMMUNITY;
    r.group_id = 0;
    assert_string_equal(vg_policy_explain(&outsider, &r, NULL),
                        "denied: TLP:AMBER, organisation not named by the distribution");

    r.tlp = VG_TLP_GREEN;
    assert_string_equal(vg_policy_explain(&outsider, &r, NULL), "community");

    /* The owner listed among the group's members is still the owner; an empty group leaves the
     * owner alone. */
    const int64_t with_owner[] = {OWNER_ORG, MEMBER_ORG};
    const struct vg_group_members listed = {GROUP_ID, with_owner, 2};
    const struct vg_group_members empty = {GROUP_ID, NULL, 0};
    r.distribution = VG_DIST_GROUP;
    r.group_id = GROUP_ID;
    assert_string_equal(vg_policy_explain(&author, &r, &listed), "owning organisation");
    assert_string_equal(vg_policy_explain(&author, &r, &empty), "owning organisation");
    assert_int_equal(vg_policy_can_read(&member, &r, &empty), 0);
}

static void test_parse_tlp(void **state)
{
    (void)state;
    struct vg_error err;
    enum vg_tlp t;
    for (int i = 0; i < VG_TLP_COUNT; i++) {
        t = VG_TLP_COUNT;
        assert_int_equal(vg_tlp_parse(vg_tlp_name((enum vg_tlp)i), &t, &err), 0);
        assert_int_equal(t, i);
    }
    assert_string_equal(vg_tlp_name(VG_TLP_AMBER_STRICT), "TLP:AMBER+STRICT");
    t = VG_TLP_RED;
    assert_int_equal(vg_tlp_parse("TLP:WHITE", &t, NULL), 0);
    assert_int_equal(t, VG_TLP_CLEAR);
    assert_string_equal(vg_tlp_name(t), "TLP:CLEAR");
    assert_string_equal(vg_tlp_name(VG_TLP_COUNT), "?");
    assert_string_equal(vg_tlp_name((enum vg_tlp) - 1), "?");

    /* Near misses are refused, with the right spelling in the message; out stays untouched. */
    static const struct {
        const char *in, *hint;
    } near[] = {
        {"tlp:red", "TLP:RED"},     {"TLP:Red", "TLP:RED"},
        {" TLP:RED", "TLP:RED"},    {"TLP:RED ", "TLP:RED"},
        {"TLP:RED\n", "TLP:RED"},   {"TLP:amber+strict", "TLP:AMBER+STRICT"},
        {"tlp:white", "TLP:CLEAR"}, {"TLP:Clear", "TLP:CLEAR"},
    };
    for (size_t i = 0; i < sizeof(near) / sizeof(near[0]); i++) {
        vg_error_clear(&err);
        t = VG_TLP_GREEN;
        assert_int_equal(vg_tlp_parse(near[i].in, &t, &err), VG_EINVAL);
        assert_int_equal(err.code, VG_EINVAL);
        assert_int_equal(t, VG_TLP_GREEN);
        if (!strstr(err.message, near[i].hint))
            fail_msg("'%s': message \"%s\" does not name %s", near[i].in, err.message,
                     near[i].hint);
    }
    static const char *const unknown[] = {
        "",
        "TLP:",
        "RED",
        "TLP:YELLOW",
        "TLP:AMBER + STRICT",
        "TLP:AMBER-STRICT",
        "TLP:AMBER+",
        "TLP:RED:",
        "TLP:REDX",
        "PAP:RED",
    };
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        vg_error_clear(&err);
        t = VG_TLP_GREEN;
        assert_int_equal(vg_tlp_parse(unknown[i], &t, &err), VG_EINVAL);
        assert_int_equal(t, VG_TLP_GREEN);
        assert_non_null(strstr(err.message, "TLP:AMBER+STRICT"));
    }
    assert_int_equal(vg_tlp_parse(NULL, &t, &err), VG_EINVAL);
    assert_int_equal(vg_tlp_parse("TLP:BLUE", &t, NULL), VG_EINVAL);

    /* A long label is quoted in part, never overflowing the message. */
    char longer[2048];
    memset(longer, 'A', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    assert_int_equal(vg_tlp_parse(longer, &t, &err), VG_EINVAL);
    assert_true(strlen(err.message) < VG_ERROR_MSG_MAX);
}

static void test_parse_distribution(void **state)
{
    (void)state;
    struct vg_error err;
    enum vg_distribution d = VG_DIST_COUNT;
    const char *name = "unset";
    assert_int_equal(vg_policy_parse_distribution("organisation", &d, &name, &err), 0);
    assert_int_equal(d, VG_DIST_ORGANISATION);
    assert_null(name);
    assert_int_equal(vg_policy_parse_distribution("community", &d, &name, &err), 0);
    assert_int_equal(d, VG_DIST_COMMUNITY);
    assert_int_equal(vg_policy_parse_distribution("all", &d, NULL, &err), 0);
    assert_int_equal(d, VG_DIST_ALL);
    const char *in = "group:Regional Fusion Cell";
    assert_int_equal(vg_policy_parse_distribution(in, &d, &name, &err), 0);
    assert_int_equal(d, VG_DIST_GROUP);
    assert_ptr_equal(name, in + 6);
    assert_string_equal(name, "Regional Fusion Cell");
    assert_int_equal(vg_policy_parse_distribution("group:g", &d, NULL, &err), 0);

    for (int i = 0; i < VG_DIST_COUNT; i++) {
        const char *n = vg_policy_distribution_name((enum vg_distribution)i);
        assert_true(strcmp(n, "?") != 0);
    }
    assert_string_equal(vg_policy_distribution_name(VG_DIST_COUNT), "?");

    char longest[6 + VG_POLICY_GROUP_NAME_MAX + 2];
    memcpy(longest, "group:", 6);
    memset(longest + 6, 'g', VG_POLICY_GROUP_NAME_MAX);
    longest[6 + VG_POLICY_GROUP_NAME_MAX] = '\0';
    assert_int_equal(vg_policy_parse_distribution(longest, &d, &name, &err), 0);
    assert_int_equal(strlen(name), VG_POLICY_GROUP_NAME_MAX);
    longest[6 + VG_POLICY_GROUP_NAME_MAX] = 'g';
    longest[6 + VG_POLICY_GROUP_NAME_MAX + 1] = '\0';

    static const struct {
        const char *in, *hint;
    } bad[] = {
        {"Organisation", "organisation"},
        {"organization", "organisation"},
        {" community", "community"},
        {"ALL", "all"},
        {"group", "group:<name>"},
        {"Group:x", "group:<name>"},
        {"group:", "names no sharing group"},
        {"group: x", "space"},
        {"group:x ", "space"},
        {"group:a\tb", "control character"},
        {"group:a\nb", "control character"},
        {"everyone", "organisation, group:<name>, community or all"},
        {"", "organisation, group:<name>, community or all"},
        {"public", "organisation, group:<name>, community or all"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vg_error_clear(&err);
        d = VG_DIST_ALL;
        name = "unset";
        assert_int_equal(vg_policy_parse_distribution(bad[i].in, &d, &name, &err), VG_EINVAL);
        assert_int_equal(d, VG_DIST_ALL);
        assert_string_equal(name, "unset");
        if (!strstr(err.message, bad[i].hint))
            fail_msg("'%s': message \"%s\" does not say %s", bad[i].in, err.message, bad[i].hint);
    }
    assert_int_equal(vg_policy_parse_distribution(longest, &d, &name, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "longer"));
    assert_int_equal(vg_policy_parse_distribution(NULL, &d, &name, NULL), VG_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_deny_by_default),
        cmocka_unit_test(test_admin_has_no_extra_right),
        cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_parse_tlp),
        cmocka_unit_test(test_parse_distribution),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
