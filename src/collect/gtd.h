/* gtd.h - internal: mapping GTD-named columns onto incident fields (shared by the delimited-text
 * and JSON-lines readers). */
#ifndef VIGIL_COLLECT_GTD_H
#define VIGIL_COLLECT_GTD_H

#include "vigil/error.h"
#include "vigil/incident.h"
#include "vigil/mem.h"

#include <stddef.h>

/* What each column of a header means. */
struct vg__gtd_map;

/* Builds the map of a header. Fails with VG_EFORMAT when no column holds the event id or the
 * year, naming what is missing. */
int vg__gtd_map_create(char *const *names, const size_t *lens, size_t n, struct vg__gtd_map **out,
                       struct vg_error *err);
void vg__gtd_map_destroy(struct vg__gtd_map *m);
size_t vg__gtd_map_columns(const struct vg__gtd_map *m);
const char *vg__gtd_map_name(const struct vg__gtd_map *m, size_t column);

/* A converted row. The incident points into the values given to vg__gtd_convert and into
 * `extra`; it is valid until those change. */
struct vg__gtd_row {
    struct vg_incident inc;
    struct vg_buf extra; /* JSON object of the columns without a field of their own */
    const char *bad_column;
    char reason[200];
};

void vg__gtd_row_init(struct vg__gtd_row *row);
void vg__gtd_row_cleanup(struct vg__gtd_row *row);

/* Converts one row of n values (n must equal the map's column count; the values are modified in
 * place: trimmed). Returns 0, or VG_EFORMAT with row->bad_column and row->reason saying why the
 * row cannot be stored, or VG_ENOMEM / VG_ETOOBIG. */
int vg__gtd_convert(const struct vg__gtd_map *m, char **vals, size_t *lens, size_t n,
                    const char *default_source, struct vg__gtd_row *row);

#endif
