// absorb-transposes: a transpose copy disappears into a permuted view, either of its source
// (readers read through it) or of its destination (the producer writes through it); it
// stays when the source changes while the copy is still read, the copy's source value is
// read again later, or the permutation moves the innermost (contiguous) dimension.
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-absorb-transposes))' | FileCheck %s

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// CHECK-LABEL: func.func @read_through
// CHECK-NOT: linalg.transpose
// CHECK: %[[T:.+]] = memref.transpose %arg0 (d0, d1, d2) -> (d1, d0, d2) : memref<4x8x2xf32> to memref<8x4x2xf32, strided<[2, 16, 1]>>
// CHECK: linalg.generic {{.*}} ins(%[[T]] : memref<8x4x2xf32, strided<[2, 16, 1]>>) outs(%arg1
func.func @read_through(%x: memref<4x8x2xf32>, %y: memref<8x4x2xf32>) {
  %t = memref.alloc() : memref<8x4x2xf32>
  linalg.transpose ins(%x : memref<4x8x2xf32>) outs(%t : memref<8x4x2xf32>) permutation = [1, 0, 2]
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%t : memref<8x4x2xf32>) outs(%y : memref<8x4x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  }
  return
}

// The source is a fresh buffer: its producer writes the destination through the inverse
// permutation.
// CHECK-LABEL: func.func @write_through
// CHECK-NOT: memref.alloc
// CHECK: %[[V:.+]] = memref.transpose %arg1 (d0, d1, d2) -> (d1, d0, d2) : memref<8x4x2xf32> to memref<4x8x2xf32, strided<[2, 8, 1]>>
// CHECK: linalg.generic {{.*}} ins(%arg0 : memref<4x8x2xf32>) outs(%[[V]] : memref<4x8x2xf32, strided<[2, 8, 1]>>)
// CHECK-NOT: linalg.transpose
func.func @write_through(%x: memref<4x8x2xf32>, %y: memref<8x4x2xf32>) {
  %s = memref.alloc() : memref<4x8x2xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : memref<4x8x2xf32>) outs(%s : memref<4x8x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  }
  linalg.transpose ins(%s : memref<4x8x2xf32>) outs(%y : memref<8x4x2xf32>) permutation = [1, 0, 2]
  return
}

// %x changes (filled) while the copy is still to be read, and %x's own producer is an
// argument: neither rewrite applies.
// CHECK-LABEL: func.func @source_changes
// CHECK: linalg.transpose
// CHECK: linalg.fill
// CHECK: linalg.generic
func.func @source_changes(%x: memref<4x8x2xf32>, %y: memref<8x4x2xf32>) {
  %zero = arith.constant 0.0 : f32
  %t = memref.alloc() : memref<8x4x2xf32>
  linalg.transpose ins(%x : memref<4x8x2xf32>) outs(%t : memref<8x4x2xf32>) permutation = [1, 0, 2]
  linalg.fill ins(%zero : f32) outs(%x : memref<4x8x2xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%t : memref<8x4x2xf32>) outs(%y : memref<8x4x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// The producer's value is read again after the transpose: it must stay where it is.
// CHECK-LABEL: func.func @source_read_again
// CHECK: linalg.transpose
func.func @source_read_again(%x: memref<4x8x2xf32>, %y: memref<8x4x2xf32>, %z: memref<4x8x2xf32>) {
  %s = memref.alloc() : memref<4x8x2xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : memref<4x8x2xf32>) outs(%s : memref<4x8x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  }
  linalg.transpose ins(%s : memref<4x8x2xf32>) outs(%y : memref<8x4x2xf32>) permutation = [1, 0, 2]
  memref.copy %s, %z : memref<4x8x2xf32> to memref<4x8x2xf32>
  return
}

// Moving the innermost dimension would make the reader's inner loop strided: kept.
// CHECK-LABEL: func.func @innermost_moves
// CHECK: linalg.transpose
func.func @innermost_moves(%x: memref<4x8xf32>, %y: memref<8x4xf32>) {
  %t = memref.alloc() : memref<8x4xf32>
  linalg.transpose ins(%x : memref<4x8xf32>) outs(%t : memref<8x4xf32>) permutation = [1, 0]
  memref.copy %t, %y : memref<8x4xf32> to memref<8x4xf32>
  return
}

// The last writer fills only half of the source: the copy also moves the other half, which
// an earlier op wrote, so the producer cannot write the destination instead.
// CHECK-LABEL: func.func @partial_producer
// CHECK: linalg.transpose
func.func @partial_producer(%x: memref<4x8x2xf32>, %y: memref<8x4x2xf32>) {
  %zero = arith.constant 0.0 : f32
  %s = memref.alloc() : memref<4x8x2xf32>
  memref.copy %x, %s : memref<4x8x2xf32> to memref<4x8x2xf32>
  %half = memref.subview %s[0, 0, 0] [2, 8, 2] [1, 1, 1] : memref<4x8x2xf32> to memref<2x8x2xf32, strided<[16, 2, 1]>>
  linalg.fill ins(%zero : f32) outs(%half : memref<2x8x2xf32, strided<[16, 2, 1]>>)
  linalg.transpose ins(%s : memref<4x8x2xf32>) outs(%y : memref<8x4x2xf32>) permutation = [1, 0, 2]
  return
}

// After the readers, a gather loads the transposed buffer (a use that is not a plain
// destination-style read): it would see nothing written any more, so the copy stays.
// CHECK-LABEL: func.func @gather_reader_later
// CHECK: linalg.transpose
func.func @gather_reader_later(%x: memref<4x8x2xf32>, %y: memref<8x4x2xf32>, %z: memref<2xf32>) {
  %t = memref.alloc() : memref<8x4x2xf32>
  linalg.transpose ins(%x : memref<4x8x2xf32>) outs(%t : memref<8x4x2xf32>) permutation = [1, 0, 2]
  memref.copy %t, %y : memref<8x4x2xf32> to memref<8x4x2xf32>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      outs(%z : memref<2xf32>) {
  ^bb0(%o: f32):
    %c0 = arith.constant 0 : index
    %i = linalg.index 0 : index
    %v = memref.load %t[%c0, %c0, %i] : memref<8x4x2xf32>
    linalg.yield %v : f32
  }
  return
}
