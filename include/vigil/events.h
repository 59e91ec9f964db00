/* events.h - the events of reports: what the live stream delivers.
 *
 * Triggers on the reports table (store migration 5) append one event for every report created or
 * updated, by whatever wrote it. Event ids only grow and are never reused, so a reader's position
 * is the id of the last event it has seen. Whether a principal may see an event's report is the
 * access policy's question (vg_report_get), not this module's. */
#ifndef VIGIL_EVENTS_H
#define VIGIL_EVENTS_H

#include "vigil/error.h"

#include <stdint.h>

struct vg_store;

#define VG_EVENT_KIND_SIZE 16 /* "report.created", "report.updated", with the NUL */
#define VG_EVENT_AT_SIZE 32   /* the UTC time, ISO 8601, with the NUL */

struct vg_event {
    int64_t id;
    int64_t report_id;
    char kind[VG_EVENT_KIND_SIZE];
    char at[VG_EVENT_AT_SIZE];
};

/* The id of the newest event in *id (0 when there is none). Errors: VG_EDB. */
int vg_events_newest(struct vg_store *s, int64_t *id, struct vg_error *err);

/* The events after event id after, oldest first, at most max of them, into out[0..*n). Errors:
 * VG_EDB. */
int vg_events_after(struct vg_store *s, int64_t after, struct vg_event *out, int max, int *n,
                    struct vg_error *err);

#endif
