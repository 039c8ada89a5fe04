// The arithmetic of a hardened layer's GEMM groups on CUDA (kernels/copy_rows_bodies.hpp), on the CPU: the
// gather puts every group's weight rows in its own block of one alignment, zeros for padding, and the scatter
// sends every row of every group to its output channel exactly once. Then the whole CUDA scheme, played with
// OpenBLAS: one same-shape GEMM per copy set, gathered and scattered by these functions, gives every copy the
// bits of its original and equals the CPU's hardened linear layer.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "engine/blas.hpp"
#include "engine/layers/copy_rows.hpp"
#include "kernels/copy_rows_bodies.hpp"

namespace ftcnn {
namespace {

struct Layout {
  int64_t originals;
  std::vector<int64_t> copied;
  int copies;
};

std::vector<int64_t> flattened(const CopyRows& r) {
  std::vector<int64_t> table;
  for (const auto& g : r.groups) table.insert(table.end(), g.begin(), g.end());
  return table;
}

float value(int64_t row, int64_t column) {
  return static_cast<float>((row * 131 + column * 17) % 97) / 7.0f - 6.0f;
}

}  // namespace

TEST_CASE("copy groups: gather and scatter cover every row and channel exactly once", "[kernels][harden]") {
  const Layout layouts[] = {{10, {1, 4, 7}, 1},
                            {10, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 1},
                            {7, {6}, 2},
                            {9, {0, 2, 4, 6, 8}, 2},
                            {5, {0, 1, 2, 3, 4}, 2},
                            {13, {12, 3}, 1}};
  for (const Layout& l : layouts) {
    const CopyRows rows = copy_rows(l.originals, l.copied, l.copies);
    const int64_t groups = static_cast<int64_t>(rows.groups.size()),
                  m = static_cast<int64_t>(rows.groups[0].size());
    const int64_t channels = l.originals + l.copies * static_cast<int64_t>(l.copied.size());
    const std::vector<int64_t> table = flattened(rows);
    for (const int64_t row_length : {1, 3, 64, 75}) {
      INFO("originals " << l.originals << ", copies " << l.copies << ", row length " << row_length);
      const int64_t stride = (m * row_length + 63) / 64 * 64;
      std::vector<float> weight(static_cast<size_t>(channels * row_length));
      for (int64_t r = 0; r < channels; ++r)
        for (int64_t c = 0; c < row_length; ++c)
          weight[static_cast<size_t>(r * row_length + c)] = value(r, c);
      for (int64_t j = 0; j < groups * stride; ++j) {
        const int64_t g = j / stride, i = (j % stride) / row_length, c = (j % stride) % row_length;
        const float expected =
            i < m && table[static_cast<size_t>(g * m + i)] >= 0
                ? weight[static_cast<size_t>(table[static_cast<size_t>(g * m + i)] * row_length + c)]
                : 0.0f;
        REQUIRE(kernels::gathered_weight(weight.data(), table.data(), m, row_length, stride, j) == expected);
      }
      // Every output element is written by exactly one (group, row): the channels of the original layer and
      // of every copy.
      const int64_t batch = 3, inner = 5;
      std::vector<int> written(static_cast<size_t>(batch * channels * inner), 0);
      for (int64_t g = 0; g < groups; ++g) {
        for (int64_t e = 0; e < batch * m * inner; ++e) {
          int64_t channel = -2;
          const int64_t to = kernels::scattered_index(rows.channel_of_result_row.data() + g * m, m, inner,
                                                      channels, e, channel);
          const int64_t n = e / (m * inner), i = (e / inner) % m, p = e % inner;
          const int64_t expected_channel = rows.channel_of_result_row[static_cast<size_t>(g * m + i)];
          CHECK(channel == expected_channel);
          if (expected_channel < 0) {
            CHECK(to == -1);
            continue;
          }
          CHECK(to == (n * channels + expected_channel) * inner + p);
          ++written[static_cast<size_t>(to)];
        }
      }
      for (int w : written) REQUIRE(w == 1);
    }
  }
}

TEST_CASE("copy groups: one same-shape GEMM per copy set gives copies their originals' bits",
          "[kernels][harden]") {
  // A linear layer of 9 features with copies of 0, 4 and 8 (TMR: two copies each), on 5 inputs of 33 values.
  const int64_t originals = 9, in = 33, batch = 5;
  const std::vector<int64_t> copied = {0, 4, 8};
  const CopyRows rows = copy_rows(originals, copied, 2);
  const int64_t channels = originals + 2 * 3, groups = static_cast<int64_t>(rows.groups.size());
  const int64_t m = static_cast<int64_t>(rows.groups[0].size()), stride = (m * in + 63) / 64 * 64;
  std::vector<float> weight(static_cast<size_t>(channels * in)), bias(static_cast<size_t>(channels));
  for (int64_t r = 0; r < originals; ++r) {
    for (int64_t c = 0; c < in; ++c) weight[static_cast<size_t>(r * in + c)] = value(r, c) * 0.37f;
    bias[static_cast<size_t>(r)] = value(r, 1) * 0.11f;
  }
  for (int64_t s = 0; s < 2; ++s) {  // the copy rows duplicate their originals, as `ftcnn harden` writes them
    for (size_t k = 0; k < copied.size(); ++k) {
      const int64_t row = originals + s * 3 + static_cast<int64_t>(k);
      std::copy_n(weight.begin() + copied[k] * in, in, weight.begin() + row * in);
      bias[static_cast<size_t>(row)] = bias[static_cast<size_t>(copied[k])];
    }
  }
  std::vector<float> x(static_cast<size_t>(batch * in));
  for (int64_t i = 0; i < batch * in; ++i) x[static_cast<size_t>(i)] = value(i, 3) * 1.3f;

  const std::vector<int64_t> table = flattened(rows);
  std::vector<float> gathered(static_cast<size_t>(groups * stride));
  for (int64_t j = 0; j < groups * stride; ++j)
    gathered[static_cast<size_t>(j)] =
        kernels::gathered_weight(weight.data(), table.data(), m, in, stride, j);
  std::vector<float> out(static_cast<size_t>(batch * channels), -1.0f),
      result(static_cast<size_t>(batch * m));
  for (int64_t g = 0; g < groups; ++g) {
    // result [batch, m] = x W_g^T, the GEMM every group runs with one shape.
    blas_sgemm(false, true, static_cast<int>(batch), static_cast<int>(m), static_cast<int>(in), 1.0f,
               x.data(), static_cast<int>(in), gathered.data() + g * stride, static_cast<int>(in), 0.0f,
               result.data(), static_cast<int>(m));
    for (int64_t e = 0; e < batch * m; ++e) {
      int64_t channel = -1;
      const int64_t to =
          kernels::scattered_index(rows.channel_of_result_row.data() + g * m, m, 1, channels, e, channel);
      if (to >= 0)
        out[static_cast<size_t>(to)] = result[static_cast<size_t>(e)] + bias[static_cast<size_t>(channel)];
    }
  }
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t s = 0; s < 2; ++s) {
      for (size_t k = 0; k < copied.size(); ++k) {
        const float original = out[static_cast<size_t>(n * channels + copied[k])];
        const float copy =
            out[static_cast<size_t>(n * channels + originals + s * 3 + static_cast<int64_t>(k))];
        CHECK(std::memcmp(&original, &copy, sizeof(float)) == 0);
      }
    }
    for (int64_t c = 0; c < channels; ++c) CHECK(out[static_cast<size_t>(n * channels + c)] != -1.0f);
  }
}

}  // namespace ftcnn
