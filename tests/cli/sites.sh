# sites.sh - `vigil sites`: the four real files import with their counts (from data/sites, copies
# of ../shared/data), Heathrow lands at 51.4706,-0.4619, re-import changes nothing,
# rejected rows are reported with file, line and reason and exit status 3, list filters and
# formats, show by code (the rule that picks one airport for FRA, EDDF, LHR, EGLL, JFK, and the
# note of `sites show` and `sites assess` about the rows passed over) and the ambiguity message,
# threat on a hand-built case, and usage errors. Damaged files: a stray quote rejects its first
# line only (the lines it swallowed are read again), in `sites import` and `sites assess --file`;
# a Latin-1 header; a decimal comma after a quoted header name holding commas; Latin-1 notes.
. "$VG_TESTLIB"
# the scale tables of `sites assess`, wherever the build directory is
export VIGIL_DATA="$VG_SAMPLE_DATA/.."

S=$(cd "$VG_SAMPLE_DATA/../sites" && pwd) # the real files, shipped as data/sites
T=$VG_TEST_DATA/sites                       # the hand-made ones
for f in ourairports_medium_large airports_openflights db_stations_germany nyc_subway_stations_mta; do
    [ -r "$S/$f.csv" ] || fail "data file $S/$f.csv is missing"
done

run "$VIGIL" --db s.db sites import --kind airport --json "$S/ourairports_medium_large.csv"
check_status 0 "OurAirports: exit 0"
check_summary 5210 5210 0 0 0 "OurAirports: 5,210 airports"
run "$VIGIL" --db s.db sites import --kind airport --json "$S/airports_openflights.csv"
check_summary 7184 7184 0 0 0 "OpenFlights: 7,184 airports"
run "$VIGIL" --db s.db sites import --kind railway --json "$S/db_stations_germany.csv"
check_summary 5388 5388 0 0 0 "DB: 5,388 stations"
run "$VIGIL" --db s.db sites import --kind subway --country US --json "$S/nyc_subway_stations_mta.csv"
check_summary 496 496 0 0 0 "MTA: 496 subway stations"
check_sql s.db "select count(*) from sites" 18278 "18,278 sites stored"
check_sql s.db "select count(*) from audit_log where action = 'sites.import'" 4 "each import is audited"

run "$VIGIL" --db s.db sites import --kind airport --json "$S/ourairports_medium_large.csv" "$S/airports_openflights.csv"
check_summary 12394 0 0 12394 0 "re-import of both airport files changes nothing"
run "$VIGIL" --db s.db sites import --kind subway --country US "$S/nyc_subway_stations_mta.csv"
check_eq "496 rows: 0 inserted, 0 updated, 496 unchanged, 0 rejected" "$OUT" "the plain summary"

run "$VIGIL" --db s.db sites show 753
check_status 0 "show by id"
check_match "$OUT" "^latitude +51\.4706$" "LHR latitude 51.4706"
check_match "$OUT" "^longitude +-0\.461941$" "LHR longitude -0.4619"
check_match "$OUT" "^code +LHR$" "LHR code"
# a code names one airport: IATA/ICAO above the DB stations' DS100 codes (Raunheim is FRA,
# Heudeber-Danstedt LHR), and the rows of both airport files are one place: the first imported
for key in FRA:638 EDDF:638 LHR:753 EGLL:753 JFK:1828 kjfk:1828; do
    run "$VIGIL" --db s.db sites show "${key%%:*}"
    check_status 0 "show ${key%%:*}: exit 0"
    check_match "$OUT" "^id +${key#*:}$" "${key%%:*} is site ${key#*:} (OurAirports)"
    check_match "$OUT" "^kind +airport$" "${key%%:*} is an airport"
done
run "$VIGIL" --db s.db sites show FRA
check_contains "$ERR" "vigil: note: FRA is site 638, Frankfurt Airport (ourairports_medium_large.csv); also imported as id 5547 from airports_openflights.csv (0.8 km away); also the code of id 16139 Raunheim (railway)" \
    "sites show FRA: the note names the other import and the station passed over"
check_not_contains "$OUT" "note" "sites show FRA: the note is not in the output"
run "$VIGIL" --db s.db sites show egll
check_contains "$ERR" "vigil: note: egll is site 753, London Heathrow Airport (ourairports_medium_large.csv); also imported as id 5713 from airports_openflights.csv (0.0 km away)" \
    "sites show egll: the other import of Heathrow"
check_not_contains "$ERR" "Heudeber-Danstedt" "sites show egll: no station has the ICAO code"
run "$VIGIL" --db s.db sites show 638
check_empty "$ERR" "sites show by id: no note"
run "$VIGIL" --db s.db sites show 16139
check_match "$OUT" "^name +Raunheim$" "the station Raunheim by its id"
run "$VIGIL" --db s.db sites show ff
check_match "$OUT" "^name +Frankfurt \(Main\) Hbf$" "a station by its own code"
run "$VIGIL" --db s.db sites assess FRA
check_status 0 "sites assess FRA: exit 0"
check_contains "$ERR" "vigil: note: FRA is site 638, Frankfurt Airport (ourairports_medium_large.csv); also imported as id 5547 from airports_openflights.csv (0.8 km away); also the code of id 16139 Raunheim (railway)" \
    "sites assess FRA: the note names the other import and the station passed over"
check_contains "$OUT" "Frankfurt Airport (FRA, id 638)" "sites assess FRA: the airport's checklist"
run "$VIGIL" --db s.db sites assess 638
check_empty "$ERR" "sites assess by id: no note"
# --file: codes found by the same rule; the first ten rejected rows shown, the rest counted
{
    echo "site,item,status,notes,date"
    echo "FRA,cctv,gap,east side,2026-03-01"
    for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "EGLL,cctv,bad$i,,"; done
} >answers.csv
run "$VIGIL" --db s.db sites assess --by tester --file answers.csv
check_status 3 "sites assess --file: exit 3 with rejected rows"
check_eq "13 rows: 1 stored, 12 rejected" "$OUT" "sites assess --file: the summary"
check_contains "$ERR" "answers.csv:12: status: unknown status 'bad10'" "the tenth rejected row is shown"
check_not_contains "$ERR" "answers.csv:13:" "the eleventh is not"
check_contains "$ERR" "vigil: ... 2 more rejected rows" "the others are counted"
check_sql s.db "select site_id, status, notes from site_assessments where item = 'cctv'" "638|gap|east side" \
    "FRA in the file is the airport 638"
printf 'site,item\nFRA,cctv\n' >nostatus.csv
run "$VIGIL" --db s.db sites assess --file nostatus.csv
check_status 1 "sites assess --file without a status column: exit 1"
check_contains "$ERR" "vigil: nostatus.csv:1: missing column 'status'" "the missing column is named"
printf '\nsep=,\nsite,item\nFRA,cctv\n' >nostatus2.csv
run "$VIGIL" --db s.db sites assess --file nostatus2.csv
check_contains "$ERR" "vigil: nostatus2.csv:3: missing column 'status'" \
    "after a blank line and sep=, the header's own line is named"
# a stray quote swallowed the next two rows into the perimeter notes, and a six-field row was
# stored: now the quote's line and the long row are rejected, the two rows read again; Latin-1
# notes are refused, not stored raw
printf 'site,item,status,notes\nFRA,perimeter,gap,"fence damaged\nFRA,patrols,met,ok\nFRA,evacuation,gap,"none"\nFRA,vehicle_barriers,met,,extra,fields\nFRA,staff_training,gap,Zaun besch\xe4digt\n' >stray.csv
run "$VIGIL" --db s.db sites assess --file stray.csv
check_status 3 "sites assess --file with a stray quote: exit 3"
check_eq "5 rows: 2 stored, 3 rejected" "$OUT" "the stray quote: the summary"
check_contains "$ERR" "vigil: stray.csv:2: a quoted field spanning lines closes before other text: a stray quote; reading resumes on the next line" \
    "the stray quote's line is rejected"
check_contains "$ERR" "vigil: stray.csv:5: expected 4 fields as in the header, found 6" \
    "a row with more fields than the header is rejected"
check_contains "$ERR" "vigil: stray.csv:6: notes: text is not valid UTF-8" "Latin-1 notes are rejected"
check_sql s.db "select item || '=' || status || ':' || notes from site_assessments where site_id = 638 and item <> 'cctv' order by item" \
    "evacuation=gap:none"$'\n'"patrols=met:ok" "the swallowed rows are stored, the others not"
# two airports of one code far apart (a code given to another airport since) stay ambiguous
printf 'id,name,lat,lon,iata\n1,Old Field,10,10,QQQ\n' >q1.csv
printf 'id,name,lat,lon,iata\n1,New Field,10.5,10,QQQ\n' >q2.csv
run "$VIGIL" --db s.db sites import --kind airport --quiet q1.csv q2.csv
run "$VIGIL" --db s.db sites show qqq
check_status 1 "one code, two airports 56 km apart: ambiguous"
check_contains "$ERR" "the code 'qqq' names 2 sites; give one by its id: 18279 Old Field (airport, q1.csv); 18280 New Field (airport, q2.csv)" \
    "the candidates are listed with ids"
run "$VIGIL" --db s.db sites show 17783 --format json
check_status 0 "show the first subway stop"
got=$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["name"], d["country"], d["region"], d["lat"], d["lon"])')
check_eq "Van Cortlandt Park-242 St US North America 40.889248 -73.898583" "$got" "show JSON"
run "$VIGIL" --db s.db sites show XXXX
check_status 1 "an unknown code: exit 1"
check_contains "$ERR" "no site with code 'XXXX'" "an unknown code: said"

run "$VIGIL" --db s.db sites list --kind airport --near 51.4706,-0.4619 --km 10 --format csv
check_status 0 "list near Heathrow"
check_eq 5 "$(printf '%s\n' "$OUT" | wc -l)" "header and 4 rows: LHR and Northolt from each file"
run "$VIGIL" --db s.db sites list --country DE --format json
n=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
run "$VIGIL" --db s.db sites list --country germany --format csv
m=$(($(printf '%s\n' "$OUT" | wc -l) - 1))
check_eq 1 "$([ "$n" = "$m" ] && [ "$m" -gt 20 ] && echo 1)" "country by code and by name ($n, $m)"

# rejected rows
run "$VIGIL" --db r.db sites import --kind other --rejects rej.jsonl --json "$T/bad.csv"
check_status 3 "some rows rejected: exit 3"
check_summary 8 2 0 0 6 "bad.csv: 2 stored, 6 rejected"
check_contains "$ERR" "bad.csv:3: name: no name" "line 3: no name"
check_contains "$ERR" "bad.csv:5: latitude: latitude 'north' is not a number" "line 5: not a number"
check_contains "$ERR" "bad.csv:7: id: id '1' repeats the row on line 2" "line 7: repeated id"
check_eq 6 "$(wc -l <rej.jsonl)" "--rejects has every rejected row"
check_contains "$(head -n 1 rej.jsonl)" '"line":3' "--rejects: JSON lines with the line"

# a stray quote in a name: its line is rejected, the two lines it swallowed are read again
printf 'name,lat,lon,code\n"Gatwick\nStansted,51.88,0.23,STN\nLuton",51.15,-0.18,LGW\n' >stray.csv
run "$VIGIL" --db q.db sites import --kind airport --json stray.csv
check_status 3 "a stray quote: exit 3"
check_summary 3 2 0 0 1 "a stray quote: its line rejected, the others stored"
check_contains "$ERR" "vigil: stray.csv:2: name: a quoted field spanning lines in a column that holds no line end: a stray quote; reading resumes on the next line" \
    "the stray quote's line and column"
check_sql q.db "select group_concat(name || ' ' || code, '|') from (select * from sites order by id)" \
    'Stansted STN|Luton" LGW' "no site holds the swallowed lines"
# a Latin-1 header: Länge is the longitude, Straße a key of extra in UTF-8
printf 'id;name;Breite;L\xe4nge;Stra\xdfe\n1;M\xfcnchen Hbf;48,14;11,56;Bayerstra\xdfe 10\n' >l1.csv
run "$VIGIL" --db q.db sites import --kind railway --encoding latin1 --json l1.csv
check_status 0 "a Latin-1 header with --encoding latin1: exit 0"
check_summary 1 1 0 0 0 "a Latin-1 header: the row stored"
check_sql q.db "select name || ' ' || lat || ' ' || lon || ' ' || extra from sites where source = 'l1.csv'" \
    'München Hbf 48.14 11.56 {"Straße":"Bayerstraße 10"}' "a Latin-1 header: converted"
# ';' detected by the reader although a quoted header name holds three commas: decimal commas
printf 'name;lat;lon;"Betreiber, Region, Land, Typ"\nKoeln Hbf;50,94;6,96;DB\n' >koeln.csv
run "$VIGIL" --db q.db sites import --kind railway --json koeln.csv
check_summary 1 1 0 0 0 "decimal commas with ';' and a quoted header name holding commas"
check_sql q.db "select lat || ' ' || lon from sites where source = 'koeln.csv'" "50.94 6.96" \
    "the decimal commas read"

printf 'name,city\nA,B\n' >nocoord.csv
run "$VIGIL" --db r.db sites import --kind mall nocoord.csv
check_status 1 "a file without coordinates: exit 1"
check_contains "$ERR" "no latitude column" "said"

# threat on a hand-built case: two incidents near an airport at the origin
cat >inc.csv <<'CSV'
eventid,iyear,imonth,iday,latitude,longitude,targtype1_txt
1,2000,1,1,0.224830,0,Airports & Aircraft
2,2009,1,1,0.089932,0,Airports & Aircraft
3,2009,1,1,0.1,0,Business
CSV
run "$VIGIL" --db t.db ingest --quiet inc.csv
check_status 0 "ingest the incidents"
printf 'id,name,lat,lon\nA,Origin,0,0\n' >a.csv
run "$VIGIL" --db t.db sites import --kind airport --quiet a.csv
run "$VIGIL" --db t.db sites threat --format json
check_status 0 "threat: exit 0"
got=$(printf '%s' "$OUT" | python3 -c '
import json,sys
t=json.load(sys.stdin)[0]
print(t["n"], round(t["x"], 4), t["t"], round(t["lambda"], 6), round(t["p"], 6), t["pool"])')
# 25.000 and 10.000 km: 1 - 0.25 + 1 - 0.04 = 1.71 over 10 years; one site: the pooled rate
check_eq "2 1.71 10 0.171 0.157178 airport/world" "$got" "threat by hand: x 1.71, lambda 0.171, p 1-exp(-0.171)"
run "$VIGIL" --db t.db sites threat 1 --kernel uniform --horizon 2 --format csv
check_status 0 "threat of one site by id"
check_match "$OUT" "^1,airport,,Origin,,0,0,2,2,10,0.2,airport/world," "uniform kernel: x = n = 2"
run "$VIGIL" --db t.db sites threat --km 5 --format csv
check_match "$OUT" "^1,airport,,Origin,,0,0,0,0,10,0," "5 km: nothing"
run "$VIGIL" --db t.db sites threat --targets /nonexistent.csv
check_status 1 "a missing table of target kinds: exit 1"

# usage
run "$VIGIL" --db s.db sites import s.csv
check_status 2 "import without --kind: exit 2"
run "$VIGIL" --db s.db sites import --kind harbour s.csv
check_status 2 "an unknown kind: exit 2"
check_contains "$ERR" "airport, railway, subway, mall, venue or other" "the kinds are listed"
run "$VIGIL" --db s.db sites list --near 95,0
check_status 2 "a latitude beyond 90: exit 2"
run "$VIGIL" --db s.db sites threat --km 0
check_status 2 "--km 0: exit 2"
run "$VIGIL" --db s.db sites frobnicate
check_status 2 "an unknown sub-command: exit 2"
for sub in import list show threat; do
    run "$VIGIL" sites $sub --help
    check_status 0 "sites $sub --help"
    check_contains "$OUT" "Usage: vigil [--db PATH] sites $sub" "sites $sub --help: usage"
done
run "$VIGIL" sites --help
check_contains "$OUT" "threat" "sites --help lists the commands"

finish
