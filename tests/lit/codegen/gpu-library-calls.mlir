// cuBLASLt calls: a dispatch that is one product becomes tess.gpu_gemm in column-major terms
// and loses its ops; products with a non-zero fill, extra work, or index maps that are not
// projected permutations (a convolution with a window) keep their loops; a 1x1 convolution is
// a product.
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-gpu-library-calls))' | FileCheck %s

#mk = affine_map<(m, n, k) -> (m, k)>
#nk = affine_map<(m, n, k) -> (n, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>

// x[4, 8] @ w[16, 8]^T -> y[4, 16] (row-major, as torch.nn.Linear): D = y^T (16 x 4) =
// w (stored 8 x 16 column-major, transposed) times x^T (8 x 4, ld 8).
// CHECK-LABEL: func.func @linear
// CHECK-SAME: tess.gpu_gemm = {a = 1 : i64, a_offset = 0 : i64, b = 0 : i64, b_offset = 0 : i64, batch = 1 : i64, beta = 0.000000e+00 : f32, d = 2 : i64, d_offset = 0 : i64, k = 8 : i64, lda = 8 : i64, ldb = 8 : i64, ldd = 16 : i64, m = 16 : i64, n = 4 : i64, stride_a = 0 : i64, stride_b = 0 : i64, stride_d = 0 : i64, transpose_a = true, transpose_b = false}
// CHECK-NOT: linalg.
// CHECK: return
func.func @linear(%x: memref<4x8xf32>, %w: memref<16x8xf32>, %y: memref<4x16xf32>)
    attributes {tess.dispatch} {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#mk, #nk, #mn],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<4x8xf32>, memref<16x8xf32>) outs(%y : memref<4x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// Accumulating into a view: beta 1 and the view's element offset.
// CHECK-LABEL: func.func @accumulate_into_view
// CHECK-SAME: beta = 1.000000e+00 : f32
// CHECK-SAME: d_offset = 16 : i64
// CHECK-NOT: linalg.generic
func.func @accumulate_into_view(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<5x16xf32>)
    attributes {tess.dispatch} {
  %v = memref.subview %c[1, 0] [4, 16] [1, 1] : memref<5x16xf32> to memref<4x16xf32, strided<[16, 1], offset: 16>>
  linalg.generic {indexing_maps = [#mk, #kn, #mn],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%v : memref<4x16xf32, strided<[16, 1], offset: 16>>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// CHECK-LABEL: func.func @nonzero_fill
// CHECK-NOT: tess.gpu_gemm
// CHECK: linalg.generic
func.func @nonzero_fill(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>)
    attributes {tess.dispatch} {
  %one = arith.constant 1.0 : f32
  linalg.fill ins(%one : f32) outs(%c : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#mk, #kn, #mn],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// A product followed by a ReLU in the same dispatch stays as loops.
// CHECK-LABEL: func.func @extra_work
// CHECK-NOT: tess.gpu_gemm
// CHECK: linalg.generic
// CHECK: linalg.generic
func.func @extra_work(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>)
    attributes {tess.dispatch} {
  linalg.generic {indexing_maps = [#mk, #kn, #mn],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]} outs(%c : memref<4x16xf32>) {
  ^bb0(%o: f32):
    %z = arith.constant 0.0 : f32
    %r = arith.maximumf %o, %z : f32
    linalg.yield %r : f32
  }
  return
}

// A 1-D convolution (x[i + k]): not a projected permutation.
// CHECK-LABEL: func.func @convolution
// CHECK-NOT: tess.gpu_gemm
// CHECK: linalg.generic
func.func @convolution(%x: memref<10xf32>, %w: memref<3xf32>, %y: memref<8xf32>)
    attributes {tess.dispatch} {
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i + k)>, affine_map<(i, k) -> (k)>,
                                   affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x, %w : memref<10xf32>, memref<3xf32>) outs(%y : memref<8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// A 1x1 convolution in NHWC (the window loops have extent 1, so `oh + kh` is `oh`) is a
// matrix product: D = y^T (32 filters x 256 pixels, ld 32) = w (stored 8 x 32 column-major,
// transposed) times x^T (8 channels x 256 pixels, ld 8). A 3x3 window stays loops.
// CHECK-LABEL: func.func @pointwise_convolution
// CHECK-SAME: tess.gpu_gemm = {a = 1 : i64, a_offset = 0 : i64, b = 0 : i64, b_offset = 0 : i64, batch = 1 : i64, beta = 1.000000e+00 : f32, d = 2 : i64, d_offset = 0 : i64, k = 8 : i64, lda = 8 : i64, ldb = 8 : i64, ldd = 32 : i64, m = 32 : i64, n = 256 : i64, stride_a = 0 : i64, stride_b = 0 : i64, stride_d = 0 : i64, transpose_a = true, transpose_b = false}
// CHECK-NOT: linalg.
// CHECK-LABEL: func.func @window_convolution
// CHECK-NOT: tess.gpu_gemm
// CHECK: linalg.generic
func.func @pointwise_convolution(%x: memref<1x16x16x8xf32>, %w: memref<32x8x1x1xf32>,
                                 %y: memref<1x16x16x32xf32>) attributes {tess.dispatch} {
  linalg.generic {indexing_maps = [affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh + kh, ow + kw, c)>,
                                   affine_map<(n, oh, ow, f, kh, kw, c) -> (f, c, kh, kw)>,
                                   affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh, ow, f)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel",
                                    "reduction", "reduction", "reduction"]}
      ins(%x, %w : memref<1x16x16x8xf32>, memref<32x8x1x1xf32>) outs(%y : memref<1x16x16x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}
func.func @window_convolution(%x: memref<1x18x18x8xf32>, %w: memref<32x8x3x3xf32>,
                              %y: memref<1x16x16x32xf32>) attributes {tess.dispatch} {
  linalg.generic {indexing_maps = [affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh + kh, ow + kw, c)>,
                                   affine_map<(n, oh, ow, f, kh, kw, c) -> (f, c, kh, kw)>,
                                   affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh, ow, f)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel",
                                    "reduction", "reduction", "reduction"]}
      ins(%x, %w : memref<1x18x18x8xf32>, memref<32x8x3x3xf32>) outs(%y : memref<1x16x16x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}
