#include "app/embedding.hpp"

namespace ftcnn::cli {
namespace {

bool g_embedded = false;

}  // namespace

void set_embedded(bool value) {
  g_embedded = value;
}

bool embedded() {
  return g_embedded;
}

}  // namespace ftcnn::cli
