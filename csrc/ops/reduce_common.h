// Shared by the reduction op files: which dims a reduction covers (mask[d]: input dim d is
// reduced), the reduced shape, and how a gradient goes back over the reduced dims.
#pragma once
#include <optional>
#include <vector>

#include "ops/internal.h"

namespace gg::ops {

inline std::vector<bool> reduce_mask(const Tensor& t, const std::optional<DimVec>& dims, const char* op = nullptr) {
  std::vector<bool> mask(t->dim(), false);
  if (!dims || dims->empty()) {
    mask.assign(t->dim(), true);
    return mask;
  }
  for (int64_t d : *dims) {
    int64_t w = wrap_dim(d, t->dim(), op);
    GG_CHECK(t->dim() == 0 || !mask[w], "dim ", w, " appears multiple times in the list of dims");
    if (t->dim() > 0) mask[w] = true;
  }
  return mask;
}

inline DimVec reduced_shape(const Tensor& t, const std::vector<bool>& mask, bool keepdim) {
  DimVec s;
  for (int64_t d = 0; d < t->dim(); ++d) {
    if (!mask[d]) s.push_back(t->sizes[d]);
    else if (keepdim) s.push_back(1);
  }
  return s;
}

// Node attributes of a reduction: input sizes, reduced mask, keepdim (ints[0]).
inline void remember(OpNode& n, const Tensor& in, const std::vector<bool>& mask, bool keepdim) {
  n.shape = in->sizes;
  n.shape2 = DimVec(in->dim(), 0);
  for (int64_t d = 0; d < in->dim(); ++d) n.shape2[d] = mask[d];
  n.ints[0] = keepdim;
  n.dtype = in->dtype;
}

// A reduced tensor viewed with the reduced dims kept (size 1), expanded to the input's shape.
inline Tensor expand_back(const Tensor& g, OpNode& n) {
  Tensor r = g;
  if (!n.ints[0])
    for (size_t d = 0; d < n.shape.size(); ++d)
      if (n.shape2[d]) r = unsqueeze(r, (int64_t)d);
  return expand(r, n.shape);
}

inline DimVec reduced_dims(OpNode& n) {
  DimVec red;
  for (size_t d = 0; d < n.shape.size(); ++d)
    if (n.shape2[d]) red.push_back((int64_t)d);
  return red;
}

inline int64_t reduced_count(OpNode& n) {
  int64_t c = 1;
  for (size_t d = 0; d < n.shape.size(); ++d)
    if (n.shape2[d]) c *= n.shape[d];
  return c;
}

}  // namespace gg::ops
