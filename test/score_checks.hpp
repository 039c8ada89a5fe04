// Comparisons of per-channel vulnerability scores and rankings, shared by the CPU and CUDA vulnerability
// tests. Each returns "" when the check passes, else a message naming the worst channel or rank.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.hpp"

namespace ftcnn::test {

// Scores within abs + rel * |expected|, abs a millionth of the largest |expected| (channels that ReLU
// silences score 0 or nearly, where only an absolute bound makes sense). A NaN is the worst.
std::string compare_scores(const std::vector<double>& actual, const std::vector<double>& expected,
                           double rel);

// `ranking` orders `scores` from the largest down, up to near-ties: within rel * |b| + abs_fraction x the
// largest |score|.
std::string check_ranking(const std::vector<int64_t>& ranking, const std::vector<double>& scores, double rel,
                          double abs_fraction = 0.0);

std::vector<double> to_double(const Tensor& t);

}  // namespace ftcnn::test
