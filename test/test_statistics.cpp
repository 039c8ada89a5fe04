// Confidence intervals against published values.
#include <catch2/catch.hpp>

#include "engine/fault/statistics.hpp"

using namespace ftcnn;
using Approx = Catch::Detail::Approx;

TEST_CASE("normal and Student-t quantiles match tables", "[statistics]") {
  CHECK(normal_quantile(0.975) == Approx(1.959963985).epsilon(1e-9));
  CHECK(normal_quantile(0.5) == Approx(0.0).margin(1e-12));
  CHECK(normal_quantile(0.001) == Approx(-3.090232306).epsilon(1e-9));
  CHECK(student_t_quantile(0.975, 1) == Approx(12.7062047).epsilon(1e-7));
  CHECK(student_t_quantile(0.975, 2) == Approx(4.30265273).epsilon(1e-7));
  CHECK(student_t_quantile(0.975, 4) == Approx(2.77644511).epsilon(1e-7));
  CHECK(student_t_quantile(0.975, 9) == Approx(2.26215716).epsilon(1e-7));
  CHECK(student_t_quantile(0.975, 29) == Approx(2.04522964).epsilon(1e-6));
  CHECK(student_t_quantile(0.975, 999) == Approx(1.96234146).epsilon(1e-8));
}

TEST_CASE("sample summaries give mean, std and the t interval", "[statistics]") {
  const SampleSummary s = summarize({2, 4, 4, 4, 5, 5, 7, 9});
  CHECK(s.n == 8);
  CHECK(s.mean == Approx(5.0));
  CHECK(s.std == Approx(2.138089935));  // sample standard deviation
  // t(0.975, 7) = 2.364624252; half width = 2.364624252 * 2.138089935 / sqrt(8) = 1.787495
  CHECK(s.ci95.low == Approx(5.0 - 1.787495).epsilon(1e-5));
  CHECK(s.ci95.high == Approx(5.0 + 1.787495).epsilon(1e-5));
  const SampleSummary one = summarize({3.0});
  CHECK(one.ci95.low == 3.0);
  CHECK(one.ci95.high == 3.0);
}

TEST_CASE("Wilson intervals match known values", "[statistics]") {
  // 0 of 10: [0, 0.2775]; 5 of 10: [0.2366, 0.7634]; 81 of 263: [0.2553, 0.3662].
  const Interval zero = wilson95(0, 10);
  CHECK(zero.low == Approx(0.0).margin(1e-12));
  CHECK(zero.high == Approx(0.27753).epsilon(1e-4));
  const Interval half = wilson95(5, 10);
  CHECK(half.low == Approx(0.23659).epsilon(1e-4));
  CHECK(half.high == Approx(0.76341).epsilon(1e-4));
  const Interval mid = wilson95(81, 263);
  CHECK(mid.low == Approx(0.25528).epsilon(1e-3));
  CHECK(mid.high == Approx(0.36622).epsilon(1e-3));
  const Interval all = wilson95(10, 10);
  CHECK(all.high == Approx(1.0));
}
