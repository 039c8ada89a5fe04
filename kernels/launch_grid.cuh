// Launch geometry shared by the kernels in kernels/ (internal to them; not a launcher).
#pragma once

#include <algorithm>
#include <cstdint>

namespace ftcnn::kernels {

constexpr int kBlockThreads = 256;
// Upper bound on the blocks of a grid-stride launch: enough to fill any current GPU many times over;
// beyond it each thread simply loops more.
constexpr int64_t kMaxBlocks = int64_t{1} << 16;

// Blocks for `count` work items when each thread is meant to take about `per_thread` of them.
inline unsigned grid_blocks(int64_t count, int64_t per_thread = 1) {
  const int64_t per_block = kBlockThreads * per_thread;
  return static_cast<unsigned>(std::clamp<int64_t>((count + per_block - 1) / per_block, 1, kMaxBlocks));
}

}  // namespace ftcnn::kernels
