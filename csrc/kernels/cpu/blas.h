// GEMM: OpenBLAS (scipy-openblas32) for float and double, a plain loop for integers.
#pragma once
#include <cstdint>

namespace gg::cpu {

// Row-major C[M,N] = alpha * op(A)[M,K] @ op(B)[K,N] + beta * C.
template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
          const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

}  // namespace gg::cpu
