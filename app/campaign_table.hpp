// The per-BER table `campaign` and `merge` print (accuracy drop with its 95 % interval, masked / SDC / DUE
// shares), and its rows as JSON for --json.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "engine/fault/campaign.hpp"

namespace ftcnn::cli {

void print_campaign_table(const std::vector<BerSummary>& summary);
nlohmann::json campaign_rows_json(const std::vector<BerSummary>& summary);

}  // namespace ftcnn::cli
