// tile-loops: an op carrying tess.tile_sizes becomes a parallel loop over its tiles of
// parallel loops and a sequential loop over its tiles of reduction loops, around the op on
// subviews; unmarked ops are left alone.
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-tile-loops))' | FileCheck %s

// CHECK-LABEL: func.func @marked
// CHECK: scf.parallel (%[[N:.+]]) = (%c0{{.*}}) to (%c64) step (%c16{{.*}})
// CHECK: scf.for %[[M:.+]] = %c0{{.*}} to %c128 step %c32{{.*}} {
// CHECK: memref.subview %arg0[%[[N]], %[[M]]] [16, 32] [1, 1]
// CHECK: memref.subview %arg1[%[[M]]] [32] [1]
// CHECK: memref.subview %arg2[%[[N]]] [16] [1]
// CHECK: linalg.generic
// CHECK-SAME: ins({{.*}} : memref<16x32xf32, strided<[128, 1], offset: ?>>, memref<32xf32, strided<[1], offset: ?>>)
// CHECK-NOT: tess.tile_sizes
func.func @marked(%a: memref<64x128xf32>, %x: memref<128xf32>, %y: memref<64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, m) -> (n, m)>, affine_map<(n, m) -> (m)>,
                                   affine_map<(n, m) -> (n)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a, %x : memref<64x128xf32>, memref<128xf32>) outs(%y : memref<64xf32>)
      attrs = {tess.tile_sizes = array<i64: 16, 32>} {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// CHECK-LABEL: func.func @unmarked
// CHECK-NOT: scf.
// CHECK: linalg.generic
func.func @unmarked(%a: memref<64x128xf32>, %x: memref<128xf32>, %y: memref<64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, m) -> (n, m)>, affine_map<(n, m) -> (m)>,
                                   affine_map<(n, m) -> (n)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a, %x : memref<64x128xf32>, memref<128xf32>) outs(%y : memref<64xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// A transpose moving the innermost dimension is tiled 16 x 16 over the two dims involved;
// one that keeps it innermost, or is too small, is not.
// CHECK-LABEL: func.func @nhwc_to_nchw
// CHECK: scf.parallel ({{.*}}) = ({{.*}}) to (%c64, %c48) step ({{.*}})
// CHECK: linalg.transpose ins(%{{.*}} : memref<1x4x16x16xf32, {{.*}}>) outs(%{{.*}} : memref<1x16x4x16xf32, {{.*}}>) permutation = [0, 3, 1, 2]
// CHECK-LABEL: func.func @inner_kept
// CHECK-NOT: scf.parallel
// CHECK: linalg.transpose
func.func @nhwc_to_nchw(%x: memref<1x4x48x64xf32>, %y: memref<1x64x4x48xf32>) attributes {tess.dispatch} {
  linalg.transpose ins(%x : memref<1x4x48x64xf32>) outs(%y : memref<1x64x4x48xf32>) permutation = [0, 3, 1, 2]
  return
}
func.func @inner_kept(%x: memref<4x48x64xf32>, %y: memref<48x4x64xf32>) attributes {tess.dispatch} {
  linalg.transpose ins(%x : memref<4x48x64xf32>) outs(%y : memref<48x4x64xf32>) permutation = [1, 0, 2]
  return
}
