// The files a campaign leaves next to its log: summary.json, summary.csv and accuracy_drop.svg (accuracy drop
// against BER with 95 % intervals). Each records the campaign header: seed, configuration, model checksum,
// version.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "engine/fault/campaign.hpp"

namespace ftcnn {

nlohmann::json summary_to_json(const BerSummary& s);
void write_campaign_report(const std::string& out_dir, const nlohmann::json& header,
                           const CampaignResult& result);

}  // namespace ftcnn
