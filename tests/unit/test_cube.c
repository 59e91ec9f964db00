/* test_cube.c - the analytic cube: its columns, and how it follows the database (append, rebuild,
 * a damaged file). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vigil/cube.h"
#include "vigil/error.h"
#include "vigil/incident.h"
#include "vigil/ingest.h"
#include "vigil/mem.h"
#include "vigil/store.h"

#include "testutil.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int setup(void **state)
{
    return tu_store_setup(state, "c.db");
}

static void ingest(struct tu_store *f, const char *text)
{
    char csv[TU_PATH_MAX];
    struct vg_ingest_stats st = {0};
    struct vg_error err;
    tu_write_str(tu_join(csv, f->dir, "in.csv"), text);
    if (vg_ingest_path(f->s, csv, NULL, &st, &err) != 0 || st.rejected)
        fail_msg("ingest: %s (%lld rejected)", err.message, (long long)st.rejected);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *d = malloc((size_t)len + 1);
    assert_int_equal(fread(d, 1, (size_t)len, fp), (size_t)len);
    fclose(fp);
    *n = (size_t)len;
    return d;
}

static const char rows1[] = "eventid,iyear,imonth,iday,country_txt,region_txt,gname,nkill,nwound,"
                            "latitude,longitude\n"
                            "a1,2014,3,9,Iraq,Middle East & North Africa,ISIL,4,,33.3,44.4\n"
                            "a2,2015,0,0,Syria,,Unknown,-9,2,,\n";
static const char rows2[] = "eventid,iyear,imonth,iday,country_txt,region_txt,gname,nkill,nwound,"
                            "latitude,longitude\n"
                            "a3,2016,12,31,Yemen,Middle East & North Africa,AQAP,0,1,15.3,44.2\n"
                            "a4,2016,1,1,Iraq,Middle East & North Africa,ISIL,7,7,36.3,43.1\n";

static void test_columns(void **state)
{
    struct tu_store *f = *state;
    struct vg_cube *c = NULL;
    struct vg_error err;
    ingest(f, rows1);
    assert_int_equal(vg_cube_open(f->s, &c, &err), 0);
    const struct vg_cube_columns *col = vg_cube_columns(c);
    assert_int_equal(col->n, 2);
    /* Rows are in id order; find a1 by its year. */
    size_t a1 = col->year[0] == 2014 ? 0 : 1, a2 = 1 - a1;
    assert_int_equal(col->year[a1], 2014);
    assert_int_equal(col->month[a1], 3);
    assert_int_equal(col->day[a1], 9);
    assert_int_equal(col->month[a2], 0); /* unknown month and day are 0 */
    assert_int_equal(col->day[a2], 0);
    assert_int_equal(col->killed[a1], 4);
    assert_int_equal(col->killed[a2], -1); /* -9: unknown */
    assert_int_equal(col->wounded[a1], -1);
    assert_int_equal(col->wounded[a2], 2);
    assert_true(fabs(col->latitude[a1] - 33.3) < 1e-12);
    assert_true(isnan(col->latitude[a2]));
    assert_string_equal(vg_cube_dict_value(c, VG_DIM_COUNTRY, col->code[VG_DIM_COUNTRY][a1]),
                        "Iraq");
    assert_int_equal(col->code[VG_DIM_REGION][a2], VG_CUBE_UNKNOWN);
    uint32_t code;
    assert_int_equal(vg_cube_dict_find(c, VG_DIM_GROUP, "ISIL", &code), 0);
    assert_int_equal(col->code[VG_DIM_GROUP][a1], code);
    assert_int_equal(vg_cube_dict_find(c, VG_DIM_GROUP, "nobody", &code), VG_ENOTFOUND);
    assert_int_equal(vg_cube_dict_size(c, VG_DIM_SOURCE), 1);
    vg_cube_close(c);
}

static void test_append_equals_rebuild(void **state)
{
    struct tu_store *f = *state;
    struct vg_error err;
    char cube[TU_PATH_MAX + 8];
    snprintf(cube, sizeof(cube), "%s.cube", f->db);
    ingest(f, rows1);
    assert_int_equal(vg_cube_refresh(f->s, &err), 0);
    ingest(f, rows2); /* only new rows: the cube is appended to */
    assert_int_equal(vg_cube_refresh(f->s, &err), 0);
    size_t n1, n2;
    char *appended = slurp(cube, &n1);
    assert_int_equal(unlink(cube), 0); /* no cube: built from the whole table */
    assert_int_equal(vg_cube_refresh(f->s, &err), 0);
    char *rebuilt = slurp(cube, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(appended, rebuilt, n1);
    free(appended);
    free(rebuilt);
    struct vg_cube *c = NULL;
    assert_int_equal(vg_cube_open(f->s, &c, &err), 0);
    assert_int_equal(vg_cube_columns(c)->n, 4);
    vg_cube_close(c);
}

static void test_update_rebuilds(void **state)
{
    struct tu_store *f = *state;
    struct vg_error err;
    struct vg_cube *c = NULL;
    ingest(f, rows1);
    assert_int_equal(vg_cube_refresh(f->s, &err), 0);
    /* a1 now killed 5: an update, so the cube cannot be appended to and is rebuilt. */
    ingest(f, "eventid,iyear,imonth,iday,country_txt,region_txt,gname,nkill,nwound,latitude,"
              "longitude\n"
              "a1,2014,3,9,Iraq,Middle East & North Africa,ISIL,5,,33.3,44.4\n");
    assert_int_equal(vg_cube_open(f->s, &c, &err), 0);
    const struct vg_cube_columns *col = vg_cube_columns(c);
    assert_int_equal(col->n, 2);
    size_t a1 = col->year[0] == 2014 ? 0 : 1;
    assert_int_equal(col->killed[a1], 5);
    vg_cube_close(c);
}

static void test_damaged_file_is_rebuilt(void **state)
{
    struct tu_store *f = *state;
    struct vg_error err;
    struct vg_cube *c = NULL;
    char cube[TU_PATH_MAX + 8];
    snprintf(cube, sizeof(cube), "%s.cube", f->db);
    ingest(f, rows1);
    assert_int_equal(vg_cube_refresh(f->s, &err), 0);
    size_t n;
    char *good = slurp(cube, &n);
    /* Truncated, garbage, and empty files are all found invalid and replaced. */
    const size_t sizes[] = {n / 2, 0};
    for (size_t k = 0; k < 2; k++) {
        tu_write_file(cube, good, sizes[k]);
        assert_int_equal(vg_cube_open(f->s, &c, &err), 0);
        assert_int_equal(vg_cube_columns(c)->n, 2);
        vg_cube_close(c);
    }
    char *junk = malloc(n);
    for (size_t i = 0; i < n; i++)
        junk[i] = (char)(i * 7 + 3);
    tu_write_file(cube, junk, n);
    assert_int_equal(vg_cube_open(f->s, &c, &err), 0);
    assert_int_equal(vg_cube_columns(c)->n, 2);
    vg_cube_close(c);
    size_t n2;
    char *again = slurp(cube, &n2);
    assert_int_equal(n2, n);
    assert_memory_equal(again, good, n);
    free(again);

    /* The last dictionary said to start 8 bytes before the end, where its n + 1 offsets cannot
     * fit (the size check wrapped around and the offsets were read past the file): invalid,
     * rebuilt. The header's file_size is the 8 bytes holding n, with the dictionary offsets
     * just before it. */
    size_t padded = (n + 4096 + 7) / 8 * 8;
    char *bad = calloc(1, padded);
    memcpy(bad, good, n);
    size_t at = 0;
    for (size_t o = 8; o + 8 <= 512 && !at; o += 8) {
        uint64_t v;
        memcpy(&v, bad + o, 8);
        if (v == n)
            at = o;
    }
    assert_true(at >= 16);
    uint64_t size = padded, dict = padded - 8;
    memcpy(bad + at, &size, 8);
    memcpy(bad + at - 8, &dict, 8);
    tu_write_file(cube, bad, padded);
    assert_int_equal(vg_cube_open(f->s, &c, &err), 0);
    assert_int_equal(vg_cube_columns(c)->n, 2);
    vg_cube_close(c);
    again = slurp(cube, &n2);
    assert_int_equal(n2, n);
    assert_memory_equal(again, good, n);
    free(again);
    free(bad);
    free(good);
    free(junk);
}

/* Four connections of one process (as the server's threads are) find the cube missing and
 * build it at the same time: each build writes a file of its own, so every one succeeds and the
 * cube in place is whole (with one temporary name per process, they truncated each other's file,
 * and a build could answer 200 with wrong counts). Then the same with the cube one ingest behind,
 * so that each appends the new rows to the old file. */
struct builder_arg {
    const char *db;
    int rc;
    size_t rows;
    char msg[VG_ERROR_MSG_MAX];
};

static void *build_in_thread(void *p)
{
    struct builder_arg *a = p;
    struct vg_store *s = NULL;
    struct vg_cube *c = NULL;
    struct vg_error err;
    vg_error_clear(&err);
    a->rc = vg_store_open(a->db, 0, &s, &err);
    if (!a->rc)
        a->rc = vg_cube_open(s, &c, &err);
    if (!a->rc)
        a->rows = vg_cube_columns(c)->n;
    snprintf(a->msg, sizeof(a->msg), "%s", err.message);
    vg_cube_close(c);
    vg_store_close(s);
    return NULL;
}

static void build_together(const char *db, size_t want)
{
    enum { NB = 4 };
    pthread_t th[NB];
    struct builder_arg args[NB];
    for (int i = 0; i < NB; i++) {
        args[i] = (struct builder_arg){.db = db};
        assert_int_equal(pthread_create(&th[i], NULL, build_in_thread, &args[i]), 0);
    }
    for (int i = 0; i < NB; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < NB; i++)
        if (args[i].rc || args[i].rows != want)
            fail_msg("builder %d: %d (%s), %zu rows of %zu", i, args[i].rc, args[i].msg,
                     args[i].rows, want);
}

static void test_concurrent_builds(void **state)
{
    struct tu_store *f = *state;
    struct vg_error err;
    char cube[TU_PATH_MAX + 8];
    snprintf(cube, sizeof(cube), "%s.cube", f->db);
    enum { ROWS = 20000 };
    struct vg_buf b;
    vg_buf_init(&b, (size_t)1 << 24);
    vg_buf_printf(&b, "eventid,iyear,country_txt,nkill\n");
    for (int i = 0; i < ROWS; i++)
        vg_buf_printf(&b, "e%d,%d,%s,%d\n", i, 1990 + i % 30, i % 3 ? "Iraq" : "Peru", i % 5);
    ingest(f, b.data);
    unlink(cube);
    build_together(f->db, ROWS);
    struct vg_cube *c = NULL;
    assert_int_equal(vg_cube_open(f->s, &c, &err), 0);
    assert_int_equal(vg_cube_columns(c)->n, ROWS);
    vg_cube_close(c);

    /* one more ingest, its rows not staged: each builder appends to the old file */
    vg_buf_reset(&b);
    vg_buf_printf(&b, "eventid,iyear,country_txt,nkill\n");
    for (int i = ROWS; i < ROWS + 500; i++)
        vg_buf_printf(&b, "e%d,2020,Chad,1\n", i);
    ingest(f, b.data);
    build_together(f->db, ROWS + 500);
    vg_buf_cleanup(&b);
}

/* A cube file of another database with the same counters, put beside this one (a copy, a
 * restore), is not taken for this database's: it is rebuilt. */
static void test_cube_of_another_database(void **state)
{
    struct tu_store *f = *state;
    struct vg_error err;
    struct vg_cube *c = NULL;
    char db2[TU_PATH_MAX], cube1[TU_PATH_MAX + 8], cube2[TU_PATH_MAX + 8];
    ingest(f, rows1); /* 2 incidents, one ingest */
    assert_int_equal(vg_cube_refresh(f->s, &err), 0);
    struct vg_store *s2 = NULL;
    assert_int_equal(vg_store_open(tu_join(db2, f->dir, "other.db"), 0, &s2, &err), 0);
    char csv[TU_PATH_MAX];
    struct vg_ingest_stats st = {0};
    tu_write_str(tu_join(csv, f->dir, "three.csv"),
                 "eventid,iyear,country_txt\nb1,2001,Chad\nb2,2002,Chad\nb3,2003,Chad\n");
    assert_int_equal(vg_ingest_path(s2, csv, NULL, &st, &err), 0); /* 3 incidents, one ingest */
    snprintf(cube1, sizeof(cube1), "%s.cube", f->db);
    snprintf(cube2, sizeof(cube2), "%s.cube", db2);
    size_t n;
    char *bytes = slurp(cube1, &n);
    tu_write_file(cube2, bytes, n);
    free(bytes);
    assert_int_equal(vg_cube_open(s2, &c, &err), 0);
    assert_int_equal(vg_cube_columns(c)->n, 3);
    vg_cube_close(c);
    vg_store_close(s2);
}

/* The cube holds a copy of the database's data: it gets the database file's permissions. */
static void test_cube_mode_follows_database(void **state)
{
    struct tu_store *f = *state;
    struct vg_error err;
    char db[TU_PATH_MAX], cube[TU_PATH_MAX + 8], csv[TU_PATH_MAX];
    mode_t old = umask(077);
    struct vg_store *s = NULL;
    assert_int_equal(vg_store_open(tu_join(db, f->dir, "private.db"), 0, &s, &err), 0);
    struct vg_ingest_stats st = {0};
    tu_write_str(tu_join(csv, f->dir, "p.csv"), "eventid,iyear\np1,2001\n");
    assert_int_equal(vg_ingest_path(s, csv, NULL, &st, &err), 0);
    assert_int_equal(vg_cube_refresh(s, &err), 0);
    umask(old);
    struct stat sd, sc;
    snprintf(cube, sizeof(cube), "%s.cube", db);
    assert_int_equal(stat(db, &sd), 0);
    assert_int_equal(stat(cube, &sc), 0);
    assert_int_equal(sd.st_mode & 0777, 0600);
    assert_int_equal(sc.st_mode & 0777, 0600);
    vg_store_close(s);
}

static void test_empty_database(void **state)
{
    struct tu_store *f = *state;
    struct vg_error err;
    struct vg_cube *c = NULL;
    assert_int_equal(vg_cube_open(f->s, &c, &err), 0);
    assert_int_equal(vg_cube_columns(c)->n, 0);
    assert_int_equal(vg_cube_dict_size(c, VG_DIM_COUNTRY), 0);
    vg_cube_close(c);
}

static void stage(void *ctx, int64_t id, const struct vg_incident *inc)
{
    vg_cube_appender_add(ctx, id, inc);
}

/* Ingests text with an appender staging the inserted rows, as `vigil ingest` does; returns
 * whether finish used the staged rows. */
static int ingest_staged(struct tu_store *f, const char *text)
{
    int staged = -1;
    char csv[TU_PATH_MAX];
    struct vg_ingest_stats st = {0};
    struct vg_error err;
    struct vg_cube_appender *a = NULL;
    assert_int_equal(vg_cube_appender_create(f->s, &a, &err), 0);
    struct vg_ingest_opts o = {0};
    o.on_inserted = stage;
    o.ctx = a;
    o.batch_rows = 1; /* several batches: the rows come back batch by batch */
    tu_write_str(tu_join(csv, f->dir, "in.csv"), text);
    assert_int_equal(vg_ingest_path(f->s, csv, &o, &st, &err), 0);
    assert_int_equal(vg_cube_appender_finish(a, f->s, &staged, &err), 0);
    return staged;
}

/* The cube file as it is, and as a rebuild from the table makes it: they must be equal. */
static void expect_same_as_rebuilt(struct tu_store *f)
{
    struct vg_error err;
    char cube[TU_PATH_MAX + 8];
    size_t n1, n2;
    snprintf(cube, sizeof(cube), "%s.cube", f->db);
    char *current = slurp(cube, &n1);
    assert_int_equal(unlink(cube), 0);
    assert_int_equal(vg_cube_refresh(f->s, &err), 0);
    char *rebuilt = slurp(cube, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(current, rebuilt, n1);
    free(current);
    free(rebuilt);
}

static void test_appender_staged_rows(void **state)
{
    struct tu_store *f = *state;
    assert_int_equal(ingest_staged(f, rows1), 1); /* into an empty database */
    expect_same_as_rebuilt(f);
    assert_int_equal(ingest_staged(f, rows2), 1); /* after existing rows */
    expect_same_as_rebuilt(f);
    struct vg_cube *c = NULL;
    struct vg_error err;
    assert_int_equal(vg_cube_open(f->s, &c, &err), 0);
    assert_int_equal(vg_cube_columns(c)->n, 4);
    vg_cube_close(c);
}

static void test_appender_after_update(void **state)
{
    struct tu_store *f = *state;
    assert_int_equal(ingest_staged(f, rows1), 1);
    /* a1 changed and a5 new: the update means the cube is built from the table. */
    assert_int_equal(
        ingest_staged(f, "eventid,iyear,imonth,iday,country_txt,region_txt,gname,nkill,nwound,"
                         "latitude,longitude\n"
                         "a1,2014,3,9,Iraq,Middle East & North Africa,ISIL,9,,33.3,44.4\n"
                         "a5,2017,2,2,Mali,Sub-Saharan Africa,JNIM,1,1,16.2,-3.0\n"),
        0);
    expect_same_as_rebuilt(f);
    struct vg_cube *c = NULL;
    struct vg_error err;
    assert_int_equal(vg_cube_open(f->s, &c, &err), 0);
    const struct vg_cube_columns *col = vg_cube_columns(c);
    assert_int_equal(col->n, 3);
    int found = 0;
    for (size_t i = 0; i < col->n; i++)
        found += col->year[i] == 2014 && col->killed[i] == 9;
    assert_int_equal(found, 1);
    vg_cube_close(c);
}

static void test_appender_rows_out_of_order(void **state)
{
    struct tu_store *f = *state;
    struct vg_error err;
    struct vg_cube_appender *a = NULL;
    ingest(f, rows1);
    assert_int_equal(vg_cube_appender_create(f->s, &a, &err), 0);
    /* Rows whose ids do not follow the cube's cannot be staged: finish builds from the table. */
    struct vg_incident inc;
    vg_incident_clear(&inc);
    inc.source = "GTD";
    inc.source_id = "zz";
    inc.year = 2000;
    vg_cube_appender_add(a, 1, &inc);
    ingest(f, rows2);
    int staged = -1;
    assert_int_equal(vg_cube_appender_finish(a, f->s, &staged, &err), 0);
    assert_int_equal(staged, 0);
    expect_same_as_rebuilt(f);
}

static void test_in_memory_database(void **state)
{
    (void)state;
    struct vg_store *s = NULL;
    struct vg_error err;
    struct vg_cube *c = NULL;
    assert_int_equal(vg_store_open(":memory:", 0, &s, &err), 0);
    assert_int_equal(vg_cube_open(s, &c, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "in-memory"));
    vg_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_columns, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_append_equals_rebuild, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_update_rebuilds, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_damaged_file_is_rebuilt, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_builds, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_cube_of_another_database, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_cube_mode_follows_database, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_empty_database, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_appender_staged_rows, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_appender_after_update, setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_appender_rows_out_of_order, setup, tu_store_teardown),
        cmocka_unit_test(test_in_memory_database),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
