#include "engine/io/foreign_model.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <fstream>

namespace ftcnn {
namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string foreign_model_problem(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<unsigned char, 9> head{};
  if (!in.read(reinterpret_cast<char*>(head.data()), head.size())) return "";
  const std::string convert = "convert it with: python3 -m ftcnn.export";
  // torch.save writes a zip archive (since PyTorch 1.6) or, before that, a pickle stream (protocol 2+).
  if ((head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) ||
      (head[0] == 0x80 && head[1] >= 2)) {
    return fmt::format(
        "{}: a PyTorch file (torch.save), not an ftcnn model file; {} --in {} (a whole module, or a "
        "state_dict "
        "with --module MODULE:FACTORY or --arch NAME) --out MODEL.h5",
        path, convert, path);
  }
  // SafeTensors: an 8-byte little-endian header length, then the JSON header.
  if (head[8] == '{' || ends_with(path, ".safetensors")) {
    return fmt::format(
        "{}: a SafeTensors file, not an ftcnn model file; load it into your PyTorch module and {} --module "
        "MODULE:FACTORY --out MODEL.h5",
        path, convert);
  }
  // ONNX: a protobuf ModelProto, whose first field is ir_version (field 1, varint: tag byte 0x08).
  if (ends_with(path, ".onnx") || head[0] == 0x08) {
    return fmt::format("{}: an ONNX file, not an ftcnn model file; {} --in {} --out MODEL.h5", path, convert,
                       path);
  }
  return "";
}

}  // namespace ftcnn
