#include "app/fault_plan.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "engine/error.hpp"

namespace ftcnn::cli {
namespace {

constexpr size_t kLayersShown = 4;

// "classifier.4 16, classifier.1 3, +2 more layers": the layers with faults, most first.
std::string hit_layers(const FaultPlanRow& row, CountModel count) {
  std::vector<std::pair<std::string, double>> hit;
  for (const auto& layer : row.per_layer) {
    if (layer.second > 0) hit.push_back(layer);
  }
  std::stable_sort(hit.begin(), hit.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string text;
  for (size_t i = 0; i < std::min(hit.size(), kLayersShown); ++i) {
    text += fmt::format("{}{} {}", text.empty() ? "" : ", ", hit[i].first,
                        count == CountModel::paper ? fmt::format("{:.0f}", hit[i].second)
                                                   : fmt::format("{:.3g}", hit[i].second));
  }
  if (hit.size() > kLayersShown) text += fmt::format(", +{} more layers", hit.size() - kLayersShown);
  return text;
}

}  // namespace

std::vector<FaultPlanRow> fault_plan(const FaultTargets& targets, CountModel count,
                                     const std::vector<double>& bers) {
  std::vector<FaultPlanRow> plan;
  for (double ber : bers) {
    FaultPlanRow row;
    row.ber = ber;
    const std::vector<int64_t> paper = paper_counts(targets, ber);
    for (size_t g = 0; g < targets.groups().size(); ++g) {
      const double faults = count == CountModel::paper ? static_cast<double>(paper[g])
                                                       : ber * static_cast<double>(targets.groups()[g].bits);
      row.per_layer.emplace_back(targets.group_layer(static_cast<int>(g)), faults);
      row.total += faults;
    }
    plan.push_back(std::move(row));
  }
  return plan;
}

void refuse_zero_fault_bers(const std::vector<FaultPlanRow>& plan, const FaultTargets& targets,
                            CountModel count) {
  if (count != CountModel::paper) return;
  for (const FaultPlanRow& row : plan) {
    FT_CHECK(row.total > 0,
             "at BER {:g} the paper count injects no fault: floor(BER x bits) is 0 for every target layer, "
             "the smallest BER that injects one here is {:.3g}; use --count binomial (Binomial(bits, BER) "
             "faults, {:.3g} on average), a higher BER, or --allow-zero-faults to run it anyway",
             row.ber, smallest_paper_ber(targets),
             fault_plan(targets, CountModel::binomial, {row.ber}).front().total);
  }
}

void print_fault_plan(const std::vector<FaultPlanRow>& plan, CountModel count) {
  fmt::print("faults per repetition ({}):\n", count == CountModel::paper
                                                  ? "paper count, floor(BER x bits) per layer"
                                                  : "binomial count, mean BER x bits");
  for (const FaultPlanRow& row : plan) {
    const std::string layers = hit_layers(row, count);
    fmt::print("  BER {:g}: {}{}\n", row.ber,
               count == CountModel::paper ? fmt::format("{:.0f}", row.total)
                                          : fmt::format("{:.3g} on average", row.total),
               layers.empty() ? "" : " (" + layers + ")");
  }
}

nlohmann::json fault_plan_json(const std::vector<FaultPlanRow>& plan, CountModel count) {
  nlohmann::json rows = nlohmann::json::array();
  for (const FaultPlanRow& row : plan) {
    nlohmann::json layers = nlohmann::json::object();
    for (const auto& layer : row.per_layer) {
      if (count == CountModel::paper) {
        layers[layer.first] = static_cast<int64_t>(layer.second);
      } else {
        layers[layer.first] = layer.second;
      }
    }
    nlohmann::json j = {
        {"ber", row.ber}, {"count", count_model_name(count)}, {"per_layer", std::move(layers)}};
    if (count == CountModel::paper) {
      j["faults"] = static_cast<int64_t>(row.total);
    } else {
      j["mean_faults"] = row.total;
    }
    rows.push_back(std::move(j));
  }
  return rows;
}

nlohmann::json checkpoints_json(const CheckpointPlan& checkpoints, const Graph& graph) {
  nlohmann::json layers = nlohmann::json::array();
  for (int node : checkpoints.starts) layers.push_back(graph.layer(node).name());
  nlohmann::json reply = {{"layers", layers}, {"bytes", checkpoints.bytes}};
  if (!checkpoints.linear_tail.empty()) {
    nlohmann::json tail = nlohmann::json::array();
    for (int node : checkpoints.linear_tail) tail.push_back(graph.layer(node).name());
    reply["linear_tail"] = {{"layers", tail}, {"bytes", checkpoints.linear_tail_bytes}};
  }
  return reply;
}

}  // namespace ftcnn::cli
