/* cube.c - the analytic cube: incidents in columns, in a memory-mapped file.
 *
 * File layout (native byte order and alignment: the file is a cache of the database on the same
 * machine, never exchanged): a header, then one array per column, each starting on a 64-byte
 * boundary, then the dictionaries of the text dimensions. A dictionary is n, then n+1 offsets into
 * its string bytes, then the bytes (each string NUL-terminated). Codes are given in order of first
 * appearance, so rows appended later keep the codes of earlier rows.
 *
 * Freshness: the store keeps two counters (vg_incident_version): `version` moves on every change
 * of the incidents, `rewrites` on changes that update stored rows. The header records both as
 * they were when the cube was built. If the database's counters differ, the cube is stale: when
 * only `version` moved, the new incidents are exactly the rows whose id is above the cube's
 * largest, and they are appended (the old columns are copied into a new file and the new rows
 * added); otherwise the cube is rebuilt from the whole table. Either way the new file is written
 * under a temporary name and renamed over the old one, so a reader never sees a half-written cube
 * and a crash leaves the old one (which is then seen to be stale and redone).
 *
 * Building streams: rows are read from SQLite in one read transaction (a consistent snapshot) and
 * written to the file in chunks with pwrite, so memory stays bounded by the chunk size and the
 * dictionaries, whatever the number of incidents.
 *
 * Opening checks the header and the dictionaries, not the millions of codes: a code past its
 * dictionary (only a damaged file could hold one) must be read as unknown by every analysis.
 *
 * Ownership: struct vg_cube owns its mapping. Thread-safety: an open cube is read-only and may be
 * shared by threads; building uses the store and so belongs to the store's thread. */
#include "vigil/cube.h"
#include "vigil/hash.h"
#include "vigil/mem.h"
#include "vigil/store.h"

#include "vigil/incident.h"

#include <errno.h>
#include <fcntl.h>

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "VGCUBE2\n" /* 2: the header names its database */
#define CHUNK_ROWS 65536
#define NTEXT 7 /* text dimensions: VG_DIM_COUNTRY .. VG_DIM_SOURCE */
#define TEXT0 VG_DIM_COUNTRY

enum col {
    C_ID,
    C_LAT,
    C_LON,
    C_CODE0,
    C_KILLED = C_CODE0 + NTEXT,
    C_WOUNDED,
    C_YEAR,
    C_MONTH,
    C_DAY,
    NCOLS
};

static const size_t col_size[NCOLS] = {8, 8, 8, 4, 4, 4, 4, 4, 4, 4, 4, 4, 2, 1, 1};

struct header {
    char magic[8];
    uint64_t nrows;
    int64_t version, rewrites;
    int64_t max_id;
    int64_t database; /* meta 'database_id' of the database it was built from */
    uint64_t col_off[NCOLS];
    uint64_t dict_off[NTEXT];
    uint64_t file_size;
};

struct dict_view {
    uint32_t n;
    const uint64_t *offs;
    const char *bytes;
};

struct vg_cube {
    void *map;
    size_t map_len;
    const struct header *h;
    struct vg_cube_columns cols;
    struct dict_view dict[NTEXT];
};

/* The identity of the store's database (meta 'database_id', store migration 7): a cube built
 * from another database with the same counters (a copy put beside it, a restore) is not its cube.
 */
static int database_of(struct vg_store *s, int64_t *id, struct vg_error *err)
{
    sqlite3_stmt *st = NULL;
    *id = 0;
    if (sqlite3_prepare_v2(vg_store_db(s), "SELECT value FROM meta WHERE key = 'database_id'", -1,
                           &st, NULL) != SQLITE_OK)
        return vg_error_set(err, VG_EDB, "cannot read the database's identity: %s",
                            sqlite3_errmsg(vg_store_db(s)));
    if (sqlite3_step(st) == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return 0;
}

/* The cube c is current for these counters of this database. */
static int current(const struct vg_cube *c, int64_t version, int64_t rewrites, int64_t database)
{
    return c->h->version == version && c->h->rewrites == rewrites && c->h->database == database;
}

/* ---- dimensions ---- */

static const struct {
    const char *name;
    int numeric;
} dims[VG_DIM_COUNT] = {
    [VG_DIM_YEAR] = {"year", 1},       [VG_DIM_MONTH] = {"month", 1},
    [VG_DIM_COUNTRY] = {"country", 0}, [VG_DIM_REGION] = {"region", 0},
    [VG_DIM_ATTACK] = {"attack", 0},   [VG_DIM_TARGET] = {"target", 0},
    [VG_DIM_WEAPON] = {"weapon", 0},   [VG_DIM_GROUP] = {"group", 0},
    [VG_DIM_SOURCE] = {"source", 0},
};

const char *vg_dim_name(enum vg_dim d)
{
    return (unsigned)d < VG_DIM_COUNT ? dims[d].name : "?";
}

int vg_dim_is_numeric(enum vg_dim d)
{
    return (unsigned)d < VG_DIM_COUNT && dims[d].numeric;
}

int vg_dim_parse(const char *name, enum vg_dim *out, struct vg_error *err)
{
    for (int d = 0; d < VG_DIM_COUNT; d++) {
        if (strcmp(name, dims[d].name) == 0) {
            *out = (enum vg_dim)d;
            return 0;
        }
    }
    return vg_error_set(err, VG_EINVAL,
                        "unknown dimension '%s' (choose from year, month, country, region, "
                        "attack, target, weapon, group, source)",
                        name);
}

/* ---- reading ---- */

static size_t align64(size_t x)
{
    return (x + 63) & ~(size_t)63;
}

static void layout(uint64_t n, uint64_t *col_off, uint64_t *end)
{
    uint64_t off = align64(sizeof(struct header));
    for (int c = 0; c < NCOLS; c++) {
        col_off[c] = off;
        off = align64(off + n * col_size[c]);
    }
    *end = off;
}

void vg_cube_close(struct vg_cube *c)
{
    if (!c)
        return;
    if (c->map)
        munmap(c->map, c->map_len);
    vg_free(c);
}

/* Maps and checks a cube file. Returns 0, VG_ENOTFOUND (no file), VG_EFORMAT (not a valid cube:
 * to be rebuilt), VG_EIO, VG_ENOMEM. */
static int map_file(const char *path, struct vg_cube **out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? VG_ENOTFOUND : VG_EIO;
    struct stat sb;
    int rc = VG_EFORMAT;
    struct vg_cube *c = NULL;
    if (fstat(fd, &sb) != 0 || (size_t)sb.st_size < sizeof(struct header))
        goto fail;
    if (!(c = vg_calloc(1, sizeof(*c)))) {
        rc = VG_ENOMEM;
        goto fail;
    }
    c->map_len = (size_t)sb.st_size;
    c->map = mmap(NULL, c->map_len, PROT_READ, MAP_SHARED, fd, 0);
    if (c->map == MAP_FAILED) {
        c->map = NULL;
        rc = VG_EIO;
        goto fail;
    }
    const struct header *h = c->h = c->map;
    const char *base = c->map;
    uint64_t col_off[NCOLS], end;
    if (memcmp(h->magic, MAGIC, 8) != 0 || h->file_size != c->map_len || h->nrows > c->map_len)
        goto fail;
    layout(h->nrows, col_off, &end);
    if (memcmp(col_off, h->col_off, sizeof(col_off)) != 0 || end > c->map_len)
        goto fail;
    for (int d = 0; d < NTEXT; d++) {
        uint64_t off = h->dict_off[d];
        if (off < end || off % 8 || off > c->map_len - 8)
            goto fail;
        uint32_t n;
        memcpy(&n, base + off, 4);
        uint64_t offs_at = off + 8;
        if (c->map_len - offs_at < 8 || n > (c->map_len - offs_at) / 8 - 1)
            goto fail; /* the n + 1 offsets do not fit (the first test keeps the second from
                        * wrapping around) */
        const uint64_t *offs = (const uint64_t *)(base + offs_at);
        uint64_t bytes_at = offs_at + 8 * ((uint64_t)n + 1);
        if (offs[0] != 0 || offs[n] > c->map_len - bytes_at)
            goto fail;
        for (uint32_t i = 0; i < n; i++) /* each string lies in the bytes and ends with NUL */
            if (offs[i] >= offs[i + 1] || base[bytes_at + offs[i + 1] - 1] != '\0')
                goto fail;
        c->dict[d].n = n;
        c->dict[d].offs = offs;
        c->dict[d].bytes = base + bytes_at;
    }
    c->cols.n = h->nrows;
    c->cols.id = (const int64_t *)(base + col_off[C_ID]);
    c->cols.latitude = (const double *)(base + col_off[C_LAT]);
    c->cols.longitude = (const double *)(base + col_off[C_LON]);
    for (int d = 0; d < NTEXT; d++)
        c->cols.code[TEXT0 + d] = (const uint32_t *)(base + col_off[C_CODE0 + d]);
    c->cols.killed = (const int32_t *)(base + col_off[C_KILLED]);
    c->cols.wounded = (const int32_t *)(base + col_off[C_WOUNDED]);
    c->cols.year = (const int16_t *)(base + col_off[C_YEAR]);
    c->cols.month = (const int8_t *)(base + col_off[C_MONTH]);
    c->cols.day = (const int8_t *)(base + col_off[C_DAY]);
    close(fd);
    *out = c;
    return 0;
fail:
    close(fd);
    vg_cube_close(c);
    return rc;
}

const struct vg_cube_columns *vg_cube_columns(const struct vg_cube *c)
{
    return &c->cols;
}

static int text_index(enum vg_dim d)
{
    return d >= TEXT0 && d < TEXT0 + NTEXT ? (int)(d - TEXT0) : -1;
}

uint32_t vg_cube_dict_size(const struct vg_cube *c, enum vg_dim d)
{
    int t = text_index(d);
    return t < 0 ? 0 : c->dict[t].n;
}

const char *vg_cube_dict_value(const struct vg_cube *c, enum vg_dim d, uint32_t code)
{
    int t = text_index(d);
    if (t < 0 || code >= c->dict[t].n)
        return NULL;
    return c->dict[t].bytes + c->dict[t].offs[code];
}

int vg_cube_dict_find(const struct vg_cube *c, enum vg_dim d, const char *s, uint32_t *code)
{
    int t = text_index(d);
    if (t < 0)
        return VG_EINVAL;
    for (uint32_t i = 0; i < c->dict[t].n; i++) {
        if (strcmp(c->dict[t].bytes + c->dict[t].offs[i], s) == 0) {
            *code = i;
            return 0;
        }
    }
    return VG_ENOTFOUND;
}

/* ---- building ---- */

struct dict_build {
    uint32_t *slots; /* code + 1, 0 = empty; open addressing */
    uint32_t cap, n;
    struct vg_buf bytes;
    uint64_t *offs; /* n + 1 */
    uint32_t offs_cap;
};

static void dict_cleanup(struct dict_build *d)
{
    vg_free(d->slots);
    vg_free(d->offs);
    vg_buf_cleanup(&d->bytes);
}

static int dict_grow(struct dict_build *d)
{
    uint32_t cap = d->cap ? d->cap * 2 : 1024;
    uint32_t *slots = vg_calloc(cap, sizeof(uint32_t));
    if (!slots)
        return VG_ENOMEM;
    for (uint32_t code = 0; code < d->n; code++) {
        const char *s = d->bytes.data + d->offs[code];
        size_t len = d->offs[code + 1] - d->offs[code] - 1;
        uint32_t i = (uint32_t)vg_hash64(s, len, 0) & (cap - 1);
        while (slots[i])
            i = (i + 1) & (cap - 1);
        slots[i] = code + 1;
    }
    vg_free(d->slots);
    d->slots = slots;
    d->cap = cap;
    return 0;
}

static int dict_intern(struct dict_build *d, const char *s, size_t len, uint32_t *code)
{
    int rc;
    if ((uint64_t)(d->n + 1) * 2 > d->cap && (rc = dict_grow(d)))
        return rc;
    uint32_t i = (uint32_t)vg_hash64(s, len, 0) & (d->cap - 1);
    for (; d->slots[i]; i = (i + 1) & (d->cap - 1)) {
        uint32_t c = d->slots[i] - 1;
        if (d->offs[c + 1] - d->offs[c] - 1 == len &&
            memcmp(d->bytes.data + d->offs[c], s, len) == 0) {
            *code = c;
            return 0;
        }
    }
    if (d->n == UINT32_MAX - 1)
        return VG_ETOOBIG;
    if (d->n + 2 > d->offs_cap) {
        uint32_t cap = d->offs_cap ? d->offs_cap * 2 : 1024;
        uint64_t *offs = vg_realloc(d->offs, cap * sizeof(uint64_t));
        if (!offs)
            return VG_ENOMEM;
        d->offs = offs;
        d->offs_cap = cap;
        if (d->n == 0)
            d->offs[0] = 0;
    }
    if ((rc = vg_buf_append(&d->bytes, s, len)) || (rc = vg_buf_putc(&d->bytes, '\0')))
        return rc;
    d->offs[d->n + 1] = d->bytes.len;
    d->slots[i] = d->n + 1;
    *code = d->n++;
    return 0;
}

struct builder {
    int fd[NCOLS]; /* where each column goes: one file for a cube, one each for a stage */
    uint64_t col_off[NCOLS];
    uint64_t written; /* rows already in the file */
    size_t fill;      /* rows in the chunk buffers */
    char *chunk[NCOLS];
    struct dict_build dict[NTEXT];
};

static int pwrite_all(int fd, const void *p, size_t n, uint64_t off)
{
    const char *c = p;
    while (n) {
        ssize_t w = pwrite(fd, c, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return VG_EIO;
        c += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

/* Copies n bytes of file in, from offset from, into fd at offset to. The kernel copies
 * (copy_file_range) where it can, so the columns never pass through this process's memory:
 * appending to a cube of any size takes no more memory than appending to a small one. */
static int copy_fd_range(int in, uint64_t from, int fd, uint64_t to, uint64_t n)
{
    int rc = 0;
    loff_t off_in = (loff_t)from, off_out = (loff_t)to;
    while (n > 0) {
        ssize_t w = copy_file_range(in, &off_in, fd, &off_out, n, 0);
        if (w > 0) {
            n -= (uint64_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w == 0 ||
            !(errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL)) {
            rc = VG_EIO;
            break;
        }
        /* No kernel copy here: read and write through a small buffer. */
        char buf[1 << 16];
        while (n > 0 && rc == 0) {
            size_t want = n < sizeof(buf) ? (size_t)n : sizeof(buf);
            ssize_t r = pread(in, buf, want, off_in);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                rc = VG_EIO;
                break;
            }
            rc = pwrite_all(fd, buf, (size_t)r, (uint64_t)off_out);
            off_in += r;
            off_out += r;
            n -= (uint64_t)r;
        }
    }
    return rc;
}

static int flush_chunk(struct builder *b)
{
    for (int c = 0; c < NCOLS && b->fill; c++) {
        int rc = pwrite_all(b->fd[c], b->chunk[c], b->fill * col_size[c],
                            b->col_off[c] + b->written * col_size[c]);
        if (rc)
            return rc;
    }
    b->written += b->fill;
    b->fill = 0;
    return 0;
}

/* One incident's analytic fields, from SQLite or from an ingest: unknown numbers are -1 (killed,
 * wounded) or 0 (month, day), unknown coordinates NAN, unknown text NULL. */
struct row_values {
    int64_t id;
    double lat, lon;
    const char *text[NTEXT];
    size_t len[NTEXT];
    int64_t killed, wounded, year, month, day;
};

static int put_row(struct builder *b, const struct row_values *v)
{
    size_t i = b->fill;
    memcpy(b->chunk[C_ID] + i * 8, &v->id, 8);
    memcpy(b->chunk[C_LAT] + i * 8, &v->lat, 8);
    memcpy(b->chunk[C_LON] + i * 8, &v->lon, 8);
    for (int d = 0; d < NTEXT; d++) {
        uint32_t code = VG_CUBE_UNKNOWN;
        if (v->text[d]) {
            int rc = dict_intern(&b->dict[d], v->text[d], v->len[d], &code);
            if (rc)
                return rc;
        }
        memcpy(b->chunk[C_CODE0 + d] + i * 4, &code, 4);
    }
    const int64_t counts[2] = {v->killed, v->wounded};
    for (int k = 0; k < 2; k++) {
        int32_t v32 = counts[k] < 0 ? -1 : counts[k] > INT32_MAX ? INT32_MAX : (int32_t)counts[k];
        memcpy(b->chunk[C_KILLED + k] + i * 4, &v32, 4);
    }
    int64_t y = v->year;
    int16_t y16 = (int16_t)(y < INT16_MIN ? INT16_MIN : y > INT16_MAX ? INT16_MAX : y);
    memcpy(b->chunk[C_YEAR] + i * 2, &y16, 2);
    b->chunk[C_MONTH][i] = (char)(v->month >= 0 && v->month <= 12 ? v->month : 0);
    b->chunk[C_DAY][i] = (char)(v->day >= 0 && v->day <= 31 ? v->day : 0);
    if (++b->fill == CHUNK_ROWS)
        return flush_chunk(b);
    return 0;
}

static int add_row(struct builder *b, sqlite3_stmt *st)
{
    struct row_values v;
    v.id = sqlite3_column_int64(st, 0);
    v.lat = sqlite3_column_type(st, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 1);
    v.lon = sqlite3_column_type(st, 2) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 2);
    for (int d = 0; d < NTEXT; d++) {
        v.text[d] = (const char *)sqlite3_column_text(st, 3 + d);
        v.len[d] = (size_t)sqlite3_column_bytes(st, 3 + d);
    }
    int kc = 3 + NTEXT;
    v.killed = sqlite3_column_type(st, kc) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, kc);
    v.wounded =
        sqlite3_column_type(st, kc + 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, kc + 1);
    v.year = sqlite3_column_int64(st, kc + 2);
    v.month = sqlite3_column_int(st, kc + 3);
    v.day = sqlite3_column_int(st, kc + 4);
    return put_row(b, &v);
}

static int write_dicts(struct builder *b, int fd, uint64_t at, struct header *h)
{
    for (int d = 0; d < NTEXT; d++) {
        struct dict_build *db = &b->dict[d];
        uint64_t zero = 0, nn = db->n;
        h->dict_off[d] = at;
        int rc = pwrite_all(fd, &nn, 8, at);
        if (!rc)
            rc = db->n ? pwrite_all(fd, db->offs, 8 * ((size_t)db->n + 1), at + 8)
                       : pwrite_all(fd, &zero, 8, at + 8);
        uint64_t bytes_at = at + 8 + 8 * ((uint64_t)db->n + 1);
        if (!rc && db->bytes.len)
            rc = pwrite_all(fd, db->bytes.data, db->bytes.len, bytes_at);
        if (rc)
            return rc;
        at = (bytes_at + db->bytes.len + 7) & ~(uint64_t)7;
    }
    h->file_size = at;
    return ftruncate(fd, (off_t)at) == 0 ? 0 : VG_EIO;
}

/* The permissions of the store's database file, for its cube, which holds a copy of its data:
 * mkostemp makes files only their owner may read, and a fixed mode would ignore the umask the
 * database was made under. 0600 when the file cannot be examined. */
static mode_t db_mode(struct vg_store *s)
{
    struct stat st;
    const char *db = sqlite3_db_filename(vg_store_db(s), "main");
    return db && *db && stat(db, &st) == 0 ? (st.st_mode & 0666) : 0600;
}

static int cube_path(struct vg_store *s, char *buf, size_t size)
{
    const char *db = sqlite3_db_filename(vg_store_db(s), "main");
    if (!db || !*db)
        return VG_ENOTFOUND; /* an in-memory database has no cube file */
    if ((size_t)snprintf(buf, size, "%s.cube", db) >= size)
        return VG_ETOOBIG;
    return 0;
}

static const char select_sql[] =
    "SELECT id, latitude, longitude, country, region, attack, target, weapon, group_name, source,"
    " killed, wounded, year, month, day FROM incidents WHERE id > ?1 ORDER BY id";

/* Rows an ingest stored, staged for the cube as they were committed (vg_cube_appender_*): their
 * columns in unnamed temporary files, their text in dictionaries that begin with the old cube's. */
struct vg_cube_appender {
    struct builder b;
    char path[4096];
    uint64_t base_rows; /* the cube the rows extend: its rows, largest id and counters */
    int64_t base_id, version, rewrites;
    int64_t last_id;
    int usable; /* 0 once something went wrong: the cube is then built from the table */
};

static void builder_init(struct builder *b)
{
    memset(b, 0, sizeof(*b));
    for (int c = 0; c < NCOLS; c++)
        b->fd[c] = -1;
    for (int d = 0; d < NTEXT; d++)
        vg_buf_init(&b->dict[d].bytes, (size_t)1 << 34);
}

static int builder_chunks(struct builder *b)
{
    for (int c = 0; c < NCOLS; c++)
        if (!(b->chunk[c] = vg_malloc(CHUNK_ROWS * col_size[c])))
            return VG_ENOMEM;
    return 0;
}

/* Interns the old cube's dictionaries in code order, so that its codes stay valid. */
static int builder_seed(struct builder *b, const struct vg_cube *old)
{
    for (int d = 0; d < NTEXT; d++) {
        for (uint32_t i = 0; i < old->dict[d].n; i++) {
            uint32_t code;
            const char *v = old->dict[d].bytes + old->dict[d].offs[i];
            int rc = dict_intern(&b->dict[d], v, strlen(v), &code);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static void builder_cleanup(struct builder *b)
{
    for (int c = 0; c < NCOLS; c++)
        vg_free(b->chunk[c]);
    for (int d = 0; d < NTEXT; d++)
        dict_cleanup(&b->dict[d]);
}

/* Writes a new cube file for the database's current state. It reuses `old` when only rows were
 * added since it was built, and takes those rows from `stage` when the stage holds exactly them
 * (an ingest staged them as it stored them); otherwise it reads them from the table. */
static int build(struct vg_store *s, const char *path, const struct vg_cube *old,
                 struct vg_cube_appender *stage, int *used_stage, struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    struct builder own, *b = &own;
    struct header h;
    char tmp[4200];
    int rc, in_txn = 0, fd = -1;

    builder_init(&own);
    memset(&h, 0, sizeof(h));
    /* A name of its own (mkostemp): the threads of one server may build at the same time, and a
     * name per process would let one truncate or rename the file another is writing. */
    snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path);

    if ((rc = vg_store_exec(s, "BEGIN", err)))
        goto fail;
    in_txn = 1;
    if ((rc = vg_incident_version(s, &h.version, &h.rewrites, err)) ||
        (rc = database_of(s, &h.database, err)))
        goto fail;
    const struct header *oh = old ? old->h : NULL;
    if (oh && (oh->rewrites != h.rewrites || oh->version > h.version || oh->database != h.database))
        oh = NULL; /* rows were changed, or another database's cube: start over */
    int64_t after = oh ? oh->max_id : 0;
    uint64_t base = oh ? oh->nrows : 0, add = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*), max(id) FROM incidents WHERE id > ?1", -1, &st,
                           NULL) != SQLITE_OK)
        goto dberr;
    sqlite3_bind_int64(st, 1, after);
    if (sqlite3_step(st) != SQLITE_ROW)
        goto dberr;
    add = (uint64_t)sqlite3_column_int64(st, 0);
    h.max_id = add ? sqlite3_column_int64(st, 1) : after;
    sqlite3_finalize(st);
    st = NULL;

    /* The stage stands for the new rows only if it extends this very cube with exactly them. */
    int staged = oh && stage && stage->usable && stage->base_id == oh->max_id &&
                 stage->base_rows == oh->nrows && stage->rewrites == oh->rewrites &&
                 stage->b.written + stage->b.fill == add &&
                 (add == 0 || stage->last_id == h.max_id);
    if (staged) {
        if ((rc = flush_chunk(&stage->b)))
            goto ioerr;
        b = &stage->b;
    }
    if (used_stage)
        *used_stage = staged;

    memcpy(h.magic, MAGIC, 8);
    h.nrows = base + add;
    uint64_t end;
    layout(h.nrows, h.col_off, &end);
    if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0 || fchmod(fd, db_mode(s)) != 0) {
        rc = vg_error_set(err, VG_EIO, "cannot write %s: %s", tmp, strerror(errno));
        goto fail;
    }
    if (oh) /* the old rows, as they are, from the very file that was mapped and checked (the
             * file under its name may have been replaced since by another builder) */
        for (int c = 0; c < NCOLS; c++)
            if ((rc = pwrite_all(fd, (const char *)old->map + oh->col_off[c], base * col_size[c],
                                 h.col_off[c])))
                goto ioerr;
    if (staged) {
        for (int c = 0; c < NCOLS; c++)
            if ((rc = copy_fd_range(b->fd[c], 0, fd, h.col_off[c] + base * col_size[c],
                                    add * col_size[c])))
                goto ioerr;
    } else {
        for (int c = 0; c < NCOLS; c++)
            own.fd[c] = fd;
        memcpy(own.col_off, h.col_off, sizeof(h.col_off));
        own.written = base;
        if ((rc = builder_chunks(&own)) || (oh && (rc = builder_seed(&own, old))))
            goto ioerr;
        if (sqlite3_prepare_v2(db, select_sql, -1, &st, NULL) != SQLITE_OK)
            goto dberr;
        sqlite3_bind_int64(st, 1, after);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (own.written + own.fill >= h.nrows) {
                rc = vg_error_set(err, VG_EDB, "the incidents changed while the cube was built");
                goto fail;
            }
            if ((rc = add_row(&own, st)))
                goto ioerr;
        }
        if (rc != SQLITE_DONE)
            goto dberr;
        sqlite3_finalize(st);
        st = NULL;
        if ((rc = flush_chunk(&own)))
            goto ioerr;
        if (own.written != h.nrows) {
            rc = vg_error_set(err, VG_EDB, "the incidents changed while the cube was built");
            goto fail;
        }
    }
    vg_store_exec(s, "COMMIT", NULL);
    in_txn = 0;
    if ((rc = write_dicts(b, fd, end, &h)) || (rc = pwrite_all(fd, &h, sizeof(h), 0)))
        goto ioerr;
    rc = close(fd);
    fd = -1;
    if (rc != 0)
        goto ioerr;
    if (rename(tmp, path) != 0) {
        rc = vg_error_set(err, VG_EIO, "cannot write %s: %s", path, strerror(errno));
        goto fail;
    }
    rc = 0;
    goto done;
dberr:
    rc = vg_error_set(err, VG_EDB, "cannot read the incidents: %s", sqlite3_errmsg(db));
    goto fail;
ioerr:
    if (rc == VG_ENOMEM || rc == VG_ETOOBIG)
        vg_error_set(err, rc, "cannot build the cube: %s", vg_strerror(rc));
    else
        rc = vg_error_set(err, VG_EIO, "cannot write %s: %s", tmp, strerror(errno));
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
done:
    sqlite3_finalize(st);
    if (in_txn)
        vg_store_exec(s, "COMMIT", NULL);
    builder_cleanup(&own);
    return rc;
}

/* Opens the cube at path if it reflects the database's current state; else builds it (appending
 * to the old one when possible) and opens the result. */
static int open_current(struct vg_store *s, int want_open, struct vg_cube **out,
                        struct vg_error *err)
{
    char path[4096];
    int64_t version, rewrites;
    struct vg_cube *c = NULL;
    int rc = cube_path(s, path, sizeof(path));
    if (rc == VG_ETOOBIG)
        return vg_error_set(err, rc, "the database path is too long");
    if (rc)
        return vg_error_set(err, VG_EINVAL, "an in-memory database has no cube");
    int64_t database;
    if ((rc = vg_incident_version(s, &version, &rewrites, err)) ||
        (rc = database_of(s, &database, err)))
        return rc;
    rc = map_file(path, &c);
    if (rc == VG_ENOMEM)
        return vg_error_set(err, rc, "out of memory");
    if (rc == 0 && current(c, version, rewrites, database))
        goto ready;
    if ((rc = build(s, path, c, NULL, NULL, err))) {
        vg_cube_close(c);
        return rc;
    }
    vg_cube_close(c);
    c = NULL;
    if (!want_open)
        return 0;
    if ((rc = map_file(path, &c)))
        return vg_error_set(err, rc, "cannot read the cube %s just written: %s", path,
                            vg_strerror(rc));
ready:
    if (!want_open) {
        vg_cube_close(c);
        return 0;
    }
    *out = c;
    return 0;
}

int vg_cube_open(struct vg_store *s, struct vg_cube **out, struct vg_error *err)
{
    return open_current(s, 1, out, err);
}

int vg_cube_refresh(struct vg_store *s, struct vg_error *err)
{
    return open_current(s, 0, NULL, err);
}

/* ---- staging the rows of an ingest ---- */

/* An unnamed temporary file beside the cube (the same file system, so the final copy can stay in
 * the kernel); -1 on failure. */
static int stage_file(const char *cube_path)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", cube_path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    char name[4200];
    snprintf(name, sizeof(name), "%s.stage%ld", cube_path, (long)getpid());
    fd = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0)
        unlink(name);
    return fd;
}

int vg_cube_appender_create(struct vg_store *s, struct vg_cube_appender **out, struct vg_error *err)
{
    struct vg_cube *c = NULL;
    struct vg_cube_appender *a = vg_calloc(1, sizeof(*a));
    if (!a)
        return vg_error_set(err, VG_ENOMEM, "out of memory");
    builder_init(&a->b);
    int rc = cube_path(s, a->path, sizeof(a->path));
    if (rc) {
        rc = vg_error_set(err, rc == VG_ETOOBIG ? rc : VG_EINVAL,
                          rc == VG_ETOOBIG ? "the database path is too long"
                                           : "an in-memory database has no cube");
        goto fail;
    }
    if ((rc = open_current(s, 1, &c, err)))
        goto fail;
    a->base_rows = c->h->nrows;
    a->base_id = a->last_id = c->h->max_id;
    a->version = c->h->version;
    a->rewrites = c->h->rewrites;
    if ((rc = builder_chunks(&a->b)) || (rc = builder_seed(&a->b, c))) {
        rc = vg_error_set(err, rc, "cannot stage rows for the cube: %s", vg_strerror(rc));
        goto fail;
    }
    for (int k = 0; k < NCOLS; k++) {
        if ((a->b.fd[k] = stage_file(a->path)) < 0) {
            rc = vg_error_set(err, VG_EIO, "cannot stage rows for the cube beside %s: %s", a->path,
                              strerror(errno));
            goto fail;
        }
    }
    a->usable = 1;
    vg_cube_close(c);
    *out = a;
    return 0;
fail:
    vg_cube_close(c);
    vg_cube_appender_destroy(a);
    return rc;
}

int vg_cube_appender_add(struct vg_cube_appender *a, int64_t id, const struct vg_incident *inc)
{
    if (!a->usable)
        return 0;
    if (id <= a->last_id) { /* not after the rows before: the stage cannot stand for them */
        a->usable = 0;
        return 0;
    }
    struct row_values v;
    const char *text[NTEXT] = {inc->country, inc->region, inc->attack, inc->target,
                               inc->weapon,  inc->group,  inc->source};
    v.id = id;
    v.lat = inc->latitude;
    v.lon = inc->longitude;
    for (int d = 0; d < NTEXT; d++) {
        v.text[d] = text[d];
        v.len[d] = text[d] ? strlen(text[d]) : 0;
    }
    v.killed = inc->killed == VG_NULL_INT ? -1 : inc->killed;
    v.wounded = inc->wounded == VG_NULL_INT ? -1 : inc->wounded;
    v.year = inc->year;
    v.month = inc->month == VG_NULL_INT ? 0 : inc->month;
    v.day = inc->day == VG_NULL_INT ? 0 : inc->day;
    int rc = put_row(&a->b, &v);
    if (rc) {
        a->usable = 0; /* the cube will be built from the table instead */
        return rc;
    }
    a->last_id = id;
    return 0;
}

int vg_cube_appender_finish(struct vg_cube_appender *a, struct vg_store *s, int *staged,
                            struct vg_error *err)
{
    struct vg_cube *old = NULL;
    int64_t version, rewrites;
    if (staged)
        *staged = 0;
    int64_t database;
    int rc = vg_incident_version(s, &version, &rewrites, err);
    if (!rc)
        rc = database_of(s, &database, err);
    if (rc)
        goto done;
    rc = map_file(a->path, &old);
    if (rc == 0 && current(old, version, rewrites, database))
        goto done; /* already current: nothing was stored, or someone else brought it up */
    if (rc == VG_ENOMEM) {
        rc = vg_error_set(err, rc, "out of memory");
        goto done;
    }
    rc = build(s, a->path, rc == 0 ? old : NULL, a, staged, err);
done:
    vg_cube_close(old);
    vg_cube_appender_destroy(a);
    return rc;
}

void vg_cube_appender_destroy(struct vg_cube_appender *a)
{
    if (!a)
        return;
    for (int c = 0; c < NCOLS; c++)
        if (a->b.fd[c] >= 0)
            close(a->b.fd[c]);
    builder_cleanup(&a->b);
    vg_free(a);
}
