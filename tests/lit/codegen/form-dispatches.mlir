// Each compute op becomes a dispatch function called from the graph. A dispatch binds whole
// buffers and rebuilds the views it reads them through, so its arguments never overlap.
// RUN: tessera-opt %s --tessera-form-dispatches | FileCheck %s

// CHECK-LABEL: func.func @d0_fill(%arg0: memref<2x4xf32>) attributes {tess.dispatch}
// CHECK: %[[C:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: linalg.fill ins(%[[C]] : f32) outs(%arg0 : memref<2x4xf32>)
// CHECK-LABEL: func.func @d1_copy(%arg0: memref<2x8xf32>, %arg1: memref<2x4xf32>) attributes {tess.dispatch}
// CHECK: %[[V:.+]] = memref.subview %arg0[0, 2] [2, 4] [1, 1]
// CHECK: linalg.copy ins(%[[V]] {{.*}}) outs(%arg1
// CHECK-LABEL: func.func @graph
// CHECK: %[[A:.+]] = memref.alloc
// CHECK: call @d0_fill(%[[A]])
// CHECK-NOT: memref.subview
// CHECK: call @d1_copy(%arg0, %arg1)
// CHECK-NOT: linalg.
func.func @graph(%in: memref<2x8xf32>, %out: memref<2x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %a = memref.alloc() {tess.arena_offset = 0 : i64} : memref<2x4xf32>
  linalg.fill ins(%zero : f32) outs(%a : memref<2x4xf32>)
  %v = memref.subview %in[0, 2] [2, 4] [1, 1] : memref<2x8xf32> to memref<2x4xf32, strided<[8, 1], offset: 2>>
  memref.copy %v, %out : memref<2x4xf32, strided<[8, 1], offset: 2>> to memref<2x4xf32>
  return
}
