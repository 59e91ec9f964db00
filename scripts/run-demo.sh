#!/bin/sh
# `make run`: loads the bundled sample data and the key sites of data/sites into a fresh database
# and shows what Vigil can tell about them, then serves the HTTP API on 127.0.0.1:8080 with a fresh
# administrator key until Ctrl-C. Usage: scripts/run-demo.sh VIGIL DB
set -eu
VIGIL=$1
DB=$2
SAMPLE=data/sample/drone_gtd_acled_20260509.csv
SITES=data/sites
LISTEN=127.0.0.1:8080

mkdir -p "$(dirname "$DB")"
rm -f "$DB" "$DB-wal" "$DB-shm" "$DB.cube"
echo "== Loading the sample data ($SAMPLE) into $DB"
"$VIGIL" --db "$DB" ingest "$SAMPLE"
echo
echo "== Incidents, killed and wounded by source and year"
"$VIGIL" --db "$DB" stats --by source,year --measure incidents,killed,wounded
echo
echo "== The ten countries with the most incidents since 2020"
"$VIGIL" --db "$DB" stats --by country --from 2020 --format csv |
    { IFS= read -r header; echo "$header"; sort -t, -k2,2nr | head -n 10; }
echo
echo "== Attack types recorded by the GTD"
"$VIGIL" --db "$DB" stats --by attack --where source=GTD --measure incidents,killed
echo
echo "== Incidents per year since 2019, by source, with the change from the year before"
"$VIGIL" --db "$DB" analyze trend --period year --by source --from 2019
echo
echo "== Months that broke the pattern (Poisson CUSUM), by country"
"$VIGIL" --db "$DB" analyze surge --period month --by country | head -n 12
echo
echo "== The hottest 10 km cells (Getis-Ord Gi*, FDR-corrected)"
"$VIGIL" --db "$DB" analyze hotspots --format csv | head -n 6
echo
# OurAirports only: OpenFlights lists most of the same airports again, which the ranking would show
# twice. The station files name no country.
echo "== Key sites: airports (OurAirports), German railway stations (DB), New York subway (MTA)"
"$VIGIL" --db "$DB" sites import --kind airport "$SITES/ourairports_medium_large.csv"
"$VIGIL" --db "$DB" sites import --kind railway --country DE "$SITES/db_stations_germany.csv"
"$VIGIL" --db "$DB" sites import --kind subway --country US "$SITES/nyc_subway_stations_mta.csv"
echo
echo "== The ten key sites most at risk (DHS risk T x V x C; none is assessed yet, so every"
echo "   checklist item counts as a gap and the threat of the incidents near each site decides)"
"$VIGIL" --db "$DB" risk rank --top 10
echo
echo "The database is $DB (SQLite; its analytic cube is $DB.cube)."
echo "Try: $VIGIL --db $DB stats --help"
echo "     $VIGIL --db $DB risk site AHB"
echo
echo "== The HTTP API for partner agencies"
"$VIGIL" --db "$DB" org add "Demo Agency"
# `vigil user add` prints the new user's API key on its first line, once.
ADDED=$("$VIGIL" --db "$DB" user add --org "Demo Agency" --role admin admin)
KEY=$(printf '%s\n' "$ADDED" | head -n 1)
echo "Added the administrator admin of Demo Agency."
echo
echo "Address:             http://$LISTEN"
echo "Administrator key:   $KEY"
echo "                     (shown only this once; the next 'make run' makes a new database)"
echo "Try, from another terminal:"
echo "  curl -H \"Authorization: Bearer $KEY\" http://$LISTEN/api/v1/stats?by=year"
echo "  curl -N -H \"Authorization: Bearer $KEY\" -H \"X-Vigil-Purpose: duty desk\" http://$LISTEN/api/v1/events"
echo "      (the live stream: new reports you may read, as they come; docs/api.md)"
echo
echo "Starting vigil serve on $LISTEN; Ctrl-C stops it."
# The shell keeps running through Ctrl-C (the server gets it and stops) to tell how it ended.
trap : INT
STATUS=0
"$VIGIL" --db "$DB" serve --listen "$LISTEN" || STATUS=$?
trap - INT
case $STATUS in
0 | 130) echo "The server stopped." ;;
*)
    echo "vigil serve could not run on $LISTEN (its error is above; is port ${LISTEN##*:}" \
        "taken by another program?)." >&2
    echo "Free the port and run 'make run' again, or serve on another port:" >&2
    echo "  $VIGIL --db $DB serve --listen 127.0.0.1:0" >&2
    exit "$STATUS"
    ;;
esac
