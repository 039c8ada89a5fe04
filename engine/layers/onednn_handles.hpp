// The oneDNN engine and stream a CpuContext owns (one of each per context, made once); empty in a build
// without oneDNN. Included only where they are used (cpu_context.cpp, conv2d_onednn.cpp), so that no other
// file sees dnnl.hpp.
#pragma once

#ifdef FTCNN_WITH_ONEDNN
#include <dnnl.hpp>
#endif

namespace ftcnn {

struct OneDnnHandles {
#ifdef FTCNN_WITH_ONEDNN
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
#endif
};

}  // namespace ftcnn
