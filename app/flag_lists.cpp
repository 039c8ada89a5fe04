#include "app/flag_lists.hpp"

#include <sstream>

#include "engine/error.hpp"

namespace ftcnn::cli {

std::vector<double> parse_ber_list(const std::string& text) {
  std::vector<double> bers;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    size_t used = 0;
    double value = 0;
    bool out_of_range = false;
    try {
      value = std::stod(item, &used);
    } catch (const std::out_of_range&) {
      out_of_range = true;  // under- or overflows a double (1e-400, 5e-324)
    } catch (const std::exception&) {
      used = 0;
    }
    FT_CHECK(!out_of_range, "--ber: {} is outside the range of a double (give 0 or at least 2.3e-308)", item);
    FT_CHECK(used == item.size() && !item.empty(), "--ber: '{}' is not a number", item);
    FT_CHECK(value >= 0.0 && value <= 1.0, "--ber: {} is outside [0, 1]", item);
    // The same rate twice would log every repetition twice and count them twice in its summary.
    for (size_t k = 0; k < bers.size(); ++k) {
      FT_CHECK(bers[k] != value, "--ber: {} is the rate given as number {} already", item, k + 1);
    }
    bers.push_back(value);
  }
  FT_CHECK(!bers.empty(), "--ber: give at least one bit error rate");
  return bers;
}

std::vector<int64_t> parse_batch_list(const std::string& text) {
  std::vector<int64_t> batches;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    size_t used = 0;
    long long value = 0;
    try {
      value = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    FT_CHECK(used == item.size() && !item.empty() && value > 0,
             "--batch: '{}' is not a positive integer (give e.g. 1000 or 1000,256)", item);
    batches.push_back(value);
  }
  FT_CHECK(!batches.empty(), "--batch: give at least one batch size");
  return batches;
}

}  // namespace ftcnn::cli
