// Shapes and host tensors. Activations are NCHW float32; a Shape lists its dimensions outermost first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ftcnn {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(std::vector<int64_t> dims);

  int rank() const { return static_cast<int>(dims_.size()); }
  int64_t operator[](int i) const { return dims_.at(static_cast<size_t>(i)); }
  int64_t& operator[](int i) { return dims_.at(static_cast<size_t>(i)); }
  int64_t numel() const;
  // Elements per item of the outermost (batch) dimension.
  int64_t per_item() const;
  const std::vector<int64_t>& dims() const { return dims_; }
  Shape with_batch(int64_t batch) const;
  std::string str() const;  // "[2, 3, 32, 32]"

  bool operator==(const Shape& other) const { return dims_ == other.dims_; }
  bool operator!=(const Shape& other) const { return dims_ != other.dims_; }

 private:
  std::vector<int64_t> dims_;
};

// A float32 tensor in host memory.
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(Shape shape, float fill = 0.0f);
  Tensor(Shape shape, std::vector<float> values);

  const Shape& shape() const { return shape_; }
  int64_t numel() const { return static_cast<int64_t>(values_.size()); }
  float* data() { return values_.data(); }
  const float* data() const { return values_.data(); }
  std::vector<float>& values() { return values_; }
  const std::vector<float>& values() const { return values_; }
  float& operator[](int64_t i) { return values_[static_cast<size_t>(i)]; }
  float operator[](int64_t i) const { return values_[static_cast<size_t>(i)]; }

 private:
  Shape shape_;
  std::vector<float> values_;
};

}  // namespace ftcnn
