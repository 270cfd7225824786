// gpu-block-reductions: a long row reduction becomes one gpu.launch (one block per output,
// strided over the grid): each thread folds a strided share of the row from the combine's
// identity, a shared-memory tree halves the partials between barriers, and thread 0 adds the
// start value (here the folded fill) and stores. Short rows, reductions not along the last
// loop dimension, and contractions are left to tessera-gpu-loops.
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-gpu-block-reductions{max-threads=64}),tessera-outline-gpu-kernels,canonicalize,cse)' | FileCheck %s
// RUN: not tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-gpu-block-reductions{max-threads=48}))' 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: max-threads must be a power of two in [32, 1024]

#row = affine_map<(d0, d1) -> (d0, d1)>
#out = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// 3 rows of 512: 64 threads (8 elements each), grid 3; the fill's zero is the start value.
// CHECK-LABEL: gpu.func @row_sum_k0(
// CHECK-SAME: workgroup(%[[P:.+]] : memref<1x64xf32, #gpu.address_space<workgroup>>)
// CHECK-SAME: tess.gpu_block = 64 : i64, tess.gpu_grid = 3 : i64
// CHECK: %[[T:.+]] = gpu.thread_id x
// CHECK: scf.for %[[ROW:.+]] = %{{.*}} to %c3 step %{{.*}} {
// CHECK: %[[PART:.+]] = scf.for %{{.*}} = %[[T]] to %c512 step %c64 iter_args(%[[A:.+]] = %cst)
// CHECK: memref.store %[[PART]], %[[P]][%c0, %[[T]]]
// CHECK: gpu.barrier
// CHECK: arith.cmpi ult, %[[T]], %c32
// CHECK: gpu.barrier
// CHECK: arith.cmpi ult, %[[T]], %c1 :
// CHECK: gpu.barrier
// CHECK: arith.cmpi eq, %[[T]], %c0
// CHECK: memref.load %[[P]][%c0, %c0]
// CHECK: memref.store %{{.*}}, %arg1[%[[ROW]]]
// CHECK: gpu.barrier
// CHECK-NOT: linalg.fill
func.func @row_sum(%x: memref<3x512xf32>, %s: memref<3xf32>) attributes {tess.dispatch} {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%s : memref<3xf32>)
  linalg.generic {indexing_maps = [#row, #out], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<3x512xf32>) outs(%s : memref<3xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %r = arith.addf %sq, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// A maximum starts from -inf and reads the output's old value at the end (no fill).
// CHECK-LABEL: gpu.func @row_max_k0(
// CHECK: %[[NEG:.+]] = arith.constant 0xFF800000 : f32
// CHECK: scf.for %{{.*}} iter_args(%{{.*}} = %[[NEG]])
// CHECK: arith.maximumf
// CHECK: memref.load %arg1
func.func @row_max(%x: memref<2x200xf32>, %m: memref<2xf32>) attributes {tess.dispatch} {
  linalg.generic {indexing_maps = [#row, #out], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<2x200xf32>) outs(%m : memref<2xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.maximumf %a, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// Left alone: a short row, a reduction along a strided dimension, a matrix-vector product
// (two inputs walk the reduced dimension).
// CHECK-LABEL: gpu.func @short_k0(
// CHECK-NOT: gpu.barrier
// CHECK: linalg.generic
// CHECK-LABEL: gpu.func @columns_k0(
// CHECK-NOT: gpu.barrier
// CHECK: linalg.generic
// CHECK-LABEL: gpu.func @matvec_k0(
// CHECK-NOT: gpu.barrier
// CHECK: linalg.generic
func.func @short(%x: memref<4x100xf32>, %s: memref<4xf32>) attributes {tess.dispatch} {
  linalg.generic {indexing_maps = [#row, #out], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x100xf32>) outs(%s : memref<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  }
  return
}
func.func @columns(%x: memref<512x4xf32>, %s: memref<4xf32>) attributes {tess.dispatch} {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, #out], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<512x4xf32>) outs(%s : memref<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  }
  return
}
func.func @matvec(%a: memref<4x512xf32>, %v: memref<512xf32>, %y: memref<4xf32>) attributes {tess.dispatch} {
  linalg.generic {indexing_maps = [#row, #col, #out], iterator_types = ["parallel", "reduction"]}
      ins(%a, %v : memref<4x512xf32>, memref<512xf32>) outs(%y : memref<4xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %r = arith.addf %m, %acc : f32
    linalg.yield %r : f32
  }
  return
}
