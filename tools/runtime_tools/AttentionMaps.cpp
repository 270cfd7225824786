#include "AttentionMaps.h"

#include "tessera/image/Heatmap.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <system_error>

namespace tessera::tools {
using namespace tessera::runtime;

std::string describeGrid(const std::optional<SequenceGrid> &grid) {
  if (!grid)
    return "-";
  std::string cells = concat(grid->rows, " x ", grid->cols);
  if (grid->prefix == 0)
    return cells;
  return concat(grid->prefix, grid->prefix == 1 ? " token + " : " tokens + ", cells);
}

namespace {

std::string fileStem(const std::string &layer) {
  std::string stem = layer.empty() ? "attention" : layer;
  for (char &c : stem)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      c = '_';
  return stem;
}

/// Probabilities of batch row 0 as [heads][queries][keys].
struct MapView {
  const float *data;
  int64_t heads, queries, keys;
  const float *row(int64_t head, int64_t query) const {
    return data + (head * queries + query) * keys;
  }
};

class MapWriter {
public:
  MapWriter(const std::string &dir, const image::Image &picture, const SequenceGrid &keys)
      : dir(dir), picture(picture), keys(keys) {}

  /// The mean of `rows` (query rows of the map, each over all keys) drawn as FILE.
  Error write(const std::string &file, const std::vector<const float *> &rows) {
    std::vector<float> cells(size_t(keys.rows * keys.cols), 0.0f);
    for (const float *row : rows)
      for (size_t i = 0; i < cells.size(); ++i)
        cells[i] += row[keys.prefix + int64_t(i)];
    for (float &c : cells)
      c /= float(rows.size());
    image::Image blended = image::blendHeatmap(picture, cells.data(), keys.rows, keys.cols);
    std::string path = (std::filesystem::path(dir) / file).string();
    if (Error err = image::writePng(path, blended))
      return err;
    ++written;
    return Error::success();
  }

  int64_t written = 0;

private:
  std::string dir;
  const image::Image &picture;
  SequenceGrid keys;
};

} // namespace

Expected<std::vector<std::string>> writeAttentionMaps(const std::string &dir, const Module &module,
                                                      const std::vector<Tensor> &outputs,
                                                      const image::Image &picture,
                                                      const std::vector<int64_t> *queries) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return makeError(dir, ": cannot create the directory: ", ec.message());
  std::vector<std::string> lines;
  for (const AttentionMapInfo &map : module.attentionMaps()) {
    const TensorSpec &spec = module.outputs()[map.output];
    const Tensor &tensor = outputs[map.output];
    std::string what = concat(map.layer, " (", spec.name, ")");
    if (!map.keyGrid) {
      lines.push_back(concat(what, ": skipped, its keys are no positions of the picture"));
      continue;
    }
    // [B.., queries, keys] with at least two dimensions and no empty one (validated at load);
    // from rank 4 the dimension before the queries is the heads.
    const Shape &shape = spec.shape;
    size_t rank = shape.size();
    MapView view{tensor.dataAs<float>(), rank >= 4 ? shape[rank - 3] : 1, shape[rank - 2],
                 shape[rank - 1]};
    if (tensor.shape() != shape || tensor.dtype() != DType::F32)
      return makeError(what, ": the output is ", formatTensorType(tensor.dtype(), tensor.shape()),
                       ", not the module's ", spec.typeString());
    MapWriter writer(dir, picture, *map.keyGrid);
    std::string stem = fileStem(map.layer);
    std::vector<const float *> rows;
    if (map.queryGrid && map.queryGrid->prefix > 0) {
      for (int64_t t = 0; t < map.queryGrid->prefix; ++t) {
        std::string token = map.queryGrid->prefix > 1 ? concat(".token", t) : "";
        std::vector<const float *> all;
        for (int64_t h = 0; h < view.heads; ++h) {
          all.push_back(view.row(h, t));
          if (Error err = writer.write(concat(stem, token, ".head", h, ".png"), {view.row(h, t)}))
            return err;
        }
        if (Error err = writer.write(concat(stem, token, ".png"), all))
          return err;
      }
      lines.push_back(concat(what, ": ", writer.written, " pictures in ", dir, "/", stem,
                             "*.png (what the leading token attends to, per head and mean)"));
    } else if (map.queryGrid) {
      for (int64_t h = 0; h < view.heads; ++h)
        for (int64_t q = 0; q < view.queries; ++q)
          rows.push_back(view.row(h, q));
      if (Error err = writer.write(stem + ".png", rows))
        return err;
      lines.push_back(concat(what, ": ", dir, "/", stem,
                             ".png (attention each position receives, mean over queries "
                             "and heads)"));
    } else {
      for (int64_t q = 0; q < view.queries; ++q) {
        if (queries && !std::count(queries->begin(), queries->end(), q))
          continue;
        rows.clear();
        for (int64_t h = 0; h < view.heads; ++h)
          rows.push_back(view.row(h, q));
        if (Error err = writer.write(concat(stem, ".query", q, ".png"), rows))
          return err;
      }
      lines.push_back(concat(what, ": ", writer.written, " pictures in ", dir, "/", stem,
                             ".query*.png (where each ", queries ? "detected " : "",
                             "query looks, mean over heads)"));
    }
  }
  return lines;
}

} // namespace tessera::tools
