/* sites.c - the registry of key sites: importing CSV files of sites, finding and listing them.
 *
 * Import. A file of sites is read with the streaming CSV reader (csv.h), which finds the
 * delimiter, skips a byte order mark and takes CRLF. The first record is the header; its columns
 * are recognised by name, compared without case, spaces, underscores and hyphens, against the
 * names the files in the wild use (the tables `roles` below): latitude_deg / Latitude / lat /
 * stop_lat / "GTFS Latitude", the same for longitude, name / stop_name, id / ident / stop_id,
 * iata_code, icao_code / gps_code, iso_country / country, municipality / city, type, and station
 * codes (ril100, ds100, stop_code). A first record that is not a header but has the shape of the
 * OpenFlights airports.dat layout (an integer id, then name, city, country, IATA, ICAO, latitude,
 * longitude, ...) is read as data in that layout. Every column without a role is kept, as text,
 * in the JSON object `extra`, so nothing the file gave is lost. OpenFlights' `\N` means unknown,
 * as an empty field does.
 *
 * A row's identity is (source, source_id): the source is the file's base name (or the caller's),
 * the source id the row's id column, else its code, else its name. Rows whose id repeats an
 * earlier row of the same file are rejected (otherwise a re-import would update one with the
 * other forever). Other rejections: no name, coordinates missing, not numbers, or out of range,
 * text that is not UTF-8 (when the file is UTF-8) or holds a NUL byte, a name longer than
 * VG_SITE_NAME_MAX. Numbers take a decimal comma when the delimiter is not a comma (the DB station
 * lists of other years); the delimiter is the one the reader found, asked of it once the header
 * is read. Blank lines are skipped, before the header too.
 *
 * The shape of a row is checked first, as ingest.c does: as many fields as the header. A record
 * over several lines is a quoted field with line ends in it; when its field count is wrong, a
 * closing quote is followed by other text, or a line end sits in a column the import uses (a
 * name, a code, a coordinate: none holds one), it is most likely a stray quote that swallowed the
 * lines after it. Its first line is rejected and the reader goes back (vg_csv_resync) to read the
 * others as rows of their own. A line end in a column kept in `extra` is taken as it is.
 *
 * Encoding, as in ingest.c: with VG_ENCODING_AUTO the first row holding a byte above 0x7F decides
 * (the header counts), UTF-8 when it is well-formed UTF-8, else ISO-8859-1 for the whole file. The
 * header is converted like the rows before its names are matched, so `L\xe4nge` in a Latin-1
 * file is the longitude and the names kept for `extra` are UTF-8.
 *
 * The country of a site is stored as its ISO alpha-2 code when countries.c knows it (by code or by
 * name), else as the file gives it; its GTD region comes from the same table.
 *
 * Writes: one transaction per file, with prepared statements; when the caller already holds a
 * transaction (the CLI, which appends an audit record in the same one) the import runs inside it.
 * For each row the stored row hash is compared with the new one: equal, nothing is written
 * (unchanged); different, the row is updated; absent, inserted. So re-importing a file changes
 * nothing, and a changed row is updated in place, keeping its id (assessments refer to it).
 *
 * Finding a site (vg_site_lookup). A decimal key is an id. Any other key is a code, compared
 * without case with the code, IATA and ICAO columns (each has a NOCASE index). The same airport
 * is in OurAirports and in OpenFlights, and a DB station's DS100 code can be an airport's IATA
 * code (Raunheim is "FRA"), so a code often matches several rows; the rule that picks one:
 *   1. a match on the IATA or ICAO column ranks above a match on the code column alone, and only
 *      the best-ranked matches count;
 *   2. one best match is the site;
 *   3. several are the same place imported from several files when they are of one kind, each
 *      comes from a different file (a file lists a place once), and every two lie within
 *      VG_SITE_SAME_KM (3 km) of each other; the one imported first (lowest id) is the site;
 *   4. otherwise the code is ambiguous and the error lists the best-ranked candidates.
 * 3 km: of the 4,068 IATA codes OurAirports and OpenFlights share in the test files, 4,014 lie
 * within 3 km in both (3,977 within 1 km); the 54 others are mostly codes given to another
 * airport since (hundreds to thousands of km apart), which must stay ambiguous. The rows passed
 * over are reported to the caller (struct vg_site_lookup), so the CLI can say so. At most
 * VG_SITE_LOOKUP_MAX rows are compared; a code that matches more stays ambiguous.
 *
 * Ownership: everything allocated here is freed before returning. One store, one thread. */
#include "vigil/csv.h"
#include "vigil/hash.h"
#include "vigil/mem.h"
#include "vigil/sites.h"
#include "vigil/store.h"
#include "vigil/text.h"

#include "reject.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define VG_SITE_NAME_MAX 1000
#define VG_SITES_PER_FILE_MAX 10000000L
#define EXTRA_MAX (1u << 20)

static const char *const kind_names[VG_SITE_KIND_COUNT] = {"airport", "railway", "subway",
                                                           "mall",    "venue",   "other"};

const char *vg_site_kind_name(enum vg_site_kind k)
{
    return (unsigned)k < VG_SITE_KIND_COUNT ? kind_names[k] : NULL;
}

int vg_site_kind_parse(const char *name, enum vg_site_kind *out, struct vg_error *err)
{
    for (int k = 0; k < VG_SITE_KIND_COUNT; k++)
        if (name && strcasecmp(name, kind_names[k]) == 0) {
            *out = (enum vg_site_kind)k;
            return 0;
        }
    return vg_error_set(err, VG_EINVAL,
                        "unknown site kind '%s' (airport, railway, subway, mall, venue or other)",
                        name ? name : "");
}

double vg_geo_km(double lat1, double lon1, double lat2, double lon2)
{
    const double r = M_PI / 180.0;
    double dlat = (lat2 - lat1) * r, dlon = (lon2 - lon1) * r;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * r) * cos(lat2 * r) * sin(dlon / 2) * sin(dlon / 2);
    if (a > 1)
        a = 1;
    return 2 * 6371.0088 * asin(sqrt(a));
}

/* ---- columns ---- */

enum role {
    R_NONE,
    R_ID,
    R_NAME,
    R_LAT,
    R_LON,
    R_IATA,
    R_ICAO,
    R_GPS, /* OurAirports gps_code: the ICAO code when there is no icao_code column */
    R_CODE,
    R_COUNTRY,
    R_CITY,
    R_SIZE,
    R_COUNT
};

/* Names of each role, normalised (lower case, no spaces, underscores or hyphens), in order of
 * preference: when a file has two columns of one role, the earlier name here wins. */
static const struct {
    enum role role;
    const char *names;
} roles[] = {
    {R_ID, "id,ident,stopid,stationid,gtfsstopid,evanr,eva,siteid,airportid,objectid,fid"},
    {R_NAME, "name,stopname,stationname,station,sitename,venuename,title,bezeichnung"},
    {R_LAT, "latitudedeg,latitude,lat,stoplat,gtfslatitude,breite,y"},
    {R_LON, "longitudedeg,longitude,lon,lng,long,stoplon,gtfslongitude,laenge,länge,x"},
    {R_IATA, "iatacode,iata,iatafaa"},
    {R_ICAO, "icaocode,icao"},
    {R_GPS, "gpscode"},
    {R_CODE, "code,stationcode,stopcode,ril100,ds100,ifopt,localcode,gtfsstopid,stopid"},
    {R_COUNTRY, "isocountry,countrycode,country,iso2,land"},
    {R_CITY, "municipality,city,town,ort,borough"},
    {R_SIZE, "type,size,category,kategorie,stationcategory"},
};

/* Lower case without spaces, underscores, hyphens and dots, into out (size n). */
static void normalise(const char *s, char *out, size_t n)
{
    size_t o = 0;
    for (; *s && o + 1 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == ' ' || c == '_' || c == '-' || c == '.' || c == '\t')
            continue;
        out[o++] = (char)tolower(c);
    }
    out[o] = '\0';
}

/* Position of word in the comma-separated list, or -1. */
static int list_pos(const char *list, const char *word)
{
    size_t n = strlen(word);
    int pos = 0;
    while (*list) {
        const char *end = strchr(list, ',');
        size_t len = end ? (size_t)(end - list) : strlen(list);
        if (len == n && memcmp(list, word, n) == 0)
            return pos;
        pos++;
        if (!end)
            break;
        list = end + 1;
    }
    return -1;
}

/* The column layout of one file: for each role the field index (-1: none). A column may serve
 * two roles (GTFS stop_id is id and code). used[i] marks columns left out of `extra`. */
struct layout {
    int col[R_COUNT];
    size_t ncols;
    char **names; /* header names, for extra */
    unsigned char *used;
};

static void layout_cleanup(struct layout *l)
{
    if (l->names)
        for (size_t i = 0; i < l->ncols; i++)
            vg_free(l->names[i]);
    vg_free(l->names);
    vg_free(l->used);
    memset(l, 0, sizeof(*l));
}

/* 1 when s is a number (what strtod takes entirely, finite). */
static int is_number(const char *s)
{
    if (!*s)
        return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    return *end == '\0' && errno == 0 && isfinite(v) && !isalpha((unsigned char)s[0]);
}

/* The OpenFlights airports.dat layout, for files without a header. */
static const char *const openflights_cols[] = {
    "id",        "name",     "city",     "country", "iata", "icao", "latitude",
    "longitude", "altitude", "timezone", "dst",     "tz",   "type", "source"};

/* Makes the layout from the n fields of the first record (in UTF-8), which are the header's
 * names unless they have the OpenFlights shape (*header 0). */
static int layout_make(struct layout *l, const char *const *fields, size_t n, int *header,
                       struct vg_error *err)
{
    memset(l, 0, sizeof(*l));
    for (int r = 0; r < R_COUNT; r++)
        l->col[r] = -1;
    const char *const *names = fields;
    /* OpenFlights without a header: 12 to 14 fields, an integer id and two numbers at 6 and 7. */
    *header = 1;
    if (n >= 12 && n <= 14 && is_number(fields[0]) && is_number(fields[6]) &&
        is_number(fields[7])) {
        *header = 0;
        names = openflights_cols;
    }
    l->ncols = n;
    l->names = vg_calloc(n ? n : 1, sizeof(char *));
    l->used = vg_calloc(n ? n : 1, 1);
    if (!l->names || !l->used)
        goto nomem;
    int pref[R_COUNT];
    for (int r = 0; r < R_COUNT; r++)
        pref[r] = 1 << 30;
    for (size_t i = 0; i < n; i++) {
        if (!(l->names[i] = vg_strdup(names[i])))
            goto nomem;
        char key[128];
        normalise(names[i], key, sizeof(key));
        for (size_t k = 0; k < sizeof(roles) / sizeof(roles[0]); k++) {
            int p = list_pos(roles[k].names, key);
            if (p >= 0 && p < pref[roles[k].role]) {
                pref[roles[k].role] = p;
                l->col[roles[k].role] = (int)i;
            }
        }
    }
    /* An OpenFlights header names its IATA column "iata" and its type "airport": fine. */
    if (l->col[R_LAT] < 0 || l->col[R_LON] < 0 || l->col[R_NAME] < 0) {
        const char *missing = l->col[R_LAT] < 0   ? "latitude"
                              : l->col[R_LON] < 0 ? "longitude"
                                                  : "name";
        layout_cleanup(l);
        return vg_error_set(err, VG_EFORMAT,
                            "no %s column in the header (looked for names such as latitude_deg, "
                            "Latitude, lat, stop_lat, longitude_deg, lon, name, stop_name)",
                            missing);
    }
    for (int r = 0; r < R_COUNT; r++)
        if (l->col[r] >= 0)
            l->used[l->col[r]] = 1;
    return 0;
nomem:
    layout_cleanup(l);
    return vg_error_set(err, VG_ENOMEM, "out of memory");
}

/* ---- one import ---- */

struct seen {
    uint64_t *hash;
    long *line;
    char **id;
    size_t n, size;
};

struct import {
    struct vg_store *store;
    const char *name, *source;
    const struct vg_sites_import_opts *opts;
    struct vg_ingest_stats *stats;
    struct vg_error *err;
    enum vg_encoding enc;
    struct vg_csv *csv;
    char delim; /* the reader's delimiter, known once the header is read */
    struct layout layout;
    sqlite3_stmt *sel, *ins, *upd;
    struct vg_buf conv, extra;
    size_t *offs; /* offsets of the converted fields in conv */
    size_t noffs;
    struct seen seen;
};

static void seen_cleanup(struct seen *s)
{
    for (size_t i = 0; i < s->size; i++)
        vg_free(s->id[i]);
    vg_free(s->hash);
    vg_free(s->line);
    vg_free(s->id);
    memset(s, 0, sizeof(*s));
}

/* Records id as seen on line; returns 0, 1 with *first set when it was seen before, or
 * VG_ENOMEM. An open-addressing table of the ids' hashes that keeps the ids to compare. */
static int seen_add(struct seen *s, const char *id, long line, long *first)
{
    if (2 * (s->n + 1) > s->size) {
        size_t size = s->size ? 2 * s->size : 1024;
        struct seen t = {0};
        t.hash = vg_calloc(size, sizeof(uint64_t));
        t.line = vg_calloc(size, sizeof(long));
        t.id = vg_calloc(size, sizeof(char *));
        if (!t.hash || !t.line || !t.id) {
            seen_cleanup(&t);
            return VG_ENOMEM;
        }
        t.size = size;
        for (size_t i = 0; i < s->size; i++) {
            if (!s->id[i])
                continue;
            size_t j = s->hash[i] & (size - 1);
            while (t.id[j])
                j = (j + 1) & (size - 1);
            t.hash[j] = s->hash[i], t.line[j] = s->line[i], t.id[j] = s->id[i];
            t.n++;
        }
        vg_free(s->hash), vg_free(s->line), vg_free(s->id);
        *s = t;
    }
    uint64_t h = vg_hash64(id, strlen(id), 0x5173);
    size_t j = h & (s->size - 1);
    for (; s->id[j]; j = (j + 1) & (s->size - 1))
        if (s->hash[j] == h && strcmp(s->id[j], id) == 0) {
            *first = s->line[j];
            return 1;
        }
    if (!(s->id[j] = vg_strdup(id)))
        return VG_ENOMEM;
    s->hash[j] = h, s->line[j] = line;
    s->n++;
    return 0;
}

static int do_reject(struct import *im, const struct vg_csv_record *rec, const char *column,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int do_reject(struct import *im, const struct vg_csv_record *rec, const char *column,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    im->stats->rejected++;
    int rc = vg__reject_report(im->opts->on_reject, im->opts->ctx, im->name, rec, column, im->err,
                               fmt, ap);
    va_end(ap);
    return rc;
}

/* Field r of the converted row, or NULL when the file has no such column or the field is empty
 * or "\N". */
static const char *field(struct import *im, const struct vg_csv_record *rec, enum role r)
{
    int c = im->layout.col[r];
    if (c < 0 || (size_t)c >= rec->nfields)
        return NULL;
    const char *s = im->conv.data + im->offs[c];
    while (*s == ' ')
        s++;
    if (!*s || strcmp(s, "\\N") == 0)
        return NULL;
    return s;
}

/* Parses a coordinate: strtod, or with a decimal comma when allowed. 0 or -1. */
static int parse_coord(const char *s, int comma_ok, double *out)
{
    char tmp[64];
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        n--;
    if (n == 0 || n >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *comma = strchr(tmp, ',');
    if (comma) {
        if (!comma_ok || strchr(tmp, '.') || strchr(comma + 1, ','))
            return -1;
        *comma = '.';
    }
    if (!is_number(tmp) || strpbrk(tmp, "xXpP"))
        return -1;
    *out = strtod(tmp, NULL);
    return 0;
}

/* Brings the fields of rec to UTF-8 in im->conv; 0, 1 when the row is not UTF-8 (*bad: the first
 * field that is not), or a negative code. */
static int convert(struct import *im, const struct vg_csv_record *rec, size_t *bad)
{
    if (im->enc == VG_ENCODING_AUTO) {
        for (size_t i = 0; i < rec->nfields; i++)
            if (!vg_text_is_ascii(rec->fields[i], rec->lens[i])) {
                im->enc = vg_text_is_utf8(rec->fields[i], rec->lens[i]) ? VG_ENCODING_UTF8
                                                                        : VG_ENCODING_LATIN1;
                break;
            }
    }
    if (rec->nfields > im->noffs) {
        size_t *p = vg_realloc(im->offs, rec->nfields * sizeof(size_t));
        if (!p)
            return vg_error_set(im->err, VG_ENOMEM, "out of memory");
        im->offs = p, im->noffs = rec->nfields;
    }
    vg_buf_reset(&im->conv);
    for (size_t i = 0; i < rec->nfields; i++) {
        im->offs[i] = im->conv.len;
        int rc;
        if (im->enc == VG_ENCODING_LATIN1) {
            rc = vg_text_latin1_to_utf8(&im->conv, rec->fields[i], rec->lens[i]);
        } else {
            if (!vg_text_is_utf8(rec->fields[i], rec->lens[i])) {
                *bad = i;
                return 1;
            }
            rc = vg_buf_append(&im->conv, rec->fields[i], rec->lens[i]);
        }
        if (rc || (rc = vg_buf_putc(&im->conv, '\0')))
            return vg_error_set(im->err, rc, "%s", vg_strerror(rc));
    }
    return 0;
}

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

/* 1 for a plausible code: 2 to 8 letters or digits. */
static int code_like(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]))
            return 0;
    return 1;
}

/* The column with a role in which the record holds a line end, or -1. */
static int line_end_column(const struct layout *l, const struct vg_csv_record *rec)
{
    for (int r = 0; r < R_COUNT; r++) {
        int c = l->col[r];
        if (c >= 0 && (size_t)c < rec->nfields && memchr(rec->fields[c], '\n', rec->lens[c]))
            return c;
    }
    return -1;
}

/* Checks the shape of rec: 1 when it is sound, else 0 with the row rejected (*rc: 0, or the code
 * that stops the import). A record over several lines that fails is rejected by its first line
 * only, and the reader resumes on its second. */
static int shape_ok(struct import *im, const struct vg_csv_record *rec, int *rc)
{
    const struct layout *l = &im->layout;
    const char *nl = memchr(rec->raw, '\n', rec->raw_len);
    int bad_col = nl ? line_end_column(l, rec) : -1;
    if (rec->nfields == l->ncols && (!nl || (!rec->text_after_quote && bad_col < 0)))
        return 1;
    if (!nl) {
        *rc =
            do_reject(im, rec, NULL, "%zu fields where the header has %zu", rec->nfields, l->ncols);
        return 0;
    }
    /* A stray quote, most likely: reject the first line, read the others again. */
    struct vg_csv_record first = *rec;
    first.raw_len = (size_t)(nl - rec->raw);
    if (first.raw_len && first.raw[first.raw_len - 1] == '\r')
        first.raw_len--;
    if (rec->nfields != l->ncols)
        *rc = do_reject(im, &first, NULL,
                        "%zu fields where the header has %zu, in a quoted field spanning lines; "
                        "reading resumes on the next line",
                        rec->nfields, l->ncols);
    else if (rec->text_after_quote)
        *rc = do_reject(im, &first, NULL,
                        "a quoted field spanning lines closes before other text: a stray quote; "
                        "reading resumes on the next line");
    else
        *rc = do_reject(im, &first, l->names[bad_col],
                        "a quoted field spanning lines in a column that holds no line end: a "
                        "stray quote; reading resumes on the next line");
    vg_csv_resync(im->csv);
    return 0;
}

static int import_row(struct import *im, const struct vg_csv_record *rec)
{
    struct layout *l = &im->layout;
    int rc;
    if (rec->error)
        return do_reject(im, rec, NULL, "%s", rec->error_msg ? rec->error_msg : "bad row");
    if (!shape_ok(im, rec, &rc))
        return rc;
    for (size_t i = 0; i < rec->nfields; i++)
        if (memchr(rec->fields[i], '\0', rec->lens[i]))
            return do_reject(im, rec, l->names[i], "the text holds a NUL byte");
    size_t bad = 0;
    if ((rc = convert(im, rec, &bad)) < 0)
        return rc;
    if (rc == 1)
        return do_reject(im, rec, l->names[bad], "text is not UTF-8 (use --encoding latin1)");
    const char *name = field(im, rec, R_NAME);
    const char *slat = field(im, rec, R_LAT), *slon = field(im, rec, R_LON);
    const char *lat_col = l->names[l->col[R_LAT]], *lon_col = l->names[l->col[R_LON]];
    if (!name)
        return do_reject(im, rec, l->names[l->col[R_NAME]], "no name");
    if (strlen(name) > VG_SITE_NAME_MAX)
        return do_reject(im, rec, l->names[l->col[R_NAME]], "name longer than %d bytes",
                         VG_SITE_NAME_MAX);
    double lat, lon;
    int comma_ok = im->delim != ',';
    if (!slat)
        return do_reject(im, rec, lat_col, "no latitude");
    if (!slon)
        return do_reject(im, rec, lon_col, "no longitude");
    if (parse_coord(slat, comma_ok, &lat))
        return do_reject(im, rec, lat_col, "latitude '%.40s' is not a number", slat);
    if (parse_coord(slon, comma_ok, &lon))
        return do_reject(im, rec, lon_col, "longitude '%.40s' is not a number", slon);
    if (lat < -90 || lat > 90)
        return do_reject(im, rec, lat_col, "latitude %g is not between -90 and 90", lat);
    if (lon < -180 || lon > 180)
        return do_reject(im, rec, lon_col, "longitude %g is not between -180 and 180", lon);

    const char *iata = field(im, rec, R_IATA), *icao = field(im, rec, R_ICAO);
    const char *gps = field(im, rec, R_GPS), *code = field(im, rec, R_CODE);
    if (iata && !code_like(iata, 3, 3))
        iata = NULL; /* OurAirports and OpenFlights write "" or "\N"; anything else odd too */
    if (!icao && gps && code_like(gps, 4, 4) && isalpha((unsigned char)gps[0]))
        icao = gps;
    if (icao && !code_like(icao, 4, 4))
        icao = NULL;
    const char *best = iata ? iata : icao ? icao : code;
    const char *id = field(im, rec, R_ID);
    if (!id)
        id = best ? best : name;
    long first;
    if ((rc = seen_add(&im->seen, id, rec->line, &first)) < 0)
        return vg_error_set(im->err, rc, "out of memory");
    if (rc == 1)
        return do_reject(im, rec, l->col[R_ID] >= 0 ? l->names[l->col[R_ID]] : NULL,
                         "id '%.60s' repeats the row on line %ld", id, first);

    const char *country_in = field(im, rec, R_COUNTRY), *iso2 = NULL;
    if (!country_in)
        country_in = im->opts->country && im->opts->country[0] ? im->opts->country : NULL;
    const char *region = vg_country_region(country_in, &iso2);
    const char *country = iso2 ? iso2 : country_in;
    const char *city = field(im, rec, R_CITY), *size = field(im, rec, R_SIZE);

    /* extra: every column without a role, empty ones as null */
    vg_buf_reset(&im->extra);
    rc = vg_buf_putc(&im->extra, '{');
    int first_key = 1;
    for (size_t i = 0; !rc && i < l->ncols; i++) {
        if (l->used[i])
            continue;
        const char *v = im->conv.data + im->offs[i];
        if (!first_key)
            rc = vg_buf_putc(&im->extra, ',');
        first_key = 0;
        if (!rc)
            rc = vg_buf_json_string(&im->extra, l->names[i], strlen(l->names[i]));
        if (!rc)
            rc = vg_buf_putc(&im->extra, ':');
        if (!rc)
            rc = (!*v || strcmp(v, "\\N") == 0) ? vg_buf_append(&im->extra, "null", 4)
                                                : vg_buf_json_string(&im->extra, v, strlen(v));
    }
    if (!rc)
        rc = vg_buf_putc(&im->extra, '}');
    if (rc == VG_ETOOBIG)
        return do_reject(im, rec, NULL, "the other columns hold more than %u bytes", EXTRA_MAX);
    if (rc)
        return vg_error_set(im->err, rc, "%s", vg_strerror(rc));

    /* the content hash, over everything stored */
    const char *parts[] = {kind_names[im->opts->kind],
                           name,
                           best,
                           iata,
                           icao,
                           country,
                           region,
                           city,
                           size,
                           im->extra.data};
    uint64_t h = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        h = vg_hash64(parts[i] ? parts[i] : "\x01", parts[i] ? strlen(parts[i]) : 1, h);
    h = vg_hash64(&lat, sizeof(lat), h);
    h = vg_hash64(&lon, sizeof(lon), h);
    int64_t hash = (int64_t)(h >> 1);

    sqlite3_stmt *st = im->sel;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, im->source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    int64_t old_hash = 0;
    if (step == SQLITE_ROW) {
        old_hash = sqlite3_column_int64(st, 0);
    } else if (step != SQLITE_DONE) {
        goto dberr;
    }
    sqlite3_reset(st);
    if (step == SQLITE_ROW && old_hash == hash) {
        im->stats->unchanged++;
        return 0;
    }
    st = step == SQLITE_ROW ? im->upd : im->ins;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, kind_names[im->opts->kind], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, im->source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, name, -1, SQLITE_TRANSIENT);
    bind_text(st, 5, best);
    bind_text(st, 6, iata);
    bind_text(st, 7, icao);
    bind_text(st, 8, country);
    bind_text(st, 9, region);
    bind_text(st, 10, city);
    sqlite3_bind_double(st, 11, lat);
    sqlite3_bind_double(st, 12, lon);
    bind_text(st, 13, size);
    sqlite3_bind_text(st, 14, im->extra.data, (int)im->extra.len, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 15, hash);
    if (sqlite3_step(st) != SQLITE_DONE)
        goto dberr;
    sqlite3_reset(st);
    if (step == SQLITE_ROW)
        im->stats->updated++;
    else
        im->stats->inserted++;
    return 0;
dberr:
    rc = vg_error_set(im->err, VG_EDB, "%s", sqlite3_errmsg(vg_store_db(im->store)));
    sqlite3_reset(st);
    return rc;
}

static const char *const sql_sel = "SELECT row_hash FROM sites WHERE source = ?1 AND "
                                   "source_id = ?2";
static const char *const sql_ins =
    "INSERT INTO sites (kind, source, source_id, name, code, iata, icao, country, region, city, "
    "lat, lon, size, extra, row_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
    "?13, ?14, ?15)";
static const char *const sql_upd =
    "UPDATE sites SET kind = ?1, name = ?4, code = ?5, iata = ?6, icao = ?7, country = ?8, "
    "region = ?9, city = ?10, lat = ?11, lon = ?12, size = ?13, extra = ?14, row_hash = ?15 "
    "WHERE source = ?2 AND source_id = ?3";

static int import_csv(struct import *im, struct vg_csv *csv)
{
    sqlite3 *db = vg_store_db(im->store);
    int rc = 0, own_tx = sqlite3_get_autocommit(db);
    struct vg_csv_record rec;
    struct vg_ingest_stats mine = {0};
    struct vg_ingest_stats *outer = im->stats;
    im->stats = &mine;
    if (sqlite3_prepare_v2(db, sql_sel, -1, &im->sel, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, sql_ins, -1, &im->ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, sql_upd, -1, &im->upd, NULL) != SQLITE_OK) {
        rc = vg_error_set(im->err, VG_EDB, "%s", sqlite3_errmsg(db));
        goto out;
    }
    /* The header: the first record that is not blank. */
    do {
        rc = vg_csv_next(csv, &rec);
    } while (rc == 1 && !rec.error && rec.nfields == 1 && rec.lens[0] == 0);
    if (rc < 0) {
        vg_error_set(im->err, rc, "%s", vg_strerror(rc));
        goto out;
    }
    if (rc == 0) {
        rc = vg_error_set(im->err, VG_EFORMAT, "the file is empty (no header row)");
        goto out;
    }
    if (rec.error) {
        rc = vg_error_set(im->err, VG_EFORMAT, "the header row cannot be read: %s",
                          rec.error_msg ? rec.error_msg : "bad row");
        im->err->line = rec.line;
        goto out;
    }
    im->delim = vg_csv_delimiter(csv);
    /* Its names are matched in UTF-8, converted as the rows are. */
    size_t bad = 0;
    if ((rc = convert(im, &rec, &bad)) < 0)
        goto out;
    if (rc == 1) {
        rc = vg_error_set(im->err, VG_EFORMAT,
                          "column %zu of the header is not UTF-8 (use --encoding latin1)", bad + 1);
        im->err->line = rec.line;
        goto out;
    }
    const char **names = vg_calloc(rec.nfields ? rec.nfields : 1, sizeof(char *));
    if (!names) {
        rc = vg_error_set(im->err, VG_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < rec.nfields; i++)
        names[i] = im->conv.data + im->offs[i];
    int header;
    rc = layout_make(&im->layout, names, rec.nfields, &header, im->err);
    vg_free(names);
    if (rc) {
        im->err->line = rec.line;
        goto out;
    }
    if (own_tx && (rc = vg_store_begin(im->store, im->err)))
        goto out;
    if (!header) {
        mine.rows++;
        if ((rc = import_row(im, &rec)))
            goto out_tx;
    }
    for (;;) {
        if (im->opts->cancel && *im->opts->cancel) {
            rc = vg_error_set(im->err, VG_EINVAL, "interrupted");
            break;
        }
        rc = vg_csv_next(csv, &rec);
        if (rc < 0) {
            vg_error_set(im->err, rc, "%s", vg_strerror(rc));
            goto out_tx;
        }
        if (rc == 0)
            break;
        if (rec.nfields == 1 && rec.lens[0] == 0 && !rec.error)
            continue; /* a blank line */
        if (mine.rows >= VG_SITES_PER_FILE_MAX) {
            rc = vg_error_set(im->err, VG_ETOOBIG, "more than %ld sites in one file",
                              VG_SITES_PER_FILE_MAX);
            goto out_tx;
        }
        mine.rows++;
        if ((rc = import_row(im, &rec))) {
            im->err->line = rec.line;
            goto out_tx;
        }
    }
    if (rc == 0 || (im->opts->cancel && *im->opts->cancel)) {
        int crc = own_tx ? vg_store_commit(im->store, im->err) : 0;
        if (crc)
            rc = crc;
        if (!crc) {
            outer->rows += mine.rows, outer->inserted += mine.inserted;
            outer->updated += mine.updated, outer->unchanged += mine.unchanged;
            outer->rejected += mine.rejected;
        }
        goto out;
    }
out_tx:
    if (own_tx)
        vg_store_rollback(im->store);
out:
    im->stats = outer;
    sqlite3_finalize(im->sel);
    sqlite3_finalize(im->ins);
    sqlite3_finalize(im->upd);
    im->sel = im->ins = im->upd = NULL;
    return rc;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int import_run(struct vg_store *s, struct vg_csv *csv, const char *name,
                      const struct vg_sites_import_opts *opts, struct vg_ingest_stats *stats,
                      struct vg_error *err)
{
    struct import im = {0};
    struct vg_error local;
    if (!err)
        err = &local;
    im.store = s;
    im.name = name;
    im.source = opts->source && opts->source[0] ? opts->source : base_name(name);
    im.opts = opts;
    im.stats = stats;
    im.err = err;
    im.enc = opts->encoding;
    im.csv = csv;
    vg_buf_init(&im.conv, VG_CSV_MAX_RECORD_DEFAULT * 2);
    vg_buf_init(&im.extra, EXTRA_MAX);
    int rc = import_csv(&im, csv);
    vg_buf_cleanup(&im.conv);
    vg_buf_cleanup(&im.extra);
    vg_free(im.offs);
    seen_cleanup(&im.seen);
    layout_cleanup(&im.layout);
    if (rc && !err->file[0])
        snprintf(err->file, sizeof(err->file), "%s", name);
    return rc;
}

int vg_sites_import_mem(struct vg_store *s, const char *data, size_t len, const char *name,
                        const struct vg_sites_import_opts *opts, struct vg_ingest_stats *stats,
                        struct vg_error *err)
{
    vg_error_clear(err);
    if ((unsigned)opts->kind >= VG_SITE_KIND_COUNT)
        return vg_error_set(err, VG_EINVAL, "unknown site kind");
    struct vg_csv_opts co = {opts->delimiter, 0, 0};
    struct vg_csv *csv;
    int rc = vg_csv_open_mem(data, len, &co, &csv);
    if (rc)
        return vg_error_set(err, rc, "%s", vg_strerror(rc));
    rc = import_run(s, csv, name, opts, stats, err);
    vg_csv_destroy(csv);
    return rc;
}

int vg_sites_import_path(struct vg_store *s, const char *path,
                         const struct vg_sites_import_opts *opts, struct vg_ingest_stats *stats,
                         struct vg_error *err)
{
    vg_error_clear(err);
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int rc = vg_error_set(err, VG_EIO, "cannot open: %s", strerror(errno));
        snprintf(err->file, sizeof(err->file), "%s", path);
        return rc;
    }
    /* A file of sites is small (tens of thousands of rows): read it whole, with a cap. */
    struct vg_buf b;
    vg_buf_init(&b, (size_t)1 << 30);
    int rc = 0;
    char chunk[1 << 16];
    for (;;) {
        ssize_t got = read(fd, chunk, sizeof(chunk));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = vg_error_set(err, VG_EIO, "cannot read: %s", strerror(errno));
            break;
        }
        if (got == 0)
            break;
        if ((rc = vg_buf_append(&b, chunk, (size_t)got))) {
            vg_error_set(err, rc,
                         rc == VG_ETOOBIG ? "a file of sites larger than 1 GiB" : "out of memory");
            break;
        }
    }
    if (fd != STDIN_FILENO)
        close(fd);
    if (rc) {
        snprintf(err->file, sizeof(err->file), "%s", path);
    } else {
        rc = vg_sites_import_mem(s, b.data ? b.data : "", b.len,
                                 strcmp(path, "-") == 0 ? "stdin" : path, opts, stats, err);
    }
    vg_buf_cleanup(&b);
    return rc;
}

/* ---- reading ---- */

#define SITE_COLS                                                                                  \
    "id, kind, source, source_id, name, code, iata, icao, country, region, city, lat, lon, size"

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static void site_from_row(sqlite3_stmt *st, struct vg_site *site)
{
    memset(site, 0, sizeof(*site));
    site->id = sqlite3_column_int64(st, 0);
    const char *kind = col_text(st, 1);
    site->kind = VG_SITE_OTHER;
    for (int k = 0; kind && k < VG_SITE_KIND_COUNT; k++)
        if (strcmp(kind, kind_names[k]) == 0)
            site->kind = (enum vg_site_kind)k;
    site->source = col_text(st, 2);
    site->source_id = col_text(st, 3);
    site->name = col_text(st, 4);
    site->code = col_text(st, 5);
    site->iata = col_text(st, 6);
    site->icao = col_text(st, 7);
    site->country = col_text(st, 8);
    site->region = col_text(st, 9);
    site->city = col_text(st, 10);
    site->lat = sqlite3_column_double(st, 11);
    site->lon = sqlite3_column_double(st, 12);
    site->size = col_text(st, 13);
}

void vg_site_cleanup(struct vg_site *site)
{
    if (!site)
        return;
    vg_free(site->storage_);
    memset(site, 0, sizeof(*site));
}

/* Copies the strings of a site into one allocation owned by the site. */
static int site_own(struct vg_site *site)
{
    const char **f[] = {&site->source, &site->source_id, &site->name,   &site->code, &site->iata,
                        &site->icao,   &site->country,   &site->region, &site->city, &site->size};
    size_t total = 0, nf = sizeof(f) / sizeof(f[0]);
    for (size_t i = 0; i < nf; i++)
        total += *f[i] ? strlen(*f[i]) + 1 : 0;
    char *p = vg_malloc(total ? total : 1);
    if (!p)
        return VG_ENOMEM;
    site->storage_ = p;
    for (size_t i = 0; i < nf; i++) {
        if (!*f[i])
            continue;
        size_t n = strlen(*f[i]) + 1;
        memcpy(p, *f[i], n);
        *f[i] = p;
        p += n;
    }
    return 0;
}

/* Reads the site with the given id into *out (owning its strings): 0, VG_ENOTFOUND, VG_EDB or
 * VG_ENOMEM. */
static int site_by_id(struct vg_store *s, int64_t id, struct vg_site *out, struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(db, "SELECT " SITE_COLS " FROM sites WHERE id = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return vg_error_set(err, VG_EDB, "%s", sqlite3_errmsg(db));
    sqlite3_bind_int64(st, 1, id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        struct vg_site site;
        site_from_row(st, &site);
        if (site_own(&site))
            rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        else
            *out = site;
    } else if (step == SQLITE_DONE) {
        rc = vg_error_set(err, VG_ENOTFOUND, "no site with id '%lld'", (long long)id);
    } else {
        rc = vg_error_set(err, VG_EDB, "%s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    return rc;
}

/* One row a code matched: what the rule of vg_site_lookup looks at. */
struct candidate {
    struct vg_site_ref ref;
    double lat, lon;
    int distinct; /* scratch: 1 when no earlier candidate of the best has the same source */
};

static void ref_copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

/* 1 when the best matches best[0..n) are one place imported from several files: one kind, each
 * from another file, every two of them within VG_SITE_SAME_KM. */
static int same_place(const struct candidate *const *best, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            if (best[i]->ref.kind != best[j]->ref.kind ||
                strcmp(best[i]->ref.source, best[j]->ref.source) == 0 ||
                vg_geo_km(best[i]->lat, best[i]->lon, best[j]->lat, best[j]->lon) > VG_SITE_SAME_KM)
                return 0;
        }
    return 1;
}

int vg_site_lookup(struct vg_store *s, const char *key, struct vg_site *out,
                   struct vg_site_lookup *info, struct vg_error *err)
{
    vg_error_clear(err);
    struct vg_site_lookup local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof(*info));
    if (!key || !key[0])
        return vg_error_set(err, VG_EINVAL, "no site given");
    char *end;
    errno = 0;
    long long id = strtoll(key, &end, 10);
    if (*end == '\0' && errno == 0 && id > 0) {
        int rc = site_by_id(s, id, out, err);
        if (rc == 0)
            info->match = VG_SITE_MATCH_ID;
        return rc;
    }

    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    struct candidate *cand = vg_malloc((VG_SITE_LOOKUP_MAX + 1) * sizeof(*cand));
    const struct candidate **best = vg_malloc((VG_SITE_LOOKUP_MAX + 1) * sizeof(*best));
    struct vg_buf list;
    vg_buf_init(&list, 4096);
    size_t n = 0, nbest = 0;
    int rc = 0, step;
    if (!cand || !best) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto fail;
    }
    if (sqlite3_prepare_v2(db,
                           "SELECT id, kind, source, name, lat, lon, iata = ?1 COLLATE NOCASE OR "
                           "icao = ?1 COLLATE NOCASE FROM sites WHERE code = ?1 COLLATE NOCASE OR "
                           "iata = ?1 COLLATE NOCASE OR icao = ?1 COLLATE NOCASE ORDER BY id "
                           "LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = vg_error_set(err, VG_EDB, "%s", sqlite3_errmsg(db));
        goto fail;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, VG_SITE_LOOKUP_MAX + 1);
    enum vg_site_match top = VG_SITE_MATCH_NONE;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct candidate *c = &cand[n++];
        memset(c, 0, sizeof(*c));
        c->ref.id = sqlite3_column_int64(st, 0);
        const char *kind = col_text(st, 1);
        c->ref.kind = VG_SITE_OTHER;
        for (int k = 0; kind && k < VG_SITE_KIND_COUNT; k++)
            if (strcmp(kind, kind_names[k]) == 0)
                c->ref.kind = (enum vg_site_kind)k;
        ref_copy(c->ref.source, sizeof(c->ref.source), col_text(st, 2));
        ref_copy(c->ref.name, sizeof(c->ref.name), col_text(st, 3));
        c->lat = sqlite3_column_double(st, 4);
        c->lon = sqlite3_column_double(st, 5);
        c->ref.match = sqlite3_column_int(st, 6) ? VG_SITE_MATCH_IATA_ICAO : VG_SITE_MATCH_CODE;
        if (c->ref.match > top)
            top = c->ref.match;
    }
    if (step != SQLITE_DONE) {
        rc = vg_error_set(err, VG_EDB, "%s", sqlite3_errmsg(db));
        goto fail;
    }
    if (n == 0) {
        rc = vg_error_set(err, VG_ENOTFOUND, "no site with code '%s'", key);
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        if (cand[i].ref.match == top)
            best[nbest++] = &cand[i];
    if (n > VG_SITE_LOOKUP_MAX || (nbest > 1 && !same_place(best, nbest))) {
        for (size_t i = 0; i < nbest && i < 20; i++)
            vg_buf_printf(&list, "%s%lld %s (%s, %s)", i ? "; " : "", (long long)best[i]->ref.id,
                          best[i]->ref.name, kind_names[best[i]->ref.kind], best[i]->ref.source);
        if (nbest > 20)
            vg_buf_printf(&list, "; ...");
        rc = vg_error_set(err, VG_EINVAL, "the code '%s' names %s%zu sites; give one by its id: %s",
                          key, n > VG_SITE_LOOKUP_MAX ? "more than " : "",
                          n > VG_SITE_LOOKUP_MAX ? (size_t)VG_SITE_LOOKUP_MAX : nbest,
                          list.data ? list.data : "");
        goto fail;
    }
    const struct candidate *chosen = best[0];
    if ((rc = site_by_id(s, chosen->ref.id, out, err)))
        goto fail;
    info->match = top;
    for (size_t i = 0; i < n; i++) {
        const struct candidate *c = &cand[i];
        if (c == chosen)
            continue;
        size_t *count = c->ref.match == top ? &info->nsame : &info->nweaker;
        struct vg_site_ref *refs = c->ref.match == top ? info->same : info->weaker;
        if (*count < VG_SITE_LOOKUP_REFS) {
            refs[*count] = c->ref;
            refs[*count].km = vg_geo_km(chosen->lat, chosen->lon, c->lat, c->lon);
        }
        (*count)++;
    }
fail:
    if (rc)
        memset(info, 0, sizeof(*info));
    vg_buf_cleanup(&list);
    sqlite3_finalize(st);
    vg_free(best);
    vg_free(cand);
    return rc;
}

int vg_site_find(struct vg_store *s, const char *key, struct vg_site *out, struct vg_error *err)
{
    return vg_site_lookup(s, key, out, NULL, err);
}

size_t vg_site_lookup_note(const struct vg_site_lookup *info, char *buf, size_t n)
{
    if (!n)
        return 0;
    buf[0] = '\0';
    if (!info || (!info->nsame && !info->nweaker))
        return 0;
    size_t len = 0;
#define NOTE(...)                                                                                  \
    do {                                                                                           \
        if (len < n) {                                                                             \
            int w = snprintf(buf + len, n - len, __VA_ARGS__);                                     \
            len += w > 0 ? (size_t)w : 0;                                                          \
        }                                                                                          \
    } while (0)
    for (size_t i = 0; i < info->nsame && i < VG_SITE_LOOKUP_REFS; i++)
        NOTE("%salso imported as id %lld from %s (%.1f km away)", i ? "; " : "",
             (long long)info->same[i].id, info->same[i].source, info->same[i].km);
    if (info->nsame > VG_SITE_LOOKUP_REFS)
        NOTE("; and %zu more imports", info->nsame - VG_SITE_LOOKUP_REFS);
    for (size_t i = 0; i < info->nweaker && i < VG_SITE_LOOKUP_REFS; i++)
        NOTE("%salso the code of id %lld %s (%s)", info->nsame || i ? "; " : "",
             (long long)info->weaker[i].id, info->weaker[i].name, kind_names[info->weaker[i].kind]);
    if (info->nweaker > VG_SITE_LOOKUP_REFS)
        NOTE("; and the code of %zu more", info->nweaker - VG_SITE_LOOKUP_REFS);
#undef NOTE
    if (len >= n)
        len = n - 1;
    return len;
}

/* The WHERE clause of a filter (without near, which is tested in C) and its bindings. */
static int filter_prepare(struct vg_store *s, const char *head, const struct vg_site_filter *f,
                          sqlite3_stmt **out, struct vg_error *err)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "%s WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR country = "
             "?2 COLLATE NOCASE OR country = ?3 COLLATE NOCASE)%s",
             head, strncmp(head, "SELECT count", 12) == 0 ? "" : " ORDER BY id");
    sqlite3 *db = vg_store_db(s);
    if (sqlite3_prepare_v2(db, sql, -1, out, NULL) != SQLITE_OK)
        return vg_error_set(err, VG_EDB, "%s", sqlite3_errmsg(db));
    if (f && f->only_kind) {
        if ((unsigned)f->kind >= VG_SITE_KIND_COUNT) {
            sqlite3_finalize(*out);
            *out = NULL;
            return vg_error_set(err, VG_EINVAL, "unknown site kind");
        }
        sqlite3_bind_text(*out, 1, kind_names[f->kind], -1, SQLITE_STATIC);
    }
    if (f && f->country) {
        const char *iso2 = NULL;
        vg_country_region(f->country, &iso2);
        sqlite3_bind_text(*out, 2, f->country, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(*out, 3, iso2 ? iso2 : f->country, -1, SQLITE_TRANSIENT);
    }
    return 0;
}

int vg_site_each(struct vg_store *s, const struct vg_site_filter *filter,
                 int (*fn)(void *ctx, const struct vg_site *site), void *ctx, struct vg_error *err)
{
    vg_error_clear(err);
    sqlite3_stmt *st = NULL;
    int rc = filter_prepare(s, "SELECT " SITE_COLS " FROM sites", filter, &st, err);
    if (rc)
        return rc;
    int near = filter && filter->near;
    /* A bounding box in latitude first: cheap, and no site farther than km passes it. */
    double dlat = near ? filter->km / 111.0 + 1e-9 : 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct vg_site site;
        site_from_row(st, &site);
        if (near && (fabs(site.lat - filter->lat) > dlat ||
                     vg_geo_km(filter->lat, filter->lon, site.lat, site.lon) > filter->km))
            continue;
        if ((rc = fn(ctx, &site)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = vg_error_set(err, VG_EDB, "%s", sqlite3_errmsg(vg_store_db(s)));
    sqlite3_finalize(st);
    return rc;
}

int vg_site_count(struct vg_store *s, const struct vg_site_filter *filter, int64_t *count,
                  struct vg_error *err)
{
    vg_error_clear(err);
    sqlite3_stmt *st = NULL;
    int rc = filter_prepare(s, "SELECT count(*) FROM sites", filter, &st, err);
    if (rc)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW)
        *count = sqlite3_column_int64(st, 0);
    else
        rc = vg_error_set(err, VG_EDB, "%s", sqlite3_errmsg(vg_store_db(s)));
    sqlite3_finalize(st);
    return rc;
}
