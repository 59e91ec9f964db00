/* groups.h - sharing groups: named sets of organisations a report can be distributed to.
 *
 * A sharing group has a name (unique on the platform), an owning organisation and member
 * organisations. A report distributed as "group:<name>" reaches the owner and the members
 * (vigil/policy.h says how the TLP narrows that). Groups are made by administrators; the owner is
 * the administrator's organisation.
 *
 * Errors: 0 or a negative VG_E code; err (may be NULL) names the field at fault. Out-parameters
 * are untouched on failure. The functions use the store's connection: one thread at a time. */
#ifndef VIGIL_GROUPS_H
#define VIGIL_GROUPS_H

#include "vigil/accounts.h"
#include "vigil/error.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct vg_store;

#define VG_GROUP_INPUT_MAX (256u << 10) /* bytes of a group's JSON text */
#define VG_GROUP_JSON_DEPTH_MAX 4       /* nesting of arrays and objects in it */
#define VG_GROUP_NAME_MAX 200           /* bytes of a group name (as VG_POLICY_GROUP_NAME_MAX) */
#define VG_GROUP_MEMBERS_MAX 1000       /* member organisations per group */

/* Creates a sharing group from JSON text (len bytes) by principal p, who must be an admin:
 *
 *   {"name": "Benelux", "members": ["Federal Police", "KMar"]}
 *
 * The owner is p's organisation, whether or not "members" names it; a member named twice counts
 * once. The name is 1 to VG_GROUP_NAME_MAX bytes without control characters or a leading or
 * trailing space, and not taken (VG_EINVAL); every member is an existing organisation's name
 * (VG_EINVAL naming it); unknown fields, duplicate keys, more than VG_GROUP_MEMBERS_MAX members
 * or text past the caps are refused (VG_EINVAL, VG_EFORMAT, VG_ETOOBIG). A principal who is not
 * an admin is VG_EPERM. The group, its members and an audit record (action "group-create",
 * object "group:ID") are written in one transaction. *id (may be NULL) is the new group's id. */
int vg_group_create(struct vg_store *s, const struct vg_principal *p, const char *json, size_t len,
                    time_t now, int64_t *id, struct vg_error *err);

#endif
