#include "engine/io/pickle_reader.hpp"

#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <unordered_map>

#include "engine/error.hpp"
#include "engine/memory_limit.hpp"

namespace ftcnn {

const PickleValue* PickleValue::get(const std::string& key) const {
  if (kind != Kind::kDict) return nullptr;
  for (const auto& [k, v] : entries) {
    if (k->is_string() && k->text == key) return v;
  }
  return nullptr;
}

int numpy_item_size(const std::string& code) {
  std::string c = code;
  if (!c.empty() && (c[0] == '<' || c[0] == '>' || c[0] == '|' || c[0] == '=')) c = c.substr(1);
  if (c.size() < 2 || (c[0] != 'u' && c[0] != 'i' && c[0] != 'f' && c[0] != 'b')) return 0;
  const std::string digits = c.substr(1);
  if (digits == "1") return 1;
  if (digits == "2") return 2;
  if (digits == "4") return 4;
  if (digits == "8") return 8;
  return 0;
}

// The interpreter. Values live in the Pickle's arena; the stack, the marks and the memo hold pointers.
class PickleMachine {
 public:
  PickleMachine(const std::string& bytes, const std::string& what, Pickle& out)
      : in_(reinterpret_cast<const uint8_t*>(bytes.data())), size_(bytes.size()), what_(what), out_(out) {}

  void run() {
    for (;;) {
      opcode_at_ = pos_;
      const uint8_t op = byte();
      switch (op) {
        case 0x80:
          byte();
          break;  // PROTO
        case 0x95:
          bytes(8);
          break;  // FRAME: the frame's data follows inline
        case '.':
          finish();
          return;  // STOP
        case '(':
          marks_.push_back(stack_.size());
          break;
        case '}':
          push(make(PickleValue::Kind::kDict));
          break;
        case ']':
          push(make(PickleValue::Kind::kList));
          break;
        case ')':
          push(make(PickleValue::Kind::kTuple));
          break;
        case 'N':
          push(make(PickleValue::Kind::kNone));
          break;
        case 0x88:
          push(make_int(1, PickleValue::Kind::kBool));
          break;  // NEWTRUE
        case 0x89:
          push(make_int(0, PickleValue::Kind::kBool));
          break;  // NEWFALSE
        case 'K':
          push(make_int(byte()));
          break;  // BININT1
        case 'M':
          push(make_int(static_cast<int64_t>(little(2))));
          break;  // BININT2
        case 'J':
          push(make_int(static_cast<int32_t>(little(4))));
          break;  // BININT
        case 0x8a:
          push(make_int(long_int(byte())));
          break;  // LONG1
        case 0x8b:
          push(make_int(long_int(length(4))));
          break;  // LONG4
        case 'G':
          push_float();
          break;   // BINFLOAT
        case 'U':  // SHORT_BINSTRING (py2 str)
        case 'C':
          push_string(PickleValue::Kind::kBytes, byte());
          break;   // SHORT_BINBYTES
        case 'T':  // BINSTRING
        case 'B':
          push_string(PickleValue::Kind::kBytes, length(4));
          break;  // BINBYTES
        case 0x8e:
          push_string(PickleValue::Kind::kBytes, length(8));
          break;  // BINBYTES8
        case 0x8c:
          push_string(PickleValue::Kind::kText, byte());
          break;  // SHORT_BINUNICODE
        case 'X':
          push_string(PickleValue::Kind::kText, length(4));
          break;  // BINUNICODE
        case 0x8d:
          push_string(PickleValue::Kind::kText, length(8));
          break;  // BINUNICODE8
        case 't':
          push(sequence(PickleValue::Kind::kTuple, pop_mark()));
          break;
        case 'l':
          push(sequence(PickleValue::Kind::kList, pop_mark()));
          break;
        case 0x85:
          push(sequence(PickleValue::Kind::kTuple, pop_n(1)));
          break;
        case 0x86:
          push(sequence(PickleValue::Kind::kTuple, pop_n(2)));
          break;
        case 0x87:
          push(sequence(PickleValue::Kind::kTuple, pop_n(3)));
          break;
        case 'a':
          append(pop_n(1));
          break;
        case 'e':
          append(pop_mark());
          break;
        case 's':
          set_items(pop_n(2));
          break;
        case 'u':
          set_items(pop_mark());
          break;
        case 'd': {
          const std::vector<PickleValue*> items = pop_mark();
          push(make(PickleValue::Kind::kDict));
          set_items(items);
          break;
        }
        case 'c': {  // GLOBAL: two lines, read in order
          const std::string module = line();
          push_global(module, line());
          break;
        }
          push_global(line(), line());
          break;      // GLOBAL
        case 0x93: {  // STACK_GLOBAL
          const std::vector<PickleValue*> names = pop_n(2);
          check(names[0]->kind == PickleValue::Kind::kText && names[1]->kind == PickleValue::Kind::kText,
                "STACK_GLOBAL needs two strings");
          push_global(names[0]->text, names[1]->text);
          break;
        }
        case 'R':
          reduce();
          break;
        case 'b':
          build();
          break;
        case 'q':
          memo_[byte()] = top();
          break;  // BINPUT
        case 'r':
          memo_[little(4)] = top();
          break;  // LONG_BINPUT
        case 0x94:
          memo_[memo_.size()] = top();
          break;  // MEMOIZE
        case 'h':
          push(memo(byte()));
          break;  // BINGET
        case 'j':
          push(memo(little(4)));
          break;  // LONG_BINGET
        case '0':
          pop();
          break;  // POP
        case '1':
          pop_mark();
          break;  // POP_MARK
        case '2':
          push(top());
          break;  // DUP
        default:
          fail(fmt::format(
              "opcode 0x{:02x} is not one this reader knows (it reads CIFAR batches: dicts, lists, "
              "strings, numbers and numpy arrays)",
              op));
      }
    }
  }

 private:
  static constexpr size_t kMaxValues = size_t{1} << 22;  // CIFAR-100's train file holds about 200,000
  static constexpr size_t kMaxStack = size_t{1} << 20;

  [[noreturn]] void fail(const std::string& problem) const {
    FT_THROW("{}: not a pickle this reader takes: {} (at byte {})", what_, problem, opcode_at_);
  }
  void check(bool condition, const char* problem) const {
    if (!condition) fail(problem);
  }

  uint8_t byte() {
    if (pos_ >= size_) fail("truncated");
    return in_[pos_++];
  }
  const uint8_t* bytes(uint64_t n) {
    if (n > size_ - pos_) fail("truncated");
    const uint8_t* at = in_ + pos_;
    pos_ += static_cast<size_t>(n);
    return at;
  }
  uint64_t little(int n) {
    const uint8_t* at = bytes(static_cast<uint64_t>(n));
    uint64_t value = 0;
    for (int i = n - 1; i >= 0; --i) value = (value << 8) | at[i];
    return value;
  }
  // A length prefix, checked against what is left of the file before anything is allocated for it.
  uint64_t length(int n) {
    const uint64_t value = little(n);
    if (value > size_ - pos_) fail("truncated (a length runs past the end)");
    return value;
  }
  int64_t long_int(uint64_t n) {
    if (n > 8) fail("an integer wider than 64 bits");
    const uint8_t* at = bytes(n);
    uint64_t value = 0;
    for (uint64_t i = n; i-- > 0;) value = (value << 8) | at[i];
    if (n > 0 && n < 8 && (at[n - 1] & 0x80)) value |= ~uint64_t{0} << (8 * n);  // sign-extend
    return static_cast<int64_t>(value);
  }
  std::string line() {
    std::string text;
    for (;;) {
      const char c = static_cast<char>(byte());
      if (c == '\n') return text;
      text += c;
      if (text.size() > 256) fail("a global name longer than 256 bytes");
    }
  }

  PickleValue* make(PickleValue::Kind kind) {
    if (out_.values_.size() >= kMaxValues) fail(fmt::format("more than {} objects", kMaxValues));
    out_.values_.push_back(std::make_unique<PickleValue>());
    out_.values_.back()->kind = kind;
    return out_.values_.back().get();
  }
  PickleValue* make_int(int64_t value, PickleValue::Kind kind = PickleValue::Kind::kInt) {
    PickleValue* v = make(kind);
    v->integer = value;
    return v;
  }
  void push_float() {
    uint64_t bits = 0;
    const uint8_t* at = bytes(8);
    for (int i = 0; i < 8; ++i) bits = (bits << 8) | at[i];  // big-endian
    PickleValue* v = make(PickleValue::Kind::kFloat);
    std::memcpy(&v->real, &bits, sizeof bits);
    push(v);
  }
  void push_string(PickleValue::Kind kind, uint64_t n) {
    const uint8_t* at = bytes(n);
    PickleValue* v = make(kind);
    v->text.assign(reinterpret_cast<const char*>(at), static_cast<size_t>(n));
    push(v);
  }

  void push(PickleValue* v) {
    if (stack_.size() >= kMaxStack) fail("a stack deeper than this reader allows");
    stack_.push_back(v);
  }
  PickleValue* top() const {
    if (stack_.empty() || (!marks_.empty() && marks_.back() == stack_.size())) fail("an empty stack");
    return stack_.back();
  }
  PickleValue* pop() {
    PickleValue* v = top();
    stack_.pop_back();
    return v;
  }
  std::vector<PickleValue*> pop_n(size_t n) {
    const size_t floor = marks_.empty() ? 0 : marks_.back();
    if (stack_.size() < floor + n) fail("an empty stack");
    std::vector<PickleValue*> items(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
    stack_.resize(stack_.size() - n);
    return items;
  }
  std::vector<PickleValue*> pop_mark() {
    if (marks_.empty()) fail("no MARK to pop to");
    const size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<PickleValue*> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }
  PickleValue* memo(uint64_t key) const {
    const auto it = memo_.find(key);
    if (it == memo_.end()) fail(fmt::format("memo entry {} read before it was written", key));
    return it->second;
  }

  PickleValue* sequence(PickleValue::Kind kind, const std::vector<PickleValue*>& items) {
    PickleValue* v = make(kind);
    v->items.assign(items.begin(), items.end());
    return v;
  }
  void append(const std::vector<PickleValue*>& items) {
    PickleValue* list = top();
    check(list->kind == PickleValue::Kind::kList, "APPEND to something not a list");
    list->items.insert(list->items.end(), items.begin(), items.end());
  }
  void set_items(const std::vector<PickleValue*>& items) {
    PickleValue* dict = top();
    check(dict->kind == PickleValue::Kind::kDict, "SETITEM on something not a dict");
    check(items.size() % 2 == 0, "SETITEMS with an odd number of values");
    for (size_t i = 0; i < items.size(); i += 2) dict->entries.emplace_back(items[i], items[i + 1]);
  }

  void push_global(const std::string& module, const std::string& name) {
    const std::string full = module + "." + name;
    // numpy 2 moved numpy.core to numpy._core; its pickles name the new module.
    static const char* const kAllowed[] = {"numpy.core.multiarray._reconstruct",
                                           "numpy._core.multiarray._reconstruct", "numpy.ndarray",
                                           "numpy.dtype", "_codecs.encode"};
    bool allowed = false;
    for (const char* a : kAllowed) allowed = allowed || full == a;
    if (!allowed)
      fail(fmt::format("refusing the global {} (only numpy arrays are read, no code is run)", full));
    PickleValue* v = make(PickleValue::Kind::kGlobal);
    v->text = full;
    push(v);
  }

  static bool is(const PickleValue* v, PickleValue::Kind kind) { return v->kind == kind; }

  void reduce() {
    PickleValue* args = pop();
    PickleValue* callable = pop();
    check(is(callable, PickleValue::Kind::kGlobal) && is(args, PickleValue::Kind::kTuple),
          "REDUCE of something other than an allowed global and a tuple");
    const std::string& name = callable->text;
    if (name == "_codecs.encode") {
      // Python 3 pickles bytes at protocol 2 as _codecs.encode(text, 'latin1').
      check(args->items.size() == 2 && is(args->items[0], PickleValue::Kind::kText) &&
                args->items[1]->is_string() && args->items[1]->text == "latin1",
            "_codecs.encode other than (text, 'latin1')");
      push(latin1(args->items[0]->text));
    } else if (name == "numpy.dtype") {
      check(!args->items.empty() && args->items[0]->is_string(), "numpy.dtype without a type code");
      PickleValue* v = make(PickleValue::Kind::kDType);
      v->text = args->items[0]->text;
      push(v);
    } else if (name == "numpy.ndarray") {
      fail("numpy.ndarray called directly");
    } else {  // _reconstruct(ndarray, shape, typecode): an empty array that BUILD fills
      check(args->items.size() == 3 && is(args->items[0], PickleValue::Kind::kGlobal) &&
                args->items[0]->text == "numpy.ndarray",
            "_reconstruct of something other than numpy.ndarray");
      push(make(PickleValue::Kind::kArray));
    }
  }

  // UTF-8 text whose code points are all below 256 -> those bytes.
  PickleValue* latin1(const std::string& utf8) {
    account(utf8.size());
    PickleValue* v = make(PickleValue::Kind::kBytes);
    v->text.reserve(utf8.size());
    for (size_t i = 0; i < utf8.size();) {
      const uint8_t c = static_cast<uint8_t>(utf8[i]);
      if (c < 0x80) {
        v->text += static_cast<char>(c);
        i += 1;
      } else if ((c & 0xE0) == 0xC0 && i + 1 < utf8.size() && c <= 0xC3 &&
                 (static_cast<uint8_t>(utf8[i + 1]) & 0xC0) == 0x80) {
        v->text += static_cast<char>(((c & 0x03) << 6) | (static_cast<uint8_t>(utf8[i + 1]) & 0x3F));
        i += 2;
      } else {
        fail("_codecs.encode of text that is not latin-1");
      }
    }
    return v;
  }

  void build() {
    PickleValue* state = pop();
    PickleValue* target = top();
    if (is(target, PickleValue::Kind::kDType)) {
      // (version, byte order, ...): the byte order joins the code, "<" + "i8".
      if (is(state, PickleValue::Kind::kTuple) && state->items.size() >= 2 && state->items[1]->is_string() &&
          state->items[1]->text.size() == 1 && target->text.find_first_of("<>|=") != 0) {
        target->text = state->items[1]->text + target->text;
      }
      return;
    }
    check(is(target, PickleValue::Kind::kArray), "BUILD on something not a numpy array or dtype");
    // One BUILD per array: a second would leave the first one's shape over the second one's data.
    check(!target->built, "a second BUILD of one numpy array");
    check(is(state, PickleValue::Kind::kTuple) && (state->items.size() == 5 || state->items.size() == 4),
          "a numpy array state that is not (version, shape, dtype, fortran, data)");
    const size_t at = state->items.size() - 4;
    const PickleValue* shape = state->items[at];
    const PickleValue* dtype = state->items[at + 1];
    const PickleValue* fortran = state->items[at + 2];
    const PickleValue* data = state->items[at + 3];
    check(is(shape, PickleValue::Kind::kTuple) && is(dtype, PickleValue::Kind::kDType),
          "a malformed array state");
    check(data->is_string(), "a numpy array of Python objects");
    const int item = numpy_item_size(dtype->text);
    if (item == 0) fail(fmt::format("a numpy array of dtype '{}' (numbers only)", dtype->text));
    check(!dtype->text.empty() && dtype->text[0] != '>', "a big-endian numpy array");
    int64_t count = 1;
    for (const PickleValue* d : shape->items) {
      check(is(d, PickleValue::Kind::kInt) && d->integer >= 0, "a numpy array shape that is not integers");
      count = checked_product(count, d->integer, what_);
      target->shape.push_back(d->integer);
    }
    const bool fortran_order =
        (is(fortran, PickleValue::Kind::kBool) || is(fortran, PickleValue::Kind::kInt)) &&
        fortran->integer != 0;
    check(!fortran_order || target->shape.size() < 2, "a Fortran-order numpy array");
    if (checked_product(count, item, what_) != static_cast<int64_t>(data->text.size()))
      fail(fmt::format("a numpy array of {} elements of {} bytes holds {} bytes", count, item,
                       data->text.size()));
    account(data->text.size());
    target->text = dtype->text;
    target->data = data->text;
    target->built = true;
  }

  // Every byte string copied while reading counts against twice the file's size (plus 1 MiB): a memoised
  // string built into many arrays cannot make a small file ask for gigabytes.
  void account(size_t bytes) {
    bytes_made_ += bytes;
    if (bytes_made_ > 2 * size_ + (size_t{1} << 20))
      fail(fmt::format("more array data than a {}-byte file can hold", size_));
  }

  void finish() {
    check(stack_.size() == 1 && marks_.empty(), "STOP with other than one value on the stack");
    out_.root_ = stack_.back();
  }

  const uint8_t* in_;
  size_t size_;
  size_t pos_ = 0;
  size_t opcode_at_ = 0;
  size_t bytes_made_ = 0;
  std::string what_;
  Pickle& out_;
  std::vector<PickleValue*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PickleValue*> memo_;
};

Pickle Pickle::parse(const std::string& bytes, const std::string& what) {
  Pickle pickle;
  PickleMachine(bytes, what, pickle).run();
  return pickle;
}

Pickle Pickle::read_file(const std::string& path) {
  struct stat info {};
  FT_CHECK(stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode), "{}: no such file", path);
  check_fits_memory(static_cast<int64_t>(info.st_size), path);
  std::ifstream in(path, std::ios::binary);
  FT_CHECK(in, "{}: cannot open", path);
  std::string bytes(static_cast<size_t>(info.st_size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  FT_CHECK(in || in.gcount() == static_cast<std::streamsize>(bytes.size()), "{}: read failed", path);
  return parse(bytes, path);
}

}  // namespace ftcnn
