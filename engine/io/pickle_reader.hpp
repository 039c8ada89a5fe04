// A restricted reader of Python pickles, for the CIFAR python batches (torchvision's cifar-10-batches-py and
// cifar-100-python): a stack machine implementing only the opcodes that Python 2's cPickle (protocol 2) and
// Python 3's pickle (protocols 2 to 4) write for dicts, lists, strings, numbers and numpy arrays. It never
// runs code: the only globals it accepts are numpy's array reconstruction
// (numpy.core.multiarray._reconstruct, numpy.ndarray, numpy.dtype) and _codecs.encode (Python 3's way of
// pickling bytes at protocol 2), each interpreted here; any other global, any unknown opcode, or a malformed
// stream throws one line naming the file and the byte offset.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ftcnn {

struct PickleValue {
  enum class Kind {
    kNone,
    kBool,
    kInt,
    kFloat,
    kBytes,
    kText,
    kList,
    kTuple,
    kDict,
    kGlobal,
    kDType,
    kArray
  };
  Kind kind = Kind::kNone;
  int64_t integer = 0;  // kInt, kBool
  double real = 0;      // kFloat
  // kBytes: the bytes; kText: UTF-8; kGlobal: "module.name"; kDType: its code ("u1", "<i8", "f4").
  std::string text;
  std::vector<const PickleValue*> items;                                   // kList, kTuple
  std::vector<std::pair<const PickleValue*, const PickleValue*>> entries;  // kDict, in order
  // kArray: a numpy array (dtype code in `text`, e.g. "|u1" or "<i8"), raw C-order bytes in `data`.
  std::vector<int64_t> shape;
  std::string data;
  bool built = false;  // kArray: BUILD gave it its shape and data (a second BUILD is refused)

  bool is_string() const { return kind == Kind::kBytes || kind == Kind::kText; }
  // The value of a dict entry whose key is `key` as text or bytes (Python 2 str keys read as bytes); nullptr
  // when absent or not a dict.
  const PickleValue* get(const std::string& key) const;
};

// A parsed pickle; owns every value, so references between them (the memo) are plain pointers.
class Pickle {
 public:
  // `what` names the source in messages (the file).
  static Pickle parse(const std::string& bytes, const std::string& what);
  static Pickle read_file(const std::string& path);
  const PickleValue& root() const { return *root_; }

 private:
  std::vector<std::unique_ptr<PickleValue>> values_;
  const PickleValue* root_ = nullptr;
  friend class PickleMachine;
};

// Element size of a numpy dtype code ("u1", "<i8", "|u1"); 0 when the code is not a plain number type.
int numpy_item_size(const std::string& code);

}  // namespace ftcnn
