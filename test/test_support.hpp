// Helpers shared by the test files: fixture paths, running a graph, and element-wise comparison with a
// tolerance abs + rel * |expected| that reports the worst element and demands NaN/Inf parity.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/graph.hpp"
#include "engine/runner.hpp"
#include "engine/tensor.hpp"

namespace ftcnn::test {

std::string fixture_path(const std::string& name);  // test/fixtures/<name>
std::string shared_path(const std::string& name);   // ../shared/<name>; check with exists()
bool exists(const std::string& path);
// A whole file's bytes (empty when it cannot be read).
std::string read_file(const std::string& path);
// Newlines in a file (0 when it does not exist).
int count_lines(const std::string& path);
// Starts `command` through sh, exec'd so that a signal sent to the returned child reaches the command itself.
int start_shell(const std::string& command);
// A CIFAR-10 test file, <dir>/test_batch.bin, of `images` pseudo-random images (labels 0, 1, ..., 9, 0, ...)
// drawn from `seed`.
void write_cifar10(const std::string& dir, int images, uint32_t seed);

// Runs `input` ([batch, ...]) through the graph on `device`; returns [batch, outputs].
Tensor run_graph(Graph& graph, Device device, const Tensor& input);
// `batch` inputs for `graph` of N(0, 1) values (roughly what preprocessed CIFAR images look like), drawn
// from `seed` with std::mt19937.
Tensor normal_input(const Graph& graph, int64_t batch, uint32_t seed);

struct Comparison {
  bool ok = true;
  int64_t worst_index = -1;
  float actual = 0, expected = 0;
  double worst_excess = 0;  // |a - e| - (abs + rel |e|) at the worst element
  std::string message;      // empty when ok
};

Comparison compare(const Tensor& actual, const Tensor& expected, double abs_tol, double rel_tol);

// A fresh temporary directory, removed with its contents at destruction.
class TempDir;

// True (after printing `no GPU (<reason>): skipped "<test>"`) when this machine has no usable GPU: [cuda]
// cases return early then, so that running them by hand without a GPU passes instead of failing. With the
// environment variable FTCNN_REQUIRE_GPU=1 (scripts/gpu_check.sh sets it) the case FAILS instead, naming the
// reason, so that a GPU run cannot pass by skipping.
bool skip_without_gpu();
// True when FTCNN_REQUIRE_GPU is set to anything but "" or "0".
bool gpu_required();

// Runs the ftcnn binary under test (FTCNN_BINARY) with `arguments`, a shell fragment. `output` is its stdout,
// followed by its stderr when `with_stderr`.
struct CommandResult {
  int exit_code = 0;
  std::string output;
};
CommandResult run_ftcnn(const std::string& arguments, bool with_stderr = true);
// The same for any shell command (a script of scripts/, say).
CommandResult run_command(const std::string& command, bool with_stderr = true);

// Checks a refused command: exit status 1..127 (no crash), exactly one line of output, naming `needle`.
void expect_one_line_error(const CommandResult& r, const std::string& needle);

// Sets an environment variable for its scope; the old value (or its absence) comes back on every exit.
class ScopedEnvironment {
 public:
  ScopedEnvironment(const char* name, const char* value);
  ~ScopedEnvironment();
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  std::string name_, saved_;
  bool had_ = false;
};

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace ftcnn::test

namespace ftcnn::test {

// Loads test/fixtures/<name> (an ftcnn model file with `fixture_input` / `fixture_output` datasets), runs
// it on `device` and compares with PyTorch's output.
Comparison check_fixture(const std::string& name, Device device, double abs_tol, double rel_tol);

}  // namespace ftcnn::test
