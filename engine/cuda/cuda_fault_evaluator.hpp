// The CUDA FaultEvaluator: images, golden predictions, target tables and counters stay on the GPU; a
// repetition is one flip launch, the forward passes, one compare launch per batch, one restore launch, and
// a 32-byte copy of the four outcome counters back to the host.
#pragma once

#include <memory>

#include "engine/fault/fault_evaluator.hpp"

namespace ftcnn {

std::unique_ptr<FaultEvaluator> make_cuda_fault_evaluator(Graph& graph, const FaultTargets& targets,
                                                          const Dataset& data, float scale,
                                                          const std::vector<float>& mean,
                                                          const std::vector<float>& std,
                                                          const EvaluatorOptions& options);

}  // namespace ftcnn
