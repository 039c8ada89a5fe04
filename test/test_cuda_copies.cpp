// Hardened layers at full size on CUDA: a copy must carry its original's bits when no fault hit either,
// or the voter and EDAC see faults that are not there. The small hardened fixtures fit in one GEMM tile, so
// here are VGG-sized conv2d and linear layers whose copies land in other tiles than their originals, and a
// split-K shaped linear layer (a long reduction, few outputs). The default scheme (one same-shape GEMM per
// copy set, engine/layers/copy_groups.cuh) must give equal bits; the single-GEMM scheme
// (FTCNN_CUDA_SINGLE_GEMM=1) is measured and reported, so the GPU check tells whether it could be used.
#include <catch2/catch.hpp>

#ifdef FTCNN_WITH_CUDA

#include <cstring>
#include <iostream>
#include <random>

#include "engine/cuda/cuda_context.hpp"
#include "engine/graph.hpp"
#include "engine/hardening.hpp"
#include "test/test_support.hpp"

namespace ftcnn {
namespace {

struct CopyCheck {
  int64_t compared = 0, differing = 0;
};

// Runs `graph` (a protected layer, then its correction layer) on CUDA once and compares, in the protected
// layer's own output, every copy channel with its original, bit for bit.
CopyCheck run_and_compare(Graph& graph, int64_t batch, bool single_gemm, int64_t copies_each,
                          const std::vector<int64_t>& copied, int64_t originals) {
  CudaContext cuda(0);
  ExecContext ctx;
  ctx.device = Device::cuda;
  ctx.cuda = &cuda;
  ctx.single_gemm_copies = single_gemm;
  PlanCache plans(graph);
  const GraphPlan& plan = plans.get(ctx, batch);
  const std::vector<float>& arena = graph.parameters().arena();
  DeviceBuffer<float> parameters(arena.size()), input(static_cast<size_t>(graph.input_shape(batch).numel()));
  DeviceBuffer<float> activations(static_cast<size_t>(plan.arena_floats()));
  DeviceBuffer<float> output(static_cast<size_t>(plan.shapes.back().numel()));
  std::vector<float> host_input(input.size());
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (float& v : host_input) v = uniform(rng);
  // On the context's stream (non-blocking: it would not wait for a default-stream copy), then waited for.
  FT_CUDA_CHECK(cudaMemcpyAsync(parameters.data(), arena.data(), arena.size() * sizeof(float),
                                cudaMemcpyHostToDevice, cuda.stream()));
  FT_CUDA_CHECK(cudaMemcpyAsync(input.data(), host_input.data(), host_input.size() * sizeof(float),
                                cudaMemcpyHostToDevice, cuda.stream()));
  cuda.synchronize();
  std::vector<float> protected_output;
  LayerHooks hooks;
  hooks.after = [&](int layer, const Shape& shape, float* out) {
    if (layer != 0) return;
    cuda.synchronize();
    protected_output.resize(static_cast<size_t>(shape.numel()));
    FT_CUDA_CHECK(cudaMemcpy(protected_output.data(), out, protected_output.size() * sizeof(float),
                             cudaMemcpyDeviceToHost));
  };
  graph.run(ctx, plan, ParameterView(graph.parameters(), parameters.data()), input.data(), activations.data(),
            output.data(), &hooks);
  cuda.synchronize();
  const Shape& shape = plan.shapes[0];
  const int64_t channels = shape[1], inner = shape.per_item() / channels;
  const auto d = static_cast<int64_t>(copied.size());
  CopyCheck check;
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t s = 0; s < copies_each; ++s) {
      for (int64_t k = 0; k < d; ++k) {
        const float* original =
            protected_output.data() + (n * channels + copied[static_cast<size_t>(k)]) * inner;
        const float* copy = protected_output.data() + (n * channels + originals + s * d + k) * inner;
        check.compared += inner;
        for (int64_t p = 0; p < inner; ++p) check.differing += std::memcmp(original + p, copy + p, 4) != 0;
      }
    }
  }
  return check;
}

void check_layer(const std::string& what, const ModelSpec& plain_spec, int64_t batch, double ratio,
                 HardenMode mode) {
  Graph plain(plain_spec);
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  for (float& v : plain.parameters().arena()) v = normal(rng);
  const std::vector<LayerHardening> plan = plan_hardening(plain.spec(), rank_channels_l1(plain), ratio);
  auto hardened = build_hardened_graph(plain, plan, mode, nullptr);
  const int64_t each = mode == HardenMode::tmr ? 2 : 1;
  const int64_t originals = plan.front().channels;
  const CopyCheck grouped = run_and_compare(*hardened, batch, false, each, plan.front().copied, originals);
  const CopyCheck single = run_and_compare(*hardened, batch, true, each, plan.front().copied, originals);
  std::cout << what << ": same-shape GEMMs: " << grouped.differing << " of " << grouped.compared
            << " copy values differ from their originals; single GEMM: " << single.differing << " of "
            << single.compared << "\n";
  INFO(what);
  CHECK(grouped.compared > 0);
  CHECK(grouped.differing == 0);
}

}  // namespace

TEST_CASE("CUDA: VGG-sized hardened conv2d layers give copies their originals' bits", "[cuda][harden]") {
  if (test::skip_without_gpu()) return;
  // VGG-11's features.11 shape (256 -> 512, 3x3, 8x8 planes at batch 64), and VGG's first layer.
  ModelSpec deep{"copies",
                 Shape{256, 8, 8},
                 0,
                 {conv2d_spec("conv", 256, 512, 3, 1, 1, false), simple_spec("relu", LayerType::relu)}};
  ModelSpec first{"copies",
                  Shape{3, 32, 32},
                  0,
                  {conv2d_spec("conv", 3, 64, 3, 1, 1, true), simple_spec("relu", LayerType::relu)}};
  // The output layer of a plan is always fully copied: a trailing ReLU keeps the conv "protected".
  deep.layers.push_back(simple_spec("flatten", LayerType::flatten));
  deep.layers.push_back(linear_spec("fc", 512 * 64, 2));
  first.layers.push_back(simple_spec("flatten", LayerType::flatten));
  first.layers.push_back(linear_spec("fc", 64 * 32 * 32, 2));
  check_layer("conv 256->512 8x8, 15 % duplication", deep, 64, 0.15, HardenMode::dup_only);
  check_layer("conv 256->512 8x8, TMR 15 %", deep, 64, 0.15, HardenMode::tmr);
  check_layer("conv 3->64 32x32, 50 % duplication", first, 128, 0.5, HardenMode::dup_only);
}

TEST_CASE("CUDA: large and split-K shaped hardened linear layers give copies their originals' bits",
          "[cuda][harden]") {
  if (test::skip_without_gpu()) return;
  ModelSpec wide{
      "copies",
      Shape{4096},
      0,
      {linear_spec("fc", 4096, 4096), simple_spec("relu", LayerType::relu), linear_spec("out", 4096, 10)}};
  ModelSpec long_k{
      "copies",
      Shape{25088},
      0,
      {linear_spec("fc", 25088, 16), simple_spec("relu", LayerType::relu), linear_spec("out", 16, 10)}};
  check_layer("linear 4096->4096 at batch 256, 15 % duplication", wide, 256, 0.15, HardenMode::dup_only);
  check_layer("linear 4096->4096 at batch 256, TMR 15 %", wide, 256, 0.15, HardenMode::tmr);
  check_layer("linear 25088->16 at batch 8 (split-K), 50 % duplication", long_k, 8, 0.5,
              HardenMode::dup_only);
}

}  // namespace ftcnn

#endif  // FTCNN_WITH_CUDA
