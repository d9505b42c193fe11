// Views and shape ops. Views share storage (and so the version counter) with their base.
#include "ops/internal.h"

namespace gg {
using namespace ops;
using autograd::make_node;

namespace {

// Strides for viewing (sizes, strides) as `shape` without copying, if possible
// (PyTorch's computeStride): each run of merged old dims must be contiguous within itself.
std::optional<DimVec> view_strides(const DimVec& old_sizes, const DimVec& old_strides, const DimVec& shape) {
  DimVec out(shape.size(), 1);
  if (old_sizes.empty()) {
    return contiguous_strides(shape);
  }
  int64_t numel = shape_numel(old_sizes);
  if (numel == 0) return contiguous_strides(shape);
  int64_t view_d = (int64_t)shape.size() - 1;
  int64_t chunk_base_stride = old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = (int64_t)old_sizes.size() - 1; d >= 0; --d) {
    tensor_numel *= old_sizes[d];
    if (d == 0 || (old_sizes[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = old_strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return out;
}

// Resolves one -1 and checks the element count.
DimVec infer_shape(const DimVec& shape, int64_t numel, const char* op) {
  DimVec out = shape;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      GG_CHECK(infer < 0, "only one dimension can be inferred [", op, ": shape ", shape_str(shape), "]");
      infer = (int64_t)i;
    } else {
      GG_CHECK(shape[i] >= 0, "invalid shape dimension ", shape[i]);
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    GG_CHECK(known != 0 && numel % known == 0, "shape '", shape_str(shape), "' is invalid for input of size ", numel,
             " [", op, "]");
    out[infer] = numel / known;
  } else {
    GG_CHECK(known == numel, "shape '", shape_str(shape), "' is invalid for input of size ", numel, " [", op, "]");
  }
  return out;
}

Tensor record_view(const Tensor& out, const Tensor& in, const char* name, autograd::BackwardFn fn) {
  if (auto node = make_node(name, fn, {&in})) {
    node->shape = in->sizes;
    node->shape2 = in->strides;
    node->ints[0] = in->offset;
    attach(node, out);
  }
  return out;
}

TensorList view_backward(OpNode& n, TensorList& g) { return {reshape(g[0], n.shape)}; }

}  // namespace

Tensor view(const Tensor& t, const DimVec& shape) { return view_named(t, shape, "ViewBackward0"); }

Tensor ops::view_named(const Tensor& t, const DimVec& shape, const char* node_name) {
  DimVec sizes = infer_shape(shape, t->numel(), "view");
  auto strides = view_strides(t->sizes, t->strides, sizes);
  GG_CHECK(strides.has_value(),
           "view size is not compatible with input tensor's size and stride (at least one dimension spans across "
           "two contiguous subspaces). Use .reshape(...) instead.");
  Tensor out = make_view(t, sizes, *strides, t->offset);
  return record_view(out, t, node_name, view_backward);
}

Tensor reshape(const Tensor& t, const DimVec& shape) {
  DimVec sizes = infer_shape(shape, t->numel(), "reshape");
  if (view_strides(t->sizes, t->strides, sizes)) return view(t, sizes);
  // Not viewable: a contiguous copy (CloneBackward0), viewed (UnsafeViewBackward0 in PyTorch).
  Tensor c = clone(t);
  Tensor out = make_view(c, sizes, contiguous_strides(sizes), 0);
  out->is_view = false;
  out->view_base = nullptr;
  return record_view(out, c, "UnsafeViewBackward0", view_backward);
}

Tensor transpose(const Tensor& t, int64_t d0, int64_t d1) {
  int64_t n = t->dim();
  d0 = wrap_dim(d0, n, "transpose");
  d1 = wrap_dim(d1, n, "transpose");
  DimVec sizes = t->sizes, strides = t->strides;
  if (n > 0) {
    std::swap(sizes[d0], sizes[d1]);
    std::swap(strides[d0], strides[d1]);
  }
  Tensor out = make_view(t, sizes, strides, t->offset);
  if (auto node = make_node("TransposeBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        return {transpose(g[0], n.ints[0], n.ints[1])};
      }, {&t})) {
    node->ints[0] = d0;
    node->ints[1] = d1;
    attach(node, out);
  }
  return out;
}

Tensor t_(const Tensor& t) {
  GG_CHECK(t->dim() <= 2, "t() expects a tensor with <= 2 dimensions, but self is ", t->dim(), "D");
  DimVec sizes = t->sizes, strides = t->strides;
  if (t->dim() == 2) {
    std::swap(sizes[0], sizes[1]);
    std::swap(strides[0], strides[1]);
  }
  Tensor out = make_view(t, sizes, strides, t->offset);
  auto node = make_node("TBackward0", [](OpNode&, TensorList& g) -> TensorList { return {t_(g[0])}; }, {&t});
  attach(node, out);
  return out;
}

Tensor permute(const Tensor& t, const DimVec& dims) {
  const int64_t n = t->dim();
  GG_CHECK((int64_t)dims.size() == n, "permute(sparse_coo): number of dimensions in the tensor input does not match "
           "the length of the desired ordering of dimensions i.e. input.dim() = ", n, " is not equal to len(dims) = ",
           dims.size());
  DimVec sizes(n, 0), strides(n, 0), wrapped_dims(n, 0);
  std::vector<bool> seen(n, false);
  for (int64_t i = 0; i < n; ++i) {
    int64_t d = wrap_dim(dims[i], n, "permute");
    GG_CHECK(!seen[d], "permute(): duplicate dims are not allowed.");
    seen[d] = true;
    wrapped_dims[i] = d;
    sizes[i] = t->sizes[d];
    strides[i] = t->strides[d];
  }
  Tensor out = make_view(t, sizes, strides, t->offset);
  if (auto node = make_node("PermuteBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        DimVec inv(n.shape.size(), 0);
        for (size_t i = 0; i < n.shape.size(); ++i) inv[n.shape[i]] = (int64_t)i;
        return {permute(g[0], inv)};
      }, {&t})) {
    node->shape = wrapped_dims;
    attach(node, out);
  }
  return out;
}

Tensor expand(const Tensor& t, const DimVec& shape) {
  const int64_t n = (int64_t)shape.size(), nt = t->dim();
  GG_CHECK(n >= nt, "expand(", tensor_type_str(t), "{", shape_str(t->sizes), "}, size=", shape_str(shape),
           "): the number of sizes provided (", n, ") must be greater or equal to the number of dimensions in the tensor (",
           nt, ")");
  DimVec sizes(n, 0), strides(n, 0);
  for (int64_t i = n - 1; i >= 0; --i) {
    int64_t j = i - (n - nt);
    int64_t want = shape[i];
    if (j < 0) {
      GG_CHECK(want >= 0, "The expanded size of the tensor (", want, ") isn't allowed in a leading, non-existing dimension ", i);
      sizes[i] = want;
      strides[i] = 0;
    } else {
      int64_t have = t->sizes[j];
      if (want == -1) want = have;
      GG_CHECK(have == want || have == 1, "The expanded size of the tensor (", want,
               ") must match the existing size (", have, ") at non-singleton dimension ", i,
               ".  Target sizes: ", shape_str(shape), ".  Tensor sizes: ", shape_str(t->sizes));
      sizes[i] = want;
      strides[i] = have == want ? t->strides[j] : 0;
    }
  }
  Tensor out = make_view(t, sizes, strides, t->offset);
  if (auto node = make_node("ExpandBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        return {sum_to(g[0], n.shape)};
      }, {&t})) {
    node->shape = t->sizes;
    attach(node, out);
  }
  return out;
}

Tensor squeeze(const Tensor& t) {
  DimVec sizes, strides;
  for (int64_t d = 0; d < t->dim(); ++d)
    if (t->sizes[d] != 1) {
      sizes.push_back(t->sizes[d]);
      strides.push_back(t->strides[d]);
    }
  Tensor out = make_view(t, sizes, strides, t->offset);
  return record_view(out, t, "SqueezeBackward0", view_backward);
}

Tensor squeeze_dim(const Tensor& t, int64_t dim) { return squeeze_named(t, dim, "SqueezeBackward1"); }

Tensor ops::squeeze_named(const Tensor& t, int64_t dim, const char* node_name) {
  dim = wrap_dim(dim, t->dim(), "squeeze");
  DimVec sizes = t->sizes, strides = t->strides;
  if (t->dim() > 0 && t->sizes[dim] == 1) {
    sizes.erase(dim);
    strides.erase(dim);
  }
  Tensor out = make_view(t, sizes, strides, t->offset);
  return record_view(out, t, node_name, view_backward);
}

Tensor unsqueeze(const Tensor& t, int64_t dim) {
  dim = wrap_dim(dim, t->dim() + 1, "unsqueeze");
  DimVec sizes = t->sizes, strides = t->strides;
  int64_t st = dim < t->dim() ? t->sizes[dim] * t->strides[dim] : 1;
  sizes.insert(dim, 1);
  strides.insert(dim, st);
  Tensor out = make_view(t, sizes, strides, t->offset);
  return record_view(out, t, "UnsqueezeBackward0", view_backward);
}

Tensor flatten(const Tensor& t, int64_t start_dim, int64_t end_dim) {
  if (t->dim() == 0) return reshape(t, DimVec{1});
  start_dim = wrap_dim(start_dim, t->dim(), "flatten");
  end_dim = wrap_dim(end_dim, t->dim(), "flatten");
  GG_CHECK(start_dim <= end_dim, "flatten() has invalid args: start_dim cannot come after end_dim");
  if (start_dim == end_dim) return t;
  DimVec shape;
  for (int64_t d = 0; d < start_dim; ++d) shape.push_back(t->sizes[d]);
  int64_t m = 1;
  for (int64_t d = start_dim; d <= end_dim; ++d) m *= t->sizes[d];
  shape.push_back(m);
  for (int64_t d = end_dim + 1; d < t->dim(); ++d) shape.push_back(t->sizes[d]);
  return reshape(t, shape);
}

Tensor slice(const Tensor& t, int64_t dim, std::optional<int64_t> start_opt, std::optional<int64_t> end_opt,
             int64_t step) {
  GG_CHECK(t->dim() > 0, "slice() cannot be applied to a 0-dim tensor.");
  GG_CHECK(step > 0, "slice step must be positive");
  dim = wrap_dim(dim, t->dim(), "unflatten");
  const int64_t size = t->sizes[dim];
  int64_t start = start_opt.value_or(0), end = end_opt.value_or(size);
  if (start < 0) start += size;
  if (end < 0) end += size;
  start = std::min(std::max<int64_t>(start, 0), size);
  end = std::min(std::max<int64_t>(end, start), size);
  DimVec sizes = t->sizes, strides = t->strides;
  sizes[dim] = (end - start + step - 1) / step;
  strides[dim] *= step;
  Tensor out = make_view(t, sizes, strides, t->offset + start * t->strides[dim]);
  if (auto node = make_node("SliceBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        return {slice_backward(g[0], n.shape, n.ints[0], n.ints[1], n.ints[2], n.ints[3])};
      }, {&t})) {
    node->shape = t->sizes;
    node->ints[0] = dim;
    node->ints[1] = start;
    node->ints[2] = end;
    node->ints[3] = step;
    attach(node, out);
  }
  return out;
}

// The VJP of slice: zeros of the input's shape with the gradient written into the slice.
// Its own VJP is the slice again, so double backward works.
Tensor slice_backward(const Tensor& g, const DimVec& shape, int64_t dim, int64_t start, int64_t end, int64_t step) {
  Tensor out = empty(shape, g->dtype, g->device());
  zero_(out);
  copy_into(slice(detach(out), dim, start, end, step), g);
  if (auto node = make_node("SliceBackwardBackward0", [](OpNode& n, TensorList& gg) -> TensorList {
        return {slice(gg[0], n.ints[0], n.ints[1], n.ints[2], n.ints[3])};
      }, {&g})) {
    node->ints[0] = dim;
    node->ints[1] = start;
    node->ints[2] = end;
    node->ints[3] = step;
    attach(node, out);
  }
  return out;
}

Tensor narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length) {
  GG_CHECK(t->dim() > 0, "narrow() cannot be applied to a 0-dim tensor.");
  dim = wrap_dim(dim, t->dim(), "narrow");
  const int64_t size = t->sizes[dim];
  GG_CHECK_KIND(start >= -size && start <= size, Index, "start out of range (expected to be in range of [", -size,
                ", ", size, "], but got ", start, ")");
  if (start < 0) start += size;
  GG_CHECK(length >= 0 && start + length <= size, "start (", start, ") + length (", length,
           ") exceeds dimension size (", size, "). [narrow: input shape ", shape_str(t->sizes), "]");
  return slice(t, dim, start, start + length, 1);
}

Tensor select(const Tensor& t, int64_t dim, int64_t index) {
  GG_CHECK_KIND(t->dim() > 0, Index, "select() cannot be applied to a 0-dim tensor.");
  dim = wrap_dim(dim, t->dim(), "select");
  const int64_t size = t->sizes[dim];
  GG_CHECK_KIND(index >= -size && index < size, Index, "index ", index, " is out of bounds for dimension ", dim,
                " with size ", size, " [select: input shape ", shape_str(t->sizes), "]");
  if (index < 0) index += size;
  DimVec sizes = t->sizes, strides = t->strides;
  int64_t off = t->offset + index * strides[dim];
  sizes.erase(dim);
  strides.erase(dim);
  Tensor out = make_view(t, sizes, strides, off);
  if (auto node = make_node("SelectBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        return {slice_backward(unsqueeze(g[0], n.ints[0]), n.shape, n.ints[0], n.ints[1], n.ints[1] + 1, 1)};
      }, {&t})) {
    node->shape = t->sizes;
    node->ints[0] = dim;
    node->ints[1] = index;
    attach(node, out);
  }
  return out;
}

Tensor sum_to(const Tensor& t, const DimVec& shape) {
  if (t->sizes == shape) return t;
  const int64_t lead = t->dim() - (int64_t)shape.size();
  GG_CHECK(lead >= 0, "[sum_to] cannot sum ", shape_str(t->sizes), " to ", shape_str(shape));
  DimVec dims;
  for (int64_t d = 0; d < t->dim(); ++d) {
    if (d < lead) {
      dims.push_back(d);
    } else if (shape[d - lead] == 1 && t->sizes[d] != 1) {
      dims.push_back(d);
    } else {
      GG_CHECK(shape[d - lead] == t->sizes[d], "[sum_to] cannot sum ", shape_str(t->sizes), " to ", shape_str(shape));
    }
  }
  Tensor r = dims.empty() ? t : sum(t, dims, true);
  if (lead > 0 || r->sizes != shape) r = view(r, shape);
  return r;
}

}  // namespace gg
