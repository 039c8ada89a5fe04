// A share of a campaign for one process of many (docs/distributed.md): shard K of N runs repetition r of
// every BER when r mod N = K - 1. Which repetitions a shard runs depends on nothing else (not on the BER
// list, the repetition count or the other shards), and every repetition's faults come from its own key
// (fault_key.hpp), so the N shards together compute exactly the repetitions one process would, and
// `ftcnn merge` puts them back into one campaign, byte for byte.
#pragma once

#include <cstdint>
#include <string>

namespace ftcnn {

struct Shard {
  int64_t index = 1;  // K, from 1
  int64_t count = 1;  // N; 1: the whole campaign

  bool takes(int64_t repetition) const { return repetition % count == index - 1; }
  // How many of repetitions 0 .. repetitions - 1 it takes.
  int64_t share(int64_t repetitions) const {
    return repetitions / count + (repetitions % count >= index ? 1 : 0);
  }
  bool whole() const { return count == 1; }
  std::string str() const;  // "K/N"
};

// "K/N" with 1 <= K <= N <= 2^20; throws one line naming the text otherwise.
Shard shard_from_text(const std::string& text);

}  // namespace ftcnn
