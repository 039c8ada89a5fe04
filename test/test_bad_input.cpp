// Bad input ends in a non-zero exit and one line on stderr that names the file, the dataset or the flag;
// never a crash, a hang or a silent wrong answer. These tests run the real `ftcnn` binary.
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>

#include "engine/cpu_context.hpp"
#include "engine/graph.hpp"
#include "engine/io/hdf5_file.hpp"
#include "engine/io/model_file.hpp"
#include "models/architectures.hpp"
#include "test/test_support.hpp"

using namespace ftcnn;

namespace {

using RunResult = ftcnn::test::CommandResult;
using ftcnn::test::expect_one_line_error;
using ftcnn::test::run_ftcnn;
// A non-zero exit (not a crash), exactly one line of output, containing `needle`.
// A state_dict file for the small architecture with every tensor but `skip`, `reshape` given a wrong shape.
void write_state_dict(const std::string& path, const std::string& arch, const std::string& skip = "",
                      const std::string& reshape = "") {
  Graph graph(build_architecture("small"));
  H5File file = H5File::create(path);
  if (!arch.empty()) file.write_string_attribute("arch", arch);
  for (const ParameterInfo& p : graph.parameters().infos()) {
    if (p.name == skip) continue;
    std::vector<float> zeros(static_cast<size_t>(p.numel()) + 1, 0.0f);
    const Shape shape = p.name == reshape ? Shape{p.numel() + 1} : p.shape;
    file.write_tensor(p.name, shape, zeros.data());
  }
}

void write_cifar10(const std::string& dir, int records, int label, int extra_bytes = 0) {
  std::ofstream out(dir + "/test_batch.bin", std::ios::binary);
  for (int r = 0; r < records; ++r) {
    out.put(static_cast<char>(label));
    for (int i = 0; i < 3072; ++i) out.put(static_cast<char>(i % 251));
  }
  for (int i = 0; i < extra_bytes; ++i) out.put(0);
}

}  // namespace

TEST_CASE("a file that is not HDF5 is named", "[bad-input]") {
  test::TempDir dir;
  std::ofstream(dir.file("model.h5")) << "this is not an HDF5 file\n";
  expect_one_line_error(run_ftcnn("info --model " + dir.file("model.h5")), "model.h5: not an HDF5 file");
  expect_one_line_error(run_ftcnn("info --model " + dir.file("absent.h5")), "absent.h5: no such file");
}

TEST_CASE("a missing dataset and a wrong shape are named", "[bad-input]") {
  test::TempDir dir;
  write_state_dict(dir.file("missing.h5"), "small", "features.5.running_var");
  expect_one_line_error(run_ftcnn("info --model " + dir.file("missing.h5")),
                        "missing dataset 'features.5.running_var'");
  write_state_dict(dir.file("shape.h5"), "small", "", "classifier.1.weight");
  expect_one_line_error(run_ftcnn("info --model " + dir.file("shape.h5")),
                        "dataset 'classifier.1.weight' has shape");
}

TEST_CASE("a model/architecture mismatch is named", "[bad-input]") {
  test::TempDir dir;
  write_state_dict(dir.file("noarch.h5"), "");
  expect_one_line_error(run_ftcnn("info --model " + dir.file("noarch.h5")), "needs --arch");
  expect_one_line_error(run_ftcnn("info --model " + dir.file("noarch.h5") + " --arch vgg11"),
                        "architecture 'vgg11' needs");
  expect_one_line_error(run_ftcnn("info --model " + dir.file("noarch.h5") + " --arch resnet"),
                        "unknown architecture 'resnet'");
  write_state_dict(dir.file("small.h5"), "small");
  expect_one_line_error(run_ftcnn("info --model " + dir.file("small.h5") + " --arch alexnet"), "disagrees");
  CHECK(run_ftcnn("info --model " + dir.file("small.h5")).exit_code == 0);
}

TEST_CASE("truncated CIFAR files and labels out of range are named", "[bad-input]") {
  test::TempDir dir;
  write_state_dict(dir.file("small.h5"), "small");
  const std::string model = " --model " + dir.file("small.h5");
  write_cifar10(dir.path(), 3, 4, 100);
  expect_one_line_error(run_ftcnn("eval" + model + " --data " + dir.path()), "test_batch.bin: truncated");
  write_cifar10(dir.path(), 3, 12);
  expect_one_line_error(run_ftcnn("eval" + model + " --data " + dir.path()), "label 12 out of range");
  write_cifar10(dir.path(), 3, 9);
  CHECK(run_ftcnn("eval" + model + " --data " + dir.path()).exit_code == 0);
  expect_one_line_error(run_ftcnn("eval" + model + " --data " + dir.file("nowhere")),
                        "no CIFAR binary files");
}

TEST_CASE("unknown flags and bad values are named", "[bad-input]") {
  test::TempDir dir;
  write_state_dict(dir.file("small.h5"), "small");
  expect_one_line_error(run_ftcnn("info --model " + dir.file("small.h5") + " --frobnicate"), "--frobnicate");
  expect_one_line_error(run_ftcnn("eval --model " + dir.file("small.h5") + " --data x --device tpu"),
                        "--device");
  expect_one_line_error(run_ftcnn("eval --model " + dir.file("small.h5") + " --data x --batch 0"), "--batch");
  expect_one_line_error(run_ftcnn("launch"), "launch");
}

TEST_CASE("seeds and bit error rates are taken exactly or refused", "[bad-input]") {
  test::TempDir dir;
  const std::string campaign = "campaign --model " + std::string(FTCNN_SOURCE_DIR) +
                               "/data/default/small_cifar10.h5 --data " + std::string(FTCNN_SOURCE_DIR) +
                               "/data/default/cifar10-test-slice --images 10 --reps 1 --out " + dir.file("c");
  // A seed that wraps or saturates would resume a log made with another seed.
  for (const char* seed : {"18446744073709551616", "1e30", "-1", "0x10", ""}) {
    INFO(seed);
    expect_one_line_error(run_ftcnn(campaign + " --ber 1e-6 --seed '" + seed + "'"),
                          "--seed: must be an integer from 0 to 18446744073709551615");
  }
  expect_one_line_error(run_ftcnn("vuln --model x --data y --method random --seed 18446744073709551616"),
                        "--seed: must be an integer");
  // The same rate twice would run and count every repetition twice.
  expect_one_line_error(run_ftcnn(campaign + " --ber 1e-6,0.000001"),
                        "--ber: 0.000001 is the rate given as number 1 already");
  for (const char* ber : {"1e-400", "5e-324"}) {
    expect_one_line_error(run_ftcnn(campaign + " --ber " + ber), "is outside the range of a double");
  }
  CHECK_FALSE(test::exists(dir.file("c")));
  const test::CommandResult largest = run_ftcnn(campaign + " --ber 1e-6 --seed 18446744073709551615");
  INFO(largest.output);
  CHECK(largest.exit_code == 0);
}

TEST_CASE("model files round-trip bit for bit", "[model-file]") {
  test::TempDir dir;
  Model original = load_model(test::fixture_path("model_small.h5"));
  save_model(dir.file("copy.h5"), *original.graph, original.info);
  Model copy = load_model(dir.file("copy.h5"));
  CHECK(copy.graph->parameters().checksum() == original.graph->parameters().checksum());
  CHECK(model_spec_to_json(copy.graph->spec()) == model_spec_to_json(original.graph->spec()));
  CHECK(copy.info.preprocessing.mean == original.info.preprocessing.mean);
  CHECK(copy.info.class_names == original.info.class_names);
}

TEST_CASE("sizes from a file are checked before anything is allocated", "[bad-input]") {
  // A model whose first conv declares 2e7 output channels: one line at once (it took 26 s and 4.4 GB).
  setenv("FTCNN_MEMORY_LIMIT_GIB", "1", 1);
  ModelSpec huge;
  huge.arch = "huge";
  huge.input = Shape{3, 8, 8};
  huge.layers = {conv2d_spec("features.0", 3, 20000000, 3, 1, 1, true)};
  CHECK_THROWS_WITH(Graph(huge), Catch::Contains("needs 2.0 GiB, more than the 1.0 GiB this machine has"));
  huge.layers = {conv2d_spec("features.0", 3, 1000000000000000000, 3, 1, 1, true)};
  CHECK_THROWS_WITH(Graph(huge), Catch::Contains("more elements than 64 bits count"));
  // Activations: planned only when a batch of them fits.
  ModelSpec wide;
  wide.arch = "wide";
  wide.input = Shape{3, 8, 8};
  wide.layers = {conv2d_spec("features.0", 3, 16, 3, 1, 1, true)};
  Graph graph(wide);
  PlanCache plans(graph);
  CpuContext cpu(1);
  ExecContext ctx;
  ctx.cpu = &cpu;
  CHECK_THROWS_WITH(plans.get(ctx, 1 << 24), Catch::Contains("the activations of a batch of 16777216 needs"));
  CHECK(plans.get(ctx, 4).batch == 4);
  unsetenv("FTCNN_MEMORY_LIMIT_GIB");

  // A sparse 30 GB CIFAR file is sized, not read into memory.
  test::TempDir dir;
  { std::ofstream touch(dir.file("test_batch.bin")); }
  std::filesystem::resize_file(dir.file("test_batch.bin"), int64_t{3073} * 10000000);
  const test::CommandResult r = test::run_command("FTCNN_MEMORY_LIMIT_GIB=1 " + std::string(FTCNN_BINARY) +
                                                  " eval --model " + std::string(FTCNN_SOURCE_DIR) +
                                                  "/data/default/small_cifar10.h5 --data " + dir.path());
  expect_one_line_error(r, "test_batch.bin's images needs 28.6 GiB, more than the 1.0 GiB");
}

TEST_CASE("a model or a golden run that would mislead is said so", "[bad-input]") {
  test::TempDir dir;
  Model model = load_model(test::fixture_path("model_small.h5"));
  ParameterStore& store = model.graph->parameters();
  store.host(store.find("classifier.3.bias"))[0] = std::numeric_limits<float>::infinity();
  save_model(dir.file("inf.h5"), *model.graph, model.info);
  const test::CommandResult info = run_ftcnn("info --model " + dir.file("inf.h5"));
  INFO(info.output);
  CHECK(info.exit_code == 0);
  CHECK(info.output.find("ftcnn: warning: " + dir.file("inf.h5") +
                         ": 1 parameter values are NaN or Inf (or overflow float32), the first in "
                         "'classifier.3.bias'") != std::string::npos);
  // Every logit of class 0 is Inf: the golden run is all DUE, and the campaign says so before it runs.
  const test::CommandResult campaign =
      run_ftcnn("campaign --model " + dir.file("inf.h5") + " --data " + std::string(FTCNN_SOURCE_DIR) +
                "/data/default/cifar10-test-slice --images 20 --ber 1e-6 --reps 1 --out " + dir.file("c"));
  INFO(campaign.output);
  CHECK(campaign.output.find("ftcnn: warning: the fault-free run has NaN or Inf logits on 20 of 20 images") !=
        std::string::npos);
}

TEST_CASE("replay names what is wrong with a fault list, never an internal error", "[bad-input]") {
  test::TempDir dir;
  const std::string replay = "replay --model " + std::string(FTCNN_SOURCE_DIR) +
                             "/data/default/small_cifar10.h5 --data " + std::string(FTCNN_SOURCE_DIR) +
                             "/data/default/cifar10-test-slice --faults ";
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir.file(name)) << text;
    return dir.file(name);
  };
  const std::string header = R"({"type":"campaign","images":20})"
                             "\n";
  struct Case {
    std::string name, text, flags, message;
  };
  const Case cases[] = {
      {"array.jsonl", "[1, 2]\n", "", "line 1 is not a JSON object"},
      {"string.jsonl", "\"faults\"\n", "", "line 1 is not a JSON object"},
      {"number.jsonl", "42\n", "", "line 1 is not a JSON object"},
      {"noker.jsonl",
       header + R"({"type":"repetition","repetition":0})"
                "\n",
       " --ber 1e-5 --repetition 0", "line 2: "},
      {"torn.jsonl", header + R"({"type":"repetition","ber":1e-5,"repe)", " --ber 1e-5 --repetition 0",
       "no repetition 0 at BER 1e-05"},
      {"damaged.jsonl",
       header + "{oops\n" +
           R"({"type":"repetition","ber":1e-5,"repetition":0})"
           "\n",
       " --ber 1e-5 --repetition 0", "line 2 is not JSON"},
      {"nolist.json", R"({"something": 1})", "", "neither a campaign log"},
      {"empty.jsonl", "", "", "empty.jsonl: empty"},
      {"log.jsonl", header, "", "give --ber and --repetition"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    expect_one_line_error(run_ftcnn(replay + write(c.name, c.text) + c.flags), c.message);
  }
  expect_one_line_error(run_ftcnn(replay + dir.path()), "no such file");
}
