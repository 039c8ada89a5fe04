// Reads the members of a zip archive, as numpy's .npz files are: stored (np.savez) or deflated
// (np.savez_compressed), zip64 included (numpy writes every member with zip64 headers). zlib inflates; every
// offset and size is checked against the file before it is used, and a member read to its end is checked
// against its CRC-32.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace ftcnn {

class ZipArchive {
 public:
  struct Member {
    std::string name;
    int method = 0;  // 0 stored, 8 deflated
    uint32_t crc = 0;
    uint64_t compressed = 0;
    uint64_t size = 0;
    uint64_t header_offset = 0;
  };

  // Reads the central directory; throws "<path>: not a zip archive (...)" and the like.
  explicit ZipArchive(std::string path);
  const std::string& path() const { return path_; }
  const std::vector<Member>& members() const { return members_; }
  const Member* find(const std::string& name) const;

  // One member's uncompressed bytes, front to back.
  class Reader {
   public:
    Reader(const ZipArchive& archive, const Member& member);
    ~Reader();
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    // Reads exactly `n` bytes; throws naming the member when it ends first or its data is damaged.
    void read(void* out, uint64_t n);
    uint64_t left() const { return member_.size - produced_; }
    std::string what() const;

   private:
    void fill_input();
    std::string path_;
    Member member_;
    std::ifstream in_;
    z_stream zs_{};
    bool inflating_ = false;
    std::vector<unsigned char> input_;
    uint64_t compressed_left_ = 0;
    uint64_t produced_ = 0;
    uLong crc_ = 0;
  };
  std::unique_ptr<Reader> open(const Member& member) const { return std::make_unique<Reader>(*this, member); }

 private:
  std::string path_;
  uint64_t file_size_ = 0;
  std::vector<Member> members_;
};

}  // namespace ftcnn
