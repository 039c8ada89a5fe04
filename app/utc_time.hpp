// The current time as ISO-8601 UTC ("2024-05-01T12:00:00Z"), for the provenance of files ftcnn writes; the
// time SOURCE_DATE_EPOCH names (seconds since 1970, the reproducible-builds convention) when it is set, so
// that two runs can write byte-identical files.
#pragma once

#include <string>

namespace ftcnn::cli {

std::string utc_now();

}  // namespace ftcnn::cli
