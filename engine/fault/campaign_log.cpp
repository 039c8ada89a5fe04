#include "engine/fault/campaign_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "engine/error.hpp"

namespace ftcnn {

nlohmann::json campaign_header(const CampaignConfig& config, const CampaignIdentity& identity,
                               const GoldenRun& golden) {
  nlohmann::json header = {
      {"type", "campaign"},
      {"format_version", 1},
      {"seed", config.seed},
      {"bers", config.bers},
      {"repetitions", config.repetitions},
      {"count", count_model_name(config.count)},
      {"targets", describe(config.targets)},
      {"log_faults", config.log_faults},
      {"model", identity.model_path},
      {"model_checksum", identity.model_checksum},
      {"arch", identity.arch},
      {"data", identity.data_source},
      {"images", identity.images},
      {"device", identity.device},
      {"device_name", identity.device_name},
      {"version", identity.version},
      {"golden",
       {{"images", golden.images}, {"correct", golden.correct}, {"non_finite", golden.non_finite}}}};
  // CUDA: the cuDNN algorithm of every convolution plan, so that a resume computes with the same ones.
  if (!identity.algorithms.empty()) header["algorithms"] = identity.algorithms;
  return header;
}

AlgorithmChoices logged_algorithms(const std::string& log_path) {
  const LogContents log = read_campaign_log(log_path);
  if (!log.exists || !log.header.contains("algorithms")) return {};
  try {
    return log.header.at("algorithms").get<AlgorithmChoices>();
  } catch (const nlohmann::json::exception& e) {
    FT_THROW("{}: malformed 'algorithms' in the header: {}", log_path, e.what());
  }
}

std::string header_mismatch(const nlohmann::json& existing, const nlohmann::json& wanted) {
  for (const char* key : {"format_version", "seed", "bers", "count", "targets", "log_faults",
                          "model_checksum", "arch", "data", "images", "device", "golden"}) {
    if (!existing.contains(key) || existing.at(key) != wanted.at(key)) {
      return fmt::format("{} differs (log: {}, now: {})", key,
                         existing.contains(key) ? existing.at(key).dump() : "absent", wanted.at(key).dump());
    }
  }
  const nlohmann::json none = nlohmann::json::object();
  const nlohmann::json& logged = existing.contains("algorithms") ? existing.at("algorithms") : none;
  const nlohmann::json& now = wanted.contains("algorithms") ? wanted.at("algorithms") : none;
  if (logged != now) return fmt::format("algorithms differ (log: {}, now: {})", logged.dump(), now.dump());
  return "";
}

nlohmann::json record_to_json(const RepetitionRecord& r, const std::vector<FaultSite>* sites,
                              const ParameterStore& store) {
  nlohmann::json line = {{"type", "repetition"},         {"ber", r.ber},
                         {"repetition", r.repetition},   {"faults", r.faults},
                         {"correct", r.outcome.correct}, {"masked", r.outcome.masked},
                         {"sdc", r.outcome.sdc},         {"due", r.outcome.due}};
  if (sites != nullptr) {
    nlohmann::json list = nlohmann::json::array();
    for (const FaultSite& s : *sites) {
      const ParameterInfo& info = store.info(s.tensor);
      list.push_back(nlohmann::json::array({info.name, s.element - info.offset, s.bit}));
    }
    line["fault_list"] = std::move(list);
  }
  return line;
}

RepetitionRecord record_from_json(const nlohmann::json& line) {
  RepetitionRecord r;
  r.ber = line.at("ber").get<double>();
  r.repetition = line.at("repetition").get<int64_t>();
  r.faults = line.at("faults").get<int64_t>();
  r.outcome.correct = line.at("correct").get<int64_t>();
  r.outcome.masked = line.at("masked").get<int64_t>();
  r.outcome.sdc = line.at("sdc").get<int64_t>();
  r.outcome.due = line.at("due").get<int64_t>();
  return r;
}

LogContents read_campaign_log(const std::string& path) {
  LogContents contents;
  std::ifstream in(path, std::ios::binary);
  if (!in) return contents;
  contents.exists = true;
  std::string line;
  long offset = 0;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const bool complete = !in.eof();  // a line without its newline was cut short
    if (!complete) break;
    nlohmann::json parsed;
    try {
      parsed = nlohmann::json::parse(line);
      if (number == 1) {
        FT_CHECK(parsed.at("type") == "campaign", "{}: line 1 is not a campaign header", path);
        contents.header = parsed;
      } else {
        contents.records.push_back(record_from_json(parsed));
      }
    } catch (const nlohmann::json::exception& e) {
      FT_THROW("{}: line {} is not a campaign record: {}", path, number, e.what());
    }
    offset += static_cast<long>(line.size()) + 1;
    contents.complete_bytes = offset;
  }
  if (number == 0 || contents.header.is_null())
    contents.exists = false;  // empty or torn header: start afresh
  return contents;
}

std::vector<FaultSite> sites_from_json(const nlohmann::json& faults, const ParameterStore& store,
                                       const std::string& origin) {
  std::vector<FaultSite> sites;
  try {
    for (const nlohmann::json& f : faults) {
      const std::string name = f.at(0).get<std::string>();
      const int64_t element = f.at(1).get<int64_t>();
      const int64_t bit = f.at(2).get<int64_t>();
      const int tensor = store.find(name);
      FT_CHECK(tensor >= 0, "{}: fault names '{}', which this model does not have", origin, name);
      FT_CHECK(element >= 0 && element < store.info(tensor).numel(),
               "{}: element {} outside '{}' ({} elements)", origin, element, name,
               store.info(tensor).numel());
      FT_CHECK(bit >= 0 && bit < 32, "{}: bit {} outside [0, 32)", origin, bit);
      sites.push_back(FaultSite{store.info(tensor).offset + element, static_cast<uint32_t>(bit), tensor});
    }
  } catch (const nlohmann::json::exception& e) {
    FT_THROW("{}: malformed fault list: {}", origin, e.what());
  }
  return sites;
}

LogWriter::LogWriter(const std::string& path, long keep_bytes) : path_(path) {
  // O_NOFOLLOW: a link planted under the log's name is refused, never written through.
  const int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (keep_bytes >= 0 ? O_APPEND : O_TRUNC);
  const int fd = ::open(path.c_str(), flags, 0644);
  FT_CHECK(fd >= 0, "{}: cannot open for writing: {}", path, std::strerror(errno));
  if (keep_bytes >= 0 && ::ftruncate(fd, keep_bytes) != 0) {
    const int error = errno;
    ::close(fd);
    FT_THROW("{}: cannot drop the torn last line: {}", path, std::strerror(error));
  }
  file_ = ::fdopen(fd, keep_bytes >= 0 ? "ab" : "wb");
  if (file_ == nullptr) ::close(fd);
  FT_CHECK(file_ != nullptr, "{}: cannot open for writing", path);
}

LogWriter::~LogWriter() {
  if (file_ != nullptr && std::fclose(file_) != 0)
    report_in_destructor(__FILE__, __LINE__, path_ + ": close failed");
}

void LogWriter::append(const nlohmann::json& line) {
  const std::string text = line.dump() + "\n";
  FT_CHECK(std::fwrite(text.data(), 1, text.size(), file_) == text.size() && std::fflush(file_) == 0,
           "{}: write failed (disk full?)", path_);
}

}  // namespace ftcnn
