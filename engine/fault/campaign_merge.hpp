// `ftcnn merge`: the shards of one campaign (campaign --shard K/N, docs/distributed.md) put back together.
//
// The shards' logs must describe one campaign (headers equal but for "shard"), cover 1/N to N/N once each,
// and hold, between them, every repetition of every BER exactly once; anything else is named in one line
// (a missing shard, a shard given twice, another campaign's shard, a repetition missing because its shard
// has not finished, a repetition in the wrong shard or logged twice) and nothing is written. The merged
// `runs.jsonl` is the header without "shard" and the shards' record lines, copied byte for byte in (BER,
// repetition) order: exactly the log one process writes. The summaries are computed from it as a
// campaign computes them, so they equal one process's too; rerunning the one-process command on the merged
// directory resumes (it finds every repetition done).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/fault/campaign.hpp"

namespace ftcnn {

struct MergedCampaign {
  nlohmann::json header;  // without "shard"
  CampaignResult result;  // golden run, records in (BER, repetition) order, summary
  int64_t shards = 0;
};

// Merges the shards in `shard_dirs` into `out_dir` (created; it must not hold a campaign log yet), writing
// runs.jsonl (atomically) and the summaries.
MergedCampaign merge_campaign_shards(const std::vector<std::string>& shard_dirs, const std::string& out_dir);

}  // namespace ftcnn
