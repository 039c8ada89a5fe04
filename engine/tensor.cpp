#include "engine/tensor.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/error.hpp"

namespace ftcnn {

Shape::Shape(std::initializer_list<int64_t> dims) : Shape(std::vector<int64_t>(dims)) {}

Shape::Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {
  for (int64_t d : dims_) FT_CHECK(d >= 0, "negative dimension in shape {}", fmt::join(dims_, ", "));
}

namespace {

// The product of dims[first..]; throws on a negative dimension or a product beyond 63 bits (a hostile file's
// sizes must fail here, not wrap into a small allocation).
int64_t product(const std::vector<int64_t>& dims, size_t first) {
  int64_t n = 1;
  for (size_t i = first; i < dims.size(); ++i) {
    FT_CHECK(dims[i] >= 0, "shape {} has a negative dimension", Shape(dims).str());
    FT_CHECK(!__builtin_mul_overflow(n, dims[i], &n), "shape {} has more elements than 64 bits count",
             Shape(dims).str());
  }
  return n;
}

}  // namespace

int64_t Shape::numel() const {
  return product(dims_, 0);
}

int64_t Shape::per_item() const {
  FT_CHECK(!dims_.empty(), "per_item() of a rank-0 shape");
  return product(dims_, 1);
}

Shape Shape::with_batch(int64_t batch) const {
  FT_CHECK(!dims_.empty(), "with_batch() of a rank-0 shape");
  std::vector<int64_t> dims = dims_;
  dims[0] = batch;
  return Shape(std::move(dims));
}

std::string Shape::str() const {
  return fmt::format("[{}]", fmt::join(dims_, ", "));
}

Tensor::Tensor(Shape shape, float fill)
    : shape_(std::move(shape)), values_(static_cast<size_t>(shape_.numel()), fill) {}

Tensor::Tensor(Shape shape, std::vector<float> values)
    : shape_(std::move(shape)), values_(std::move(values)) {
  FT_CHECK(static_cast<int64_t>(values_.size()) == shape_.numel(), "tensor of shape {} given {} values",
           shape_.str(), values_.size());
}

}  // namespace ftcnn
