// The backward engine: dependency counts from the roots, then nodes run in order of
// decreasing sequence number as their inputs become complete.
#pragma once
#include <vector>
#include "autograd/node.h"

namespace gg::autograd {

// Runs backward from `roots` seeded with `grad_roots`. With `capture` non-empty (autograd.grad),
// returns the gradients flowing into those edges and runs only the nodes they need,
// without accumulating into any .grad; otherwise accumulates into leaves and returns nothing.
TensorList run_backward(const std::vector<Edge>& roots, const TensorList& grad_roots, bool keep_graph,
                        bool create_graph, const std::vector<Edge>& capture);

}  // namespace gg::autograd
