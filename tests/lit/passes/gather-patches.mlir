// gather-patches: a gather reads through reshapes, slices and data-movement generics (an
// unfold, another gather) to the original tensor; it does not inline a producer that
// computes (float math).
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-gather-patches))' | FileCheck %s

#id1 = affine_map<(d0) -> (d0)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>

// An unfold-like copy (patches of a padded row, [2, 3] windows of [8]) flattened, then
// gathered by index: the gather reads %x at window start * 2 + offset.
// CHECK-LABEL: func.func @gather_of_unfold
// CHECK: linalg.generic
// CHECK: %[[I:.+]] = linalg.index 0
// CHECK: %[[O:.+]] = affine.apply #{{.+}}(%[[I]])
// CHECK: %[[W:.+]] = affine.apply #{{.+}}(%[[I]])
// CHECK: %[[P:.+]] = affine.apply #{{.+}}(%[[W]], %[[O]])
// CHECK: tensor.extract %arg0[%[[P]]] : tensor<8xf32>
// CHECK-NOT: tensor.collapse_shape
// CHECK: return
func.func @gather_of_unfold(%x: tensor<8xf32>) -> tensor<6xf32> {
  %e = tensor.empty() : tensor<3x2xf32>
  %u = linalg.generic {indexing_maps = [affine_map<(w, o) -> (w * 2 + o)>, #id2],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8xf32>) outs(%e : tensor<3x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<3x2xf32>
  %flat = tensor.collapse_shape %u [[0, 1]] : tensor<3x2xf32> into tensor<6xf32>
  %e2 = tensor.empty() : tensor<6xf32>
  %g = linalg.generic {indexing_maps = [#id1], iterator_types = ["parallel"]} outs(%e2 : tensor<6xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %v = tensor.extract %flat[%i] : tensor<6xf32>
    linalg.yield %v : f32
  } -> tensor<6xf32>
  return %g : tensor<6xf32>
}

// A slice's offset moves into the index.
// CHECK-LABEL: func.func @gather_of_slice
// CHECK: %[[I:.+]] = linalg.index 0
// CHECK: %[[J:.+]] = arith.addi %[[I]], %c2
// CHECK: tensor.extract %arg0[%c1, %[[J]]] : tensor<4x8xf32>
func.func @gather_of_slice(%x: tensor<4x8xf32>) -> tensor<3xf32> {
  %s = tensor.extract_slice %x[1, 2] [1, 3] [1, 1] : tensor<4x8xf32> to tensor<3xf32>
  %e = tensor.empty() : tensor<3xf32>
  %g = linalg.generic {indexing_maps = [#id1], iterator_types = ["parallel"]} outs(%e : tensor<3xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %v = tensor.extract %s[%i] : tensor<3xf32>
    linalg.yield %v : f32
  } -> tensor<3xf32>
  return %g : tensor<3xf32>
}

// A producer that computes is not re-evaluated per read.
// CHECK-LABEL: func.func @not_through_math
// CHECK: %[[SQ:.+]] = linalg.generic
// CHECK: arith.mulf
// CHECK: tensor.extract %[[SQ]]
func.func @not_through_math(%x: tensor<6xf32>) -> tensor<6xf32> {
  %e = tensor.empty() : tensor<6xf32>
  %sq = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%x : tensor<6xf32>) outs(%e : tensor<6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<6xf32>
  %g = linalg.generic {indexing_maps = [#id1], iterator_types = ["parallel"]} outs(%e : tensor<6xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %c5 = arith.constant 5 : index
    %j = arith.subi %c5, %i : index
    %v = tensor.extract %sq[%j] : tensor<6xf32>
    linalg.yield %v : f32
  } -> tensor<6xf32>
  return %g : tensor<6xf32>
}
