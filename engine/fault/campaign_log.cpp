#include "engine/fault/campaign_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

#include "engine/error.hpp"
#include "engine/io/atomic_file.hpp"
#include "engine/io/json_fields.hpp"

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
  // Only when chosen: a header of the first images stays as it always was.
  if (identity.evenly_spaced) header["selection"] = "evenly spaced";
  // Only in a shard's log: one process's header stays as it always was, and a merged log equals it.
  if (!config.shard.whole()) header["shard"] = config.shard.str();
  return header;
}

std::string campaign_header_path(const std::string& log_path) {
  const std::filesystem::path dir = std::filesystem::path(log_path).parent_path();
  return (dir.empty() ? std::filesystem::path("campaign.json") : dir / "campaign.json").string();
}

void write_campaign_header(const std::string& log_path, const nlohmann::json& header) {
  write_file_atomically(campaign_header_path(log_path), header.dump(2) + "\n");
}

std::optional<nlohmann::json> read_campaign_header_file(const std::string& log_path) {
  const std::string path = campaign_header_path(log_path);
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  FT_CHECK(in, "{}: cannot open for reading", path);
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    FT_THROW("{}: not a campaign header: {}", path, e.what());
  }
  FT_CHECK(header.is_object() && header.contains("type") && header.at("type") == "campaign",
           "{}: not a campaign header (no \"type\": \"campaign\")", path);
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
  // The selection first: other images give another golden run too, and this names the cause.
  const nlohmann::json first = "first";
  const nlohmann::json& logged_selection = existing.contains("selection") ? existing.at("selection") : first;
  const nlohmann::json& selection = wanted.contains("selection") ? wanted.at("selection") : first;
  if (logged_selection != selection)
    return fmt::format("selection differs (log: {}, now: {})", logged_selection.dump(), selection.dump());
  for (const char* key : {"format_version", "seed", "bers", "count", "targets", "log_faults",
                          "model_checksum", "arch", "data", "images", "device", "golden"}) {
    if (!existing.contains(key) || existing.at(key) != wanted.at(key)) {
      return fmt::format("{} differs (log: {}, now: {})", key,
                         existing.contains(key) ? existing.at(key).dump() : "absent", wanted.at(key).dump());
    }
  }
  const nlohmann::json whole = "1/1";
  const nlohmann::json& logged_shard = existing.contains("shard") ? existing.at("shard") : whole;
  const nlohmann::json& shard = wanted.contains("shard") ? wanted.at("shard") : whole;
  if (logged_shard != shard)
    return fmt::format("shard differs (log: {}, now: {})", logged_shard.dump(), shard.dump());
  const nlohmann::json none = nlohmann::json::object();
  const nlohmann::json& logged = existing.contains("algorithms") ? existing.at("algorithms") : none;
  const nlohmann::json& now = wanted.contains("algorithms") ? wanted.at("algorithms") : none;
  if (logged != now) return fmt::format("algorithms differ (log: {}, now: {})", logged.dump(), now.dump());
  return "";
}

RepetitionRecord record_from_json(const nlohmann::json& line) {
  RepetitionRecord r;
  r.ber = json_number(line.at("ber"), "'ber'");
  r.repetition = json_integer(line.at("repetition"), "'repetition'");
  r.faults = json_integer(line.at("faults"), "'faults'");
  r.outcome.correct = json_integer(line.at("correct"), "'correct'");
  r.outcome.masked = json_integer(line.at("masked"), "'masked'");
  r.outcome.sdc = json_integer(line.at("sdc"), "'sdc'");
  r.outcome.due = json_integer(line.at("due"), "'due'");
  return r;
}

LogContents read_campaign_log(const std::string& path) {
  LogContents contents;
  if (std::optional<nlohmann::json> header = read_campaign_header_file(path)) {
    contents.exists = true;
    contents.header = std::move(*header);
  } else {
    contents.header_inline = true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    contents.header_inline = false;  // no log of the previous layout: a fresh start writes campaign.json
    return contents;
  }
  const int header_line = contents.header_inline ? 1 : 0;  // 0: none, every line is a record
  std::string line;
  long offset = 0;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const bool complete = !in.eof();  // a line without its newline was cut short
    if (!complete) break;
    nlohmann::json parsed;
    try {
      // A record's fault list is not needed to resume: skipped as it is parsed, it takes no memory.
      const nlohmann::json::parser_callback_t skip_fault_list =
          [number, header_line](int depth, nlohmann::json::parse_event_t event,
                                nlohmann::json& parsed_value) {
            return number == header_line || !(depth == 1 && event == nlohmann::json::parse_event_t::key &&
                                              parsed_value == "fault_list");
          };
      parsed = nlohmann::json::parse(line, skip_fault_list);
      if (number == header_line) {
        FT_CHECK(parsed.at("type") == "campaign",
                 "{}: line 1 is not a campaign header, and there is no {} beside it", path,
                 std::filesystem::path(campaign_header_path(path)).filename().string());
        contents.header = parsed;
      } else {
        try {
          contents.records.push_back(record_from_json(parsed));
        } catch (const Error& e) {
          FT_THROW("{}: line {} is not a campaign record: {}", path, number, e.what());
        }
      }
    } catch (const nlohmann::json::exception& e) {
      FT_THROW("{}: line {} is not a campaign record: {}", path, number, e.what());
    }
    if (number != header_line) contents.record_offsets.push_back(offset);
    offset += static_cast<long>(line.size()) + 1;
    contents.complete_bytes = offset;
  }
  // getline sets badbit, not an exception, when it cannot read (a line too long for memory): taking that as
  // the end of the log would cut the records after it on resume.
  FT_CHECK(!in.bad(), "{}: cannot read line {} (out of memory for a line that long?)", path, number + 1);
  if (contents.header_inline) {
    contents.exists = number > 0 && !contents.header.is_null();  // empty or torn header: start afresh
    if (!contents.exists) contents.header_inline = false;        // and a fresh start writes campaign.json
  }
  return contents;
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
  append_line(line.dump());
}

void LogWriter::append_line(std::string text) {
  text += '\n';
  write(text);
  flush();
}

void LogWriter::append_record(const RepetitionRecord& r, const std::vector<FaultSite>* sites,
                              const ParameterStore& store) {
  const nlohmann::json counts = {{"type", "repetition"},         {"ber", r.ber},
                                 {"repetition", r.repetition},   {"faults", r.faults},
                                 {"correct", r.outcome.correct}, {"masked", r.outcome.masked},
                                 {"sdc", r.outcome.sdc},         {"due", r.outcome.due}};
  const std::string line = counts.dump();
  if (sites == nullptr) return append_line(line);
  // The fault list is streamed as text, not built as a JSON value: at a high BER it holds millions of
  // sites, a JSON tree of them takes ten times their memory, and nlohmann::json's destructor allocates (out
  // of memory there was std::terminate). The bytes are those dump() would write: keys in order, so
  // "fault_list" comes just before "faults".
  std::vector<std::string> names(static_cast<size_t>(store.size()));
  for (int t = 0; t < store.size(); ++t)
    names[static_cast<size_t>(t)] = nlohmann::json(store.info(t).name).dump();
  const size_t split = line.find("\"faults\":");
  std::string chunk = line.substr(0, split) + "\"fault_list\":[";
  for (size_t k = 0; k < sites->size(); ++k) {
    const FaultSite& s = (*sites)[k];
    fmt::format_to(std::back_inserter(chunk), "{}[{},{},{}]", k > 0 ? "," : "",
                   names[static_cast<size_t>(s.tensor)], s.element - store.info(s.tensor).offset, s.bit);
    if (chunk.size() >= (size_t{1} << 16)) {
      write(chunk);
      chunk.clear();
    }
  }
  chunk += "],";
  chunk += line.substr(split);
  chunk += '\n';
  write(chunk);
  flush();
}

void LogWriter::write(const std::string& text) {
  FT_CHECK(std::fwrite(text.data(), 1, text.size(), file_) == text.size(), "{}: write failed (disk full?)",
           path_);
}

void LogWriter::flush() {
  FT_CHECK(std::fflush(file_) == 0, "{}: write failed (disk full?)", path_);
}

}  // namespace ftcnn
