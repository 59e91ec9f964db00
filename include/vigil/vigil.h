/* vigil.h - the whole public API of libvigil. */
#ifndef VIGIL_VIGIL_H
#define VIGIL_VIGIL_H

#define VIGIL_VERSION "0.1.0"

#include "vigil/accounts.h"
#include "vigil/audit.h"
#include "vigil/csv.h"
#include "vigil/cube.h"
#include "vigil/error.h"
#include "vigil/gistar.h"
#include "vigil/groups.h"
#include "vigil/hash.h"
#include "vigil/hotspot.h"
#include "vigil/incident.h"
#include "vigil/ingest.h"
#include "vigil/knox.h"
#include "vigil/mem.h"
#include "vigil/policy.h"
#include "vigil/reports.h"
#include "vigil/rand.h"
#include "vigil/select.h"
#include "vigil/server.h"
#include "vigil/series.h"
#include "vigil/stats.h"
#include "vigil/store.h"
#include "vigil/surge.h"
#include "vigil/svg.h"
#include "vigil/text.h"

#endif
