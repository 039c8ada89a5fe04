#include "engine/layers/copy_rows.hpp"

#include <cstddef>

namespace ftcnn {

CopyRows copy_rows(int64_t originals, const std::vector<int64_t>& copied, int copies) {
  CopyRows r;
  std::vector<bool> has_copy(static_cast<size_t>(originals), false);
  for (int64_t c : copied) has_copy[static_cast<size_t>(c)] = true;
  std::vector<int64_t> alone;
  for (int64_t c = 0; c < originals; ++c) {
    if (!has_copy[static_cast<size_t>(c)]) alone.push_back(c);
  }
  const auto add = [&r](std::vector<int64_t> rows) {
    if (rows.empty()) return;
    r.channel_of_result_row.insert(r.channel_of_result_row.end(), rows.begin(), rows.end());
    r.groups.push_back(std::move(rows));
  };
  add(std::move(alone));
  add(copied);
  const auto d = static_cast<int64_t>(copied.size());
  for (int set = 0; set < copies; ++set) {
    std::vector<int64_t> rows;
    for (int64_t k = 0; k < d; ++k) rows.push_back(originals + set * d + k);
    add(std::move(rows));
  }
  return r;
}

bool consecutive(const std::vector<int64_t>& rows) {
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i] != rows[i - 1] + 1) return false;
  }
  return true;
}

}  // namespace ftcnn
