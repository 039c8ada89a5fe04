// Launch geometry shared by the kernels in kernels/ (internal to them; not a launcher). Plain host functions
// without CUDA types, so the CPU tests check them (test/test_kernel_bodies.cpp); the launchers turn a
// GridShape into a dim3.
//
// Every kernel is a grid-stride loop: thread t of a grid of T = blocks * kBlockThreads threads visits
// t, t + T, t + 2T, ... below the count, so any grid of at least one block covers every index; the grid size
// only decides how the work spreads. Channel-major kernels loop over channels blockIdx.y, + gridDim.y, ...
// and within a channel over its elements in x.
#pragma once

#include <algorithm>
#include <cstdint>

namespace ftcnn::kernels {

constexpr int kBlockThreads = 256;
// Upper bound on the blocks of a grid-stride launch: enough to fill any current GPU many times over;
// beyond it each thread simply loops more.
constexpr int64_t kMaxBlocks = int64_t{1} << 16;
// CUDA's limit on gridDim.y; channel-major kernels loop over the channels beyond it.
constexpr int64_t kMaxGridY = 65535;

// Blocks for `count` work items when each thread is meant to take about `per_thread` of them (at least
// one): ceil(count / (kBlockThreads * per_thread)) within [1, kMaxBlocks]. Written without count + d - 1,
// which would overflow for counts near 2^63.
inline unsigned grid_blocks(int64_t count, int64_t per_thread = 1) {
  const int64_t per_block = kBlockThreads * std::max<int64_t>(per_thread, 1);
  if (count <= 0) return 1;
  const int64_t blocks = count / per_block + (count % per_block != 0 ? 1 : 0);
  return static_cast<unsigned>(std::min(blocks, kMaxBlocks));
}

struct GridShape {
  unsigned x = 1, y = 1;
};

// The grid of a channel-major kernel over `channels` channels of `per_channel` elements each: y walks the
// channels (at most kMaxGridY, the kernel loops over the rest), x the elements of one channel (about 4 per
// thread), and x * y stays within about kMaxBlocks blocks.
inline GridShape channel_grid(int64_t per_channel, int64_t channels) {
  const int64_t blocks_y = std::clamp<int64_t>(channels, 1, kMaxGridY);
  const int64_t max_x = std::max<int64_t>(1, kMaxBlocks / blocks_y);
  GridShape grid;
  grid.x = static_cast<unsigned>(std::min<int64_t>(grid_blocks(per_channel, 4), max_x));
  grid.y = static_cast<unsigned>(blocks_y);
  return grid;
}

// Iterations of the busiest thread of a grid-stride loop over `count` items with `threads` threads in all:
// ceil(count / threads).
inline int64_t grid_stride_trips(int64_t count, int64_t threads) {
  if (count <= 0) return 0;
  return count / threads + (count % threads != 0 ? 1 : 0);
}

}  // namespace ftcnn::kernels
