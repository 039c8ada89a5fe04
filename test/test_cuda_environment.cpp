// What this build and machine say about CUDA, checked without a GPU where possible: the device status and
// its one-line reason (no backend, no driver, a driver too old for the runtime, no device), the fields of
// `ftcnn devices --json` and `--count`, and FTCNN_REQUIRE_GPU=1 turning a skipped [cuda] case into a
// failure (the test binary run on one [cuda] case as a subprocess). The [cuda] cases run on a GPU: a
// context opens with a kernel image for the device and pedantic cuBLAS math, and a failed cudaMalloc names
// its bytes and leaves no error behind.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/device.hpp"
#include "engine/error.hpp"
#include "test/test_support.hpp"

#ifdef FTCNN_WITH_CUDA
#include "engine/cuda/cuda_context.hpp"
#include "engine/cuda/device_buffer.hpp"
#endif

using namespace ftcnn;

namespace {

// The running test binary, to run one of its cases as a subprocess.
std::string test_binary() {
  std::vector<char> path(4096);
  const ssize_t n = readlink("/proc/self/exe", path.data(), path.size() - 1);
  REQUIRE(n > 0);
  return std::string(path.data(), static_cast<size_t>(n));
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

constexpr const char* kProbeCase = "a CUDA context opens on the GPU with a kernel image and pedantic cuBLAS";

}  // namespace

TEST_CASE("the CUDA status of this build and machine explains a missing GPU in one line", "[device]") {
  const CudaStatus status = cuda_status();
  CHECK(status.compiled == cuda_compiled());
  CHECK(cuda_device_count() == status.count);
  const std::string reason = status.reason();
  INFO("reason: " << reason);
  CHECK(reason.find('\n') == std::string::npos);
  if (!status.compiled) {
    CHECK(status.count == 0);
    CHECK(reason == "this build of ftcnn has no CUDA backend");
    CHECK(status.architectures.empty());
    return;
  }
  CHECK(!status.runtime.empty());
  CHECK(!status.architectures.empty());
  if (status.count > 0) {
    CHECK(reason.empty());
    CHECK(status.error.empty());
  } else {
    // This machine has no GPU: either the runtime said "no device" or it failed with a reason.
    CHECK(!reason.empty());
    CHECK((status.no_device || !status.error.empty()));
    if (status.no_device) CHECK(reason == "no CUDA device");
  }
}

TEST_CASE("the CUDA status reason names the error, the driver and the runtime", "[device]") {
  CudaStatus status;
  CHECK(status.reason() == "this build of ftcnn has no CUDA backend");
  status.compiled = true;
  status.runtime = "13.0";
  status.no_device = true;
  CHECK(status.reason() == "no CUDA device");
  status.no_device = false;
  status.error = "CUDA driver version is insufficient for CUDA runtime version";
  status.driver = "12.4";
  CHECK(
      status.reason() ==
      "CUDA error: CUDA driver version is insufficient for CUDA runtime version (driver supports CUDA 12.4, "
      "runtime 13.0; CUDA 13 needs driver 580 or newer)");
  status.driver = "13.0";
  status.error = "unknown error";
  CHECK(status.reason() == "CUDA error: unknown error (driver supports CUDA 13.0, runtime 13.0)");
  status.driver = "";
  CHECK(contains(status.reason(), "no NVIDIA driver on this machine"));
  status.error = "";
  status.count = 1;
  CHECK(status.reason().empty());
}

TEST_CASE("ftcnn devices --json reports the status and --count a number with the reason on stderr",
          "[device][cli]") {
  const CudaStatus status = cuda_status();
  const test::CommandResult json_run = test::run_ftcnn("devices --json", false);
  INFO(json_run.output);
  REQUIRE(json_run.exit_code == 0);
  const nlohmann::json j = nlohmann::json::parse(json_run.output);
  for (const char* key : {"command", "cuda_compiled", "gpus", "reason", "cuda_error", "no_device",
                          "driver_cuda", "runtime_cuda", "cuda_architectures", "cudnn", "cudnn_compiled",
                          "cublas", "cublas_compiled", "devices", "version"})
    CHECK(j.contains(key));
  CHECK(j["cuda_compiled"] == status.compiled);
  CHECK(j["gpus"] == status.count);
  CHECK(j["reason"] == status.reason());
  CHECK(j["cuda_error"] == status.error);
  CHECK(j["runtime_cuda"] == status.runtime);
  CHECK(j["cuda_architectures"] == status.architectures);
  CHECK(j["cudnn"].get<std::string>().empty() == !status.compiled);  // loaded without a GPU too
  REQUIRE(j["devices"].is_array());
  CHECK(j["devices"].size() == static_cast<size_t>(status.count));
  for (const auto& d : j["devices"]) {
    CHECK(d["kernel_image"] == true);  // this binary runs on every GPU present
    CHECK(d["kernel_image_problem"] == "");
  }

  const test::CommandResult count = test::run_ftcnn("devices --count 2>/dev/null", false);
  CHECK(count.exit_code == 0);
  CHECK(count.output == std::to_string(status.count) + "\n");
  const test::CommandResult why =
      test::run_command(std::string(FTCNN_BINARY) + " devices --count 2>&1 >/dev/null", false);
  if (status.count == 0) {
    CHECK(why.output == "ftcnn devices: " + status.reason() + "\n");
  } else {
    CHECK(why.output.empty());
  }

  const test::CommandResult text = test::run_ftcnn("devices");
  CHECK(text.exit_code == 0);
  CHECK(contains(text.output, "GPU(s) visible"));
  if (status.count == 0 && status.compiled) CHECK(contains(text.output, status.reason()));
}

TEST_CASE("FTCNN_REQUIRE_GPU=1 turns a CUDA case skipped for lack of a GPU into a failure", "[device]") {
  if (cuda_device_count() > 0) return;  // the [cuda] case runs for real here
  const std::string reason = cuda_status().reason();
  // The compact reporter keeps each message on one line.
  const std::string run = test_binary() + " -r compact \"" + kProbeCase + "\"";

  const test::CommandResult skipped = test::run_command("env -u FTCNN_REQUIRE_GPU " + run);
  INFO(skipped.output);
  CHECK(skipped.exit_code == 0);
  CHECK(contains(skipped.output, "no GPU (" + reason + "): skipped \"" + kProbeCase + "\""));

  const test::CommandResult required = test::run_command("FTCNN_REQUIRE_GPU=1 " + run);
  INFO(required.output);
  CHECK(required.exit_code != 0);
  CHECK(contains(required.output, "FTCNN_REQUIRE_GPU=1 but no GPU (" + reason + ")"));
  CHECK(contains(required.output, "Failed 1 test case"));

  const test::CommandResult zero = test::run_command("FTCNN_REQUIRE_GPU=0 " + run);
  CHECK(zero.exit_code == 0);
}

TEST_CASE("a CUDA context opens on the GPU with a kernel image and pedantic cuBLAS", "[cuda]") {
  if (test::skip_without_gpu()) return;
#ifdef FTCNN_WITH_CUDA
  const CudaStatus status = cuda_status(true);
  REQUIRE(status.devices.size() == static_cast<size_t>(status.count));
  for (const CudaDeviceInfo& d : status.devices) {
    INFO("device " << d.index << " " << d.name << " sm_" << d.major << d.minor);
    CHECK(d.kernel_image_problem.empty());
  }
  CudaContext context(0);
  CHECK(context.device_name() == status.devices[0].name);
  cublasMath_t mode{};
  REQUIRE(cublasGetMathMode(context.cublas(), &mode) == CUBLAS_STATUS_SUCCESS);
  CHECK(mode == CUBLAS_PEDANTIC_MATH);
  CHECK(cudaGetLastError() == cudaSuccess);
#endif
}

#ifdef FTCNN_WITH_CUDA
TEST_CASE("a failed cudaMalloc names its bytes and leaves no CUDA error behind", "[cuda]") {
  if (test::skip_without_gpu()) return;
  CudaContext context(0);
  DeviceBuffer<float> small(256);       // a working allocation first
  const size_t huge = size_t{1} << 50;  // 4 PiB of floats: more than any GPU has
  try {
    DeviceBuffer<float> buffer(huge);
    FAIL("a 4 PiB allocation succeeded");
  } catch (const Error& e) {
    const std::string message = e.what();
    INFO(message);
    CHECK(contains(message, std::to_string(huge * sizeof(float)) + " bytes"));
    CHECK(contains(message, "MiB free of"));
  }
  CHECK(cudaGetLastError() == cudaSuccess);  // the next check blames nobody
  DeviceBuffer<float> after(1024);
  CHECK(after.size() == 1024);
}
#endif
