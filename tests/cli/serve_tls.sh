# serve_tls.sh - `vigil serve` over HTTPS: a self-signed certificate made with openssl, a real
# server on a free loopback port, curl trusting only that certificate; then the refusals of a
# certificate without its key, a missing file, and plain HTTP spoken to the HTTPS port.
. "$VG_TESTLIB"
cd "$VG_SCRATCH" || exit 1

DB="$VG_SCRATCH/tls.db"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout key.pem -out cert.pem >/dev/null 2>&1
check_file "openssl made a self-signed certificate" cert.pem

run "$VIGIL" --db "$DB" org add Police
check_status 0 "an organisation"
run "$VIGIL" --db "$DB" user add --org Police --role analyst ana
check_status 0 "an analyst and its key"
KEY=$(printf '%s\n' "$OUT" | head -n 1)

# The server prints "listening on https://127.0.0.1:PORT" first; stderr is kept for a sanitizer
# report.
"$VIGIL" --db "$DB" serve --listen 127.0.0.1:0 --tls-cert cert.pem --tls-key key.pem \
    >serve.out 2>serve.err &
SERVER=$!
for _ in $(seq 1 100); do
    grep -q "listening on" serve.out 2>/dev/null && break
    sleep 0.1
done
LINE=$(head -n 1 serve.out)
check_match "$LINE" '^listening on https://127\.0\.0\.1:[0-9]+$' "the server says it listens on https"
PORT=${LINE##*:}

run curl -sS --cacert cert.pem "https://127.0.0.1:$PORT/api/v1/health"
check_status 0 "curl trusting only the server's certificate connects"
check_eq '{"status":"ok"}' "$OUT" "health over HTTPS"

BODY='{"title":"Van rented","tlp":"TLP:GREEN","distribution":"community"}'
run curl -sS --cacert cert.pem -H "Authorization: Bearer $KEY" -d "$BODY" \
    "https://127.0.0.1:$PORT/api/v1/reports"
check_eq '{"id":1}' "$OUT" "a report is created over HTTPS"
run curl -sS --cacert cert.pem -H "Authorization: Bearer $KEY" -H "X-Vigil-Purpose: tls test" \
    "https://127.0.0.1:$PORT/api/v1/reports/1"
check_contains "$OUT" '"title":"Van rented"' "and read back over HTTPS"

run curl -sS "https://127.0.0.1:$PORT/api/v1/health"
check_status 60 "curl without the certificate refuses it (unknown issuer)"

run curl -sS --max-time 5 "http://127.0.0.1:$PORT/api/v1/health"
check_eq "" "$OUT" "plain HTTP to the HTTPS port gets no answer"
# The connection is taken and then dropped or answered with TLS bytes (52: empty reply, 56: failure
# receiving, 1: unsupported protocol from a TLS alert), never refused (7) or left to time out (28).
check_match "$STATUS" "^(1|52|56)$" "plain HTTP is taken and dropped, not refused (curl status $STATUS)"

kill -TERM "$SERVER"
wait "$SERVER"
check_eq 0 "$?" "the server stops on SIGTERM with status 0"
check_not_contains "$(cat serve.err)" "Sanitizer" "no sanitizer report from the server"

run "$VIGIL" --db "$DB" audit verify
check_status 0 "the audit chain is intact"
check_contains "$OUT" "chain intact" "and says so"

run "$VIGIL" --db "$DB" serve --listen 127.0.0.1:0 --tls-cert cert.pem
check_status 2 "a certificate without its key is a usage error"
check_contains "$ERR" "--tls-cert and --tls-key go together" "which says why"

run "$VIGIL" --db "$DB" serve --listen 127.0.0.1:0 --tls-cert missing.pem --tls-key key.pem
check_status 1 "a missing certificate file is an error"
check_contains "$ERR" "missing.pem" "naming the file"

finish
