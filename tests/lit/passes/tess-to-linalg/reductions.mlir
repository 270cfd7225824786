// tess-to-linalg, reductions and norms (TessToLinalg/Reductions.cpp): generics with
// reduction iterators; keepdims reshapes back; argmax/argmin carry value and index through a
// two-output reduction; softmax and layer norm as reductions and elementwise generics.
// RUN: tessera-opt %s --tess-to-linalg | FileCheck %s

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

// Two outputs: the running maximum (from -inf) and its index (from 0); a strict comparison
// keeps the first index on ties. keepdims reshapes the index result.
// CHECK-LABEL: func.func @argmax
// CHECK: %[[NINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: %[[VALS:.+]] = linalg.fill ins(%[[NINF]] : f32) outs(%{{.*}} : tensor<4xf32>)
// CHECK: %[[ZERO:.+]] = arith.constant 0 : i64
// CHECK: %[[IDXS:.+]] = linalg.fill ins(%[[ZERO]] : i64) outs(%{{.*}} : tensor<4xi64>)
// CHECK: %[[R:.+]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]}
// CHECK-SAME: ins(%arg0 : tensor<4x3xf32>) outs(%[[VALS]], %[[IDXS]] : tensor<4xf32>, tensor<4xi64>)
// CHECK: %[[J:.+]] = linalg.index 1 : index
// CHECK: %[[J64:.+]] = arith.index_cast %[[J]] : index to i64
// CHECK: %[[BETTER:.+]] = arith.cmpf ogt
// CHECK: arith.select %[[BETTER]], %{{.*}}, %{{.*}} : f32
// CHECK: arith.select %[[BETTER]], %[[J64]], %{{.*}} : i64
// CHECK: -> (tensor<4xf32>, tensor<4xi64>)
// CHECK: tensor.expand_shape %[[R]]#1 {{\[\[}}0, 1]] output_shape [4, 1] : tensor<4xi64> into tensor<4x1xi64>
func.func @argmax(%a: tensor<4x3xf32>) -> tensor<4x1xi64> {
  %0 = tess.argmax %a {axis = 1 : i64, keepdims = true} : tensor<4x3xf32> -> tensor<4x1xi64>
  return %0 : tensor<4x1xi64>
}

// CHECK-LABEL: func.func @argmin
// CHECK: %[[INF:.+]] = arith.constant 0x7F800000 : f32
// CHECK: linalg.fill ins(%[[INF]] : f32) outs(%{{.*}} : tensor<3xf32>)
// CHECK: %[[R:.+]]:2 = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]}
// CHECK: linalg.index 0 : index
// CHECK: arith.cmpf olt
// CHECK: return %[[R]]#1 : tensor<3xi64>
func.func @argmin(%a: tensor<4x3xf32>) -> tensor<3xi64> {
  %0 = tess.argmin %a {axis = 0 : i64} : tensor<4x3xf32> -> tensor<3xi64>
  return %0 : tensor<3xi64>
}
