// Names of the attributes that tag a graph function's arguments and results: the contract
// between MLIRGen, which writes them, and codegen, which builds the module's signature.
#ifndef TESSERA_IR_GRAPHATTRIBUTES_H
#define TESSERA_IR_GRAPHATTRIBUTES_H

namespace tessera {

/// On a graph input argument: its name.
inline constexpr const char *kInputAttr = "tess.input";
/// On a parameter argument: its (checkpoint) name, e.g. "blocks.0.attn.qkv.weight".
inline constexpr const char *kParamAttr = "tess.param";
/// On a graph result: its name.
inline constexpr const char *kOutputAttr = "tess.output";

} // namespace tessera

#endif // TESSERA_IR_GRAPHATTRIBUTES_H
