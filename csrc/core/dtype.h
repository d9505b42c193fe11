// Element types, their promotion rules (PyTorch's lattice) and compile-time dispatch.
#pragma once
#include <cstdint>
#include <string>
#include "core/error.h"

namespace gg {

enum class DType : uint8_t { Bool = 0, Int32 = 1, Int64 = 2, Float32 = 3, Float64 = 4 };
constexpr int kNumDTypes = 5;

inline size_t itemsize(DType t) {
  switch (t) {
    case DType::Bool: return 1;
    case DType::Int32: return 4;
    case DType::Int64: return 8;
    case DType::Float32: return 4;
    case DType::Float64: return 8;
  }
  return 0;
}
inline bool is_floating(DType t) { return t == DType::Float32 || t == DType::Float64; }
inline bool is_integral(DType t, bool include_bool) {
  return t == DType::Int32 || t == DType::Int64 || (include_bool && t == DType::Bool);
}
// Name as printed by PyTorch: torch.float32 etc.
inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::Bool: return "torch.bool";
    case DType::Int32: return "torch.int32";
    case DType::Int64: return "torch.int64";
    case DType::Float32: return "torch.float32";
    case DType::Float64: return "torch.float64";
  }
  return "?";
}
// Legacy type names used in autograd messages: torch.FloatTensor.
inline const char* legacy_type_name(DType t) {
  switch (t) {
    case DType::Bool: return "torch.BoolTensor";
    case DType::Int32: return "torch.IntTensor";
    case DType::Int64: return "torch.LongTensor";
    case DType::Float32: return "torch.FloatTensor";
    case DType::Float64: return "torch.DoubleTensor";
  }
  return "?";
}
// PyTorch's scalar_type names in messages: Float, Double, Long, Int, Bool.
inline const char* short_name(DType t) {
  switch (t) {
    case DType::Bool: return "Bool";
    case DType::Int32: return "Int";
    case DType::Int64: return "Long";
    case DType::Float32: return "Float";
    case DType::Float64: return "Double";
  }
  return "?";
}

// The dtype Python floats become (torch.set_default_dtype): process-wide, as in PyTorch.
inline DType& default_float_dtype() {
  static DType d = DType::Float32;
  return d;
}

// The lattice here is a chain (bool < int32 < int64 < float32 < float64), so promotion is max.
inline DType promote(DType a, DType b) { return a > b ? a : b; }

enum class Category : uint8_t { Bool = 0, Integral = 1, Floating = 2 };
inline Category category(DType t) {
  return t == DType::Bool ? Category::Bool : is_floating(t) ? Category::Floating : Category::Integral;
}

template <typename T> struct dtype_of;
template <> struct dtype_of<bool> { static constexpr DType value = DType::Bool; };
template <> struct dtype_of<int32_t> { static constexpr DType value = DType::Int32; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::Int64; };
template <> struct dtype_of<float> { static constexpr DType value = DType::Float32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::Float64; };

template <typename T> struct type_tag { using type = T; };

// Dispatch sets: an op instantiates its kernel only for the dtypes it supports.
enum DTypeSet : unsigned {
  kBool = 1u << 0, kInt32 = 1u << 1, kInt64 = 1u << 2, kFloat32 = 1u << 3, kFloat64 = 1u << 4,
  kFloats = kFloat32 | kFloat64,
  kInts = kInt32 | kInt64,
  kNumbers = kInts | kFloats,
  kAll = kNumbers | kBool,
};

// Calls fn(type_tag<T>{}) for the C++ type of `t`, if `t` is in Set.
template <unsigned Set, typename F>
decltype(auto) dispatch(DType t, const char* op, F&& fn) {
  switch (t) {
    case DType::Float32: if constexpr (bool(Set & kFloat32)) return fn(type_tag<float>{}); break;
    case DType::Float64: if constexpr (bool(Set & kFloat64)) return fn(type_tag<double>{}); break;
    case DType::Int64: if constexpr (bool(Set & kInt64)) return fn(type_tag<int64_t>{}); break;
    case DType::Int32: if constexpr (bool(Set & kInt32)) return fn(type_tag<int32_t>{}); break;
    case DType::Bool: if constexpr (bool(Set & kBool)) return fn(type_tag<bool>{}); break;
  }
  fail(ErrorKind::NotImplemented, "\"", op, "\" not implemented for '", short_name(t), "'");
}

}  // namespace gg
