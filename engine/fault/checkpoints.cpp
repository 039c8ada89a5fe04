#include "engine/fault/checkpoints.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "engine/error.hpp"
#include "engine/memory_limit.hpp"

namespace ftcnn {
namespace {

std::unordered_map<std::string, int> node_by_name(const Graph& graph) {
  std::unordered_map<std::string, int> nodes;
  for (int i = 0; i < graph.size(); ++i) nodes.emplace(graph.layer(i).name(), i);
  return nodes;
}

int node_of_layer(const std::unordered_map<std::string, int>& nodes, const std::string& layer) {
  const auto it = nodes.find(layer);
  FT_CHECK(it != nodes.end(), "parameters of layer '{}', which the graph does not have", layer);
  return it->second;
}

}  // namespace

std::vector<int> group_nodes(const Graph& graph, const FaultTargets& targets) {
  const auto nodes = node_by_name(graph);
  std::vector<int> result;
  for (size_t g = 0; g < targets.groups().size(); ++g)
    result.push_back(node_of_layer(nodes, targets.group_layer(static_cast<int>(g))));
  return result;
}

int first_faulty_node(const std::vector<int>& group_nodes, const std::vector<int64_t>& counts, int nodes) {
  FT_CHECK(counts.size() == group_nodes.size(), "{} fault counts for {} groups", counts.size(),
           group_nodes.size());
  int first = nodes;
  for (size_t g = 0; g < counts.size(); ++g) {
    if (counts[g] > 0) first = std::min(first, group_nodes[g]);
  }
  return first;
}

int first_faulty_node(const Graph& graph, const std::vector<FaultSite>& sites) {
  const auto nodes = node_by_name(graph);
  const ParameterStore& store = graph.parameters();
  int first = graph.size();
  for (const FaultSite& site : sites) {
    FT_CHECK(site.tensor >= 0 && site.tensor < store.size(), "a fault site names tensor {} of {}",
             site.tensor, store.size());
    first = std::min(first, node_of_layer(nodes, store.info(site.tensor).layer));
  }
  return first;
}

int CheckpointPlan::start_for(int node) const {
  const auto after = std::upper_bound(starts.begin(), starts.end(), node);
  return after == starts.begin() ? 0 : *(after - 1);
}

int64_t checkpoint_slice_floats(int64_t per_item, int64_t batch) {
  constexpr int64_t kAlign = 64;
  const int64_t floats = checked_product(per_item, batch, "checkpoint memory");
  return (floats + kAlign - 1) / kAlign * kAlign;
}

std::vector<int> campaign_steps(const Graph& graph, bool fuse, Device device, int64_t images, int64_t batch) {
  std::vector<int> absorbed(static_cast<size_t>(graph.size()), 0);
  if (!fuse) return absorbed;
  for (int64_t size : {std::min(batch, images), images % batch}) {
    if (size == 0) continue;
    const std::vector<int> plan = graph.fusion_plan(size, device);
    for (size_t i = 0; i < plan.size(); ++i) absorbed[i] = std::min(absorbed[i], plan[i] < 0 ? -1 : 0);
  }
  return absorbed;
}

CheckpointPlan choose_checkpoints(const Graph& graph, const std::vector<int>& absorbed,
                                  const std::vector<int64_t>& demand, int64_t images, int64_t batch,
                                  int64_t budget_bytes) {
  const int n = graph.size();
  FT_CHECK(demand.size() == static_cast<size_t>(n) + 1 && absorbed.size() == static_cast<size_t>(n),
           "checkpoint choice: {} demand entries and {} fusion entries for {} nodes", demand.size(),
           absorbed.size(), n);
  if (budget_bytes <= 0 || images <= 0 || batch <= 0) return {};
  const int64_t batches = (images + batch - 1) / batch;
  // The work a run starting at node s skips: the nodes before s, each its multiply-accumulates plus its
  // output's elements (what an element-wise node costs).
  const std::vector<Shape> shapes = graph.output_shapes(1);
  std::vector<double> skipped(static_cast<size_t>(n) + 1, 0.0);
  for (int i = 0; i < n; ++i) {
    const Shape input = graph.node_inputs(i, shapes).front();
    skipped[static_cast<size_t>(i) + 1] = skipped[static_cast<size_t>(i)] +
                                          static_cast<double>(graph.layer(i).macs_per_item(input)) +
                                          static_cast<double>(shapes[static_cast<size_t>(i)].per_item());
  }
  std::vector<std::vector<int>> cuts(static_cast<size_t>(n));
  for (int s = 1; s < n; ++s) {
    if (absorbed[static_cast<size_t>(s)] >= 0) cuts[static_cast<size_t>(s)] = graph.cut(s);
  }
  const auto value_bytes = [&](int p) {
    return checked_product(checkpoint_slice_floats(shapes[static_cast<size_t>(p)].per_item(), batch) * 4,
                           batches, "checkpoint memory");
  };
  // Work saved over the demand with the starts marked in `chosen`.
  const auto saved = [&](const std::vector<bool>& chosen) {
    double total = 0;
    int start = 0;
    for (int m = 0; m <= n; ++m) {
      if (m < n && chosen[static_cast<size_t>(m)]) start = m;
      total += static_cast<double>(demand[static_cast<size_t>(m)]) * skipped[static_cast<size_t>(start)];
    }
    return total;
  };
  // The bytes of the values that the starts in `chosen` need.
  const auto bytes_of = [&](const std::vector<bool>& chosen) {
    std::vector<bool> kept(static_cast<size_t>(n), false);
    int64_t bytes = 0;
    for (int s = 1; s < n; ++s) {
      if (!chosen[static_cast<size_t>(s)]) continue;
      for (int p : cuts[static_cast<size_t>(s)]) {
        if (!kept[static_cast<size_t>(p)]) bytes += value_bytes(p);
        kept[static_cast<size_t>(p)] = true;
      }
    }
    return bytes;
  };
  // Adds starts one at a time, the best by work saved per extra byte (`per_byte`) or by work saved, while
  // the budget allows; then drops any start the others made useless.
  const auto greedy = [&](bool per_byte) {
    std::vector<bool> chosen(static_cast<size_t>(n), false);
    double current = 0;
    int64_t used = 0;
    for (;;) {
      int best = -1;
      double best_score = 0, best_saved = 0;
      int64_t best_bytes = 0;
      for (int s = 1; s < n; ++s) {
        if (chosen[static_cast<size_t>(s)] || absorbed[static_cast<size_t>(s)] < 0) continue;
        chosen[static_cast<size_t>(s)] = true;
        const double with = saved(chosen);
        const int64_t bytes = bytes_of(chosen);
        chosen[static_cast<size_t>(s)] = false;
        if (with <= current || bytes > budget_bytes) continue;
        const double extra = static_cast<double>(bytes - used);
        const double score = !per_byte   ? with - current
                             : extra > 0 ? (with - current) / extra
                                         : std::numeric_limits<double>::infinity();
        if (best < 0 || score > best_score) {
          best = s;
          best_score = score;
          best_saved = with;
          best_bytes = bytes;
        }
      }
      if (best < 0) break;
      chosen[static_cast<size_t>(best)] = true;
      current = best_saved;
      used = best_bytes;
    }
    for (int s = 1; s < n; ++s) {
      if (!chosen[static_cast<size_t>(s)]) continue;
      chosen[static_cast<size_t>(s)] = false;
      if (saved(chosen) < current) chosen[static_cast<size_t>(s)] = true;
    }
    return chosen;
  };
  const std::vector<bool> by_ratio = greedy(true), by_work = greedy(false);
  const double ratio_saved = saved(by_ratio), work_saved = saved(by_work);
  const bool ratio_wins =
      ratio_saved > work_saved || (ratio_saved == work_saved && bytes_of(by_ratio) <= bytes_of(by_work));
  const std::vector<bool>& chosen = ratio_wins ? by_ratio : by_work;
  CheckpointPlan plan;
  plan.bytes = bytes_of(chosen);
  std::vector<bool> kept(static_cast<size_t>(n), false);
  for (int s = 1; s < n; ++s) {
    if (!chosen[static_cast<size_t>(s)]) continue;
    plan.starts.push_back(s);
    for (int p : cuts[static_cast<size_t>(s)]) kept[static_cast<size_t>(p)] = true;
  }
  for (int p = 0; p < n; ++p) {
    if (kept[static_cast<size_t>(p)]) plan.values.push_back(p);
  }
  return plan;
}

CheckpointLayout::CheckpointLayout(const Graph& graph, const std::vector<int>& absorbed,
                                   const FaultTargets& targets, const ForEachRepetition& repetitions,
                                   int64_t images, int64_t batch, int64_t budget_bytes)
    : group_nodes_(group_nodes(graph, targets)), nodes_(graph.size()), batch_(std::max<int64_t>(batch, 1)) {
  std::vector<int64_t> demand(static_cast<size_t>(nodes_) + 1, 0);
  repetitions([&](const std::vector<int64_t>& counts) {
    ++demand[static_cast<size_t>(first_faulty_node(group_nodes_, counts, nodes_))];
  });
  plan_ = choose_checkpoints(graph, absorbed, demand, images, batch_, budget_bytes);
  const std::vector<Shape> shapes = graph.output_shapes(1);
  slots_.assign(static_cast<size_t>(nodes_), -1);
  for (int p : plan_.values) {
    slots_[static_cast<size_t>(p)] = batch_floats_;
    batch_floats_ += checkpoint_slice_floats(shapes[static_cast<size_t>(p)].per_item(), batch_);
  }
  floats_ = checked_product(batch_floats_, (images + batch_ - 1) / batch_, "checkpoint memory");
}

int64_t CheckpointLayout::offset(int node, int64_t image) const {
  FT_CHECK(image % batch_ == 0, "checkpoints are kept per batch of {}; image {} does not start one", batch_,
           image);
  const int64_t slot = slots_.at(static_cast<size_t>(node));
  return slot < 0 ? -1 : image / batch_ * batch_floats_ + slot;
}

int CheckpointLayout::start_for(const std::vector<int64_t>& counts) const {
  return plan_.start_for(first_faulty_node(group_nodes_, counts, nodes_));
}

int CheckpointLayout::start_for(const Graph& graph, const std::vector<FaultSite>& sites) const {
  return plan_.start_for(first_faulty_node(graph, sites));
}

RunStart CheckpointLayout::run_start(int node, const float* buffer, int64_t image) const {
  RunStart start;
  start.first = node;
  start.values.assign(static_cast<size_t>(nodes_), nullptr);
  for (int p : plan_.values) {
    if (p < node) start.values[static_cast<size_t>(p)] = buffer + offset(p, image);
  }
  return start;
}

int64_t default_checkpoint_budget(int64_t free_bytes) {
  return std::max<int64_t>(free_bytes, 0) / 4;
}

int64_t parse_checkpoint_memory(const std::string& text) {
  if (text == "auto") return -1;
  const auto bad = [&] {
    FT_THROW(
        "'{}' is not a memory size: expected a size such as 2G, 512M or 1073741824 (bytes), 0 for none, "
        "or auto",
        text);
  };
  // Digits with at most one '.', then the unit: no sign, exponent, hex or locale-dependent parsing.
  size_t used = 0;
  while (used < text.size() && (std::isdigit(static_cast<unsigned char>(text[used])) || text[used] == '.'))
    ++used;
  if (used == 0 || std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(used), '.') > 1) bad();
  double number = 0;
  try {
    number = std::stod(text.substr(0, used));
  } catch (const std::exception&) {
    bad();
  }
  std::string unit = text.substr(used);
  const bool prefixed = !unit.empty() && std::string("KkMmGgTt").find(unit[0]) != std::string::npos;
  if (prefixed && (unit.substr(1) == "iB" || unit.substr(1) == "B")) unit = unit.substr(0, 1);
  double scale = 1;
  if (unit.empty() || unit == "B") {
    scale = 1;
  } else {
    const std::string units = "KMGT";
    const size_t power = units.find(static_cast<char>(std::toupper(static_cast<unsigned char>(unit[0]))));
    if (unit.size() != 1 || power == std::string::npos) bad();
    scale = std::pow(1024.0, static_cast<double>(power + 1));
  }
  const double bytes = number * scale;
  if (!std::isfinite(bytes) || bytes > 9.0e18) bad();
  return static_cast<int64_t>(bytes);
}

std::string describe(const CheckpointPlan& plan, const Graph& graph) {
  std::string text = "none";
  if (!plan.empty()) {
    std::string names;
    for (size_t i = 0; i < plan.starts.size(); ++i) {
      if (i == 4 && plan.starts.size() > 5) {
        names += fmt::format(", ... {} more", plan.starts.size() - 4);
        break;
      }
      names += (i > 0 ? ", " : "") + graph.layer(plan.starts[i]).name();
    }
    text = fmt::format("{} ({}), {:.1f} MiB", plan.starts.size(), names,
                       static_cast<double>(plan.bytes) / (1024.0 * 1024.0));
  }
  if (plan.linear_tail.empty()) return text;
  std::string tail;
  for (size_t i = 0; i < plan.linear_tail.size(); ++i)
    tail += (i > 0 ? ", " : "") + graph.layer(plan.linear_tail[i]).name();
  return fmt::format("{}; linear tail recomputed row by row: {}, {:.1f} MiB", text, tail,
                     static_cast<double>(plan.linear_tail_bytes) / (1024.0 * 1024.0));
}

}  // namespace ftcnn
