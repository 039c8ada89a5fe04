// What a campaign injects per repetition at each BER, shown before it runs (and in its --json reply), and
// the refusal of a paper-count campaign that would inject nothing: floor(BER x bits) is 0 for every target
// layer at low BERs, and such a campaign would report "100 % masked" for a network that was never touched.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/fault/checkpoints.hpp"
#include "engine/fault/fault_counts.hpp"
#include "engine/fault/fault_targets.hpp"

namespace ftcnn::cli {

struct FaultPlanRow {
  double ber = 0.0;
  double total = 0.0;  // paper: the exact count; binomial: the mean, BER x bits
  std::vector<std::pair<std::string, double>> per_layer;  // every target layer, in model order
};

std::vector<FaultPlanRow> fault_plan(const FaultTargets& targets, CountModel count,
                                     const std::vector<double>& bers);

// Throws naming the first BER at which the paper count injects no fault, with the smallest BER that injects
// one and the two ways out (--count binomial, --allow-zero-faults). Binomial counts are never refused.
void refuse_zero_fault_bers(const std::vector<FaultPlanRow>& plan, const FaultTargets& targets,
                            CountModel count);

void print_fault_plan(const std::vector<FaultPlanRow>& plan, CountModel count);
nlohmann::json fault_plan_json(const std::vector<FaultPlanRow>& plan, CountModel count);
// The checkpoints a campaign chose, for its --json reply: {"layers": [where repetitions may start], "bytes"}.
nlohmann::json checkpoints_json(const CheckpointPlan& checkpoints, const Graph& graph);

}  // namespace ftcnn::cli
