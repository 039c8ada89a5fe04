// How many bits of each group a repetition flips.
//   paper:    floor(BER x bits of the group), the same every repetition (as the paper and SentinelNN; small
//             groups are never hit at low BER).
//   binomial: Binomial(bits of the group, BER), the exact count when every bit flips independently with
//             probability BER, drawn from the repetition's Philox stream.
// "bits of the group" is elements x 32 with all bits selected, the paper's BER x params x 32.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/fault/fault_key.hpp"

namespace ftcnn {

enum class CountModel { paper, binomial };

const char* count_model_name(CountModel model);
CountModel parse_count_model(const std::string& text);

std::vector<int64_t> fault_counts(const FaultTargets& targets, CountModel model, double ber,
                                  const FaultKey& key);

// floor(BER x bits) of every group: the paper count, the same in every repetition.
std::vector<int64_t> paper_counts(const FaultTargets& targets, double ber);
// The smallest BER, to three significant digits, at which the paper count flips at least one bit of some
// group: 1 / the largest group's bits, rounded up so that it does.
double smallest_paper_ber(const FaultTargets& targets);

// Binomial(n, p) from group `group`'s count stream, by geometric skips between successes: exact, and
// O(number of successes) draws.
int64_t binomial_draw(uint64_t n, double p, const FaultKey& key, uint32_t group);

// All sites of one repetition, group by group, on the host (the CPU campaign, logs and tests use this; the
// CUDA kernel computes the same sites with fault_site()).
std::vector<FaultSite> fault_sites(const FaultTargets& targets, const std::vector<int64_t>& counts,
                                   const FaultKey& key);

// XORs each site's bit into a float32 arena. Applying the same sites twice restores it exactly.
void flip_bits(float* arena, const std::vector<FaultSite>& sites);

}  // namespace ftcnn
