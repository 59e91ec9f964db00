/* select.c - filters on dimensions and dates, applied to the cube as a bitmap.
 *
 * A condition becomes a table of accepted values per field: by year (1800..2200), by month (1..12,
 * plus unknown) or by dictionary code of a text dimension (plus unknown). Applying a filter to a
 * cube is one pass over the rows that tests the date range and each field's table and sets one bit
 * per selected row; analyses then test bits, which is cheaper than re-evaluating the conditions in
 * every pass they make. A filter with no condition and no range selects all rows without a bitmap.
 * Values that no incident has select nothing (they are not an error: the answer is empty).
 *
 * Ownership: the selection owns its bitmap and borrows nothing after creation. Thread-safety:
 * read-only after creation. */
#include "vigil/select.h"
#include "vigil/mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define YEAR_MIN 1800
#define YEAR_CARD 401

struct vg_selection {
    size_t n, count;
    uint64_t *bits; /* NULL: all rows */
};

void vg_filter_init(struct vg_filter *f)
{
    memset(f, 0, sizeof(*f));
}

int vg_filter_add_where(struct vg_filter *f, const char *expr, struct vg_error *err)
{
    const char *eq = strchr(expr, '=');
    char field[64];
    if (!eq || eq == expr)
        return vg_error_set(err, VG_EINVAL, "filter '%s' is not FIELD=VALUE", expr);
    size_t n = (size_t)(eq - expr);
    if (n >= sizeof(field))
        return vg_error_set(err, VG_EINVAL, "filter '%s' names no known field", expr);
    memcpy(field, expr, n);
    field[n] = '\0';
    enum vg_dim d = VG_DIM_YEAR;
    int rc = vg_dim_parse(field, &d, err);
    if (rc)
        return rc;
    if (vg_dim_is_numeric(d)) {
        /* Digits with an optional '-' and nothing else: strtol alone would skip blanks, take a
         * '+' and clamp a number past a long to LONG_MAX or LONG_MIN (ERANGE). */
        const char *digits = eq + 1 + (eq[1] == '-');
        char *end;
        errno = 0;
        strtol(eq + 1, &end, 10);
        if (*digits < '0' || *digits > '9' || *end != '\0')
            return vg_error_set(err, VG_EINVAL, "filter '%s': %s must be a whole number", expr,
                                field);
        if (errno == ERANGE)
            return vg_error_set(err, VG_EINVAL, "filter '%s': %s is out of range", expr, field);
    }
    if (f->nwhere == VG_FILTER_MAX_WHERE)
        return vg_error_set(err, VG_EINVAL, "at most %d filters", VG_FILTER_MAX_WHERE);
    f->where[f->nwhere].field = d;
    f->where[f->nwhere].value = eq + 1;
    f->nwhere++;
    return 0;
}

int vg_date_key(const char *s, int end, int64_t *key, struct vg_error *err)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    size_t len = strlen(s);
    int ok = len == 4 || (len == 7 && s[4] == '-') || (len == 10 && s[4] == '-' && s[7] == '-');
    for (size_t i = 0; ok && i < len; i++)
        ok = (i == 4 || i == 7) ? 1 : (s[i] >= '0' && s[i] <= '9');
    int y = 0, m = 0, d = 0;
    if (ok) {
        y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
        if (len >= 7)
            m = (s[5] - '0') * 10 + (s[6] - '0');
        if (len == 10)
            d = (s[8] - '0') * 10 + (s[9] - '0');
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        if (len >= 7 && (m < 1 || m > 12))
            ok = 0;
        else if (len == 10 && (d < 1 || d > (m == 2 && !leap ? 28 : mdays[m - 1])))
            ok = 0;
    }
    if (!ok)
        return vg_error_set(err, VG_EINVAL,
                            "'%s' is not a date (YYYY, YYYY-MM or YYYY-MM-DD, a real day)", s);
    if (len < 7)
        m = end ? 99 : 0;
    if (len < 10)
        d = end ? 99 : 0;
    *key = (int64_t)y * 10000 + m * 100 + d;
    return 0;
}

/* A field's table of accepted values. */
struct cond {
    enum vg_dim dim;
    const uint32_t *code;
    uint32_t n;
    unsigned char *accept; /* by year - 1800, month - 1 (12 = unknown) or code (n = unknown) */
};

static inline uint32_t value_of(const struct cond *c, const struct vg_cube_columns *cols, size_t i)
{
    if (c->dim == VG_DIM_YEAR) {
        int v = cols->year[i] - YEAR_MIN;
        return v < 0 ? 0 : v >= YEAR_CARD ? YEAR_CARD - 1 : (uint32_t)v;
    }
    if (c->dim == VG_DIM_MONTH) {
        int8_t m = cols->month[i];
        return m >= 1 && m <= 12 ? (uint32_t)(m - 1) : 12;
    }
    uint32_t code = c->code[i];
    return code < c->n ? code : c->n;
}

int vg_selection_create(const struct vg_cube *cube, const struct vg_filter *f,
                        struct vg_selection **out, struct vg_error *err)
{
    const struct vg_cube_columns *cols = vg_cube_columns(cube);
    struct cond conds[VG_DIM_COUNT];
    size_t nconds = 0;
    int rc = 0;
    struct vg_selection *s = vg_calloc(1, sizeof(*s));
    if (!s)
        return vg_error_set(err, VG_ENOMEM, "out of memory");
    s->n = s->count = cols->n;
    memset(conds, 0, sizeof(conds));
    for (size_t w = 0; w < f->nwhere; w++) {
        enum vg_dim dim = f->where[w].field;
        struct cond *c = NULL;
        for (size_t k = 0; k < nconds; k++)
            if (conds[k].dim == dim)
                c = &conds[k];
        if (!c) {
            c = &conds[nconds++];
            c->dim = dim;
            size_t size = dim == VG_DIM_YEAR ? YEAR_CARD : dim == VG_DIM_MONTH ? 13 : 0;
            if (!size) {
                c->n = vg_cube_dict_size(cube, dim);
                c->code = cols->code[dim];
                size = (size_t)c->n + 1;
            }
            if (!(c->accept = vg_calloc(size, 1))) {
                rc = vg_error_set(err, VG_ENOMEM, "out of memory");
                goto done;
            }
        }
        const char *v = f->where[w].value;
        if (dim == VG_DIM_YEAR || dim == VG_DIM_MONTH) {
            long x = strtol(v, NULL, 10);
            if (dim == VG_DIM_YEAR && x >= YEAR_MIN && x < YEAR_MIN + YEAR_CARD)
                c->accept[x - YEAR_MIN] = 1;
            else if (dim == VG_DIM_MONTH && x >= 1 && x <= 12)
                c->accept[x - 1] = 1;
        } else if (*v == '\0') {
            c->accept[c->n] = 1; /* FIELD= selects the unknown values */
        } else {
            uint32_t code;
            if (vg_cube_dict_find(cube, dim, v, &code) == 0)
                c->accept[code] = 1;
        }
    }
    if (nconds == 0 && !f->from && !f->to)
        goto done;
    if (!(s->bits = vg_calloc((cols->n + 63) / 64 + 1, sizeof(uint64_t)))) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto done;
    }
    s->count = 0;
    for (size_t i = 0; i < cols->n; i++) {
        if (f->from || f->to) {
            int64_t key = (int64_t)cols->year[i] * 10000 +
                          (cols->month[i] > 0 ? cols->month[i] : 0) * 100 +
                          (cols->day[i] > 0 ? cols->day[i] : 0);
            if ((f->from && key < f->from) || (f->to && key > f->to))
                continue;
        }
        size_t k = 0;
        while (k < nconds && conds[k].accept[value_of(&conds[k], cols, i)])
            k++;
        if (k < nconds)
            continue;
        s->bits[i >> 6] |= (uint64_t)1 << (i & 63);
        s->count++;
    }
done:
    for (size_t k = 0; k < nconds; k++)
        vg_free(conds[k].accept);
    if (rc) {
        vg_selection_destroy(s);
        return rc;
    }
    *out = s;
    return 0;
}

void vg_selection_destroy(struct vg_selection *s)
{
    if (!s)
        return;
    vg_free(s->bits);
    vg_free(s);
}

int vg_selection_has(const struct vg_selection *s, size_t i)
{
    return !s->bits || (s->bits[i >> 6] >> (i & 63)) & 1;
}

int vg_selection_all(const struct vg_selection *s)
{
    return s->bits == NULL;
}

size_t vg_selection_count(const struct vg_selection *s)
{
    return s->count;
}
