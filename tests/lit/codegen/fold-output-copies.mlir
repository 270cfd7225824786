// The result is computed straight into the out-param; a copy from an input stays.
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-fold-output-copies))' | FileCheck %s

// CHECK-LABEL: func.func @fold
// CHECK-NOT: memref.alloc
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%arg0 : memref<4xf32>)
// CHECK-NOT: memref.copy
func.func @fold(%out: memref<4xf32>) {
  %c = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<4xf32>
  linalg.fill ins(%c : f32) outs(%a : memref<4xf32>)
  memref.copy %a, %out : memref<4xf32> to memref<4xf32>
  return
}

// CHECK-LABEL: func.func @keep_input_copy
// CHECK: memref.copy %arg0, %arg1
func.func @keep_input_copy(%in: memref<4xf32>, %out: memref<4xf32>) {
  memref.copy %in, %out : memref<4xf32> to memref<4xf32>
  return
}
