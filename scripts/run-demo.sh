#!/bin/sh
# `make run`: loads the bundled sample data into a fresh database and shows what Vigil can tell
# about it. Usage: scripts/run-demo.sh VIGIL DB
set -eu
VIGIL=$1
DB=$2
SAMPLE=data/sample/drone_gtd_acled_20260509.csv

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
echo "The database is $DB (SQLite; its analytic cube is $DB.cube)."
echo "Try: $VIGIL --db $DB stats --help"
