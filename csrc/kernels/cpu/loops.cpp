#include "kernels/cpu/loops.h"

namespace gg::cpu {

LoopPlan::LoopPlan(const Tensor& out, std::initializer_list<const Tensor*> inputs) {
  nargs = 1 + (int)inputs.size();
  GG_ASSERT(nargs <= kMaxOperands);
  const int64_t nd = out->dim();
  const Tensor* ops[kMaxOperands];
  ops[0] = &out;
  int k = 1;
  for (const Tensor* t : inputs) ops[k++] = t;

  // Fast path: every operand contiguous with out's shape -> one flat dimension.
  bool flat = out->is_contiguous();
  for (int a = 1; a < nargs && flat; ++a) flat = ops[a]->get()->is_contiguous() && (*ops[a])->sizes == out->sizes;
  if (flat) {
    numel = out->numel();
    sizes = DimVec{numel};
    for (int a = 0; a < nargs; ++a) {
      base[a] = static_cast<char*>((*ops[a])->raw_data());
      strides[a] = DimVec{(int64_t)(*ops[a])->element_size()};
    }
    return;
  }
  DimVec full_strides[kMaxOperands];
  for (int a = 0; a < nargs; ++a) {
    const Tensor& t = *ops[a];
    base[a] = static_cast<char*>(t->raw_data());
    const int64_t es = (int64_t)t->element_size();
    const int64_t shift = nd - t->dim();
    full_strides[a] = DimVec(nd, 0);
    for (int64_t d = 0; d < t->dim(); ++d)
      full_strides[a][d + shift] = t->sizes[d] == 1 ? 0 : t->strides[d] * es;
  }
  // Drop size-1 dims and merge neighbours that are contiguous for every operand.
  for (int64_t d = 0; d < nd; ++d) {
    const int64_t sz = out->sizes[d];
    if (sz == 1) continue;
    bool merge = !sizes.empty();
    for (int a = 0; a < nargs && merge; ++a)
      merge = strides[a].back() == full_strides[a][d] * sz;
    if (merge) {
      sizes.back() *= sz;
      for (int a = 0; a < nargs; ++a) strides[a].back() = full_strides[a][d];
    } else {
      sizes.push_back(sz);
      for (int a = 0; a < nargs; ++a) strides[a].push_back(full_strides[a][d]);
    }
  }
  numel = out->numel();
  if (numel == 0) sizes = DimVec{0};
  else if (sizes.empty() && nd > 0) {
    sizes.push_back(1);
    for (int a = 0; a < nargs; ++a) strides[a].push_back(0);
  }
  if (sizes.size() == 1 && sizes[0] == 0) {
    for (int a = 0; a < nargs; ++a) strides[a] = DimVec{0};
  }
}

}  // namespace gg::cpu
