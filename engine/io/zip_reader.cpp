#include "engine/io/zip_reader.hpp"

#include <algorithm>
#include <cstring>

#include "engine/error.hpp"

namespace ftcnn {
namespace {

uint64_t little(const unsigned char* at, int n) {
  uint64_t value = 0;
  for (int i = n - 1; i >= 0; --i) value = (value << 8) | at[i];
  return value;
}

std::vector<unsigned char> read_at(std::ifstream& in, uint64_t offset, uint64_t n, const std::string& path) {
  std::vector<unsigned char> bytes(static_cast<size_t>(n));
  in.clear();
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(n));
  FT_CHECK(in, "{}: read failed at byte {} (truncated zip archive?)", path, offset);
  return bytes;
}

constexpr uint32_t kEndOfDirectory = 0x06054b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint32_t kZip64End = 0x06064b50;
constexpr uint32_t kDirectoryEntry = 0x02014b50;
constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint64_t kMaxMembers = 1 << 16;

}  // namespace

ZipArchive::ZipArchive(std::string path) : path_(std::move(path)) {
  std::ifstream in(path_, std::ios::binary | std::ios::ate);
  FT_CHECK(in, "{}: cannot open", path_);
  file_size_ = static_cast<uint64_t>(in.tellg());
  FT_CHECK(file_size_ >= 22, "{}: not a zip archive (an .npz is one): too short", path_);
  // The end-of-directory record closes the file, after a comment of at most 65,535 bytes.
  const uint64_t tail_size = std::min<uint64_t>(file_size_, 22 + 65535);
  const std::vector<unsigned char> tail = read_at(in, file_size_ - tail_size, tail_size, path_);
  int64_t end = -1;
  for (int64_t i = static_cast<int64_t>(tail_size) - 22; i >= 0; --i) {
    if (little(&tail[static_cast<size_t>(i)], 4) == kEndOfDirectory) {
      end = i;
      break;
    }
  }
  FT_CHECK(end >= 0, "{}: not a zip archive (an .npz is one): no end-of-directory record", path_);
  const unsigned char* record = &tail[static_cast<size_t>(end)];
  uint64_t entries = little(record + 10, 2);
  uint64_t directory_size = little(record + 12, 4);
  uint64_t directory_offset = little(record + 16, 4);
  const uint64_t end_offset = file_size_ - tail_size + static_cast<uint64_t>(end);
  if ((entries == 0xFFFF || directory_size == 0xFFFFFFFF || directory_offset == 0xFFFFFFFF) &&
      end_offset >= 20) {
    const std::vector<unsigned char> locator = read_at(in, end_offset - 20, 20, path_);
    if (little(locator.data(), 4) == kZip64Locator) {
      const uint64_t zip64_end = little(locator.data() + 8, 8);
      FT_CHECK(zip64_end <= file_size_ - 56, "{}: damaged zip archive (zip64 record outside the file)",
               path_);
      const std::vector<unsigned char> z = read_at(in, zip64_end, 56, path_);
      FT_CHECK(little(z.data(), 4) == kZip64End, "{}: damaged zip archive (no zip64 end record)", path_);
      entries = little(z.data() + 32, 8);
      directory_size = little(z.data() + 40, 8);
      directory_offset = little(z.data() + 48, 8);
    }
  }
  FT_CHECK(directory_offset <= file_size_ && directory_size <= file_size_ - directory_offset,
           "{}: damaged zip archive (directory outside the file)", path_);
  FT_CHECK(entries <= kMaxMembers, "{}: a zip archive of {} members is not an .npz this reader takes", path_,
           entries);
  const std::vector<unsigned char> directory = read_at(in, directory_offset, directory_size, path_);
  size_t at = 0;
  for (uint64_t e = 0; e < entries; ++e) {
    FT_CHECK(at + 46 <= directory.size() && little(&directory[at], 4) == kDirectoryEntry,
             "{}: damaged zip archive (directory entry {})", path_, e);
    const unsigned char* d = &directory[at];
    Member m;
    m.method = static_cast<int>(little(d + 10, 2));
    m.crc = static_cast<uint32_t>(little(d + 16, 4));
    m.compressed = little(d + 20, 4);
    m.size = little(d + 24, 4);
    const size_t name_length = static_cast<size_t>(little(d + 28, 2));
    const size_t extra_length = static_cast<size_t>(little(d + 30, 2));
    const size_t comment_length = static_cast<size_t>(little(d + 32, 2));
    m.header_offset = little(d + 42, 4);
    FT_CHECK(at + 46 + name_length + extra_length + comment_length <= directory.size(),
             "{}: damaged zip archive (directory entry {})", path_, e);
    m.name.assign(reinterpret_cast<const char*>(d + 46), name_length);
    // zip64: the 8-byte values of the fields that hold 0xFFFFFFFF, in this order.
    const unsigned char* extra = d + 46 + name_length;
    for (size_t x = 0; x + 4 <= extra_length;) {
      const uint64_t id = little(extra + x, 2);
      const size_t length = static_cast<size_t>(little(extra + x + 2, 2));
      FT_CHECK(x + 4 + length <= extra_length, "{}: damaged zip archive (extra field of {})", path_, m.name);
      if (id == 1) {
        size_t f = x + 4;
        for (uint64_t* field : {&m.size, &m.compressed, &m.header_offset}) {
          if (*field != 0xFFFFFFFF) continue;
          FT_CHECK(f + 8 <= x + 4 + length, "{}: damaged zip archive (zip64 field of {})", path_, m.name);
          *field = little(extra + f, 8);
          f += 8;
        }
      }
      x += 4 + length;
    }
    FT_CHECK(m.header_offset < file_size_ && m.compressed <= file_size_ - m.header_offset,
             "{}: damaged zip archive ({} lies outside the file)", path_, m.name);
    // Deflate expands at most 1032:1, and a stored member not at all: a declared size beyond that is a lie
    // that would have the reader allocate for data the file cannot hold.
    FT_CHECK(m.size <= (m.method == 8 ? m.compressed * 1032 + 1024 : m.compressed),
             "{}: damaged zip archive ({} declares {} bytes from {} compressed)", path_, m.name, m.size,
             m.compressed);
    members_.push_back(std::move(m));
    at += 46 + name_length + extra_length + comment_length;
  }
}

const ZipArchive::Member* ZipArchive::find(const std::string& name) const {
  for (const Member& m : members_) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

ZipArchive::Reader::Reader(const ZipArchive& archive, const Member& member)
    : path_(archive.path()), member_(member), in_(archive.path(), std::ios::binary) {
  FT_CHECK(in_, "{}: cannot open", path_);
  FT_CHECK(member_.method == 0 || member_.method == 8,
           "{}: member {} is compressed with method {} (only stored and deflated members are read)", path_,
           member_.name, member_.method);
  FT_CHECK(member_.header_offset + 30 <= archive.file_size_, "{}: damaged zip archive (header of {})", path_,
           member_.name);
  const std::vector<unsigned char> header = read_at(in_, member_.header_offset, 30, path_);
  FT_CHECK(little(header.data(), 4) == kLocalHeader, "{}: damaged zip archive (no header for {})", path_,
           member_.name);
  const uint64_t data_offset =
      member_.header_offset + 30 + little(header.data() + 26, 2) + little(header.data() + 28, 2);
  FT_CHECK(data_offset <= archive.file_size_ && member_.compressed <= archive.file_size_ - data_offset,
           "{}: truncated zip archive ({} runs past the end)", path_, member_.name);
  in_.seekg(static_cast<std::streamoff>(data_offset));
  compressed_left_ = member_.compressed;
  if (member_.method == 8) {
    FT_CHECK(inflateInit2(&zs_, -MAX_WBITS) == Z_OK, "{}: cannot start zlib", path_);  // raw deflate
    inflating_ = true;
  } else {
    FT_CHECK(member_.compressed == member_.size, "{}: damaged zip archive (stored {} changes size)", path_,
             member_.name);
  }
  crc_ = crc32(0L, Z_NULL, 0);
}

ZipArchive::Reader::~Reader() {
  if (inflating_) inflateEnd(&zs_);
}

std::string ZipArchive::Reader::what() const {
  return path_ + " (" + member_.name + ")";
}

void ZipArchive::Reader::fill_input() {
  const uint64_t n = std::min<uint64_t>(compressed_left_, 1 << 16);
  FT_CHECK(n > 0, "{}: damaged zip archive (the compressed data of {} ends early)", path_, member_.name);
  input_.resize(static_cast<size_t>(n));
  in_.read(reinterpret_cast<char*>(input_.data()), static_cast<std::streamsize>(n));
  FT_CHECK(in_, "{}: read failed in {} (truncated?)", path_, member_.name);
  compressed_left_ -= n;
  zs_.next_in = input_.data();
  zs_.avail_in = static_cast<uInt>(n);
}

void ZipArchive::Reader::read(void* out, uint64_t n) {
  FT_CHECK(n <= left(), "{}: {} ends early ({} bytes wanted, {} left)", path_, member_.name, n, left());
  unsigned char* dst = static_cast<unsigned char*>(out);
  if (!inflating_) {
    in_.read(reinterpret_cast<char*>(dst), static_cast<std::streamsize>(n));
    FT_CHECK(in_, "{}: read failed in {} (truncated?)", path_, member_.name);
  } else {
    uint64_t done = 0;
    while (done < n) {
      if (zs_.avail_in == 0) fill_input();
      const uint64_t chunk = std::min<uint64_t>(n - done, 1u << 30);
      zs_.next_out = dst + done;
      zs_.avail_out = static_cast<uInt>(chunk);
      const int status = inflate(&zs_, Z_NO_FLUSH);
      FT_CHECK(status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR,
               "{}: damaged compressed data in {} ({})", path_, member_.name,
               zs_.msg ? zs_.msg : "zlib error");
      const uint64_t got = chunk - zs_.avail_out;
      done += got;
      FT_CHECK(status != Z_STREAM_END || done == n, "{}: {} inflates to fewer bytes than it says", path_,
               member_.name);
      FT_CHECK(got > 0 || zs_.avail_in == 0, "{}: damaged compressed data in {}", path_, member_.name);
    }
  }
  for (uint64_t done = 0; done < n;) {  // crc32 takes at most 4 GiB at a time
    const uInt chunk = static_cast<uInt>(std::min<uint64_t>(n - done, 1u << 30));
    crc_ = crc32(crc_, dst + done, chunk);
    done += chunk;
  }
  produced_ += n;
  if (produced_ == member_.size)
    FT_CHECK(crc_ == member_.crc, "{}: {} fails its CRC check (damaged archive)", path_, member_.name);
}

}  // namespace ftcnn
