// The dataset readers behind --data (engine/io/dataset.hpp): layout detection, CIFAR python batches through
// the restricted pickle reader (Python 2 cPickle files and Python 3 protocols 2 and 4), generic .npz and .h5
// array files, and one-line refusals of damaged or hostile input. Fixtures: test/generate_dataset_fixtures.py
// (pixel j of image i is (37 i + 11 j + 5 (j / 1024)) % 256).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "engine/error.hpp"
#include "engine/io/dataset.hpp"
#include "engine/io/pickle_reader.hpp"
#include "test/test_support.hpp"

namespace ftcnn {
namespace {

std::string datasets(const std::string& name) {
  return test::fixture_path("datasets/" + name);
}

uint8_t pixel(int64_t image, int64_t j) {
  return static_cast<uint8_t>((image * 37 + j * 11 + (j / 1024) * 5) % 256);
}

// Image k of `data` holds the generator's image `first + k` (for CIFAR, whose CHW bytes are j in order).
void check_images(const Dataset& data, int64_t first) {
  const int64_t item = data.item.numel();
  for (int64_t k = 0; k < data.count; ++k) {
    for (int64_t j = 0; j < item; ++j) {
      if (data.pixels[static_cast<size_t>(k * item + j)] != pixel(first + k, j)) {
        FAIL("image " << k << " pixel " << j << " of " << data.source);
      }
    }
  }
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

TEST_CASE("CIFAR python folders load from Python 2 and Python 3 pickles alike", "[data]") {
  for (const std::string style : {"py2", "p2", "p4"}) {
    INFO(style);
    const int64_t test_count = style == "p2" ? 1 : 2;
    const Dataset c10 = load_dataset(datasets(style + "/cifar-10-batches-py"));
    CHECK(c10.name == "cifar10");
    CHECK(c10.num_classes == 10);
    CHECK(c10.count == test_count);
    CHECK(c10.item == Shape{3, 32, 32});
    CHECK_FALSE(c10.scaled);
    CHECK(c10.labels == (test_count == 2 ? std::vector<int32_t>{0, 3} : std::vector<int32_t>{0}));
    REQUIRE(c10.class_names.size() == 10);
    CHECK(c10.class_names[1] == "automobile");
    check_images(c10, 0);

    const Dataset c100 = load_dataset(datasets(style + "/cifar-100-python"));
    CHECK(c100.name == "cifar100");
    CHECK(c100.num_classes == 100);
    CHECK(c100.count == test_count);
    CHECK(c100.labels.back() == (test_count == 2 ? 37 : 0));
    REQUIRE(c100.class_names.size() == 100);
    CHECK(c100.class_names[99] == "fine99");
    check_images(c100, 0);
  }
}

TEST_CASE("the train split of CIFAR python folders spans the batches, and limits stop early", "[data]") {
  const Dataset train = load_dataset(datasets("py2/cifar-10-batches-py"), "train");
  CHECK(train.count == 5);
  CHECK(train.labels == std::vector<int32_t>{0, 3, 6, 9, 2});  // (3 i) % 10 for i = 100..104
  check_images(train, 100);
  const Dataset first_two = load_dataset(datasets("py2/cifar-10-batches-py"), "train", 2);
  CHECK(first_two.count == 2);
  CHECK(first_two.source.find("data_batch_3") == std::string::npos);
  const Dataset c100 = load_dataset(datasets("py2/cifar-100-python"), "train");
  CHECK(c100.count == 1);
  CHECK(c100.labels == std::vector<int32_t>{(37 * 100) % 100});
  check_images(c100, 100);
}

TEST_CASE("a folder of several datasets, or of none, is refused naming what was looked for", "[data]") {
  // The p2 folder holds cifar-10-batches-py and cifar-100-python: ambiguous.
  test::TempDir dir;
  std::filesystem::create_directory(dir.file("cifar-10-batches-py"));
  std::filesystem::create_directory(dir.file("cifar-100-python"));
  for (const char* f : {"test_batch", "batches.meta"})
    std::filesystem::copy_file(datasets(std::string("py2/cifar-10-batches-py/") + f),
                               dir.file(std::string("cifar-10-batches-py/") + f));
  CHECK(load_dataset(dir.path()).count == 2);  // one dataset: found
  for (const char* f : {"test", "meta"})
    std::filesystem::copy_file(datasets(std::string("py2/cifar-100-python/") + f),
                               dir.file(std::string("cifar-100-python/") + f));
  try {
    load_dataset(dir.path());
    FAIL("two datasets accepted");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("holds 2 datasets") != std::string::npos);
  }
  test::TempDir empty;
  try {
    load_dataset(empty.path());
    FAIL("an empty folder accepted");
  } catch (const Error& e) {
    const std::string message = e.what();
    CHECK(message.find("test_batch.bin") != std::string::npos);
    CHECK(message.find("cifar-10-batches-py") != std::string::npos);
    CHECK(message.find(".npz") != std::string::npos);
  }
  CHECK_THROWS_AS(load_dataset(empty.file("nothing")), Error);
  write_bytes(empty.file("images.csv"), "1,2,3\n");
  CHECK_THROWS_AS(load_dataset(empty.file("images.csv")), Error);
}

TEST_CASE("npz and h5 array files: uint8 NHWC / NHW and float NCHW, any size, classes from the file",
          "[data]") {
  const std::vector<int32_t> labels{3, 1, 4, 1, 5, 9};
  for (const std::string name : {"gray-nhw.npz", "gray-nhwc-compressed.npz", "gray-nhwc.h5"}) {
    INFO(name);
    const Dataset data = load_dataset(datasets("arrays/" + name));
    CHECK(data.item == Shape{1, 28, 28});
    CHECK(data.count == 6);
    CHECK(data.labels == labels);
    CHECK(data.num_classes == 10);  // class_names (10), else the largest label + 1
    CHECK_FALSE(data.scaled);
    check_images(data, 0);
  }
  CHECK(load_dataset(datasets("arrays/gray-nhwc-compressed.npz")).class_names[7] == "digit7");
  CHECK(load_dataset(datasets("arrays/gray-nhwc.h5")).class_names[9] == "digit9");
  const Dataset train = load_dataset(datasets("arrays/gray-nhwc-compressed.npz"), "train");
  CHECK(train.count == 2);
  check_images(train, 0);
  const Dataset limited = load_dataset(datasets("arrays/gray-nhwc.h5"), "test", 4);
  CHECK(limited.count == 4);
  CHECK(limited.num_classes == 10);
  check_images(limited, 0);

  for (const std::string name : {"gray-nchw-float.npz", "gray-nchw-float.h5"}) {
    INFO(name);
    const Dataset data = load_dataset(datasets("arrays/" + name));
    CHECK(data.item == Shape{1, 12, 12});
    CHECK(data.scaled);
    CHECK(data.pixels.empty());
    CHECK(data.num_classes == (name.find(".npz") != std::string::npos ? 12 : 10));  // num_classes given
    REQUIRE(data.values.size() == 6 * 144);
    for (int64_t k = 0; k < 6; ++k) {
      for (int64_t j = 0; j < 144; ++j)
        CHECK(data.values[k * 144 + j] == static_cast<float>(pixel(k, j)) / 255.0f);
    }
    // Already scaled: the model's 1/255 does not apply again, mean and std do.
    std::vector<float> out(144);
    preprocess_images(data, 1, 1, 1.0f / 255.0f, {0.5f}, {0.25f}, out.data());
    CHECK(out[7] == (static_cast<float>(pixel(1, 7)) / 255.0f - 0.5f) / 0.25f);
    CHECK_THROWS_AS(preprocess_images(data, 0, 1, 1.0f, {0.5f, 0.5f, 0.5f}, {1, 1, 1}, out.data()), Error);
    const Dataset spread = evenly_spaced_subset(data, 3);
    CHECK(spread.values.size() == 3 * 144);
    CHECK(spread.values[144] == data.values[2 * 144]);
  }
  CHECK_THROWS_AS(load_dataset(datasets("arrays/gray-nchw-float.h5"), "train"), Error);  // no x_train
}

TEST_CASE("the pickle reader refuses globals other than numpy's and never runs code", "[data]") {
  // pickle.dumps(os.system, protocol 2) and a REDUCE calling it: "cos\nsystem\n(S'true'\ntR."
  const std::string hostile = std::string("\x80\x02") + "cos\nsystem\nq\x01U\x04true\x85R.";
  try {
    Pickle::parse(hostile, "evil.pkl");
    FAIL("a foreign global accepted");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("refusing the global os.system") != std::string::npos);
  }
  CHECK_THROWS_AS(Pickle::parse(std::string("\x80\x02") + "cbuiltins\neval\n.", "x"), Error);
  CHECK_THROWS_AS(Pickle::parse(std::string("\x80\x02") + "\x8c\x05posix\x8c\x06system\x93.", "x"), Error);
  CHECK_THROWS_AS(Pickle::parse("", "x"), Error);
  CHECK_THROWS_AS(Pickle::parse("\x80\x02}", "x"), Error);  // no STOP
}

TEST_CASE("truncated or garbled pickles, zip archives and npy headers fail in one line, never crash",
          "[data]") {
  test::TempDir dir;
  const auto rejects_cleanly = [&](const std::string& folder_or_file) {
    try {
      load_dataset(folder_or_file);
    } catch (const Error&) {
    }  // anything else (a crash, std::bad_alloc) fails the test
  };
  // Every prefix of a Python 2 and a protocol-4 batch: each must throw an ftcnn::Error.
  for (const std::string style : {"py2", "p4"}) {
    const std::string batch = read_bytes(datasets(style + "/cifar-10-batches-py/test_batch"));
    int refused = 0, cuts = 0;
    for (size_t cut = 0; cut < batch.size(); cut += cut < 400 ? 1 : 97, ++cuts) {
      try {
        Pickle::parse(batch.substr(0, cut), "cut");
      } catch (const Error&) {
        ++refused;
      }
    }
    CHECK(refused == cuts);
  }
  // Garbled bytes in the opcode region (seeded), through the whole loader.
  const std::string meta = read_bytes(datasets("py2/cifar-10-batches-py/batches.meta"));
  const std::string batch = read_bytes(datasets("py2/cifar-10-batches-py/test_batch"));
  uint32_t state = 12345;
  for (int trial = 0; trial < 300; ++trial) {
    std::string bad = batch;
    for (int k = 0; k < 3; ++k) {
      state = state * 1664525u + 1013904223u;
      bad[(state >> 8) % 420] = static_cast<char>(state >> 24);
    }
    write_bytes(dir.file("test_batch"), bad);
    write_bytes(dir.file("batches.meta"), meta);
    rejects_cleanly(dir.path());
  }
  // .npz: every prefix, and garbled bytes (headers, directory, compressed data).
  for (const std::string name : {"gray-nhw.npz", "gray-nhwc-compressed.npz"}) {
    const std::string npz = read_bytes(datasets("arrays/" + name));
    for (size_t cut = 0; cut < npz.size(); cut += 37) {
      write_bytes(dir.file("cut.npz"), npz.substr(0, cut));
      CHECK_THROWS_AS(load_dataset(dir.file("cut.npz")), Error);
    }
    for (int trial = 0; trial < 200; ++trial) {
      std::string bad = npz;
      state = state * 1664525u + 1013904223u;
      bad[(state >> 8) % bad.size()] = static_cast<char>(state >> 24);
      write_bytes(dir.file("bad.npz"), bad);
      rejects_cleanly(dir.file("bad.npz"));
    }
  }
  // A flipped pixel byte in a stored member is caught by the CRC, not read as data.
  std::string npz = read_bytes(datasets("arrays/gray-nhw.npz"));
  const size_t at = npz.find("\x93NUMPY");
  REQUIRE(at != std::string::npos);
  npz[at + 128 + 500] ^= 0x40;  // inside the first array's data (header: 128 bytes)
  write_bytes(dir.file("flipped.npz"), npz);
  CHECK_THROWS_AS(load_dataset(dir.file("flipped.npz")), Error);
}

TEST_CASE("ftcnn eval reads every layout and checks the model against the images", "[data]") {
  const std::string model = std::string(FTCNN_SOURCE_DIR) + "/data/default/small_cifar10.h5";
  const test::CommandResult r =
      test::run_ftcnn("eval --model " + model + " --data " + datasets("py2/cifar-10-batches-py") + " --json");
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("\"images\": 2") != std::string::npos);
  test::expect_one_line_error(
      test::run_ftcnn("eval --model " + model + " --data " + datasets("arrays/gray-nhw.npz")), "[1, 28, 28]");
  test::expect_one_line_error(
      test::run_ftcnn("eval --model " + model + " --data " + datasets("py2/cifar-100-python")), "100");
}

}  // namespace ftcnn
