#include "engine/io/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "engine/error.hpp"

namespace ftcnn {
namespace {

std::string directory_of(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  const std::filesystem::path target(path_);
  FT_CHECK(!target.filename().empty(), "{}: not a file name", path_);
  const std::string stem =
      directory_of(path_) + "/." + target.filename().string() + fmt::format(".{}", ::getpid());
  for (int attempt = 0; fd_ < 0; ++attempt) {
    temporary_ = stem + (attempt == 0 ? "" : fmt::format(".{}", attempt)) + ".tmp";
    fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    FT_CHECK(fd_ >= 0 || (errno == EEXIST && attempt < 100), "{}: cannot create a file beside it: {}", path_,
             std::strerror(errno));
  }
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temporary_.c_str());
}

void AtomicFile::write(const std::string& bytes) {
  const char* at = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t done = ::write(fd_, at, left);
    if (done < 0 && errno == EINTR) continue;
    FT_CHECK(done > 0, "{}: write failed: {}", path_, std::strerror(done < 0 ? errno : ENOSPC));
    at += done;
    left -= static_cast<size_t>(done);
  }
}

void AtomicFile::commit() {
  FT_CHECK(::fsync(fd_) == 0, "{}: write failed: {}", path_, std::strerror(errno));
  const int closed = ::close(fd_);
  fd_ = -1;
  FT_CHECK(closed == 0, "{}: write failed: {}", path_, std::strerror(errno));
  FT_CHECK(std::rename(temporary_.c_str(), path_.c_str()) == 0,
           "{}: cannot move the written file into place: {}", path_, std::strerror(errno));
  committed_ = true;
  // The rename itself must reach the disk too; a directory that cannot be opened or synced is reported,
  // but the file is already whole under its name.
  const int directory = ::open(directory_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory >= 0) {
    const int synced = ::fsync(directory);
    const int error = errno;
    ::close(directory);
    FT_CHECK(synced == 0 || error == EINVAL, "{}: written, but its directory did not sync: {}", path_,
             std::strerror(error));
  }
}

void write_file_atomically(const std::string& path, const std::string& content) {
  AtomicFile out(path);
  out.write(content);
  out.commit();
}

}  // namespace ftcnn
