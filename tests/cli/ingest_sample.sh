# ingest_sample.sh - the real sample file (data/sample): 1524 rows in a `sep=;` first line,
# `;`-separated, CRLF, `N/A` for unknown, `year;month;day` layout with the source in `adatforras`.
# Ingesting it again changes nothing; a changed row updates its record and only that record.
. "$VG_TESTLIB"

SAMPLE="$VG_SAMPLE_DATA/drone_gtd_acled_20260509.csv"

run "$VIGIL" --db s.db ingest --json "$SAMPLE"
check_status 0 "the sample ingests with exit 0"
check_summary 1524 1524 0 0 0 "the sample: 1524 rows, 1524 inserted"
check_sql s.db "select count(*) from incidents" 1524 "the database holds 1524 incidents"
check_sql s.db "select source, count(*) from incidents group by source order by source" \
    "$(printf 'ACLED|1033\nGTD|491')" "the source comes from the adatforras column: 1033 ACLED, 491 GTD"
check_sql s.db "select count(distinct source_id) from incidents" 1524 "each eventid is one record"

# The first data row, as in the file (line 3).
check_sql s.db "select year, month, day, country, region, provstate, city, latitude, longitude,
        attack, target, weapon, group_name, killed, wounded, success, suicide, specificity
        from incidents where source_id = '201202240001'" \
    "2012|2|24|Pakistan|South Asia|Khyber Pakhtunkhwa|Kotwali|34.004299|71.54483|Bombing/Explosion|Police|Explosives|Abdullah Azzam Brigades|6|6|1|1|2" \
    "the fields of the first row are stored as given"
check_sql s.db "select json_extract(extra, '\$.claimmode_txt'), json_extract(extra, '\$.nkillter')
        from incidents where source_id = '201202240001'" \
    "Personal claim|3" "columns without a field of their own are kept in extra"
check_sql s.db "select count(*) from incidents where summary like '%' || char(13) || '%'
        or city like '%' || char(13) || '%'" 0 "no carriage return is left in the stored text"

# N/A is unknown: stored as NULL, never as the text N/A, and not kept in extra.
check_sql s.db "select count(*) from incidents where 'N/A' in (city, provstate, country, region,
        attack, target, weapon, group_name, summary)" 0 "no field holds the text N/A"
check_sql s.db "select count(*) from incidents, json_each(incidents.extra)
        where json_each.value in ('N/A', '')" 0 "extra holds no N/A and no empty value"
nk_na=$(tail -n +2 "$SAMPLE" | python3 -c '
import csv, sys
rows = csv.reader(sys.stdin, delimiter=";")
col = next(rows).index("nkill")
print(sum(1 for r in rows if r and r[col] in ("N/A", "")))
')
check_sql s.db "select count(*) from incidents where killed is null" "$nk_na" \
    "every N/A or empty nkill of the file ($nk_na) is NULL"
check_match "$nk_na" "^[1-9][0-9]*$" "the sample has unknown nkill values to check"

# ---- the same file again: nothing inserted, nothing changed ----
dump s.db before.dump
run "$VIGIL" --db s.db ingest --json "$SAMPLE"
check_status 0 "the sample again: exit 0"
check_summary 1524 0 0 1524 0 "the sample again: 0 inserted, 1524 unchanged"
dump s.db after.dump
check_files_equal before.dump after.dump "the database content is identical after the second ingest"

# ---- one changed value in a field of its own ----
OTHERS="select * from incidents where source_id <> '201202240001' order by id"
id_before=$(sql s.db "select id from incidents where source_id = '201202240001'")
dump s.db others_before.dump "$OTHERS"
sed '3s/;Kotwali;/;Kotwali Bazaar;/' "$SAMPLE" >changed_city.csv
check_eq 1 "$(diff "$SAMPLE" changed_city.csv | grep -c '^>')" "the edited copy differs in one line"
run "$VIGIL" --db s.db ingest --json changed_city.csv
check_status 0 "a copy with one changed row: exit 0"
check_summary 1524 0 1 1523 0 "one changed city: updated 1, unchanged 1523"
check_sql s.db "select id, city from incidents where source_id = '201202240001'" "$id_before|Kotwali Bazaar" \
    "the record is updated in place with the new city"
dump s.db others_after.dump "$OTHERS"
check_files_equal others_before.dump others_after.dump "the other 1523 records are untouched"

# ---- one changed value in a column kept in extra ----
sed '3s/;Personal claim;/;Personal claim (video);/' changed_city.csv >changed_extra.csv
check_eq 1 "$(diff changed_city.csv changed_extra.csv | grep -c '^>')" "the second copy differs in one line"
run "$VIGIL" --db s.db ingest --json changed_extra.csv
check_status 0 "a copy with one changed extra column: exit 0"
check_summary 1524 0 1 1523 0 "one changed extra column: updated 1, unchanged 1523"
check_sql s.db "select json_extract(extra, '\$.claimmode_txt'), city from incidents
        where source_id = '201202240001'" "Personal claim (video)|Kotwali Bazaar" \
    "the record holds the new extra value and keeps the earlier change"
dump s.db others_after2.dump "$OTHERS"
check_files_equal others_before.dump others_after2.dump "the other records are still untouched"

# ---- back to the original: one update, then nothing ----
run "$VIGIL" --db s.db ingest --json "$SAMPLE"
check_summary 1524 0 1 1523 0 "the original file again: the changed record is updated back"
dump s.db restored.dump
check_files_equal before.dump restored.dump "the database is as after the first ingest"

finish
