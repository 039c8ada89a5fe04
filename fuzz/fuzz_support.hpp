// What every fuzz target shares: a scratch directory of its own, and the rule that decides a finding.
//
// A reader given hostile input must end in an ftcnn::Error (one line naming the problem) or succeed. Any
// other exception (std::bad_alloc, a JSON library error, std::out_of_range) is what users see as "internal
// error" and is a finding like a crash: the target aborts, and libFuzzer saves the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/error.hpp"
#include "engine/io/model_file.hpp"

namespace ftcnn::fuzz {

// A directory private to this process (under $TMPDIR, /tmp by default), removed at exit.
const std::string& scratch_directory();
// Writes `size` bytes to <scratch>/<name> and returns the path.
std::string write_scratch_file(const std::string& name, const uint8_t* data, size_t size);
std::string write_scratch_file(const std::string& name, std::string_view text);
// A fixture of the test suite (test/fixtures/<name>).
std::string fixture_path(const std::string& name);
// The test suite's small model (test/fixtures/model_small.h5), loaded once.
const Model& small_model();

// Runs `body`; an ftcnn::Error is an expected outcome, anything else aborts with the exception's text.
template <typename Body>
void expect_clean_outcome(Body&& body);

// Called once by every target's LLVMFuzzerInitialize: a memory limit for the engine's own size checks
// (FTCNN_MEMORY_LIMIT_GIB, 1 GiB unless set), one OpenMP thread, HDF5's error printing off.
void initialize_fuzz_target();

[[noreturn]] void report_finding(const char* what);

template <typename Body>
void expect_clean_outcome(Body&& body) {
  try {
    body();
  } catch (const ftcnn::Error&) {
  } catch (const std::exception& e) {
    report_finding(e.what());
  } catch (...) {
    report_finding("a non-standard exception");
  }
}

}  // namespace ftcnn::fuzz
