// Bufferization of tess.attention: a destination-style op, so its tensor form becomes the same
// op on buffers writing into its init buffer.
#include "tessera/codegen/Compiler.h"
#include "tessera/ir/TessDialect.h"

#include "mlir/Dialect/Bufferization/IR/DstBufferizableOpInterfaceImpl.h"

using namespace mlir;

namespace {

struct AttentionBufferization
    : bufferization::DstBufferizableOpInterfaceExternalModel<AttentionBufferization,
                                                             tessera::tess::AttentionOp> {
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const bufferization::BufferizationOptions &options) const {
    auto attention = cast<tessera::tess::AttentionOp>(op);
    auto buffer = [&](Value v) { return bufferization::getBuffer(rewriter, v, options); };
    FailureOr<Value> q = buffer(attention.getQ()), k = buffer(attention.getK()),
                     v = buffer(attention.getV()), init = buffer(attention.getInit());
    if (failed(q) || failed(k) || failed(v) || failed(init))
      return failure();
    SmallVector<Value> biases;
    for (Value b : attention.getBiases()) {
      FailureOr<Value> bb = buffer(b);
      if (failed(bb))
        return failure();
      biases.push_back(*bb);
    }
    rewriter.setInsertionPoint(op);
    rewriter.create<tessera::tess::AttentionOp>(op->getLoc(), TypeRange{}, *q, *k, *v, biases,
                                                *init, attention.getScaleAttr(),
                                                attention.getCausalAttr());
    bufferization::replaceOpWithBufferizedValues(rewriter, op, *init);
    return success();
  }
};

} // namespace

void tessera::codegen::registerAttentionBufferization(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, tessera::tess::TessDialect *) {
    tessera::tess::AttentionOp::attachInterface<AttentionBufferization>(*ctx);
  });
}
