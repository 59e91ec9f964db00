# accounts.sh - `vigil org`, `vigil user` and `vigil key` end to end: adding, listing in the three
# formats, keys shown once and never stored, expiry and revocation as the database records them,
# usage errors (exit 2), refusals (exit 1) and --help.
. "$VG_TESTLIB"

DB="$VG_SCRATCH/a.db"
V() { run "$VIGIL" --db "$DB" "$@"; }

# ---- --help ----
for cmd in org user key; do
    run "$VIGIL" "$cmd" --help
    check_status 0 "vigil $cmd --help exits 0"
    check_contains "$OUT" "Usage: vigil [--db PATH] $cmd" "vigil $cmd --help prints the usage"
    check_empty "$ERR" "vigil $cmd --help writes nothing to stderr"
done
for sub in "org add" "org list" "user add" "user list" "user password" "key create" \
    "key revoke" "key list"; do
    # shellcheck disable=SC2086
    run "$VIGIL" --db "$VG_SCRATCH/help.db" $sub --help
    check_status 0 "vigil $sub --help exits 0"
    check_contains "$OUT" "Usage: vigil" "vigil $sub --help prints the usage"
done
check_no_file "--help creates no database" "$VG_SCRATCH/help.db"
run "$VIGIL" help key
check_contains "$OUT" "--expires-days" "vigil help key describes --expires-days"
run "$VIGIL" user --help
for role in admin analyst reader sync; do
    check_contains "$OUT" "$role" "vigil user --help names the role $role"
done

# ---- organisations ----
V org add "Police Nationale"
check_status 0 "org add: exit 0"
V org add "Bundeskriminalamt"
check_status 0 "org add a second: exit 0"
V org add "Police Nationale"
check_status 1 "org add of a taken name: exit 1"
check_contains "$ERR" "already exists" "a taken organisation name is refused with a clear message"
V org add ""
check_status 1 "org add of an empty name: exit 1"
V org add
check_status 2 "org add without a name: exit 2"
check_contains "$ERR" "NAME" "the message asks for the name"
V org add a b
check_status 2 "org add with two names: exit 2"
V org frobnicate
check_status 2 "an unknown org command: exit 2"
run "$VIGIL" --db "$DB" org
check_status 2 "org without a command: exit 2"

V org list --format csv
check_status 0 "org list --format csv: exit 0"
check_eq "name,users,created_at" "$(printf '%s\n' "$OUT" | head -n 1)" "org list CSV header"
check_eq "Bundeskriminalamt,Police Nationale" "$(printf '%s\n' "$OUT" | tail -n +2 | cut -d, -f1 | paste -sd,)" \
    "org list: both organisations, by name"
check_match "$OUT" '^Police Nationale,0,[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' \
    "org list: users and a UTC ISO 8601 creation time"
V org list --format json
printf '%s\n' "$OUT" >orgs.json
run python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); sys.exit(0 if [o["name"] for o in v]==["Bundeskriminalamt","Police Nationale"] else 1)' orgs.json
check_status 0 "org list --format json parses and lists both"
V org list
check_status 0 "org list (table): exit 0"
check_match "$OUT" "^name +users +created_at$" "org list table header"
V org list --format xml
check_status 2 "org list --format xml: exit 2"
check_contains "$ERR" "xml" "the message names the unknown format"

# ---- users ----
V user add --org "Police Nationale" --role analyst claire
check_status 0 "user add: exit 0"
KEY=$(printf '%s\n' "$OUT" | head -n 1)
check_match "$KEY" '^vg_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$' "user add prints the new key on its first line"
check_contains "$OUT" "shown only once" "user add says the key is shown only once"
PREFIX=${KEY:3:16}
check_sql "$DB" "select u.name || '|' || u.role || '|' || o.name from users u join organisations o on o.id = u.org_id" \
    "claire|analyst|Police Nationale" "the user is stored with its organisation and role"
check_sql "$DB" "select count(*) from api_keys where prefix = '$PREFIX' and length(secret_hash) = 32" \
    "1" "its key is stored as a prefix and a 32-byte hash"

V user add --org "Police Nationale" --role analyst claire
check_status 1 "user add of a taken name: exit 1"
check_contains "$ERR" "already exists" "a taken user name is refused with a clear message"
check_empty "$OUT" "no key is printed for a refused user"
V user add --org "Nowhere" --role reader dora
check_status 1 "user add to an unknown organisation: exit 1"
check_contains "$ERR" "Nowhere" "the message names the unknown organisation"
V user add --org "Police Nationale" --role root dora
check_status 2 "user add with an unknown role: exit 2"
check_contains "$ERR" "admin, analyst, reader or sync" "the message lists the roles"
V user add --role reader dora
check_status 2 "user add without --org: exit 2"
V user add --org "Police Nationale" dora
check_status 2 "user add without --role: exit 2"
V user add --org "Police Nationale" --role reader
check_status 2 "user add without a name: exit 2"
check_sql "$DB" "select count(*) from users" "1" "no refused user was stored"
check_sql "$DB" "select count(*) from api_keys" "1" "no key of a refused user was stored"

V user add --org Bundeskriminalamt --role sync bka-sync
check_status 0 "user add --role sync: exit 0"
V user list --format csv
check_status 0 "user list: exit 0"
check_eq "$(printf 'name,org,role,keys,password,created_at')" "$(printf '%s\n' "$OUT" | head -n 1)" \
    "user list CSV header"
check_match "$OUT" '^bka-sync,Bundeskriminalamt,sync,1,no,' "user list shows the sync user"
check_match "$OUT" '^claire,Police Nationale,analyst,1,no,' "user list shows claire"
V user list --org Bundeskriminalamt --format csv
check_eq "1" "$(printf '%s\n' "$OUT" | tail -n +2 | wc -l)" "user list --org: one organisation's users"
V user list --org Nowhere
check_status 1 "user list --org of an unknown organisation: exit 1"
V user list --format json
printf '%s\n' "$OUT" >users.json
run python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); sys.exit(0 if [u["role"] for u in v]==["sync","analyst"] else 1)' users.json
check_status 0 "user list --format json parses"
V org list --format csv
check_match "$OUT" "^Police Nationale,1," "org list counts the users"

# ---- passwords ----
printf 'correct horse battery\n' >pw.txt
RUN_STDIN=pw.txt V user password claire
check_status 0 "user password: exit 0"
check_sql "$DB" "select substr(password_hash, 1, 10) from users where name = 'claire'" '$argon2id$' \
    "an Argon2id hash is stored"
check_sql "$DB" "select count(*) from users where password_hash like '%correct horse%'" "0" \
    "the password itself is not stored"
printf 'short\n' >short.txt
RUN_STDIN=short.txt V user password claire
check_status 1 "a password that is too short: exit 1"
RUN_STDIN=pw.txt V user password nobody
check_status 1 "the password of an unknown user: exit 1"

# ---- keys ----
V key create claire --expires-days 30
check_status 0 "key create --expires-days 30: exit 0"
KEY2=$(printf '%s\n' "$OUT" | head -n 1)
check_match "$KEY2" '^vg_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$' "key create prints the key"
check_contains "$OUT" "shown only once" "key create says the key is shown only once"
PREFIX2=${KEY2:3:16}
check_sql "$DB" "select cast(round(julianday(expires_at) - julianday(created_at)) as int) from api_keys where prefix = '$PREFIX2'" \
    "30" "the key expires 30 days after its creation"
V key create claire
check_status 0 "key create without expiry: exit 0"
KEY3=$(printf '%s\n' "$OUT" | head -n 1)
check_sql "$DB" "select expires_at is null from api_keys where prefix = '${KEY3:3:16}'" "1" \
    "a key without --expires-days never expires"
V key create nobody
check_status 1 "key create for an unknown user: exit 1"
for bad in 0 3651 -1 x 1.5; do
    V key create claire --expires-days "$bad"
    check_status 2 "key create --expires-days $bad: exit 2"
done
check_contains "$ERR" "--expires-days" "the message names --expires-days"
V key create
check_status 2 "key create without a user: exit 2"

V key list claire --format csv
check_status 0 "key list: exit 0"
check_eq "prefix,created_at,expires_at,revoked_at,status" "$(printf '%s\n' "$OUT" | head -n 1)" \
    "key list CSV header"
check_eq "$PREFIX,$PREFIX2,${KEY3:3:16}" "$(printf '%s\n' "$OUT" | tail -n +2 | cut -d, -f1 | paste -sd,)" \
    "key list shows the three prefixes, oldest first"
check_match "$OUT" "^$PREFIX2,[^,]+Z,[^,]+Z,,active$" "key list shows the expiry"
for k in "$KEY" "$KEY2" "$KEY3"; do
    check_not_contains "$OUT" "${k:20}" "key list never shows a secret"
done
V key list claire --format json
printf '%s\n' "$OUT" >keys.json
run python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); sys.exit(0 if len(v)==3 and v[0]["expires_at"] is None else 1)' keys.json
check_status 0 "key list --format json parses, no expiry is null"
V key list nobody
check_status 1 "key list of an unknown user: exit 1"

V key revoke "$PREFIX"
check_status 0 "key revoke: exit 0"
check_contains "$OUT" "revoked" "key revoke says so"
check_sql "$DB" "select revoked_at is not null from api_keys where prefix = '$PREFIX'" "1" \
    "the revocation is recorded"
V key revoke "$PREFIX"
check_status 0 "revoking a revoked key: exit 0"
check_contains "$OUT" "already revoked" "revoking twice says it already was"
V key list claire --format csv
check_match "$OUT" "^$PREFIX,[^,]+,,[^,]+Z,revoked$" "key list shows the revoked key as revoked"
V user list --format csv
check_match "$OUT" '^claire,Police Nationale,analyst,2,yes,' "user list counts the usable keys and the password"
V key revoke 0123456789abcdef
check_status 1 "revoking an unknown prefix: exit 1"
V key revoke nonsense
check_status 2 "revoking a malformed prefix: exit 2"
V key revoke
check_status 2 "key revoke without a prefix: exit 2"
V key forge
check_status 2 "an unknown key command: exit 2"

# ---- the keys are nowhere in the database files ----
for k in "$KEY" "$KEY2" "$KEY3"; do
    for f in "$DB" "$DB-wal"; do
        [ -e "$f" ] || continue
        if grep -qF -- "${k:20}" "$f"; then
            fail "a key's secret is not in $(basename "$f")"
        else
            pass "a key's secret is not in $(basename "$f")"
        fi
    done
done

# ---- database errors ----
mkdir adir
run "$VIGIL" --db adir org list
check_status 1 "a database that cannot be opened: exit 1"
VIGIL_DB="$DB" run "$VIGIL" org list --format csv
check_contains "$OUT" "Bundeskriminalamt" "org list reads \$VIGIL_DB"
run "$VIGIL" org list --db "$DB" --format csv
check_contains "$OUT" "Bundeskriminalamt" "--db works as a command option"

# ---- every change is in the audit log, in the same transaction as the change ----
AUD="$VG_SCRATCH/audit.db"
run "$VIGIL" --db "$AUD" org add "Harbour Police"
run "$VIGIL" --db "$AUD" org add "Harbour Police"
check_status 1 "a refused change: exit 1"
run "$VIGIL" --db "$AUD" user add --org "Harbour Police" --role analyst bob
KEY=$(printf '%s\n' "$OUT" | head -n 1)
run "$VIGIL" --db "$AUD" key revoke "${KEY:3:16}"
run "$VIGIL" --db "$AUD" audit list --format csv
check_eq "create-organisation,organisation:Harbour Police
create-user,user:bob
revoke-key,key:${KEY:3:16}" "$(printf '%s\n' "$OUT" | tail -n +2 | awk -F, '{ print $5 "," $6 }')" \
    "each change made one audit record; the refused one made none"
run "$VIGIL" --db "$AUD" audit verify
check_status 0 "the audit chain is intact after the changes"
check_contains "$OUT" "3 records, chain intact" "three records"

finish
