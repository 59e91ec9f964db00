/* gtd.c - the meaning of GTD columns, and the conversion of one row into an incident.
 *
 * A header is mapped once: each column gets a role, either one of the incident's fields (found by
 * its name in the GTD 0718 layout or one of the variants in the `names` table, compared without
 * regard to case) or EXTRA, meaning "keep it in the JSON column". Any subset and any order of
 * columns works; only an event id and a year are required.
 *
 * Converting a row checks every value of a field against its type and range and stops at the
 * first that fails, naming the column; unknown values (empty, N/A, and GTD's -9/-99 in numeric
 * fields) become NULL. Extra columns are written into a JSON object, skipping unknown values, with
 * integers as JSON numbers and everything else as strings. The content hash covers every value
 * that is stored, so storing the same row twice is recognised as no change.
 *
 * Ownership: the map owns its role and name arrays; a row owns its extra buffer, and its incident
 * borrows the caller's values. Thread-safety: a map is read-only after creation and may be shared;
 * a row belongs to one thread. */
#include "gtd.h"
#include "vigil/hash.h"
#include "vigil/text.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum role {
    R_EXTRA = 0,
    R_EVENTID,
    R_SOURCE,
    R_YEAR,
    R_MONTH,
    R_DAY,
    R_COUNTRY_CODE, /* a code, or a name when the file has no country_txt */
    R_COUNTRY,
    R_REGION_CODE,
    R_REGION,
    R_PROVSTATE,
    R_CITY,
    R_LATITUDE,
    R_LONGITUDE,
    R_SPECIFICITY,
    R_ATTACK_CODE,
    R_ATTACK,
    R_TARGET_CODE,
    R_TARGET,
    R_WEAPON_CODE,
    R_WEAPON,
    R_GROUP,
    R_KILLED,
    R_WOUNDED,
    R_SUCCESS,
    R_SUICIDE,
    R_SUMMARY,
    R_COUNT
};

static const struct {
    const char *name;
    enum role role;
} names[] = {
    {"eventid", R_EVENTID},
    {"event_id", R_EVENTID},
    {"source_id", R_EVENTID},
    {"source", R_SOURCE},
    {"adatforras", R_SOURCE},
    {"iyear", R_YEAR},
    {"year", R_YEAR},
    {"imonth", R_MONTH},
    {"month", R_MONTH},
    {"iday", R_DAY},
    {"day", R_DAY},
    {"country", R_COUNTRY_CODE},
    {"country_txt", R_COUNTRY},
    {"region", R_REGION_CODE},
    {"region_txt", R_REGION},
    {"provstate", R_PROVSTATE},
    {"city", R_CITY},
    {"latitude", R_LATITUDE},
    {"longitude", R_LONGITUDE},
    {"specificity", R_SPECIFICITY},
    {"attacktype1", R_ATTACK_CODE},
    {"attacktype1_txt", R_ATTACK},
    {"targtype1", R_TARGET_CODE},
    {"targtype1_txt", R_TARGET},
    {"weaptype1", R_WEAPON_CODE},
    {"weaptype1_txt", R_WEAPON},
    {"gname", R_GROUP},
    {"nkill", R_KILLED},
    {"nwound", R_WOUNDED},
    {"success", R_SUCCESS},
    {"suicide", R_SUICIDE},
    {"summary", R_SUMMARY},
};

struct vg__gtd_map {
    size_t n;
    unsigned char *roles;
    char **names;        /* column names as JSON-ready strings (duplicates made unique) */
    uint64_t *name_hash; /* seeds of the extra columns' values in the content hash */
    int has[R_COUNT];
};

void vg__gtd_map_destroy(struct vg__gtd_map *m)
{
    if (!m)
        return;
    if (m->names)
        for (size_t i = 0; i < m->n; i++)
            vg_free(m->names[i]);
    vg_free(m->names);
    vg_free(m->name_hash);
    vg_free(m->roles);
    vg_free(m);
}

size_t vg__gtd_map_columns(const struct vg__gtd_map *m)
{
    return m->n;
}

const char *vg__gtd_map_name(const struct vg__gtd_map *m, size_t column)
{
    return column < m->n ? m->names[column] : "";
}

static enum role role_of(const char *name)
{
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(name, names[i].name) == 0)
            return names[i].role;
    return R_EXTRA;
}

/* The column of the names so far that is called name, or -1. slots holds column + 1 (0: free). */
static long name_find(const struct vg__gtd_map *m, const size_t *slots, size_t cap,
                      const char *name)
{
    size_t h = (size_t)vg_hash64(name, strlen(name), 0) & (cap - 1);
    for (; slots[h]; h = (h + 1) & (cap - 1))
        if (strcmp(m->names[slots[h] - 1], name) == 0)
            return (long)(slots[h] - 1);
    return -1;
}

static void name_add(const struct vg__gtd_map *m, size_t *slots, size_t cap, size_t column)
{
    const char *name = m->names[column];
    size_t h = (size_t)vg_hash64(name, strlen(name), 0) & (cap - 1);
    while (slots[h])
        h = (h + 1) & (cap - 1);
    slots[h] = column + 1;
}

int vg__gtd_map_create(char *const *cols, const size_t *lens, size_t n, struct vg__gtd_map **out,
                       struct vg_error *err)
{
    size_t *slots = NULL;
    unsigned *next_suffix = NULL;
    int rc;
    struct vg__gtd_map *m = vg_calloc(1, sizeof(*m));
    if (!m)
        return vg_error_set(err, VG_ENOMEM, "out of memory");
    m->n = n;
    m->roles = vg_calloc(n, 1);
    m->names = vg_calloc(n, sizeof(char *));
    m->name_hash = vg_calloc(n, sizeof(uint64_t));
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    slots = vg_calloc(cap, sizeof(size_t));
    next_suffix = vg_calloc(n ? n : 1, sizeof(unsigned));
    if (!m->roles || !m->names || !m->name_hash || !slots || !next_suffix)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        char name[128];
        size_t len = lens[i];
        const char *c = cols[i];
        while (len && (*c == ' ' || *c == '\t'))
            c++, len--;
        while (len && (c[len - 1] == ' ' || c[len - 1] == '\t'))
            len--;
        if (len == 0)
            snprintf(name, sizeof(name), "column_%zu", i + 1);
        else if (len >= sizeof(name)) {
            rc = vg_error_set(err, VG_ETOOBIG, "column %zu: name longer than %zu bytes", i + 1,
                              sizeof(name) - 1);
            goto fail;
        } else
            memcpy(name, c, len), name[len] = '\0';
        enum role r = role_of(name);
        if (r != R_EXTRA && m->has[r])
            r = R_EXTRA; /* a second column for the same field is kept, not used */
        /* Two columns with the same name: the later ones get a suffix (_2, _3, ...) so no JSON
         * key repeats. A hash set of the names so far, and the next suffix to try for each name,
         * keep this linear however many columns share a name. */
        long same = name_find(m, slots, cap, name);
        if (same >= 0) {
            char base[100];
            size_t blen = vg_text_utf8_prefix(name, strlen(name), 90);
            memcpy(base, name, blen); /* cut at a character, so the name stays UTF-8 */
            base[blen] = '\0';
            do
                snprintf(name, sizeof(name), "%s_%u", base, next_suffix[same]++);
            while (name_find(m, slots, cap, name) >= 0);
        }
        m->roles[i] = (unsigned char)r;
        m->has[r] = 1;
        if (!(m->names[i] = vg_strdup(name)))
            goto nomem;
        m->name_hash[i] = vg_hash64(name, strlen(name), R_COUNT);
        name_add(m, slots, cap, i);
        next_suffix[i] = 2;
    }
    if (!m->has[R_EVENTID] || !m->has[R_YEAR]) {
        rc = vg_error_set(err, VG_EFORMAT,
                          "the header has no %s column (found %zu columns; a GTD file needs "
                          "at least eventid and iyear or year)",
                          m->has[R_EVENTID] ? "year (iyear or year)" : "eventid", n);
        goto fail;
    }
    vg_free(slots);
    vg_free(next_suffix);
    *out = m;
    return 0;
nomem:
    rc = vg_error_set(err, VG_ENOMEM, "out of memory");
fail:
    vg_free(slots);
    vg_free(next_suffix);
    vg__gtd_map_destroy(m);
    return rc;
}

void vg__gtd_row_init(struct vg__gtd_row *row)
{
    memset(row, 0, sizeof(*row));
    vg_buf_init(&row->extra, 16u << 20);
}

void vg__gtd_row_cleanup(struct vg__gtd_row *row)
{
    vg_buf_cleanup(&row->extra);
}

/* ---- values ---- */

static int is_unknown(const char *s, size_t n)
{
    return n == 0 ||
           (n == 3 && (s[0] == 'N' || s[0] == 'n') && s[1] == '/' && (s[2] == 'A' || s[2] == 'a'));
}

static int is_sentinel(const char *s, size_t n)
{
    return (n == 2 && s[0] == '-' && s[1] == '9') ||
           (n == 3 && s[0] == '-' && s[1] == '9' && s[2] == '9');
}

/* Parses a decimal integer, allowing a fraction of zeros ("6.0", as spreadsheets write). */
static int parse_int(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (i == n || s[i] < '0' || s[i] > '9')
        return -1;
    int64_t v = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] == '0'; i++)
            ;
    }
    if (i != n)
        return -1;
    *out = neg ? -v : v;
    return 0;
}

static int parse_real(char *s, size_t n, double *out)
{
    char tmp[64];
    if (n == 0 || n >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    /* A decimal comma (34,5) is read as a point when there is no point. */
    char *comma = strchr(tmp, ',');
    if (comma && !strchr(tmp, '.') && !strchr(comma + 1, ','))
        *comma = '.';
    char c = tmp[0];
    if (!(c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9')))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (tmp[i] == 'x' || tmp[i] == 'X')
            return -1; /* no hexadecimal floats */
    errno = 0;
    char *end;
    double v = strtod(tmp, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static void trim(char **s, size_t *n)
{
    char *p = *s;
    size_t len = *n;
    while (len && (*p == ' ' || *p == '\t'))
        p++, len--;
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
        len--;
    p[len] = '\0'; /* safe: the value was NUL-terminated at or after p + len */
    *s = p;
    *n = len;
}

static int reject(struct vg__gtd_row *row, const struct vg__gtd_map *m, size_t col, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));

static int reject(struct vg__gtd_row *row, const struct vg__gtd_map *m, size_t col, const char *fmt,
                  ...)
{
    va_list ap;
    row->bad_column = m->names[col];
    va_start(ap, fmt);
    vsnprintf(row->reason, sizeof(row->reason), fmt, ap);
    va_end(ap);
    return VG_EFORMAT;
}

static int days_in_month(int64_t y, int64_t mo)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[mo - 1];
}

/* Integers with a range; the sentinels are unknown. */
static int get_int(const struct vg__gtd_map *m, struct vg__gtd_row *row, size_t col, char *v,
                   size_t n, int64_t lo, int64_t hi, int64_t *out)
{
    int64_t x;
    if (is_unknown(v, n) || is_sentinel(v, n)) {
        *out = VG_NULL_INT;
        return 0;
    }
    if (parse_int(v, n, &x))
        return reject(row, m, col, "not a whole number: \"%.60s\"", v);
    if (x == -9 || x == -99) { /* the sentinels, written as -9.0 by spreadsheets */
        *out = VG_NULL_INT;
        return 0;
    }
    if (x < lo || x > hi) {
        row->bad_column = m->names[col];
        snprintf(row->reason, sizeof(row->reason), "%.60s is out of range (%lld to %lld)", v,
                 (long long)lo, (long long)hi);
        return VG_EFORMAT;
    }
    *out = x;
    return 0;
}

static void put_extra(struct vg_buf *b, const char *key, const char *v, size_t n, int *rc)
{
    if (*rc)
        return;
    if (b->len > 1)
        *rc = vg_buf_putc(b, ',');
    if (!*rc)
        *rc = vg_buf_json_string(b, key, strlen(key));
    if (!*rc)
        *rc = vg_buf_putc(b, ':');
    if (*rc)
        return;
    /* Plain integers (no sign quirks, no leading zeros, at most 15 digits) become numbers. */
    size_t i = v[0] == '-' ? 1 : 0;
    int integer = n > i && n - i <= 15 && !(v[i] == '0' && n - i > 1);
    for (size_t j = i; integer && j < n; j++)
        integer = v[j] >= '0' && v[j] <= '9';
    *rc = integer ? vg_buf_append(b, v, n) : vg_buf_json_string(b, v, n);
}

int vg__gtd_convert(const struct vg__gtd_map *m, char **vals, size_t *lens, size_t n,
                    const char *default_source, struct vg__gtd_row *row)
{
    struct vg_incident *inc = &row->inc;
    int rc = 0;
    /* The content hash is a sum of one hash per stored value, seeded by its field (or, for an
     * extra column, by its name), so it does not depend on the order of the columns. */
    uint64_t h = 0;

    vg_incident_clear(inc);
    row->bad_column = NULL;
    row->reason[0] = '\0';
    vg_buf_reset(&row->extra);
    if ((rc = vg_buf_putc(&row->extra, '{')))
        return rc;
    inc->source = default_source;

    for (size_t i = 0; i < n && i < m->n; i++) {
        char *v = vals[i];
        size_t len = lens[i];
        enum role r = (enum role)m->roles[i];
        if (r == R_EXTRA) {
            if (is_unknown(v, len) || is_sentinel(v, len))
                continue;
            put_extra(&row->extra, m->names[i], v, len, &rc);
            h += vg_hash64(v, len, m->name_hash[i]);
            if (rc)
                return rc;
            continue;
        }
        trim(&v, &len);
        if (r != R_EVENTID && r != R_SOURCE && !is_unknown(v, len))
            h += vg_hash64(v, len, (uint64_t)r);
        switch (r) {
        case R_EVENTID:
            if (is_unknown(v, len))
                return reject(row, m, i, "the event id is missing");
            inc->source_id = v;
            break;
        case R_SOURCE:
            if (!is_unknown(v, len))
                inc->source = v;
            break;
        case R_YEAR:
            if (is_unknown(v, len))
                return reject(row, m, i, "the year is missing");
            if ((rc = get_int(m, row, i, v, len, 1800, 2200, &inc->year)))
                return rc;
            if (inc->year == VG_NULL_INT)
                return reject(row, m, i, "the year is unknown (%s)", v);
            break;
        case R_MONTH:
            if ((rc = get_int(m, row, i, v, len, 0, 12, &inc->month)))
                return rc;
            if (inc->month == 0)
                inc->month = VG_NULL_INT;
            break;
        case R_DAY:
            if ((rc = get_int(m, row, i, v, len, 0, 31, &inc->day)))
                return rc;
            if (inc->day == 0)
                inc->day = VG_NULL_INT;
            break;
        case R_COUNTRY_CODE:
        case R_REGION_CODE: {
            int64_t *code = r == R_COUNTRY_CODE ? &inc->country_code : &inc->region_code;
            const char **name = r == R_COUNTRY_CODE ? &inc->country : &inc->region;
            int has_txt = m->has[r == R_COUNTRY_CODE ? R_COUNTRY : R_REGION];
            int64_t x;
            if (is_unknown(v, len) || is_sentinel(v, len))
                break;
            if (parse_int(v, len, &x) == 0) {
                if (x == -9 || x == -99)
                    break; /* the sentinels, written as -9.0 */
                if (x < 0)
                    return reject(row, m, i, "negative code: %.60s", v);
                *code = x;
            } else if (!has_txt) {
                *name = v; /* a name where GTD puts the code */
            } else {
                return reject(row, m, i, "not a numeric code: \"%.60s\"", v);
            }
            break;
        }
        case R_COUNTRY:
            inc->country = is_unknown(v, len) ? inc->country : v;
            break;
        case R_REGION:
            inc->region = is_unknown(v, len) ? inc->region : v;
            break;
        case R_PROVSTATE:
            inc->provstate = is_unknown(v, len) ? NULL : v;
            break;
        case R_CITY:
            inc->city = is_unknown(v, len) ? NULL : v;
            break;
        case R_LATITUDE:
        case R_LONGITUDE: {
            double x, lim = r == R_LATITUDE ? 90.0 : 180.0;
            if (is_unknown(v, len))
                break;
            if (parse_real(v, len, &x))
                return reject(row, m, i, "not a number: \"%.60s\"", v);
            if (x < -lim || x > lim)
                return reject(row, m, i, "coordinate %.60s is out of range", v);
            *(r == R_LATITUDE ? &inc->latitude : &inc->longitude) = x;
            break;
        }
        case R_SPECIFICITY:
            if ((rc = get_int(m, row, i, v, len, 1, 5, &inc->specificity)))
                return rc;
            break;
        case R_ATTACK_CODE:
            if ((rc = get_int(m, row, i, v, len, 0, 1000000, &inc->attack_code)))
                return rc;
            break;
        case R_TARGET_CODE:
            if ((rc = get_int(m, row, i, v, len, 0, 1000000, &inc->target_code)))
                return rc;
            break;
        case R_WEAPON_CODE:
            if ((rc = get_int(m, row, i, v, len, 0, 1000000, &inc->weapon_code)))
                return rc;
            break;
        case R_ATTACK:
            inc->attack = is_unknown(v, len) ? NULL : v;
            break;
        case R_TARGET:
            inc->target = is_unknown(v, len) ? NULL : v;
            break;
        case R_WEAPON:
            inc->weapon = is_unknown(v, len) ? NULL : v;
            break;
        case R_GROUP:
            inc->group = is_unknown(v, len) ? NULL : v;
            break;
        case R_KILLED:
            if ((rc = get_int(m, row, i, v, len, 0, 100000000, &inc->killed)))
                return rc;
            break;
        case R_WOUNDED:
            if ((rc = get_int(m, row, i, v, len, 0, 100000000, &inc->wounded)))
                return rc;
            break;
        case R_SUCCESS:
            if ((rc = get_int(m, row, i, v, len, 0, 1, &inc->success)))
                return rc;
            break;
        case R_SUICIDE:
            if ((rc = get_int(m, row, i, v, len, 0, 1, &inc->suicide)))
                return rc;
            break;
        case R_SUMMARY:
            inc->summary = is_unknown(v, len) ? NULL : v;
            break;
        case R_EXTRA:
        case R_COUNT:
            break;
        }
    }
    if (inc->day != VG_NULL_INT) {
        size_t col = 0;
        while (col < m->n && m->roles[col] != R_DAY)
            col++;
        if (inc->month == VG_NULL_INT)
            return reject(row, m, col, "a day is given without a month");
        if (inc->day > days_in_month(inc->year, inc->month)) {
            char date[64];
            snprintf(date, sizeof(date), "%04lld-%02lld-%02lld", (long long)inc->year,
                     (long long)inc->month, (long long)inc->day);
            return reject(row, m, col, "impossible date %s", date);
        }
    }
    if ((rc = vg_buf_putc(&row->extra, '}')))
        return rc;
    inc->extra = row->extra.data;
    inc->extra_len = row->extra.len;
    inc->hash = vg_hash64(&h, sizeof(h), 0x5647);
    return 0;
}
