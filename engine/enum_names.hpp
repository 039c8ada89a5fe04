// Names of enum values, one table per enum: the text a file, a flag or a message uses for each value, in one
// place. Lookups both ways are generic, and a name that is not in the table is refused listing the names it
// could have been. A table lists every value of its enum: test/test_enum_names.cpp checks each one.
#pragma once

#include <cstddef>
#include <string>

#include "engine/error.hpp"

namespace ftcnn {

template <typename Enum>
struct EnumName {
  Enum value;
  const char* name;
};

// The name of `value` in `table` ("?" for a value the table lacks, which the tests rule out).
template <typename Enum, size_t N>
const char* enum_name(const EnumName<Enum> (&table)[N], Enum value) {
  for (const EnumName<Enum>& entry : table) {
    if (entry.value == value) return entry.name;
  }
  return "?";
}

// "a, b, c": every name of the table, in table order.
template <typename Enum, size_t N>
std::string enum_names(const EnumName<Enum> (&table)[N]) {
  std::string names;
  for (const EnumName<Enum>& entry : table) names += (names.empty() ? "" : ", ") + std::string(entry.name);
  return names;
}

// The value named `text`, or nullptr.
template <typename Enum, size_t N>
const Enum* enum_find(const EnumName<Enum> (&table)[N], const std::string& text) {
  for (const EnumName<Enum>& entry : table) {
    if (text == entry.name) return &entry.value;
  }
  return nullptr;
}

// The value named `text`; throws "unknown <what> '<text>' (<every name>)" otherwise.
template <typename Enum, size_t N>
Enum enum_from_name(const EnumName<Enum> (&table)[N], const std::string& text, const char* what) {
  const Enum* value = enum_find(table, text);
  if (value == nullptr) FT_THROW("unknown {} '{}' ({})", what, text, enum_names(table));
  return *value;
}

}  // namespace ftcnn
