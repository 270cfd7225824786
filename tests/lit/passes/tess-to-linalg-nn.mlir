// tess -> linalg for the indexing, conversion and NCHW ops: convolution runs channels-last
// between two transposes, convolution and pooling pad with fill + insert_slice and run as one
// generic each, gather reads its input with tensor.extract
// at a clamped index, argmax/argmin carry value and index through a two-output reduction.
// RUN: tessera-opt %s --tess-to-linalg | FileCheck %s

// CHECK-DAG: #[[CONV_IN:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1 * 2 + d5, d2 + d6 * 2, d3, d7)>
// CHECK-DAG: #[[CONV_W:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d3, d4, d7, d5, d6)>
// CHECK-DAG: #[[CONV_OUT:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2, d3, d4)>
// CHECK-DAG: #[[CONV_BIAS:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d3, d4)>
// CHECK-DAG: #[[CONV1_IN:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1 + d4, d2 + d5, d6)>
// CHECK-DAG: #[[POOL_IN:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d3, d5 * 2 + d4)>
// CHECK-DAG: #[[POOL_WIN:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d4)>
// CHECK-DAG: #[[POOL_OUT:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d5)>
// CHECK-DAG: #[[GATHER_IDX:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d2)>
// CHECK-DAG: #[[BCAST_COL:.+]] = affine_map<(d0, d1, d2) -> (d1, 0)>

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

// Padding with -inf; the window only gives the kernel loops their bounds.
// CHECK-LABEL: func.func @max_pool
// CHECK: %[[NINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: %[[PADFILL:.+]] = linalg.fill ins(%[[NINF]] : f32) outs(%{{.*}} : tensor<1x4x11x10xf32>)
// CHECK: %[[PADDED:.+]] = tensor.insert_slice %arg0 into %[[PADFILL]][0, 0, 1, 1] [1, 4, 9, 8] [1, 1, 1, 1]
// CHECK: %[[INIT:.+]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x4x5x4xf32>)
// CHECK: %[[WIN:.+]] = tensor.empty() : tensor<3x3xf32>
// CHECK: linalg.generic {indexing_maps = [#[[POOL_IN]], #[[POOL_WIN]], #[[POOL_OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]}
// CHECK-SAME: ins(%[[PADDED]], %[[WIN]] : tensor<1x4x11x10xf32>, tensor<3x3xf32>) outs(%[[INIT]] : tensor<1x4x5x4xf32>)
// CHECK: arith.maximumf
func.func @max_pool(%x: tensor<1x4x9x8xf32>) -> tensor<1x4x5x4xf32> {
  %0 = tess.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1>} : tensor<1x4x9x8xf32> -> tensor<1x4x5x4xf32>
  return %0 : tensor<1x4x5x4xf32>
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

// Elementwise generics: ordered float predicates, "ne" unordered, signed integer predicates;
// select broadcasts all three operands; casts truncate toward zero (fptosi), widen i1 with zero
// extension, and test floats against 0 for i1.
// CHECK-LABEL: func.func @compare_select_cast
// CHECK: %[[LT:.+]] = linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<2x3xf32>, tensor<3xf32>) outs(%{{.*}} : tensor<2x3xi1>)
// CHECK: arith.cmpf olt
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<2x3xf32>) outs(%{{.*}} : tensor<2x3xi1>)
// CHECK: %[[HALF:.+]] = arith.constant 5.000000e-01 : f32
// CHECK: arith.cmpf une, %{{.*}}, %[[HALF]] : f32
// CHECK: linalg.generic {{.*}} ins(%arg2, %arg2 : tensor<2x3xi32>, tensor<2x3xi32>)
// CHECK: arith.cmpi sge
// CHECK: linalg.generic {{.*}} ins(%[[LT]], %arg0, %arg1 : tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32>) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK: arith.select
// CHECK: arith.fptosi %{{.*}} : f32 to i32
// CHECK: arith.extui %{{.*}} : i1 to i64
// CHECK: arith.sitofp %{{.*}} : i32 to f32
// CHECK: %[[FZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: arith.cmpf une, %{{.*}}, %[[FZERO]] : f32
func.func @compare_select_cast(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %i: tensor<2x3xi32>) -> (tensor<2x3xf32>, tensor<2x3xi32>, tensor<2x3xi64>, tensor<2x3xi1>) {
  %half = tess.constant dense<0.5> : tensor<f32>
  %c = tess.compare "lt", %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  %ne = tess.compare "ne", %a, %half : tensor<2x3xf32>, tensor<f32> -> tensor<2x3xi1>
  %ci = tess.compare "ge", %i, %i : tensor<2x3xi32>, tensor<2x3xi32> -> tensor<2x3xi1>
  %s = tess.select %c, %a, %b : tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %f2i = tess.cast %s : tensor<2x3xf32> -> tensor<2x3xi32>
  %b2l = tess.cast %ci : tensor<2x3xi1> -> tensor<2x3xi64>
  %i2f = tess.cast %i : tensor<2x3xi32> -> tensor<2x3xf32>
  %f2b = tess.cast %i2f : tensor<2x3xf32> -> tensor<2x3xi1>
  return %s, %f2i, %b2l, %f2b : tensor<2x3xf32>, tensor<2x3xi32>, tensor<2x3xi64>, tensor<2x3xi1>
}

// iota: a generic without inputs yielding the converted linalg.index; broadcast_to: a copy
// through a broadcasting map.
// CHECK-LABEL: func.func @iota_broadcast
// CHECK: linalg.generic {indexing_maps = [#{{.*}}], iterator_types = ["parallel", "parallel"]} outs(%{{.*}} : tensor<2x3xi32>)
// CHECK: %[[J:.+]] = linalg.index 1 : index
// CHECK: %[[J64:.+]] = arith.index_cast %[[J]] : index to i64
// CHECK: arith.trunci %[[J64]] : i64 to i32
// CHECK: linalg.generic {indexing_maps = [#[[BCAST_COL]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0 : tensor<3x1xf32>) outs(%{{.*}} : tensor<4x3x2xf32>)
func.func @iota_broadcast(%b: tensor<3x1xf32>) -> (tensor<2x3xi32>, tensor<4x3x2xf32>) {
  %0 = tess.iota {axis = 1 : i64} : tensor<2x3xi32>
  %1 = tess.broadcast_to %b : tensor<3x1xf32> -> tensor<4x3x2xf32>
  return %0, %1 : tensor<2x3xi32>, tensor<4x3x2xf32>
}

// CHECK-LABEL: func.func @unary_pow
// CHECK: math.sin
// CHECK: math.cos
// CHECK: math.floor
// CHECK: math.log
// CHECK: math.absf
// CHECK: math.powf
func.func @unary_pow(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tess.sin %a : tensor<4xf32>
  %1 = tess.cos %0 : tensor<4xf32>
  %2 = tess.floor %1 : tensor<4xf32>
  %3 = tess.log %2 : tensor<4xf32>
  %4 = tess.abs %3 : tensor<4xf32>
  %5 = tess.pow %4, %a : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %5 : tensor<4xf32>
}
