#include "test/test_support.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "engine/device.hpp"

namespace ftcnn::test {

bool gpu_required() {
  const char* value = std::getenv("FTCNN_REQUIRE_GPU");
  return value != nullptr && *value != '\0' && std::string(value) != "0";
}

bool skip_without_gpu() {
  const CudaStatus status = cuda_status();
  if (status.count > 0) return false;
  const std::string name = Catch::getResultCapture().getCurrentTestName();
  // On the GPU machine a skip would read as a pass: there, FTCNN_REQUIRE_GPU=1 makes it a failure instead.
  if (gpu_required())
    FAIL("FTCNN_REQUIRE_GPU=1 but no GPU (" << status.reason() << "): \"" << name << "\" cannot run");
  std::cout << "no GPU (" << status.reason() << "): skipped \"" << name << "\"\n";
  return true;
}

CommandResult run_ftcnn(const std::string& arguments, bool with_stderr) {
  return run_command(std::string(FTCNN_BINARY) + " " + arguments, with_stderr);
}

CommandResult run_command(const std::string& shell_command, bool with_stderr) {
  const std::string command = shell_command + (with_stderr ? " 2>&1" : "");
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  CommandResult result;
  std::array<char, 4096> buffer{};
  size_t read;
  while ((read = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), read);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  return result;
}

void expect_one_line_error(const CommandResult& r, const std::string& needle) {
  INFO("output: " << r.output);
  CHECK(r.exit_code != 0);
  CHECK(r.exit_code < 128);
  CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  CHECK(r.output.find(needle) != std::string::npos);
}

std::string fixture_path(const std::string& name) {
  return std::string(FTCNN_SOURCE_DIR) + "/test/fixtures/" + name;
}

std::string shared_path(const std::string& name) {
  return std::string(FTCNN_SOURCE_DIR) + "/../shared/" + name;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int count_lines(const std::string& path) {
  const std::string text = read_file(path);
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

int start_shell(const std::string& command) {
  const pid_t child = fork();
  if (child == 0) {
    execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return child;
}

void write_cifar10(const std::string& dir, int images, uint32_t seed) {
  std::ofstream out(dir + "/test_batch.bin", std::ios::binary);
  uint32_t state = seed;
  for (int r = 0; r < images; ++r) {
    out.put(static_cast<char>(r % 10));
    for (int i = 0; i < 3072; ++i) {
      state = state * 1664525u + 1013904223u;  // a linear congruential generator: enough for test pixels
      out.put(static_cast<char>(state >> 24));
    }
  }
}

bool exists(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0;
}

Tensor run_graph(Graph& graph, Device device, const Tensor& input) {
  auto runner = make_runner(graph, device, 2);
  const int64_t batch = input.shape()[0];
  Tensor output(graph.output_shapes(batch).back());
  runner->forward(input.data(), batch, output.data());
  return output;
}

Tensor normal_input(const Graph& graph, int64_t batch, uint32_t seed) {
  Tensor input(graph.input_shape(batch));
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& v : input.values()) v = normal(rng);
  return input;
}

Comparison compare(const Tensor& actual, const Tensor& expected, double abs_tol, double rel_tol) {
  Comparison result;
  if (actual.numel() != expected.numel()) {
    result.ok = false;
    result.message = fmt::format("sizes differ: {} vs {}", actual.shape().str(), expected.shape().str());
    return result;
  }
  for (int64_t i = 0; i < actual.numel(); ++i) {
    const float a = actual[i], e = expected[i];
    double excess;
    if (std::isnan(e) || std::isinf(e) || std::isnan(a) || std::isinf(a)) {
      const bool same =
          (std::isnan(a) && std::isnan(e)) || (std::isinf(a) && std::isinf(e) && (a > 0) == (e > 0));
      excess = same ? -1.0 : INFINITY;
    } else {
      excess =
          std::fabs(static_cast<double>(a) - e) - (abs_tol + rel_tol * std::fabs(static_cast<double>(e)));
    }
    if (result.worst_index < 0 || excess > result.worst_excess) {
      result.worst_index = i;
      result.worst_excess = excess;
      result.actual = a;
      result.expected = e;
    }
  }
  if (result.worst_excess > 0) {
    result.ok = false;
    result.message =
        fmt::format("worst element {}: got {:.9g}, expected {:.9g} (tolerance {} + {} * |expected|)",
                    result.worst_index, result.actual, result.expected, abs_tol, rel_tol);
  }
  return result;
}

ScopedEnvironment::ScopedEnvironment(const char* name, const char* value) : name_(name) {
  if (const char* old = std::getenv(name)) {
    had_ = true;
    saved_ = old;
  }
  ::setenv(name, value, 1);
}

ScopedEnvironment::~ScopedEnvironment() {
  if (had_)
    ::setenv(name_.c_str(), saved_.c_str(), 1);
  else
    ::unsetenv(name_.c_str());
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "ftcnn-test-XXXXXX").string();
  char* made = mkdtemp(pattern.data());
  if (made == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace ftcnn::test

#include "engine/io/hdf5_file.hpp"
#include "engine/io/model_file.hpp"

namespace ftcnn::test {

Comparison check_fixture(const std::string& name, Device device, double abs_tol, double rel_tol) {
  const std::string path = fixture_path(name);
  Model model = load_model(path);
  const H5File file = H5File::open_read(path);
  const Tensor input = file.read_tensor("fixture_input");
  const Tensor expected = file.read_tensor("fixture_output");
  const Tensor actual = run_graph(*model.graph, device, input);
  Comparison result = compare(actual, expected, abs_tol, rel_tol);
  if (actual.shape() != expected.shape() && actual.numel() == expected.numel()) {
    result.ok = result.ok && actual.shape().per_item() == expected.shape().per_item();
  }
  if (!result.ok) result.message = name + ": " + result.message;
  return result;
}

}  // namespace ftcnn::test
