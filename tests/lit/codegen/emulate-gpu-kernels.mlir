// Emulation: each kernel becomes a private function looping over its grid's blocks and each
// block's threads, the ids replaced by the loop indices; the dispatch calls its kernels in
// launch order. A kernel with barriers runs every thread up to a barrier before any thread
// goes past it: one thread loop per stretch between barriers, loops holding barriers stay
// block-level loops, private memory becomes a slice per thread, workgroup memory one buffer
// per block, and pure values are recomputed after a barrier. What cannot be split is refused.
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

// CHECK-LABEL: func.func private @staged(
// CHECK-DAG: %[[C64:.+]] = arith.constant 64 : index
// CHECK-DAG: %[[SHARED:.+]] = memref.alloca() : memref<64xf32>
// CHECK-DAG: %[[PRIV:.+]] = memref.alloca() : memref<64x1xf32>
// CHECK: scf.for %[[B:.+]] = %{{.*}} to %{{.*}}
// Before the barrier: each thread stores its element and keeps it in private memory.
// CHECK: scf.for %[[T:.+]] = %{{.*}} to %[[C64]]
// CHECK: %[[MINE:.+]] = memref.subview %[[PRIV]][%[[T]], 0] [1, 1] [1, 1]
// CHECK: memref.store %{{.*}}, %[[SHARED]][%[[T]]]
// CHECK: memref.store %{{.*}}, %[[MINE]][%{{.*}}]
// A block-level loop with a barrier in it, and after the barrier a second thread loop that
// recomputes the neighbour's index from the thread id.
// CHECK: scf.for %[[I:.+]] = %{{.*}} to %{{.*}} step
// CHECK: scf.for %[[T2:.+]] = %{{.*}} to %[[C64]]
// CHECK: %[[N:.+]] = arith.addi %[[T2]], %{{.*}}
// CHECK: %[[W:.+]] = arith.remui %[[N]], %[[C64]]
// CHECK: memref.load %[[SHARED]][%[[W]]]
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[C64]]
// CHECK: memref.load %arg0
module attributes {gpu.container_module} {
  func.func private @d1(%arg0: memref<128xf32>) attributes {tess.dispatch, tess.gpu_kernels = [@staged]} {
    return
  }
  gpu.module @tessera_kernels {
    gpu.func @staged(%arg0: memref<128xf32>) workgroup(%s : memref<64xf32, #gpu.address_space<workgroup>>) private(%p : memref<1xf32, #gpu.address_space<private>>) kernel attributes {tess.gpu_block = 64 : i64, tess.gpu_grid = 2 : i64} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c3 = arith.constant 3 : index
      %c64 = arith.constant 64 : index
      %tid = gpu.thread_id x
      %bid = gpu.block_id x
      %base = arith.muli %bid, %c64 : index
      %g = arith.addi %base, %tid : index
      %x = memref.load %arg0[%g] : memref<128xf32>
      memref.store %x, %s[%tid] : memref<64xf32, #gpu.address_space<workgroup>>
      memref.store %x, %p[%c0] : memref<1xf32, #gpu.address_space<private>>
      %next = arith.addi %tid, %c1 : index
      %wrap = arith.remui %next, %c64 : index
      scf.for %i = %c0 to %c3 step %c1 {
        gpu.barrier
        %y = memref.load %s[%wrap] : memref<64xf32, #gpu.address_space<workgroup>>
        %mine = memref.load %p[%c0] : memref<1xf32, #gpu.address_space<private>>
        %sum = arith.addf %y, %mine : f32
        memref.store %sum, %p[%c0] : memref<1xf32, #gpu.address_space<private>>
        gpu.barrier
        %again = memref.load %arg0[%g] : memref<128xf32>
        memref.store %again, %s[%tid] : memref<64xf32, #gpu.address_space<workgroup>>
      }
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @tessera_kernels {
    gpu.func @k(%arg0: memref<4xf32>) kernel attributes {tess.gpu_block = 32 : i64, tess.gpu_grid = 1 : i64} {
      %c0 = arith.constant 0 : index
      // expected-error @+1 {{cannot emulate: a value read from memory crosses a barrier; keep it in memory}}
      %x = memref.load %arg0[%c0] : memref<4xf32>
      gpu.barrier
      memref.store %x, %arg0[%c0] : memref<4xf32>
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @tessera_kernels {
    gpu.func @k(%arg0: memref<4xf32>, %c: i1) kernel attributes {tess.gpu_block = 32 : i64, tess.gpu_grid = 1 : i64} {
      // expected-error @+1 {{cannot emulate a barrier inside this op (only scf.for loops without results may hold barriers)}}
      scf.if %c {
        gpu.barrier
      }
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @tessera_kernels {
    gpu.func @k(%arg0: memref<4xf32>) kernel attributes {tess.gpu_block = 32 : i64, tess.gpu_grid = 1 : i64} {
      %c1 = arith.constant 1 : index
      // expected-error @+1 {{cannot emulate: a loop holding a barrier has bounds that depend on the thread}}
      %tid = gpu.thread_id x
      scf.for %i = %tid to %c1 step %c1 {
        gpu.barrier
      }
      gpu.return
    }
  }
}
