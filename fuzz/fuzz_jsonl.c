/* fuzz_jsonl.c - libFuzzer target for the ingest of JSON lines (one object per line, keys in the
 * GTD layout: src/collect/ingest.c and gtd.c, with jansson and the store).
 *
 * The first input byte chooses the encoding and the batch size, the rest is the file; what is
 * checked is described in fuzz_ingest.h. */
#include "fuzz_ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_ingest(data, size, VG_FORMAT_JSONL, "fuzz.jsonl");
}
