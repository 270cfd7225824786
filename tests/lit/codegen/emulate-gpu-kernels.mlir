// Emulation: each kernel becomes a private function looping over its grid's blocks and each
// block's threads, the ids replaced by the loop indices; the dispatch calls its kernels in
// launch order. A kernel with a barrier is refused.
// RUN: tessera-opt %s --pass-pipeline='builtin.module(tessera-emulate-gpu-kernels)' --split-input-file --verify-diagnostics | FileCheck %s

// CHECK-NOT: gpu.module
// CHECK-LABEL: func.func @d0(
// CHECK-NEXT: call @d0_k0(%arg0) : (memref<40xf32>) -> ()
// CHECK-NEXT: call @d0_k1(%arg0) : (memref<40xf32>) -> ()
// CHECK-NEXT: return
// CHECK-LABEL: func.func private @d0_k0(
// CHECK-DAG: %[[C2:.+]] = arith.constant 2 : index
// CHECK-DAG: %[[C32:.+]] = arith.constant 32 : index
// CHECK: scf.for %[[B:.+]] = %{{.*}} to %[[C2]]
// CHECK: scf.for %[[T:.+]] = %{{.*}} to %[[C32]]
// CHECK: %[[M:.+]] = arith.muli %[[B]], %[[C32]]
// CHECK: %[[G:.+]] = arith.addi %[[M]], %[[T]]
// CHECK: %[[S:.+]] = arith.muli %[[C2]], %[[C32]]
// CHECK: scf.for %{{.*}} = %[[G]] to %{{.*}} step %[[S]]
// Scratch of a thread is allocated once, outside the loops.
// CHECK-LABEL: func.func private @d0_k1(
// CHECK: memref.alloca() : memref<4xf32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: memref.store
module attributes {gpu.container_module} {
  func.func private @d0(%arg0: memref<40xf32>) attributes {tess.dispatch, tess.gpu_kernels = [@d0_k0, @d0_k1]} {
    return
  }
  gpu.module @tessera_kernels {
    gpu.func @d0_k0(%arg0: memref<40xf32>) kernel attributes {tess.gpu_block = 32 : i64, tess.gpu_grid = 2 : i64} {
      %c40 = arith.constant 40 : index
      %f = arith.constant 1.0 : f32
      %tid = gpu.thread_id x
      %bid = gpu.block_id x
      %bdim = gpu.block_dim x
      %gdim = gpu.grid_dim x
      %0 = arith.muli %bid, %bdim : index
      %1 = arith.addi %0, %tid : index
      %2 = arith.muli %gdim, %bdim : index
      scf.for %i = %1 to %c40 step %2 {
        memref.store %f, %arg0[%i] : memref<40xf32>
      }
      gpu.return
    }
    gpu.func @d0_k1(%arg0: memref<40xf32>) kernel attributes {tess.gpu_block = 32 : i64, tess.gpu_grid = 1 : i64} {
      %s = memref.alloca() : memref<4xf32>
      %c0 = arith.constant 0 : index
      %f = arith.constant 2.0 : f32
      memref.store %f, %s[%c0] : memref<4xf32>
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @tessera_kernels {
    // expected-error @+1 {{cannot emulate a kernel with barriers}}
    gpu.func @k(%arg0: memref<4xf32>) kernel attributes {tess.gpu_block = 32 : i64, tess.gpu_grid = 1 : i64} {
      gpu.barrier
      gpu.return
    }
  }
}
