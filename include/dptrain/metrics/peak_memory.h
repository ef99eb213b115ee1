// Peak resident memory per rank: each rank should hold only its shard, whatever the job size.
#pragma once

#include "dptrain/comm/communicator.h"
#include "dptrain/metrics/metrics.h"

namespace dptrain {

// Collective: every rank's peak resident memory so far, in MiB, across the ranks.
Spread gather_peak_rss_mb(Communicator& comm);

}  // namespace dptrain
