// tess -> linalg on tensors: broadcasting becomes indexing maps, scalars fold into bodies,
// contractions and reductions become generics with reduction iterators.
// RUN: tessera-opt %s --tess-to-linalg | FileCheck %s

// CHECK-DAG: #[[BCAST:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @broadcast_add
// CHECK: %[[E:.+]] = tensor.empty() : tensor<2x3xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID2]], #[[BCAST]], #[[ID2]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%arg0, %arg1 : tensor<2x3xf32>, tensor<3xf32>) outs(%[[E]] : tensor<2x3xf32>)
// CHECK: arith.addf
func.func @broadcast_add(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %0 = tess.add %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// A scalar constant becomes a constant inside the body, not an input buffer.
// CHECK-LABEL: func.func @scalar_mul
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<2x3xf32>)
// CHECK: %[[C:.+]] = arith.constant 5.000000e-01 : f32
// CHECK: arith.mulf %{{.*}}, %[[C]]
func.func @scalar_mul(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %half = tess.constant dense<0.5> : tensor<f32>
  %0 = tess.mul %a, %half : tensor<2x3xf32>, tensor<f32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @matmul_transposed
// CHECK: %[[Z:.+]] = linalg.fill {{.*}} -> tensor<4x2x5xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%arg0, %arg1 : tensor<4x2x3xf32>, tensor<5x3xf32>) outs(%[[Z]] : tensor<4x2x5xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @matmul_transposed(%a: tensor<4x2x3xf32>, %b: tensor<5x3xf32>) -> tensor<4x2x5xf32> {
  %0 = tess.matmul %a, %b {transpose_rhs = true} : tensor<4x2x3xf32>, tensor<5x3xf32> -> tensor<4x2x5xf32>
  return %0 : tensor<4x2x5xf32>
}

// The bias is broadcast into the output, then the contraction accumulates into it.
// CHECK-LABEL: func.func @linear
// CHECK: %[[BIAS:.+]] = linalg.generic {{.*}} ins(%arg2 : tensor<4xf32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%arg0, %arg1 : tensor<2x3xf32>, tensor<4x3xf32>) outs(%[[BIAS]] : tensor<2x4xf32>)
func.func @linear(%x: tensor<2x3xf32>, %w: tensor<4x3xf32>, %b: tensor<4xf32>) -> tensor<2x4xf32> {
  %0 = tess.linear %x, %w, %b : tensor<2x3xf32>, tensor<4x3xf32>, tensor<4xf32> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// CHECK-LABEL: func.func @reduce_keepdims
// CHECK: linalg.fill
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "reduction"]
// CHECK: arith.maximumf
// CHECK: tensor.expand_shape {{.*}} tensor<2xf32> into tensor<1x2x1xf32>
func.func @reduce_keepdims(%a: tensor<3x2x4xf32>) -> tensor<1x2x1xf32> {
  %0 = tess.reduce_max %a {axes = array<i64: 0, 2>, keepdims = true} : tensor<3x2x4xf32> -> tensor<1x2x1xf32>
  return %0 : tensor<1x2x1xf32>
}

// Softmax: max, exp(x - max), sum, divide.
// CHECK-LABEL: func.func @softmax
// CHECK: arith.maximumf
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: arith.divf
func.func @softmax(%a: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %0 = tess.softmax %a {axis = 1} : tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// CHECK-LABEL: func.func @layer_norm
// CHECK: math.rsqrt
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @layer_norm(%a: tensor<2x5xf32>, %w: tensor<5xf32>, %b: tensor<5xf32>) -> tensor<2x5xf32> {
  %0 = tess.layer_norm %a weight %w bias %b {eps = 1.0e-6 : f64} : tensor<2x5xf32>, tensor<5xf32>, tensor<5xf32> -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// CHECK-LABEL: func.func @gelu_erf
// CHECK: math.erf
func.func @gelu_erf(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tess.gelu %a : tensor<4xf32>
  return %0 : tensor<4xf32>
}

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
