#include "engine/fault/linear_tail.hpp"

#include <algorithm>
#include <cstring>

#include "engine/error.hpp"
#include "engine/evaluate.hpp"
#include "engine/fault/checkpoints.hpp"
#include "engine/layers/linear.hpp"
#include "engine/linear_kernel.hpp"

namespace ftcnn {
namespace {

bool element_wise(LayerType type) {
  return type == LayerType::relu || type == LayerType::relu6 || type == LayerType::leaky_relu ||
         type == LayerType::dropout;
}

bool same_bits(float a, float b) {
  return std::memcmp(&a, &b, sizeof(float)) == 0;
}

}  // namespace

LinearTail::LinearTail(const Graph& graph, const FaultTargets& targets, int64_t images,
                       int64_t budget_bytes) {
  const int nodes = graph.size();
  if (budget_bytes <= 0 || images <= 0 || nodes < 2) return;
  // The chain at the end; node 0 reads the model input, which no hook sees, so it never belongs.
  int start = nodes;
  for (int i = nodes - 1; i >= 1; --i) {
    const LayerType type = graph.layer(i).type();
    if (type != LayerType::linear && !element_wise(type)) break;
    if (graph.inputs(i) != std::vector<int>{i - 1}) break;
    start = i;
  }
  std::vector<int> candidates;
  for (int i = start; i < nodes; ++i)
    if (graph.layer(i).type() == LayerType::linear) candidates.push_back(i);
  // From the first linear layer whose values, with everything after it, fit.
  classes_ = graph.spec().num_classes;
  const int64_t logits_bytes = images * classes_ * static_cast<int64_t>(sizeof(float));
  size_t first = candidates.size();
  int64_t bytes = logits_bytes;
  for (size_t c = candidates.size(); c-- > 0;) {
    const auto& linear = dynamic_cast<const Linear&>(graph.layer(candidates[c]));
    bytes += images * linear.attributes().in_channels * static_cast<int64_t>(sizeof(float));
    if (bytes > budget_bytes) break;
    first = c;
    bytes_ = bytes;
  }
  if (first == candidates.size()) {
    bytes_ = 0;
    return;
  }
  images_ = images;
  input_of_.assign(static_cast<size_t>(nodes), -1);
  for (size_t c = first; c < candidates.size(); ++c) {
    const auto& linear = dynamic_cast<const Linear&>(graph.layer(candidates[c]));
    const int k = static_cast<int>(linears_.size());
    linears_.push_back(candidates[c]);
    in_.push_back(linear.attributes().in_channels);
    out_.push_back(linear.attributes().out_channels);
    weight_.push_back(linear.weight_index());
    bias_.push_back(linear.bias_index());
    input_of_[static_cast<size_t>(candidates[c] - 1)] = k;
  }
  for (int i = linears_.front(); i < nodes; ++i) {
    const auto at = std::find(linears_.begin(), linears_.end(), i);
    steps_.push_back({i, at == linears_.end() ? -1 : static_cast<int>(at - linears_.begin())});
  }
  for (const int node : group_nodes(graph, targets))
    group_in_tail_.push_back(std::find(linears_.begin(), linears_.end(), node) != linears_.end());
}

void LinearTail::allocate() {
  inputs_.clear();
  for (const int64_t in : in_) inputs_.emplace_back(static_cast<size_t>(images_ * in));
  logits_.assign(static_cast<size_t>(images_ * classes_), 0.0f);
}

bool LinearTail::covers(const std::vector<int64_t>& counts) const {
  if (empty()) return false;
  FT_CHECK(counts.size() == group_in_tail_.size(), "{} fault counts for {} groups", counts.size(),
           group_in_tail_.size());
  for (size_t g = 0; g < counts.size(); ++g)
    if (counts[g] > 0 && !group_in_tail_[g]) return false;
  return true;
}

bool LinearTail::covers(const std::vector<FaultSite>& sites) const {
  if (empty()) return false;
  const auto in_tail = [&](int32_t tensor) {
    return std::find(weight_.begin(), weight_.end(), tensor) != weight_.end() ||
           std::find(bias_.begin(), bias_.end(), tensor) != bias_.end();
  };
  return std::all_of(sites.begin(), sites.end(), [&](const FaultSite& site) { return in_tail(site.tensor); });
}

void LinearTail::keep(int node, int64_t first, int64_t count, const float* out) {
  if (empty()) return;
  const int k = input_of_.at(static_cast<size_t>(node));
  if (k < 0) return;
  const int64_t in = in_[static_cast<size_t>(k)];
  std::copy(out, out + count * in, inputs_[static_cast<size_t>(k)].data() + first * in);
}

void LinearTail::keep_logits(int64_t first, int64_t count, const float* logits) {
  if (empty()) return;
  std::copy(logits, logits + count * classes_, logits_.data() + first * classes_);
}

std::vector<int32_t> LinearTail::predictions(Graph& graph, const std::vector<FaultSite>& sites,
                                             CpuContext& ctx) {
  FT_CHECK(!empty() && !logits_.empty(),
           "no linear tail to recompute (allocate and keep a golden run first)");
  const ParameterView params(graph.parameters(), graph.parameters().arena().data());
  const size_t layers = linears_.size();

  // The faulty rows of every linear layer.
  std::vector<std::vector<int64_t>> faulty(layers);
  for (const FaultSite& site : sites) {
    size_t k = 0;
    while (k < layers && weight_[k] != site.tensor && bias_[k] != site.tensor) ++k;
    FT_CHECK(k < layers, "a fault in tensor {} is outside the linear tail", site.tensor);
    const int64_t element = site.element - graph.parameters().info(site.tensor).offset;  // within the tensor
    faulty[k].push_back(weight_[k] == site.tensor ? element / in_[k] : element);
  }
  for (std::vector<int64_t>& rows : faulty) {
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  }

  Changes changes;
  changes.offsets.assign(static_cast<size_t>(images_) + 1, 0);
  size_t step = 0;
  while (step < steps_.size() && (steps_[step].linear < 0 || faulty[steps_[step].linear].empty())) ++step;
  ExecContext exec;
  exec.cpu = &ctx;
  for (; step < steps_.size(); ++step) {
    const Step& s = steps_[step];
    if (s.linear >= 0) {
      const auto k = static_cast<size_t>(s.linear);
      const int64_t in = in_[k], out = out_[k];
      const float* golden = inputs_[k].data();
      const float* weight = params(weight_[k]);
      const float* bias = bias_[k] >= 0 ? params(bias_[k]) : nullptr;
      const std::vector<int64_t>& rows = faulty[k];
      const auto row_count = static_cast<int64_t>(rows.size());
      // The faulty rows of every image from its golden input (used where the input did not change).
      if (row_count > 0) {
        rows_out_.resize(static_cast<size_t>(images_ * row_count));
        scratch_.resize(static_cast<size_t>(linear_scratch_floats(images_, in, row_count)));
        linear_forward(golden, images_, in, weight, bias, LinearRows{rows.data(), row_count},
                       rows_out_.data(), row_count, ctx.threads(), scratch_.data());
      }
      // Every row of the images whose input changed.
      std::vector<int64_t> changed;
      for (int64_t n = 0; n < images_; ++n)
        if (changes.offsets[static_cast<size_t>(n) + 1] > changes.offsets[static_cast<size_t>(n)])
          changed.push_back(n);
      const auto changed_count = static_cast<int64_t>(changed.size());
      if (changed_count > 0) {
        patched_.resize(static_cast<size_t>(changed_count * in));
        for (int64_t i = 0; i < changed_count; ++i) {
          const int64_t n = changed[static_cast<size_t>(i)];
          float* x = patched_.data() + i * in;
          std::copy(golden + n * in, golden + (n + 1) * in, x);
          for (int64_t e = changes.offsets[static_cast<size_t>(n)];
               e < changes.offsets[static_cast<size_t>(n) + 1]; ++e)
            x[changes.positions[static_cast<size_t>(e)]] = changes.values[static_cast<size_t>(e)];
        }
        full_out_.resize(static_cast<size_t>(changed_count * out));
        scratch_.resize(static_cast<size_t>(linear_scratch_floats(changed_count, in, out)));
        linear_forward(patched_.data(), changed_count, in, weight, bias, LinearRows{nullptr, out},
                       full_out_.data(), out, ctx.threads(), scratch_.data());
      }
      // The layer's changed outputs: every row of a changed image, the faulty rows of the others.
      Changes next;
      next.offsets.assign(static_cast<size_t>(images_) + 1, 0);
      size_t c = 0;
      for (int64_t n = 0; n < images_; ++n) {
        if (c < changed.size() && changed[c] == n) {
          for (int64_t j = 0; j < out; ++j) {
            next.positions.push_back(static_cast<int32_t>(j));
            next.values.push_back(full_out_[static_cast<size_t>(static_cast<int64_t>(c) * out + j)]);
          }
          ++c;
        } else {
          for (int64_t j = 0; j < row_count; ++j) {
            next.positions.push_back(static_cast<int32_t>(rows[static_cast<size_t>(j)]));
            next.values.push_back(rows_out_[static_cast<size_t>(n * row_count + j)]);
          }
        }
        next.offsets[static_cast<size_t>(n) + 1] = static_cast<int64_t>(next.values.size());
      }
      changes = std::move(next);
    } else if (!changes.values.empty()) {
      // An element-wise layer, run by its own code on the changed values alone.
      Layer& layer = graph.layer(s.node);
      const auto count = static_cast<int64_t>(changes.values.size());
      const std::unique_ptr<LayerPlan> plan = layer.prepare(exec, Shape{1, count});
      applied_.resize(changes.values.size());
      layer.forward(exec, *plan, params, changes.values.data(), applied_.data());
      changes.values.swap(applied_);
    }
    // Where a linear layer reads the tensor (or at the logits), drop the values equal to the golden ones.
    const bool last = step + 1 == steps_.size();
    if (!last && steps_[step + 1].linear < 0) continue;
    const float* golden =
        last ? logits_.data() : inputs_[static_cast<size_t>(steps_[step + 1].linear)].data();
    const int64_t width = last ? classes_ : in_[static_cast<size_t>(steps_[step + 1].linear)];
    int64_t kept = 0, from = 0;
    for (int64_t n = 0; n < images_; ++n) {
      const int64_t end = changes.offsets[static_cast<size_t>(n) + 1];
      for (int64_t e = from; e < end; ++e) {
        const int32_t position = changes.positions[static_cast<size_t>(e)];
        const float value = changes.values[static_cast<size_t>(e)];
        if (same_bits(value, golden[n * width + position])) continue;
        changes.positions[static_cast<size_t>(kept)] = position;
        changes.values[static_cast<size_t>(kept)] = value;
        ++kept;
      }
      from = end;
      changes.offsets[static_cast<size_t>(n) + 1] = kept;
    }
    changes.positions.resize(static_cast<size_t>(kept));
    changes.values.resize(static_cast<size_t>(kept));
  }

  std::vector<int32_t> predictions(static_cast<size_t>(images_));
  std::vector<float> logits(static_cast<size_t>(classes_));
  for (int64_t n = 0; n < images_; ++n) {
    std::copy(logits_.data() + n * classes_, logits_.data() + (n + 1) * classes_, logits.data());
    for (int64_t e = changes.offsets[static_cast<size_t>(n)]; e < changes.offsets[static_cast<size_t>(n) + 1];
         ++e)
      logits[static_cast<size_t>(changes.positions[static_cast<size_t>(e)])] =
          changes.values[static_cast<size_t>(e)];
    predictions[static_cast<size_t>(n)] = top1(logits.data(), classes_);
  }
  return predictions;
}

}  // namespace ftcnn
