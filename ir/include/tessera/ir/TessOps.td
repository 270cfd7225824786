//===- TessOps.td - the tess dialect -------------------------------------===//
//
// Tensor-level operations of Tessera graphs. Every value is a ranked tensor with a static shape;
// shapes are inferred when ops are built (InferTypeOpInterface), so a graph that verifies has
// consistent shapes everywhere. Semantics are stated precisely in each `description` and
// implemented by the reference interpreter (ir/lib/Interpreter.cpp), independently of the
// lowering to linalg; elementwise unary ops state theirs here, as `evaluate`, for both the
// interpreter and the frontend.
//
//===----------------------------------------------------------------------===//

#ifndef TESS_OPS
#define TESS_OPS

include "mlir/IR/OpBase.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "TessInterfaces.td"

def Tess_Dialect : Dialect {
  let name = "tess";
  let cppNamespace = "::tessera::tess";
  let summary = "Tessera's tensor graph dialect";
  let description = [{
    Statically shaped tensor operations produced by the Tessera DSL frontend. Binary
    elementwise ops broadcast like numpy; all shapes are known at compile time.
  }];
}

class Tess_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tess_Dialect, mnemonic, traits>;

def Tess_Tensor : StaticShapeTensorOf<[F32, I1, I32, I64]>;
def Tess_FloatTensor : StaticShapeTensorOf<[F32]>;

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def Tess_ConstantOp : Tess_Op<"constant", [ConstantLike, Pure,
    AllTypesMatch<["value", "result"]>]> {
  let summary = "a compile-time constant tensor";
  let description = [{
    `result` is the tensor `value`. Scalars from the DSL (`x * 0.5`) are rank-0 constants that
    broadcast in binary ops.
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Tess_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

// `evaluation` is the body of `static double evaluate(double x)`, the op's reference semantics
// of one element (ElementwiseUnaryOpInterface); an op declared without it does not build.
class Tess_UnaryOp<string mnemonic, string formula, code evaluation, list<Trait> traits = []>
    : Tess_Op<mnemonic, !listconcat([Pure, SameOperandsAndResultType,
                                     Tess_ElementwiseUnaryOpInterface], traits)> {
  let summary = "elementwise " # mnemonic;
  let description = "result[i] = " # formula # " for every element i.";
  let arguments = (ins Tess_FloatTensor:$input);
  let results = (outs Tess_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let extraClassDeclaration = [{
    static double evaluate(double x) { }] # evaluation # [{ }
    double evaluateElement(double x) { return evaluate(x); }
  }];
}

def Tess_ReluOp : Tess_UnaryOp<"relu", "max(input[i], 0)",
                               [{ return x > 0 || std::isnan(x) ? x : 0.0; }]>;
def Tess_ExpOp : Tess_UnaryOp<"exp", "e ** input[i]", [{ return std::exp(x); }]>;
def Tess_SqrtOp : Tess_UnaryOp<"sqrt", "sqrt(input[i])", [{ return std::sqrt(x); }]>;
def Tess_RsqrtOp : Tess_UnaryOp<"rsqrt", "1 / sqrt(input[i])", [{ return 1.0 / std::sqrt(x); }]>;
def Tess_NegOp : Tess_UnaryOp<"neg", "-input[i]", [{ return -x; }]>;
def Tess_TanhOp : Tess_UnaryOp<"tanh", "tanh(input[i])", [{ return std::tanh(x); }]>;
def Tess_SigmoidOp : Tess_UnaryOp<"sigmoid", "1 / (1 + e ** -input[i])",
                                  [{ return 1.0 / (1.0 + std::exp(-x)); }]>;
def Tess_SinOp : Tess_UnaryOp<"sin", "sin(input[i])", [{ return std::sin(x); }]>;
def Tess_CosOp : Tess_UnaryOp<"cos", "cos(input[i])", [{ return std::cos(x); }]>;
def Tess_FloorOp : Tess_UnaryOp<"floor", "the largest integer <= input[i]",
                                [{ return std::floor(x); }]>;
def Tess_LogOp : Tess_UnaryOp<"log", "the natural logarithm of input[i]",
                              [{ return std::log(x); }]>;
def Tess_AbsOp : Tess_UnaryOp<"abs", "|input[i]|", [{ return std::fabs(x); }]>;

def Tess_GeluOp : Tess_Op<"gelu", [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<Tess_ElementwiseUnaryOpInterface>]> {
  let summary = "Gaussian error linear unit";
  let description = [{
    `approximate = "none"` (default): result = x * 0.5 * (1 + erf(x / sqrt(2))), as
    torch.nn.GELU(). `approximate = "tanh"`: x * 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))),
    as the original JAX ViT. `approximate = "sigmoid"`: x * sigmoid(1.702 x) (iGPT's quick GELU).
  }];
  let arguments = (ins Tess_FloatTensor:$input,
                       DefaultValuedStrAttr<StrAttr, "none">:$approximate);
  let results = (outs Tess_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

class Tess_BinaryOp<string mnemonic, string formula>
    : Tess_Op<mnemonic, [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "elementwise " # mnemonic # " with numpy broadcasting";
  let description = [{
    Operands are broadcast against each other numpy-style: shapes are right-aligned, missing
    leading dimensions count as 1, and each dimension pair must be equal or contain a 1.
    result[i] = }] # formula # [{ at the broadcast index i. Element types must match.
  }];
  let arguments = (ins Tess_Tensor:$lhs, Tess_Tensor:$rhs);
  let results = (outs Tess_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
}

def Tess_AddOp : Tess_BinaryOp<"add", "lhs + rhs">;
def Tess_SubOp : Tess_BinaryOp<"sub", "lhs - rhs">;
def Tess_MulOp : Tess_BinaryOp<"mul", "lhs * rhs">;
def Tess_DivOp : Tess_BinaryOp<"div", "lhs / rhs">;
def Tess_MaxOp : Tess_BinaryOp<"max", "max(lhs, rhs)">;
def Tess_MinOp : Tess_BinaryOp<"min", "min(lhs, rhs)">;
def Tess_PowOp : Tess_BinaryOp<"pow", "lhs ** rhs (floats only)">;

def Tess_CompareOp : Tess_Op<"compare", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "elementwise comparison with numpy broadcasting";
  let description = [{
    result[i] = (lhs[i] PRED rhs[i]) at the broadcast index i, an i1 tensor. `predicate` is
    one of "lt", "le", "gt", "ge", "eq", "ne". Floats compare ordered (false with NaN, except
    "ne"); integers compare signed. Operand element types must match.
  }];
  let arguments = (ins Tess_Tensor:$lhs, Tess_Tensor:$rhs, StrAttr:$predicate);
  let results = (outs StaticShapeTensorOf<[I1]>:$result);
  let assemblyFormat = [{
    $predicate `,` $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tess_SelectOp : Tess_Op<"select", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "elementwise choice with numpy broadcasting";
  let description = [{
    result[i] = condition[i] ? on_true[i] : on_false[i], all three broadcast together;
    condition is i1, on_true and on_false have the same element type.
  }];
  let arguments = (ins StaticShapeTensorOf<[I1]>:$condition, Tess_Tensor:$on_true,
                       Tess_Tensor:$on_false);
  let results = (outs Tess_Tensor:$result);
  let assemblyFormat = [{
    $condition `,` $on_true `,` $on_false attr-dict `:` type($condition) `,` type($on_true) `,`
    type($on_false) `->` type($result)
  }];
}

def Tess_CastOp : Tess_Op<"cast", [Pure]> {
  let summary = "element type conversion";
  let description = [{
    Same shape, new element type. Integer to float rounds to nearest; float to integer
    truncates toward zero; i1 converts to 0 / 1; converting to i1 gives x != 0; integers
    widen with sign extension and narrow by truncation.
  }];
  let arguments = (ins Tess_Tensor:$input);
  let results = (outs Tess_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Tess_IotaOp : Tess_Op<"iota", [Pure]> {
  let summary = "the index along one axis";
  let description = [{
    result[i_0, .., i_last] = i_axis, converted to the result element type.
  }];
  let arguments = (ins I64Attr:$axis);
  let results = (outs Tess_Tensor:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Tess_BroadcastToOp : Tess_Op<"broadcast_to", [Pure]> {
  let summary = "numpy broadcast to a given shape";
  let description = [{
    The input broadcasts to the result shape numpy-style (right-aligned; each input dimension
    equals the result's or is 1); result[i] = input[broadcast index of i].
  }];
  let arguments = (ins Tess_Tensor:$input);
  let results = (outs Tess_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

def Tess_MatmulOp : Tess_Op<"matmul", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "batched matrix product with broadcast batch dimensions";
  let description = [{
    Both operands have rank >= 2. The last two dimensions are the matrices: lhs [.., M, K]
    (or [.., K, M] with transpose_lhs) and rhs [.., K, N] (or [.., N, K] with transpose_rhs).
    Leading (batch) dimensions broadcast numpy-style. result[b, m, n] = sum_k lhs[b, m, k] *
    rhs[b, k, n], shape [broadcast(batch), M, N].
  }];
  let arguments = (ins Tess_FloatTensor:$lhs, Tess_FloatTensor:$rhs,
                       DefaultValuedAttr<BoolAttr, "false">:$transpose_lhs,
                       DefaultValuedAttr<BoolAttr, "false">:$transpose_rhs);
  let results = (outs Tess_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
}

def Tess_LinearOp : Tess_Op<"linear", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "affine map in torch.nn.Linear layout";
  let description = [{
    input [.., IN], weight [OUT, IN], optional bias [OUT]:
    result[.., o] = sum_i input[.., i] * weight[o, i] + bias[o], shape [.., OUT].
  }];
  let arguments = (ins Tess_FloatTensor:$input, Tess_FloatTensor:$weight,
                       Optional<Tess_FloatTensor>:$bias);
  let results = (outs Tess_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` type(operands) `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Reductions and normalizations
//===----------------------------------------------------------------------===//

class Tess_ReduceOp<string mnemonic, string formula>
    : Tess_Op<mnemonic, [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "reduction (" # mnemonic # ") over a set of axes";
  let description = [{
    `axes` are distinct, non-negative and less than the rank. result = }] # formula # [{ of
    input over those axes. With keepdims the reduced axes stay as size 1; otherwise they are
    removed.
  }];
  let arguments = (ins Tess_FloatTensor:$input, DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<BoolAttr, "false">:$keepdims);
  let results = (outs Tess_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Tess_ReduceSumOp : Tess_ReduceOp<"reduce_sum", "the sum">;
def Tess_ReduceMeanOp : Tess_ReduceOp<"reduce_mean", "the arithmetic mean">;
def Tess_ReduceMaxOp : Tess_ReduceOp<"reduce_max", "the maximum">;

def Tess_SoftmaxOp : Tess_Op<"softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "softmax along one axis";
  let description = [{
    result = exp(x - max_axis(x)) / sum_axis(exp(x - max_axis(x))), axis in [0, rank).
  }];
  let arguments = (ins Tess_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Tess_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Tess_LayerNormOp : Tess_Op<"layer_norm", [Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "layer normalization over the last dimension";
  let description = [{
    With mean and (biased) variance over the last dimension D:
    result = (x - mean) / sqrt(var + eps) * weight + bias, weight and bias of shape [D], each
    optional (torch.nn.LayerNorm).
  }];
  let arguments = (ins Tess_FloatTensor:$input, Optional<Tess_FloatTensor>:$weight,
                       Optional<Tess_FloatTensor>:$bias,
                       DefaultValuedAttr<F64Attr, "1e-5">:$eps);
  let results = (outs Tess_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`weight` $weight^)? (`bias` $bias^)? attr-dict `:` type(operands) `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Tess_ReshapeOp : Tess_Op<"reshape", [Pure]> {
  let summary = "same elements in row-major order, new shape";
  let description = [{
    The result holds the elements of input in row-major order; both shapes have the same
    number of elements.
  }];
  let arguments = (ins Tess_Tensor:$input);
  let results = (outs Tess_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Tess_TransposeOp : Tess_Op<"transpose", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "permutation of dimensions";
  let description = [{
    result.shape[i] = input.shape[permutation[i]]; result[j_0, ..] = input[i] where
    i[permutation[k]] = j_k. `permutation` is a permutation of [0, rank).
  }];
  let arguments = (ins Tess_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Tess_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Tess_SliceOp : Tess_Op<"slice", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "strided sub-tensor";
  let description = [{
    Per dimension d: 0 <= starts[d] <= limits[d] <= shape[d], strides[d] >= 1;
    result.shape[d] = ceil((limits[d] - starts[d]) / strides[d]) and
    result[j] = input[starts + j * strides].
  }];
  let arguments = (ins Tess_Tensor:$input, DenseI64ArrayAttr:$starts,
                       DenseI64ArrayAttr:$limits, DenseI64ArrayAttr:$strides);
  let results = (outs Tess_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Tess_ConcatOp : Tess_Op<"concat", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "concatenation along one axis";
  let description = [{
    All inputs have the same rank, element type and shape except along `axis`; the result
    is their concatenation along it, in operand order.
  }];
  let arguments = (ins Variadic<Tess_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Tess_Tensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` type($inputs) `->` type($result)";
}

//===----------------------------------------------------------------------===//
// Indexing
//===----------------------------------------------------------------------===//

def Tess_GatherOp : Tess_Op<"gather", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "take slices of input at integer indices along one axis";
  let description = [{
    indices is an i32 or i64 tensor. result shape = input.shape[:axis] + indices.shape +
    input.shape[axis + 1:], and result[a, j, b] = input[a, clamp(indices[j]), b] where clamp
    limits an index to [0, input.shape[axis] - 1] (out-of-range indices never read outside
    the tensor). Embedding lookup is gather with axis 0.
  }];
  let arguments = (ins Tess_Tensor:$input, Tess_Tensor:$indices, I64Attr:$axis);
  let results = (outs Tess_Tensor:$result);
  let assemblyFormat = [{
    $input `[` $indices `]` attr-dict `:` type($input) `,` type($indices) `->` type($result)
  }];
}

class Tess_ArgReduceOp<string mnemonic, string what>
    : Tess_Op<mnemonic, [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "index of the " # what # " along an axis";
  let description = [{
    result = the smallest index along `axis` at which input takes its }] # what # [{ value
    (the first one on ties), as i64. With keepdims the axis stays with size 1.
  }];
  let arguments = (ins Tess_FloatTensor:$input, I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "false">:$keepdims);
  let results = (outs StaticShapeTensorOf<[I64]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Tess_ArgMaxOp : Tess_ArgReduceOp<"argmax", "maximum">;
def Tess_ArgMinOp : Tess_ArgReduceOp<"argmin", "minimum">;

//===----------------------------------------------------------------------===//
// Convolution and pooling (NCHW)
//===----------------------------------------------------------------------===//

def Tess_Conv2dOp : Tess_Op<"conv2d", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "2-D convolution, torch.nn.Conv2d semantics";
  let description = [{
    input [N, C, H, W], weight [O, C / groups, KH, KW], optional bias [O]; `strides`,
    `padding` (zeros, applied on both sides) and `dilation` have two entries (height, width).
    OH = (H + 2 padding[0] - dilation[0] (KH - 1) - 1) / strides[0] + 1 (floor), likewise OW.
    With G = groups, output channel o belongs to group g = o / (O / G) and
    result[n, o, y, x] = bias[o] + sum_{c, i, j} input[n, g (C / G) + c, y s0 + i d0 - p0,
    x s1 + j d1 - p1] * weight[o, c, i, j], input reading 0 outside the image.
  }];
  let arguments = (ins Tess_FloatTensor:$input, Tess_FloatTensor:$weight,
                       Optional<Tess_FloatTensor>:$bias, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$padding, DenseI64ArrayAttr:$dilation,
                       DefaultValuedAttr<I64Attr, "1">:$groups);
  let results = (outs Tess_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` type(operands) `->` type($result)
  }];
}

def Tess_MaxPool2dOp : Tess_Op<"max_pool2d", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "2-D max pooling, torch.nn.MaxPool2d semantics";
  let description = [{
    input [N, C, H, W]; `kernel`, `strides`, `padding` have two entries; padding counts as
    -infinity. OH = (H + 2 padding[0] - kernel[0]) / strides[0] + 1 (floor), likewise OW;
    result[n, c, y, x] = max_{i, j} input[n, c, y s0 + i - p0, x s1 + j - p1]. Padding may be
    at most half the kernel.
  }];
  let arguments = (ins Tess_FloatTensor:$input, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding);
  let results = (outs Tess_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Tess_AvgPool2dOp : Tess_Op<"avg_pool2d", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "2-D average pooling, torch.nn.AvgPool2d semantics";
  let description = [{
    input [N, C, H, W]; `kernel`, `strides`, `padding` have two entries; zero padding.
    OH = (H + 2 padding[0] - kernel[0]) / strides[0] + 1 (floor), likewise OW. result = the
    sum of the window divided by kernel[0] * kernel[1] when `count_include_pad`, else by the
    number of window positions inside the unpadded input.
  }];
  let arguments = (ins Tess_FloatTensor:$input, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                       DefaultValuedAttr<BoolAttr, "true">:$count_include_pad);
  let results = (outs Tess_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

//===----------------------------------------------------------------------===//
// Patches and resampling
//===----------------------------------------------------------------------===//

def Tess_UnfoldOp : Tess_Op<"unfold", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "sliding local blocks, torch.nn.functional.unfold semantics";
  let description = [{
    input [N, C, H, W] -> result [N, C * KH * KW, OH * OW] with zero padding `padding` and
    `strides` (two entries each), OH = (H + 2 p0 - KH) / s0 + 1 (floor), likewise OW:
    result[n, (c KH + i) KW + j, y OW + x] = input[n, c, y s0 + i - p0, x s1 + j - p1].
  }];
  let arguments = (ins Tess_FloatTensor:$input, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding);
  let results = (outs Tess_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Tess_FoldOp : Tess_Op<"fold", [Pure]> {
  let summary = "sum sliding local blocks into an image, torch.nn.functional.fold semantics";
  let description = [{
    input [N, C * KH * KW, L] -> result [N, C, H, W] (the result type gives H and W), the
    adjoint of unfold with the same kernel, strides and padding: every input element
    input[n, (c KH + i) KW + j, y OW + x] is added to result[n, c, y s0 + i - p0,
    x s1 + j - p1] when that position lies inside the image. L must equal OH * OW.
  }];
  let arguments = (ins Tess_FloatTensor:$input, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding);
  let results = (outs Tess_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Tess_ResizeOp : Tess_Op<"resize", [Pure]> {
  let summary = "spatial resampling, torch.nn.functional.interpolate semantics";
  let description = [{
    input [N, C, H, W] -> result [N, C, OH, OW] (from the result type). `mode` is "nearest",
    "bilinear" or "bicubic"; align_corners is false. With scale = H / OH (likewise for W):
    nearest reads index floor(y * scale) (clamped); bilinear and bicubic read around the
    source coordinate (y + 0.5) * scale - 0.5; bilinear clamps it at 0 and interpolates the two
    neighbours; bicubic uses the four neighbours floor(s) - 1 .. floor(s) + 2 (clamped to the
    image) with Keys' cubic convolution weights, A = -0.75, like PyTorch.
  }];
  let arguments = (ins Tess_FloatTensor:$input, StrAttr:$mode);
  let results = (outs Tess_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// General contraction
//===----------------------------------------------------------------------===//

def Tess_EinsumOp : Tess_Op<"einsum", [Pure]> {
  let summary = "contraction over named axes, torch.einsum semantics";
  let description = [{
    `equation` is "lhs_axes,rhs_axes->result_axes" (or one operand "axes->result_axes"),
    one lowercase letter per dimension, no repeats within an operand, no ellipsis. Letters
    shared by operands must have equal sizes; every result letter appears in an operand.
    result[r] = sum over the letters not in the result of the product of the operands.
  }];
  let arguments = (ins Variadic<Tess_FloatTensor>:$inputs, StrAttr:$equation);
  let results = (outs Tess_FloatTensor:$result);
  let assemblyFormat = "$equation `,` $inputs attr-dict `:` type($inputs) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Fused attention
//===----------------------------------------------------------------------===//

def Tess_AttentionOp : Tess_Op<"attention", [
    DestinationStyleOpInterface, DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "fused scaled dot-product attention (written by the fuse-attention pass)";
  let description = [{
    q [B.., M, D], k [B.., N, D], v [B.., N, E] and init [B.., M, E] share the batch
    dimensions B..; every bias broadcasts (numpy-style) to the scores [B.., M, N].
    result[b, i, :] = sum_j p[b, i, j] v[b, j, :] with p = softmax over j of
    s[b, i, j] = scale * sum_d q[b, i, d] k[b, j, d] + sum of the biases at [b, i, j],
    where with `causal` the keys j > i are excluded. init only gives the result's shape
    (destination style): it is overwritten. On tensors the op has one result; on buffers
    (after bufferization) it writes init and has none. The scores are never stored: the
    lowering streams over the keys with an online softmax (a running maximum and sum).
    Memory effects: none on tensors; on buffers it reads q, k, v and the biases and writes
    init without reading it (so the dispatch graph draws no edge into init).
  }];
  let arguments = (ins AnyShaped:$q, AnyShaped:$k, AnyShaped:$v,
                       Variadic<AnyShaped>:$biases, AnyShaped:$init,
                       F64Attr:$scale, DefaultValuedAttr<BoolAttr, "false">:$causal);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    $q `,` $k `,` $v (`bias` `(` $biases^ `:` type($biases) `)`)? `init` `(` $init `)`
    attr-dict `:` type($q) `,` type($k) `,` type($v) `,` type($init) (`->` type($results)^)?
  }];
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() { return getInitMutable(); }
  }];
  let hasVerifier = 1;
}

#endif // TESS_OPS
