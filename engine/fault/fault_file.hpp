// The fault list `ftcnn replay` re-evaluates (docs/fault_format.md): a standalone fault file, one JSON
// document {"faults": [...]} (whole-file or on one line), or one logged repetition of a campaign's
// runs.jsonl, chosen by its BER and repetition index (the campaign must have run with --log-faults).
//
// A list is held compactly (24 bytes a fault, each tensor name once) and read as it is parsed: at a BER near
// 1 a logged list holds tens of millions of faults, which as a JSON tree would take tens of gigabytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/fault/fault_key.hpp"
#include "engine/parameter_store.hpp"

namespace ftcnn {

struct LoggedFault {
  int32_t tensor = 0;   // index into FaultList::tensors
  int64_t element = 0;  // as written; checked against a model by fault_sites_of
  int64_t bit = 0;
};

struct FaultList {
  std::vector<std::string> tensors;  // the names the faults use, each once
  std::vector<LoggedFault> faults;
  int64_t images = 0;          // the test images the campaign used (from a log's header); 0 for a fault file
  bool evenly_spaced = false;  // ... spread evenly over the test split (the header's "selection")
};

// `ber` and `repetition` choose the repetition of a log (negative: not given). Throws one line naming the
// file (and line) on anything that is neither: a missing or empty file, a directory, damaged lines, a fault
// that is not [tensor name, integer, integer].
FaultList read_fault_list(const std::string& path, double ber, int64_t repetition);
// A list given as JSON ([[tensor, element, bit], ...]); `origin` names it in messages.
FaultList fault_list_from_json(const nlohmann::json& faults, const std::string& origin);
// The list's faults as sites of `store`: every tensor must exist, every element lie inside it, every bit in
// [0, 32).
std::vector<FaultSite> fault_sites_of(const FaultList& list, const ParameterStore& store,
                                      const std::string& origin);

}  // namespace ftcnn
