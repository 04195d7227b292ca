#include "eval/accuracy.hpp"

#include "core/error.hpp"
#include "model/accuracy_json.hpp"
#include "net/tensor_mat.hpp"

#include <fmt/format.h>

#include <map>

// The edgent.accuracy/1 artifact is model/accuracy_json.cpp.

namespace edgent::eval {

LabelledSet make_labelled_set(const data::Dataset& data, const data::Normalization& norm,
                              const std::vector<int>& shape) {
  if (shape.size() != 4 || shape[0] != 1 || shape[2] != data.height || shape[3] != data.width ||
      (data.channels != 1 && data.channels != shape[1])) {
    throw ConfigError(fmt::format("model input shape does not take {}x{}x{} images (need [1,{},{},{}])",
                                  data.channels, data.height, data.width, data.channels,
                                  data.height, data.width),
                      {}, "input");
  }
  const int channels = shape[1];
  auto per_channel = [channels](const std::vector<double>& v, const char* what) {
    if (v.size() != 1 && v.size() != static_cast<std::size_t>(channels)) {
      throw ConfigError(fmt::format("{} has {} values; the model has {} channels", what, v.size(),
                                    channels),
                        {}, what);
    }
    std::vector<double> out(static_cast<std::size_t>(channels));
    for (int c = 0; c < channels; ++c) {
      out[static_cast<std::size_t>(c)] = v.size() == 1 ? v[0] : v[static_cast<std::size_t>(c)];
    }
    return out;
  };
  data::Normalization n;
  n.scale = norm.scale;
  n.mean = per_channel(norm.mean, "mean");
  n.std = per_channel(norm.std, "std");
  for (const double sd : n.std) {
    if (!(sd > 0)) {
      throw ConfigError("std must be > 0", {}, "std");
    }
  }
  // A grey image feeds every channel of a colour model: normalise it once per channel.
  data::Dataset one = data;
  if (data.channels == 1 && channels > 1) {
    one.channels = channels;
    one.pixels.clear();
    one.pixels.reserve(data.pixels.size() * static_cast<std::size_t>(channels));
    for (std::size_t i = 0; i < data.size(); ++i) {
      const auto img = data.image(i);
      for (int c = 0; c < channels; ++c) {
        one.pixels.insert(one.pixels.end(), img.begin(), img.end());
      }
    }
  }
  LabelledSet set;
  set.labels.assign(data.labels.begin(), data.labels.end());
  for (std::size_t i = 0; i < one.size(); ++i) {
    cv::Mat blob(4, shape.data(), CV_32F);
    data::to_float(one, n, i, 1, std::span<float>(blob.ptr<float>(), blob.total()));
    set.images.push_back(blob);
  }
  return set;
}

int argmax(const cv::Mat& scores) {
  const float* p = scores.ptr<float>();
  int best = 0;
  for (int i = 1; i < static_cast<int>(scores.total()); ++i) {
    if (p[i] > p[best]) {
      best = i;
    }
  }
  return best;
}

std::vector<AccuracyEntry> accuracy_table(model::SegmentRunner& runner, const LabelledSet& data,
                                          const AccuracyOptions& options) {
  if (data.images.size() != data.labels.size()) {
    throw DataError(fmt::format("{} images but {} labels", data.images.size(),
                                data.labels.size()));
  }
  std::vector<int> exits = options.exits;
  if (exits.empty()) {
    for (const auto& c : runner.partition().exits) {
      exits.push_back(c.exit);
    }
  }
  // Base codecs to measure; +zstd variants share their base's decoded tensor.
  std::vector<net::Codec> bases;
  for (const auto c : options.codecs) {
    if (std::find(bases.begin(), bases.end(), c.base) == bases.end()) {
      bases.push_back(c.base);
    }
  }
  // correct[(exit, cut, base)]
  std::map<std::tuple<int, int, net::Codec>, int> correct;
  // Summed wire message bytes per (exit, cut, codec), over the first kWireBytesSamples images.
  std::map<std::tuple<int, int, std::string>, double> wire_bytes;
  const std::size_t sized = std::min(data.images.size(), kWireBytesSamples);
  for (std::size_t s = 0; s < data.images.size(); ++s) {
    const int label = data.labels[s];
    if (label < 0) {
      throw DataError(fmt::format("label {} of sample {} is negative", label, s), {}, "labels");
    }
    for (const int exit : exits) {
      const model::ExitChain& chain = runner.chain(exit);
      const int n = chain.size();
      cv::Mat at_cut = data.images[s];
      int prev = 0;
      for (const int cut : chain.cut_points()) {
        if (cut > prev) {
          at_cut = runner.run(exit, prev, cut, at_cut);
          prev = cut;
        }
        if (s < sized) {
          const net::WireTensor wire = net::to_wire(at_cut);
          for (const auto codec : options.codecs) {
            wire_bytes[{exit, cut, net::codec_name(codec)}] +=
                static_cast<double>(net::encode_tensor(wire, codec).size());
          }
        }
        for (const net::Codec base : bases) {
          const cv::Mat received = net::round_trip(at_cut, {base, false});
          const cv::Mat out = cut == n ? received : runner.run(exit, cut, n, received);
          if (argmax(out) == label) {
            ++correct[{exit, cut, base}];
          }
        }
      }
    }
    if (options.progress) {
      options.progress(s + 1);
    }
  }
  std::vector<AccuracyEntry> entries;
  const int samples = static_cast<int>(data.images.size());
  for (const int exit : exits) {
    for (const int cut : runner.chain(exit).cut_points()) {
      for (const auto codec : options.codecs) {
        AccuracyEntry e;
        e.exit = exit;
        e.cut = cut;
        e.codec = net::codec_name(codec);
        e.samples = samples;
        e.correct = correct[{exit, cut, codec.base}];
        e.accuracy = samples == 0 ? 0.0 : static_cast<double>(e.correct) / samples;
        e.wire_bytes = sized == 0 ? 0.0
                                  : wire_bytes[{exit, cut, e.codec}] / static_cast<double>(sized);
        entries.push_back(std::move(e));
      }
    }
  }
  return entries;
}

nlohmann::json accuracy_json(const std::string& model_sha256, std::size_t samples,
                             const std::vector<AccuracyEntry>& entries) {
  model::AccuracyTable table;
  table.model_sha256 = model_sha256;
  table.samples = samples;
  table.wire_bytes_samples = std::min(samples, kWireBytesSamples);
  for (const auto& e : entries) {
    model::AccuracyRecord r{e.exit, e.cut, e.codec, std::nullopt, std::nullopt};
    if (samples != 0) {
      r.accuracy = e.accuracy;
      r.wire_bytes = e.wire_bytes;
    }
    table.entries.push_back(std::move(r));
  }
  return model::to_json(table);
}

} // namespace edgent::eval
