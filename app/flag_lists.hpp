// Comma-separated lists given to one flag, read exactly: every item whole, in range, none repeated where a
// repeat would count twice. Each throws one line naming the flag and the item.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ftcnn::cli {

// --ber: "1e-7,1e-6,1e-5"; each in [0, 1], representable as a double, no rate twice.
std::vector<double> parse_ber_list(const std::string& text);
// bench --batch: "1000" or "1000,256"; each a positive integer.
std::vector<int64_t> parse_batch_list(const std::string& text);

}  // namespace ftcnn::cli
