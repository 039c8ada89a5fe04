// The CUDA backend against the CPU backend: every layer type on the shapes of the PyTorch fixtures, NaN/Inf
// parity, whole models, repeatability, and planning again when the batch size changes.
//
// Tolerances (|cuda - cpu| <= abs + rel * |cpu|): conv2d and linear sum in another order (cuDNN, cuBLAS)
// and get 1e-5 + 1e-4 |cpu|; relu, pooling, batchnorm2d, flatten and dropout compute the same operations in
// the same order and must be bit-identical. Every case is tagged [cuda]; without a GPU it prints
// "no GPU: skipped" and passes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/device.hpp"
#include "engine/io/hdf5_file.hpp"
#include "engine/io/model_file.hpp"
#include "engine/runner.hpp"
#include "test/test_support.hpp"

using namespace ftcnn;

namespace {

using ftcnn::test::skip_without_gpu;

Tensor fixture_input(const std::string& name) {
  return H5File::open_read(test::fixture_path(name)).read_tensor("fixture_input");
}

// Runs `input` on the CPU and on CUDA (a fresh runner each, so each prepares) and compares CUDA to the CPU.
test::Comparison cuda_vs_cpu(Graph& graph, const Tensor& input, double abs_tol, double rel_tol,
                             Tensor* cpu_output = nullptr) {
  Tensor cpu = test::run_graph(graph, Device::cpu, input);
  const Tensor cuda = test::run_graph(graph, Device::cuda, input);
  test::Comparison c = test::compare(cuda, cpu, abs_tol, rel_tol);
  if (cpu_output != nullptr) *cpu_output = std::move(cpu);
  return c;
}

void check_fixtures(std::initializer_list<const char*> names, double abs_tol, double rel_tol) {
  for (const char* name : names) {
    Model model = load_model(test::fixture_path(name));
    const test::Comparison c = cuda_vs_cpu(*model.graph, fixture_input(name), abs_tol, rel_tol);
    INFO(name << ": cuda vs cpu: " << c.message);
    CHECK(c.ok);
  }
}

// Overwrites `count` distinct random elements with NaN, +Inf, -Inf in turn.
void inject_specials(Tensor& input, int64_t count, unsigned seed) {
  const float specials[3] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                             -std::numeric_limits<float>::infinity()};
  std::vector<int64_t> order(static_cast<size_t>(input.numel()));
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  std::mt19937 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  count = std::min(count, input.numel());
  for (int64_t k = 0; k < count; ++k) input[order[static_cast<size_t>(k)]] = specials[k % 3];
}

int64_t count_nonfinite(const Tensor& t) {
  return std::count_if(t.values().begin(), t.values().end(), [](float v) { return !std::isfinite(v); });
}

}  // namespace

TEST_CASE("conv2d on CUDA matches the CPU", "[cuda][conv2d]") {
  if (skip_without_gpu()) return;
  check_fixtures({"conv2d_3x3_s1_p1_bias.h5", "conv2d_5x5_s2_p2_nobias.h5", "conv2d_11x11_s4_p5.h5",
                  "conv2d_1x1_s1_p0.h5", "conv2d_3x3_s2_p0.h5", "conv2d_3x5_s2x1_p1x2.h5",
                  "conv2d_groups2.h5", "conv2d_depthwise_s2.h5"},
                 1e-5, 1e-4);
}

TEST_CASE("linear on CUDA matches the CPU", "[cuda][linear]") {
  if (skip_without_gpu()) return;
  check_fixtures({"linear_bias.h5", "linear_nobias.h5"}, 1e-5, 1e-4);
}

TEST_CASE("batchnorm2d on CUDA is bit-identical to the CPU", "[cuda][batchnorm2d]") {
  if (skip_without_gpu()) return;
  check_fixtures({"batchnorm2d_eps1e-5.h5", "batchnorm2d_eps1e-3.h5"}, 0.0, 0.0);
}

TEST_CASE("relu, relu6, leaky_relu, flatten and dropout on CUDA are bit-identical to the CPU",
          "[cuda][relu][flatten][dropout]") {
  if (skip_without_gpu()) return;
  check_fixtures(
      {"relu_mixed.h5", "relu6_mixed.h5", "leaky_relu_0.2.h5", "flatten_4x3x5.h5", "dropout_identity.h5"},
      0.0, 0.0);
}

TEST_CASE("maxpool2d and avgpool2d on CUDA are bit-identical to the CPU", "[cuda][maxpool2d][avgpool2d]") {
  if (skip_without_gpu()) return;
  check_fixtures(
      {"maxpool2d_2x2_s2.h5", "maxpool2d_3x3_s2_p1.h5", "avgpool2d_2x2_s2.h5", "avgpool2d_3x3_s2_p1.h5"}, 0.0,
      0.0);
}

TEST_CASE("global_avgpool on CUDA is bit-identical to the CPU", "[cuda][global_avgpool]") {
  if (skip_without_gpu()) return;
  check_fixtures({"global_avgpool_7x5.h5", "global_avgpool_8x8.h5"}, 0.0, 0.0);
}

TEST_CASE("CUDA layers put NaN and Inf exactly where the CPU does", "[cuda][nan]") {
  if (skip_without_gpu()) return;
  struct Case {
    const char* name;
    double density;  // share of the input overwritten with NaN / +Inf / -Inf
    double abs_tol, rel_tol;
  };
  const Case cases[] = {
      {"relu_mixed.h5", 0.05, 0.0, 0.0},
      {"relu6_mixed.h5", 0.05, 0.0, 0.0},
      {"leaky_relu_0.2.h5", 0.05, 0.0, 0.0},
      {"maxpool2d_2x2_s2.h5", 0.05, 0.0, 0.0},
      {"maxpool2d_3x3_s2_p1.h5", 0.05, 0.0, 0.0},
      {"avgpool2d_3x3_s2_p1.h5", 0.05, 0.0, 0.0},
      {"global_avgpool_7x5.h5", 0.05, 0.0, 0.0},
      {"batchnorm2d_eps1e-5.h5", 0.05, 0.0, 0.0},
      // Direct convolution algorithms only (conv2d.cu): a special value reaches exactly the outputs whose
      // window holds it, as in the CPU's im2col + GEMM.
      {"conv2d_3x3_s1_p1_bias.h5", 0.005, 1e-5, 1e-4},
      {"linear_bias.h5", 0.005, 1e-5, 1e-4},
  };
  unsigned seed = 1;
  for (const Case& k : cases) {
    Model model = load_model(test::fixture_path(k.name));
    Tensor input = fixture_input(k.name);
    inject_specials(input, std::max<int64_t>(3, static_cast<int64_t>(k.density * input.numel())), seed++);
    Tensor cpu;
    const test::Comparison c = cuda_vs_cpu(*model.graph, input, k.abs_tol, k.rel_tol, &cpu);
    INFO(k.name << " with NaN/Inf injected: cuda vs cpu: " << c.message);
    CHECK(c.ok);
    // The case only means something when specials reach the output.
    CHECK(count_nonfinite(cpu) > 0);
  }
}

TEST_CASE("the small model on CUDA matches the CPU", "[cuda][model]") {
  if (skip_without_gpu()) return;
  Model model = load_model(test::fixture_path("model_small.h5"));
  const test::Comparison c = cuda_vs_cpu(*model.graph, fixture_input("model_small.h5"), 1e-4, 1e-4);
  INFO("model_small: cuda vs cpu: " << c.message);
  CHECK(c.ok);
}

// A trained weights file: from the folder FTCNN_WEIGHTS_DIR names, else the GPU check's carried
// gpu_carry/models/ (scripts/gpu_prepare.sh), else ../shared/weights/. "" when none has it.
std::string weights_file(const std::string& name) {
  std::vector<std::string> places;
  if (const char* dir = std::getenv("FTCNN_WEIGHTS_DIR"); dir != nullptr && *dir != '\0')
    places.push_back(std::string(dir) + "/" + name);
  places.push_back(std::string(FTCNN_SOURCE_DIR) + "/gpu_carry/models/" + name);
  places.push_back(test::shared_path("weights/" + name));
  for (const std::string& path : places) {
    if (test::exists(path)) return path;
  }
  return "";
}

TEST_CASE("VGG-11 on CUDA matches the CPU on 8 random inputs", "[cuda][model][vgg11]") {
  if (skip_without_gpu()) return;
  const std::string path = weights_file("vgg11_cifar10.h5");
  if (path.empty()) {
    // The GPU check carries the file: there a missing one is a failure, not a skip.
    const char* required = std::getenv("FTCNN_REQUIRE_GPU");
    if (required != nullptr && std::string(required) == "1")
      FAIL("vgg11_cifar10.h5 is in none of $FTCNN_WEIGHTS_DIR, gpu_carry/models, ../shared/weights");
    std::cout << "no vgg11_cifar10.h5 in $FTCNN_WEIGHTS_DIR, gpu_carry/models or ../shared/weights: "
                 "VGG-11 CUDA check skipped\n";
    return;
  }
  std::cout << "VGG-11 CUDA check on " << path << "\n";
  Model model = load_model(path);
  const Tensor input = test::normal_input(*model.graph, 8, 11);
  // Logits within 1e-4 relative to the largest logit magnitude of the batch.
  const Tensor cpu = test::run_graph(*model.graph, Device::cpu, input);
  float scale = 0.0f;
  for (float v : cpu.values()) scale = std::max(scale, std::fabs(v));
  const Tensor cuda = test::run_graph(*model.graph, Device::cuda, input);
  const test::Comparison c = test::compare(cuda, cpu, 1e-4 * scale, 0.0);
  INFO("vgg11: cuda vs cpu (largest |logit| " << scale << "): " << c.message);
  CHECK(c.ok);
}

TEST_CASE("CUDA plans again for a new batch size and repeats itself bit for bit", "[cuda][prepare]") {
  if (skip_without_gpu()) return;
  Model model = load_model(test::fixture_path("model_small.h5"));
  Graph& graph = *model.graph;
  const int64_t batches[] = {3, 5, 3};
  std::vector<Tensor> inputs, expected;
  unsigned seed = 100;
  for (int64_t batch : batches) {
    inputs.push_back(test::normal_input(graph, batch, seed++));
    expected.push_back(test::run_graph(graph, Device::cpu, inputs.back()));  // its own runner: prepares cpu
  }
  // One CUDA runner for all three: each call changes the batch size, so each prepares every layer again
  // (new cuDNN descriptors and algorithm choice, a possibly larger workspace and activation buffers).
  auto runner = make_runner(graph, Device::cuda);
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor output(graph.output_shapes(batches[i]).back());
    runner->forward(inputs[i].data(), batches[i], output.data());
    // Random inputs are not preprocessed images: scale the absolute tolerance with the logits.
    float scale = 1.0f;
    for (float v : expected[i].values()) scale = std::max(scale, std::fabs(v));
    const test::Comparison c = test::compare(output, expected[i], 1e-4 * scale, 1e-4);
    INFO("batch " << batches[i] << " (call " << i + 1 << "): cuda vs cpu: " << c.message);
    CHECK(c.ok);
    // The same input again, without a new plan: a golden run must be reproducible exactly.
    Tensor again(output.shape());
    runner->forward(inputs[i].data(), batches[i], again.data());
    const test::Comparison same = test::compare(again, output, 0.0, 0.0);
    INFO("batch " << batches[i] << ": second run vs first: " << same.message);
    CHECK(same.ok);
  }
}
