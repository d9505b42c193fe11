// Shape and indexing ops (cat, stack, split, gather, scatter, advanced indexing, repeat,
// roll, flip, tril/triu, diag): forward and VJP side by side. Index kernels move elements
// by their byte size (no per-dtype code) and bounds-check every index before reading.
#include <algorithm>
#include <cstring>

#include "ops/internal.h"

namespace gg {
using namespace ops;
using autograd::make_node;

namespace {

// PyTorch prints shapes in these messages as lists: [6, 4].
std::string lst(const DimVec& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

// A view of `t` (or `t` itself) that records nothing: forward kernels work on these.
Tensor raw(const Tensor& t) { return t->requires_grad() ? detach(t) : t; }

Tensor zeros_raw(const DimVec& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  if (t->numel()) std::memset(t->raw_data(), 0, t->numel() * t->element_size());
  return t;
}

Tensor contiguous_raw(const Tensor& t) { return cast_raw(raw(t), t->dtype); }

// Element offsets of every position of (sizes, strides) in row-major order.
std::vector<int64_t> offsets_of(const int64_t* sizes, const int64_t* strides, int64_t nd) {
  int64_t n = 1;
  for (int64_t d = 0; d < nd; ++d) n *= sizes[d];
  std::vector<int64_t> out((size_t)n);
  if (n == 0) return out;
  DimVec idx(nd, 0);
  int64_t off = 0;
  for (int64_t i = 0; i < n; ++i) {
    out[i] = off;
    for (int64_t d = nd - 1; d >= 0; --d) {
      if (++idx[d] < sizes[d]) {
        off += strides[d];
        break;
      }
      off -= strides[d] * (sizes[d] - 1);
      idx[d] = 0;
    }
  }
  return out;
}
std::vector<int64_t> offsets_of(const DimVec& sizes, const DimVec& strides) {
  return offsets_of(sizes.begin(), strides.begin(), (int64_t)sizes.size());
}

// Calls fn(type_tag<U>) with an unsigned type of the given element size (for moving bytes).
template <typename F>
void by_size(size_t es, F&& fn) {
  switch (es) {
    case 1: fn(type_tag<uint8_t>{}); return;
    case 4: fn(type_tag<uint32_t>{}); return;
    case 8: fn(type_tag<uint64_t>{}); return;
  }
  GG_ASSERT(false);
}

// An int64 index value read from an int32/int64 tensor at element offset `off`.
inline int64_t read_index(const Tensor& idx, int64_t off) {
  return idx->dtype == DType::Int64 ? idx->data<int64_t>()[off] : (int64_t)idx->data<int32_t>()[off];
}

// Advanced indexing wraps negative indices; gather/scatter/index_select/index_add do not.
inline int64_t check_index(int64_t v, int64_t size, int64_t dim, ErrorKind kind, const char* suffix = "",
                           bool allow_negative = true) {
  if (v < (allow_negative ? -size : 0) || v >= size) fail(kind, "index ", v, " is out of bounds for dimension ", dim, " with size ", size, suffix);
  return v < 0 ? v + size : v;
}

DType dtype_of_list(const TensorList& ts) {
  std::vector<const Tensor*> ptrs;
  for (auto& t : ts) ptrs.push_back(&t);
  return result_type(ptrs.data(), ptrs.size());
}

}  // namespace

// ================================================================ cat / stack

Tensor cat(const TensorList& ts, int64_t dim) {
  GG_CHECK_KIND(!ts.empty(), Value, "torch.cat(): expected a non-empty list of Tensors");
  // Legacy: 1-D empty tensors are skipped whatever their shape elsewhere.
  auto skipped = [](const Tensor& t) { return t->dim() == 1 && t->numel() == 0; };
  const Tensor* ref = nullptr;
  for (size_t i = 0; i < ts.size(); ++i) {
    GG_CHECK(ts[i]->dim() > 0, "zero-dimensional tensor (at position ", i, ") cannot be concatenated");
    check_device(ts[i], "cat");
    if (!ref && !skipped(ts[i])) ref = &ts[i];
  }
  const DType dt = dtype_of_list(ts);
  if (!ref) ref = &ts[0];
  const int64_t nd = (*ref)->dim();
  dim = wrap_dim(dim, nd, "cat");
  DimVec out_sizes = (*ref)->sizes;
  int64_t total = 0;
  for (size_t i = 0; i < ts.size(); ++i) {
    const Tensor& t = ts[i];
    if (skipped(t) && &t != ref) continue;
    GG_CHECK(t->dim() == nd, "Tensors must have same number of dimensions: got ", nd, " and ", t->dim(),
             " [cat: shapes ", lst((*ref)->sizes), " and ", lst(t->sizes), "]");
    for (int64_t d = 0; d < nd; ++d)
      GG_CHECK(d == dim || t->sizes[d] == out_sizes[d], "Sizes of tensors must match except in dimension ", dim,
               ". Expected size ", out_sizes[d], " but got size ", t->sizes[d], " for tensor number ", i,
               " in the list. [cat: shapes ", lst((*ref)->sizes), " and ", lst(t->sizes), "]");
    total += t->sizes[dim];
  }
  out_sizes[dim] = total;
  Tensor out = empty(out_sizes, dt, (*ref)->device());
  DimVec lens(ts.size(), -1), dtypes(ts.size(), 0);
  int64_t off = 0;
  for (size_t i = 0; i < ts.size(); ++i) {
    const Tensor& t = ts[i];
    dtypes[i] = int64_t(t->dtype);
    if (skipped(t) && &t != ref) continue;
    lens[i] = t->sizes[dim];
    if (lens[i]) copy_into(narrow(out, dim, off, lens[i]), raw(t));
    off += lens[i];
  }
  if (auto node = make_node("CatBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        TensorList r;
        int64_t off = 0;
        for (size_t i = 0; i < n.shape.size(); ++i) {
          const int64_t len = n.shape[i];
          if (!n.needs_input_grad(i)) {
            r.push_back(Tensor());
          } else if (len < 0) {
            r.push_back(zeros_raw(DimVec{0}, DType(n.shape2[i])));
          } else {
            r.push_back(to_dtype(narrow(g[0], n.ints[0], off, len), DType(n.shape2[i])));
          }
          off += std::max<int64_t>(len, 0);
        }
        return r;
      }, ts)) {
    node->shape = lens;
    node->shape2 = dtypes;
    node->ints[0] = dim;
    attach(node, out);
  }
  return out;
}

Tensor stack(const TensorList& ts, int64_t dim) {
  GG_CHECK(!ts.empty(), "stack expects a non-empty TensorList");
  const DimVec& s0 = ts[0]->sizes;
  for (size_t i = 1; i < ts.size(); ++i)
    GG_CHECK(ts[i]->sizes == s0, "stack expects each tensor to be equal size, but got ", lst(s0), " at entry 0 and ",
             lst(ts[i]->sizes), " at entry ", i);
  for (auto& t : ts) check_device(t, "stack");
  dim = wrap_dim(dim, (int64_t)s0.size() + 1, "stack");
  DimVec out_sizes = s0;
  out_sizes.insert(dim, (int64_t)ts.size());
  Tensor out = empty(out_sizes, dtype_of_list(ts), ts[0]->device());
  DimVec dtypes(ts.size(), 0);
  for (size_t i = 0; i < ts.size(); ++i) {
    dtypes[i] = int64_t(ts[i]->dtype);
    if (out->numel()) copy_into(select(out, dim, (int64_t)i), raw(ts[i]));
  }
  if (auto node = make_node("StackBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        TensorList r;
        for (size_t i = 0; i < n.shape2.size(); ++i)
          r.push_back(n.needs_input_grad(i) ? to_dtype(select(g[0], n.ints[0], (int64_t)i), DType(n.shape2[i]))
                                            : Tensor());
        return r;
      }, ts)) {
    node->shape2 = dtypes;
    node->ints[0] = dim;
    attach(node, out);
  }
  return out;
}

// ================================================================ split / chunk / unbind
// Outputs are views of the input; one node with an output per piece. A piece no gradient
// reached contributes zeros.

namespace {
Tensor grad_or_zeros(TensorList& g, size_t i, const DimVec& shape) {
  if (i < g.size() && g[i]) return g[i];
  DType dt = DType::Float32;
  for (auto& x : g)
    if (x) dt = x->dtype;
  return zeros_raw(shape, dt);
}

std::vector<Tensor> split_impl(const Tensor& t, const DimVec& sizes, int64_t dim, const char* node_name) {
  std::vector<Tensor> outs;
  int64_t start = 0;
  for (int64_t len : sizes) {
    DimVec s = t->sizes;
    s[dim] = len;
    outs.push_back(make_view(t, s, t->strides, t->offset + start * t->strides[dim]));
    start += len;
  }
  if (auto node = make_node(node_name, [](OpNode& n, TensorList& g) -> TensorList {
        TensorList parts;
        for (size_t i = 0; i < n.shape2.size(); ++i) {
          DimVec s = n.shape;
          s[n.ints[0]] = n.shape2[i];
          parts.push_back(grad_or_zeros(g, i, s));
        }
        return {cat(parts, n.ints[0])};
      }, {&t})) {
    node->shape = t->sizes;
    node->shape2 = sizes;
    node->ints[0] = dim;
    for (size_t i = 0; i < outs.size(); ++i) attach(node, outs[i], (uint32_t)i);
  }
  return outs;
}
}  // namespace

std::vector<Tensor> split_with_sizes(const Tensor& t, const DimVec& sizes, int64_t dim) {
  GG_CHECK(t->dim() > 0, "split expects at least a 1-dimensional tensor");
  dim = wrap_dim(dim, t->dim(), "split_with_sizes");
  int64_t sum = 0;
  for (int64_t s : sizes) {
    GG_CHECK(s >= 0, "split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes=",
             lst(sizes));
    sum += s;
  }
  GG_CHECK(sum == t->sizes[dim], "split_with_sizes expects split_sizes to sum exactly to ", t->sizes[dim],
           " (input tensor's size at dimension ", dim, "), but got split_sizes=", lst(sizes));
  return split_impl(t, sizes, dim, "SplitWithSizesBackward0");
}

std::vector<Tensor> split(const Tensor& t, int64_t split_size, int64_t dim) {
  GG_CHECK(t->dim() > 0, "split expects at least a 1-dimensional tensor");
  dim = wrap_dim(dim, t->dim(), "split");
  const int64_t size = t->sizes[dim];
  GG_CHECK(split_size >= 0, "split expects split_size be non-negative, but got split_size=", split_size);
  GG_CHECK(split_size > 0 || size == 0, "split_size can only be 0 if dimension size is 0, but got dimension size of ",
           size);
  DimVec sizes;
  if (size == 0) {
    sizes.push_back(0);
  } else {
    for (int64_t s = 0; s < size; s += split_size) sizes.push_back(std::min(split_size, size - s));
  }
  return split_impl(t, sizes, dim, "SplitBackward0");
}

std::vector<Tensor> chunk(const Tensor& t, int64_t chunks, int64_t dim) {
  GG_CHECK(t->dim() > 0, "chunk expects at least a 1-dimensional tensor");
  GG_CHECK(chunks > 0, "chunk expects `chunks` to be greater than 0, got: ", chunks);
  const int64_t size = t->sizes[wrap_dim(dim, t->dim(), "chunk")];
  // An empty dim still gives `chunks` (empty) pieces, through split_with_sizes as in PyTorch.
  if (size == 0) return split_with_sizes(t, DimVec(chunks, 0), dim);
  return split(t, (size + chunks - 1) / chunks, dim);
}

std::vector<Tensor> unbind(const Tensor& t, int64_t dim) {
  GG_CHECK_KIND(t->dim() > 0, Index, "Dimension specified as 0 but tensor has no dimensions");
  dim = wrap_dim(dim, t->dim(), "unbind");
  std::vector<Tensor> outs;
  DimVec s = t->sizes, st = t->strides;
  s.erase(dim);
  st.erase(dim);
  for (int64_t i = 0; i < t->sizes[dim]; ++i) outs.push_back(make_view(t, s, st, t->offset + i * t->strides[dim]));
  if (auto node = make_node("UnbindBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        DimVec s = n.shape;
        s.erase(n.ints[0]);
        TensorList parts;
        for (int64_t i = 0; i < n.shape[n.ints[0]]; ++i) parts.push_back(grad_or_zeros(g, (size_t)i, s));
        return {stack(parts, n.ints[0])};
      }, {&t})) {
    node->shape = t->sizes;
    node->ints[0] = dim;
    for (size_t i = 0; i < outs.size(); ++i) attach(node, outs[i], (uint32_t)i);
  }
  return outs;
}

// ================================================================ advanced indexing
// Note [Index plan]
// `indices` has one entry per dim of self (null: the whole dim). The indexed dims are
// moved together (to the front when they are not adjacent, as NumPy and PyTorch do), so
// self reads as [outer dims][indexed dims][inner dims]; the indices broadcast to a shape B
// and the result is outer + B + inner. Each position of B becomes one element offset into
// self (bounds-checked once), so the kernels are three nested offset loops. A lone boolean
// mask stays a mask (at its first dim, nulls for the other dims it covers): its offsets come
// straight from its true elements, with no index tensors made (mask_plan).

namespace {

struct IndexPlan {
  DimVec result_sizes;
  std::vector<int64_t> outer_off, idx_off, inner_off;
  bool inner_contiguous = false;  // inner_off[i] == i
};

DimVec broadcast_index_shapes(const TensorList& idx) {
  DimVec b;
  bool first = true;
  for (auto& t : idx) {
    if (!t) continue;
    if (first) {
      b = t->sizes;
      first = false;
      continue;
    }
    const int64_t n = std::max<int64_t>((int64_t)b.size(), t->dim());
    DimVec r(n, 1);
    bool ok = true;
    for (int64_t i = 0; i < n; ++i) {
      int64_t x = i - (n - (int64_t)b.size()) >= 0 ? b[i - (n - (int64_t)b.size())] : 1;
      int64_t y = i - (n - t->dim()) >= 0 ? t->sizes[i - (n - t->dim())] : 1;
      if (x != y && x != 1 && y != 1) ok = false;
      r[i] = x == 1 ? y : x;
    }
    if (!ok) {
      std::string shapes;
      for (auto& u : idx)
        if (u) shapes += (shapes.empty() ? "" : ", ") + lst(u->sizes);
      fail(ErrorKind::Index, "shape mismatch: indexing tensors could not be broadcast together with shapes ", shapes);
    }
    b = r;
  }
  return b;
}

// A lone boolean mask over dims [d, d + mask.dim()): B is (number of true elements,), and the
// offsets come straight from the mask (no index tensors are made).
IndexPlan mask_plan(const Tensor& self, int64_t d0, const Tensor& mask) {
  IndexPlan p;
  const int64_t m = mask->dim(), nd = self->dim();
  DimVec outer_s, outer_st, inner_s, inner_st;
  for (int64_t d = 0; d < d0; ++d) {
    outer_s.push_back(self->sizes[d]);
    outer_st.push_back(self->strides[d]);
  }
  for (int64_t d = d0 + m; d < nd; ++d) {
    inner_s.push_back(self->sizes[d]);
    inner_st.push_back(self->strides[d]);
  }
  Tensor mc = cast_raw(mask, DType::Bool);
  const bool* mp = mc->data<bool>();
  const int64_t n = mc->numel();
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) count += mp[i];
  p.idx_off.resize((size_t)count);
  DimVec coord(m, 0);
  int64_t off = 0, j = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (mp[i]) p.idx_off[j++] = off;
    for (int64_t d = m - 1; d >= 0; --d) {
      if (++coord[d] < mask->sizes[d]) {
        off += self->strides[d0 + d];
        break;
      }
      off -= self->strides[d0 + d] * (mask->sizes[d] - 1);
      coord[d] = 0;
    }
  }
  p.result_sizes = outer_s;
  p.result_sizes.push_back(count);
  for (int64_t s : inner_s) p.result_sizes.push_back(s);
  p.outer_off = offsets_of(outer_s, outer_st);
  p.inner_off = offsets_of(inner_s, inner_st);
  p.inner_contiguous = true;
  for (size_t i = 0; i < p.inner_off.size() && p.inner_contiguous; ++i) p.inner_contiguous = p.inner_off[i] == (int64_t)i;
  return p;
}

IndexPlan make_plan(const Tensor& self, const TensorList& indices, ErrorKind oob_kind, const char* oob_suffix,
                    bool allow_negative = true) {
  const int64_t nd = self->dim();
  GG_ASSERT((int64_t)indices.size() == nd);
  IndexPlan p;
  DimVec D;
  for (int64_t d = 0; d < nd; ++d)
    if (indices[d]) D.push_back(d);
  const int64_t k = (int64_t)D.size();
  GG_ASSERT(k > 0);
  if (k == 1 && indices[D[0]]->dtype == DType::Bool) return mask_plan(self, D[0], indices[D[0]]);
  DimVec B = broadcast_index_shapes(indices);
  const bool adjacent = D.back() - D[0] + 1 == k;
  DimVec order;  // self's dims as [outer][indexed][inner]
  int64_t p0 = adjacent ? D[0] : 0;
  if (adjacent) {
    for (int64_t d = 0; d < nd; ++d) order.push_back(d);
  } else {
    for (int64_t d : D) order.push_back(d);
    for (int64_t d = 0; d < nd; ++d)
      if (!indices[d]) order.push_back(d);
  }
  DimVec outer_s, outer_st, inner_s, inner_st;
  for (int64_t i = 0; i < p0; ++i) {
    outer_s.push_back(self->sizes[order[i]]);
    outer_st.push_back(self->strides[order[i]]);
  }
  for (int64_t i = p0 + k; i < nd; ++i) {
    inner_s.push_back(self->sizes[order[i]]);
    inner_st.push_back(self->strides[order[i]]);
  }
  p.result_sizes = outer_s;
  for (int64_t b : B) p.result_sizes.push_back(b);
  for (int64_t s : inner_s) p.result_sizes.push_back(s);
  p.outer_off = offsets_of(outer_s, outer_st);
  p.inner_off = offsets_of(inner_s, inner_st);
  p.inner_contiguous = true;
  for (size_t i = 0; i < p.inner_off.size() && p.inner_contiguous; ++i) p.inner_contiguous = p.inner_off[i] == (int64_t)i;
  // One offset per position of B.
  const int64_t nb = shape_numel(B);
  p.idx_off.assign((size_t)nb, 0);
  for (int64_t d : D) {
    const Tensor& it = indices[d];
    const int64_t size = self->sizes[d], stride = self->strides[d];
    DimVec bst(B.size(), 0);
    const int64_t shift = (int64_t)B.size() - it->dim();
    for (int64_t j = 0; j < it->dim(); ++j) bst[j + shift] = it->sizes[j] == 1 ? 0 : it->strides[j];
    std::vector<int64_t> io = offsets_of(B, bst);
    for (int64_t b = 0; b < nb; ++b)
      p.idx_off[b] += check_index(read_index(it, io[b]), size, d, oob_kind, oob_suffix, allow_negative) * stride;
  }
  return p;
}

// out (contiguous, result_sizes) = self[plan]
void gather_plan(const Tensor& out, const Tensor& self, const IndexPlan& p) {
  if (out->numel() == 0) return;
  by_size(self->element_size(), [&](auto tag) {
    using U = typename decltype(tag)::type;
    const U* src = static_cast<const U*>(self->raw_data());
    U* o = static_cast<U*>(out->raw_data());
    const int64_t ni = (int64_t)p.inner_off.size();
    for (int64_t oo : p.outer_off)
      for (int64_t bo : p.idx_off) {
        const U* s = src + oo + bo;
        if (ni == 1) {
          *o = *s;
        } else if (p.inner_contiguous) {
          std::memcpy(o, s, ni * sizeof(U));
        } else {
          for (int64_t i = 0; i < ni; ++i) o[i] = s[p.inner_off[i]];
        }
        o += ni;
      }
  });
}

// self[plan] = values (or +=), values contiguous with result_sizes and self's dtype.
void scatter_plan(const Tensor& self, const Tensor& values, const IndexPlan& p, bool accumulate) {
  if (values->numel() == 0) return;
  const int64_t ni = (int64_t)p.inner_off.size();
  auto run = [&](auto tag, auto op) {
    using U = typename decltype(tag)::type;
    U* dst = static_cast<U*>(self->raw_data());
    const U* v = static_cast<const U*>(values->raw_data());
    for (int64_t oo : p.outer_off)
      for (int64_t bo : p.idx_off) {
        U* d = dst + oo + bo;
        for (int64_t i = 0; i < ni; ++i) op(d[p.inner_off[i]], v[i]);
        v += ni;
      }
  };
  if (accumulate) {
    dispatch<kAll>(self->dtype, "index_put_", [&](auto tag) {
      using T = typename decltype(tag)::type;
      run(tag, [](T& d, T v) { d = T(d + v); });
    });
  } else {
    by_size(self->element_size(), [&](auto tag) {
      using U = typename decltype(tag)::type;
      run(tag, [](U& d, U v) { d = v; });
    });
  }
}

// Replaces boolean masks by the long indices of their true elements, one per dim they cover;
// returns one entry per dim of self.
TensorList expand_indices(const Tensor& self, const TensorList& indices) {
  TensorList out;
  int64_t dim = 0;
  int64_t defined = 0;
  for (auto& it : indices) defined += (bool)it;
  const bool lone_mask = defined == 1;
  for (auto& it : indices) {
    if (!it) {
      out.push_back(Tensor());
      ++dim;
      continue;
    }
    if (it->dtype == DType::Bool) {
      GG_CHECK_KIND(dim + it->dim() <= self->dim(), Index, "too many indices for tensor of dimension ", self->dim());
      for (int64_t j = 0; j < it->dim(); ++j)
        if (it->sizes[j] != self->sizes[dim + j])
          fail(ErrorKind::Index, "The shape of the mask ", lst(it->sizes), " at index ", j,
               " does not match the shape of the indexed tensor ", lst(self->sizes), " at index ", dim + j);
      GG_CHECK_KIND(it->dim() > 0, Index, "[index] indexing with a 0-dim boolean tensor is not supported yet");
      if (lone_mask) {  // Note [Index plan]: kept as a mask, one entry for the dims it covers
        out.push_back(it);
        for (int64_t j = 1; j < it->dim(); ++j) out.push_back(Tensor());
        dim += it->dim();
        continue;
      }
      Tensor nz = nonzero(it);
      for (int64_t j = 0; j < it->dim(); ++j) out.push_back(select(nz, 1, j));
      dim += it->dim();
    } else {
      GG_CHECK_KIND(it->dtype == DType::Int64 || it->dtype == DType::Int32, Index,
                    "tensors used as indices must be long, int, byte or bool tensors");
      out.push_back(it);
      ++dim;
    }
  }
  GG_CHECK_KIND(dim <= self->dim(), Index, "too many indices for tensor of dimension ", self->dim());
  while ((int64_t)out.size() < self->dim()) out.push_back(Tensor());
  return out;
}

void save_indices(OpNode& n, const TensorList& idx) {
  for (auto& t : idx) n.save("indices", t);
  n.ints[3] = (int64_t)idx.size();
}
TensorList load_indices(OpNode& n, size_t first) {
  TensorList r;
  for (int64_t i = 0; i < n.ints[3]; ++i) r.push_back(n.get(first + i));
  return r;
}

Tensor index_expanded(const Tensor& self, const TensorList& idx);
Tensor index_put_expanded(const Tensor& self, const TensorList& idx, const Tensor& values, bool accumulate);

TensorList index_backward(OpNode& n, TensorList& g) {
  Tensor z = zeros_raw(n.shape, g[0]->dtype);
  Tensor r = index_put_expanded(z, load_indices(n, 0), g[0], true);
  if (n.shape2.size() && n.shape2 != n.shape) r = sum_to(r, n.shape2);  // masked_select broadcast
  return {r};
}

Tensor index_expanded(const Tensor& self, const TensorList& idx) {
  check_device(self, "index");
  Tensor s = raw(self);
  IndexPlan p = make_plan(s, idx, ErrorKind::Index, "");
  Tensor out = empty(p.result_sizes, self->dtype, self->device());
  gather_plan(out, s, p);
  if (auto node = make_node("IndexBackward0", index_backward, {&self})) {
    node->shape = self->sizes;
    save_indices(*node, idx);
    attach(node, out);
  }
  return out;
}

Tensor values_for(const Tensor& values, const DimVec& result_sizes, DType dtype) {
  bool ok = values->dim() <= (int64_t)result_sizes.size();
  for (int64_t i = 0; ok && i < values->dim(); ++i) {
    int64_t v = values->sizes[values->dim() - 1 - i], r = result_sizes[result_sizes.size() - 1 - i];
    ok = v == r || v == 1;
  }
  GG_CHECK(ok, "shape mismatch: value tensor of shape ", lst(values->sizes),
           " cannot be broadcast to indexing result of shape ", lst(result_sizes), " [index_put]");
  Tensor v = raw(values);
  if (v->sizes != result_sizes || !v->is_contiguous() || v->dtype != dtype) {
    Tensor c = empty(result_sizes, dtype, v->device());
    copy_into(c, v);
    v = c;
  }
  return v;
}

Tensor index_put_expanded(const Tensor& self, const TensorList& idx, const Tensor& values, bool accumulate) {
  check_same_device(self, values, "index_put");
  Tensor out = clone(raw(self));
  IndexPlan p = make_plan(out, idx, ErrorKind::Index, "");
  scatter_plan(out, values_for(values, p.result_sizes, out->dtype), p, accumulate);
  if (auto node = make_node("IndexPutBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        TensorList idx = load_indices(n, 0);
        Tensor gs, gv;
        if (n.needs_input_grad(0))
          gs = n.ints[0] ? g[0] : index_put_expanded(g[0], idx, zeros_raw(DimVec{}, g[0]->dtype), false);
        if (n.needs_input_grad(1)) gv = grad_for_input(index_expanded(g[0], idx), n.shape2, DType(n.ints[1]));
        return {gs, gv};
      }, {&self, &values})) {
    node->ints[0] = accumulate;
    node->ints[1] = int64_t(values->dtype);
    node->shape2 = values->sizes;
    save_indices(*node, idx);
    attach(node, out);
  }
  return out;
}

}  // namespace

// After an in-place op computed `result` out of place from `self` (its input 0) and wrote it
// back: a view's base gets a CopySlices wrapping result's node (PyTorch's graph), anything
// else takes result's history.
static void rebase(const Tensor& self, const Tensor& result) {
  if (self->is_view && self->view_base && autograd::grad_fn(result))
    autograd::rebase_history_wrapping(self, autograd::grad_fn(result));
  else
    autograd::rebase_history(self, result);
}

Tensor index(const Tensor& self, const TensorList& indices) {
  return index_expanded(self, expand_indices(self, indices));
}

Tensor index_put(const Tensor& self, const TensorList& indices, const Tensor& values, bool accumulate) {
  GG_CHECK(values->dtype == self->dtype, "Index put requires the source and destination dtypes match, got ",
           short_name(self->dtype), " for the destination and ", short_name(values->dtype), " for the source.");
  return index_put_expanded(self, expand_indices(self, indices), values, accumulate);
}

Tensor index_put_(const Tensor& self, const TensorList& indices, const Tensor& values, bool accumulate) {
  GG_CHECK(values->dtype == self->dtype, "Index put requires the source and destination dtypes match, got ",
           short_name(self->dtype), " for the destination and ", short_name(values->dtype), " for the source.");
  autograd::check_inplace(self, "index_put_");
  check_same_device(self, values, "index_put_");
  TensorList idx = expand_indices(self, indices);
  if (grad_enabled() && (self->requires_grad() || values->requires_grad())) {
    Tensor result = index_put_expanded(self, idx, values, accumulate);
    copy_into(self, result);
    self->bump_version();
    rebase(self, result);
    return self;
  }
  IndexPlan p = make_plan(self, idx, ErrorKind::Index, "");
  scatter_plan(self, values_for(values, p.result_sizes, self->dtype), p, accumulate);
  self->bump_version();
  return self;
}

Tensor nonzero(const Tensor& t) {
  check_device(t, "nonzero");
  Tensor c = contiguous_raw(t);
  const int64_t n = c->numel(), nd = c->dim();
  Tensor out;
  dispatch<kAll>(c->dtype, "nonzero", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = c->data<T>();
    int64_t count = 0;
    for (int64_t i = 0; i < n; ++i) count += p[i] != T(0);
    out = empty(DimVec{count, nd}, DType::Int64);
    int64_t* o = out->data<int64_t>();
    DimVec coord(nd, 0);
    for (int64_t i = 0; i < n; ++i) {
      if (p[i] != T(0)) {
        for (int64_t d = 0; d < nd; ++d) o[d] = coord[d];
        o += nd;
      }
      for (int64_t d = nd - 1; d >= 0; --d) {
        if (++coord[d] < c->sizes[d]) break;
        coord[d] = 0;
      }
    }
  });
  return out;
}

Tensor masked_select(const Tensor& self, const Tensor& mask) {
  GG_CHECK(mask->dtype == DType::Bool, "masked_select: expected BoolTensor for mask");
  check_same_device(self, mask, "masked_select");
  DimVec shape = broadcast_shapes(self->sizes, mask->sizes, "masked_select");
  if (shape.empty()) return masked_select(reshape(self, DimVec{1}), reshape(mask, DimVec{1}));
  Tensor s = raw(self);
  if (s->sizes != shape) s = expand(s, shape);
  Tensor m = mask->sizes == shape ? mask : expand(raw(mask), shape);
  TensorList idx = expand_indices(s, TensorList{m});
  IndexPlan p = make_plan(s, idx, ErrorKind::Index, "");
  Tensor out = empty(p.result_sizes, self->dtype, self->device());
  gather_plan(out, s, p);
  if (auto node = make_node("MaskedSelectBackward0", index_backward, {&self})) {
    node->shape = shape;
    node->shape2 = self->sizes;
    save_indices(*node, idx);
    attach(node, out);
  }
  return out;
}

// ================================================================ index_select / index_add

namespace {
TensorList at_dim(int64_t nd, int64_t dim, const Tensor& index) {
  TensorList idx(nd, Tensor());
  idx[dim] = index->dim() == 0 ? reshape(index, DimVec{1}) : index;
  return idx;
}
}  // namespace

Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index) {
  GG_CHECK_KIND(index->dim() <= 1, Index, "index_select(): Index is supposed to be a vector");
  GG_CHECK(index->dtype == DType::Int64 || index->dtype == DType::Int32,
           "index_select(): Expected dtype int32 or int64 for index");
  check_same_device(self, index, "index_select");
  if (self->dim() == 0) return reshape(index_select(reshape(self, DimVec{1}), dim, index), index->sizes);
  Tensor s = raw(self);
  dim = wrap_dim(dim, s->dim(), "index_select");
  GG_CHECK(s->sizes[dim] > 0 || index->numel() == 0, "index_select(): self indexing axis dim should be positive");
  IndexPlan p = make_plan(s, at_dim(s->dim(), dim, index), ErrorKind::Index,
                          " (index_select(): index out of range in self)", false);
  Tensor out = empty(p.result_sizes, self->dtype, self->device());
  gather_plan(out, s, p);
  if (auto node = make_node("IndexSelectBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        return {index_add(zeros_raw(n.shape, g[0]->dtype), n.ints[0], n.get(0), g[0], 1.0)};
      }, {&self})) {
    node->shape = self->sizes;
    node->ints[0] = dim;
    node->save("index", index);
    attach(node, out);
  }
  return out;
}

Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, double alpha) {
  GG_CHECK_KIND(index->dim() <= 1, Index, "index_add_(): Index is supposed to be a vector");
  GG_CHECK(index->dtype == DType::Int64 || index->dtype == DType::Int32,
           "index_add_(): Expected dtype int32/int64 for index");
  GG_CHECK(self->dtype == source->dtype, "index_add_(): self (", short_name(self->dtype), ") and source (",
           short_name(source->dtype), ") must have the same scalar type");
  check_same_device(self, source, "index_add");
  GG_CHECK(self->dim() > 0, "index_add(): 0-dim self is not supported yet");
  dim = wrap_dim(dim, self->dim(), "index_add");
  const int64_t n = index->numel();
  DimVec want = self->sizes;
  want[dim] = n;
  GG_CHECK(source->sizes == want || (source->dim() == 0 && n == 1 && self->dim() == 1),
           "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = ",
           lst(self->sizes), " source.shape = ", lst(source->sizes), " [index_add]");
  Tensor out = clone(raw(self));
  IndexPlan p = make_plan(out, at_dim(self->dim(), dim, index), ErrorKind::Runtime, " (index_add)", false);
  Tensor v = raw(source);
  if (alpha != 1.0) v = mul(v, wrapped(alpha));
  scatter_plan(out, values_for(v, p.result_sizes, out->dtype), p, true);
  if (auto node = make_node("IndexAddBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor gsrc;
        if (n.needs_input_grad(1)) {
          gsrc = index_select(g[0], n.ints[0], n.get(0));
          if (n.scalar != 1.0) gsrc = mul(gsrc, wrapped(n.scalar));
          if (gsrc->sizes != n.shape2) gsrc = reshape(gsrc, n.shape2);
        }
        return {n.needs_input_grad(0) ? g[0] : Tensor(), gsrc};
      }, {&self, &source})) {
    node->ints[0] = dim;
    node->save_scalar("alpha", alpha, is_whole(alpha));
    node->shape2 = source->sizes;
    node->save("index", index);
    attach(node, out);
  }
  return out;
}

// ================================================================ gather / scatter

namespace {

enum class ScatterMode { Assign, Add };

void check_gather_shapes(const char* op, const Tensor& self, int64_t dim, const Tensor& index, const Tensor* src) {
  GG_CHECK(index->dtype == DType::Int64 || index->dtype == DType::Int32, op, "(): Expected dtype int64 for index");
  GG_CHECK(index->dim() == self->dim() || (index->dim() <= 1 && self->dim() <= 1),
           "Index tensor must have the same number of dimensions as ", src ? "self tensor" : "input tensor");
  if (src && (*src)->dim() > 0)
    GG_CHECK(index->dim() == (*src)->dim(), "Index tensor must have the same number of dimensions as src tensor");
  for (int64_t d = 0; d < index->dim(); ++d) {
    if (d != dim)
      GG_CHECK(index->sizes[d] <= (self->dim() ? self->sizes[d] : 1), "Size does not match at dimension ", d,
               " expected index ", lst(index->sizes), " to be no larger than self ", lst(self->sizes),
               " apart from dimension ", dim);
    if (src && (*src)->dim() > 0)
      GG_CHECK(d < (*src)->dim() && index->sizes[d] <= (*src)->sizes[d], "Expected index ", lst(index->sizes),
               " to be no larger than self ", lst(self->sizes), " apart from dimension ", dim,
               " and to be no larger size than src ", lst((*src)->sizes));
  }
}

// Walks the positions of `sizes` in row-major order with three strided operands, calling
// f(off0, off1, off2) (element offsets) without materializing offset tables.
template <typename F>
void strided_loop3(const DimVec& sizes, const DimVec& s0, const DimVec& s1, const DimVec& s2, F&& f) {
  const int64_t nd = (int64_t)sizes.size();
  if (shape_numel(sizes) == 0) return;
  if (nd == 0) {
    f(int64_t(0), int64_t(0), int64_t(0));
    return;
  }
  const int64_t last = sizes[nd - 1], a = s0[nd - 1], b = s1[nd - 1], c = s2[nd - 1];
  DimVec idx(nd, 0);
  int64_t o0 = 0, o1 = 0, o2 = 0;
  while (true) {
    for (int64_t j = 0; j < last; ++j) f(o0 + j * a, o1 + j * b, o2 + j * c);
    int64_t d = nd - 2;
    for (; d >= 0; --d) {
      if (++idx[d] < sizes[d]) {
        o0 += s0[d];
        o1 += s1[d];
        o2 += s2[d];
        break;
      }
      o0 -= s0[d] * (sizes[d] - 1);
      o1 -= s1[d] * (sizes[d] - 1);
      o2 -= s2[d] * (sizes[d] - 1);
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

// The geometry gather and scatter share: index positions, self's strides with `dim` zeroed
// (the index supplies that coordinate), and the index's own strides.
struct GatherGeometry {
  DimVec sizes, self_st, index_st;
  int64_t dim_size, dim_stride;
};
GatherGeometry geometry(const Tensor& self, int64_t dim, const Tensor& index) {
  GatherGeometry g;
  g.sizes = index->dim() ? index->sizes : DimVec{1};
  g.self_st = self->dim() ? self->strides : DimVec{1};
  g.index_st = index->dim() ? index->strides : DimVec{1};
  g.dim_size = self->dim() ? self->sizes[dim] : 1;
  g.dim_stride = g.self_st[dim];
  g.self_st[dim] = 0;
  return g;
}

template <typename I>
inline int64_t checked(const I* ip, int64_t off, int64_t size, int64_t dim) {
  const int64_t v = (int64_t)ip[off];
  if (v < 0 || v >= size) check_index(v, size, dim, ErrorKind::Runtime, "", false);
  return v;
}

Tensor gather_raw(const Tensor& self, int64_t dim, const Tensor& index) {
  Tensor out = empty(index->sizes, self->dtype, self->device());
  GatherGeometry g = geometry(self, dim, index);
  DimVec out_st = contiguous_strides(g.sizes);
  by_size(self->element_size(), [&](auto tag) {
    using U = typename decltype(tag)::type;
    const U* s = static_cast<const U*>(self->raw_data());
    U* o = static_cast<U*>(out->raw_data());
    auto run = [&](auto* ip) {
      strided_loop3(g.sizes, g.self_st, g.index_st, out_st, [&](int64_t so, int64_t io, int64_t oo) {
        o[oo] = s[so + checked(ip, io, g.dim_size, dim) * g.dim_stride];
      });
    };
    if (index->dtype == DType::Int64) run(index->data<int64_t>());
    else run(index->data<int32_t>());
  });
  return out;
}

// out (a fresh contiguous copy of self) gets src scattered into it.
void scatter_raw(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src, ScatterMode mode) {
  GatherGeometry g = geometry(out, dim, index);
  DimVec sst(g.sizes.size(), 0);
  for (int64_t d = 0; d < src->dim(); ++d) sst[d] = src->strides[d];
  dispatch<kAll>(out->dtype, "scatter", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* o = out->data<T>();
    const T* s = src->data<T>();
    auto run = [&](auto* ip) {
      if (mode == ScatterMode::Add) {
        strided_loop3(g.sizes, g.self_st, g.index_st, sst, [&](int64_t oo, int64_t io, int64_t so) {
          T& d = o[oo + checked(ip, io, g.dim_size, dim) * g.dim_stride];
          d = T(d + s[so]);
        });
      } else {
        strided_loop3(g.sizes, g.self_st, g.index_st, sst, [&](int64_t oo, int64_t io, int64_t so) {
          o[oo + checked(ip, io, g.dim_size, dim) * g.dim_stride] = s[so];
        });
      }
    };
    if (index->dtype == DType::Int64) run(index->data<int64_t>());
    else run(index->data<int32_t>());
  });
}

// Zero-pads g (the gradient of the used leading block of src) up to src's shape. (PyTorch
// raises "invalid gradient" when src is larger than index; the padded gradient is the right one.)
Tensor pad_to(Tensor g, const DimVec& shape) {
  for (int64_t d = 0; d < g->dim(); ++d)
    if (g->sizes[d] != shape[d]) {
      DimVec s = g->sizes;
      s[d] = shape[d];
      g = slice_backward(g, s, d, 0, g->sizes[d], 1);
    }
  return g;
}

Tensor scatter_impl(const char* op, const char* node_name, const Tensor& self, int64_t dim, const Tensor& index,
                    const Tensor& src, bool src_is_value, ScatterMode mode) {
  check_same_device(self, index, op);
  dim = wrap_dim(dim, self->dim(), op);
  if (!src_is_value) {
    GG_CHECK(src->dtype == self->dtype, op, "(): Expected self.dtype to be equal to src.dtype");
    check_gather_shapes(op, self, dim, index, &src);
  } else {
    check_gather_shapes(op, self, dim, index, nullptr);
  }
  Tensor out = clone(raw(self));
  if (index->numel()) {
    try {
      scatter_raw(out, dim, index, src_is_value ? src : raw(src), mode);
    } catch (const Error& e) {
      fail(e.kind, e.what(), " [", op, "]");
    }
  }
  std::shared_ptr<OpNode> node;
  if (src_is_value) {
    node = make_node(node_name, [](OpNode& n, TensorList& g) -> TensorList {
      return {scatter_value(g[0], n.ints[0], n.get(0), Scalar::from_double(0))};
    }, {&self});
  } else if (mode == ScatterMode::Assign) {
    node = make_node(node_name, [](OpNode& n, TensorList& g) -> TensorList {
      Tensor idx = n.get(0);
      Tensor gs = n.needs_input_grad(0) ? scatter_value(g[0], n.ints[0], idx, Scalar::from_double(0)) : Tensor();
      Tensor gsrc = n.needs_input_grad(1) ? pad_to(gather(g[0], n.ints[0], idx), n.shape2) : Tensor();
      return {gs, gsrc};
    }, {&self, &src});
  } else {
    node = make_node(node_name, [](OpNode& n, TensorList& g) -> TensorList {
      Tensor gsrc = n.needs_input_grad(1) ? pad_to(gather(g[0], n.ints[0], n.get(0)), n.shape2) : Tensor();
      return {n.needs_input_grad(0) ? g[0] : Tensor(), gsrc};
    }, {&self, &src});
  }
  if (node) {
    node->ints[0] = dim;
    node->shape2 = src->sizes;
    node->save("index", index);
    attach(node, out);
  }
  return out;
}

}  // namespace

Tensor gather(const Tensor& self, int64_t dim, const Tensor& index) {
  check_same_device(self, index, "gather");
  dim = wrap_dim(dim, self->dim(), "gather");
  check_gather_shapes("gather", self, dim, index, nullptr);
  Tensor out;
  try {
    out = gather_raw(raw(self), dim, index);
  } catch (const Error& e) {
    fail(e.kind, e.what(), " [gather]");
  }
  if (auto node = make_node("GatherBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        return {scatter_add(zeros_raw(n.shape, g[0]->dtype), n.ints[0], n.get(0), g[0])};
      }, {&self})) {
    node->shape = self->sizes;
    node->ints[0] = dim;
    node->save("index", index);
    attach(node, out);
  }
  return out;
}

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_impl("scatter", "ScatterBackward0", self, dim, index, src, false, ScatterMode::Assign);
}

Tensor scatter_value(const Tensor& self, int64_t dim, const Tensor& index, Scalar value) {
  Tensor v = scalar_tensor(value, self->dtype);
  return scatter_impl("scatter", "ScatterBackward1", self, dim, index, v, true, ScatterMode::Assign);
}

Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_impl("scatter_add", "ScatterAddBackward0", self, dim, index, src, false, ScatterMode::Add);
}

namespace {
// Unlike gather, take_along_dim accepts negative indices (PyTorch wraps them).
Tensor wrap_negative(const Tensor& indices, int64_t size) {
  Tensor ic = cast_raw(indices, DType::Int64);
  bool any_negative = false;
  for (int64_t i = 0; i < ic->numel(); ++i) any_negative |= ic->data<int64_t>()[i] < 0;
  if (!any_negative) return indices;
  if (ic == indices) ic = clone(indices);
  int64_t* q = ic->data<int64_t>();
  for (int64_t i = 0; i < ic->numel(); ++i)
    if (q[i] < 0 && q[i] >= -size) q[i] += size;
  return ic;
}
}  // namespace

Tensor take_along_dim(const Tensor& self, const Tensor& indices, std::optional<int64_t> dim_opt) {
  GG_CHECK(indices->dtype == DType::Int64 || indices->dtype == DType::Int32,
           "torch.take_along_dim(): dtype of indices should be int64 but got ", short_name(indices->dtype));
  if (!dim_opt)
    return gather(reshape(self, DimVec{-1}), 0, wrap_negative(reshape(indices, DimVec{-1}), self->numel()));
  GG_CHECK(self->dim() == indices->dim(),
           "torch.take_along_dim(): input and indices should have the same number of dimensions, but got ",
           self->dim(), " dimensions for input, and ", indices->dim(), " dimensions for indices");
  if (self->dim() == 0) return gather(self, 0, wrap_negative(indices, 1));
  const int64_t dim = wrap_dim(*dim_opt, self->dim(), "take_along_dim");
  DimVec a = self->sizes, b = indices->sizes;
  a[dim] = 1;
  b[dim] = 1;
  DimVec bs = broadcast_shapes(a, b, "take_along_dim");
  DimVec ss = bs, is = bs;
  ss[dim] = self->sizes[dim];
  is[dim] = indices->sizes[dim];
  Tensor idx = wrap_negative(indices, self->sizes[dim]);
  return gather(expand(self, ss), dim, idx->sizes == is ? idx : expand(idx, is));
}

// ================================================================ repeat / roll / flip

Tensor repeat(const Tensor& self, const DimVec& repeats) {
  GG_CHECK((int64_t)repeats.size() >= self->dim(),
           "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor");
  for (int64_t r : repeats) GG_CHECK(r >= 0, "Trying to create tensor with negative dimension ", r, ": ", lst(repeats));
  check_device(self, "repeat");
  const int64_t n = (int64_t)repeats.size(), lead = n - self->dim();
  DimVec padded(n, 1), pst(n, 0), out_sizes(n, 0), xs, xst;
  for (int64_t d = 0; d < self->dim(); ++d) {
    padded[d + lead] = self->sizes[d];
    pst[d + lead] = self->strides[d];
  }
  for (int64_t d = 0; d < n; ++d) {
    out_sizes[d] = padded[d] * repeats[d];
    xs.push_back(repeats[d]);
    xs.push_back(padded[d]);
    xst.push_back(0);
    xst.push_back(pst[d]);
  }
  Tensor out = empty(out_sizes, self->dtype, self->device());
  if (out->numel()) {
    Tensor s = raw(self);
    Tensor src = make_view(s, xs, xst, s->offset);
    copy_into(make_view(out, xs, contiguous_strides(xs), 0), src);
  }
  if (auto node = make_node("RepeatBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        const int64_t nr = (int64_t)n.shape2.size(), lead = nr - (int64_t)n.shape.size();
        DimVec xs, dims;
        for (int64_t d = 0; d < nr; ++d) {
          xs.push_back(n.shape2[d]);
          xs.push_back(d < lead ? 1 : n.shape[d - lead]);
          dims.push_back(2 * d);
        }
        Tensor r = dims.empty() ? g[0] : sum(reshape(g[0], xs), dims, false);
        return {reshape(r, n.shape)};
      }, {&self})) {
    node->shape = self->sizes;
    node->shape2 = repeats;
    attach(node, out);
  }
  return out;
}

Tensor tile(const Tensor& self, const DimVec& dims) {
  DimVec reps = dims;
  while ((int64_t)reps.size() < self->dim()) reps.insert(0, 1);
  for (int64_t r : reps)
    GG_CHECK(r >= 0, "Trying to create tensor with negative dimension ", r, ": ", lst(reps), " [tile]");
  return repeat(self, reps);
}

namespace {
Tensor roll_raw(const Tensor& t, int64_t dim, int64_t shift) {
  Tensor out = empty(t->sizes, t->dtype, t->device());
  const int64_t n = t->sizes[dim];
  if (out->numel() == 0) return out;
  shift = ((shift % n) + n) % n;
  if (shift == 0) {
    copy_into(out, t);
    return out;
  }
  copy_into(narrow(out, dim, shift, n - shift), narrow(t, dim, 0, n - shift));
  copy_into(narrow(out, dim, 0, shift), narrow(t, dim, n - shift, shift));
  return out;
}
}  // namespace

Tensor roll(const Tensor& self, const DimVec& shifts, const DimVec& dims) {
  check_device(self, "roll");
  GG_CHECK(!shifts.empty(), "`shifts` required");
  GG_CHECK(dims.empty() ? shifts.size() == 1 : shifts.size() == dims.size(), "shifts and dimensions must align. shifts: ",
           shifts.size(), ", dims:", dims.size());
  Tensor s = raw(self);
  Tensor out;
  DimVec wdims;
  if (dims.empty()) {
    out = roll_raw(reshape(s, DimVec{-1}), 0, shifts[0]);
    out->set_geometry(self->sizes, contiguous_strides(self->sizes), 0);
  } else {
    out = s;
    for (size_t i = 0; i < dims.size(); ++i) {
      wdims.push_back(wrap_dim(dims[i], self->dim(), "roll"));
      out = roll_raw(out, wdims.back(), shifts[i]);
    }
  }
  if (auto node = make_node("RollBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        DimVec neg;
        for (int64_t s : n.shape2) neg.push_back(-s);
        return {roll(g[0], neg, n.shape)};
      }, {&self})) {
    node->shape = wdims;
    node->shape2 = shifts;
    attach(node, out);
  }
  return out;
}

Tensor flip(const Tensor& self, const DimVec& dims) {
  check_device(self, "flip");
  DimVec wdims;
  std::vector<bool> seen(std::max<int64_t>(self->dim(), 1), false);
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, self->dim(), "flip");
    GG_CHECK(!seen[w], "dim ", w, " appears multiple times in the list of dims");
    seen[w] = true;
    wdims.push_back(w);
  }
  Tensor s = raw(self);
  DimVec st = s->strides;
  int64_t off = s->offset;
  for (int64_t d : wdims) {
    if (s->dim() == 0 || s->sizes[d] == 0) continue;
    off += (s->sizes[d] - 1) * st[d];
    st[d] = -st[d];
  }
  Tensor out = empty(s->sizes, s->dtype, s->device());
  if (out->numel()) copy_into(out, make_view(s, s->sizes, st, off));
  if (auto node = make_node("FlipBackward0", [](OpNode& n, TensorList& g) -> TensorList { return {flip(g[0], n.shape)}; },
                            {&self})) {
    node->shape = wdims;
    attach(node, out);
  }
  return out;
}

// ================================================================ tril / triu / diag

namespace {
Tensor tri_impl(const Tensor& self, int64_t k, bool lower) {
  const char* op = lower ? "tril" : "triu";
  GG_CHECK(self->dim() >= 2, op, ": input tensor must have at least 2 dimensions");
  check_device(self, op);
  Tensor out = empty(self->sizes, self->dtype, self->device());
  copy_into(out, raw(self));
  const int64_t r = self->sizes[self->dim() - 2], c = self->sizes[self->dim() - 1];
  const int64_t batch = (r != 0 && c != 0) ? out->numel() / (r * c) : 0;
  const size_t es = out->element_size();
  char* p = static_cast<char*>(out->raw_data());
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < r; ++i) {
      char* row = p + ((b * r + i) * c) * es;
      // tril keeps j <= i + k; triu keeps j >= i + k.
      int64_t lo = lower ? std::max<int64_t>(0, std::min(c, i + k + 1)) : 0;
      int64_t hi = lower ? c : std::max<int64_t>(0, std::min(c, i + k));
      if (hi > lo) std::memset(row + lo * es, 0, (hi - lo) * es);
    }
  if (auto node = make_node(lower ? "TrilBackward0" : "TriuBackward0", lower
                                ? autograd::BackwardFn([](OpNode& n, TensorList& g) -> TensorList { return {tril(g[0], n.ints[0])}; })
                                : autograd::BackwardFn([](OpNode& n, TensorList& g) -> TensorList { return {triu(g[0], n.ints[0])}; }),
                            {&self})) {
    node->ints[0] = k;
    node->save_scalar("diagonal", double(k), true);
    attach(node, out);
  }
  return out;
}

// The diagonal `k` of a 2-D (sizes, strides, offset) as (length, stride, offset).
void diagonal_geometry(const DimVec& sizes, const DimVec& strides, int64_t offset, int64_t k, int64_t& len,
                       int64_t& stride, int64_t& off) {
  const int64_t r = sizes[0], c = sizes[1];
  len = k >= 0 ? std::min(r, c - k) : std::min(r + k, c);
  len = std::max<int64_t>(len, 0);
  stride = strides[0] + strides[1];
  off = offset + (len > 0 ? (k >= 0 ? k * strides[1] : -k * strides[0]) : 0);
}

// Zeros of `shape` (2-D) with g on diagonal k: the VJP of taking a diagonal.
Tensor diagonal_backward(const Tensor& g, const DimVec& shape, int64_t k) {
  Tensor out = zeros_raw(shape, g->dtype);
  int64_t len, stride, off;
  diagonal_geometry(shape, out->strides, 0, k, len, stride, off);
  if (len) copy_into(make_view(out, DimVec{len}, DimVec{stride}, off), raw(g));
  if (auto node = make_node("DiagonalBackwardBackward0", [](OpNode& n, TensorList& gg) -> TensorList {
        return {diag(gg[0], n.ints[0])};
      }, {&g})) {
    node->ints[0] = k;
    attach(node, out);
  }
  return out;
}
}  // namespace

Tensor tril(const Tensor& self, int64_t diagonal) { return tri_impl(self, diagonal, true); }
Tensor triu(const Tensor& self, int64_t diagonal) { return tri_impl(self, diagonal, false); }

Tensor diag(const Tensor& self, int64_t k) {
  check_device(self, "diag");
  GG_CHECK(self->dim() == 1 || self->dim() == 2, "diag(): Supports 1D or 2D tensors. Got ", self->dim(), "D");
  if (self->dim() == 1) {
    const int64_t n = self->sizes[0] + (k >= 0 ? k : -k);
    Tensor out = zeros_raw(DimVec{n, n}, self->dtype);
    int64_t len, stride, off;
    diagonal_geometry(out->sizes, out->strides, 0, k, len, stride, off);
    if (len) copy_into(make_view(out, DimVec{len}, DimVec{stride}, off), raw(self));
    if (auto node = make_node("DiagEmbedBackward0", [](OpNode& n, TensorList& g) -> TensorList {
          return {diag(g[0], n.ints[0])};
        }, {&self})) {
      node->ints[0] = k;
      attach(node, out);
    }
    return out;
  }
  Tensor s = raw(self);
  int64_t len, stride, off;
  diagonal_geometry(s->sizes, s->strides, s->offset, k, len, stride, off);
  Tensor out = empty(DimVec{len}, self->dtype, self->device());
  if (len) copy_into(out, make_view(s, DimVec{len}, DimVec{stride}, off));
  if (auto node = make_node("DiagonalBackward0_copy", [](OpNode& n, TensorList& g) -> TensorList {
        return {diagonal_backward(g[0], n.shape, n.ints[0])};
      }, {&self})) {
    node->shape = self->sizes;
    node->ints[0] = k;
    attach(node, out);
  }
  return out;
}

}  // namespace gg

// ================================================================ in-place forms
// Computed out of place (recorded as the out-of-place op), written back, and the history of
// `self` rewritten: a plain tensor takes the result's grad_fn, a view goes through CopySlices.
namespace gg {
namespace {
template <typename F>
Tensor write_back(const Tensor& self, const char* op, F&& compute) {
  autograd::check_inplace(self, op);
  Tensor result = compute();
  copy_into(self, result);
  self->bump_version();
  if (grad_enabled() && result->requires_grad()) rebase(self, result);
  return self;
}
}  // namespace

Tensor scatter_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  return write_back(self, "scatter_", [&] { return scatter(self, dim, index, src); });
}
Tensor scatter_value_(const Tensor& self, int64_t dim, const Tensor& index, Scalar value) {
  return write_back(self, "scatter_", [&] { return scatter_value(self, dim, index, value); });
}
Tensor scatter_add_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  return write_back(self, "scatter_add_", [&] { return scatter_add(self, dim, index, src); });
}
Tensor index_add_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, double alpha) {
  return write_back(self, "index_add_", [&] { return index_add(self, dim, index, source, alpha); });
}
}  // namespace gg
