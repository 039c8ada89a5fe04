// The most memory one allocation driven by a file or a flag may take: this machine's physical memory, or
// FTCNN_MEMORY_LIMIT_GIB when set. Sizes read from a model file, a dataset or a batch size are checked
// against it before anything is allocated, so a hostile or mistaken file fails in one line at once instead
// of swapping, thrashing or dying in std::bad_alloc.
#pragma once

#include <cstdint>
#include <string>

namespace ftcnn {

int64_t memory_limit_bytes();
// The memory free for use now (MemAvailable, or free pages where /proc/meminfo lacks it), no more than what
// the process's cgroup (a Slurm job's --mem, a container) has left, nor the limit above.
int64_t available_memory_bytes();

// Throws "<what> needs <X> GiB, more than the <Y> GiB this machine has (FTCNN_MEMORY_LIMIT_GIB)" when
// `bytes` exceeds the limit (or is negative: an overflowed size).
void check_fits_memory(int64_t bytes, const std::string& what);

// a * b, or throws naming `what` when the product overflows 63 bits.
int64_t checked_product(int64_t a, int64_t b, const std::string& what);

}  // namespace ftcnn
