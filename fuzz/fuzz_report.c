/* fuzz_report.c - libFuzzer target for the JSON decoding of intelligence reports
 * (vg_report_create in src/share/reports.c: the depth scan, jansson, parse_report and the
 * writing of a report with its recipients and indicators).
 *
 * The input is the JSON body, as the HTTP API would receive it. The store is opened once per
 * process, in memory, with the organisation "Police", its analyst "ana" (made with the accounts
 * API, so the principal is what vg_key_authenticate gives) and a sharing group "Benelux" that
 * Police owns, so that "group:Benelux" distributions and recipients ["ana"] can succeed.
 *
 * Properties checked:
 *   - vg_report_create returns 0 or a negative VG_E code, and on failure the error report holds
 *     the same code and a message that is not empty;
 *   - on success the id is positive, the author can read the report back with vg_report_get
 *     (with a purpose), the JSON given out parses with jansson as an object whose id is the new
 *     id; the report is then deleted so the store does not grow with the run;
 *   - nothing leaves a transaction open. */
#include "fuzz_check.h"

#include "vigil/accounts.h"
#include "vigil/error.h"
#include "vigil/mem.h"
#include "vigil/reports.h"
#include "vigil/store.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define FUZZ_NOW ((time_t)1767225600) /* 2026-01-01T00:00:00Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vg_store *store;
static struct vg_principal author;

/* Opens the in-memory store and makes the organisation, the analyst and the sharing group. */
static void setup(void)
{
    struct vg_error err;
    char key[VG_KEY_SIZE];
    vg_error_clear(&err);
    FUZZ_CHECK_MSG(vg_store_open(":memory:", 0, &store, &err) == 0, "open: %s", err.message);
    FUZZ_CHECK_MSG(vg_org_add(store, "Police", FUZZ_NOW, NULL, &err) == 0, "org: %s", err.message);
    FUZZ_CHECK_MSG(
        vg_user_add(store, "Police", "ana", VG_ROLE_ANALYST, FUZZ_NOW, NULL, key, &err) == 0,
        "user: %s", err.message);
    FUZZ_CHECK_MSG(vg_key_authenticate(store, key, FUZZ_NOW, &author, &err) == 0, "key: %s",
                   err.message);
    FUZZ_CHECK_MSG(vg_store_exec(store,
                                 "INSERT INTO sharing_groups (name, owner_org_id, created_at) "
                                 "SELECT 'Benelux', id, '2026-01-01T00:00:00Z' FROM organisations "
                                 "WHERE name = 'Police'",
                                 &err) == 0,
                   "group: %s", err.message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_error err;
    int64_t id = 0;
    if (!store)
        setup();
    vg_error_clear(&err);
    int rc = vg_report_create(store, &author, (const char *)data, size, FUZZ_NOW, &id, &err);
    FUZZ_CHECK_MSG(rc <= 0, "create returned %d", rc);
    FUZZ_CHECK_MSG(sqlite3_get_autocommit(vg_store_db(store)),
                   "create left a transaction open (result %d: %s)", rc, err.message);
    if (rc != 0) {
        FUZZ_CHECK_MSG(err.code == rc && err.message[0], "result %d, error report %d \"%s\"", rc,
                       err.code, err.message);
        FUZZ_CHECK_MSG(id == 0, "create failed (%d) but gave the id %lld", rc, (long long)id);
        return 0;
    }
    FUZZ_CHECK_MSG(id > 0, "create succeeded with the id %lld", (long long)id);

    char *text = NULL;
    vg_error_clear(&err);
    rc = vg_report_get(store, &author, id, "fuzzing", &text, &err);
    FUZZ_CHECK_MSG(rc == 0 && text, "the author cannot read report %lld back: %d %s", (long long)id,
                   rc, err.message);
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    FUZZ_CHECK_MSG(root, "report %lld read back is not JSON (%s): %s", (long long)id, jerr.text,
                   text);
    FUZZ_CHECK_MSG(json_is_object(root) &&
                       json_integer_value(json_object_get(root, "id")) == (json_int_t)id,
                   "report %lld read back without its id: %s", (long long)id, text);
    json_decref(root);
    vg_free(text);

    vg_error_clear(&err);
    rc = vg_report_delete(store, &author, id, "fuzzing", &err);
    FUZZ_CHECK_MSG(rc == 0, "the author cannot delete report %lld: %d %s", (long long)id, rc,
                   err.message);
    FUZZ_CHECK(sqlite3_get_autocommit(vg_store_db(store)));
    return 0;
}
