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
#include "engine/io/interval_file.hpp"
#include "engine/io/model_file.hpp"
#include "engine/io/vulnerability_file.hpp"
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

TEST_CASE("PyTorch ONNX and SafeTensors files are named with the command that converts them", "[bad-input]") {
  test::TempDir dir;
  struct Case {
    const char* file;
    std::string bytes;
    const char* kind;
  };
  // Each file's first bytes as its tool writes them (hex escapes end where a literal ends).
  const Case cases[] = {
      {"resnet18.pt",
       std::string("PK\x03\x04\x00\x00\x08\x08\x00"
                   "archive/data.pkl",
                   25),
       "a PyTorch file"},
      {"old.pth",
       std::string("\x80\x02\x8a\x0a"
                   "l\xfc\x9c"
                   "F\xf9 j\xa8P",
                   14),
       "a PyTorch file"},
      {"mobilenet_v2.onnx",
       std::string("\x08\x07\x12\x07pytorch\x1a\x03"
                   "1.13",
                   17),
       "an ONNX file"},
      {"model.safetensors", std::string("\x40\x00\x00\x00\x00\x00\x00\x00{\"fc.weight\":{}}", 24),
       "a SafeTensors file"},
  };
  for (const Case& c : cases) {
    std::ofstream(dir.file(c.file), std::ios::binary) << c.bytes;
    const test::CommandResult result = run_ftcnn("eval --data x --model " + dir.file(c.file));
    expect_one_line_error(result, std::string(c.file) + ": " + c.kind);
    CHECK(result.output.find("python3 -m ftcnn.export") != std::string::npos);
    // Source locations only with --verbose.
    CHECK(result.output.find(".cpp:") == std::string::npos);
    CHECK(run_ftcnn("info --verbose --model " + dir.file(c.file)).output.find("model_file.cpp:") !=
          std::string::npos);
  }
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
                        "nowhere: no such file or directory");
  // A folder of no known layout: the line names what was looked for (docs/datasets.md).
  std::filesystem::create_directory(dir.file("empty"));
  expect_one_line_error(run_ftcnn("eval" + model + " --data " + dir.file("empty")),
                        "no dataset here: looked for CIFAR binary files");
}

TEST_CASE("unknown flags and bad values are named", "[bad-input]") {
  test::TempDir dir;
  write_state_dict(dir.file("small.h5"), "small");
  expect_one_line_error(run_ftcnn("info --model " + dir.file("small.h5") + " --frobnicate"), "--frobnicate");
  expect_one_line_error(run_ftcnn("eval --model " + dir.file("small.h5") + " --data x --device tpu"),
                        "--device");
  expect_one_line_error(run_ftcnn("eval --model " + dir.file("small.h5") + " --data x --batch 0"), "--batch");
  expect_one_line_error(run_ftcnn("launch"), "launch");
  // Usage errors exit with 2 (CLI11's own codes were 106 and 109); bad input with 1.
  CHECK(run_ftcnn("info --model " + dir.file("small.h5") + " --frobnicate").exit_code == 2);
  CHECK(run_ftcnn("eval --model " + dir.file("small.h5") + " --data x --device tpu").exit_code == 2);
  CHECK(run_ftcnn("campaign --model " + dir.file("small.h5") + " --data x").exit_code == 2);  // no --ber
  CHECK(run_ftcnn("launch").exit_code == 2);
  CHECK(run_ftcnn("info --model " + dir.file("absent.h5")).exit_code == 1);
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
      // Integers as written: bit 30.9 is not bit 30, and 1e20 is not wrapped into a negative number.
      {"fraction.json", R"({"faults": [["features.0.weight", 0, 30.9]]})", "",
       "fault 0: the bit must be an integer, got 30.9"},
      {"huge_bit.json", R"({"faults": [["features.0.weight", 0, 1e20]]})", "",
       "fault 0: the bit must be an integer, got 1e+20"},
      {"huge_element.json", R"({"faults": [["features.0.weight", 18446744073709551615, 3]]})", "",
       "fault 0: the element must be an integer below 2^63, got 18446744073709551615"},
      {"pair.json", R"({"faults": [["features.0.weight", 0]]})", "",
       "fault 0 must be [tensor name, element, bit], got [\"features.0.weight\",0]"},
      {"images.jsonl",
       R"({"type":"campaign","images":-5})"
       "\n",
       " --ber 1e-5 --repetition 0", "line 1: 'images' must be positive, got -5"},
      {"fraction_ber.jsonl",
       header + R"({"type":"repetition","ber":"1e-5","repetition":0})"
                "\n",
       " --ber 1e-5 --repetition 0", "line 2: 'ber' must be a number, got \"1e-5\""},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    expect_one_line_error(run_ftcnn(replay + write(c.name, c.text) + c.flags), c.message);
  }
  expect_one_line_error(run_ftcnn(replay + dir.path()), "not a regular file");
  expect_one_line_error(run_ftcnn(replay + dir.file("absent.jsonl")), "absent.jsonl: no such file");
}

TEST_CASE("a nested group among a model's parameters is refused, not passed over", "[bad-input]") {
  test::TempDir dir;
  const std::string copy = dir.file("nested.h5");
  std::filesystem::copy_file(test::fixture_path("model_small.h5"), copy);
  {
    const hid_t file = H5Fopen(copy.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(file >= 0);
    const hid_t group = H5Gcreate2(file, "parameters/features", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(group >= 0);
    H5Gclose(group);
    H5Fclose(file);
  }
  CHECK_THROWS_WITH(load_model(copy), Catch::Contains("nested.h5: group 'parameters/features' among the "
                                                      "parameters"));
}

TEST_CASE("a state_dict's mean and std are lists of numbers, each read whole", "[bad-input]") {
  test::TempDir dir;
  write_state_dict(dir.file("a.h5"), "small");
  const auto with_mean = [&](const std::string& mean) {
    const std::string path = dir.file("mean.h5");
    std::filesystem::copy_file(dir.file("a.h5"), path, std::filesystem::copy_options::overwrite_existing);
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, mean.size());
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t attribute = H5Acreate2(file, "mean", type, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attribute, type, mean.data());
    H5Aclose(attribute);
    H5Sclose(space);
    H5Tclose(type);
    H5Fclose(file);
    return path;
  };
  CHECK(load_model(with_mean("0.5, 0.25 ,0.125")).info.preprocessing.mean[1] == 0.25f);
  CHECK_THROWS_WITH(load_model(with_mean("0.5abc,0.2,0.1")),
                    Catch::Contains("attribute 'mean': '0.5abc,0.2,0.1' is not a comma-separated list"));
  CHECK_THROWS_WITH(load_model(with_mean("0.5,1e300,0.1")), Catch::Contains("is not a comma-separated list"));
}

TEST_CASE("found by fuzzing: array attributes and sparse datasets of any declared size",
          "[bad-input][fuzz]") {
  test::TempDir dir;
  // An interval file whose `images` attribute holds 3 integers: H5Aread wrote all 3 into one int64 on the
  // stack (fuzz_interval_file, AddressSanitizer: stack-buffer-overflow). Now one line.
  const std::string intervals = dir.file("intervals.h5");
  std::filesystem::copy_file(test::fixture_path("outputs_small/intervals.h5"), intervals);
  {
    const hid_t file = H5Fopen(intervals.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(file >= 0);
    H5Adelete(file, "images");
    const hsize_t three = 3;
    const int64_t values[3] = {1, 2, 3};
    const hid_t space = H5Screate_simple(1, &three, nullptr);
    const hid_t attribute = H5Acreate2(file, "images", H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attribute, H5T_NATIVE_INT64, values);
    H5Aclose(attribute);
    H5Sclose(space);
    // A layer whose bounds declare 2^40 floats in a file of a few kilobytes (chunked, never written).
    const hsize_t huge = hsize_t{1} << 40, chunk = 1;
    const hid_t huge_space = H5Screate_simple(1, &huge, nullptr);
    const hid_t layout = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(layout, 1, &chunk);
    const hid_t group = H5Gcreate2(file, "aaa.huge", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    for (const char* name : {"lower", "upper"}) {
      const hid_t dataset =
          H5Dcreate2(group, name, H5T_IEEE_F32LE, huge_space, H5P_DEFAULT, layout, H5P_DEFAULT);
      H5Dclose(dataset);
    }
    H5Gclose(group);
    H5Pclose(layout);
    H5Sclose(huge_space);
    H5Fclose(file);
  }
  CHECK(std::filesystem::file_size(intervals) < 1 << 20);
  CHECK_THROWS_WITH(read_interval_file(intervals),
                    Catch::Contains("intervals.h5: attribute 'images' holds 3 values where one belongs"));
  {
    const hid_t file = H5Fopen(intervals.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    H5Adelete(file, "images");
    H5Fclose(file);
  }
  setenv("FTCNN_MEMORY_LIMIT_GIB", "1", 1);
  CHECK_THROWS_WITH(read_interval_file(intervals),
                    Catch::Contains("dataset 'aaa.huge/lower' needs 4096.0 GiB, more than the 1.0 GiB"));
  unsetenv("FTCNN_MEMORY_LIMIT_GIB");
}
