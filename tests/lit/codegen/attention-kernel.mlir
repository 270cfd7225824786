// transpose-attention-keys + lower-attention: the keys of a buffer-form attention are copied
// once into a [.., D, N] buffer and read through a transposed view; the attention becomes the
// register-blocked kernel (one task per (batch, query tile); per key chunk a score GEMM, an
// online softmax, a p.v GEMM). Without the transposed keys it stays the scalar row loop.
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-transpose-attention-keys))' | FileCheck %s --check-prefix=KEYS
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-transpose-attention-keys, tessera-lower-attention{vector-width=16}))' | FileCheck %s --check-prefix=KERNEL
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-lower-attention{vector-width=16}))' | FileCheck %s --check-prefix=SCALAR

// KEYS-LABEL: func.func @heads
// KEYS: %[[KT:.+]] = memref.alloc() {alignment = 64 : i64} : memref<2x16x40xf32>
// KEYS: linalg.transpose ins(%arg1 : memref<2x40x16xf32>) outs(%[[KT]] : memref<2x16x40xf32>) permutation = [0, 2, 1]
// KEYS: %[[VIEW:.+]] = memref.transpose %[[KT]] (d0, d1, d2) -> (d0, d2, d1) : memref<2x16x40xf32> to memref<2x40x16xf32, strided<[640, 1, 40]>>
// KEYS: tess.attention %arg0, %[[VIEW]], %arg2 init(%arg3)

// Two heads x 2 tiles of 24 query rows (30 rows: the second tile is partial, its rows past
// the end read row 29 and are not stored); causal: a tile sees the keys up to its last row.
// KERNEL-LABEL: func.func @heads
// KERNEL: memref.alloca() {alignment = 64 : i64} : memref<24x256xf32>
// KERNEL: scf.parallel (%{{.*}}) = (%c0) to (%c4) step (%c1)
// KERNEL: arith.minsi
// KERNEL: scf.for
// KERNEL: vector.maskedload
// KERNEL: arith.cmpi sle
// KERNEL: vector.reduction <maximumf>
// KERNEL: math.exp
// KERNEL: vector.reduction <add>
// KERNEL: scf.if
// KERNEL-NOT: tess.attention
// SCALAR-LABEL: func.func @heads
// SCALAR-NOT: vector.
// SCALAR: scf.parallel
// SCALAR-NOT: tess.attention
func.func @heads(%q: memref<2x30x16xf32>, %k: memref<2x40x16xf32>, %v: memref<2x40x24xf32>,
                 %o: memref<2x30x24xf32>) {
  tess.attention %q, %k, %v init(%o) {scale = 2.500000e-01 : f64, causal = true} : memref<2x30x16xf32>, memref<2x40x16xf32>, memref<2x40x24xf32>, memref<2x30x24xf32>
  return
}
