// Model files of other tools given where an ftcnn model file belongs: recognised by their first bytes, so
// that the refusal says what the file is and how to convert it instead of "not an HDF5 file".
#pragma once

#include <string>

namespace ftcnn {

// "" when `path` does not look like a PyTorch (torch.save zip or pickle), ONNX or SafeTensors file (or cannot
// be read); otherwise the complete refusal, naming the file, its kind and the command that converts it.
std::string foreign_model_problem(const std::string& path);

}  // namespace ftcnn
