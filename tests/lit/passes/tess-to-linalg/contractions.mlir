// tess-to-linalg, contractions (TessToLinalg/Contractions.cpp): matmul and linear as one
// generic each; convolution runs channels-last between two transposes, padded with fill +
// insert_slice, as one generic.
// RUN: tessera-opt %s --tess-to-linalg | FileCheck %s

// CHECK-DAG: #[[CONV_IN:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1 * 2 + d5, d2 + d6 * 2, d3, d7)>
// CHECK-DAG: #[[CONV_W:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d3, d4, d7, d5, d6)>
// CHECK-DAG: #[[CONV_OUT:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2, d3, d4)>
// CHECK-DAG: #[[CONV_BIAS:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d3, d4)>
// CHECK-DAG: #[[CONV1_IN:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1 + d4, d2 + d5, d6)>

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

// Groups 2, stride (2, 1), padding 1, dilation (1, 2), bias. The input is transposed to NHWC
// and padded there, viewed as [N, Hp, Wp, G, C/G]; the weight as [G, O/G, C/G, KH, KW]; the
// bias is broadcast into the NHWC accumulator; loops (n, oh, ow, g, o; kh, kw, c); the result
// is transposed back to NCHW.
// CHECK-LABEL: func.func @conv2d
// CHECK: %[[T:.+]] = linalg.transpose ins(%arg0 : tensor<1x4x9x8xf32>) outs(%{{.*}} : tensor<1x9x8x4xf32>) permutation = [0, 2, 3, 1]
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[PADFILL:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<1x11x10x4xf32>)
// CHECK: %[[PADDED:.+]] = tensor.insert_slice %[[T]] into %[[PADFILL]][0, 1, 1, 0] [1, 9, 8, 4] [1, 1, 1, 1] : tensor<1x9x8x4xf32> into tensor<1x11x10x4xf32>
// CHECK: %[[IN:.+]] = tensor.expand_shape %[[PADDED]] {{\[\[}}0], [1], [2], [3, 4]] output_shape [1, 11, 10, 2, 2] : tensor<1x11x10x4xf32> into tensor<1x11x10x2x2xf32>
// CHECK: %[[W:.+]] = tensor.expand_shape %arg1 {{\[\[}}0, 1], [2], [3], [4]] output_shape [2, 3, 2, 3, 3] : tensor<6x2x3x3xf32> into tensor<2x3x2x3x3xf32>
// CHECK: %[[B:.+]] = tensor.expand_shape %arg2 {{\[\[}}0, 1]] output_shape [2, 3] : tensor<6xf32> into tensor<2x3xf32>
// CHECK: %[[INIT:.+]] = linalg.generic {indexing_maps = [#[[CONV_BIAS]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[B]] : tensor<2x3xf32>) outs(%{{.*}} : tensor<1x5x6x2x3xf32>)
// CHECK: %[[CONV:.+]] = linalg.generic {indexing_maps = [#[[CONV_IN]], #[[CONV_W]], #[[CONV_OUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
// CHECK-SAME: ins(%[[IN]], %[[W]] : tensor<1x11x10x2x2xf32>, tensor<2x3x2x3x3xf32>) outs(%[[INIT]] : tensor<1x5x6x2x3xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK-NOT: linalg.generic
// CHECK: %[[C:.+]] = tensor.collapse_shape %[[CONV]] {{\[\[}}0], [1], [2], [3, 4]] : tensor<1x5x6x2x3xf32> into tensor<1x5x6x6xf32>
// CHECK: %[[R:.+]] = linalg.transpose ins(%[[C]] : tensor<1x5x6x6xf32>) outs(%{{.*}} : tensor<1x6x5x6xf32>) permutation = [0, 3, 1, 2]
// CHECK: return %[[R]]
func.func @conv2d(%x: tensor<1x4x9x8xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> tensor<1x6x5x6xf32> {
  %0 = tess.conv2d %x, %w, %b {strides = array<i64: 2, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 2>, groups = 2} : tensor<1x4x9x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32> -> tensor<1x6x5x6xf32>
  return %0 : tensor<1x6x5x6xf32>
}

// No padding: no fill + insert_slice; no bias: a zero-filled accumulator; one group: no
// reshapes, the generic writes [N, OH, OW, O].
// CHECK-LABEL: func.func @conv2d_unpadded
// CHECK-NOT: tensor.insert_slice
// CHECK-NOT: tensor.expand_shape
// CHECK: %[[T:.+]] = linalg.transpose ins(%arg0
// CHECK: %[[INIT:.+]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x9x8x3xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[CONV1_IN]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
// CHECK-SAME: ins(%[[T]], %arg1 : tensor<1x9x8x4xf32>, tensor<3x4x1x1xf32>) outs(%[[INIT]] : tensor<1x9x8x3xf32>)
// CHECK: linalg.transpose {{.*}} permutation = [0, 3, 1, 2]
func.func @conv2d_unpadded(%x: tensor<1x4x9x8xf32>, %w: tensor<3x4x1x1xf32>) -> tensor<1x3x9x8xf32> {
  %0 = tess.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : tensor<1x4x9x8xf32>, tensor<3x4x1x1xf32> -> tensor<1x3x9x8xf32>
  return %0 : tensor<1x3x9x8xf32>
}
