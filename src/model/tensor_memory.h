#pragma once
/// @file tensor_memory.h
/// Keeps freed tensor memory in the process for the next tensor. glibc hands every allocation
/// above its mmap threshold (dynamic, at most 32 MB by default) back to the system when it is
/// freed, so each activation of a batched forward pass (tens of MB a layer) is page-faulted
/// and zeroed by the kernel again, layer after layer: on 2 cores that was most of an image
/// embedding's time (docs/benchmarks.md, "Photos: copy detection").

namespace qiss {

/// Raises glibc's mmap threshold to 512 MB and its trim threshold to 1 GB for the whole
/// process, unless the operator set either (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ or
/// GLIBC_TUNABLES), whose choice then stands. The cost: up to 1 GB freed at the top of the heap
/// stays in the process (RSS) for its next use. For a program's entry point. Returns whether it
/// changed the settings.
bool keep_tensor_memory();

}  // namespace qiss
