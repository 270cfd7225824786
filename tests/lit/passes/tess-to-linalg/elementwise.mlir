// tess-to-linalg, elementwise ops (TessToLinalg/Elementwise.cpp): broadcasting becomes
// indexing maps, scalars and splat constants fold into bodies; compare, select, cast, iota,
// broadcast_to and the unary math ops.
// RUN: tessera-opt %s --tess-to-linalg | FileCheck %s

// CHECK-DAG: #[[BCAST:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[BCAST_COL:.+]] = affine_map<(d0, d1, d2) -> (d1, 0)>

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

// CHECK-LABEL: func.func @gelu_erf
// CHECK: math.erf
func.func @gelu_erf(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tess.gelu %a : tensor<4xf32>
  return %0 : tensor<4xf32>
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
