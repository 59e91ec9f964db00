/* scales.c - the scale tables of site risk (data/risk/TABLE-vN.csv), loaded and checked.
 *
 * Five tables, each a CSV file with a header line (columns found by name, in any order; others
 * ignored):
 *   checklist  kind,item,criterion,weight,title,description   the security checklist per kind
 *   carver     criterion,lo,hi,label,description              CARVER+Shock 1-10 scales
 *   defaults   kind,size,criterion,value,note                 default criterion values
 *   fema426    scale,lo,hi,label,description                  FEMA 426 rating scales, risk bands
 *   threat     rating,p_min,label                             probability per year -> rating
 * The table is known by the file name's part before the first '-' or '.', the version by the
 * file name (checklist-v1.csv), so that a new version ships beside the old one and a score can
 * always be recomputed with the scales it was made with.
 *
 * Everything is checked when the tables are read, so that scoring cannot meet a bad table: a
 * value out of range, a name that is not a kind or a criterion, a duplicate, a scale that does
 * not cover 1-10 (1-1000 for the risk bands) exactly once, a threat table whose thresholds do
 * not start at 0 and rise, a kind without a default for some criterion or without checklist
 * items for accessibility or vulnerability. Each error names the file, the line and the column.
 *
 * Data structure: the rows of each table in an array, their strings each a heap copy owned by
 * the scales; lookups index them by value (the 1-10 scales are arrays of 11 band pointers) or
 * scan them (the defaults, a few dozen rows). vg_risk_scales_finish builds, per kind, the array of
 * pointers to its checklist items. After finish the scales are never written, so threads may
 * share them. */
#include "risk_internal.h"

#include "vigil/csv.h"
#include "vigil/mem.h"
#include "vigil/text.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define NKINDS 6
/* The kinds of site, as the sites table's CHECK constraint (migration 6) spells them. */
static const char *const kinds[NKINDS] = {"airport", "railway", "subway", "mall", "venue", "other"};

static const char *const criterion_names[VG_RISK_CRITERION_COUNT] = {
    "criticality",     "accessibility", "recuperability", "vulnerability", "effect",
    "recognizability", "shock",         "asset_value",    "threat"};

enum table { T_CHECKLIST, T_CARVER, T_DEFAULTS, T_FEMA, T_THREAT, T_COUNT };
static const char *const table_names[T_COUNT] = {"checklist", "carver", "defaults", "fema426",
                                                 "threat"};

/* FEMA 426 scales of the fema426 table. */
enum fema_scale { F_ASSET, F_THREAT, F_VULN, F_RISK, F_COUNT };
static const char *const fema_scale_names[F_COUNT] = {"asset_value", "threat", "vulnerability",
                                                      "risk"};

#define RISK_MAX 1000

struct band {
    int lo, hi;
    char *label, *description;
};

struct default_row {
    int kind; /* index into kinds */
    char *size;
    enum vg_risk_criterion criterion;
    int value;
    char *note;
};

struct band_list {
    struct band *v;
    size_t n;
};

struct vg_risk_scales {
    int version;
    int broken;   /* a table failed to parse: the scales may hold half a row */
    int finished; /* finish succeeded: lookups may be made */
    int have[T_COUNT];
    char *file[T_COUNT]; /* names, for the errors of finish */

    struct vg_risk_item *items;
    size_t nitems;
    const struct vg_risk_item **by_kind[NKINDS];
    size_t nby_kind[NKINDS];

    struct band_list carver[VG_RISK_CARVER_COUNT];
    const struct band *carver_at[VG_RISK_CARVER_COUNT][11];

    struct band_list fema[F_COUNT];
    const struct band *fema_at[F_VULN + 1][11];

    struct default_row *defaults;
    size_t ndefaults;

    double p_min[11]; /* threat rating r is given when p >= p_min[r] */
    char *threat_label[11];
    int threat_seen[11];
};

const char *vg_risk_criterion_name(enum vg_risk_criterion c)
{
    return (unsigned)c < VG_RISK_CRITERION_COUNT ? criterion_names[c] : "?";
}

int vg_risk_criterion_parse(const char *name, enum vg_risk_criterion *out, struct vg_error *err)
{
    for (int c = 0; c < VG_RISK_CRITERION_COUNT; c++) {
        if (strcasecmp(name, criterion_names[c]) == 0) {
            *out = (enum vg_risk_criterion)c;
            return 0;
        }
    }
    return vg_error_set(err, VG_EINVAL,
                        "unknown criterion '%.64s' (criticality, accessibility, recuperability, "
                        "vulnerability, effect, recognizability, shock, asset_value or threat)",
                        name);
}

const char *vg_risk_status_name(enum vg_risk_status st)
{
    switch (st) {
    case VG_RISK_MET:
        return "met";
    case VG_RISK_GAP:
        return "gap";
    default:
        return "unassessed";
    }
}

int vg_risk_status_parse(const char *name, enum vg_risk_status *out, struct vg_error *err)
{
    if (strcasecmp(name, "met") == 0)
        *out = VG_RISK_MET;
    else if (strcasecmp(name, "gap") == 0)
        *out = VG_RISK_GAP;
    else
        return vg_error_set(err, VG_EINVAL, "unknown status '%.64s' (met or gap)", name);
    return 0;
}

static int kind_index(const char *name)
{
    for (int k = 0; k < NKINDS; k++)
        if (strcmp(name, kinds[k]) == 0)
            return k;
    return -1;
}

/* ---- creating and destroying ---- */

int vg_risk_scales_create(int version, struct vg_risk_scales **out)
{
    struct vg_risk_scales *s = vg_calloc(1, sizeof(*s));
    if (!s)
        return VG_ENOMEM;
    s->version = version;
    *out = s;
    return 0;
}

static void free_bands(struct band_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        vg_free(l->v[i].label);
        vg_free(l->v[i].description);
    }
    vg_free(l->v);
    l->v = NULL;
    l->n = 0;
}

void vg_risk_scales_destroy(struct vg_risk_scales *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nitems; i++) {
        vg_free((char *)s->items[i].kind);
        vg_free((char *)s->items[i].name);
        vg_free((char *)s->items[i].title);
        vg_free((char *)s->items[i].description);
    }
    vg_free(s->items);
    for (int k = 0; k < NKINDS; k++)
        vg_free(s->by_kind[k]);
    for (int c = 0; c < VG_RISK_CARVER_COUNT; c++)
        free_bands(&s->carver[c]);
    for (int f = 0; f < F_COUNT; f++)
        free_bands(&s->fema[f]);
    for (size_t i = 0; i < s->ndefaults; i++) {
        vg_free(s->defaults[i].size);
        vg_free(s->defaults[i].note);
    }
    vg_free(s->defaults);
    for (int r = 0; r <= 10; r++)
        vg_free(s->threat_label[r]);
    for (int t = 0; t < T_COUNT; t++)
        vg_free(s->file[t]);
    vg_free(s);
}

int vg_risk_scales_version(const struct vg_risk_scales *s)
{
    return s->version;
}

/* ---- reading one table ---- */

/* The parse of one table: the reader, the current record, the columns found in the header. */
struct parse {
    const char *file;
    struct vg_csv_record rec;
    int col[6];
    const char *const *cols;
    size_t ncols;
    struct vg_error *err;
};

/* Fills err with a message located at the current record and column (col < 0: none). */
static int fail_at(struct parse *p, int col, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_at(struct parse *p, int col, int code, const char *fmt, ...)
{
    struct vg_error *err = p->err;
    if (!err)
        return code;
    va_list ap;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    snprintf(err->file, sizeof(err->file), "%s", p->file);
    err->line = p->rec.line;
    if (col >= 0)
        snprintf(err->column, sizeof(err->column), "%s", p->cols[col]);
    else
        err->column[0] = '\0';
    return code;
}

/* Field number col (a column of the table, by its place in p->cols) of the current record. */
static const char *field(const struct parse *p, int col)
{
    size_t at = (size_t)p->col[col];
    return at < p->rec.nfields ? p->rec.fields[at] : "";
}

/* Copies a field that must not be empty (allow_empty: may be) and must fit the cap. */
static int text(struct parse *p, int col, int allow_empty, char **out)
{
    const char *v = field(p, col);
    size_t n = strlen(v);
    if (!n && !allow_empty)
        return fail_at(p, col, VG_EFORMAT, "empty value");
    if (n > VG_RISK_TEXT_MAX)
        return fail_at(p, col, VG_ETOOBIG, "longer than %d bytes", VG_RISK_TEXT_MAX);
    if (!(*out = vg_strdup(v)))
        return VG_ENOMEM;
    return 0;
}

static int whole(struct parse *p, int col, long lo, long hi, int *out)
{
    const char *v = field(p, col);
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (!vg_text_is_decimal(v, lo < 0) || *end || errno || x < lo || x > hi)
        return fail_at(p, col, VG_EFORMAT, "'%.40s' is not a whole number from %ld to %ld", v, lo,
                       hi);
    *out = (int)x;
    return 0;
}

static int number(struct parse *p, int col, double lo, double hi, int lo_open, double *out)
{
    const char *v = field(p, col);
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (!vg_text_is_decimal(v, lo < 0) || *end || errno || !isfinite(x) || x < lo || x > hi ||
        (lo_open && x == lo))
        return fail_at(p, col, VG_EFORMAT, "'%.40s' is not a number %s %g and at most %g", v,
                       lo_open ? "above" : "of at least", lo, hi);
    *out = x;
    return 0;
}

static int kind_field(struct parse *p, int col, int allow_all, int *out)
{
    const char *v = field(p, col);
    if (allow_all && strcmp(v, "*") == 0) {
        *out = -1;
        return 0;
    }
    int k = kind_index(v);
    if (k < 0)
        return fail_at(p, col, VG_EFORMAT,
                       "unknown kind '%.40s' (airport, railway, subway, mall, venue, other%s)", v,
                       allow_all ? " or * for every kind" : "");
    *out = k;
    return 0;
}

static int criterion_field(struct parse *p, int col, int first, int last,
                           enum vg_risk_criterion *out)
{
    const char *v = field(p, col);
    for (int c = first; c <= last; c++) {
        if (strcmp(v, criterion_names[c]) == 0) {
            *out = (enum vg_risk_criterion)c;
            return 0;
        }
    }
    char list[256];
    size_t len = 0;
    list[0] = '\0';
    for (int c = first; c <= last; c++)
        len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", c == first ? "" : ", ",
                                criterion_names[c]);
    return fail_at(p, col, VG_EFORMAT, "unknown criterion '%.40s' (%s)", v, list);
}

/* Reads the header and finds the columns. */
static int header(struct parse *p, struct vg_csv *r)
{
    int rc;
    do /* the header is the first record that is not blank */
        rc = vg_csv_next(r, &p->rec);
    while (rc == 1 && !p->rec.error && p->rec.nfields == 1 && p->rec.lens[0] == 0);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        p->rec.line = 1;
        return fail_at(p, -1, VG_EFORMAT, "empty file: expected a header line");
    }
    if (p->rec.error)
        return fail_at(p, -1, p->rec.error, "%s", p->rec.error_msg);
    for (size_t c = 0; c < p->ncols; c++) {
        p->col[c] = -1;
        for (size_t f = 0; f < p->rec.nfields; f++) {
            if (strcmp(p->rec.fields[f], p->cols[c]) == 0) {
                if (p->col[c] >= 0)
                    return fail_at(p, (int)c, VG_EFORMAT, "column '%s' appears twice", p->cols[c]);
                p->col[c] = (int)f;
            }
        }
        if (p->col[c] < 0)
            return fail_at(p, -1, VG_EFORMAT, "missing column '%s' (the header must name %s)",
                           p->cols[c], "every column of the table");
    }
    return 0;
}

/* Reads the next data record: 1, 0 at the end, or an error. Blank lines are skipped. */
static int next(struct parse *p, struct vg_csv *r, size_t *nrows)
{
    for (;;) {
        int rc = vg_csv_next(r, &p->rec);
        if (rc <= 0)
            return rc;
        if (p->rec.error)
            return fail_at(p, -1, p->rec.error, "%s", p->rec.error_msg);
        if (p->rec.nfields == 1 && p->rec.lens[0] == 0)
            continue;
        if (++*nrows > VG_RISK_MAX_ROWS)
            return fail_at(p, -1, VG_ETOOBIG, "more than %d rows", VG_RISK_MAX_ROWS);
        return 1;
    }
}

/* Makes room for element n of an array whose capacity is the smallest of 16, 32, 64, ... that
 * holds its n elements: it grows when n is 0 or such a capacity. */
static int grow(void **v, size_t n, size_t size)
{
    if (n && (n & (n - 1)))
        return 0;
    if (n && n < 16)
        return 0;
    size_t cap = n ? n * 2 : 16;
    void *p = vg_realloc(*v, cap * size);
    if (!p)
        return VG_ENOMEM;
    *v = p;
    return 0;
}

static int read_checklist(struct vg_risk_scales *s, struct parse *p, struct vg_csv *r)
{
    static const char *const cols[] = {"kind",   "item",  "criterion",
                                       "weight", "title", "description"};
    p->cols = cols;
    p->ncols = 6;
    int rc = header(p, r);
    size_t nrows = 0;
    while (!rc && (rc = next(p, r, &nrows)) == 1) {
        int kind = 0;
        enum vg_risk_criterion crit = VG_RISK_ACCESSIBILITY;
        double weight = 0;
        if ((rc = kind_field(p, 0, 1, &kind)) ||
            (rc = criterion_field(p, 2, VG_RISK_ACCESSIBILITY, VG_RISK_VULNERABILITY, &crit)) ||
            (rc = number(p, 3, 0, 100, 1, &weight)))
            return rc;
        if (crit != VG_RISK_ACCESSIBILITY && crit != VG_RISK_VULNERABILITY)
            return fail_at(p, 2, VG_EFORMAT,
                           "a checklist item feeds accessibility or vulnerability, not %s",
                           criterion_names[crit]);
        const char *name = field(p, 1);
        if (!name[0] || strlen(name) > 64 ||
            name[strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_")])
            return fail_at(p, 1, VG_EFORMAT,
                           "an item name is 1 to 64 lower-case letters, digits and '_', not "
                           "'%.40s'",
                           name);
        /* The same name twice in a kind's checklist (its own or the common items). */
        for (size_t i = 0; i < s->nitems; i++) {
            const struct vg_risk_item *it = &s->items[i];
            int k2 = strcmp(it->kind, "*") == 0 ? -1 : kind_index(it->kind);
            if (strcmp(it->name, name) == 0 && (kind < 0 || k2 < 0 || kind == k2))
                return fail_at(p, 1, VG_EFORMAT, "item '%s' is already in the checklist of %s",
                               name, kind < 0 || k2 < 0 ? "some kind" : kinds[kind]);
        }
        if ((rc = grow((void **)&s->items, s->nitems, sizeof(*s->items))))
            return rc;
        struct vg_risk_item *it = &s->items[s->nitems];
        memset(it, 0, sizeof(*it));
        s->nitems++;
        it->criterion = crit;
        it->weight = weight;
        if ((rc = text(p, 0, 0, (char **)&it->kind)) || (rc = text(p, 1, 0, (char **)&it->name)) ||
            (rc = text(p, 4, 0, (char **)&it->title)) ||
            (rc = text(p, 5, 1, (char **)&it->description)))
            return rc;
    }
    return rc < 0 ? rc : 0;
}

/* Reads lo,hi,label,description of a band into list (columns 1-4 of cols). */
static int read_band(struct parse *p, struct band_list *list, int max)
{
    int lo = 0, hi = 0, rc;
    if ((rc = whole(p, 1, 1, max, &lo)) || (rc = whole(p, 2, 1, max, &hi)))
        return rc;
    if (lo > hi)
        return fail_at(p, 2, VG_EFORMAT, "hi (%d) is below lo (%d)", hi, lo);
    for (size_t i = 0; i < list->n; i++)
        if (lo <= list->v[i].hi && list->v[i].lo <= hi)
            return fail_at(p, 1, VG_EFORMAT, "%d-%d overlaps the band %d-%d of the same scale", lo,
                           hi, list->v[i].lo, list->v[i].hi);
    if ((rc = grow((void **)&list->v, list->n, sizeof(*list->v))))
        return rc;
    struct band *b = &list->v[list->n++];
    memset(b, 0, sizeof(*b));
    b->lo = lo;
    b->hi = hi;
    if ((rc = text(p, 3, 0, &b->label)) || (rc = text(p, 4, 1, &b->description)))
        return rc;
    return 0;
}

static int read_carver(struct vg_risk_scales *s, struct parse *p, struct vg_csv *r)
{
    static const char *const cols[] = {"criterion", "lo", "hi", "label", "description"};
    p->cols = cols;
    p->ncols = 5;
    int rc = header(p, r);
    size_t nrows = 0;
    while (!rc && (rc = next(p, r, &nrows)) == 1) {
        enum vg_risk_criterion c = VG_RISK_CRITICALITY;
        if ((rc = criterion_field(p, 0, 0, VG_RISK_CARVER_COUNT - 1, &c)) ||
            (rc = read_band(p, &s->carver[c], 10)))
            return rc;
    }
    return rc < 0 ? rc : 0;
}

static int read_fema(struct vg_risk_scales *s, struct parse *p, struct vg_csv *r)
{
    static const char *const cols[] = {"scale", "lo", "hi", "label", "description"};
    p->cols = cols;
    p->ncols = 5;
    int rc = header(p, r);
    size_t nrows = 0;
    while (!rc && (rc = next(p, r, &nrows)) == 1) {
        const char *v = field(p, 0);
        int f = 0;
        while (f < F_COUNT && strcmp(v, fema_scale_names[f]) != 0)
            f++;
        if (f == F_COUNT)
            return fail_at(p, 0, VG_EFORMAT,
                           "unknown scale '%.40s' (asset_value, threat, vulnerability or risk)", v);
        if ((rc = read_band(p, &s->fema[f], f == F_RISK ? RISK_MAX : 10)))
            return rc;
    }
    return rc < 0 ? rc : 0;
}

static int read_defaults(struct vg_risk_scales *s, struct parse *p, struct vg_csv *r)
{
    static const char *const cols[] = {"kind", "size", "criterion", "value", "note"};
    p->cols = cols;
    p->ncols = 5;
    int rc = header(p, r);
    size_t nrows = 0;
    while (!rc && (rc = next(p, r, &nrows)) == 1) {
        int kind = 0, value = 0;
        enum vg_risk_criterion c = VG_RISK_CRITICALITY;
        if ((rc = kind_field(p, 0, 0, &kind)) ||
            (rc = criterion_field(p, 2, 0, VG_RISK_CRITERION_COUNT - 1, &c)) ||
            (rc = whole(p, 3, 1, 10, &value)))
            return rc;
        if (c == VG_RISK_ACCESSIBILITY || c == VG_RISK_VULNERABILITY)
            return fail_at(p, 2, VG_EFORMAT, "%s comes from the checklist: it has no default",
                           criterion_names[c]);
        const char *size = field(p, 1);
        if (!size[0])
            return fail_at(p, 1, VG_EFORMAT, "empty value (use * for every size)");
        for (size_t i = 0; i < s->ndefaults; i++) {
            const struct default_row *d = &s->defaults[i];
            if (d->kind == kind && d->criterion == c && strcasecmp(d->size, size) == 0)
                return fail_at(p, 3, VG_EFORMAT, "a second value for %s, size %s, %s", kinds[kind],
                               size, criterion_names[c]);
        }
        if ((rc = grow((void **)&s->defaults, s->ndefaults, sizeof(*s->defaults))))
            return rc;
        struct default_row *d = &s->defaults[s->ndefaults++];
        memset(d, 0, sizeof(*d));
        d->kind = kind;
        d->criterion = c;
        d->value = value;
        if ((rc = text(p, 1, 0, &d->size)) || (rc = text(p, 4, 1, &d->note)))
            return rc;
    }
    return rc < 0 ? rc : 0;
}

static int read_threat(struct vg_risk_scales *s, struct parse *p, struct vg_csv *r)
{
    static const char *const cols[] = {"rating", "p_min", "label"};
    p->cols = cols;
    p->ncols = 3;
    int rc = header(p, r);
    size_t nrows = 0;
    while (!rc && (rc = next(p, r, &nrows)) == 1) {
        int rating = 1;
        double pmin = 0;
        if ((rc = whole(p, 0, 1, 10, &rating)) || (rc = number(p, 1, 0, 1, 0, &pmin)))
            return rc;
        if (s->threat_seen[rating])
            return fail_at(p, 0, VG_EFORMAT, "rating %d appears twice", rating);
        for (int q = 1; q <= 10; q++) {
            if (!s->threat_seen[q])
                continue;
            if ((q < rating && s->p_min[q] >= pmin) || (q > rating && s->p_min[q] <= pmin))
                return fail_at(p, 1, VG_EFORMAT,
                               "p_min must rise with the rating: %g for rating %d, %g for %d", pmin,
                               rating, s->p_min[q], q);
        }
        if (rating == 1 && pmin != 0)
            return fail_at(p, 1, VG_EFORMAT, "rating 1 must start at p_min 0, not %g", pmin);
        s->threat_seen[rating] = 1;
        s->p_min[rating] = pmin;
        if ((rc = text(p, 2, 1, &s->threat_label[rating])))
            return rc;
    }
    return rc < 0 ? rc : 0;
}

/* The table a file name stands for: its base name up to the first '-' or '.'. */
static int table_of(const char *name)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    size_t n = strcspn(base, "-.");
    for (int t = 0; t < T_COUNT; t++)
        if (strlen(table_names[t]) == n && strncmp(base, table_names[t], n) == 0)
            return t;
    return -1;
}

int vg_risk_scales_parse(struct vg_risk_scales *s, const char *name, const void *data, size_t len,
                         struct vg_error *err)
{
    struct parse p;
    memset(&p, 0, sizeof(p));
    p.file = name;
    p.err = err;
    int t = table_of(name);
    if (t < 0)
        return fail_at(&p, -1, VG_EINVAL,
                       "not a scale table: the name must begin with checklist, carver, defaults, "
                       "fema426 or threat");
    if (s->broken || s->finished)
        return vg_error_set(err, VG_EINVAL, "the scales are %s",
                            s->broken ? "broken by an earlier error" : "finished already");
    if (s->have[t])
        return fail_at(&p, -1, VG_EINVAL, "a second %s table (the first was %s)", table_names[t],
                       s->file[t]);
    struct vg_csv_opts opts = {.delimiter = ',', .max_record = 16384, .max_fields = 64};
    struct vg_csv *r = NULL;
    int rc = vg_csv_open_mem(data, len, &opts, &r);
    if (rc)
        return vg_error_set(err, rc, "%s", vg_strerror(rc));
    s->have[t] = 1;
    if (!(s->file[t] = vg_strdup(name))) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto done;
    }
    switch (t) {
    case T_CHECKLIST:
        rc = read_checklist(s, &p, r);
        break;
    case T_CARVER:
        rc = read_carver(s, &p, r);
        break;
    case T_DEFAULTS:
        rc = read_defaults(s, &p, r);
        break;
    case T_FEMA:
        rc = read_fema(s, &p, r);
        break;
    default:
        rc = read_threat(s, &p, r);
        break;
    }
    if (rc == VG_ENOMEM || rc == VG_EIO)
        vg_error_set(err, rc, "%s", vg_strerror(rc));
done:
    if (rc)
        s->broken = 1;
    vg_csv_destroy(r);
    return rc;
}

/* ---- checking the tables together ---- */

static int fail_table(struct vg_risk_scales *s, int t, struct vg_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_table(struct vg_risk_scales *s, int t, struct vg_error *err, const char *fmt, ...)
{
    if (!err)
        return VG_EFORMAT;
    va_list ap;
    err->code = VG_EFORMAT;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    snprintf(err->file, sizeof(err->file), "%s", s->file[t] ? s->file[t] : table_names[t]);
    err->line = 0;
    err->column[0] = '\0';
    return VG_EFORMAT;
}

/* Checks that the bands of list cover 1..max exactly (overlaps were refused when read) and, for
 * max 10, indexes them by value. */
static int cover(struct vg_risk_scales *s, int t, const struct band_list *list, const char *scale,
                 int max, const struct band **at, struct vg_error *err)
{
    long covered = 0;
    for (size_t i = 0; i < list->n; i++) {
        covered += list->v[i].hi - list->v[i].lo + 1;
        if (at)
            for (int v = list->v[i].lo; v <= list->v[i].hi; v++)
                at[v] = &list->v[i];
    }
    if (covered != max) {
        int gap = 1;
        for (; gap <= max; gap++) {
            size_t i = 0;
            while (i < list->n && !(list->v[i].lo <= gap && gap <= list->v[i].hi))
                i++;
            if (i == list->n)
                break;
        }
        return fail_table(s, t, err, "the %s scale does not cover %d (its bands must cover 1-%d)",
                          scale, gap, max);
    }
    return 0;
}

int vg_risk_scales_finish(struct vg_risk_scales *s, struct vg_error *err)
{
    int rc;
    if (s->broken || s->finished)
        return vg_error_set(err, VG_EINVAL, "the scales are %s",
                            s->broken ? "broken by an earlier error" : "finished already");
    for (int t = 0; t < T_COUNT; t++)
        if (!s->have[t])
            return vg_error_set(err, VG_EINVAL, "the %s table (%s-v%d.csv) is missing",
                                table_names[t], table_names[t], s->version);
    for (int c = 0; c < VG_RISK_CARVER_COUNT; c++)
        if ((rc = cover(s, T_CARVER, &s->carver[c], criterion_names[c], 10, s->carver_at[c], err)))
            return rc;
    for (int f = 0; f < F_COUNT; f++)
        if ((rc = cover(s, T_FEMA, &s->fema[f], fema_scale_names[f], f == F_RISK ? RISK_MAX : 10,
                        f == F_RISK ? NULL : s->fema_at[f], err)))
            return rc;
    for (int q = 1; q <= 10; q++)
        if (!s->threat_seen[q])
            return fail_table(s, T_THREAT, err,
                              "rating %d is missing (every rating 1-10 needs a "
                              "row)",
                              q);
    /* Every kind: a default (size *) for each criterion that has defaults, and at least one
     * checklist item for each of accessibility and vulnerability. */
    for (int k = 0; k < NKINDS; k++) {
        for (int c = 0; c < VG_RISK_CRITERION_COUNT; c++) {
            if (c == VG_RISK_ACCESSIBILITY || c == VG_RISK_VULNERABILITY)
                continue;
            size_t i = 0;
            while (i < s->ndefaults &&
                   !(s->defaults[i].kind == k && (int)s->defaults[i].criterion == c &&
                     strcmp(s->defaults[i].size, "*") == 0))
                i++;
            if (i == s->ndefaults)
                return fail_table(s, T_DEFAULTS, err,
                                  "no default %s for %s sites (a row with size *)",
                                  criterion_names[c], kinds[k]);
        }
        size_t n = 0, na = 0, nv = 0;
        for (size_t i = 0; i < s->nitems; i++) {
            const struct vg_risk_item *it = &s->items[i];
            if (strcmp(it->kind, "*") != 0 && kind_index(it->kind) != k)
                continue;
            n++;
            na += it->criterion == VG_RISK_ACCESSIBILITY;
            nv += it->criterion == VG_RISK_VULNERABILITY;
        }
        if (!na || !nv)
            return fail_table(s, T_CHECKLIST, err, "%s sites have no checklist item for %s",
                              kinds[k], na ? "vulnerability" : "accessibility");
        if (n > VG_RISK_MAX_ITEMS)
            return fail_table(s, T_CHECKLIST, err,
                              "%s sites have %zu checklist items, more than "
                              "%d",
                              kinds[k], n, VG_RISK_MAX_ITEMS);
        vg_free(s->by_kind[k]);
        if (!(s->by_kind[k] = vg_malloc(n * sizeof(*s->by_kind[k]))))
            return vg_error_set(err, VG_ENOMEM, "out of memory");
        size_t j = 0;
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = 0; i < s->nitems; i++) {
                const struct vg_risk_item *it = &s->items[i];
                int common = strcmp(it->kind, "*") == 0;
                if (pass == 0 ? common : !common && kind_index(it->kind) == k)
                    s->by_kind[k][j++] = it;
            }
        s->nby_kind[k] = n;
    }
    s->finished = 1;
    return 0;
}

int vg_risk_scales_load(const char *dir, int version, struct vg_risk_scales **out,
                        struct vg_error *err)
{
    struct vg_risk_scales *s = NULL;
    char path[4096];
    char *data = NULL;
    int rc = vg_risk_scales_create(version, &s);
    if (rc)
        return vg_error_set(err, rc, "out of memory");
    for (int t = 0; t < T_COUNT; t++) {
        snprintf(path, sizeof(path), "%s/%s-v%d.csv", dir, table_names[t], version);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            rc = vg_error_set(err, VG_EIO, "cannot open %s: %s", path, strerror(errno));
            goto fail;
        }
        /* A scale table is small: read it whole, up to 1 MiB. */
        size_t cap = (size_t)1 << 20, len = 0;
        if (!(data = vg_malloc(cap))) {
            close(fd);
            rc = vg_error_set(err, VG_ENOMEM, "out of memory");
            goto fail;
        }
        ssize_t got;
        while ((got = read(fd, data + len, cap - len)) > 0 || (got < 0 && errno == EINTR))
            if (got > 0)
                len += (size_t)got;
        int saved = errno;
        close(fd);
        if (got < 0) {
            rc = vg_error_set(err, VG_EIO, "cannot read %s: %s", path, strerror(saved));
            goto fail;
        }
        if (len == cap) {
            rc = vg_error_set(err, VG_ETOOBIG, "%s is larger than 1 MiB", path);
            goto fail;
        }
        if ((rc = vg_risk_scales_parse(s, path, data, len, err)))
            goto fail;
        vg_free(data);
        data = NULL;
    }
    if ((rc = vg_risk_scales_finish(s, err)))
        goto fail;
    *out = s;
    return 0;
fail:
    vg_free(data);
    vg_risk_scales_destroy(s);
    return rc;
}

/* ---- lookups ---- */

size_t vg_risk_checklist(const struct vg_risk_scales *s, const char *kind,
                         const struct vg_risk_item *const **items)
{
    int k = kind ? kind_index(kind) : -1;
    if (k < 0 || !s->by_kind[k]) {
        *items = NULL;
        return 0;
    }
    *items = s->by_kind[k];
    return s->nby_kind[k];
}

const struct vg_risk_item *vg_risk_item_find(const struct vg_risk_scales *s, const char *kind,
                                             const char *name)
{
    const struct vg_risk_item *const *items;
    size_t n = vg_risk_checklist(s, kind, &items);
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(items[i]->name, name) == 0)
            return items[i];
    return NULL;
}

int vg_risk_item_error(const struct vg_risk_scales *s, const char *kind, const char *name,
                       struct vg_error *err)
{
    const struct vg_risk_item *const *items;
    size_t n = vg_risk_checklist(s, kind, &items);
    char list[VG_ERROR_MSG_MAX];
    size_t len = 0;
    list[0] = '\0';
    for (size_t i = 0; i < n && len < sizeof(list); i++)
        len +=
            (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", items[i]->name);
    return vg_error_set(err, VG_EINVAL, "unknown item '%.64s' for a%s %s site (valid: %s)", name,
                        kind && strchr("aeiou", kind[0]) ? "n" : "", kind ? kind : "?", list);
}

const char *vg_risk_scale_label(const struct vg_risk_scales *s, enum vg_risk_criterion c, int value,
                                const char **description)
{
    const struct band *b = NULL;
    if (value >= 1 && value <= 10) {
        if ((unsigned)c < VG_RISK_CARVER_COUNT)
            b = s->carver_at[c][value];
        else if (c == VG_RISK_ASSET_VALUE)
            b = s->fema_at[F_ASSET][value];
        else if (c == VG_RISK_THREAT)
            b = s->fema_at[F_THREAT][value];
    }
    if (description)
        *description = b ? b->description : NULL;
    return b ? b->label : NULL;
}

const char *vg_risk_fema_vulnerability_label(const struct vg_risk_scales *s, int value,
                                             const char **description)
{
    const struct band *b = value >= 1 && value <= 10 ? s->fema_at[F_VULN][value] : NULL;
    if (description)
        *description = b ? b->description : NULL;
    return b ? b->label : NULL;
}

const char *vg_risk_band(const struct vg_risk_scales *s, int fema_score, const char **description)
{
    const struct band_list *l = &s->fema[F_RISK];
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].lo <= fema_score && fema_score <= l->v[i].hi) {
            if (description)
                *description = l->v[i].description;
            return l->v[i].label;
        }
    }
    if (description)
        *description = NULL;
    return NULL;
}

/* ---- for score.c (risk_internal.h) ---- */

int vg__risk_default(const struct vg_risk_scales *s, const char *kind, const char *size,
                     enum vg_risk_criterion c, int *value, const char **note, const char **size_row)
{
    int k = kind_index(kind);
    const struct default_row *any = NULL;
    for (size_t i = 0; i < s->ndefaults; i++) {
        const struct default_row *d = &s->defaults[i];
        if (d->kind != k || d->criterion != c)
            continue;
        if (size && strcasecmp(d->size, size) == 0) {
            any = d;
            break;
        }
        if (strcmp(d->size, "*") == 0)
            any = d;
    }
    if (!any)
        return VG_ENOTFOUND;
    *value = any->value;
    *note = any->note;
    *size_row = any->size;
    return 0;
}

int vg__risk_threat_rating(const struct vg_risk_scales *s, double p, const char **label)
{
    int r = 1;
    for (int q = 2; q <= 10; q++)
        if (p >= s->p_min[q])
            r = q;
    if (label)
        *label = s->threat_label[r];
    return r;
}
