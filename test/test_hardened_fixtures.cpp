// Hardened models under faults against PyTorch: test/fixtures/hardened_{edac,duponly,tmr}_small.h5, made by
// test/generate_hardened_fixtures.py (model_small hardened in Python at ratio 0.5, then faulty weights,
// biases and interval bounds placed so that every row of the edac, dup-only and tmr_vote tables in
// docs/hardening.md occurs; python/ftcnn/hardening.py is the PyTorch side). Each file's logits are
// compared element by element, NaN/Inf parity included (the dup-only fixture has a logit of -Inf). The TMR
// file relies on what docs/hardening.md (Layout) promises: a fault-free copy is computed bit-identically to
// its original, so two fault-free copies outvote a faulty third.
//
// Tolerance: 1e-4 + 1e-4 |expected|, as for model_small. The generator asserts that no correction decision
// (inside / outside an interval, a TMR tie) lies within rounding of flipping, so the engines' different
// summation orders move the logits by rounding only. The [cuda] cases run the same files on the GPU with
// the default (fused) CUDA runner; without a GPU they print "no GPU: skipped" and pass.
#include <catch2/catch.hpp>

#include <iostream>
#include <string>

#include "engine/device.hpp"
#include "test/test_support.hpp"

using namespace ftcnn;

namespace {

constexpr double kAbsTol = 1e-4;
constexpr double kRelTol = 1e-4;

using ftcnn::test::skip_without_gpu;

void check(const std::string& name, Device device) {
  const test::Comparison c = test::check_fixture(name, device, kAbsTol, kRelTol);
  INFO(c.message);
  CHECK(c.ok);
}

}  // namespace

TEST_CASE("edac under faults matches PyTorch", "[hardened][edac][model]") {
  check("hardened_edac_small.h5", Device::cpu);
}

TEST_CASE("dup-only edac under faults matches PyTorch", "[hardened][edac][model]") {
  check("hardened_duponly_small.h5", Device::cpu);
}

TEST_CASE("tmr_vote under faults matches PyTorch", "[hardened][tmr_vote][model]") {
  check("hardened_tmr_small.h5", Device::cpu);
}

TEST_CASE("edac under faults on CUDA matches PyTorch", "[cuda][hardened][edac][model]") {
  if (skip_without_gpu()) return;
  check("hardened_edac_small.h5", Device::cuda);
}

TEST_CASE("dup-only edac under faults on CUDA matches PyTorch", "[cuda][hardened][edac][model]") {
  if (skip_without_gpu()) return;
  check("hardened_duponly_small.h5", Device::cuda);
}

TEST_CASE("tmr_vote under faults on CUDA matches PyTorch", "[cuda][hardened][tmr_vote][model]") {
  if (skip_without_gpu()) return;
  check("hardened_tmr_small.h5", Device::cuda);
}
