// Outlining: each top-level loop nest of a dispatch becomes one kernel with the dispatch's
// bindings as parameters; the flattened iterations are strided over the grid, innermost
// dimension fastest; nested parallel loops run sequentially; a nest that is not a parallel
// loop runs on the first thread. Functions that are not dispatches are left alone.
// RUN: tessera-opt %s --pass-pipeline='builtin.module(tessera-outline-gpu-kernels{block-size=128 max-blocks=4},canonicalize)' | FileCheck %s

// CHECK: module attributes {gpu.container_module}
// CHECK: func.func private @two_nests(%{{.*}}: memref<4x40xf32>, %{{.*}}: memref<4x40xf32>)
// CHECK-SAME: tess.gpu_kernels = [@two_nests_k0, @two_nests_k1]
// CHECK-NEXT: return
func.func @two_nests(%a: memref<4x40xf32>, %b: memref<4x40xf32>) attributes {tess.dispatch} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c40 = arith.constant 40 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c40) step (%c1, %c1) {
    memref.store %f, %a[%i, %j] : memref<4x40xf32>
  }
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    scf.parallel (%j) = (%c0) to (%c40) step (%c1) {
      %v = memref.load %a[%i, %j] : memref<4x40xf32>
      memref.store %v, %b[%i, %j] : memref<4x40xf32>
    }
  }
  return
}

// CHECK-LABEL: func.func private @serial
// CHECK-SAME: tess.gpu_kernels = [@serial_k0]

// CHECK-LABEL: func.func @not_a_dispatch
// CHECK: scf.parallel
func.func @serial(%a: memref<8xf32>) attributes {tess.dispatch} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %f = arith.constant 2.0 : f32
  scf.for %i = %c1 to %c8 step %c1 {
    %p = arith.subi %i, %c1 : index
    %v = memref.load %a[%p] : memref<8xf32>
    %w = arith.addf %v, %f : f32
    memref.store %w, %a[%i] : memref<8xf32>
  }
  return
}

func.func @not_a_dispatch(%a: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %f = arith.constant 2.0 : f32
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    memref.store %f, %a[%i] : memref<8xf32>
  }
  return
}

// CHECK: gpu.module @tessera_kernels
// 160 iterations: 2 blocks of 128 threads.
// CHECK: gpu.func @two_nests_k0(%[[A:.+]]: memref<4x40xf32>, %{{.*}}: memref<4x40xf32>) kernel
// CHECK-SAME: tess.gpu_block = 128 : i64, tess.gpu_grid = 2 : i64
// CHECK-DAG: %[[TID:.+]] = gpu.thread_id x
// CHECK-DAG: %[[BID:.+]] = gpu.block_id x
// CHECK-DAG: %[[BDIM:.+]] = gpu.block_dim x
// CHECK-DAG: %[[GDIM:.+]] = gpu.grid_dim x
// CHECK: %[[STRIDE:.+]] = arith.muli %[[GDIM]], %[[BDIM]]
// CHECK: scf.for %[[L:.+]] = %{{.*}} to %c160 step %[[STRIDE]]
// CHECK-DAG: %[[J:.+]] = arith.remui %[[L]], %c40
// CHECK-DAG: %[[I:.+]] = arith.divui %[[L]], %c40
// CHECK: memref.store %{{.*}}, %[[A]][%[[I]], %[[J]]]
// CHECK: gpu.return

// The second nest: its 4 outer iterations go to threads, the inner loop is sequential.
// CHECK: gpu.func @two_nests_k1
// CHECK-SAME: tess.gpu_block = 32 : i64, tess.gpu_grid = 1 : i64
// CHECK: scf.for %{{.*}} = %{{.*}} to %c4 step
// CHECK: scf.for %{{.*}} = %c0 to %c40 step %c1
// CHECK-NOT: scf.parallel
// CHECK: gpu.return

// CHECK: gpu.func @serial_k0
// CHECK-SAME: tess.gpu_block = 32 : i64, tess.gpu_grid = 1 : i64
// CHECK: %[[FIRST:.+]] = arith.cmpi eq
// CHECK: scf.if %[[FIRST]]
// CHECK: scf.for
