// Bindings of the conv family (ops/conv.cpp): the _C entry points nn.functional calls.
// Conversion only: no math here.
#include "python/common.h"

namespace gg::py_bind {

void bind_conv(py::module_& m) {
  // _convolution(input, weight, bias or None, stride, padding, dilation, groups, transposed, output_padding):
  // one entry per spatial dim.
  m.def("_convolution", [](const Tensor& x, const Tensor& w, std::optional<Tensor> b, py::handle stride,
                           py::handle padding, py::handle dilation, int64_t groups, bool transposed,
                           py::handle output_padding) {
    return convolution(x, w, b.value_or(nullptr), shape_from_obj(stride), shape_from_obj(padding),
                       shape_from_obj(dilation), groups, transposed, shape_from_obj(output_padding));
  });
  m.def("_max_pool2d_with_indices", [](const Tensor& x, py::handle k, py::handle s, py::handle p, py::handle d,
                                       bool ceil_mode) {
    auto r = max_pool2d_with_indices(x, shape_from_obj(k), shape_from_obj(s), shape_from_obj(p), shape_from_obj(d),
                                     ceil_mode);
    return py::make_tuple(r.first, r.second);
  });
  m.def("_avg_pool2d", [](const Tensor& x, py::handle k, py::handle s, py::handle p, bool ceil_mode,
                          bool count_include_pad, int64_t divisor) {
    return avg_pool2d(x, shape_from_obj(k), shape_from_obj(s), shape_from_obj(p), ceil_mode, count_include_pad, divisor);
  });
  m.def("_unfold", [](const Tensor& x, py::handle k, py::handle d, py::handle p, py::handle s) {
    return unfold_im2col(x, shape_from_obj(k), shape_from_obj(d), shape_from_obj(p), shape_from_obj(s));
  });
  m.def("_fold", [](const Tensor& x, py::handle o, py::handle k, py::handle d, py::handle p, py::handle s) {
    return fold_col2im(x, shape_from_obj(o), shape_from_obj(k), shape_from_obj(d), shape_from_obj(p), shape_from_obj(s));
  });
  // _upsample(input, output_size, scales (0: none), mode 0 nearest / 1 nearest-exact / 2 linear, align_corners)
  m.def("_upsample", [](const Tensor& x, py::handle size, const std::vector<double>& scales, int mode,
                        bool align_corners) {
    return upsample(x, shape_from_obj(size), scales, UpsampleMode(mode), align_corners);
  });
  m.def("_adaptive_avg_pool2d", [](const Tensor& x, py::handle size) { return adaptive_avg_pool2d(x, shape_from_obj(size)); });
}

}  // namespace gg::py_bind
