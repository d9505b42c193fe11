// A vector with inline room for N elements: shapes, strides, edges and tensor lists
// of a few entries never touch the heap.
#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <new>
#include <utility>

namespace gg {

template <typename T, size_t N>
class SmallVec {
 public:
  SmallVec() = default;
  SmallVec(size_t n, const T& v = T()) { resize(n, v); }
  SmallVec(std::initializer_list<T> il) {
    reserve(il.size());
    for (const T& v : il) push_back(v);
  }
  template <typename It, typename = decltype(*std::declval<It>())>
  SmallVec(It first, It last) {
    for (; first != last; ++first) push_back(*first);
  }
  SmallVec(const SmallVec& o) {
    reserve(o.size_);
    for (size_t i = 0; i < o.size_; ++i) new (data_ + i) T(o.data_[i]);
    size_ = o.size_;
  }
  SmallVec(SmallVec&& o) noexcept { steal(std::move(o)); }
  SmallVec& operator=(const SmallVec& o) {
    if (this != &o) {
      clear();
      reserve(o.size_);
      for (size_t i = 0; i < o.size_; ++i) new (data_ + i) T(o.data_[i]);
      size_ = o.size_;
    }
    return *this;
  }
  SmallVec& operator=(SmallVec&& o) noexcept {
    if (this != &o) {
      clear();
      release_heap();
      steal(std::move(o));
    }
    return *this;
  }
  ~SmallVec() {
    clear();
    release_heap();
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  T& back() { return data_[size_ - 1]; }
  const T& back() const { return data_[size_ - 1]; }

  void reserve(size_t n) {
    if (n <= cap_) return;
    T* fresh = static_cast<T*>(::operator new(n * sizeof(T)));
    for (size_t i = 0; i < size_; ++i) {
      new (fresh + i) T(std::move(data_[i]));
      data_[i].~T();
    }
    release_heap();
    data_ = fresh;
    cap_ = n;
  }
  void push_back(const T& v) {
    if (size_ == cap_) reserve(cap_ * 2);
    new (data_ + size_) T(v);
    ++size_;
  }
  void push_back(T&& v) {
    if (size_ == cap_) reserve(cap_ * 2);
    new (data_ + size_) T(std::move(v));
    ++size_;
  }
  template <typename... A>
  T& emplace_back(A&&... a) {
    if (size_ == cap_) reserve(cap_ * 2);
    new (data_ + size_) T(std::forward<A>(a)...);
    return data_[size_++];
  }
  void pop_back() { data_[--size_].~T(); }
  void resize(size_t n, const T& v = T()) {
    reserve(n);
    while (size_ > n) pop_back();
    while (size_ < n) push_back(v);
  }
  void clear() {
    while (size_) pop_back();
  }
  void insert(size_t pos, const T& v) {
    push_back(v);
    for (size_t i = size_ - 1; i > pos; --i) std::swap(data_[i], data_[i - 1]);
  }
  void erase(size_t pos) {
    for (size_t i = pos; i + 1 < size_; ++i) std::swap(data_[i], data_[i + 1]);
    pop_back();
  }
  bool operator==(const SmallVec& o) const {
    if (size_ != o.size_) return false;
    for (size_t i = 0; i < size_; ++i)
      if (!(data_[i] == o.data_[i])) return false;
    return true;
  }
  bool operator!=(const SmallVec& o) const { return !(*this == o); }

 private:
  bool on_heap() const { return data_ != inline_ptr(); }
  T* inline_ptr() const { return reinterpret_cast<T*>(const_cast<unsigned char*>(inline_)); }
  void release_heap() {
    if (on_heap()) ::operator delete(data_);
    data_ = inline_ptr();
    cap_ = N;
  }
  void steal(SmallVec&& o) {
    if (o.on_heap()) {
      data_ = o.data_;
      cap_ = o.cap_;
      size_ = o.size_;
      o.data_ = o.inline_ptr();
      o.cap_ = N;
      o.size_ = 0;
    } else {
      data_ = inline_ptr();
      cap_ = N;
      for (size_t i = 0; i < o.size_; ++i) new (data_ + i) T(std::move(o.data_[i]));
      size_ = o.size_;
      o.clear();
    }
  }

  alignas(T) unsigned char inline_[N * sizeof(T)];
  T* data_ = inline_ptr();
  size_t size_ = 0;
  size_t cap_ = N;
};

using DimVec = SmallVec<int64_t, 6>;

}  // namespace gg
