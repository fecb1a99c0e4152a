#pragma once
/// @file compute_threads.h
/// How many threads one embedding may use: ATen's OpenMP teams and OpenBLAS's pool (when the
/// BLAS is OpenBLAS, found at run time). Callers that embed on several threads at once (the
/// server's workers, the ingester's embedding threads) give each embedding one thread.

namespace qiss {

/// Caps the threads of one embedding, process-wide (ATen, OpenBLAS) and for the calling
/// thread's OpenMP team. For a program's entry point (`qiss serve`), not for a library part.
void limit_compute_threads(int n);

/// Caps the threads of the embeddings run on the calling thread only (its OpenMP team, which
/// ATen's parallel operations use), leaving every process-wide setting and other thread alone.
/// For threads a component owns, e.g. the server's workers.
void limit_compute_threads_of_this_thread(int n);

/// Sets the threads of one embedding (ATen, OpenBLAS) while it lives and restores the previous
/// setting. ATen's count is process-wide: each thread takes it at its first parallel operation
/// (at::init_num_threads).
class ComputeThreads {
  public:
    explicit ComputeThreads(int n);
    ~ComputeThreads();
    ComputeThreads(const ComputeThreads&) = delete;
    ComputeThreads& operator=(const ComputeThreads&) = delete;

  private:
    int before_;
    int blas_before_ = 0;
};

}  // namespace qiss
