#include "engine/fault/fault_counts.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/enum_names.hpp"
#include "engine/error.hpp"

namespace ftcnn {

namespace {

constexpr EnumName<CountModel> kCountModels[] = {{CountModel::paper, "paper"},
                                                 {CountModel::binomial, "binomial"}};

int64_t paper_count(double ber, uint64_t bits) {
  return static_cast<int64_t>(std::floor(ber * static_cast<double>(bits)));
}

}  // namespace

const char* count_model_name(CountModel model) {
  return enum_name(kCountModels, model);
}

CountModel parse_count_model(const std::string& text) {
  return enum_from_name(kCountModels, text, "fault count model");
}

int64_t binomial_draw(uint64_t n, double p, const FaultKey& key, uint32_t group) {
  if (n == 0 || p <= 0.0) return 0;
  if (p >= 1.0) return static_cast<int64_t>(n);
  // The gap before the next success of a Bernoulli(p) sequence is geometric: floor(log(U) / log(1 - p)).
  const double log_q = std::log1p(-p);
  int64_t successes = 0;
  uint64_t position = 0;  // index of the next trial
  for (uint32_t draw = 0;; ++draw) {
    const PhiloxCounter r = fault_random(key, group | kCountStream, draw);
    // U in (0, 1]: 53 random bits, never 0, so log(U) is finite.
    const uint64_t bits = ((static_cast<uint64_t>(r.word[0]) << 32) | r.word[1]) >> 11;
    const double u = (static_cast<double>(bits) + 1.0) * 0x1.0p-53;
    const double gap = std::floor(std::log(u) / log_q);
    if (gap >= static_cast<double>(n - position)) break;
    position += static_cast<uint64_t>(gap) + 1;
    ++successes;
    if (position >= n) break;
  }
  return successes;
}

std::vector<int64_t> fault_counts(const FaultTargets& targets, CountModel model, double ber,
                                  const FaultKey& key) {
  FT_CHECK(ber >= 0.0 && ber <= 1.0, "bit error rate {} outside [0, 1]", ber);
  std::vector<int64_t> counts;
  for (size_t g = 0; g < targets.groups().size(); ++g) {
    const uint64_t bits = targets.groups()[g].bits;
    switch (model) {
      case CountModel::paper:
        counts.push_back(paper_count(ber, bits));
        break;
      case CountModel::binomial:
        counts.push_back(binomial_draw(bits, ber, key, static_cast<uint32_t>(g)));
        break;
    }
  }
  return counts;
}

std::vector<int64_t> paper_counts(const FaultTargets& targets, double ber) {
  return fault_counts(targets, CountModel::paper, ber, FaultKey{});
}

double smallest_paper_ber(const FaultTargets& targets) {
  uint64_t largest = 0;
  for (const TargetGroup& g : targets.groups()) largest = std::max(largest, g.bits);
  if (largest == 0) return 1.0;
  // 1 / bits rounded up at the third significant digit: a BER a user can type that gives floor() >= 1.
  const double exact = 1.0 / static_cast<double>(largest);
  const double unit = std::pow(10.0, std::floor(std::log10(exact)) - 2);
  double ber = std::ceil(exact / unit) * unit;
  while (paper_count(ber, largest) < 1) ber += unit;
  return ber;
}

std::vector<FaultSite> fault_sites(const FaultTargets& targets, const std::vector<int64_t>& counts,
                                   const FaultKey& key) {
  FT_CHECK(counts.size() == targets.groups().size(), "{} counts for {} groups", counts.size(),
           targets.groups().size());
  std::vector<FaultSite> sites;
  for (size_t g = 0; g < counts.size(); ++g) {
    for (int64_t i = 0; i < counts[g]; ++i) {
      sites.push_back(fault_site(key, targets.groups().data(), targets.tensors().data(), targets.bit_first(),
                                 targets.bit_count(), static_cast<uint32_t>(g), static_cast<uint32_t>(i)));
    }
  }
  return sites;
}

void flip_bits(float* arena, const std::vector<FaultSite>& sites) {
  for (const FaultSite& s : sites) {
    uint32_t word;
    std::memcpy(&word, arena + s.element, sizeof word);  // the float's bit pattern, without aliasing tricks
    word ^= 1u << s.bit;
    std::memcpy(arena + s.element, &word, sizeof word);
  }
}

}  // namespace ftcnn
