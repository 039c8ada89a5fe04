// The ordered linear kernel (engine/linear_kernel.hpp): every output is the scalar fused multiply-add chain,
// bit for bit, on every instruction set this processor has, for any batch, thread count and row subset.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "engine/cpu_context.hpp"
#include "engine/linear_kernel.hpp"
#include "test/test_support.hpp"

using namespace ftcnn;

namespace {

float chain(const float* w, const float* x, int64_t in, float start) {
  float acc = start;
  for (int64_t k = 0; k < in; ++k) acc = std::fma(w[k], x[k], acc);
  return acc;
}

bool same_bits(float a, float b) {
  return std::memcmp(&a, &b, sizeof(float)) == 0;
}

std::vector<LinearIsa> isas_here() {
  std::vector<LinearIsa> isas = {LinearIsa::scalar};
  if (best_linear_isa() != LinearIsa::scalar) isas.push_back(LinearIsa::avx2);
  if (best_linear_isa() == LinearIsa::avx512) isas.push_back(LinearIsa::avx512);
  return isas;
}

std::vector<float> normal(int64_t count, std::mt19937& rng, float scale = 1.0f) {
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(static_cast<size_t>(count));
  for (float& x : v) x = d(rng);
  return v;
}

}  // namespace

TEST_CASE("the ordered linear kernel is the scalar fma chain, bit for bit", "[linear]") {
  std::mt19937 rng(7);
  for (const int64_t items : {1, 9, 16, 63, 65, 130})
    for (const int64_t in : {1, 7, 256, 300, 529})
      for (const int64_t rows : {1, 6, 7, 13, 97, 200}) {
        const std::vector<float> x = normal(items * in, rng), w = normal(rows * in, rng),
                                 b = normal(rows, rng);
        for (const LinearIsa isa : isas_here())
          for (const int threads : {1, 2, 3}) {
            for (const bool with_bias : {true, false}) {
              std::vector<float> out(static_cast<size_t>(items * rows), std::nanf(""));
              std::vector<float> scratch(static_cast<size_t>(linear_scratch_floats(items, in, rows, isa)));
              linear_forward(isa, x.data(), items, in, w.data(), with_bias ? b.data() : nullptr,
                             LinearRows{nullptr, rows}, out.data(), rows, threads, scratch.data());
              int64_t differ = 0;
              for (int64_t n = 0; n < items; ++n)
                for (int64_t j = 0; j < rows; ++j)
                  differ +=
                      !same_bits(out[static_cast<size_t>(n * rows + j)],
                                 chain(w.data() + j * in, x.data() + n * in, in, with_bias ? b[j] : 0.0f));
              INFO(linear_isa_name(isa) << " items " << items << " in " << in << " rows " << rows
                                        << " threads " << threads << " bias " << with_bias);
              CHECK(differ == 0);
            }
          }
      }
}

TEST_CASE("a subset of rows, or of items, computed alone equals the whole layer's", "[linear]") {
  std::mt19937 rng(11);
  const int64_t items = 70, in = 1000, rows = 50;
  std::vector<float> x = normal(items * in, rng), w = normal(rows * in, rng, 0.05f), b = normal(rows, rng);
  // Non-finite values propagate as in any sum: a NaN input, an infinite weight.
  x[5 * in + 3] = std::numeric_limits<float>::quiet_NaN();
  w[17 * in + 999] = std::numeric_limits<float>::infinity();
  std::vector<float> whole(static_cast<size_t>(items * rows));
  std::vector<float> scratch(static_cast<size_t>(linear_scratch_floats(items, in, rows)));
  linear_forward(x.data(), items, in, w.data(), b.data(), LinearRows{nullptr, rows}, whole.data(), rows, 2,
                 scratch.data());
  CHECK(std::isnan(whole[5 * rows + 0]));
  CHECK(std::isinf(whole[0 * rows + 17]) | std::isnan(whole[0 * rows + 17]));

  const std::vector<int64_t> picked = {17, 3, 49, 3, 0};  // any order, repeats allowed
  const auto count = static_cast<int64_t>(picked.size());
  for (const int64_t first_item : {int64_t{0}, int64_t{33}}) {
    const int64_t some = items - first_item;
    std::vector<float> part(static_cast<size_t>(some * 8));
    linear_forward(x.data() + first_item * in, some, in, w.data(), b.data(), LinearRows{picked.data(), count},
                   part.data(), 8, 1, scratch.data());
    int64_t differ = 0;
    for (int64_t n = 0; n < some; ++n)
      for (int64_t j = 0; j < count; ++j)
        differ +=
            !same_bits(part[static_cast<size_t>(n * 8 + j)],
                       whole[static_cast<size_t>((first_item + n) * rows + picked[static_cast<size_t>(j)])]);
    CHECK(differ == 0);
  }
}

TEST_CASE("the linear layer's CPU backend comes from FTCNN_CPU_LINEAR", "[linear]") {
  {
    const test::ScopedEnvironment unset("FTCNN_CPU_LINEAR", "");
    CHECK(cpu_linear_from_environment() == CpuLinear::ordered);
  }
  {
    const test::ScopedEnvironment blas("FTCNN_CPU_LINEAR", "blas");
    CHECK(cpu_linear_from_environment() == CpuLinear::blas);
  }
  const test::ScopedEnvironment wrong("FTCNN_CPU_LINEAR", "mkl");
  CHECK_THROWS_WITH(cpu_linear_from_environment(),
                    Catch::Contains("FTCNN_CPU_LINEAR is 'mkl'; expected ordered or blas"));
}
