/* testutil.h - small helpers shared by the unit tests: scratch directories, files, fixtures.
 *
 * Every helper fails the running cmocka test (fail_msg) when the system refuses what it asks,
 * so tests read as straight lines. Include after <cmocka.h>. */
#ifndef VIGIL_TESTUTIL_H
#define VIGIL_TESTUTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TU_PATH_MAX 4096

/* A scratch directory under $TMPDIR (or /tmp), removed with everything in it by tu_rmtree. */
static inline char *tu_mkdtemp(void)
{
    const char *tmp = getenv("TMPDIR");
    char tmpl[TU_PATH_MAX];
    snprintf(tmpl, sizeof(tmpl), "%s/vigil-unit-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    char *dir = mkdtemp(tmpl);
    if (!dir)
        fail_msg("mkdtemp %s: %s", tmpl, strerror(errno));
    char *copy = strdup(dir);
    if (!copy)
        fail_msg("out of memory");
    return copy;
}

/* Removes path and, when it is a directory, everything under it. */
static inline void tu_rmtree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                    continue;
                char child[TU_PATH_MAX + 256];
                int n = snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
                if (n > 0 && (size_t)n < sizeof(child))
                    tu_rmtree(child);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* dir + "/" + name into a static-free caller buffer of TU_PATH_MAX bytes; a path that does not
 * fit fails the test rather than being cut. */
static inline const char *tu_join(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, TU_PATH_MAX, "%s/%s", dir, name);
    if (n < 0 || n >= TU_PATH_MAX)
        fail_msg("path too long: %s/%s", dir, name);
    return out;
}

static inline void tu_write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("cannot create %s: %s", path, strerror(errno));
    if (n && fwrite(data, 1, n, f) != n)
        fail_msg("cannot write %s", path);
    if (fclose(f) != 0)
        fail_msg("cannot close %s", path);
}

static inline void tu_write_str(const char *path, const char *text)
{
    tu_write_file(path, text, strlen(text));
}

/* The path of a fixture: $VAR/name. */
static inline const char *tu_data_path(char *out, const char *var, const char *name)
{
    const char *dir = getenv(var);
    if (!dir || !dir[0])
        fail_msg("environment variable %s is not set (run the test through ctest)", var);
    snprintf(out, TU_PATH_MAX, "%s/%s", dir, name);
    if (access(out, R_OK) != 0)
        fail_msg("fixture %s is missing: %s", out, strerror(errno));
    return out;
}

/* Reads a whole file into a NUL-terminated heap buffer (free with free()). */
static inline char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s: %s", path, strerror(errno));
    size_t size = 0, cap = 1 << 16;
    char *data = malloc(cap + 1);
    if (!data)
        fail_msg("out of memory");
    size_t got;
    while ((got = fread(data + size, 1, cap - size, f)) > 0) {
        size += got;
        if (size == cap) {
            cap *= 2;
            char *p = realloc(data, cap + 1);
            if (!p)
                fail_msg("out of memory");
            data = p;
        }
    }
    fclose(f);
    data[size] = '\0';
    if (len)
        *len = size;
    return data;
}

#ifdef VIGIL_STORE_H
/* A store in a scratch directory, the fixture of the tests of the store's users (include
 * vigil/store.h before this file): tu_store_setup and tu_store_teardown as a cmocka test's setup
 * and teardown, *state then the struct tu_store. */
struct tu_store {
    char *dir;
    char db[TU_PATH_MAX];
    struct vg_store *s;
};

static inline int tu_store_setup(void **state, const char *name)
{
    struct tu_store *f = calloc(1, sizeof(*f));
    struct vg_error err;
    f->dir = tu_mkdtemp();
    tu_join(f->db, f->dir, name);
    if (vg_store_open(f->db, 0, &f->s, &err) != 0)
        return -1;
    *state = f;
    return 0;
}

static inline int tu_store_teardown(void **state)
{
    struct tu_store *f = *state;
    vg_store_close(f->s);
    tu_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}
#endif

#endif
