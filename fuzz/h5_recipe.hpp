// HDF5 files from fuzzer bytes. The readers under test (model, interval, ranking, vulnerability files) sit on
// libhdf5, whose own byte-level parser is HDF5's to fuzz (it is in OSS-Fuzz); what ours must survive is a
// well-formed container with hostile content: any names, types, shapes, values and attribute text. So the
// fuzzer's bytes are a recipe that libhdf5 writes into a real file, and every byte string is some recipe.
//
// A recipe is a sequence of entries, read until the bytes run out (missing bytes read as zero):
//   kind    u8   0 group, 1 dataset, 2 attribute (on the object named by `path`, "/" the root)
//   path    u8 length + bytes (intermediate groups are created)
//   name    attributes only: u8 length + bytes
//   type    u8   0 float32, 1 float64, 2 int64, 3 int32, 4 uint8, 5 variable-length string, 6 fixed string
//   strings: u16 length (little endian) + bytes, a scalar
//   numbers: rank u8 (0 scalar .. 4), each dimension u16, then the elements' bytes (little endian)
// Entries libhdf5 refuses (a bad name, a path through a dataset) are skipped. fuzz/h5_recipe.py writes the
// recipe of an existing file, to seed the corpora from the test fixtures.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ftcnn::fuzz {

// Writes the HDF5 file the recipe describes to `path` (replacing it). Datasets of more than 2^18 elements are
// declared but left unwritten (chunked, all fill value); a recipe has at most 64 entries.
void write_h5_recipe(const uint8_t* data, size_t size, const std::string& path);

}  // namespace ftcnn::fuzz
