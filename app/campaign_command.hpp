// `ftcnn campaign`: repeated bit-flip fault injection over bit error rates (docs/campaigns.md), and
// `ftcnn replay`: re-evaluating one logged fault set.
#pragma once

#include <CLI/CLI.hpp>

namespace ftcnn::cli {

void register_campaign_command(CLI::App& app);
void register_replay_command(CLI::App& app);

}  // namespace ftcnn::cli
