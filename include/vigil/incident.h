/* incident.h - incident records and their table.
 *
 * An incident is one attack as a source reports it. Unknown values are NULL in the database:
 * here VG_NULL_INT for integers, NAN for coordinates and NULL for text. Fields the record has no
 * place for are kept in `extra`, a JSON object, so nothing a source gave is lost. The identity of
 * a record is (source, source_id): storing it again updates it, or changes nothing when its
 * content hash is the same. */
#ifndef VIGIL_INCIDENT_H
#define VIGIL_INCIDENT_H

#include "vigil/error.h"

#include <stddef.h>
#include <stdint.h>

#define VG_NULL_INT INT64_MIN

struct vg_store;

struct vg_incident {
    const char *source;    /* e.g. "GTD", "ACLED"; never NULL */
    const char *source_id; /* the source's own id (GTD eventid); never NULL */
    int64_t year;          /* never NULL */
    int64_t month, day;    /* VG_NULL_INT when unknown (GTD writes 0) */
    int64_t country_code, region_code;
    const char *country, *region, *provstate, *city;
    double latitude, longitude; /* NAN when unknown */
    int64_t specificity;        /* GTD geocoding precision, 1 (exact) .. 5 */
    int64_t attack_code, target_code, weapon_code;
    const char *attack, *target, *weapon, *group;
    int64_t killed, wounded; /* VG_NULL_INT when unknown */
    int64_t success, suicide;
    const char *summary;
    const char *extra; /* JSON object text; NULL means {} */
    size_t extra_len;
    uint64_t hash; /* content hash, for change detection */
};

/* Sets every field to unknown. */
void vg_incident_clear(struct vg_incident *inc);

/* A prepared upsert into the incidents table. */
struct vg_incident_writer;

int vg_incident_writer_create(struct vg_store *s, struct vg_incident_writer **out,
                              struct vg_error *err);
void vg_incident_writer_destroy(struct vg_incident_writer *w);

/* What vg_incident_put did. */
enum vg_put_outcome { VG_PUT_UNCHANGED = 0, VG_PUT_INSERTED = 1, VG_PUT_UPDATED = 2 };

/* Inserts inc, or updates the stored record with the same (source, source_id) when its hash
 * differs. *outcome (an enum vg_put_outcome) says which, or that the stored record was the same.
 * Returns VG_EINVAL when the record breaks a constraint of the table (the row is not stored, the
 * transaction goes on), VG_EDB on other database errors. Call inside a transaction for speed. */
int vg_incident_put(struct vg_incident_writer *w, const struct vg_incident *inc, int *outcome,
                    struct vg_error *err);

/* The id of the row the last vg_incident_put inserted. */
int64_t vg_incident_writer_last_id(const struct vg_incident_writer *w);

/* Records in the store that incidents changed: version counts every change, rewrites the changes
 * that updated or removed stored rows (rather than only adding new ones). Derived data compares
 * these counters with the ones it was built from. Call inside the writing transaction. */
int vg_incident_mark_changed(struct vg_store *s, int rewrote, struct vg_error *err);
/* Reads both counters. */
int vg_incident_version(struct vg_store *s, int64_t *version, int64_t *rewrites,
                        struct vg_error *err);

/* Number of incidents stored. */
int vg_incident_count(struct vg_store *s, int64_t *count, struct vg_error *err);

#endif
