#include "engine/fault/statistics.hpp"

#include <cmath>

#include "engine/error.hpp"

namespace ftcnn {

double normal_quantile(double p) {
  FT_CHECK(p > 0.0 && p < 1.0, "normal quantile of {}", p);
  // Acklam's rational approximation (relative error below 1.2e-9), then one Newton step on erfc.
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                                 1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01, -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  double x;
  if (p < 0.02425) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - 0.02425) {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

namespace {

// Regularized incomplete beta I_x(a, b), by its continued fraction evaluated with the modified Lentz method;
// the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) keeps x on the side where the fraction converges fast.
double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - incomplete_beta(b, a, 1 - x);
  const double log_front =
      std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  constexpr double kTiny = 1e-300;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  d = 1 / (std::fabs(d) < kTiny ? kTiny : d);
  double fraction = d;
  for (int m = 1; m <= 500; ++m) {
    for (int step = 0; step < 2; ++step) {
      // Even step: m (b - m) x / ((a + 2m - 1)(a + 2m)); odd step: -(a + m)(a + b + m) x / ((a + 2m)(a + 2m +
      // 1)).
      const double numerator = step == 0 ? m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
                                         : -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
      d = 1 + numerator * d;
      d = 1 / (std::fabs(d) < kTiny ? kTiny : d);
      c = 1 + numerator / c;
      if (std::fabs(c) < kTiny) c = kTiny;
      fraction *= c * d;
      if (step == 1 && std::fabs(c * d - 1) < 1e-15) return std::exp(log_front) * fraction / a;
    }
  }
  return std::exp(log_front) * fraction / a;
}

// P(T <= t) for Student's t with v degrees of freedom, t >= 0.
double student_t_cdf(double t, double v) {
  return 1 - 0.5 * incomplete_beta(v / 2, 0.5, v / (v + t * t));
}

}  // namespace

double student_t_quantile(double p, int64_t dof) {
  FT_CHECK(p > 0.5 && p < 1.0 && dof >= 1, "t quantile of {} with {} degrees of freedom", p, dof);
  const double v = static_cast<double>(dof);
  // Bisection on the exact CDF: monotone, and 200 halvings reach double precision from any bracket.
  double low = 0, high = 1;
  while (student_t_cdf(high, v) < p) high *= 2;
  for (int i = 0; i < 200 && high - low > 1e-15 * high; ++i) {
    const double mid = (low + high) / 2;
    (student_t_cdf(mid, v) < p ? low : high) = mid;
  }
  return (low + high) / 2;
}

SampleSummary summarize(const std::vector<double>& values) {
  SampleSummary s;
  s.n = static_cast<int64_t>(values.size());
  if (s.n == 0) return s;
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / static_cast<double>(s.n);
  double squares = 0;
  for (double v : values) squares += (v - s.mean) * (v - s.mean);
  s.std = s.n > 1 ? std::sqrt(squares / static_cast<double>(s.n - 1)) : 0.0;
  const double half =
      s.n > 1 ? student_t_quantile(0.975, s.n - 1) * s.std / std::sqrt(static_cast<double>(s.n)) : 0.0;
  s.ci95 = Interval{s.mean - half, s.mean + half};
  return s;
}

Interval wilson95(int64_t successes, int64_t trials) {
  if (trials <= 0) return Interval{0.0, 1.0};
  const double z = normal_quantile(0.975), n = static_cast<double>(trials);
  const double phat = static_cast<double>(successes) / n;
  const double denominator = 1 + z * z / n;
  const double center = (phat + z * z / (2 * n)) / denominator;
  const double half = z * std::sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denominator;
  return Interval{std::max(0.0, center - half), std::min(1.0, center + half)};
}

}  // namespace ftcnn
