// tess-to-linalg, windows and resampling (TessToLinalg/Windows.cpp): pooling as one generic
// over the padded input; unfold, fold, bicubic resize and avg pooling as the TTSR / FPT /
// lambda models use them (the same function also lowers an einsum, a contraction).
// RUN: tessera-opt %s --tess-to-linalg | FileCheck %s

// CHECK-DAG: #[[POOL_IN:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d3, d5 * 2 + d4)>
// CHECK-DAG: #[[POOL_WIN:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d4)>
// CHECK-DAG: #[[POOL_OUT:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d5)>

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

// unfold: pad (fill + insert_slice), copy into [N, C, KH, KW, OH, OW], collapse.
// CHECK: tensor.insert_slice %arg0 into %{{.*}}[0, 0, 1, 1] [1, 2, 8, 8] [1, 1, 1, 1]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2, 3], [4, 5]] : tensor<1x2x3x3x8x8xf32> into tensor<1x18x64xf32>
// fold: a gather over the output pixels summing the kernel window (two reduction loops).
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]
// CHECK: arith.remsi
// CHECK: tensor.extract %collapsed
// CHECK: arith.select
// bicubic: 16 taps read with tensor.extract around floor(source coordinate).
// CHECK: math.floor
// CHECK-COUNT-16: tensor.extract %arg0
// einsum: result axes parallel, the summed axis last.
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%arg1, %arg2 : tensor<2x3x4xf32>, tensor<2x4x5xf32>)
// avg_pool2d without padding in the count: window sum, then divide by the in-image count.
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]
// CHECK: arith.sitofp
// CHECK: arith.divf
func.func @ops(%x: tensor<1x2x8x8xf32>, %a: tensor<2x3x4xf32>, %b: tensor<2x4x5xf32>) -> (tensor<1x18x64xf32>, tensor<1x2x8x8xf32>, tensor<1x2x16x16xf32>, tensor<2x3x5xf32>, tensor<1x2x4x4xf32>) {
  %u = tess.unfold %x {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, padding = array<i64: 1, 1>} : tensor<1x2x8x8xf32> -> tensor<1x18x64xf32>
  %f = tess.fold %u {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, padding = array<i64: 1, 1>} : tensor<1x18x64xf32> -> tensor<1x2x8x8xf32>
  %r = tess.resize %x {mode = "bicubic"} : tensor<1x2x8x8xf32> -> tensor<1x2x16x16xf32>
  %e = tess.einsum "bij,bjk->bik", %a, %b : tensor<2x3x4xf32>, tensor<2x4x5xf32> -> tensor<2x3x5xf32>
  %p = tess.avg_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1>, count_include_pad = false} : tensor<1x2x8x8xf32> -> tensor<1x2x4x4xf32>
  return %u, %f, %r, %e, %p : tensor<1x18x64xf32>, tensor<1x2x8x8xf32>, tensor<1x2x16x16xf32>, tensor<2x3x5xf32>, tensor<1x2x4x4xf32>
}
