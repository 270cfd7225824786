//===- TessOps.td - the tess dialect -------------------------------------===//
//
// Tensor-level operations of Tessera graphs. Every value is a ranked tensor with a static shape;
// shapes are inferred when ops are built (InferTypeOpInterface), so a graph that verifies has
// consistent shapes everywhere. Semantics are stated precisely in each `description` and
// implemented independently by the reference interpreter (ir/lib/Interpreter.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef TESS_OPS
#define TESS_OPS

include "mlir/IR/OpBase.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

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

class Tess_UnaryOp<string mnemonic, string formula, list<Trait> traits = []>
    : Tess_Op<mnemonic, !listconcat([Pure, SameOperandsAndResultType], traits)> {
  let summary = "elementwise " # mnemonic;
  let description = "result[i] = " # formula # " for every element i.";
  let arguments = (ins Tess_FloatTensor:$input);
  let results = (outs Tess_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Tess_ReluOp : Tess_UnaryOp<"relu", "max(input[i], 0)">;
def Tess_ExpOp : Tess_UnaryOp<"exp", "e ** input[i]">;
def Tess_SqrtOp : Tess_UnaryOp<"sqrt", "sqrt(input[i])">;
def Tess_RsqrtOp : Tess_UnaryOp<"rsqrt", "1 / sqrt(input[i])">;
def Tess_NegOp : Tess_UnaryOp<"neg", "-input[i]">;
def Tess_TanhOp : Tess_UnaryOp<"tanh", "tanh(input[i])">;
def Tess_SigmoidOp : Tess_UnaryOp<"sigmoid", "1 / (1 + e ** -input[i])">;

def Tess_GeluOp : Tess_Op<"gelu", [Pure, SameOperandsAndResultType]> {
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

#endif // TESS_OPS
