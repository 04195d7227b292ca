// own_models DIR: writes the two multi-exit test nets of lib/model/reference_models that the
// project has never been trained on, as a user's own ONNX files: DIR/resnet-exits.onnx
// (identity and projected stride-2 residual blocks, a depthwise-separable block; 3 exits) and
// DIR/inception-exits.onnx (Concat-joined branches, standalone BatchNorm, a Sigmoid/Mul gate,
// a grouped conv; 2 exits). Seeded random weights (seed 3). Used by experiments/ownmodels.sh.
#include "core/file_io.hpp"
#include "model/reference_models.hpp"

#include <cstdio>
#include <exception>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: own_models DIR\n");
    return 2;
  }
  try {
    const std::string dir = argv[1];
    edgent::write_file_atomic(dir + "/resnet-exits.onnx",
                              edgent::model::resnet_exits_model(3).serialize());
    edgent::write_file_atomic(dir + "/inception-exits.onnx",
                              edgent::model::inception_exits_model(3).serialize());
    std::printf("%s/resnet-exits.onnx\n%s/inception-exits.onnx\n", dir.c_str(), dir.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "own_models: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
