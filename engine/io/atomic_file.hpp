// The one way ftcnn writes a result file, so that a failed write never costs what a user already has: the
// content goes to a temporary created exclusively (O_EXCL, never through a link) beside the target, is
// flushed and fsynced, and only then renamed over the target, after which the directory is fsynced too. On
// any failure the temporary is removed and the target is left as it was. (The campaign log, which grows
// line by line, is the one file written otherwise: engine/fault/campaign_log.hpp.)
#pragma once

#include <string>

namespace ftcnn {

class AtomicFile {
 public:
  // Creates the temporary "<dir>/.<name>.<pid>.tmp"; throws naming it when that is impossible.
  explicit AtomicFile(std::string path);
  // Removes the temporary unless commit() succeeded.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& path() const { return path_; }
  // Where to write (for writers that open files by name, as HDF5 does).
  const std::string& temporary() const { return temporary_; }
  // Appends to the temporary; throws "<path>: write failed: <why>" (a full disk says so).
  void write(const std::string& bytes);
  // fsync, rename over the target, fsync the directory; throws naming the step that failed.
  void commit();

 private:
  std::string path_, temporary_;
  int fd_ = -1;
  bool committed_ = false;
};

// A whole text file, atomically.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace ftcnn
