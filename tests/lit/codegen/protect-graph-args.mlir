// Graph arguments are read-only for bufferization: a contraction whose init is a parameter
// accumulates into a copy, never into the parameter itself.
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-protect-graph-args))' | FileCheck %s --check-prefix=MARK
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-protect-graph-args),one-shot-bufferize{bufferize-function-boundaries=1 function-boundary-type-conversion=identity-layout-map})' | FileCheck %s

// MARK: func.func @g(%arg0: tensor<4xf32> {bufferization.writable = false}, %arg1: tensor<6x4xf32> {bufferization.writable = false}, %arg2: tensor<6xf32> {bufferization.writable = false})

// CHECK-LABEL: func.func @g(%arg0: memref<4xf32>, %arg1: memref<6x4xf32>, %arg2: memref<6xf32>)
// CHECK: %[[COPY:.+]] = memref.alloc() {{.*}} : memref<6xf32>
// CHECK: memref.copy %arg2, %[[COPY]]
// CHECK: linalg.generic {{.*}} outs(%[[COPY]] : memref<6xf32>)
#x = affine_map<(o, i) -> (i)>
#w = affine_map<(o, i) -> (o, i)>
#y = affine_map<(o, i) -> (o)>
func.func @g(%x: tensor<4xf32>, %w: tensor<6x4xf32>, %b: tensor<6xf32>) -> tensor<6xf32> {
  %0 = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "reduction"]}
      ins(%x, %w : tensor<4xf32>, tensor<6x4xf32>) outs(%b : tensor<6xf32>) {
  ^bb0(%a: f32, %c: f32, %acc: f32):
    %p = arith.mulf %a, %c : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<6xf32>
  return %0 : tensor<6xf32>
}
