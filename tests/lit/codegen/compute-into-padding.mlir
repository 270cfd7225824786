// compute-into-padding: a value copied into the interior of a padded buffer is computed
// there; the fill of the padded buffer moves before it and shrinks to the border slabs. A
// value still read after the copy, or a padded buffer used in between, stays as it is.
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-compute-into-padding))' | FileCheck %s

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// CHECK-LABEL: func.func @relu_into_padding
// CHECK: %[[P:.+]] = memref.alloc() {alignment = 64 : i64} : memref<6x6x4xf32>
// CHECK: %[[IN:.+]] = memref.subview %[[P]][1, 1, 0] [4, 4, 4] [1, 1, 1]
// The border: rows 0 and 5 whole, then columns 0 and 5 of the interior rows.
// CHECK: %[[T:.+]] = memref.subview %[[P]][0, 0, 0] [1, 6, 4] [1, 1, 1]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[T]]
// CHECK: %[[B:.+]] = memref.subview %[[P]][5, 0, 0] [1, 6, 4] [1, 1, 1]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[B]]
// CHECK: %[[L:.+]] = memref.subview %[[P]][1, 0, 0] [4, 1, 4] [1, 1, 1]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[L]]
// CHECK: %[[R:.+]] = memref.subview %[[P]][1, 5, 0] [4, 1, 4] [1, 1, 1]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[R]]
// CHECK: linalg.generic {{.*}} ins(%arg0 : memref<4x4x4xf32>) outs(%[[IN]] :
// CHECK-NOT: memref.copy
// CHECK-NOT: memref.alloc
// CHECK: linalg.generic {{.*}} ins(%[[P]] : memref<6x6x4xf32>)
func.func @relu_into_padding(%x: memref<4x4x4xf32>, %y: memref<6x6x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %t = memref.alloc() : memref<4x4x4xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : memref<4x4x4xf32>) outs(%t : memref<4x4x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  }
  %p = memref.alloc() : memref<6x6x4xf32>
  linalg.fill ins(%zero : f32) outs(%p : memref<6x6x4xf32>)
  %in = memref.subview %p[1, 1, 0] [4, 4, 4] [1, 1, 1] : memref<6x6x4xf32> to memref<4x4x4xf32, strided<[24, 4, 1], offset: 28>>
  memref.copy %t, %in : memref<4x4x4xf32> to memref<4x4x4xf32, strided<[24, 4, 1], offset: 28>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%p : memref<6x6x4xf32>) outs(%y : memref<6x6x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// Left alone: the value is read again after the copy.
// CHECK-LABEL: func.func @still_read
// CHECK: memref.copy
func.func @still_read(%x: memref<4x4x4xf32>, %y: memref<6x6x4xf32>, %z: memref<4x4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %t = memref.alloc() : memref<4x4x4xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : memref<4x4x4xf32>) outs(%t : memref<4x4x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  }
  %p = memref.alloc() : memref<6x6x4xf32>
  linalg.fill ins(%zero : f32) outs(%p : memref<6x6x4xf32>)
  %in = memref.subview %p[1, 1, 0] [4, 4, 4] [1, 1, 1] : memref<6x6x4xf32> to memref<4x4x4xf32, strided<[24, 4, 1], offset: 28>>
  memref.copy %t, %in : memref<4x4x4xf32> to memref<4x4x4xf32, strided<[24, 4, 1], offset: 28>>
  memref.copy %p, %y : memref<6x6x4xf32> to memref<6x6x4xf32>
  memref.copy %t, %z : memref<4x4x4xf32> to memref<4x4x4xf32>
  return
}
