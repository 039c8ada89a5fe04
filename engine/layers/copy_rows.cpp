#include "engine/layers/copy_rows.hpp"

#include <algorithm>
#include <cstddef>

namespace ftcnn {

CopyRows copy_rows(int64_t originals, const std::vector<int64_t>& copied, int copies) {
  CopyRows r;
  if (copied.empty()) return r;  // nothing to copy: one GEMM
  std::vector<bool> has_copy(static_cast<size_t>(originals), false);
  for (int64_t c : copied) has_copy[static_cast<size_t>(c)] = true;
  std::vector<int64_t> alone;
  for (int64_t c = 0; c < originals; ++c) {
    if (!has_copy[static_cast<size_t>(c)]) alone.push_back(c);
  }
  const int64_t sets = copies + 1, d = static_cast<int64_t>(copied.size());
  const int64_t alone_count = static_cast<int64_t>(alone.size());
  const int64_t share = (alone_count + sets - 1) / sets;  // rows without a copy per GEMM (the last: fewer)
  for (int64_t set = 0; set < sets; ++set) {
    std::vector<int64_t> rows;
    for (int64_t k = 0; k < d; ++k)
      rows.push_back(set == 0 ? copied[static_cast<size_t>(k)] : originals + (set - 1) * d + k);
    for (int64_t i = set * share; i < (set + 1) * share; ++i)
      rows.push_back(i < alone_count ? alone[static_cast<size_t>(i)] : -1);
    r.channel_of_result_row.insert(r.channel_of_result_row.end(), rows.begin(), rows.end());
    r.groups.push_back(std::move(rows));
  }
  return r;
}

CopyRows copy_rows_whole_layer(int64_t originals, const std::vector<int64_t>& copied, int copies) {
  CopyRows r;
  if (copied.empty()) return r;
  const int64_t d = static_cast<int64_t>(copied.size());
  for (int64_t run = 0; run <= copies; ++run) {
    std::vector<int64_t> rows(static_cast<size_t>(originals)), channels(static_cast<size_t>(originals), -1);
    for (int64_t c = 0; c < originals; ++c) rows[static_cast<size_t>(c)] = c;
    if (run == 0) channels = rows;
    for (int64_t k = 0; k < d && run > 0; ++k) {
      const auto c = static_cast<size_t>(copied[static_cast<size_t>(k)]);
      rows[c] = channels[c] = originals + (run - 1) * d + k;  // the copy's weight row is its output channel
    }
    r.channel_of_result_row.insert(r.channel_of_result_row.end(), channels.begin(), channels.end());
    r.groups.push_back(std::move(rows));
  }
  return r;
}

std::vector<std::pair<int64_t, int64_t>> copy_pairs(const CopyRows& rows) {
  std::vector<std::pair<int64_t, int64_t>> pairs;
  if (rows.groups.size() < 2) return pairs;
  // Group 0 leads with the copied originals, group j with copy set j: channels originals + (j - 1) d + k.
  const int64_t originals = rows.groups[1][0];
  for (size_t set = 1; set < rows.groups.size(); ++set) {
    const std::vector<int64_t>& group = rows.groups[set];
    for (size_t k = 0; k < group.size() && group[k] >= originals; ++k)
      pairs.emplace_back(rows.groups[0][k], group[k]);
  }
  return pairs;
}

CopyRows padded_groups(const CopyRows& rows, int64_t multiple) {
  if (rows.groups.empty() || multiple <= 1) return rows;
  const auto size = static_cast<int64_t>(rows.groups[0].size());
  const int64_t padded = (size + multiple - 1) / multiple * multiple;
  CopyRows r;
  for (const std::vector<int64_t>& group : rows.groups) {
    std::vector<int64_t> grown = group;
    grown.resize(static_cast<size_t>(padded), -1);
    r.channel_of_result_row.insert(r.channel_of_result_row.end(), grown.begin(), grown.end());
    r.groups.push_back(std::move(grown));
  }
  return r;
}

bool consecutive(const std::vector<int64_t>& rows) {
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] < 0 || (i > 0 && rows[i] != rows[i - 1] + 1)) return false;
  }
  return true;
}

const float* rows_of(const float* weight, const std::vector<int64_t>& rows, int64_t row_length,
                     float* buffer) {
  if (consecutive(rows)) return weight + rows.front() * row_length;
  for (size_t i = 0; i < rows.size(); ++i) {
    float* row = buffer + static_cast<int64_t>(i) * row_length;
    if (rows[i] < 0) {
      std::fill_n(row, row_length, 0.0f);  // padding
    } else {
      std::copy_n(weight + rows[i] * row_length, row_length, row);
    }
  }
  return buffer;
}

}  // namespace ftcnn
