#include "engine/linear_kernel.hpp"

#include <algorithm>
#include <cmath>

#include "engine/error.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FTCNN_X86 1
#endif

namespace ftcnn {
namespace {

// A tile is up to kTileRows weight rows by one group of `lanes` items; its accumulators stay in registers
// for kDepth inputs at a time (the tile's weights then sit in L1, the group's packed inputs in L2).
constexpr int kTileRows = 6;
constexpr int64_t kDepth = 256;
constexpr int64_t kChunkRows = 16 * kTileRows;  // rows a thread sweeps per pass over a depth block

// acc[r * lanes + l] = chain of row w[r] over xp[k * lanes + l], k < depth, continued from its value.
using TileFn = void (*)(const float* const* w, int rows, const float* xp, int64_t depth, float* acc);

void tile_scalar(const float* const* w, int rows, const float* xp, int64_t depth, float* acc) {
  constexpr int kLanes = 8;
  for (int r = 0; r < rows; ++r)
    for (int l = 0; l < kLanes; ++l) {
      float a = acc[r * kLanes + l];
      for (int64_t k = 0; k < depth; ++k) a = std::fma(w[r][k], xp[k * kLanes + l], a);
      acc[r * kLanes + l] = a;
    }
}

#ifdef FTCNN_X86
__attribute__((target("avx2,fma"))) void tile_avx2(const float* const* w, int rows, const float* xp,
                                                   int64_t depth, float* acc) {
  if (rows == kTileRows) {  // the common case, unrolled so that the 12 accumulators stay in registers
    const float *w0 = w[0], *w1 = w[1], *w2 = w[2], *w3 = w[3], *w4 = w[4], *w5 = w[5];
    __m256 c00 = _mm256_loadu_ps(acc), c01 = _mm256_loadu_ps(acc + 8);
    __m256 c10 = _mm256_loadu_ps(acc + 16), c11 = _mm256_loadu_ps(acc + 24);
    __m256 c20 = _mm256_loadu_ps(acc + 32), c21 = _mm256_loadu_ps(acc + 40);
    __m256 c30 = _mm256_loadu_ps(acc + 48), c31 = _mm256_loadu_ps(acc + 56);
    __m256 c40 = _mm256_loadu_ps(acc + 64), c41 = _mm256_loadu_ps(acc + 72);
    __m256 c50 = _mm256_loadu_ps(acc + 80), c51 = _mm256_loadu_ps(acc + 88);
    for (int64_t k = 0; k < depth; ++k) {
      const __m256 x0 = _mm256_loadu_ps(xp + k * 16), x1 = _mm256_loadu_ps(xp + k * 16 + 8);
      __m256 b = _mm256_broadcast_ss(w0 + k);
      c00 = _mm256_fmadd_ps(b, x0, c00);
      c01 = _mm256_fmadd_ps(b, x1, c01);
      b = _mm256_broadcast_ss(w1 + k);
      c10 = _mm256_fmadd_ps(b, x0, c10);
      c11 = _mm256_fmadd_ps(b, x1, c11);
      b = _mm256_broadcast_ss(w2 + k);
      c20 = _mm256_fmadd_ps(b, x0, c20);
      c21 = _mm256_fmadd_ps(b, x1, c21);
      b = _mm256_broadcast_ss(w3 + k);
      c30 = _mm256_fmadd_ps(b, x0, c30);
      c31 = _mm256_fmadd_ps(b, x1, c31);
      b = _mm256_broadcast_ss(w4 + k);
      c40 = _mm256_fmadd_ps(b, x0, c40);
      c41 = _mm256_fmadd_ps(b, x1, c41);
      b = _mm256_broadcast_ss(w5 + k);
      c50 = _mm256_fmadd_ps(b, x0, c50);
      c51 = _mm256_fmadd_ps(b, x1, c51);
    }
    _mm256_storeu_ps(acc, c00);
    _mm256_storeu_ps(acc + 8, c01);
    _mm256_storeu_ps(acc + 16, c10);
    _mm256_storeu_ps(acc + 24, c11);
    _mm256_storeu_ps(acc + 32, c20);
    _mm256_storeu_ps(acc + 40, c21);
    _mm256_storeu_ps(acc + 48, c30);
    _mm256_storeu_ps(acc + 56, c31);
    _mm256_storeu_ps(acc + 64, c40);
    _mm256_storeu_ps(acc + 72, c41);
    _mm256_storeu_ps(acc + 80, c50);
    _mm256_storeu_ps(acc + 88, c51);
    return;
  }
  for (int r = 0; r < rows; ++r) {
    __m256 c0 = _mm256_loadu_ps(acc + r * 16), c1 = _mm256_loadu_ps(acc + r * 16 + 8);
    for (int64_t k = 0; k < depth; ++k) {
      const __m256 b = _mm256_broadcast_ss(w[r] + k);
      c0 = _mm256_fmadd_ps(b, _mm256_loadu_ps(xp + k * 16), c0);
      c1 = _mm256_fmadd_ps(b, _mm256_loadu_ps(xp + k * 16 + 8), c1);
    }
    _mm256_storeu_ps(acc + r * 16, c0);
    _mm256_storeu_ps(acc + r * 16 + 8, c1);
  }
}

__attribute__((target("avx512f"))) void tile_avx512(const float* const* w, int rows, const float* xp,
                                                    int64_t depth, float* acc) {
  if (rows == kTileRows) {  // 24 accumulators of the 32 registers
    __m512 c[kTileRows][4];
#pragma GCC unroll 6
    for (int r = 0; r < kTileRows; ++r)
#pragma GCC unroll 4
      for (int h = 0; h < 4; ++h) c[r][h] = _mm512_loadu_ps(acc + r * 64 + h * 16);
    for (int64_t k = 0; k < depth; ++k) {
      const __m512 x0 = _mm512_loadu_ps(xp + k * 64), x1 = _mm512_loadu_ps(xp + k * 64 + 16);
      const __m512 x2 = _mm512_loadu_ps(xp + k * 64 + 32), x3 = _mm512_loadu_ps(xp + k * 64 + 48);
#pragma GCC unroll 6
      for (int r = 0; r < kTileRows; ++r) {
        const __m512 b = _mm512_set1_ps(w[r][k]);
        c[r][0] = _mm512_fmadd_ps(b, x0, c[r][0]);
        c[r][1] = _mm512_fmadd_ps(b, x1, c[r][1]);
        c[r][2] = _mm512_fmadd_ps(b, x2, c[r][2]);
        c[r][3] = _mm512_fmadd_ps(b, x3, c[r][3]);
      }
    }
#pragma GCC unroll 6
    for (int r = 0; r < kTileRows; ++r)
#pragma GCC unroll 4
      for (int h = 0; h < 4; ++h) _mm512_storeu_ps(acc + r * 64 + h * 16, c[r][h]);
    return;
  }
  for (int r = 0; r < rows; ++r) {
    __m512 c0 = _mm512_loadu_ps(acc + r * 64), c1 = _mm512_loadu_ps(acc + r * 64 + 16);
    __m512 c2 = _mm512_loadu_ps(acc + r * 64 + 32), c3 = _mm512_loadu_ps(acc + r * 64 + 48);
    for (int64_t k = 0; k < depth; ++k) {
      const __m512 b = _mm512_set1_ps(w[r][k]);
      c0 = _mm512_fmadd_ps(b, _mm512_loadu_ps(xp + k * 64), c0);
      c1 = _mm512_fmadd_ps(b, _mm512_loadu_ps(xp + k * 64 + 16), c1);
      c2 = _mm512_fmadd_ps(b, _mm512_loadu_ps(xp + k * 64 + 32), c2);
      c3 = _mm512_fmadd_ps(b, _mm512_loadu_ps(xp + k * 64 + 48), c3);
    }
    _mm512_storeu_ps(acc + r * 64, c0);
    _mm512_storeu_ps(acc + r * 64 + 16, c1);
    _mm512_storeu_ps(acc + r * 64 + 32, c2);
    _mm512_storeu_ps(acc + r * 64 + 48, c3);
  }
}
#endif

struct Kernel {
  int64_t lanes;
  TileFn tile;
};

Kernel kernel_for(LinearIsa isa) {
  switch (isa) {
#ifdef FTCNN_X86
    case LinearIsa::avx512:
      return {64, tile_avx512};
    case LinearIsa::avx2:
      return {16, tile_avx2};
#endif
    default:
      return {8, tile_scalar};
  }
}

bool supported(LinearIsa isa) {
#ifdef FTCNN_X86
  switch (isa) {
    case LinearIsa::avx512:
      return __builtin_cpu_supports("avx512f");
    case LinearIsa::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case LinearIsa::scalar:
      return true;
  }
  return false;
#else
  return isa == LinearIsa::scalar;
#endif
}

}  // namespace

LinearIsa best_linear_isa() {
  static const LinearIsa best = supported(LinearIsa::avx512) ? LinearIsa::avx512
                                : supported(LinearIsa::avx2) ? LinearIsa::avx2
                                                             : LinearIsa::scalar;
  return best;
}

const char* linear_isa_name(LinearIsa isa) {
  switch (isa) {
    case LinearIsa::avx512:
      return "avx512";
    case LinearIsa::avx2:
      return "avx2";
    case LinearIsa::scalar:
      return "scalar";
  }
  return "?";
}

int64_t linear_scratch_floats(int64_t items, int64_t in, int64_t rows, LinearIsa isa) {
  const int64_t lanes = kernel_for(isa).lanes, groups = (items + lanes - 1) / lanes;
  const int64_t tiles_of_rows = (rows + kTileRows - 1) / kTileRows;
  return groups * lanes * (in + tiles_of_rows * kTileRows);
}

void linear_forward(const float* x, int64_t items, int64_t in, const float* weight, const float* bias,
                    const LinearRows& rows, float* out, int64_t out_stride, int threads, float* scratch) {
  linear_forward(best_linear_isa(), x, items, in, weight, bias, rows, out, out_stride, threads, scratch);
}

void linear_forward(LinearIsa isa, const float* x, int64_t items, int64_t in, const float* weight,
                    const float* bias, const LinearRows& rows, float* out, int64_t out_stride, int threads,
                    float* scratch) {
  FT_CHECK(supported(isa), "this processor cannot run the {} linear kernel", linear_isa_name(isa));
  if (items <= 0 || rows.count <= 0) return;
  const Kernel kernel = kernel_for(isa);
  const int64_t lanes = kernel.lanes, groups = (items + lanes - 1) / lanes;
  const int64_t tiles_of_rows = (rows.count + kTileRows - 1) / kTileRows;
  const int64_t chunks = (rows.count + kChunkRows - 1) / kChunkRows;
  threads = std::max(threads, 1);
  // Threads split the rows; a layer of few rows (a classifier's last) splits its items too.
  const int64_t parts = chunks >= threads ? 1 : std::min(groups, (threads + chunks - 1) / chunks);
  float* xp = scratch;
  float* accumulators = scratch + groups * in * lanes;  // [tile of rows][group][kTileRows][lanes]

  // Inputs as [group][k][lane], zero past the last item.
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t g = 0; g < groups; ++g) {
    float* dst = xp + g * in * lanes;
    for (int64_t l = 0; l < lanes; ++l) {
      const int64_t item = g * lanes + l;
      for (int64_t k = 0; k < in; ++k) dst[k * lanes + l] = item < items ? x[item * in + k] : 0.0f;
    }
  }

  const auto row_of = [&](int64_t j) { return rows.rows != nullptr ? rows.rows[j] : j; };
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t t = 0; t < chunks * parts; ++t) {
    const int64_t chunk = t / parts, part = t % parts;
    const int64_t tile_first = chunk * (kChunkRows / kTileRows);
    const int64_t tile_end = std::min(tiles_of_rows, tile_first + kChunkRows / kTileRows);
    const int64_t g_first = groups * part / parts, g_end = groups * (part + 1) / parts;
    const auto acc_of = [&](int64_t tile, int64_t g) {
      return accumulators + (tile * groups + g) * kTileRows * lanes;
    };
    for (int64_t tile = tile_first; tile < tile_end; ++tile) {
      const int64_t first_row = tile * kTileRows,
                    count = std::min<int64_t>(kTileRows, rows.count - first_row);
      for (int64_t g = g_first; g < g_end; ++g)
        for (int64_t r = 0; r < count; ++r)
          std::fill_n(acc_of(tile, g) + r * lanes, lanes,
                      bias != nullptr ? bias[row_of(first_row + r)] : 0.0f);
    }
    for (int64_t k0 = 0; k0 < in; k0 += kDepth) {
      const int64_t depth = std::min(kDepth, in - k0);
      for (int64_t g = g_first; g < g_end; ++g) {
        const float* panel = xp + (g * in + k0) * lanes;
        for (int64_t tile = tile_first; tile < tile_end; ++tile) {
          const int64_t first_row = tile * kTileRows;
          const int count = static_cast<int>(std::min<int64_t>(kTileRows, rows.count - first_row));
          const float* w[kTileRows];
          for (int r = 0; r < count; ++r) w[r] = weight + row_of(first_row + r) * in + k0;
          kernel.tile(w, count, panel, depth, acc_of(tile, g));
        }
      }
    }
    for (int64_t tile = tile_first; tile < tile_end; ++tile) {
      const int64_t first_row = tile * kTileRows,
                    count = std::min<int64_t>(kTileRows, rows.count - first_row);
      for (int64_t g = g_first; g < g_end; ++g) {
        const float* acc = acc_of(tile, g);
        const int64_t valid = std::min(lanes, items - g * lanes);
        for (int64_t l = 0; l < valid; ++l)
          for (int64_t r = 0; r < count; ++r)
            out[(g * lanes + l) * out_stride + first_row + r] = acc[r * lanes + l];
      }
    }
  }
}

}  // namespace ftcnn
