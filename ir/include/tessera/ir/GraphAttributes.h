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
/// On the module: the file's `preprocess` flags (tessera run's image flags) and the
/// "file:line:col" of the declaration, for the driver's messages.
inline constexpr const char *kPreprocessAttr = "tess.preprocess";
inline constexpr const char *kPreprocessLocAttr = "tess.preprocess_loc";
/// On the module: the source files it was elaborated from, each {path, sha256 (hex)}.
inline constexpr const char *kSourcesAttr = "tess.sources";
/// On the graph function: the outputs that hold attention probabilities
/// (tessera-expose-attention), each {output = name, layer = label, query_grid / key_grid =
/// [prefix, rows, cols] when that axis lies on the input picture}.
inline constexpr const char *kAttentionMapsAttr = "tess.attention_maps";

} // namespace tessera

#endif // TESSERA_IR_GRAPHATTRIBUTES_H
