// Buffers with disjoint live ranges share arena memory; overlapping ones do not.
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-plan-memory))' | FileCheck %s

// a (1024 B) dies after b is computed; c (1024 B) can reuse a's bytes. b is live across both.
// CHECK-LABEL: func.func @reuse
// CHECK-SAME: tess.arena_size = 2048
// CHECK: memref.alloc() {tess.arena_offset = 0 : i64} : memref<256xf32>
// CHECK: memref.alloc() {tess.arena_offset = 1024 : i64} : memref<256xf32>
// CHECK: memref.alloc() {tess.arena_offset = 0 : i64} : memref<256xf32>
func.func @reuse(%in: memref<256xf32>, %out: memref<256xf32>) {
  %a = memref.alloc() : memref<256xf32>
  linalg.copy ins(%in : memref<256xf32>) outs(%a : memref<256xf32>)
  %b = memref.alloc() : memref<256xf32>
  linalg.copy ins(%a : memref<256xf32>) outs(%b : memref<256xf32>)
  %c = memref.alloc() : memref<256xf32>
  linalg.copy ins(%b : memref<256xf32>) outs(%c : memref<256xf32>)
  linalg.add ins(%b, %c : memref<256xf32>, memref<256xf32>) outs(%out : memref<256xf32>)
  return
}

// A view keeps its buffer alive: %v is read last, so %a and %b overlap in time.
// CHECK-LABEL: func.func @views
// CHECK-SAME: tess.arena_size = 128
// CHECK: memref.alloc() {tess.arena_offset = {{0|64}} : i64} : memref<4x4xf32>
// CHECK: memref.alloc() {tess.arena_offset = {{0|64}} : i64} : memref<16xf32>
func.func @views(%in: memref<16xf32>, %out: memref<16xf32>) {
  %a = memref.alloc() : memref<4x4xf32>
  %v = memref.collapse_shape %a [[0, 1]] : memref<4x4xf32> into memref<16xf32>
  linalg.copy ins(%in : memref<16xf32>) outs(%v : memref<16xf32>)
  %b = memref.alloc() : memref<16xf32>
  linalg.copy ins(%in : memref<16xf32>) outs(%b : memref<16xf32>)
  linalg.add ins(%v, %b : memref<16xf32>, memref<16xf32>) outs(%out : memref<16xf32>)
  return
}
