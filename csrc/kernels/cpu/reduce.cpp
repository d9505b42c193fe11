#include "kernels/cpu/reduce.h"

namespace gg::cpu {

ReducePlan::ReducePlan(const Tensor& input, const std::vector<bool>& mask, const Tensor& output) {
  in = static_cast<const char*>(input->raw_data());
  out = static_cast<char*>(output->raw_data());
  // Output strides for kept dims, in the output's own (contiguous) layout.
  DimVec kept_sizes;
  for (int64_t d = 0; d < input->dim(); ++d)
    if (!mask[d]) kept_sizes.push_back(input->sizes[d]);
  DimVec kept_out_strides = contiguous_strides(kept_sizes);
  int64_t k = 0;
  for (int64_t d = 0; d < input->dim(); ++d) {
    const int64_t sz = input->sizes[d], st = input->strides[d];
    if (mask[d]) {
      red_numel *= sz;
      if (sz == 1) continue;
      if (!red_sizes.empty() && red_strides.back() == st * sz) {
        red_sizes.back() *= sz;
        red_strides.back() = st;
      } else {
        red_sizes.push_back(sz);
        red_strides.push_back(st);
      }
    } else {
      const int64_t ost = kept_out_strides[k++];
      out_numel *= sz;
      if (sz == 1) continue;
      if (!out_sizes.empty() && out_in_strides.back() == st * sz && out_strides.back() == ost * sz) {
        out_sizes.back() *= sz;
        out_in_strides.back() = st;
        out_strides.back() = ost;
      } else {
        out_sizes.push_back(sz);
        out_in_strides.push_back(st);
        out_strides.push_back(ost);
      }
    }
  }
}

}  // namespace gg::cpu
