// GPU loops: one scf.parallel iteration per output element, reductions as scf.for with the
// accumulator in iter_args, a fill right before a reduction folded into the accumulator's
// start value; a fill with another write in between, and elementwise ops, stay as they are
// meant (the fill is a loop of its own). With register blocking (the default, 4), a thread
// of a contraction computes 4 outputs along a dimension that the input varying across threads
// does not depend on, loading that input once for the 4: a matrix product's rows, a
// convolution's output channels (not its output rows, which the image depends on).
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-gpu-loops{register-block=1},canonicalize))' | FileCheck %s
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-gpu-loops,canonicalize))' | FileCheck %s --check-prefix=BLOCK
// RUN: not tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-gpu-loops{register-block=0}))' 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: register-block must be in [1, 16]

// BLOCK-LABEL: func.func @conv
// BLOCK: scf.parallel (%[[F:.+]], %[[OH:.+]], %[[OW:.+]]) = (%c0, %c0, %c0) to (%c2, %c4, %c4)
// BLOCK-COUNT-3: scf.for
// BLOCK: memref.load %arg0
// BLOCK-NOT: memref.load %arg0
// BLOCK-COUNT-4: memref.load %arg1
// BLOCK: scf.yield
// BLOCK-COUNT-4: memref.store
func.func @conv(%x: memref<1x3x6x6xf32>, %w: memref<8x3x3x3xf32>, %y: memref<1x8x4x4xf32>)
    attributes {tess.dispatch} {
  linalg.generic {indexing_maps = [affine_map<(n, f, oh, ow, c, kh, kw) -> (n, c, oh + kh, ow + kw)>,
                                   affine_map<(n, f, oh, ow, c, kh, kw) -> (f, c, kh, kw)>,
                                   affine_map<(n, f, oh, ow, c, kh, kw) -> (n, f, oh, ow)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel",
                                    "reduction", "reduction", "reduction"]}
      ins(%x, %w : memref<1x3x6x6xf32>, memref<8x3x3x3xf32>) outs(%y : memref<1x8x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// BLOCK-LABEL: func.func @matmul
// BLOCK: scf.parallel (%[[N:.+]]) = (%c0) to (%c16) step (%c1)
// BLOCK: scf.for %[[K:.+]] = {{.*}} iter_args(%{{.*}} = %cst, %{{.*}} = %cst, %{{.*}} = %cst, %{{.*}} = %cst) -> (f32, f32, f32, f32)
// BLOCK: memref.load %arg1[%[[K]], %[[N]]]
// BLOCK-NOT: memref.load %arg1
// BLOCK: memref.load %arg0[%c3, %[[K]]]
// BLOCK: scf.yield
// BLOCK: memref.store %{{.*}}#3, %arg2[%c3, %[[N]]]


#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (j)>

// CHECK-LABEL: func.func @matmul
// CHECK-NOT: linalg.
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: scf.parallel (%[[M:.+]], %[[N:.+]]) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %{{.*}})
// CHECK: %[[ACC:.+]] = scf.for %[[K:.+]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[A:.+]] = %[[ZERO]]) -> (f32)
// CHECK: memref.load %arg0
// CHECK: memref.load %arg1
// CHECK: arith.mulf
// CHECK: %[[SUM:.+]] = arith.addf %[[A]]
// CHECK: scf.yield %[[SUM]] : f32
// CHECK: memref.store %[[ACC]], %arg2
// CHECK-NOT: memref.store
// CHECK: return
func.func @matmul(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>)
    attributes {tess.dispatch} {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#mk, #kn, #mn],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// A write to the output between the fill and the reduction: the fill stays, and the
// accumulator starts from the output element.
// CHECK-LABEL: func.func @fill_not_adjacent
// CHECK: scf.parallel
// CHECK: memref.store %{{.*}}, %arg2
// CHECK: memref.store %{{.*}}, %arg2[%{{.*}}, %{{.*}}]
// CHECK: scf.parallel
// CHECK: %[[OUT:.+]] = memref.load %arg2
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[OUT]])
func.func @fill_not_adjacent(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>)
    attributes {tess.dispatch} {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %i0 = arith.constant 0 : index
  linalg.fill ins(%zero : f32) outs(%c : memref<4x16xf32>)
  memref.store %one, %c[%i0, %i0] : memref<4x16xf32>
  linalg.generic {indexing_maps = [#mk, #kn, #mn],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// Elementwise with a broadcast operand; the output is not read when the payload ignores it.
// CHECK-LABEL: func.func @bias
// CHECK: scf.parallel (%[[I:.+]], %[[J:.+]]) =
// CHECK-NOT: scf.for
// CHECK: memref.load %arg0[%[[I]], %[[J]]]
// CHECK: memref.load %arg1[%[[J]]]
// CHECK-NOT: memref.load %arg2
// CHECK: arith.addf
// CHECK: memref.store %{{.*}}, %arg2[%[[I]], %[[J]]]
func.func @bias(%x: memref<4x16xf32>, %b: memref<16xf32>, %y: memref<4x16xf32>)
    attributes {tess.dispatch} {
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : memref<4x16xf32>, memref<16xf32>) outs(%y : memref<4x16xf32>) {
  ^bb0(%v: f32, %w: f32, %o: f32):
    %s = arith.addf %v, %w : f32
    linalg.yield %s : f32
  }
  return
}

// linalg.index becomes the loop index; memref.copy becomes an element loop.
// CHECK-LABEL: func.func @iota_and_copy
// CHECK: scf.parallel (%[[I:.+]]) =
// CHECK: arith.index_cast %[[I]]
// CHECK: scf.parallel (%[[P:.+]], %[[Q:.+]]) =
// CHECK: %[[V:.+]] = memref.load %arg1[%[[P]], %[[Q]]]
// CHECK: memref.store %[[V]], %arg2[%[[P]], %[[Q]]]
// CHECK-NOT: memref.copy
func.func @iota_and_copy(%o: memref<8xi64>, %s: memref<2x3xf32>, %t: memref<2x3xf32>)
    attributes {tess.dispatch} {
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      outs(%o : memref<8xi64>) {
  ^bb0(%out: i64):
    %i = linalg.index 0 : index
    %v = arith.index_cast %i : index to i64
    linalg.yield %v : i64
  }
  memref.copy %s, %t : memref<2x3xf32> to memref<2x3xf32>
  return
}
