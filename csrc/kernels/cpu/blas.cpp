#include "kernels/cpu/blas.h"

#include <cblas.h>

#include "core/error.h"
#include "kernels/cpu/parallel.h"

namespace gg::cpu {

namespace {
int32_t to_blas_int(int64_t v) {
  GG_CHECK(v <= INT32_MAX, "[matmul] dimension ", v, " exceeds the 32-bit BLAS limit");
  return (int32_t)v;
}

// OpenBLAS runs single-threaded: its workers spin-wait ~0.1 s after each call, taking the cores our own pool
// needs for the next op (and on a busy machine they get descheduled mid-GEMM). A GEMM of at least
// kParallelGemmMacs multiply-adds is split here over the pool instead, in blocks of C's rows: each thread
// then writes one contiguous block of C (splitting a row-major C by columns, threads share cache lines at
// every row and a (512 x 64) @ (64 x 784) GEMM ran 1.7x slower). Only a C too short for two row blocks is
// split by columns. K is never split, so each thread count gives the same result every run.
constexpr double kParallelGemmMacs = double(1 << 20);
constexpr int64_t kMinGemmBlock = 64;

// call(m, n, A', B', C') runs one BLAS GEMM on a block of C.
template <typename T, typename Call>
void split_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T* A, int64_t lda, const T* B, int64_t ldb,
                T* C, int64_t ldc, const Call& call) {
  if (get_num_threads() == 1 || in_parallel_region() || double(M) * double(N) * double(K) < kParallelGemmMacs) {
    call(M, N, A, B, C);
    return;
  }
  const bool by_cols = M < 2 * kMinGemmBlock && N > M;
  parallel_for(0, by_cols ? N : M, kMinGemmBlock, [&](int64_t b, int64_t e) {
    if (by_cols) call(M, e - b, A, tb ? B + b * ldb : B + b, C + b);
    else call(e - b, N, ta ? A + b : A + b * lda, B, C + b * ldc);
  });
}
}  // namespace

template <>
void gemm<float>(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                 const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (sgemm_avx512(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)) return;
  split_gemm(ta, tb, M, N, K, A, lda, B, ldb, C, ldc, [&](int64_t m, int64_t n, const float* a, const float* b, float* c) {
    scipy_cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, to_blas_int(m),
                      to_blas_int(n), to_blas_int(K), alpha, a, to_blas_int(lda), b, to_blas_int(ldb), beta, c,
                      to_blas_int(ldc));
  });
}

template <>
void gemm<double>(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
                  const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
  split_gemm(ta, tb, M, N, K, A, lda, B, ldb, C, ldc, [&](int64_t m, int64_t n, const double* a, const double* b, double* c) {
    scipy_cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, to_blas_int(m),
                      to_blas_int(n), to_blas_int(K), alpha, a, to_blas_int(lda), b, to_blas_int(ldb), beta, c,
                      to_blas_int(ldc));
  });
}

template <typename T>
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda, const T* B,
          int64_t ldb, T beta, T* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      T acc = 0;
      for (int64_t k = 0; k < K; ++k) {
        T a = ta ? A[k * lda + i] : A[i * lda + k];
        T b = tb ? B[j * ldb + k] : B[k * ldb + j];
        acc += a * b;
      }
      C[i * ldc + j] = alpha * acc + (beta == T(0) ? T(0) : beta * C[i * ldc + j]);
    }
}
template void gemm<int32_t>(bool, bool, int64_t, int64_t, int64_t, int32_t, const int32_t*, int64_t, const int32_t*,
                            int64_t, int32_t, int32_t*, int64_t);
template void gemm<int64_t>(bool, bool, int64_t, int64_t, int64_t, int64_t, const int64_t*, int64_t, const int64_t*,
                            int64_t, int64_t, int64_t*, int64_t);

}  // namespace gg::cpu
