#include "engine/layers/concat.hpp"

#include <algorithm>

#include "engine/cpu_context.hpp"

namespace ftcnn {

Shape Concat::node_output_shape(const std::vector<Shape>& inputs) const {
  require_inputs(inputs, "joins");
  const Shape& first = inputs.front();
  if (first.rank() != 2 && first.rank() != 4)
    fail(fmt::format("expects [N, C, H, W] or [N, F], given {}", first.str()));
  Shape out = first;
  out[1] = 0;
  for (const Shape& s : inputs) {
    bool fits = s.rank() == first.rank();
    for (int d = 0; fits && d < first.rank(); ++d) fits = d == 1 || s[d] == first[d];
    if (!fits)
      fail(
          fmt::format("joins inputs that differ only in dimension 1, given {} and {}", first.str(), s.str()));
    out[1] += s[1];
  }
  return out;
}

void Concat::join_cpu(const std::vector<Shape>& inputs, const std::vector<const float*>& in, float* out,
                      CpuContext& ctx) {
  const int64_t batch = inputs.front()[0];
  int64_t total = 0;
  for (const Shape& s : inputs) total += s.per_item();
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (int64_t n = 0; n < batch; ++n) {
    float* dst = out + n * total;
    for (size_t k = 0; k < in.size(); ++k) {
      const int64_t size = inputs[k].per_item();
      std::copy(in[k] + n * size, in[k] + (n + 1) * size, dst);
      dst += size;
    }
  }
}

}  // namespace ftcnn
