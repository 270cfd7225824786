// The calling convention between compiled kernels and the runtime. Plain C: the compiler emits
// functions of this type into executables, and the runtime calls them.
#ifndef TESSERA_KERNEL_ABI_H
#define TESSERA_KERNEL_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// `bindings[i]` points at byte `offset` of the buffer named by the dispatch's i-th Binding.
// The kernel computes the slice of its iteration space that belongs to workgroup
// `workgroup_id` of `workgroup_count` (0 <= workgroup_id < workgroup_count); any count >= 1 is
// valid, so the runtime is free to pick it.
typedef void (*tsr_kernel_fn)(void *const *bindings, int64_t workgroup_id, int64_t workgroup_count);

#ifdef __cplusplus
}
#endif

#endif // TESSERA_KERNEL_ABI_H
