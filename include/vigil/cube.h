/* cube.h - the analytic cube: the incidents' analytic fields in columns, memory-mapped.
 *
 * The cube is a file beside the database (`<database>.cube`) holding, for every incident, its
 * date, its dimensions as dictionary codes, its casualty counts and its coordinates, each field
 * one array (struct of arrays). Analyses scan the arrays they need and nothing else. The cube
 * records which state of the database it reflects; vg_cube_open brings it up to date first: rows
 * added since are appended, and after updates it is rebuilt from SQLite. */
#ifndef VIGIL_CUBE_H
#define VIGIL_CUBE_H

#include "vigil/error.h"

#include <stddef.h>
#include <stdint.h>

struct vg_store;
struct vg_cube;

/* The dimensions incidents are grouped and filtered by. */
enum vg_dim {
    VG_DIM_YEAR,
    VG_DIM_MONTH,
    VG_DIM_COUNTRY,
    VG_DIM_REGION,
    VG_DIM_ATTACK,
    VG_DIM_TARGET,
    VG_DIM_WEAPON,
    VG_DIM_GROUP,
    VG_DIM_SOURCE,
    VG_DIM_COUNT
};

/* The name of a dimension ("year", "group", ...). */
const char *vg_dim_name(enum vg_dim d);
/* Looks a name up; returns 0 or VG_EINVAL (err lists the valid names). */
int vg_dim_parse(const char *name, enum vg_dim *out, struct vg_error *err);
/* 1 for the dimensions whose values are numbers (year, month). */
int vg_dim_is_numeric(enum vg_dim d);

#define VG_CUBE_UNKNOWN UINT32_MAX /* dictionary code of an unknown value */

/* Read-only views of the columns, valid while the cube is open. For row i: year[i] (always
 * known), month[i] and day[i] (0 when unknown), code[d][i] for each text dimension d (country,
 * region, attack, target, weapon, group, source; VG_CUBE_UNKNOWN when unknown, and any code not
 * below vg_cube_dict_size must be taken as unknown too), killed[i] and
 * wounded[i] (-1 when unknown), latitude[i] and longitude[i] (NAN when unknown), id[i] (the
 * incident's row id in the database). */
struct vg_cube_columns {
    size_t n;
    const int16_t *year;
    const int8_t *month, *day;
    const uint32_t *code[VG_DIM_COUNT]; /* NULL for year and month */
    const int32_t *killed, *wounded;
    const double *latitude, *longitude;
    const int64_t *id;
};

/* Opens the cube of the store's database, refreshing it first when it is missing or stale. */
int vg_cube_open(struct vg_store *s, struct vg_cube **out, struct vg_error *err);
void vg_cube_close(struct vg_cube *c);

/* Brings the cube file up to date without opening it for queries (ingest calls this). */
int vg_cube_refresh(struct vg_store *s, struct vg_error *err);

const struct vg_cube_columns *vg_cube_columns(const struct vg_cube *c);

/* Keeping the cube current during an ingest without reading the table again: the ingest hands
 * over each row it inserted, once committed, in the order of their ids; finish then appends them
 * to the cube. When anything else happened meanwhile (an update, another writer, rows out of
 * order), finish builds the cube from the table instead, so the result is always current. */
struct vg_cube_appender;
struct vg_incident;

/* Brings the cube up to date and starts staging rows after it. */
int vg_cube_appender_create(struct vg_store *s, struct vg_cube_appender **out,
                            struct vg_error *err);
/* Stages one inserted row (id is its row id). A failure only means the cube will be built from
 * the table at finish. */
int vg_cube_appender_add(struct vg_cube_appender *a, int64_t id, const struct vg_incident *inc);
/* Brings the cube up to date, with the staged rows where they are exactly the new ones (then
 * *staged, if not NULL, is 1), and frees the appender. */
int vg_cube_appender_finish(struct vg_cube_appender *a, struct vg_store *s, int *staged,
                            struct vg_error *err);
/* Frees an appender without finishing (the cube is then brought up to date when next opened). */
void vg_cube_appender_destroy(struct vg_cube_appender *a);
/* Number of distinct values of text dimension d, and the text of code. */
uint32_t vg_cube_dict_size(const struct vg_cube *c, enum vg_dim d);
const char *vg_cube_dict_value(const struct vg_cube *c, enum vg_dim d, uint32_t code);
/* The code of text value s in dimension d; VG_ENOTFOUND when no incident has that value. */
int vg_cube_dict_find(const struct vg_cube *c, enum vg_dim d, const char *s, uint32_t *code);

#endif
