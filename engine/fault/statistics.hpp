// Summary statistics of a campaign: means with Student-t confidence intervals over repetitions, and rates
// with Wilson score intervals.
#pragma once

#include <cstdint>
#include <vector>

namespace ftcnn {

struct Interval {
  double low = 0, high = 0;
};

struct SampleSummary {
  int64_t n = 0;
  double mean = 0, std = 0;  // std: sample standard deviation (n - 1)
  Interval ci95;             // mean +- t(0.975, n - 1) * std / sqrt(n); the mean itself when n < 2
};

SampleSummary summarize(const std::vector<double>& values);

// Quantile of Student's t distribution with `dof` degrees of freedom (p in (0.5, 1)).
double student_t_quantile(double p, int64_t dof);
// Quantile of the standard normal distribution (p in (0, 1)).
double normal_quantile(double p);

// 95 % Wilson score interval for `successes` out of `trials`.
Interval wilson95(int64_t successes, int64_t trials);

}  // namespace ftcnn
