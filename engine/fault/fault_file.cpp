#include "engine/fault/fault_file.hpp"

#include <filesystem>
#include <fstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "engine/error.hpp"
#include "engine/fault/campaign_log.hpp"
#include "engine/io/json_fields.hpp"

namespace ftcnn {
namespace {

using Event = nlohmann::json::parse_event_t;

// Collects the faults of a JSON text as the parser reads it: every [tensor, element, bit] under the key
// "fault_list" (a log's repetition) or "faults" (a fault file) of the top-level object is checked, stored
// compactly and dropped from the parsed value, so memory holds 24 bytes a fault, not a JSON tree.
class FaultCollector {
 public:
  // Starts a new text; `origin` ("file: line 3") names it in messages.
  void start(std::string origin) {
    origin_ = std::move(origin);
    list_ = FaultList{};
    names_.clear();
    in_list_ = false;
  }

  nlohmann::json::parser_callback_t callback() {
    return [this](int depth, Event event, nlohmann::json& parsed) {
      if (depth == 1 && event == Event::key) {
        in_list_ = parsed == "fault_list" || parsed == "faults";
        return true;
      }
      if (!in_list_ || depth != 2 || event != Event::array_end) return true;
      add(parsed);
      return false;  // kept in list_, not in the parsed value
    };
  }

  // One fault, [tensor, element, bit].
  void add(const nlohmann::json& fault) {
    const size_t index = list_.faults.size();
    FT_CHECK(fault.is_array() && fault.size() == 3 && fault[0].is_string(),
             "{}: fault {} must be [tensor name, element, bit], got {}", origin_, index, fault.dump());
    LoggedFault f;
    const std::string& name = fault[0].get_ref<const std::string&>();
    auto [at, added] = names_.try_emplace(name, static_cast<int32_t>(list_.tensors.size()));
    if (added) list_.tensors.push_back(name);
    f.tensor = at->second;
    f.element = json_integer(fault[1], fmt::format("{}: fault {}: the element", origin_, index));
    f.bit = json_integer(fault[2], fmt::format("{}: fault {}: the bit", origin_, index));
    list_.faults.push_back(f);
  }

  // The list, once the text is parsed: whatever is left under the key in `parsed` was not a fault.
  FaultList take(const nlohmann::json& parsed, const char* key) {
    const nlohmann::json& rest = parsed.at(key);
    FT_CHECK(rest.is_array(), "{}: \"{}\" must be a list of faults, got {}", origin_, key, rest.dump());
    if (!rest.empty()) add(rest.front());  // a value that is not a list: named by add()
    return release();
  }

  FaultList release() { return std::move(list_); }

 private:
  std::string origin_;
  FaultList list_;
  std::unordered_map<std::string, int32_t> names_;
  bool in_list_ = false;
};

// The test images a campaign header records.
int64_t header_images(const nlohmann::json& header, const std::string& where) {
  FT_CHECK(header.contains("images"), "{}: a campaign header without 'images'", where);
  const int64_t images = json_integer(header.at("images"), where + ": 'images'");
  FT_CHECK(images > 0, "{}: 'images' must be positive, got {}", where, images);
  return images;
}

// Whether a campaign header's images were spread over the split ("selection": "evenly spaced").
bool header_evenly_spaced(const nlohmann::json& header) {
  return header.contains("selection") && header.at("selection") == "evenly spaced";
}

// A whole-file JSON document {"faults": [...]}.
FaultList read_fault_document(std::ifstream& in, const std::string& path, FaultCollector& collector) {
  in.clear();
  in.seekg(0);
  collector.start(path);
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in, collector.callback());
  } catch (const nlohmann::json::exception& e) {
    FT_THROW("{}: neither a campaign log (JSON lines) nor a fault file (a JSON document): {}", path,
             e.what());
  }
  FT_CHECK(doc.is_object() && doc.contains("faults"), "{}: a JSON document without a \"faults\" list", path);
  return collector.take(doc, "faults");
}

}  // namespace

FaultList read_fault_list(const std::string& path, double ber, int64_t repetition) {
  std::error_code error;
  FT_CHECK(std::filesystem::exists(path, error), "{}: no such file", path);
  FT_CHECK(std::filesystem::is_regular_file(path, error), "{}: not a regular file", path);
  FT_CHECK(std::filesystem::file_size(path, error) > 0, "{}: empty", path);
  std::ifstream in(path, std::ios::binary);
  FT_CHECK(in, "{}: cannot open", path);
  FaultCollector collector;
  int64_t images = 0;
  bool evenly_spaced = false;
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string where = fmt::format("{}: line {}", path, number);
    collector.start(where);
    nlohmann::json parsed;
    try {
      parsed = nlohmann::json::parse(line, collector.callback());
    } catch (const nlohmann::json::exception&) {
      if (number == 1) return read_fault_document(in, path, collector);
      // A log whose later line does not parse: cut short by a kill (the last line) or damaged.
      FT_CHECK(in.peek() == std::char_traits<char>::eof(), "{} is not JSON", where);
      break;
    }
    FT_CHECK(parsed.is_object(), "{} is not a JSON object", where);
    const std::string type = parsed.contains("type") && parsed.at("type").is_string()
                                 ? parsed.at("type").get<std::string>()
                                 : std::string();
    if (number == 1) {
      if (type == "campaign") {  // the previous layout: the header is the log's first line
        images = header_images(parsed, where);
        evenly_spaced = header_evenly_spaced(parsed);
        continue;
      }
      if (type == "repetition") {  // a log whose header is campaign.json beside it
        const std::optional<nlohmann::json> header = read_campaign_header_file(path);
        FT_CHECK(header.has_value(), "{}: a campaign log without its header ({} is missing)", path,
                 campaign_header_path(path));
        images = header_images(*header, campaign_header_path(path));
        evenly_spaced = header_evenly_spaced(*header);
      } else {
        FT_CHECK(parsed.contains("faults") && parsed.at("faults").is_array(),
                 "{}: neither a campaign log (repetition lines) nor a fault file (\"faults\": [...])", path);
        return collector.take(parsed, "faults");
      }
    }
    if (type != "repetition") continue;
    FT_CHECK(parsed.contains("ber") && parsed.contains("repetition"),
             "{}: a repetition without 'ber' or 'repetition'", where);
    if (json_number(parsed.at("ber"), where + ": 'ber'") != ber ||
        json_integer(parsed.at("repetition"), where + ": 'repetition'") != repetition)
      continue;
    FT_CHECK(parsed.contains("fault_list"),
             "{}: the campaign ran without --log-faults; no fault list to replay", path);
    FaultList list = collector.take(parsed, "fault_list");
    list.images = images;
    list.evenly_spaced = evenly_spaced;
    return list;
  }
  // getline sets badbit, not an exception, when a line does not fit in memory: not the end of the file.
  FT_CHECK(!in.bad(), "{}: cannot read line {} (out of memory for a line that long?)", path, number + 1);
  FT_CHECK(ber >= 0 && repetition >= 0,
           "{}: a campaign log: give --ber and --repetition of a logged repetition", path);
  FT_THROW("{}: no repetition {} at BER {} (give --ber and --repetition of a logged repetition)", path,
           repetition, ber);
}

FaultList fault_list_from_json(const nlohmann::json& faults, const std::string& origin) {
  FT_CHECK(faults.is_array(), "{}: a fault list must be a list, got {}", origin, faults.dump());
  FaultCollector collector;
  collector.start(origin);
  for (const nlohmann::json& f : faults) collector.add(f);
  return collector.release();
}

std::vector<FaultSite> fault_sites_of(const FaultList& list, const ParameterStore& store,
                                      const std::string& origin) {
  std::vector<int> tensor_of(list.tensors.size());
  for (size_t t = 0; t < list.tensors.size(); ++t) {
    tensor_of[t] = store.find(list.tensors[t]);
    FT_CHECK(tensor_of[t] >= 0, "{}: a fault names '{}', which this model does not have", origin,
             list.tensors[t]);
  }
  std::vector<FaultSite> sites;
  sites.reserve(list.faults.size());
  for (size_t k = 0; k < list.faults.size(); ++k) {
    const LoggedFault& f = list.faults[k];
    const int tensor = tensor_of[static_cast<size_t>(f.tensor)];
    const ParameterInfo& info = store.info(tensor);
    FT_CHECK(f.element >= 0 && f.element < info.numel(),
             "{}: fault {}: element {} outside '{}' ({} elements)", origin, k, f.element, info.name,
             info.numel());
    FT_CHECK(f.bit >= 0 && f.bit < 32, "{}: fault {}: bit {} outside [0, 32)", origin, k, f.bit);
    sites.push_back(FaultSite{info.offset + f.element, static_cast<uint32_t>(f.bit), tensor});
  }
  return sites;
}

}  // namespace ftcnn
