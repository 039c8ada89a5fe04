// `ftcnn merge --out DIR SHARD_DIR...`: a campaign run as shards (campaign --shard K/N) put back together
// into one log and its summaries (engine/fault/campaign_merge.hpp, docs/distributed.md).
#pragma once

#include <CLI/CLI.hpp>

namespace ftcnn::cli {

void register_merge_command(CLI::App& app);

}  // namespace ftcnn::cli
