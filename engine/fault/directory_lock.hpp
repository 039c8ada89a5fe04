// An exclusive lock on an output directory for the life of one run (flock on "<dir>/.ftcnn.lock"), so that
// two campaigns on one --out cannot interleave their logs: the second is refused at once, with a line that
// names the holder's PID. The kernel drops the lock when its holder dies (even by SIGKILL), so a killed run
// never blocks the resume; the lock file is removed when the holder finishes normally.
#pragma once

#include <string>

namespace ftcnn {

class DirectoryLock {
 public:
  // Takes the lock; throws "<dir>: in use by another ftcnn run (PID <pid>); ..." when another run holds it.
  explicit DirectoryLock(const std::string& directory);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace ftcnn
