#include "engine/fault/directory_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "engine/error.hpp"

namespace ftcnn {

DirectoryLock::DirectoryLock(const std::string& directory) : path_(directory + "/.ftcnn.lock") {
  // A lock file removed by its finishing holder between our open and our flock would leave us holding a lock
  // on a file nobody else sees: take the lock, then check that the name still leads to that file.
  for (int attempt = 0; attempt < 8; ++attempt) {
    // O_NOFOLLOW: a link planted under the lock's name is refused, never followed.
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    FT_CHECK(fd_ >= 0, "{}: cannot open the lock file: {}", path_, std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      char holder[32] = {};
      const ssize_t got = ::pread(fd_, holder, sizeof(holder) - 1, 0);
      ::close(fd_);
      fd_ = -1;
      FT_CHECK(error == EWOULDBLOCK, "{}: cannot lock: {}", path_, std::strerror(error));
      std::string pid(holder, got > 0 ? static_cast<size_t>(got) : 0);
      pid = pid.substr(0, pid.find_first_not_of("0123456789"));
      FT_THROW("{}: in use by another ftcnn run (PID {}); wait for it or choose another output directory",
               directory, pid.empty() ? "unknown" : pid);
    }
    struct stat held {
    }, named{};
    if (::fstat(fd_, &held) == 0 && ::stat(path_.c_str(), &named) == 0 && held.st_ino == named.st_ino &&
        held.st_dev == named.st_dev) {
      // The PID serves a second run's message only; the lock holds without it.
      const std::string pid = fmt::format("{}\n", ::getpid());
      const bool written = ::ftruncate(fd_, 0) == 0 &&
                           ::pwrite(fd_, pid.data(), pid.size(), 0) == static_cast<ssize_t>(pid.size());
      static_cast<void>(written);
      return;
    }
    ::close(fd_);
    fd_ = -1;
  }
  FT_THROW("{}: the lock file keeps changing under this run; is another ftcnn starting on {}?", path_,
           directory);
}

DirectoryLock::~DirectoryLock() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());  // while still locked: a run waiting on this file finds it gone, not free
  ::close(fd_);
}

}  // namespace ftcnn
