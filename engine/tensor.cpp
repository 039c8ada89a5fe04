#include "engine/tensor.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/error.hpp"

namespace ftcnn {

Shape::Shape(std::initializer_list<int64_t> dims) : Shape(std::vector<int64_t>(dims)) {}

Shape::Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {
  for (int64_t d : dims_) FT_CHECK(d >= 0, "negative dimension in shape {}", fmt::join(dims_, ", "));
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int64_t d : dims_) n *= d;
  return n;
}

int64_t Shape::per_item() const {
  FT_CHECK(!dims_.empty(), "per_item() of a rank-0 shape");
  int64_t n = 1;
  for (size_t i = 1; i < dims_.size(); ++i) n *= dims_[i];
  return n;
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
