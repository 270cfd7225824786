// tess-to-linalg, data movement (TessToLinalg/DataMovement.cpp): reshape, transpose, slice,
// concat; gather reads its input with tensor.extract at a clamped index.
// RUN: tessera-opt %s --tess-to-linalg | FileCheck %s

// CHECK-DAG: #[[GATHER_IDX:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d2)>

// CHECK-LABEL: func.func @data_movement
// CHECK: tensor.collapse_shape %arg0 {{\[\[}}0, 1]] : tensor<2x6xf32> into tensor<12xf32>
// CHECK: tensor.expand_shape {{.*}} {{\[\[}}0, 1, 2]] output_shape [3, 2, 2] : tensor<12xf32> into tensor<3x2x2xf32>
// CHECK: linalg.transpose ins({{.*}} : tensor<3x2x2xf32>) outs({{.*}} : tensor<2x2x3xf32>) permutation = [2, 1, 0]
// CHECK: tensor.extract_slice {{.*}}[0, 0, 1] [2, 2, 1] [1, 1, 2] : tensor<2x2x3xf32> to tensor<2x2x1xf32>
// CHECK: tensor.insert_slice
// CHECK: tensor.insert_slice {{.*}}[0, 0, 1] [2, 2, 3] [1, 1, 1] : tensor<2x2x3xf32> into tensor<2x2x4xf32>
func.func @data_movement(%a: tensor<2x6xf32>) -> tensor<2x2x4xf32> {
  %0 = tess.reshape %a : tensor<2x6xf32> -> tensor<3x2x2xf32>
  %1 = tess.transpose %0 {permutation = array<i64: 2, 1, 0>} : tensor<3x2x2xf32> -> tensor<2x2x3xf32>
  %2 = tess.slice %1 {starts = array<i64: 0, 0, 1>, limits = array<i64: 2, 2, 3>, strides = array<i64: 1, 1, 2>} : tensor<2x2x3xf32> -> tensor<2x2x1xf32>
  %3 = tess.concat %2, %1 {axis = 2} : tensor<2x2x1xf32>, tensor<2x2x3xf32> -> tensor<2x2x4xf32>
  return %3 : tensor<2x2x4xf32>
}

// One generic over the result; the index is clamped to [0, 2] before tensor.extract.
// CHECK-LABEL: func.func @gather
// CHECK: linalg.generic {indexing_maps = [#[[GATHER_IDX]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%arg1 : tensor<2x6xi32>) outs(%{{.*}} : tensor<4x2x6x5xf32>)
// CHECK: %[[I:.+]] = arith.index_cast %{{.*}} : i32 to index
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG: %[[C2:.+]] = arith.constant 2 : index
// CHECK: %[[LO:.+]] = arith.maxsi %[[I]], %[[C0]] : index
// CHECK: %[[K:.+]] = arith.minsi %[[LO]], %[[C2]] : index
// CHECK: %[[D0:.+]] = linalg.index 0 : index
// CHECK: %[[D3:.+]] = linalg.index 3 : index
// CHECK: %[[V:.+]] = tensor.extract %arg0[%[[D0]], %[[K]], %[[D3]]] : tensor<4x3x5xf32>
// CHECK: linalg.yield %[[V]] : f32
func.func @gather(%a: tensor<4x3x5xf32>, %i: tensor<2x6xi32>) -> tensor<4x2x6x5xf32> {
  %0 = tess.gather %a[%i] {axis = 1 : i64} : tensor<4x3x5xf32>, tensor<2x6xi32> -> tensor<4x2x6x5xf32>
  return %0 : tensor<4x2x6x5xf32>
}
