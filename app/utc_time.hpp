// The current time as ISO-8601 UTC ("2024-05-01T12:00:00Z"), for the provenance of files ftcnn writes.
#pragma once

#include <string>

namespace ftcnn::cli {

std::string utc_now();

}  // namespace ftcnn::cli
