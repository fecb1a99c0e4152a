#include "model/compute_threads.h"

#include <dlfcn.h>
#include <omp.h>

#include <ATen/Parallel.h>

namespace qiss {
namespace {

template <class F>
F blas_function(const char* name) {
    return reinterpret_cast<F>(::dlsym(RTLD_DEFAULT, name));
}

void set_threads(int aten, int blas) {
    at::set_num_threads(aten);
    if (blas <= 0) return;
    if (auto set_blas = blas_function<void (*)(int)>("openblas_set_num_threads")) set_blas(blas);
}

}  // namespace

void limit_compute_threads(int n) {
    set_threads(n, n);
    omp_set_num_threads(n);
}

void limit_compute_threads_of_this_thread(int n) {
    // ATen sets each thread's OpenMP team once, at its first parallel operation, from the
    // process-wide count: have that happen now so that it cannot undo the setting below.
    at::internal::lazy_init_num_threads();
    omp_set_num_threads(n);
}

ComputeThreads::ComputeThreads(int n) : before_(at::get_num_threads()) {
    if (auto get = blas_function<int (*)()>("openblas_get_num_threads")) blas_before_ = get();
    set_threads(n, n);
}

ComputeThreads::~ComputeThreads() {
    set_threads(before_, blas_before_);
}

}  // namespace qiss
