// The CUDA side of a hardened conv2d / linear layer's GEMM groups (engine/layers/copy_rows.hpp), shared by
// conv2d.cu and linear.cu. Why: cuBLAS and cuDNN may sum a row differently by where it sits in the matrix
// (tiles, split-K and stream-K decompositions), so a copy computed in the same GEMM as its original is not
// guaranteed to carry its bits, and the voter's and EDAC's equality test would then see faults that are not
// there. So, as on the CPU, every group is its own GEMM of one shape, its weight rows gathered into a block
// of the same alignment, its result (in one scratch buffer, the same address for every group) scattered to
// its output channels, with the bias. `single_gemm` (FTCNN_CUDA_SINGLE_GEMM=1) computes originals and copies
// in one GEMM instead: faster, exact only where the libraries happen to give equal bits.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/cuda/cuda_context.hpp"
#include "engine/layers/copy_rows.hpp"
#include "kernels/copy_rows.cuh"

namespace ftcnn {

struct CopyGroupsDevice {
  int64_t groups = 0;                    // GEMMs per forward
  int64_t rows = 0;                      // rows per GEMM (m), padding included
  int64_t row_length = 0;                // weights per row (k)
  int64_t group_stride = 0;              // floats between two groups' gathered blocks (a multiple of 64)
  DeviceBuffer<int64_t> weight_rows;     // groups x rows, -1 = padding
  DeviceBuffer<int64_t> channel_of_row;  // groups x rows, -1 = padding
  DeviceBuffer<float> gathered;          // groups x group_stride
  DeviceBuffer<float> result;            // one group's result, `result_floats`

  // Uploads the tables of `copy_rows` (not empty) for rows of `row_length` weights and a group result of
  // `result_floats` floats; waits for the upload (prepare may).
  CopyGroupsDevice(const CopyRows& copy_rows, int64_t row_length, int64_t result_floats, CudaContext& ctx) {
    groups = static_cast<int64_t>(copy_rows.groups.size());
    rows = static_cast<int64_t>(copy_rows.groups.front().size());
    this->row_length = row_length;
    group_stride = (rows * row_length + 63) / 64 * 64;
    std::vector<int64_t> table;
    for (const std::vector<int64_t>& g : copy_rows.groups) table.insert(table.end(), g.begin(), g.end());
    weight_rows.resize(table.size());
    channel_of_row.resize(copy_rows.channel_of_result_row.size());
    gathered.resize(static_cast<size_t>(groups * group_stride));
    result.resize(static_cast<size_t>(result_floats));
    FT_CUDA_CHECK(cudaMemcpyAsync(weight_rows.data(), table.data(), table.size() * sizeof(int64_t),
                                  cudaMemcpyHostToDevice, ctx.stream()));
    FT_CUDA_CHECK(cudaMemcpyAsync(channel_of_row.data(), copy_rows.channel_of_result_row.data(),
                                  copy_rows.channel_of_result_row.size() * sizeof(int64_t),
                                  cudaMemcpyHostToDevice, ctx.stream()));
    ctx.synchronize();  // the host tables must outlive the copies
  }

  // Gathers every group's weight rows from the arena (read on every call: faults in copies act at once).
  void gather(const float* weight, cudaStream_t stream) {
    kernels::launch_gather_rows(weight, weight_rows.data(), groups, rows, row_length, group_stride,
                                gathered.data(), stream);
  }
  const float* group_weights(int64_t g) const { return gathered.data() + g * group_stride; }
  // Scatters group g's result [batch, rows, inner] into out [batch, channels, inner], adding the bias.
  void scatter(int64_t g, const float* bias, int64_t batch, int64_t inner, int64_t channels, float* out,
               cudaStream_t stream) const {
    kernels::launch_scatter_rows(result.data(), channel_of_row.data() + g * rows, bias, batch, rows, inner,
                                 channels, out, stream);
  }
};

}  // namespace ftcnn
