# risk.sh - `vigil risk rank` and `vigil risk site` on three airports whose scores are worked out
# by hand below (no incidents, so every airport takes the default threat rating 5 of
# data/risk/defaults-v1.csv), the note of `risk site` on what a code passed over, and `vigil
# sites assess` end to end when `vigil sites` offers it.
. "$VG_TESTLIB"

export VIGIL_DATA="$VG_SAMPLE_DATA/.."
DB="$VG_SCRATCH/r.db"
cat >airports.csv <<'CSV'
id,ident,type,name,latitude_deg,longitude_deg,iso_country,iata_code,gps_code
1,EDDF,large_airport,Frankfurt am Main Airport,50.0333,8.5706,DE,FRA,EDDF
2,EGLL,large_airport,London Heathrow <LHR>,51.4706,-0.4619,GB,LHR,EGLL
3,EDDK,medium_airport,Cologne Bonn Airport,50.8659,7.1427,DE,CGN,EDDK
CSV
run "$VIGIL" --db "$DB" sites import --kind airport airports.csv
check_status 0 "three airports are imported"
FRA=$(sql "$DB" "select id from sites where iata = 'FRA'")

# FRA: every item met but vehicle_barriers (A3 of W_A = 14).
#   accessibility 1 + 9 * 3/14 = 2.93 -> 3, vulnerability 1, FEMA vulnerability 1 + 9 * 3/26
#   = 2.04 -> 2; defaults of large_airport: criticality 9, recuperability 6, effect 8,
#   recognizability 10, shock 9, asset value 9; CARVER 9+3+6+1+8+10+9 = 46; FEMA 9*5*2 = 90
#   (medium); DHS 0.5 * 0.2 * (9+6+8+9)/40 = 0.08.
# LHR: nothing assessed, every item a gap: CARVER 9+10+6+10+8+10+9 = 62, FEMA 9*5*10 = 450
#   (high), DHS 0.5 * 1 * 0.8 = 0.4.
# CGN (medium_airport: criticality 7, recuperability 5, effect 6, recognizability 9, shock 7,
#   asset value 7), nothing assessed: CARVER 7+10+5+10+6+9+7 = 54, FEMA 7*5*10 = 350, DHS
#   0.5 * 1 * (7+5+6+7)/40 = 0.3125.
for item in perimeter passenger_screening hold_baggage_screening airside_access cctv patrols \
    evacuation staff_training communications blast_mitigation landside_protection; do
    sql "$DB" "insert into site_assessments values ($FRA, '$item', 'met', null, '2026-01-10', 't')"
done
sql "$DB" "insert into site_assessments values ($FRA, 'vehicle_barriers', 'gap', 'east side', '2026-01-10', 't')"

run "$VIGIL" --db "$DB" risk rank --format csv
check_status 0 "risk rank: exit 0"
check_eq "LHR,0.4000,450,high,62 CGN,0.3125,350,high,54 FRA,0.0800,90,medium,46" \
    "$(printf '%s\n' "$OUT" | tail -n +2 | cut -d, -f3,7-10 | xargs)" \
    "risk rank: the hand-computed DHS, FEMA, band and CARVER, highest risk first"
check_contains "$ERR" "every site takes its kind's default threat" "without incidents a note says so"
check_contains "$(printf '%s\n' "$OUT" | tail -n 1)" "vulnerability 2 (gaps: vehicle_barriers)" \
    "the reasons name FRA's gap"

run "$VIGIL" --db "$DB" risk rank --top 1 --format json
check_eq "LHR 450" "$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin)["sites"]; print(len(d) == 1 and "%s %d" % (d[0]["code"], d[0]["fema"]))')" \
    "risk rank --top 1 --format json: one site, LHR"

run "$VIGIL" --db "$DB" risk rank --format html
check_contains "$OUT" "London Heathrow &lt;LHR&gt;" "risk rank --format html escapes the names"
check_not_contains "$OUT" "<LHR>" "no raw markup from the data"
check_contains "$OUT" "</html>" "the page is whole"

run "$VIGIL" --db "$DB" risk rank --kind railway
check_status 0 "risk rank --kind railway: exit 0"
check_contains "$ERR" "no sites match" "no railway stations: said on stderr"

run "$VIGIL" --db "$DB" risk site EDDF
check_status 0 "risk site EDDF: exit 0"
check_contains "$OUT" "CARVER+Shock: 46 / 70" "risk site: CARVER total"
check_contains "$OUT" "accessibility    3  checklist" "risk site: accessibility from the checklist"
check_contains "$OUT" "criticality      9  default" "risk site: criticality from the defaults"
check_contains "$OUT" "FEMA 426: asset value 9 x threat 5 x vulnerability 2 = 90: medium" \
    "risk site: the FEMA product and band"
check_contains "$OUT" "DHS risk: T 0.500 x V 0.200 x C 0.800 = 0.0800" "risk site: the DHS product"
check_contains "$OUT" "vehicle_barriers        accessibility       3  gap          1.93  2026-01-10  east side" \
    "risk site: the gap with its raise, date and note"

run "$VIGIL" --db "$DB" risk site FRA --format json
check_eq "46 90 checklist" "$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["carver_total"], d["fema"]["score"], d["criteria"]["accessibility"]["source"])')" \
    "risk site --format json"

run "$VIGIL" --db "$DB" risk site EDDF
check_empty "$ERR" "risk site EDDF: no note when the code names one row only"

# The code names what the user means, with a note on what was passed over: a copy of the
# database gets FRA again from a second file (600 m away) and a station whose code is FRA.
cp "$DB" n.db
printf 'id,name,latitude,longitude,iata\n9,Frankfurt Main,50.0387,8.5706,FRA\n' >second.csv
printf 'name,code,lat,lon\nRaunheim,FRA,50.0097,8.4528\n' >station.csv
run "$VIGIL" --db n.db sites import --kind airport --quiet second.csv
run "$VIGIL" --db n.db sites import --kind railway --quiet station.csv
run "$VIGIL" --db n.db risk site FRA
check_status 0 "risk site FRA with another import and a station: exit 0"
check_contains "$OUT" "Frankfurt am Main Airport (FRA, id $FRA)" "risk site FRA: the airport imported first"
check_contains "$ERR" "vigil: note: FRA is site $FRA, Frankfurt am Main Airport (airports.csv); also imported as id 4 from second.csv (0.6 km away); also the code of id 5 Raunheim (railway)" \
    "risk site FRA: the note names the other import and the station passed over"
run "$VIGIL" --db n.db risk site FRA --format json
check_contains "$ERR" "vigil: note: FRA is site $FRA," "risk site --format json: the note too, on stderr"
check_eq "$FRA" "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')" \
    "risk site --format json: the JSON is the airport's, unchanged by the note"
run "$VIGIL" --db n.db risk site "$FRA"
check_not_contains "$ERR" "vigil: note: " "risk site by id: no note"

run "$VIGIL" --db "$DB" risk site ZZZ
check_status 1 "risk site of an unknown code: exit 1"
run "$VIGIL" --db "$DB" risk rank --format pdf
check_status 2 "an unknown format is a usage error"

# A malformed scale table stops with its file and line.
mkdir scales && cp "$VIGIL_DATA"/risk/*-v1.csv scales/
printf 'airport,*,shock,eleven,x\n' >>scales/defaults-v1.csv
run "$VIGIL" --db "$DB" risk rank --scales scales
check_status 1 "a bad scale table: exit 1"
check_match "$ERR" "scales/defaults-v1.csv:65: column value: 'eleven' is not a whole number" \
    "the error names the file, line and column"

# ---- vigil sites assess ----
run "$VIGIL" --db "$DB" sites assess --help
check_status 0 "sites assess --help: exit 0"
run "$VIGIL" --db "$DB" sites assess LHR --set cctv=met --note "full coverage" \
    --date 2026-02-01 --set patrols=gap --rate criticality=8
check_status 0 "sites assess --set, --rate: exit 0"
check_sql "$DB" "select item, status, notes, assessed_on from site_assessments s join sites on sites.id = s.site_id where iata = 'LHR' order by item" \
    "cctv|met|full coverage|2026-02-01"$'\n'"patrols|gap||$(date -u +%F)" "the answers are stored"
check_contains "$OUT" "unassessed" "the checklist shows unassessed items"
run "$VIGIL" --db "$DB" sites assess LHR --set moat=gap
check_status 2 "an unknown item is a usage error"
check_contains "$ERR" "unknown item 'moat' for an airport site (valid: perimeter," \
    "the error lists the valid items"
printf 'site,item,status,notes,date\nFRA,cctv,gap,,2026-03-01\nLHR,cctv,maybe,,\nXXX,cctv,met,,\n' >a.csv
run "$VIGIL" --db "$DB" sites assess --file a.csv
check_status 3 "sites assess --file with bad rows: exit 3"
check_eq "3 rows: 1 stored, 2 rejected" "$OUT" "the good row is stored, the bad ones rejected"
check_contains "$ERR" "a.csv:3: status: unknown status 'maybe'" "the rejected row's line"

finish
